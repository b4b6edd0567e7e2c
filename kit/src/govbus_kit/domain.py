"""The small toolkit every service's ``domain`` is written with. Pure: no I/O, no clock.

- :class:`Aggregate`: the base of a stored aggregate (an ``id``, the ``version`` every write
  compares and sets).
- :class:`Emit`: a fact to publish with the state (its contract spec, its body, and a fixed
  id when several replicas may detect it alike).
- :class:`Change`: what a rule of the office returns: the new state and the facts with it.
  A rule that refuses raises a ``GovbusError`` and changes nothing.
- :class:`Outcome`: what a handler's decision gives the repository: a change and the reply.
- :class:`Actor` and :func:`act_as`: the principal acting in one of the roles a step allows.
- :func:`require_status`: a step out of order is refused with ``invalid_transition``.
- :class:`WorkingDays`: what rules need of the working-day calendar (``WorkingCalendar``).

A rule reads::

    def accept(doc: IncomingDocument, principal: Principal,
               now: datetime) -> Change[IncomingDocument]:
        actor = act_as(principal, Role.registrar, step="初审受理")
        require_status(doc.status, (S.registered,), step="初审受理", what=f"收文{doc.number}",
                       id=doc.id)
        state = doc.model_copy(update={"status": S.awaiting_proposal})
        return Change(state, [Emit(INCOMING_ACCEPTED, IncomingAccepted(...))])
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict

from govbus_contracts.base import Event
from govbus_contracts.envelope import Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.registry import EventSpec
from govbus_kit.deadlines import DayCounter


class Aggregate(BaseModel):
    """Base of every aggregate: an id and the version every write compares and sets."""

    model_config = ConfigDict(validate_assignment=True)

    id: str
    version: int = 0


A = TypeVar("A", bound=Aggregate)
R = TypeVar("R")


@dataclass
class Emit:
    """An event to publish with the state: its spec, its body, and optionally a fixed id.

    A fixed id (``deterministic_id``) makes facts that several replicas may detect alike,
    such as reminders and overdue notices, come out once.
    """

    spec: EventSpec
    body: Event
    event_id: str | None = None


@dataclass
class Change(Generic[A]):
    """A rule's result: the new state and the facts to publish with it (one write)."""

    state: A
    events: list[Emit] = field(default_factory=list)


@dataclass
class Outcome(Generic[A, R]):
    """What a decision produced: the new state (None: unchanged), events, and the reply."""

    state: A | None
    reply: R
    events: list[Emit] = field(default_factory=list)


# --- who acts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """A member of staff (or the service itself) acting in one of their roles. ``subject`` is
    the token's subject, the identity; ``name`` is only shown."""

    subject: str
    name: str | None
    role: str
    department: str | None = None

    @property
    def display(self) -> str:
        return self.name or self.subject


def system_actor(service: str, name: str = "系统") -> Actor:
    """The service acting by itself (a sweep's 催办, an overdue notice)."""
    return Actor(f"system:{service}", name, "system")


def act_as(principal: Principal, *roles: Enum, step: str) -> Actor:
    """The principal acting in the first of ``roles`` they hold, or ``forbidden``."""
    for role in roles:
        if role.value in principal.roles:
            return Actor(principal.subject, principal.name, str(role.value),
                         principal.department)
    names = [str(r.value) for r in roles]
    raise GovbusError(ErrorCode.forbidden, f"{step}需要以下角色之一: {', '.join(names)}",
                      step=step, required_roles=names)


# --- status guards -------------------------------------------------------------------------


def require_status(status: Enum, allowed: Iterable[Enum], *, step: str, what: str,
                   **details: Any) -> None:
    """A step taken from a status the workflow does not allow it in changes nothing:
    ``invalid_transition``, naming the status, the step and the statuses it is allowed from.
    ``what`` names the object for the message (``收文收〔2026〕3号``); ``details`` add to the
    error's details (its id)."""
    allowed = list(allowed)
    if status not in allowed:
        raise GovbusError(ErrorCode.invalid_transition,
                          f"{what}当前为「{status.value}」, 不能{step}",
                          **details, status=status.value, step=step,
                          allowed_from=[s.value for s in allowed])


def refuse(message: str, **details: Any) -> GovbusError:
    """Bad input to a rule: ``validation_failed`` with the details a client can act on."""
    return GovbusError(ErrorCode.validation_failed, message, **details)


# --- the calendar a rule counts on ---------------------------------------------------------


class WorkingDays(DayCounter, Protocol):
    """What the rules need of the working-day calendar (``govbus_kit.calendar``): what the
    deadlines count with, and whether a span falls on a provisional year."""

    def is_provisional_between(self, start: date, end: date) -> bool: ...


__all__ = ["Actor", "Aggregate", "Change", "Emit", "Outcome", "WorkingDays", "act_as",
           "refuse", "require_status", "system_actor"]
