"""The aggregate repository against the real MongoDB-compatible server."""

from __future__ import annotations

import asyncio
import uuid

from govbus_contracts import Event, ServiceContract
from govbus_kit import repository
from govbus_kit.clock import SystemClock
from govbus_kit.outbox import OutboxRelay
from govbus_kit.repository import Aggregate, AggregateRepository, Emit, Outcome
from govbus_kit.store import make_client

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
