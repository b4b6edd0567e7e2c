"""The aggregate repository against the real MongoDB-compatible server."""

from __future__ import annotations

import asyncio
import json
import uuid

from govbus_contracts import Event, ServiceContract
from govbus_kit import repository
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


async def test_remembered_commands_and_events_are_bounded(settings, monkeypatch):
    monkeypatch.setattr(repository, "REMEMBERED_COMMANDS", 3)
    monkeypatch.setattr(repository, "REMEMBERED_EVENTS", 2)
    client, r = await repo(settings)
    name = f"bounded-{uuid.uuid4().hex[:6]}"
    for i in range(5):
        await r.execute(name, lambda a: bump(a, name), command_id=f"c{i}", command_hash="h")
    for i in range(4):
        await r.execute(name, lambda a: bump(a, name), applied_event_id=f"e{i}")
    doc = await r.collection.find_one({"_id": name})
    await client.close()
    assert [c["id"] for c in doc["_commands"]] == ["c2", "c3", "c4"]
    assert doc["_applied"] == ["e2", "e3"]
    assert doc["n"] == doc["version"] == 9
    assert len(doc["_outbox"]) == 9  # nothing was published: all still waiting, in order
    assert [e["headers"]["ce-type"] for e in doc["_outbox"]] == [COUNTED.type] * 9


async def test_one_process_serialises_writes_to_one_aggregate(settings):
    client, r = await repo(settings)
    name = f"serial-{uuid.uuid4().hex[:6]}"
    results = await asyncio.gather(*(r.execute(name, lambda a: bump(a, name)) for _ in range(25)))
    got = await r.get(name)
    await client.close()
    assert sorted(results) == list(range(1, 26))
    assert got is not None and (got.n, got.version) == (25, 25)



async def test_the_sweeper_reads_only_collections_that_hold_outboxes(settings, nats_js):
    await sync_streams(nats_js, [CONTRACT], settings)
    client = make_client(settings.mongo_url)
    db = client[f"govbus_sweeptest_{uuid.uuid4().hex[:6]}"]
    down = OutboxRelay(BrokerDown(), SystemClock(), grace_seconds=0)  # type: ignore[arg-type]
    r = AggregateRepository(db["counters"], Counter, service="repotest", relay=down,
                            clock=SystemClock())
    name = f"swept-{uuid.uuid4().hex[:6]}"
    await r.execute(name, lambda a: bump(a, name))
    # A collection that is not an aggregate's (a search index, say) is never read, even if
    # something in it looks like an outbox.
    await db["search_index"].insert_one({"_id": "x", "_outbox": [{"id": "not-an-event"}]})
    assert [d["_id"] async for d in db["_outbox_collections"].find()] == ["counters"]

    # A new process (nothing registered in memory) finds the collection in the registry and
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
    finally:
        await stop_broker(broker)
        await client.drop_database(db.name)
        await client.close()
