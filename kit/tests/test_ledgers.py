"""Idempotency ledgers beside the aggregates, ``_touched`` markers and the outbox sweep
through them, against the real MongoDB-compatible server."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest
from pymongo import AsyncMongoClient, monitoring

from govbus_contracts import Event, ServiceContract
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_kit.bus import make_broker, stop_broker
from govbus_kit.clock import SystemClock
from govbus_kit.ledgers import Ledger, Ledgers
from govbus_kit.outbox import OutboxRelay
from govbus_kit.repository import Aggregate, AggregateRepository, Emit, Outcome
from govbus_kit.streams import sync_streams

CONTRACT = ServiceContract("ledgertest")


class Counted(Event):
    n: int


COUNTED = CONTRACT.event("counter", "counted", Counted)


class Counter(Aggregate):
    n: int = 0


class BrokerDown:
    """Publishing fails: entries stay in the outbox, as while NATS is away."""

    async def publish(self, *args, **kwargs):
        raise ConnectionError("broker away")


class Commands(monitoring.CommandListener):
    """Counts the store commands a client sends (its round trips)."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.names.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
async def db(scratch_db):
    return scratch_db


def repo_on(database, relay=None) -> AggregateRepository[Counter]:
    relay = relay or OutboxRelay(BrokerDown(), SystemClock())  # type: ignore[arg-type]
    return AggregateRepository(database["counters"], Counter, service="ledgertest",
                               relay=relay, clock=SystemClock())


def bump(name: str, by: int = 1, events: bool = True):
    def decide(agg: Counter | None) -> Outcome[Counter, int]:
        current = agg or Counter(id=name)
        n = current.n + by
        return Outcome(current.model_copy(update={"n": n}), n,
                       [Emit(COUNTED, Counted(n=n))] if events else [])
    return decide


async def test_a_retried_command_gets_its_first_reply_however_many_came_between(db):
    r = repo_on(db)
    await r.execute("a", bump("a", events=False), command_id="first", command_hash="h1")
    for i in range(250):
        await r.execute("a", bump("a", events=False), command_id=f"c{i}", command_hash="h")
    assert await r.execute("a", bump("a"), command_id="first", command_hash="h1") == 1
    assert await r.execute("a", bump("a"), command_id="c249", command_hash="h") == 251
    with pytest.raises(GovbusError) as reused:
        await r.execute("a", bump("a"), command_id="first", command_hash="other")
    assert reused.value.code is ErrorCode.idempotency_key_reused
    with pytest.raises(GovbusError) as reused_last:
        await r.execute("a", bump("a"), command_id="c249", command_hash="other")
    assert reused_last.value.code is ErrorCode.idempotency_key_reused
    doc = await db["counters"].find_one({"_id": "a"})
    # The aggregate carries its own last record only; the history is in the ledger.
    assert (doc["n"], doc["version"]) == (251, 251)
    assert doc["_last"]["command"]["id"] == "c249"
    assert "_commands" not in doc and "_applied" not in doc


async def test_a_command_id_is_remembered_per_aggregate(db):
    """One command may act on several aggregates (a register's serial, then the document)."""
    r = repo_on(db)
    assert await r.execute("reg", bump("reg"), command_id="k", command_hash="h") == 1
    assert await r.execute("doc", bump("doc", 5), command_id="k", command_hash="h") == 5
    assert await r.execute("reg", bump("reg"), command_id="k", command_hash="h") == 1
    assert await r.execute("doc", bump("doc", 5), command_id="k", command_hash="h") == 5


async def test_a_redelivered_event_applies_once_however_many_came_between(db):
    r = repo_on(db)
    await r.execute("e", bump("e", events=False), applied_event_id="ev-first")
    for i in range(120):
        await r.execute("e", bump("e", events=False), applied_event_id=f"ev{i}")
    assert await r.execute("e", bump("e"), applied_event_id="ev-first") is None
    assert await r.execute("e", bump("e"), applied_event_id="ev119") is None
    assert (await r.get("e")).n == 121  # type: ignore[union-attr]


async def test_a_write_without_a_record_moves_the_last_one_to_the_ledger(db):
    """A deadline sweep writes without a command: the previous record must survive it."""
    r = repo_on(db)
    await r.execute("s", bump("s"), command_id="cmd", command_hash="h")
    await r.execute("s", bump("s"))
    doc = await db["counters"].find_one({"_id": "s"})
    assert "_last" not in doc
    assert await r.execute("s", bump("s"), command_id="cmd", command_hash="h") == 1


