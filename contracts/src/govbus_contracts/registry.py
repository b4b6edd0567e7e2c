"""Specifications of every message a service answers or publishes.

A ``ServiceContract`` lists one service's commands, queries and events. The ``govbus``
command provisions streams from these lists and exports JSON Schema and AsyncAPI from
them; the gateway builds its routes on them; the kit binds handlers to them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import Field

from govbus_contracts.base import Command, ContractModel, Event, Query, Reply
from govbus_contracts.subjects import (
    RESERVED_SERVICE_NAMES,
    command_subject,
    department_subject,
    event_subject,
    events_wildcard,
    query_subject,
    stream_name,
)


@dataclass(frozen=True)
class CommandSpec:
    service: str
    name: str
    request: type[Command]
    reply: type[Reply]
    summary: str = ""

    @property
    def version(self) -> int:
        return self.request.major_version()

    @property
    def subject(self) -> str:
        return command_subject(self.service, self.name, self.version)


@dataclass(frozen=True)
class QuerySpec:
    service: str
    name: str
    request: type[Query]
    reply: type[Reply]
    summary: str = ""

    @property
    def version(self) -> int:
        return self.request.major_version()

    @property
    def subject(self) -> str:
        return query_subject(self.service, self.name, self.version)


@dataclass(frozen=True)
class EventSpec:
    service: str
    entity: str
    fact: str
    model: type[Event]
    summary: str = ""

    @property
    def version(self) -> int:
        return self.model.major_version()

    @property
    def subject(self) -> str:
        return event_subject(self.service, self.entity, self.fact, self.version)

    @property
    def type(self) -> str:
        """CloudEvents ``type``: the subject names the fact and its major version."""
        return self.subject

    @property
    def addressed(self) -> bool:
        """Whether a fact of this kind goes to departments too (``Event.addressed_to``)."""
        return self.model.is_addressed()

    def department_subject(self, code: str) -> str:
        """Department ``code``'s copy of this fact (``gov.dept.<code>.<service>...``)."""
        return department_subject(code, self.subject)


class HealthQuery(Query):
    """Is the service up, and can it reach its servers?"""


class HealthReply(Reply):
    service: str
    status: str  # "ok" | "degraded"
    instance: str
    version: str
    checks: dict[str, str]
    figures: dict[str, float] = Field(
        default_factory=dict, max_length=200,
        description="the measurements behind the checks, e.g. store_ping_ms, "
        "commands_in_flight, commands_queued, backlog.<consumer> (messages not yet acknowledged)")
    warnings: list[str] = Field(
        default_factory=list, max_length=20,
        description="what an operator should act on without the service being unhealthy, "
        "e.g. next year's working-day calendar is only provisional")


@dataclass
class ServiceContract:
    """Everything one service puts on or takes from the bus."""

    name: str
    description: str = ""
    commands: list[CommandSpec] = field(default_factory=list)
    queries: list[QuerySpec] = field(default_factory=list)
    events: list[EventSpec] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.name in RESERVED_SERVICE_NAMES:
            raise ValueError(f"{self.name!r} names a subject tree of the bus (gov.{self.name}.>), "
                             "not a service")
        if not any(q.name == "health" for q in self.queries):
            self.queries.append(
                QuerySpec(self.name, "health", HealthQuery, HealthReply, "health of the service")
            )

    # Declaration helpers read like a table of the service's messages.
    def command(
        self, name: str, request: type[Command], reply: type[Reply], summary: str = ""
    ) -> CommandSpec:
        spec = CommandSpec(self.name, name, request, reply, summary or (request.__doc__ or ""))
        self.commands.append(spec)
        return spec

    def query(
        self, name: str, request: type[Query], reply: type[Reply], summary: str = ""
    ) -> QuerySpec:
        spec = QuerySpec(self.name, name, request, reply, summary or (request.__doc__ or ""))
        self.queries.append(spec)
        return spec

    def event(self, entity: str, fact: str, model: type[Event], summary: str = "") -> EventSpec:
        spec = EventSpec(self.name, entity, fact, model, summary or (model.__doc__ or ""))
        self.events.append(spec)
        return spec

    @property
    def stream(self) -> str:
        return stream_name(self.name)

    @property
    def stream_subjects(self) -> list[str]:
        return [events_wildcard(self.name)]

    @property
    def health(self) -> QuerySpec:
        return next(q for q in self.queries if q.name == "health")

    def event_by_subject(self, subject: str) -> EventSpec | None:
        return next((e for e in self.events if e.subject == subject), None)

    def models(self) -> list[tuple[str, type[ContractModel] | type[Any]]]:
        """(subject-based name, model) of every message, replies included."""
        out: list[tuple[str, type[Any]]] = []
        for c in self.commands:
            out += [(c.subject, c.request), (c.subject + ".reply", c.reply)]
        for q in self.queries:
            out += [(q.subject, q.request), (q.subject + ".reply", q.reply)]
        for e in self.events:
            out.append((e.subject, e.model))
        return out


#: The entry-point group of contracts: a service's distribution names its ``ServiceContract``
#: here (``documents = "govbus_contracts.services.documents:CONTRACT"``), so installing it is
#: all that adding a service takes; no list in this package names the services.
GROUP = "govbus.contracts"

_REGISTRY: dict[str, ServiceContract] = {}


def register(contract: ServiceContract) -> ServiceContract:
    existing = _REGISTRY.get(contract.name)
    if existing is not None and existing is not contract:
        raise ValueError(f"a contract for service {contract.name!r} is registered already")
    _REGISTRY[contract.name] = contract
    return contract


def installed_contracts() -> list[ServiceContract]:
    """The contract of every installed service distribution (entry points in ``GROUP``)."""
    # importlib.metadata is the standard library's: the contracts stay importable with
    # pydantic alone.
    from importlib.metadata import entry_points

    found: list[ServiceContract] = []
    for ep in entry_points(group=GROUP):
        obj = ep.load()
        contract = obj() if callable(obj) and not isinstance(obj, ServiceContract) else obj
        if not isinstance(contract, ServiceContract):
            raise TypeError(f"entry point {ep.name} = {ep.value} ({GROUP}) is no ServiceContract")
        if contract.name != ep.name:
            raise ValueError(f"entry point {ep.name} ({GROUP}) names the contract of "
                             f"service {contract.name!r}")
        found.append(contract)
    return found


def all_contracts() -> list[ServiceContract]:
    """The installed services' contracts (and any registered in this process), by name."""
    for contract in installed_contracts():
        register(contract)
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]
