"""The in-memory repository (govbus_kit.memory) against the real one: one scenario run on
both, the same outcomes — replies and their types, versions, refusals, what each write
emitted, idempotency by command id, events applied once, a partial model's write, and the
compare-and-set between two writers that raced."""

from __future__ import annotations

import asyncio
import json
import weakref
from typing import Any

import pytest
from pydantic import BaseModel

from govbus_contracts import Event, ServiceContract
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_kit.clock import SystemClock
from govbus_kit.memory import MemoryDatabase, MemoryRepository
from govbus_kit.outbox import OutboxRelay
from govbus_kit.repository import Aggregate, AggregateRepository, Emit, Outcome

CONTRACT = ServiceContract("memorytest")


class Counted(Event):
    n: int


COUNTED = CONTRACT.event("counter", "counted", Counted)


class Counter(Aggregate):
    n: int = 0
    label: str = ""


class LabelOnly(Aggregate):
    """Another slice's view of the same documents: one field of them."""

    label: str = ""


class Tally(BaseModel):
    n: int
    version: int


class BrokerDown:
    """Publishing fails: what a write emitted stays in its outbox, where the test reads it."""

    async def publish(self, *args: Any, **kwargs: Any) -> None:
        raise ConnectionError("broker away")


def bump(by: int = 1) -> Any:
    def decide(current: Counter | None) -> Outcome[Counter, Tally]:
        state = current or Counter(id="c")
        n = state.n + by
        return Outcome(state.model_copy(update={"n": n}), Tally(n=n, version=state.version + 1),
                       [Emit(COUNTED, Counted(n=n))])
    return decide


def label(text: str) -> Any:
    def decide(current: LabelOnly | None) -> Outcome[LabelOnly, str]:
        assert current is not None
        return Outcome(current.model_copy(update={"label": text}), text)
    return decide


def refuse(current: Counter | None) -> Outcome[Counter, int]:
    raise GovbusError(ErrorCode.invalid_transition, "no")


def unchanged(current: Counter | None) -> Outcome[Counter, int]:
    return Outcome(None, current.n if current else -1)


class Side:
    """One implementation under the scenario: two writers (as two processes: own locks)
    over one store, a second model over the same collection, and what was emitted."""

    def __init__(self, first: AggregateRepository[Counter],
                 second: AggregateRepository[Counter],
                 labels: AggregateRepository[LabelOnly], emitted: Any) -> None:
        self.first, self.second, self.labels, self.emitted = first, second, labels, emitted


async def scenario(side: Side, race: bool = True) -> list[Any]:
    seen: list[Any] = []
    r = side.first
    first = await r.execute("c", bump(), command_id="k1", command_hash="h")
    again = await r.execute("c", bump(), command_id="k1", command_hash="h")
    seen += [first, again, type(again).__name__]
    with pytest.raises(GovbusError) as reused:
        await r.execute("c", bump(), command_id="k1", command_hash="other")
    seen.append(reused.value.code)
    with pytest.raises(GovbusError) as refused:
        await r.execute("c", refuse, command_id="k2", command_hash="h")
    seen.append(refused.value.code)
    seen.append(await r.execute("c", unchanged, command_id="k3", command_hash="h"))
    seen.append(await r.execute("c", bump(10), applied_event_id="e1"))
    seen.append(await r.execute("c", bump(10), applied_event_id="e1"))
    seen.append(await side.labels.execute("c", label("甲"), command_id="k4", command_hash="h"))
    seen.append(await side.labels.execute("c", label("甲"), command_id="k4", command_hash="h"))
    with pytest.raises(TypeError):  # no reply type: a retry could not read its reply back
        await r.execute("c", lambda current: Outcome(None, 0), command_id="k5")
    seen.append(await r.execute("c", lambda current: Outcome(None, 0), command_id="k5",
                                reply=int))

    if race:
        seen += await two_writers(side)
    final = await r.require("c")
    seen += [final.n, final.label, await side.emitted()]
    return seen


async def two_writers(side: Side) -> list[Any]:
    """Two writers read the same version; the compare-and-set lets one write, the other
    decides again on what was written."""
    both_read = asyncio.Barrier(2)
    calls = 0

    def racing(by: int) -> Any:
        async def decide(current: Counter | None) -> Outcome[Counter, Tally]:
            nonlocal calls
            calls += 1
            if calls <= 2:
                await both_read.wait()
            assert current is not None
            n = current.n + by
            return Outcome(current.model_copy(update={"n": n}),
                           Tally(n=n, version=current.version + 1))
        return decide

    raced = await asyncio.gather(side.first.execute("c", racing(100)),
                                 side.second.execute("c", racing(1000)))
    final = await side.first.require("c")
    return [sorted(t.version for t in raced), calls, final.n, final.version]


async def test_the_double_and_the_repository_answer_one_scenario_alike(scratch_db, servers):
    clock = SystemClock()

    def real(model: type[Any], relay: OutboxRelay) -> Any:
        return AggregateRepository(scratch_db["counters"], model, service="memorytest",
                                   relay=relay, clock=clock)

    relay, other = (OutboxRelay(BrokerDown(), clock),  # type: ignore[arg-type]
                    OutboxRelay(BrokerDown(), clock))  # type: ignore[arg-type]

    async def outbox() -> list[Any]:
        doc = await scratch_db["counters"].find_one({"_id": "c"})
        return [(e["subject"], json.loads(e["data"])) for e in doc["_outbox"]]

    # Across processes only MongoDB's update is an atomic compare-and-set (FerretDB's is a
    # read then a write: see repository.py); the race is compared there only.
    on_servers = await scenario(Side(real(Counter, relay), real(Counter, other),
                                     real(LabelOnly, relay), outbox), race=servers.is_mongodb)

    memory = MemoryDatabase()

    def double(model: type[Any]) -> Any:
        return MemoryRepository(memory, "counters", model, service="memorytest", clock=clock,
                                locks=weakref.WeakValueDictionary())

    async def published() -> list[Any]:
        return [(e.subject, e.data) for e in memory.published(aggregate_id="c")]

    in_memory = await scenario(Side(double(Counter), double(Counter), double(LabelOnly),
                                    published), race=servers.is_mongodb)
    assert in_memory == on_servers
    assert on_servers[:3] == [Tally(n=1, version=1), Tally(n=1, version=1), "Tally"]
    assert on_servers[-3:-1] == ([1111, "甲"] if servers.is_mongodb else [11, "甲"])


async def test_two_writers_on_the_double_are_serialised_by_the_compare_and_set():
    memory = MemoryDatabase()

    def writer() -> Any:
        # Own locks: as two processes, where only the version decides.
        return MemoryRepository(memory, "counters", Counter, service="memorytest",
                                clock=SystemClock(), locks=weakref.WeakValueDictionary())

    first = writer()
    await first.execute("c", bump())
    side = Side(first, writer(), writer(), None)
    # Both read version 1; one wrote 2, the other decided again on it and wrote 3.
    assert await two_writers(side) == [[2, 3], 3, 1101, 3]
