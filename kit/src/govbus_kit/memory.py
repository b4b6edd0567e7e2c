"""A service without servers: the aggregate repository's double, in memory.

``MemoryRepository`` is an ``AggregateRepository`` whose documents, command records and
applied events live in a ``MemoryDatabase``: the same ``execute`` (the repository's own code)
runs a decision, so the decide/outcome contract, the idempotency by command id (a retried
command gets its first reply, of its reply type; a reused id with another request is
refused), the once-only application of an event and the compare-and-set on ``version`` are
the repository's. What a write emits is captured (``MemoryDatabase.published``) instead of
going through an outbox to a broker.

``MemoryHost`` runs one service's handlers on it: ``command``, ``query`` and ``deliver`` (an
event to a subscription), each as the runtime would (the command's hash over its principal,
the message context), so that a workflow test drives a service without NATS or MongoDB. The
flow tests against the real servers stay: lists, searches, sweeps and startup hooks need the
store's queries, which this double does not have (``MemoryCollection`` keeps documents by
``_id`` for the few plain lookups a handler makes beside its aggregates, and refuses the
rest).
"""

from __future__ import annotations

import asyncio
import copy
import json
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from pydantic import BaseModel

from govbus_contracts.envelope import Envelope, Principal, new_id
from govbus_contracts.registry import CommandSpec, EventSpec, QuerySpec
from govbus_kit.calendar import WorkingCalendar, default_calendar
from govbus_kit.clock import Clock, SystemClock
from govbus_kit.context import handling
from govbus_kit.departments import DepartmentDirectory
from govbus_kit.repository import (
    Aggregate,
    AggregateRepository,
    CollectionHooks,
    Outcome,
    stored_reply,
)
from govbus_kit.service import (
    EventContext,
    QueryContext,
    Service,
    ServiceContext,
    command_context,
)
from govbus_kit.settings import Settings

A = TypeVar("A", bound=Aggregate)
R = TypeVar("R")

Document = dict[str, Any]


def _duplicate(collection: str, key: Any) -> Exception:
    # The error the handlers catch from the real store.
    from pymongo.errors import DuplicateKeyError

    return DuplicateKeyError(f"E11000 duplicate key in {collection}: _id {key!r}", 11000)


@dataclass
class _Result:
    matched_count: int = 0
    modified_count: int = 0
    upserted_id: Any = None


def _matches(doc: Document, filter: dict[str, Any]) -> bool:
    for key, wanted in filter.items():
        if key.startswith("$") or isinstance(wanted, dict):
            raise NotImplementedError(
                f"the in-memory store answers equality filters only, not {filter!r}: "
                "test this against the servers")
        if doc.get(key) != wanted:
            return False
    return True


def _project(doc: Document, projection: dict[str, int] | None) -> Document:
    if not projection:
        return copy.deepcopy(doc)
    if all(v == 0 for v in projection.values()):
        return {k: copy.deepcopy(v) for k, v in doc.items() if k not in projection}
    return {k: copy.deepcopy(v) for k, v in doc.items() if k == "_id" or projection.get(k)}


class MemoryCollection:
    """Documents by ``_id``: equality lookups, inserts, ``$set`` updates and replacements."""

    def __init__(self, database: MemoryDatabase, name: str) -> None:
        self.database = database
        self.name = name
        self.documents: dict[Any, Document] = {}

    def _found(self, filter: dict[str, Any]) -> Iterator[Document]:
        if set(filter) == {"_id"} and not isinstance(filter["_id"], dict):
            doc = self.documents.get(filter["_id"])
            yield from ([doc] if doc is not None else [])
            return
        yield from (d for d in list(self.documents.values()) if _matches(d, filter))

    async def find_one(self, filter: dict[str, Any], projection: dict[str, int] | None = None,
                       ) -> Document | None:
        found = next(self._found(filter), None)
        return _project(found, projection) if found is not None else None

    async def count_documents(self, filter: dict[str, Any]) -> int:
        return sum(1 for _ in self._found(filter))

    async def insert_one(self, doc: Document) -> _Result:
        key = doc.setdefault("_id", new_id())
        if key in self.documents:
            raise _duplicate(self.name, key)
        self.documents[key] = copy.deepcopy(doc)
        return _Result(upserted_id=key)

    async def replace_one(self, filter: dict[str, Any], doc: Document, upsert: bool = False,
                          ) -> _Result:
        found = next(self._found(filter), None)
        if found is None:
            if not upsert:
                return _Result()
            return await self.insert_one({**_equalities(filter), **doc})
        self.documents[found["_id"]] = {**copy.deepcopy(doc), "_id": found["_id"]}
        return _Result(1, 1)

    async def update_one(self, filter: dict[str, Any], update: dict[str, Any],
                         upsert: bool = False) -> _Result:
        if set(update) - {"$set"}:
            raise NotImplementedError(
                f"the in-memory store applies $set only, not {update!r}: test this against "
                "the servers")
        found = next(self._found(filter), None)
        if found is None:
            if not upsert:
                return _Result()
            return await self.insert_one({**_equalities(filter),
                                          **copy.deepcopy(update["$set"])})
        found.update(copy.deepcopy(update["$set"]))
        return _Result(1, 1)


