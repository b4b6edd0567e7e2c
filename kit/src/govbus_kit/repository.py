"""Aggregates in MongoDB: compare-and-set on ``version``, embedded outbox, idempotency.

One MongoDB document per aggregate holds its state and, in reserved fields,
- ``_outbox``: events written with the state, waiting to be published;
- ``_last``: the record of the write that made this version: the command's id, request hash
  and reply, or the applied event's id. One entry, whatever the aggregate's history.
Both change in the same single-document update as the state: no transactions needed.

A model may declare only some of a collection's fields (another slice's view of the same
aggregates): a write sets the fields its model declares and leaves the others as stored.

Earlier records live beside the aggregate, in the ledgers (govbus_kit.ledgers): the next
writer copies ``_last`` there before its compare-and-set replaces it, so a crash between any
two writes leaves every record either in the ledger or still in ``_last``. A retried command
looks in the ledger, then in ``_last`` (and in the ``_commands``/``_applied`` arrays of a
document written by an earlier version, which the next write moves to the ledger and
removes); found, it returns the first reply instead of acting twice, and a redelivered event
changes nothing.

Before every state write the repository also upserts the aggregate's ``_touched`` marker
(govbus_kit.outbox), through which the outbox sweeper and other readers find what changed
recently without scanning.

Writes to one aggregate are serialised inside a process (a lock per id), because FerretDB's
update-with-filter is a read then a write, not one atomic step; across processes MongoDB's
atomic compare-and-set on ``version`` decides, and the loser retries.
"""

from __future__ import annotations

import asyncio
import hashlib
import typing
import weakref
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import CodeType
from typing import Any, Generic, TypeVar, overload

from pydantic import BaseModel, TypeAdapter
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from govbus_contracts.envelope import Envelope, new_id
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.subjects import stream_name
from govbus_kit import faults
from govbus_kit.clock import Clock
from govbus_kit.context import current_message
from govbus_kit.departments import DepartmentDirectory
from govbus_kit.domain import Aggregate as Aggregate
from govbus_kit.domain import Emit as Emit
from govbus_kit.domain import Outcome as Outcome
from govbus_kit.ledgers import APPLIED, COMMANDS, Ledger, ledger_key
from govbus_kit.logging import get_logger
from govbus_kit.outbox import OUTBOX, OutboxRelay

LAST = "_last"
#: Fields of an aggregate document that are not its state (``_commands`` and ``_applied``
#: only in documents an earlier version wrote).
META = (OUTBOX, LAST, COMMANDS, APPLIED)
#: The projection that reads an aggregate document without them.
_STATE_ONLY = {k: 0 for k in META}
MAX_CAS_RETRIES = 20


log = get_logger("govbus.repository")

A = TypeVar("A", bound=Aggregate)
R = TypeVar("R")


Decide = Callable[[A | None], Outcome[A, R] | Awaitable[Outcome[A, R]]]

#: The reply type of each decide function, by its code (closures of one ``def`` share it).
_REPLY_TYPES: dict[CodeType, Any] = {}
_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def reply_type_of(decide: Callable[..., Any]) -> Any:
    """The ``R`` of a decide function annotated ``-> Outcome[A, R]``.

    A retried command gets its first reply from the store as JSON; this is the type it is
    read back into, so that every caller gets the same type whether the command ran now or
    before. A decide without that annotation must be given its reply type (``reply=``).
    """
    code = getattr(decide, "__code__", None)
    if code is not None and code in _REPLY_TYPES:
        return _REPLY_TYPES[code]
    try:
        returned = typing.get_type_hints(decide).get("return")
    except Exception:  # an annotation naming what the function's module cannot see
        returned = None
    args = typing.get_args(returned)
    if typing.get_origin(returned) is not Outcome or len(args) != 2:
        raise TypeError(
            f"{getattr(decide, '__qualname__', decide)!r}: annotate it -> Outcome[A, R] or "
            "pass its reply type (reply=...): a retried command's reply is read back as it")
    if code is not None:
        _REPLY_TYPES[code] = args[1]
    return args[1]


