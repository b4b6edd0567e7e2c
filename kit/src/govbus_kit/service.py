"""A service as a plugin: its contract and the handlers bound to it.

    service = Service(CONTRACT)

    @service.command(REGISTER_INCOMING)
    async def register_incoming(cmd: RegisterIncoming, ctx: CommandContext) -> Registered: ...

    @service.subscribe(DOCUMENT_INSTRUCTED, durable="supervision-instructions")
    async def open_item(event: DocumentInstructed, ctx: EventContext) -> None: ...

A package makes it installable with an entry point in group ``govbus.services``:
``documents = "govbus_documents.plugin:service"``.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from govbus_contracts.base import Command, Event, Query, Reply
from govbus_contracts.envelope import Envelope, Principal
from govbus_contracts.registry import CommandSpec, EventSpec, QuerySpec, ServiceContract
from govbus_kit.departments import DepartmentDirectory
from govbus_kit.repository import (
    Aggregate,
    AggregateRepository,
    CollectionHooks,
    Decide,
    request_hash,
)

if TYPE_CHECKING:
    from faststream.nats import NatsBroker
    from pymongo.asynchronous.database import AsyncDatabase

    from govbus_kit.calendar import WorkingCalendar
    from govbus_kit.clock import Clock
    from govbus_kit.outbox import OutboxRelay
    from govbus_kit.settings import Settings

A = TypeVar("A", bound=Aggregate)
R = TypeVar("R")
S = TypeVar("S", bound=BaseModel)


@dataclass
class ServiceContext:
    """What a running service has: its database, clock, calendar, broker and repositories."""

    service: Service
    settings: Settings
    db: AsyncDatabase[dict[str, Any]]
    broker: NatsBroker
    relay: OutboxRelay
    clock: Clock
    calendar: WorkingCalendar
    #: The service's own settings (``Service(settings=...)``), read once when it starts.
    options: BaseModel | None = None
    #: Department names to subject codes, for the copies of facts addressed to departments.
    departments: DepartmentDirectory = field(default_factory=DepartmentDirectory)
    state: dict[str, Any] = field(default_factory=dict)
    _repositories: dict[tuple[str, type[Any]], AggregateRepository[Any]] = field(
        default_factory=dict)
    _locks: dict[str, weakref.WeakValueDictionary[str, asyncio.Lock]] = field(
        default_factory=dict)
    _hooks: dict[str, CollectionHooks] = field(default_factory=dict)

    async def ask(self, spec: CommandSpec | QuerySpec, payload: BaseModel, *,
                  message_id: str | None = None) -> dict[str, Any]:
        """Ask another service as this service itself (``Principal.system``), signed with the
        service's key, under the correlation id of the message being handled. A command's
        ``message_id`` should be derived from what caused it (``deterministic_id``), so that a
        redelivered cause asks once: the asked service answers a repeated id with its first
        reply. The answer as JSON; a refusal raises its ``GovbusError``."""
        from govbus_kit.bus import request
        from govbus_kit.context import current_message

        current = current_message()
        return await request(
            self.broker, spec, payload.model_dump(mode="json"),
            principal=Principal.system(self.service.name), message_id=message_id,
            correlation_id=current.correlation_id if current else None,
            timeout=self.settings.request_timeout_seconds)

    def own_settings(self, kind: type[S]) -> S:
        """The service's own settings, of the type it declared (``Service(settings=kind)``):
        injected when the host starts it, never read into module globals at import."""
        if not isinstance(self.options, kind):
            raise RuntimeError(f"service {self.service.name} was started without its "
                               f"{kind.__name__} (declare Service(settings={kind.__name__}))")
        return self.options

    def hooks(self, collection: str) -> CollectionHooks:
        """The hooks on every write to ``collection`` (shared by all its repositories)."""
        return self._hooks.setdefault(collection, CollectionHooks())

    def repository(self, collection: str, model: type[A]) -> AggregateRepository[A]:
        # One per collection and model: two slices may read one collection as different
        # models (the archive reads 收文 and 发文 as archivable documents). They share the
        # collection and its per-aggregate locks.
        repo = self._repositories.get((collection, model))
        if repo is None:
            repo = AggregateRepository(
                self.db[collection], model, service=self.service.name, relay=self.relay,
                clock=self.clock,
                locks=self._locks.setdefault(collection, weakref.WeakValueDictionary()),
                hooks=self.hooks(collection), departments=self.departments,
            )
            self._repositories[(collection, model)] = repo
        return repo


@dataclass
class CommandContext:
    """One command being handled: who asks, under which id, with which request hash."""

    service: ServiceContext
    principal: Principal
    command_id: str
    correlation_id: str
    request_hash: str

    def now(self) -> datetime:
        """The service's clock (injected: tests set the office's time)."""
        return self.service.clock.now()

    async def execute(self, repo: AggregateRepository[A], aggregate_id: str,
                      decide: Decide[A, R], *, reply: type[R] | None = None) -> R:
        """Run a decision on one aggregate, once per command id; its reply, of its type
        (``reply``, or the ``R`` of ``decide``'s ``-> Outcome[A, R]``), whether it ran now
        or for the command's first delivery."""
        return await repo.execute(aggregate_id, decide, reply=reply,
                                  command_id=self.command_id, command_hash=self.request_hash)


def command_context(service: ServiceContext, principal: Principal, command: BaseModel,
                    command_id: str, correlation_id: str) -> CommandContext:
    """The context of one command as delivered: its request hash covers the principal, so
    that a command id seen before under another principal is refused, never answered with
    its reply."""
    return CommandContext(
        service=service, principal=principal, command_id=command_id,
        correlation_id=correlation_id,
        request_hash=request_hash(f"{principal.subject}\n{command.model_dump_json()}"))


@dataclass
class QueryContext:
    service: ServiceContext
    principal: Principal
    correlation_id: str

    def now(self) -> datetime:
        return self.service.clock.now()


@dataclass
class EventContext:
    """One event being handled; ``execute`` applies its effect once per event id."""

    service: ServiceContext
    envelope: Envelope
    subject: str
    deliveries: int

    def now(self) -> datetime:
        return self.service.clock.now()

    async def execute(self, repo: AggregateRepository[A], aggregate_id: str,
                      decide: Decide[A, R]) -> R | None:
        """The decision's reply; None if this event was applied before."""
        return await repo.execute(aggregate_id, decide, applied_event_id=self.envelope.id)


CommandHandler = Callable[[Any, CommandContext], Awaitable[Reply]]
QueryHandler = Callable[[Any, QueryContext], Awaitable[Reply]]
EventHandler = Callable[[Any, EventContext], Awaitable[None]]
Hook = Callable[[ServiceContext], Awaitable[None]]


@dataclass
class Subscription:
    owner: str  # the consuming service
    spec: EventSpec
    durable: str
    handler: EventHandler


#: How often a periodic task runs: seconds, or read from the running service (its own
#: settings) when it starts.
Interval = float | Callable[[ServiceContext], float]


@dataclass
class Periodic:
    name: str
    seconds: Interval
    handler: Hook

    def interval(self, ctx: ServiceContext) -> float:
        return self.seconds(ctx) if callable(self.seconds) else self.seconds


class Service:
    def __init__(self, contract: ServiceContract, *, version: str = "0.1.0",
                 settings: type[BaseModel] | None = None) -> None:
        self.contract = contract
        self.name = contract.name
        self.version = version
        #: The type of the service's own settings (a pydantic-settings class reading its
        #: ``GOVBUS_<SERVICE>_*`` variables); built when a host starts the service.
        self.settings_type = settings
        self.commands: dict[str, tuple[CommandSpec, CommandHandler]] = {}
        self.queries: dict[str, tuple[QuerySpec, QueryHandler]] = {}
        self.subscriptions: list[Subscription] = []
        self.startup: list[Hook] = []
        self.periodic_tasks: list[Periodic] = []
        self.revision_hooks: list[Hook] = []

    def command(self, spec: CommandSpec) -> Callable[[CommandHandler], CommandHandler]:
        self._own(spec.service)

        def bind(fn: CommandHandler) -> CommandHandler:
            self.commands[spec.subject] = (spec, fn)
            return fn

        return bind

    def query(self, spec: QuerySpec) -> Callable[[QueryHandler], QueryHandler]:
        self._own(spec.service)

        def bind(fn: QueryHandler) -> QueryHandler:
            self.queries[spec.subject] = (spec, fn)
            return fn

        return bind

    def subscribe(self, spec: EventSpec, *, durable: str) -> Callable[[EventHandler], EventHandler]:
        """Handle another (or this) service's event with a durable pull consumer.

        The durable name must start with this service's name: it is how operators and NATS
        permissions tell whose consumer it is.
        """
        if not durable.startswith(self.name + "-"):
            raise ValueError(f"durable {durable!r} must start with '{self.name}-'")

        def bind(fn: EventHandler) -> EventHandler:
            self.subscriptions.append(Subscription(self.name, spec, durable, fn))
            return fn

        return bind

    def on_startup(self, fn: Hook) -> Hook:
        """Runs before the service takes messages (indexes, seed data)."""
        self.startup.append(fn)
        return fn

    def on_calendar_revision(self, fn: Hook) -> Hook:
        """Runs when the official calendar in force changed (a year that was provisional
        arrived, or a year was corrected): recompute the deadlines marked provisional and
        publish a deadline-changed fact for each that moved (deterministic ids)."""
        self.revision_hooks.append(fn)
        return fn

    def every(self, seconds: Interval, name: str | None = None) -> Callable[[Hook], Hook]:
        """A periodic task (deadline sweeps). Safe on many replicas only if its effects are
        idempotent: give the facts it emits deterministic ids. ``seconds`` may be read from
        the service's own settings: ``every(lambda ctx: own(ctx).sweep_seconds)``."""

        def bind(fn: Hook) -> Hook:
            self.periodic_tasks.append(Periodic(name or fn.__name__, seconds, fn))
            return fn

        return bind

    def own_settings(self, given: BaseModel | None = None) -> BaseModel | None:
        """The service's settings to start with: ``given`` (a test's, an embedding host's),
        else read from the environment now."""
        if given is not None:
            return given
        return self.settings_type() if self.settings_type is not None else None

    def _own(self, service: str) -> None:
        if service != self.name:
            raise ValueError(f"service {self.name} cannot answer {service}'s messages")


__all__ = [
    "Command",
    "CommandContext",
    "Event",
    "EventContext",
    "Query",
    "QueryContext",
    "Service",
    "ServiceContext",
]
