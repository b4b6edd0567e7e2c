"""Idempotency ledgers kept beside the aggregates, in collections per period.

A retried command must get its first reply, a redelivered event must change nothing. The
records that make this so (command id, request hash and reply; applied event id) used to
ride in the aggregate document as arrays, rewritten by every write: a busy aggregate became
a 100 KB document that every command read and wrote again. Now one write carries only its
own record, in the one-entry field ``_last`` of the same compare-and-set as the state, and
the next writer of that aggregate copies it here before replacing it (see repository.py).

Records live in collections per period, ``_commands_<start>`` and ``_applied_<start>``,
keyed by ``_id`` = ``<collection>/<aggregate>/<command or event id>``: a lookup reads the
current and the previous period by ``_id`` (two index hits, whatever their size), and a
period past its retention is dropped whole. FerretDB has no TTL index, and deleting old
records by a filter would scan; dropping a collection does not.

A record is kept at least its retention (one period) and less than two periods.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ReplaceOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from govbus_kit.logging import get_logger

log = get_logger("govbus.ledgers")

COMMANDS = "_commands"
APPLIED = "_applied"
_DAY = 86_400
_NAME_FORMATS = ("%Y%m%d", "%Y%m%dT%H%M%S")


def ledger_key(collection: str, aggregate_id: str, entry_id: str) -> str:
    """``<collection>/<aggregate>/<id>``, unambiguous: the aggregate id's ``%`` and ``/`` are
    escaped (collection names have no ``/``, and the entry id is last)."""
    escaped = aggregate_id.replace("%", "%25").replace("/", "%2F")
    return f"{collection}/{escaped}/{entry_id}"


@dataclass(frozen=True)
class Ledger:
    """One kind of record (commands or applied events) and how long it is kept."""

    prefix: str
    retention: timedelta

    @property
    def _seconds(self) -> int:
        return max(1, int(self.retention.total_seconds()))

    def period_start(self, at: datetime) -> int:
        """Epoch second at which the period holding ``at`` began."""
        return int(at.timestamp()) // self._seconds * self._seconds

    def name(self, start: int) -> str:
        fmt = _NAME_FORMATS[0] if self._seconds % _DAY == 0 else _NAME_FORMATS[1]
        return f"{self.prefix}_{datetime.fromtimestamp(start, UTC).strftime(fmt)}"

    def current(self, now: datetime) -> str:
        return self.name(self.period_start(now))

    def readable(self, now: datetime) -> tuple[str, str]:
        """The collections a lookup reads: this period's and the previous one's."""
        start = self.period_start(now)
        return self.name(start), self.name(start - self._seconds)

    def start_of(self, name: str) -> int | None:
        """The period start a collection name of this ledger stands for (None: not ours)."""
        if not name.startswith(self.prefix + "_"):
            return None
        stamp = name[len(self.prefix) + 1:]
        for fmt in _NAME_FORMATS:
            try:
                return int(datetime.strptime(stamp, fmt).replace(tzinfo=UTC).timestamp())
            except ValueError:
                continue
        return None


@dataclass(frozen=True)
class Ledgers:
    """The commands' and the applied events' ledgers of every service database.

    Commands are retried within seconds or minutes (a client's timeout, a gateway's retry),
    so days are plenty. Applied events are kept longer: a dead letter may be replayed by an
    operator days after its first tries, and its first delivery may have applied already.
    """

    commands: Ledger = Ledger(COMMANDS, timedelta(days=7))
    applied: Ledger = Ledger(APPLIED, timedelta(days=30))

    async def find(self, db: AsyncDatabase[dict[str, Any]], ledger: Ledger, key: str,
                   now: datetime) -> dict[str, Any] | None:
        """The record under ``key`` in the current or the previous period (both read at
        once, each by ``_id``)."""
        found = await asyncio.gather(*(db[name].find_one({"_id": key})
                                       for name in ledger.readable(now)))
        return next((doc for doc in found if doc is not None), None)

    async def keep(self, db: AsyncDatabase[dict[str, Any]], ledger: Ledger,
                   records: list[dict[str, Any]], now: datetime) -> None:
        """Store records (each with its ``_id``) in the current period; idempotent, since a
        writer that loses its compare-and-set copies again."""
        target = db[ledger.current(now)]
        if len(records) == 1:
            try:
                await target.replace_one({"_id": records[0]["_id"]}, records[0], upsert=True)
            except DuplicateKeyError:  # two writers copied it at once: it is stored
                pass
        elif records:  # an earlier version's arrays: one round trip for them all
            try:
                await target.bulk_write([ReplaceOne({"_id": r["_id"]}, r, upsert=True)
                                         for r in records], ordered=False)
            except BulkWriteError as exc:
                if any(e.get("code") != 11000 for e in exc.details.get("writeErrors", [])):
                    raise

    async def expire(self, db: AsyncDatabase[dict[str, Any]], now: datetime) -> list[str]:
        """Drop the periods no lookup reads any more (older than the previous period)."""
        dropped = []
        names = await db.list_collection_names()
        for ledger in (self.commands, self.applied):
            oldest_read = ledger.period_start(now) - ledger._seconds
            for name in names:
                start = ledger.start_of(name)
                if start is not None and start < oldest_read:
                    await db.drop_collection(name)
                    dropped.append(name)
        if dropped:
            log.info("ledger_periods_dropped", database=db.name, collections=dropped)
        return dropped
