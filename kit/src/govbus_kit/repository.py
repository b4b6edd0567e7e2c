"""Aggregates in MongoDB: compare-and-set on ``version``, embedded outbox, idempotency.

One MongoDB document per aggregate holds its state and, in reserved fields,
- ``_outbox``: events written with the state, waiting to be published;
- ``_commands``: the id, request hash and first reply of every command that changed it,
  so a retried command returns the first reply instead of acting twice;
- ``_applied``: ids of the events whose effect is in this state, so a redelivered event
  changes nothing.
All three change in the same single-document update as the state: no transactions needed.

Writes to one aggregate are serialised inside a process (a lock per id), because FerretDB's
update-with-filter is a read then a write, not one atomic step; across processes MongoDB's
atomic compare-and-set on ``version`` decides, and the loser retries.
"""

from __future__ import annotations

import asyncio
import hashlib
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from govbus_contracts.base import Event
from govbus_contracts.envelope import Envelope, new_id
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.registry import EventSpec
from govbus_contracts.subjects import stream_name
from govbus_kit import faults
from govbus_kit.clock import Clock
from govbus_kit.context import current_message
from govbus_kit.logging import get_logger
from govbus_kit.outbox import OUTBOX, OutboxRelay

COMMANDS = "_commands"
APPLIED = "_applied"
META = (OUTBOX, COMMANDS, APPLIED)
MAX_CAS_RETRIES = 20
#: How many recent command ids (with their replies) and applied event ids an aggregate
#: remembers. Retries and redeliveries come within seconds or minutes; an unbounded list
#: would make every write of a busy aggregate rewrite an ever larger document.
REMEMBERED_COMMANDS = 200
REMEMBERED_EVENTS = 1000


class Aggregate(BaseModel):
    """Base of every aggregate: an id and the version every write compares and sets."""

    model_config = ConfigDict(validate_assignment=True)

    id: str
    version: int = 0


log = get_logger("govbus.repository")

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
class Outcome(Generic[A, R]):
    """What a decision produced: the new state (None: unchanged), events, and the reply."""

    state: A | None
    reply: R
    events: list[Emit] = field(default_factory=list)


Decide = Callable[[A | None], Outcome[A, R] | Awaitable[Outcome[A, R]]]

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
    ) -> None:
        self.collection = collection
        self.model = model
        self.service = service
        self.relay = relay
        self.clock = clock
        # Repositories reading one collection as different models pass the same locks, so
        # that writes to one aggregate stay serialised within the process whatever the model.
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary() if locks is None else locks)
        self.hooks = hooks if hooks is not None else CollectionHooks()

    # --- reading -------------------------------------------------------------------

    def from_document(self, doc: dict[str, Any]) -> A:
        data = {k: v for k, v in doc.items() if k not in META and k != "_id"}
        data["id"] = doc["_id"]
        return self.model.model_validate(data)

    async def get(self, aggregate_id: str) -> A | None:
        doc = await self.collection.find_one({"_id": aggregate_id}, {k: 0 for k in META})
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
        cursor = self.collection.find(filter, {k: 0 for k in META})
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

    async def execute(
        self,
        aggregate_id: str,
        decide: Decide[A, R],
        *,
        command_id: str | None = None,
        command_hash: str | None = None,
        applied_event_id: str | None = None,
    ) -> R | Any:
        """Load, decide, and write state with its events in one compare-and-set.

        Returns the decision's reply; for a command seen before, the first reply as stored
        (JSON); for an event applied before, ``None``.
        """
        lock = self._lock(aggregate_id)
        async with lock:
            for _ in range(MAX_CAS_RETRIES):
                doc = await self.collection.find_one({"_id": aggregate_id})
                if doc is not None:
                    if command_id is not None:
                        for seen in doc.get(COMMANDS, []):
                            if seen["id"] == command_id:
                                if command_hash and seen.get("hash") not in (None, command_hash):
                                    raise GovbusError(
                                        ErrorCode.idempotency_key_reused,
                                        "this command id was used before for a different request",
                                        command_id=command_id,
                                    )
                                return seen["reply"]
                    if applied_event_id is not None and applied_event_id in doc.get(APPLIED, []):
                        return None
                current = self.from_document(doc) if doc else None
                result = decide(current)
                outcome: Outcome[A, R] = await result if asyncio.iscoroutine(result) else result  # type: ignore[assignment]
                if outcome.state is None and not outcome.events:
                    return outcome.reply
                entries = [self._entry(aggregate_id, e) for e in outcome.events]
                if entries:  # before the write: the sweeper must know where to look
                    await self.relay.register(self.collection)
                written = await self._write(doc, aggregate_id, outcome, entries, command_id,
                                            command_hash, applied_event_id)
                if written:
                    faults.point("outbox.after_state_write")
                    if entries:
                        await self.relay.publish(self.collection, aggregate_id, entries)
                    return outcome.reply
            raise GovbusError(
                ErrorCode.conflict,
                f"{self.model.__name__} {aggregate_id} changed concurrently too often; try again",
                id=aggregate_id,
            )

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
        version = (doc or {}).get("version", 0)
        state = outcome.state
        fields: dict[str, Any] = (
            state.model_dump(mode="json", exclude={"id", "version"}) if state is not None else {}
        )
        fields["version"] = version + 1
        written_doc = {**{k: v for k, v in (doc or {}).items() if k not in META},
                       **fields, "_id": aggregate_id}
        for hook in self.hooks.before_write:
            await hook(aggregate_id, written_doc)
        # The ledgers are trimmed here, from the state just read, and written with $set under
        # the version check (FerretDB ignores $push's $slice). The outbox is $push-ed: the
        # relay removes published entries concurrently, outside the version check.
        if command_id is not None:
            reply = outcome.reply
            stored = reply.model_dump(mode="json") if isinstance(reply, BaseModel) else reply
            seen = [*(doc or {}).get(COMMANDS, []), {
                "id": command_id, "hash": command_hash, "reply": stored, "at": self.clock.now()}]
            fields[COMMANDS] = seen[-REMEMBERED_COMMANDS:]
        if applied_event_id is not None:
            applied = [*(doc or {}).get(APPLIED, []), applied_event_id]
            fields[APPLIED] = applied[-REMEMBERED_EVENTS:]
        if doc is None:
            new_doc: dict[str, Any] = {
                "_id": aggregate_id, COMMANDS: [], APPLIED: [], **fields, OUTBOX: entries}
            try:
                await self.collection.insert_one(new_doc)
            except DuplicateKeyError:
                return False  # created meanwhile by another process: decide again
        else:
            update: dict[str, Any] = {"$set": fields}
            if entries:
                update["$push"] = {OUTBOX: {"$each": entries}}
            result = await self.collection.update_one(
                {"_id": aggregate_id, "version": version}, update)
            if result.modified_count != 1:
                return False
        for hook in self.hooks.after_write:
            try:
                await hook(aggregate_id, written_doc)
            except Exception as exc:  # derived data: its own sweep catches up
                log.warning("after_write_hook_failed", collection=self.collection.name,
                            id=aggregate_id, error=repr(exc))
        return True

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