def _equalities(filter: dict[str, Any]) -> Document:
    return {k: v for k, v in filter.items() if not k.startswith("$")
            and not isinstance(v, dict)}


@dataclass(frozen=True)
class Published:
    """An event a write emitted, as the outbox would have published it."""

    id: str
    subject: str
    type: str
    aggregate_id: str
    data: dict[str, Any]
    headers: dict[str, str]


class MemoryDatabase:
    """One service's database in memory: its collections (aggregates among them), the
    records of the commands executed and events applied, and what was published."""

    def __init__(self, name: str = "memory") -> None:
        self.name = name
        self.collections: dict[str, MemoryCollection] = {}
        self.commands: dict[str, dict[str, Any]] = {}
        self.applied: set[str] = set()
        self.events: list[Published] = []

    def __getitem__(self, name: str) -> MemoryCollection:
        found = self.collections.get(name)
        if found is None:
            found = self.collections[name] = MemoryCollection(self, name)
        return found

    def published(self, subject: str | None = None, aggregate_id: str | None = None,
                  ) -> list[Published]:
        """The events published, in order, of one subject and/or one aggregate."""
        return [e for e in self.events
                if subject in (None, e.subject) and aggregate_id in (None, e.aggregate_id)]


class MemoryRepository(AggregateRepository[A]):
    """The repository over a ``MemoryDatabase``: ``execute``, ``get``, ``require`` and
    ``stored`` are the repository's; only reading and writing one document, keeping the
    records and publishing are the double's."""

    def __init__(self, database: MemoryDatabase, collection: str, model: type[A], *,
                 service: str, clock: Clock,
                 locks: weakref.WeakValueDictionary[str, asyncio.Lock] | None = None,
                 hooks: CollectionHooks | None = None,
                 departments: DepartmentDirectory | None = None) -> None:
        # No database client and no relay: the double stands in for both.
        self.database = database
        self.memory = database[collection]
        self.collection = cast(Any, self.memory)
        self.model = model
        self.service = service
        self.clock = clock
        self._locks = locks if locks is not None else weakref.WeakValueDictionary()
        self.hooks = hooks if hooks is not None else CollectionHooks()
        self.departments = departments if departments is not None else DepartmentDirectory()

    async def stored(self, aggregate_id: str) -> dict[str, Any] | None:
        return await self.memory.find_one({"_id": aggregate_id})

    async def find(self, filter: dict[str, Any], *, sort: list[tuple[str, int]] | None = None,
                   skip: int = 0, limit: int = 50) -> list[A]:
        docs = [copy.deepcopy(d) for d in self.memory._found(filter)]
        for key, direction in reversed(sort or []):
            docs.sort(key=lambda d: (d.get(key) is not None, d.get(key)),
                      reverse=direction < 0)
        return [self.from_document(d) for d in docs[skip:skip + limit]]

    async def _read(self, aggregate_id: str, command_id: str | None, event_id: str | None,
                    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None, bool]:
        doc = await self.stored(aggregate_id)
        seen = (self.database.commands.get(self._key(aggregate_id, command_id))
                if command_id is not None else None)
        applied = event_id is not None and self._key(aggregate_id, event_id) in (
            self.database.applied)
        return doc, copy.deepcopy(seen), applied

    async def _write(self, doc: dict[str, Any] | None, aggregate_id: str,
                     outcome: Outcome[A, R], entries: list[dict[str, Any]],
                     command_id: str | None, command_hash: str | None,
                     applied_event_id: str | None) -> bool:
        version, fields, written_doc = self._state_write(doc, aggregate_id, outcome)
        # The compare-and-set: the version read must still be the version stored.
        held = self.memory.documents.get(aggregate_id)
        if (held is None) != (doc is None) or (held or {}).get("version", 0) != version:
            return False
        for hook in self.hooks.before_write:
            await hook(aggregate_id, written_doc)
        self.memory.documents[aggregate_id] = copy.deepcopy(written_doc)
        if command_id is not None:
            self.database.commands[self._key(aggregate_id, command_id)] = {
                "id": command_id, "hash": command_hash, "reply": stored_reply(outcome.reply)}
        if applied_event_id is not None:
            self.database.applied.add(self._key(aggregate_id, applied_event_id))
        await self._after_write(aggregate_id, written_doc)
        return True

    async def _publish(self, aggregate_id: str, entries: list[dict[str, Any]]) -> None:
        for entry in entries:
            self.database.events.append(Published(
                id=entry["id"], subject=entry["subject"],
                type=str(entry["headers"].get("ce-type", "")), aggregate_id=aggregate_id,
                data=json.loads(entry["data"]), headers=dict(entry["headers"])))