def restore_reply(stored: Any, reply_type: Any) -> Any:
    """A stored (JSON) reply as ``reply_type``."""
    if isinstance(reply_type, type) and issubclass(reply_type, BaseModel):
        return reply_type.model_validate(stored)
    adapter = _ADAPTERS.get(reply_type)
    if adapter is None:
        adapter = _ADAPTERS[reply_type] = TypeAdapter(reply_type)
    return adapter.validate_python(stored)


def stored_reply(reply: Any) -> Any:
    """A reply as the command's record keeps it (JSON)."""
    return reply.model_dump(mode="json") if isinstance(reply, BaseModel) else reply

#: A hook on the writes to one collection, called with the aggregate id and the document as
#: written (``_id``, ``version`` and the state's fields as stored; no ledgers, no outbox).
WriteHook = Callable[[str, dict[str, Any]], Awaitable[None]]


@dataclass
class CollectionHooks:
    """What must happen around every write to one collection, whichever model writes it.

    ``before_write`` hooks run inside the aggregate's lock before the compare-and-set (a
    due-date bucket, a marker that must exist if the write does); they must be idempotent,
    since a lost compare-and-set runs them again, and one that raises aborts the command with
    nothing written. ``after_write`` hooks run after a successful write (a list projection,
    a search index): derived data, so one that raises is logged and the write stands; the
    derived data's own sweep must catch up.
    """

    before_write: list[WriteHook] = field(default_factory=list)
    after_write: list[WriteHook] = field(default_factory=list)


def request_hash(body: bytes | str) -> str:
    raw = body.encode() if isinstance(body, str) else body
    return hashlib.sha256(raw).hexdigest()


