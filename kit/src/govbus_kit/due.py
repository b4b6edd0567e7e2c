"""Deadline sweeps without scans: an index of due aggregates in small documents keyed by ``_id``.

A deadline sweep used to page through ``find({status, next_alert_on <= today})``; the local
FerretDB reads the whole collection for every such page, so the sweep's cost grew with every
record ever stored. Instead each swept collection keeps, in the collection ``_due``:

- a bucket per day an aggregate next needs the sweep, ``<collection>/due:<YYYY-MM-DD>/<shard>``,
  and per named set it belongs to (``<collection>/set:provisional/<shard>``), holding
  ``{ids: {<aggregate id>: {v: <version written>, at: <epoch seconds>}}}``; an aggregate's
  shard is a hash of its id, so that no bucket of a busy day or set grows without bound and
  no write rewrites a huge document;
- a head, ``<collection>/dates``, listing the days whose buckets may be non-empty, so that a
  sweep reads the buckets of the days up to today by ``_id`` and nothing else.

The service declares, per collection, what a stored document belongs to (:class:`Due`, a
small function of the document). A ``before_write`` hook of the collection puts every
aggregate being written into the buckets its new state belongs to, before the
compare-and-set, so membership exists whenever the state does. It never removes anything
and needs no old state: membership that went stale (the day moved, the request closed, a
crash between the hook and the write) is removed by the sweep when it reads the bucket and
the stored aggregate no longer belongs, with an update conditional on the entry being the
one it read, so a concurrent writer's fresh membership is never lost.

The sweep then applies the service's rule to each aggregate in its own compare-and-set, as
before: the rules and their deterministic fact ids are unchanged, so it stays safe with many
replicas and when run twice. Within a process the updates of one bucket are serialised (the
local server's update is a read then a write); across processes MongoDB's single-document
updates are atomic.

A database written before the index existed is indexed once at start-up by a scan, in the
background (off the request path), recorded as done in ``<collection>/backfilled``; the
sweeps of that collection wait for it.
"""

from __future__ import annotations

import asyncio
import time
import weakref
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from govbus_kit.clock import SystemClock, office_date
from govbus_kit.logging import get_logger
from govbus_kit.repository import META, Aggregate, AggregateRepository, Emit, Outcome

if TYPE_CHECKING:
    from pymongo.asynchronous.database import AsyncDatabase

    from govbus_kit.service import ServiceContext

log = get_logger("govbus.due")

DUE_COLLECTION = "_due"
SHARDS = 16
#: "At the next sweep": the day of an aggregate that is due whatever today is.
AT_ONCE = date.min
#: A membership written for a version the store does not have (yet) is a write in flight or
#: one that crashed between the hook and the compare-and-set. A write holds its aggregate's
#: lock for well under a second; after this long it crashed, and its membership goes.
IN_FLIGHT_SECONDS = 600.0

A = TypeVar("A", bound=Aggregate)
A_co = TypeVar("A_co", bound=Aggregate, covariant=True)


@dataclass(frozen=True)
class Due:
    """What a stored aggregate belongs to: the day the sweep must next look at it (None:
    no deadline to watch) and the named sets it is in (e.g. ``provisional``)."""

    on: date | None = None
    sets: frozenset[str] = field(default_factory=frozenset)


#: A service's declaration: what a stored document (as the repository writes it: ``_id``,
#: ``version`` and the state's fields in JSON form) belongs to.
Membership = Callable[[Mapping[str, Any]], Due]


class DueChange(Protocol[A_co]):
    """What a deadline rule returns when something is due: the new state and its facts."""

    @property
    def state(self) -> A_co: ...

    @property
    def events(self) -> list[Emit]: ...


Rule = Callable[[A], DueChange[A] | None]