async def test_a_document_written_by_the_earlier_version_keeps_its_guarantees(db):
    r = repo_on(db)
    await db["counters"].insert_one({
        "_id": "old", "n": 3, "version": 3, "_outbox": [],
        "_commands": [{"id": f"older-{i}", "hash": "h", "reply": 0,
                       "at": datetime.now(UTC) - timedelta(minutes=6)} for i in range(199)]
        + [{"id": "old-cmd", "hash": "h", "reply": 3,
            "at": datetime.now(UTC) - timedelta(minutes=5)}],
        "_applied": [f"older-event-{i}" for i in range(999)] + ["old-event"]})
    # Read from the arrays while they are there...
    assert await r.execute("old", bump("old"), command_id="old-cmd", command_hash="h") == 3
    assert await r.execute("old", bump("old"), applied_event_id="old-event") is None
    # ...and from the ledger once the next write has removed them.
    assert await r.execute("old", bump("old"), command_id="new-cmd", command_hash="h") == 4
    doc = await db["counters"].find_one({"_id": "old"})
    assert "_commands" not in doc and "_applied" not in doc
    assert await r.execute("old", bump("old"), command_id="old-cmd", command_hash="h") == 3
    assert await r.execute("old", bump("old"), applied_event_id="old-event") is None
    assert await r.execute("old", bump("old"), command_id="older-0", command_hash="h") == 0
    assert await r.execute("old", bump("old"), applied_event_id="older-event-0") is None
    with pytest.raises(GovbusError) as reused:
        await r.execute("old", bump("old"), command_id="old-cmd", command_hash="other")
    assert reused.value.code is ErrorCode.idempotency_key_reused
    assert (await r.get("old")).n == 4  # type: ignore[union-attr]


async def test_expired_ledger_periods_are_dropped_whole(db):
    relay = OutboxRelay(BrokerDown(), SystemClock(),  # type: ignore[arg-type]
                        ledgers=Ledgers(Ledger("_commands", timedelta(seconds=1)),
                                        Ledger("_applied", timedelta(seconds=1))))
    r = repo_on(db, relay)
    await r.execute("x", bump("x"), command_id="c1", command_hash="h")
    await r.execute("x", bump("x"), command_id="c2", command_hash="h")  # copies c1
    periods = [n for n in await db.list_collection_names() if n.startswith("_commands_")]
    assert len(periods) == 1
    await asyncio.sleep(2.2)
    assert await relay.ledgers.expire(db, datetime.now(UTC)) == periods
    assert [n for n in await db.list_collection_names() if n.startswith("_commands_")] == []
    # Past its retention c1 is forgotten; the last record rides with the aggregate.
    assert await r.execute("x", bump("x"), command_id="c2", command_hash="h") == 2


async def test_every_write_sets_the_marker_with_the_version_it_writes(db):
    r = repo_on(db)
    before = datetime.now(UTC) - timedelta(seconds=1)
    await r.execute("m", bump("m"))
    await r.execute("m", bump("m", events=False))
    marker = await db["_touched"].find_one({"_id": "counters/m"})
    assert (marker["collection"], marker["aggregate"], marker["version"]) == ("counters", "m", 2)
    assert marker["at"].replace(tzinfo=UTC) >= before


async def _pending(db, name: str) -> list:
    return (await db["counters"].find_one({"_id": name}))["_outbox"]


async def test_the_sweeper_keeps_a_marker_while_its_outbox_waits_and_deletes_it_after(
        settings, nats_js, db):
    await sync_streams(nats_js, [CONTRACT], settings)
    down = OutboxRelay(BrokerDown(), SystemClock(), grace_seconds=0,  # type: ignore[arg-type]
                       touched_retention_seconds=0.5)
    down.watch(db)
    r = repo_on(db, down)
    await r.execute("p", bump("p"))
    await asyncio.sleep(0.6)
    assert await down.sweep_once() == 0  # broker away: the entry and the marker stay
    assert len(await _pending(db, "p")) == 1
    assert await db["_touched"].find_one({"_id": "counters/p"}) is not None

    broker = make_broker(settings)
    await broker.start()
    try:
        relay = OutboxRelay(broker, SystemClock(), grace_seconds=0,
                            touched_retention_seconds=0.5)
        relay.watch(db)
        assert await relay.sweep_once() == 1
        assert await _pending(db, "p") == []
        assert await db["_touched"].find_one({"_id": "counters/p"}) is None
    finally:
        await stop_broker(broker)


