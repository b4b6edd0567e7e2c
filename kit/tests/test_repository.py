"""The aggregate repository against the real MongoDB-compatible server."""

from __future__ import annotations

import asyncio
import json
import uuid

from govbus_contracts import Event, ServiceContract
from govbus_kit.bus import make_broker, stop_broker
from govbus_kit.clock import SystemClock
from govbus_kit.outbox import OutboxRelay
from govbus_kit.repository import Aggregate, AggregateRepository, Emit, Outcome
from govbus_kit.store import make_client
from govbus_kit.streams import sync_streams

CONTRACT = ServiceContract("repotest")


class Counted(Event):
    n: int


COUNTED = CONTRACT.event("counter", "counted", Counted)


class Counter(Aggregate):
    n: int = 0


class BrokerDown:
    """The relay's broker for these tests: publishing fails, so entries stay in the outbox
    (what happens while NATS is away); the outbox itself is what is under test here."""

    async def publish(self, *args, **kwargs):
        raise ConnectionError("broker away")


async def repo(settings):
    client = make_client(settings.mongo_url)
    relay = OutboxRelay(BrokerDown(), SystemClock())  # type: ignore[arg-type]
    r = AggregateRepository(client["govbus_repotest"]["counters"], Counter, service="repotest",
                            relay=relay, clock=SystemClock())
    return client, r


def bump(agg: Counter | None, name: str) -> Outcome[Counter, int]:
    current = agg or Counter(id=name)
    return Outcome(current.model_copy(update={"n": current.n + 1}), current.n + 1,
                   [Emit(COUNTED, Counted(n=current.n + 1))])


async def test_one_process_serialises_writes_to_one_aggregate(settings):
    client, r = await repo(settings)
    name = f"serial-{uuid.uuid4().hex[:6]}"
    results = await asyncio.gather(*(r.execute(name, lambda a: bump(a, name)) for _ in range(25)))
    got = await r.get(name)
    await client.close()
    assert sorted(results) == list(range(1, 26))
    assert got is not None and (got.n, got.version) == (25, 25)



async def test_the_sweeper_finds_a_straggler_through_its_marker_and_reads_nothing_else(
        settings, nats_js):
    await sync_streams(nats_js, [CONTRACT], settings)
    client = make_client(settings.mongo_url)
    db = client[f"govbus_sweeptest_{uuid.uuid4().hex[:6]}"]
    down = OutboxRelay(BrokerDown(), SystemClock(), grace_seconds=0)  # type: ignore[arg-type]
    r = AggregateRepository(db["counters"], Counter, service="repotest", relay=down,
                            clock=SystemClock())
    name = f"swept-{uuid.uuid4().hex[:6]}"
    await r.execute(name, lambda a: bump(a, name))
    marker = await db["_touched"].find_one({"_id": f"counters/{name}"})
    assert (marker["collection"], marker["aggregate"], marker["version"]) == (
        "counters", name, 1)
    # A collection that is not an aggregate's (a search index, say) is never read, even if
    # something in it looks like an outbox.
    await db["search_index"].insert_one({"_id": "x", "_outbox": [{"id": "not-an-event"}]})

    # A new process (nothing in memory) finds the aggregate through its marker and
    # publishes the straggler to the real stream.
    broker = make_broker(settings)
    await broker.start()
    relay = OutboxRelay(broker, SystemClock(), grace_seconds=0)
    relay.watch(db)
    try:
        assert await relay.sweep_once() == 1
        assert (await db["counters"].find_one({"_id": name}))["_outbox"] == []
        last = await nats_js.get_last_msg("GOV_REPOTEST", COUNTED.subject)
        assert json.loads(last.data) == {"n": 1}
        assert (await db["search_index"].find_one({"_id": "x"}))["_outbox"] != []
        assert await db["_touched"].find_one({"_id": "search_index/x"}) is None
    finally:
        await stop_broker(broker)
        await client.drop_database(db.name)
        await client.close()