def day(value: Any) -> date | None:
    """A stored ISO day (or a date) as a date; None stays None."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _escape(aggregate_id: str) -> str:
    # Ids become field names: no dots, no leading '$'.
    return aggregate_id.replace("%", "%25").replace(".", "%2E").replace("$", "%24")


def _unescape(key: str) -> str:
    return key.replace("%24", "$").replace("%2E", ".").replace("%25", "%")


def shard_of(aggregate_id: str, shards: int = SHARDS) -> int:
    return zlib.crc32(aggregate_id.encode()) % shards


def _date_key(on: date) -> str:
    return f"due:{on.isoformat()}"


def _set_key(name: str) -> str:
    return f"set:{name}"


@dataclass
class _Visit:
    """What one sweep did, for the caller and for the tests that count reads."""

    written: int = 0
    seen: set[str] = field(default_factory=set)


class DueIndex:
    """The due-date buckets and named sets of one collection."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]], collection: str,
                 membership: Membership, *, shards: int = SHARDS,
                 today: Callable[[], date] | None = None) -> None:
        self.db = db
        self.collection = collection
        self.membership = membership
        self.shards = shards
        self.today = today or (lambda: office_date(SystemClock().now()))
        #: Days this process put on the head that were then still in the future: no sweep
        #: takes a day off the head before it comes, so writes to it need not add it again.
        self._on_head: set[str] = set()
        self.buckets = db[DUE_COLLECTION]
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary())
        self._backfill: asyncio.Task[int] | None = None

    # --- ids ---------------------------------------------------------------------------

    def bucket_id(self, key: str, shard: int) -> str:
        return f"{self.collection}/{key}/{shard:02d}"

    @property
    def head_id(self) -> str:
        return f"{self.collection}/dates"

    @property
    def backfill_id(self) -> str:
        return f"{self.collection}/backfilled"

    def _lock(self, bucket_id: str) -> asyncio.Lock:
        lock = self._locks.get(bucket_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[bucket_id] = lock
        return lock

    # --- writing membership ------------------------------------------------------------

    async def before_write(self, aggregate_id: str, document: dict[str, Any]) -> None:
        """The collection's ``before_write`` hook: idempotent, adds, never removes."""
        await self.add(aggregate_id, int(document.get("version", 0)), self.membership(document))

    async def add(self, aggregate_id: str, version: int, due: Due) -> None:
        entry = {"v": version, "at": int(time.time())}
        shard = shard_of(aggregate_id, self.shards)
        path = f"ids.{_escape(aggregate_id)}"
        keys = [_set_key(name) for name in sorted(due.sets)]
        if due.on is not None:
            keys.insert(0, _date_key(due.on))
        for key in keys:
            bucket = self.bucket_id(key, shard)
            async with self._lock(bucket):
                await self.buckets.update_one({"_id": bucket}, {"$set": {path: entry}},
                                              upsert=True)
        if due.on is not None:
            iso = due.on.isoformat()
            # A day at least two days ahead (whatever the replicas' clocks say) cannot be
            # taken off the head meanwhile: once it is there, it stays until it comes.
            ahead = due.on > self.today() + timedelta(days=1)
            if ahead and iso in self._on_head:
                return
            # After the bucket: a sweep that drops an emptied day from the head looks at the
            # day's buckets again afterwards, so one of the two always sees this entry.
            async with self._lock(self.head_id):
                await self.buckets.update_one(
                    {"_id": self.head_id}, {"$addToSet": {"dates": iso}}, upsert=True)
            if ahead:
                self._on_head.add(iso)

    def install(self, ctx: ServiceContext) -> None:
        ctx.hooks(self.collection).before_write.append(self.before_write)

    # --- upgrade -----------------------------------------------------------------------

    def start_backfill(self) -> None:
        if self._backfill is None:
            self._backfill = asyncio.get_running_loop().create_task(self.backfill())

    async def ready(self) -> None:
        """Wait for the one-time backfill, if one is running (sweeps call this); one that
        failed (the store away at start-up) starts again here."""
        task = self._backfill
        if task is None:
            return
        if task.done() and (task.cancelled() or task.exception() is not None):
            log.warning("due_backfill_retried", collection=self.collection,
                        error=repr(None if task.cancelled() else task.exception()))
            self._backfill = None
            self.start_backfill()
            task = self._backfill
            assert task is not None
        await asyncio.shield(task)

    async def backfill(self) -> int:
        """Index a collection written before the index existed; once per database."""
        if await self.buckets.find_one({"_id": self.backfill_id}) is not None:
            return 0
        log.info("due_backfill_started", collection=self.collection)
        started = time.monotonic()
        indexed = 0
        # scan: one time per database, in the background at start-up (an upgrade from a
        # database written before the due index); recorded as done below, never repeated.
        cursor = self.db[self.collection].find({}, {k: 0 for k in META})
        async for doc in cursor:
            try:
                due = self.membership(doc)
            except Exception as exc:  # a record the declaration cannot read: skip it
                log.warning("due_backfill_unreadable", collection=self.collection,
                            id=doc.get("_id"), error=repr(exc))
                continue
            if due.on is not None or due.sets:
                await self.add(str(doc["_id"]), int(doc.get("version", 0)), due)
                indexed += 1
        await self.buckets.update_one(
            {"_id": self.backfill_id},
            {"$set": {"indexed": indexed, "at": int(time.time())}}, upsert=True)
        log.info("due_backfill_done", collection=self.collection, indexed=indexed,
                 seconds=round(time.monotonic() - started, 3))
        return indexed

    # --- sweeping ----------------------------------------------------------------------

    async def sweep_due(self, repo: AggregateRepository[A], rule: Rule[A], *, today: date,
                        what: str = "aggregate") -> int:
        """Apply ``rule`` (reminders, overdue notices, lapses) to every aggregate whose day
        is today or earlier; returns how many facts were written."""
        self._check(repo)
        await self.ready()
        head = await self.buckets.find_one({"_id": self.head_id})
        dates = sorted(d for d in (head or {}).get("dates", []) if d <= today.isoformat())
        visit = _Visit()

        def due_now(due: Due) -> bool:
            return due.on is not None and due.on <= today

        for iso in dates:
            key = _date_key(date.fromisoformat(iso))
            emptied = await self._sweep_key(repo, rule, key, due_now, visit, what)
            if emptied:
                await self._drop_day(iso, key)
        return visit.written

    async def sweep_set(self, repo: AggregateRepository[A], name: str, rule: Rule[A], *,
                        what: str = "aggregate") -> int:
        """Apply ``rule`` to every aggregate in the named set (e.g. recompute the
        provisional deadlines when the official calendar arrives)."""
        self._check(repo)
        await self.ready()
        visit = _Visit()
        await self._sweep_key(repo, rule, _set_key(name), lambda due: name in due.sets,
                              visit, what)
        return visit.written

    def _check(self, repo: AggregateRepository[Any]) -> None:
        if repo.collection.name != self.collection:
            raise ValueError(f"due index of {self.collection} swept with a repository of "
                             f"{repo.collection.name}")

    async def _sweep_key(self, repo: AggregateRepository[A], rule: Rule[A], key: str,
                         belongs: Callable[[Due], bool], visit: _Visit, what: str) -> bool:
        """Visit every shard of one day or set; True if all its buckets ended empty."""
        emptied = True
        for shard in range(self.shards):
            bucket_id = self.bucket_id(key, shard)
            bucket = await self.buckets.find_one({"_id": bucket_id})
            entries: dict[str, Any] = (bucket or {}).get("ids") or {}
            left = 0
            for escaped, entry in sorted(entries.items()):
                left += await self._visit(repo, rule, bucket_id, key, escaped, entry,
                                          belongs, visit, what)
            emptied = emptied and not left
            if bucket is not None and not left:
                # Only if still empty: a writer may have added meanwhile.
                async with self._lock(bucket_id):
                    await self.buckets.delete_one({"_id": bucket_id, "ids": {}})
        return emptied

    async def _visit(self, repo: AggregateRepository[A], rule: Rule[A], bucket_id: str,
                     key: str, escaped: str, entry: Mapping[str, Any],
                     belongs: Callable[[Due], bool], visit: _Visit, what: str) -> bool:
        """One aggregate of a bucket: apply the rule if it is due, drop the entry if it is
        stale; True if the entry stays."""
        aggregate_id = _unescape(escaped)
        version = int(entry.get("v", 0))
        doc = await repo.collection.find_one({"_id": aggregate_id}, {k: 0 for k in META})
        stored_version = int(doc.get("version", 0)) if doc else 0
        try:
            due = self.membership(doc) if doc else Due()
        except Exception as exc:
            log.warning("due_membership_unreadable", what=what, id=aggregate_id,
                        error=repr(exc))
            return True
        wrote = False
        if belongs(due) and aggregate_id not in visit.seen:
            visit.seen.add(aggregate_id)
            changed: list[bool] = []

            def decide(current: A | None) -> Outcome[A, int]:
                changed.clear()
                change = rule(current) if current is not None else None
                if change is None:
                    return Outcome(None, 0)
                changed.append(True)
                return Outcome(change.state, len(change.events), change.events)

            try:
                visit.written += await repo.execute(aggregate_id, decide)
                wrote = bool(changed)
            except Exception as exc:  # one unreadable record must not stop the others
                log.warning("deadline_sweep_failed", what=what, id=aggregate_id,
                            error=repr(exc))
                return True
        if not wrote and key in self._keys(due):
            return True  # it belongs here (and if due, was handled through this or another day)
        # Stale: the stored state is elsewhere (or the rule just moved it). A membership for a
        # version not stored yet is a write in flight: it stays until it is surely a crash.
        in_flight = version > stored_version and (
            time.time() - float(entry.get("at", 0)) < IN_FLIGHT_SECONDS)
        if in_flight and not wrote:
            return True
        return not await self._remove(bucket_id, escaped, entry)

    def _keys(self, due: Due) -> set[str]:
        keys = {_set_key(name) for name in due.sets}
        if due.on is not None:
            keys.add(_date_key(due.on))
        return keys

    async def _remove(self, bucket_id: str, escaped: str, entry: Mapping[str, Any]) -> bool:
        """Remove an entry only if it is still the one read: a writer that meanwhile put the
        aggregate here again (a newer version) keeps its membership."""
        path = f"ids.{escaped}"
        async with self._lock(bucket_id):
            result = await self.buckets.update_one(
                {"_id": bucket_id, f"{path}.v": entry.get("v"), f"{path}.at": entry.get("at")},
                {"$unset": {path: ""}})
        return result.modified_count == 1

    async def _drop_day(self, iso: str, key: str) -> None:
        """Take an emptied day off the head, then look again: a writer that added to the
        day meanwhile has (or will have) put it back, or is seen here and put back."""
        self._on_head.discard(iso)
        async with self._lock(self.head_id):
            await self.buckets.update_one({"_id": self.head_id}, {"$pull": {"dates": iso}})
        for shard in range(self.shards):
            bucket = await self.buckets.find_one({"_id": self.bucket_id(key, shard)})
            if bucket is not None and bucket.get("ids"):
                async with self._lock(self.head_id):
                    await self.buckets.update_one(
                        {"_id": self.head_id}, {"$addToSet": {"dates": iso}}, upsert=True)
                return


def track_due(ctx: ServiceContext, collection: str, membership: Membership) -> DueIndex:
    """Declare what the aggregates of ``collection`` are due for (call it in the service's
    start-up, before it takes messages): installs the write hook and starts the one-time
    backfill in the background."""
    index = DueIndex(ctx.db, collection, membership,
                     today=lambda: office_date(ctx.clock.now()))
    existing = ctx.state.setdefault(_STATE, {})
    if collection in existing:
        raise ValueError(f"due index of {collection} declared twice")
    existing[collection] = index
    index.install(ctx)
    index.start_backfill()
    return index


def due_index(ctx: ServiceContext, collection: str) -> DueIndex:
    found = ctx.state.get(_STATE, {}).get(collection)
    if not isinstance(found, DueIndex):
        raise LookupError(f"no due index declared for {collection} (track_due at start-up)")
    return found


_STATE = "govbus.due"


def any_of(*days: date | None) -> date | None:
    """The earliest of some days (None ignored): when an aggregate watches several."""
    return min((d for d in days if d is not None), default=None)