async def test_a_marker_set_again_by_a_writer_is_not_deleted(db):
    relay = OutboxRelay(BrokerDown(), SystemClock(), grace_seconds=0,  # type: ignore[arg-type]
                        touched_retention_seconds=0.5)
    relay.watch(db)
    r = repo_on(db, relay)
    await r.execute("w", bump("w", events=False))
    await asyncio.sleep(0.6)
    old = await db["_touched"].find_one({"_id": "counters/w"})
    await r.execute("w", bump("w", events=False))  # the marker is set again meanwhile
    await relay._sweep_marker(db, old, datetime.now(UTC))  # the sweep that read it before
    marker = await db["_touched"].find_one({"_id": "counters/w"})
    assert marker is not None and marker["version"] == 2


async def test_a_database_written_without_markers_is_scanned_once_at_start(
        settings, nats_js, db):
    await sync_streams(nats_js, [CONTRACT], settings)
    r = repo_on(db)
    await r.execute("legacy", bump("legacy"))
    await db["_touched"].delete_many({})  # as the earlier version left it: no markers
    broker = make_broker(settings)
    await broker.start()
    try:
        relay = OutboxRelay(broker, SystemClock(), grace_seconds=0)
        relay.watch(db)
        await relay.sweep_once()  # the migration marks it (grace: published on the next)
        marker = await db["_touched"].find_one({"_id": "counters/legacy"})
        assert marker is not None and marker["version"] == 1
        assert (await db["_migrations"].find_one({"_id": "touched_markers"}))["marked"] == 1
        await asyncio.sleep(0.1)
        await relay.sweep_once()
        assert await _pending(db, "legacy") == []
    finally:
        await stop_broker(broker)


async def test_a_sweep_costs_what_was_written_recently_not_what_is_stored(settings, db):
    """10 pending among 1 000 aggregates, then among 20 000: the same store commands."""
    listener = Commands()
    watched = AsyncMongoClient(settings.mongo_url, tz_aware=True, event_listeners=[listener])
    try:
        relay = OutboxRelay(BrokerDown(), SystemClock(), grace_seconds=0)  # type: ignore[arg-type]
        relay.watch(watched[db.name])
        r = repo_on(db)
        costs: dict[int, tuple[int, float]] = {}
        stored = 0
        for size in (1_000, 20_000):
            await _fill(db, stored, size)
            stored = size
            for i in range(10):
                await r.execute(f"pending-{size}-{i}", bump(f"pending-{size}-{i}"))
            await relay.sweep_once()  # migration and expiry: once, before the measure
            listener.names.clear()
            started = time.perf_counter()
            await relay.sweep_once()
            costs[size] = (len(listener.names), time.perf_counter() - started)
            await db["_touched"].delete_many({})  # the next size's 10 pending only
        print(f"\noutbox sweep, 10 pending: {costs[1_000][0]} store commands "
              f"{costs[1_000][1] * 1000:.1f} ms at 1 000 aggregates, {costs[20_000][0]} "
              f"{costs[20_000][1] * 1000:.1f} ms at 20 000; "
              f"ratio {costs[20_000][1] / costs[1_000][1]:.2f}")
        assert costs[1_000][0] == costs[20_000][0] == 1 + 10  # the markers, then 10 by _id
    finally:
        await watched.close()


async def _fill(db, start: int, end: int) -> None:
    """Aggregates written directly, shaped as the repository writes them (no markers:
    written long ago)."""
    batch = []
    for i in range(start, end):
        batch.append({"_id": f"filler-{i:06d}", "n": 1, "version": 1, "_outbox": [],
                      "_last": {"command": {"id": f"c{i}", "hash": "h", "reply": 1,
                                            "at": datetime.now(UTC)}}})
        if len(batch) == 1000:
            await db["counters"].insert_many(batch)
            batch = []
    if batch:
        await db["counters"].insert_many(batch)


async def test_round_trips_of_one_command(settings, db):
    """The store commands of a command on an existing aggregate, printed for the record."""
    listener = Commands()
    watched = AsyncMongoClient(settings.mongo_url, tz_aware=True, event_listeners=[listener])
    try:
        r = repo_on(watched[db.name])
        await r.execute("rt", bump("rt"), command_id="rt-0", command_hash="h")
        listener.names.clear()
        await r.execute("rt", bump("rt"), command_id="rt-1", command_hash="h")
        print(f"\none command (one event, broker away): {len(listener.names)} store commands:"
              f" {listener.names}")
        # Reads: the aggregate and the ledger's two periods, at once. Writes: the marker and
        # the previous record's copy, at once; the compare-and-set.
        assert sorted(listener.names) == sorted(
            ["find", "find", "find", "update", "update", "update"])
    finally:
        await watched.close()