class AggregateRepository(Generic[A]):
    def __init__(
        self,
        collection: AsyncCollection[dict[str, Any]],
        model: type[A],
        *,
        service: str,
        relay: OutboxRelay,
        clock: Clock,
        locks: weakref.WeakValueDictionary[str, asyncio.Lock] | None = None,
        hooks: CollectionHooks | None = None,
        departments: DepartmentDirectory | None = None,
    ) -> None:
        self.collection = collection
        self.model = model
        self.service = service
        self.relay = relay
        self.clock = clock
        # Repositories reading one collection as different models pass the same locks, so
        # that writes to one aggregate stay serialised within the process whatever the model;
        # the relay holds them too, for its deletion of the collection's markers.
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = relay.locks(
            collection, locks)
        self.hooks = hooks if hooks is not None else CollectionHooks()
        self.departments = departments if departments is not None else DepartmentDirectory()

    # --- reading -------------------------------------------------------------------

    def from_document(self, doc: dict[str, Any]) -> A:
        data = {k: v for k, v in doc.items() if k not in META and k != "_id"}
        data["id"] = doc["_id"]
        return self.model.model_validate(data)

    async def stored(self, aggregate_id: str) -> dict[str, Any] | None:
        """The aggregate's document as stored: ``_id``, ``version`` and every state field,
        whichever model wrote them; none of the repository's bookkeeping (outbox, records)."""
        return await self.collection.find_one({"_id": aggregate_id}, _STATE_ONLY)

    async def get(self, aggregate_id: str) -> A | None:
        doc = await self.stored(aggregate_id)
        return self.from_document(doc) if doc else None

    async def require(self, aggregate_id: str, what: str = "") -> A:
        found = await self.get(aggregate_id)
        if found is None:
            raise GovbusError(
                ErrorCode.not_found, f"{what or self.model.__name__} {aggregate_id} not found",
                id=aggregate_id,
            )
        return found

    async def find(
        self, filter: dict[str, Any], *, sort: list[tuple[str, int]] | None = None,
        skip: int = 0, limit: int = 50,
    ) -> list[A]:
        cursor = self.collection.find(filter, _STATE_ONLY)
        if sort:
            cursor = cursor.sort(sort)
        docs = await cursor.skip(skip).limit(limit).to_list(None)
        return [self.from_document(d) for d in docs]

    # --- writing -------------------------------------------------------------------

    def _lock(self, aggregate_id: str) -> asyncio.Lock:
        lock = self._locks.get(aggregate_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[aggregate_id] = lock
        return lock

    @overload
    async def execute(
        self, aggregate_id: str, decide: Decide[A, R], *, reply: type[R] | None = None,
        command_id: str | None = None, command_hash: str | None = None,
        applied_event_id: None = None,
    ) -> R: ...

    @overload
    async def execute(
        self, aggregate_id: str, decide: Decide[A, R], *, reply: type[R] | None = None,
        command_id: str | None = None, command_hash: str | None = None,
        applied_event_id: str,
    ) -> R | None: ...

    async def execute(
        self,
        aggregate_id: str,
        decide: Decide[A, R],
        *,
        reply: type[R] | None = None,
        command_id: str | None = None,
        command_hash: str | None = None,
        applied_event_id: str | None = None,
    ) -> R | None:
        """Load, decide, and write state with its events in one compare-and-set.

        Returns the decision's reply, of the decision's reply type (``reply``, or the ``R``
        of ``decide``'s ``-> Outcome[A, R]``): for a command seen before, its first reply
        read back into that type. For an event applied before, ``None``.
        """
        # Known before anything runs: a decide whose reply could not be read back fails on
        # its first call, not on its first retry.
        reply_type = reply if reply is not None or command_id is None else (
            reply_type_of(decide))
        lock = self._lock(aggregate_id)
        async with lock:
            for _ in range(MAX_CAS_RETRIES):
                doc, seen, applied = await self._read(aggregate_id, command_id, applied_event_id)
                if seen is not None:
                    if command_hash and seen.get("hash") not in (None, command_hash):
                        raise GovbusError(
                            ErrorCode.idempotency_key_reused,
                            "this command id was used before for a different request",
                            command_id=command_id,
                        )
                    restored: R = restore_reply(seen["reply"], reply_type)
                    return restored
                if applied:
                    return None
                current = self.from_document(doc) if doc else None
                result = decide(current)
                outcome: Outcome[A, R] = await result if asyncio.iscoroutine(result) else result  # type: ignore[assignment]
                if outcome.state is None and not outcome.events:
                    return outcome.reply
                entries = [entry for emit in outcome.events
                           for entry in self._entries(aggregate_id, emit)]
                written = await self._write(doc, aggregate_id, outcome, entries, command_id,
                                            command_hash, applied_event_id)
                if written:
                    faults.point("outbox.after_state_write")
                    if entries:
                        await self._publish(aggregate_id, entries)
                    return outcome.reply
            raise GovbusError(
                ErrorCode.conflict,
                f"{self.model.__name__} {aggregate_id} changed concurrently too often; try again",
                id=aggregate_id,
            )

    async def _publish(self, aggregate_id: str, entries: list[dict[str, Any]]) -> None:
        """Publish what was just written to the outbox (the relay removes it once sent)."""
        await self.relay.publish(self.collection, aggregate_id, entries)

    def _key(self, aggregate_id: str, entry_id: str) -> str:
        return ledger_key(self.collection.name, aggregate_id, entry_id)

    async def _read(
        self, aggregate_id: str, command_id: str | None, event_id: str | None,
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None, bool]:
        """The aggregate, the record of ``command_id`` if it was executed on it, and whether
        ``event_id`` was applied to it. The ledger lookups go with the aggregate's read, at
        once: every one is a read by ``_id``."""
        ledgers, db, now = self.relay.ledgers, self.collection.database, ledger_now()
        reads: list[Awaitable[dict[str, Any] | None]] = [
            self.collection.find_one({"_id": aggregate_id})]
        if command_id is not None:
            reads.append(ledgers.find(db, ledgers.commands, self._key(aggregate_id, command_id),
                                      now))
        if event_id is not None:
            reads.append(ledgers.find(db, ledgers.applied, self._key(aggregate_id, event_id),
                                      now))
        found = await asyncio.gather(*reads)
        doc = found[0]
        seen = found[1] if command_id is not None else None
        applied = event_id is not None and found[-1] is not None
        if doc is not None:
            # Not copied to the ledger yet: the last write's own record, or the arrays of a
            # document an earlier version wrote.
            last = doc.get(LAST) or {}
            if seen is None and command_id is not None:
                candidates = [last.get("command") or {}, *doc.get(COMMANDS, [])]
                seen = next((c for c in candidates if c.get("id") == command_id), None)
            if not applied and event_id is not None:
                applied = ((last.get("event") or {}).get("id") == event_id
                           or event_id in doc.get(APPLIED, []))
        return doc, seen, applied

    async def _write(
        self,
        doc: dict[str, Any] | None,
        aggregate_id: str,
        outcome: Outcome[A, R],
        entries: list[dict[str, Any]],
        command_id: str | None,
        command_hash: str | None,
        applied_event_id: str | None,
    ) -> bool:
        version, fields, written_doc = self._state_write(doc, aggregate_id, outcome)
        now = ledger_now()
        last: dict[str, Any] = {}
        if command_id is not None:
            last["command"] = {"id": command_id, "hash": command_hash,
                               "reply": stored_reply(outcome.reply), "at": now}
        if applied_event_id is not None:
            last["event"] = {"id": applied_event_id, "at": now}
        await self._before_write(doc, aggregate_id, version + 1, written_doc, now)
        if doc is None:
            new_doc: dict[str, Any] = {"_id": aggregate_id, **fields, OUTBOX: entries}
            if last:
                new_doc[LAST] = last
            try:
                await self.collection.insert_one(new_doc)
            except DuplicateKeyError:
                return False  # created meanwhile by another process: decide again
        else:
            # The outbox is $push-ed: the relay removes published entries concurrently,
            # outside the version check. The previous record, already in the ledger, is
            # replaced (or removed); so are an earlier version's arrays.
            update: dict[str, Any] = {"$set": {**fields, **({LAST: last} if last else {})}}
            unset = {k: "" for k in (COMMANDS, APPLIED) if k in doc}
            if not last and LAST in doc:
                unset[LAST] = ""
            if unset:
                update["$unset"] = unset
            if entries:
                update["$push"] = {OUTBOX: {"$each": entries}}
            result = await self.collection.update_one(
                {"_id": aggregate_id, "version": version}, update)
            if result.modified_count != 1:
                return False
        await self._after_write(aggregate_id, written_doc)
        return True

    def _state_write(self, doc: dict[str, Any] | None, aggregate_id: str,
                     outcome: Outcome[A, R]) -> tuple[int, dict[str, Any], dict[str, Any]]:
        """The version read, the fields the write sets (the model's, and the next version),
        and the document as it will be (what the hooks see): the fields the model does not
        declare stay as stored."""
        version: int = (doc or {}).get("version", 0)
        state = outcome.state
        fields: dict[str, Any] = (
            state.model_dump(mode="json", exclude={"id", "version"}) if state is not None else {}
        )
        fields["version"] = version + 1
        written_doc = {**{k: v for k, v in (doc or {}).items() if k not in META},
                       **fields, "_id": aggregate_id}
        return version, fields, written_doc

    async def _after_write(self, aggregate_id: str, written_doc: dict[str, Any]) -> None:
        for hook in self.hooks.after_write:
            try:
                await hook(aggregate_id, written_doc)
            except Exception as exc:  # derived data: its own sweep catches up
                log.warning("after_write_hook_failed", collection=self.collection.name,
                            id=aggregate_id, error=repr(exc))

    async def _before_write(self, doc: dict[str, Any] | None, aggregate_id: str, version: int,
                            written_doc: dict[str, Any], now: datetime) -> None:
        """What must be stored before the compare-and-set, all at once: the marker, the
        previous write's record (into the ledger: the write replaces it), the hooks'."""

        async def mark() -> None:
            await self.relay.touch(self.collection, aggregate_id, version)
            faults.point("repository.after_marker")

        steps: list[Coroutine[Any, Any, None]] = [mark()]
        steps.extend(self._copies(doc, aggregate_id, now))
        steps.extend(hook(aggregate_id, written_doc) for hook in self.hooks.before_write)  # type: ignore[misc]
        results = await asyncio.gather(*steps, return_exceptions=True)
        for outcome in results:
            if isinstance(outcome, BaseException):
                raise outcome

    def _copies(self, doc: dict[str, Any] | None, aggregate_id: str, now: datetime,
                ) -> list[Coroutine[Any, Any, None]]:
        """Copies into the ledgers of the records the document holds, before a write
        replaces them: its ``_last`` (within its retention) and an earlier version's
        arrays."""
        if doc is None:
            return []
        ledgers, db = self.relay.ledgers, self.collection.database
        commands: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        last = doc.get(LAST) or {}
        command, event = last.get("command"), last.get("event")
        if command and _within(command.get("at"), ledgers.commands, now):
            commands.append(self._command_record(aggregate_id, command, now))
        if event and _within(event.get("at"), ledgers.applied, now):
            events.append({"_id": self._key(aggregate_id, event["id"]), "at": now})
        copies = []
        if commands or events:
            async def copy_last() -> None:
                await asyncio.gather(ledgers.keep(db, ledgers.commands, commands, now),
                                     ledgers.keep(db, ledgers.applied, events, now))
                faults.point("repository.after_ledger_copy")
            copies.append(copy_last())
        legacy_commands = [self._command_record(aggregate_id, c, now)
                           for c in doc.get(COMMANDS, [])]
        legacy_events = [{"_id": self._key(aggregate_id, e), "at": now}
                         for e in doc.get(APPLIED, [])]
        if legacy_commands or legacy_events:
            async def copy_legacy() -> None:
                await asyncio.gather(ledgers.keep(db, ledgers.commands, legacy_commands, now),
                                     ledgers.keep(db, ledgers.applied, legacy_events, now))
                faults.point("repository.after_legacy_copy")
            copies.append(copy_legacy())
        return copies

    def _command_record(self, aggregate_id: str, command: dict[str, Any], now: datetime,
                        ) -> dict[str, Any]:
        return {"_id": self._key(aggregate_id, command["id"]), "id": command["id"],
                "hash": command.get("hash"), "reply": command.get("reply"), "at": now}

    def _entries(self, aggregate_id: str, emit: Emit) -> list[dict[str, Any]]:
        """The outbox entries of one fact: the fact, then a copy for each department it is
        addressed to (govbus_kit.departments), written and published with it."""
        fact = self._entry(aggregate_id, emit)
        return [fact, *self.departments.copies(emit.spec, emit.body, fact)]

    def _entry(self, aggregate_id: str, emit: Emit) -> dict[str, Any]:
        message = current_message()
        event_id = emit.event_id or new_id()
        envelope = Envelope(
            id=event_id,
            source=f"/govbus/{self.service}",
            type=emit.spec.type,
            time=self.clock.now(),
            subject=aggregate_id,
            dataschema=f"urn:govbus:{emit.spec.subject}",
            correlation_id=message.correlation_id if message else event_id,
            causation_id=message.message_id if message else None,
        )
        return {
            "id": event_id,
            "subject": emit.spec.subject,
            "stream": stream_name(emit.spec.service),
            "headers": envelope.to_headers(),
            "data": emit.body.model_dump_json(),
            # A string, not a BSON date: dates lose microseconds in storage, and the relay
            # removes an entry by matching it whole.
            "at": self.clock.now().isoformat(),
        }


def ledger_now() -> datetime:
    """The ledgers' time: the wall clock, not the service's (possibly simulated) one, since
    a retention counts the real time a client or an operator may retry in."""
    return datetime.now(UTC)


def _within(at: Any, ledger: Ledger, now: datetime) -> bool:
    """Whether a record written at ``at`` is still within ``ledger``'s retention (a record
    without a time is kept)."""
    if not isinstance(at, datetime):
        return True
    return now - (at if at.tzinfo else at.replace(tzinfo=UTC)) < ledger.retention