@dataclass
class MemoryServiceContext(ServiceContext):
    """A service context whose repositories are ``MemoryRepository``s over ``memory``."""

    memory: MemoryDatabase = field(default_factory=MemoryDatabase)

    def repository(self, collection: str, model: type[A]) -> AggregateRepository[A]:
        repo = self._repositories.get((collection, model))
        if repo is None:
            repo = MemoryRepository(
                self.memory, collection, model, service=self.service.name, clock=self.clock,
                locks=self._locks.setdefault(collection, weakref.WeakValueDictionary()),
                hooks=self.hooks(collection), departments=self.departments)
            self._repositories[(collection, model)] = repo
        return repo


class _NoBroker:
    def __getattr__(self, name: str) -> Any:
        raise RuntimeError("no broker in memory: a handler that publishes or asks another "
                           "service directly is tested against the servers")


def memory_context(service: Service, *, clock: Clock | None = None,
                   calendar: WorkingCalendar | None = None, settings: Settings | None = None,
                   options: BaseModel | None = None) -> MemoryServiceContext:
    """A context of ``service`` over a fresh ``MemoryDatabase`` (its ``db`` too)."""
    memory = MemoryDatabase(f"memory_{service.name}")
    settings = settings or Settings()
    return MemoryServiceContext(
        service=service, settings=settings,
        departments=DepartmentDirectory.from_file(settings.departments_file), db=cast(Any, memory),
        broker=cast(Any, _NoBroker()), relay=cast(Any, None), clock=clock or SystemClock(),
        calendar=calendar or default_calendar(), memory=memory,
        options=service.own_settings(options))


class MemoryHost:
    """One service's handlers on a ``MemoryServiceContext``, answered as the runtime would
    answer them: a reply as JSON (what a caller on the bus receives), a refusal raised as
    its ``GovbusError`` (a body its contract refuses: pydantic's ``ValidationError``, which
    the runtime answers ``validation_failed``). Start-up hooks do not run: they prepare the
    store's indexes and projections; a test sets what a handler needs of them in
    ``ctx.state``."""

    def __init__(self, service: Service, *, clock: Clock | None = None,
                 calendar: WorkingCalendar | None = None,
                 settings: Settings | None = None, options: BaseModel | None = None) -> None:
        self.service = service
        self.ctx = memory_context(service, clock=clock, calendar=calendar, settings=settings,
                                  options=options)

    @property
    def memory(self) -> MemoryDatabase:
        return self.ctx.memory

    async def command(self, spec: CommandSpec, payload: dict[str, Any], principal: Principal,
                      *, command_id: str | None = None) -> dict[str, Any]:
        _, handler = self.service.commands[spec.subject]
        command_id = command_id or new_id()
        with handling(command_id, command_id, self.service.name, subject=spec.subject):
            # Read from JSON, as the runtime reads a message's body.
            command = spec.request.model_validate_json(json.dumps(payload, ensure_ascii=False))
            ctx = command_context(self.ctx, principal, command, command_id, command_id)
            return _as_json(await handler(command, ctx))

    async def query(self, spec: QuerySpec, payload: dict[str, Any], principal: Principal,
                    ) -> dict[str, Any]:
        _, handler = self.service.queries[spec.subject]
        query_id = new_id()
        with handling(query_id, query_id, self.service.name, subject=spec.subject):
            query = spec.request.model_validate_json(json.dumps(payload, ensure_ascii=False))
            return _as_json(await handler(query, QueryContext(self.ctx, principal, query_id)))

    async def deliver(self, spec: EventSpec, body: BaseModel, *, event_id: str | None = None,
                      subject: str = "") -> None:
        """One delivery of an event to every subscription of this service to ``spec``."""
        event_id = event_id or new_id()
        envelope = Envelope(id=event_id, source="/govbus/memory", type=spec.type,
                            time=self.ctx.clock.now(), subject=subject,
                            dataschema=f"urn:govbus:{spec.subject}", correlation_id=event_id)
        for sub in self.service.subscriptions:
            if sub.spec.subject == spec.subject:
                with handling(event_id, event_id, self.service.name, subject=spec.subject):
                    await sub.handler(body, EventContext(self.ctx, envelope, spec.subject, 1))


def _as_json(reply: Any) -> dict[str, Any]:
    data = reply.model_dump(mode="json") if isinstance(reply, BaseModel) else reply
    return cast(dict[str, Any], data)


__all__ = ["MemoryDatabase", "MemoryHost", "MemoryRepository", "MemoryServiceContext",
           "Published", "memory_context"]
