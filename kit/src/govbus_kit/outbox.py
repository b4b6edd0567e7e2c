"""The embedded outbox, its relay, and the ``_touched`` markers the sweeper reads.

Events are written into the aggregate's own document, in the same update as the state
change that caused them (``_outbox``). The relay publishes them at once with
``Nats-Msg-Id`` = event id and removes them after the stream has acknowledged them. A crash
or a broker outage between the steps leaves the entries in place; the sweeper finds them and
publishes them again. A republished event that the stream has seen within its
de-duplication window is dropped by JetStream; after that, idempotent consumers make it
harmless. No multi-document transaction is needed, so this runs on MongoDB and FerretDB alike.

How the sweeper finds them without scanning: before every state write the repository
upserts a marker in the database's ``_touched`` collection,
``{_id: "<collection>/<aggregate>", collection, aggregate, at, version}``, so a marker
exists whenever the write does. The sweeper reads ``_touched`` whole (it holds only what
was written in the last minutes), reads each marked aggregate by ``_id``, publishes what it
left behind, and deletes the marker once the outbox is empty and the marker older than
``touched_retention`` (other readers, such as list projections, follow the markers too).
A sweep therefore costs what was written recently, not what is stored.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from datetime import datetime, timedelta
from typing import Any

from faststream.nats import NatsBroker
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from govbus_kit import faults
from govbus_kit.bus import publish_entry
from govbus_kit.clock import Clock
from govbus_kit.ledgers import Ledgers
from govbus_kit.logging import get_logger

log = get_logger("govbus.outbox")

Entry = dict[str, Any]
Locks = weakref.WeakValueDictionary[str, asyncio.Lock]
OUTBOX = "_outbox"
TOUCHED = "_touched"
#: Written by earlier versions: which collections hold outboxes. Read only by the one-time
#: migration that creates markers for a database written before markers existed.
REGISTRY = "_outbox_collections"
MIGRATIONS = "_migrations"
MARKERS_MIGRATION = "touched_markers"
#: How often the expired ledger periods are looked for (a listing of collection names).
EXPIRE_EVERY_SECONDS = 3600.0


def marker_id(collection: str, aggregate_id: str) -> str:
    return f"{collection}/{aggregate_id}"


class OutboxRelay:
    def __init__(self, broker: NatsBroker, clock: Clock, *, grace_seconds: float = 2.0,
                 touched_retention_seconds: float = 120.0,
                 ledgers: Ledgers | None = None) -> None:
        self.broker = broker
        self.clock = clock
        self.grace = timedelta(seconds=grace_seconds)
        self.touched_retention = timedelta(seconds=touched_retention_seconds)
        self.ledgers = ledgers if ledgers is not None else Ledgers()
        self.databases: list[AsyncDatabase[dict[str, Any]]] = []
        # Per-aggregate locks of every collection, shared with the repositories so that the
        # sweeper's conditional delete of a marker (a read then a write on FerretDB) never
        # interleaves with this process's own upsert of it.
        self._locks: dict[tuple[str, str], Locks] = {}
        # Markers seen with an empty outbox at their version: not read again until they are
        # old enough to delete (a later write would have changed the marker's version).
        self._clean: dict[tuple[str, str], int] = {}
        self._migrated: set[str] = set()
        self._expired_at: dict[str, float] = {}

    def watch(self, database: AsyncDatabase[dict[str, Any]]) -> None:
        """Sweep the outboxes of this (a service's own) database, through its markers."""
        if all(d.name != database.name for d in self.databases):
            self.databases.append(database)

    def locks(self, collection: AsyncCollection[dict[str, Any]],
              default: Locks | None = None) -> Locks:
        """The per-aggregate locks of ``collection`` (the first registered wins)."""
        key = (collection.database.name, collection.name)
        found = self._locks.get(key)
        if found is None:
            found = default if default is not None else weakref.WeakValueDictionary()
            self._locks[key] = found
        return found

    def _lock(self, database: str, collection: str, aggregate_id: str) -> asyncio.Lock:
        locks = self._locks.setdefault((database, collection), weakref.WeakValueDictionary())
        lock = locks.get(aggregate_id)
        if lock is None:
            lock = asyncio.Lock()
            locks[aggregate_id] = lock
        return lock

    async def touch(self, collection: AsyncCollection[dict[str, Any]], aggregate_id: str,
                    version: int) -> None:
        """Upsert the aggregate's marker; the repository calls it, in the aggregate's lock,
        before every state write (so the marker exists whenever the write does)."""
        markers = collection.database[TOUCHED]
        update = {"$set": {"collection": collection.name, "aggregate": aggregate_id,
                           "at": self.clock.now(), "version": version}}
        try:
            await markers.update_one({"_id": marker_id(collection.name, aggregate_id)},
                                     update, upsert=True)
        except DuplicateKeyError:  # another process created it at that instant: set ours
            await markers.update_one({"_id": marker_id(collection.name, aggregate_id)}, update)

    async def _mark_if_missing(self, collection: AsyncCollection[dict[str, Any]],
                               aggregate_id: str, version: int) -> None:
        fields = {"collection": collection.name, "aggregate": aggregate_id,
                  "at": self.clock.now(), "version": version}
        try:
            await collection.database[TOUCHED].update_one(
                {"_id": marker_id(collection.name, aggregate_id)}, {"$setOnInsert": fields},
                upsert=True)
        except DuplicateKeyError:  # a writer set it meanwhile: that one stands
            pass

    async def publish(
        self, collection: AsyncCollection[dict[str, Any]], aggregate_id: Any, entries: list[Entry]
    ) -> int:
        """Publish entries in order; stop at the first failure (the sweeper goes on later).
        The published ones leave the outbox in one update."""
        done: list[Entry] = []
        for entry in entries:
            try:
                await publish_entry(self.broker, entry)
            except Exception as exc:  # broker down, stream missing, timeout: retry later
                log.warning(
                    "outbox_publish_deferred", event_id=entry["id"], subject=entry["subject"],
                    error=repr(exc),
                )
                break
            done.append(entry)
        if done:
            faults.point("outbox.after_publish")
            # $pullAll by the whole entries: FerretDB cannot $pull by a condition on a field.
            await collection.update_one({"_id": aggregate_id}, {"$pullAll": {OUTBOX: done}})
        return len(done)

    async def sweep_once(self) -> int:
        """Publish what was left behind (after a crash, or while the broker was away)."""
        published = 0
        for database in self.databases:
            await self._migrate(database)
            await self._expire(database)
            now = self.clock.now()
            markers = [m async for m in database[TOUCHED].find({})]
            # Forget what another replica deleted meanwhile.
            alive = {(database.name, str(m["_id"])) for m in markers}
            for key in [k for k in self._clean if k[0] == database.name and k not in alive]:
                del self._clean[key]
            for marker in markers:
                try:
                    published += await self._sweep_marker(database, marker, now)
                except Exception as exc:  # one bad marker must not stop the others
                    log.warning("outbox_marker_sweep_failed", marker=marker.get("_id"),
                                error=repr(exc))
        if published:
            log.info("outbox_swept", published=published)
        return published

    async def _sweep_marker(self, database: AsyncDatabase[dict[str, Any]],
                            marker: dict[str, Any], now: datetime) -> int:
        at: datetime = marker["at"]
        if at > now - self.grace:
            return 0  # its writer is still publishing
        key = (database.name, str(marker["_id"]))
        expired = at <= now - self.touched_retention
        if not expired and self._clean.get(key) == marker.get("version"):
            return 0
        collection = database[marker["collection"]]
        aggregate_id = marker["aggregate"]
        doc = await collection.find_one({"_id": aggregate_id}, {OUTBOX: 1, "version": 1})
        entries: list[Entry] = list((doc or {}).get(OUTBOX) or [])
        cutoff = now - self.grace
        due = [e for e in entries if _written_at(e) <= cutoff]
        published = await self.publish(collection, aggregate_id, due) if due else 0
        if published < len(entries):
            return published  # some still waiting: the marker stays
        if not expired:
            if doc is not None and doc.get("version") == marker.get("version"):
                self._clean[key] = int(marker["version"])
            return published
        async with self._lock(database.name, collection.name, aggregate_id):
            faults.point("outbox.before_marker_delete")
            # On `at` too: a writer that set the marker again meanwhile keeps it. Atomic on
            # MongoDB; on FerretDB a read then a write, which the lock guards within this
            # process (and FerretDB serves one replica only: deploy/README.md).
            await database[TOUCHED].delete_one({"_id": marker["_id"], "at": at})
        self._clean.pop(key, None)
        return published

    async def _migrate(self, database: AsyncDatabase[dict[str, Any]]) -> None:
        """Once per database: markers for the pending outboxes an earlier version wrote
        without them. A scan, the only one, off the request path (the sweeper's task)."""
        if database.name in self._migrated:
            return
        if await database[MIGRATIONS].find_one({"_id": MARKERS_MIGRATION}) is None:
            started = time.monotonic()
            log.info("outbox_marker_migration_scan", database=database.name,
                     note="one-time scan of the aggregates for pending outboxes")
            names = [d["_id"] async for d in database[REGISTRY].find({}, {"_id": 1})]
            if not names:  # older still: no registry, look at every collection
                names = [n for n in await database.list_collection_names()
                         if not n.startswith(("system.", "_"))]
            marked = 0
            for name in sorted(names):
                async for doc in database[name].find({f"{OUTBOX}.0": {"$exists": True}},
                                                     {"_id": 1, "version": 1, OUTBOX: 1}):
                    if not all(isinstance(e, dict) and {"id", "subject", "stream"} <= e.keys()
                               for e in doc[OUTBOX]):
                        continue  # not an aggregate's outbox (a search index's field, say)
                    await self._mark_if_missing(database[name], doc["_id"],
                                                int(doc.get("version") or 0))
                    marked += 1
            try:
                await database[MIGRATIONS].insert_one(
                    {"_id": MARKERS_MIGRATION, "at": self.clock.now(), "marked": marked})
            except DuplicateKeyError:  # another replica ran it too: the same markers
                pass
            log.info("outbox_marker_migration_done", database=database.name, marked=marked,
                     seconds=round(time.monotonic() - started, 3))
        self._migrated.add(database.name)

    async def _expire(self, database: AsyncDatabase[dict[str, Any]]) -> None:
        last = self._expired_at.get(database.name)
        if last is not None and time.monotonic() - last < EXPIRE_EVERY_SECONDS:
            return
        self._expired_at[database.name] = time.monotonic()
        await self.ledgers.expire(database, self.clock.now())

    async def run_sweeper(self, interval: float, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.sweep_once()
            except Exception as exc:  # never let the sweeper die: it is the safety net
                log.warning("outbox_sweep_failed", error=repr(exc))
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval)
            except TimeoutError:
                pass


def _written_at(entry: Entry) -> datetime:
    value = entry["at"]
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)
