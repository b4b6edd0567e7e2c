"""The embedded outbox and its relay.

Events are written into the aggregate's own document, in the same update as the state
change that caused them (``_outbox``). The relay publishes them at once with
``Nats-Msg-Id`` = event id and removes each after the stream has acknowledged it. A crash
or a broker outage between the steps leaves the entries in place; the sweeper finds them and
publishes them again. A republished event that the stream has seen within its
de-duplication window is dropped by JetStream; after that, idempotent consumers make it
harmless. No multi-document transaction is needed, so this runs on MongoDB and FerretDB alike.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from faststream.nats import NatsBroker
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from govbus_kit.bus import publish_entry
from govbus_kit.clock import Clock
from govbus_kit.logging import get_logger

log = get_logger("govbus.outbox")

Entry = dict[str, Any]
OUTBOX = "_outbox"
#: Which collections of a service's database hold aggregates with an outbox. Written before
#: the first event of a collection is, so that it survives the crash the sweeper is for.
REGISTRY = "_outbox_collections"


class OutboxRelay:
    def __init__(self, broker: NatsBroker, clock: Clock, *, grace_seconds: float = 2.0) -> None:
        self.broker = broker
        self.clock = clock
        self.grace = timedelta(seconds=grace_seconds)
        self.databases: list[AsyncDatabase[dict[str, Any]]] = []
        self._registered: set[tuple[str, str]] = set()

    def watch(self, database: AsyncDatabase[dict[str, Any]]) -> None:
        """Sweep the outbox collections of this (a service's own) database.

        Those named in its registry, not only those a repository has opened since start-up:
        after a crash the outbox that needs sweeping may belong to an aggregate nobody has
        touched yet. Collections without aggregates (search indexes, attachments) are not
        read: on a server without indexes every sweep would read them whole.
        """
        if all(d.name != database.name for d in self.databases):
            self.databases.append(database)

    async def register(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        """Record that ``collection`` holds outboxes; once per process and collection."""
        key = (collection.database.name, collection.name)
        if key in self._registered:
            return
        try:
            await collection.database[REGISTRY].update_one(
                {"_id": collection.name}, {"$set": {"_id": collection.name}}, upsert=True)
        except DuplicateKeyError:  # two writers upserted at once: it is registered
            pass
        self._registered.add(key)

    async def _outbox_collections(self, database: AsyncDatabase[dict[str, Any]]) -> list[str]:
        names = {doc["_id"] async for doc in database[REGISTRY].find({}, {"_id": 1})}
        names |= {name for db, name in self._registered if db == database.name}
        if not names:  # a database written before the registry existed: look everywhere
            names = {n for n in await database.list_collection_names()
                     if not n.startswith("system.") and n != REGISTRY}
        return sorted(names)

    async def publish(
        self, collection: AsyncCollection[dict[str, Any]], aggregate_id: Any, entries: list[Entry]
    ) -> int:
        """Publish entries in order; stop at the first failure (the sweeper goes on later)."""
        done = 0
        for entry in entries:
            try:
                await publish_entry(self.broker, entry)
            except Exception as exc:  # broker down, stream missing, timeout: retry later
                log.warning(
                    "outbox_publish_deferred", event_id=entry["id"], subject=entry["subject"],
                    error=repr(exc),
                )
                break
            # $pull by the whole entry: FerretDB cannot $pull by a condition on a field.
            await collection.update_one({"_id": aggregate_id}, {"$pull": {OUTBOX: entry}})
            done += 1
        return done

    async def sweep_once(self) -> int:
        """Publish what was left behind (after a crash, or while the broker was away)."""
        published = 0
        cutoff = self.clock.now() - self.grace
        for database in self.databases:
            for name in await self._outbox_collections(database):
                published += await self._sweep_collection(database[name], cutoff)
        if published:
            log.info("outbox_swept", published=published)
        return published

    async def _sweep_collection(
        self, collection: AsyncCollection[dict[str, Any]], cutoff: datetime
    ) -> int:
        published = 0
        cursor = collection.find({f"{OUTBOX}.0": {"$exists": True}}, {OUTBOX: 1})
        async for doc in cursor:
            entries = [e for e in doc.get(OUTBOX, []) if _written_at(e) <= cutoff]
            if entries:
                published += await self.publish(collection, doc["_id"], entries)
        return published

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
