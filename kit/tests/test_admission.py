"""The admission of requests (govbus_kit.admission): slots, a bounded first-come queue,
and the caller's deadline. Pure asyncio: the bus-level rules are in tests/test_overload.py."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_kit.admission import Admission, Expired, format_deadline, parse_deadline


def soon(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def test_the_deadline_header_is_utc_with_milliseconds_and_reads_back():
    at = datetime(2026, 12, 2, 8, 30, 5, 250_000, tzinfo=UTC)
    assert format_deadline(at) == "2026-12-02T08:30:05.250Z"
    assert parse_deadline("2026-12-02T08:30:05.250Z") == at
    assert parse_deadline("2026-12-02T16:30:05.250+08:00") == at
    assert parse_deadline(None) is None


@pytest.mark.parametrize("text", ["tomorrow", "2026-12-02T08:30:05", "1764664205", " "])
def test_a_deadline_that_is_no_instant_with_a_zone_is_refused(text):
    with pytest.raises(GovbusError) as refused:
        parse_deadline(text)
    assert refused.value.code is ErrorCode.validation_failed


async def test_beyond_the_slots_and_the_queue_a_request_is_refused_at_once():
    gate = Admission(limit=2, queue_limit=1, retry_after=3)
    await gate.enter(None)
    await gate.enter(None)
    waiting = asyncio.create_task(gate.enter(None))
    await asyncio.sleep(0)
    with pytest.raises(GovbusError) as refused:
        await gate.enter(None)
    assert refused.value.code is ErrorCode.overloaded
    assert refused.value.details == {"retry_after": 3}
    figures = gate.figures()
    assert (figures.in_flight, figures.queued, figures.shed, figures.saturated) == (2, 1, 1, True)
    gate.leave()
    await waiting  # the slot passed to the waiting one
    assert (gate.in_flight, gate.queued) == (2, 0)


async def test_waiting_requests_get_their_slots_in_the_order_they_came():
    gate = Admission(limit=1, queue_limit=5, retry_after=1)
    await gate.enter(None)
    order: list[int] = []

    async def one(i: int) -> None:
        await gate.enter(None)
        order.append(i)
        await asyncio.sleep(0.01)
        gate.leave()

    tasks = []
    for i in range(5):
        tasks.append(asyncio.create_task(one(i)))
        await asyncio.sleep(0)
    gate.leave()
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2, 3, 4]
    assert (gate.in_flight, gate.queued) == (0, 0)


async def test_a_request_whose_deadline_passes_while_waiting_leaves_the_queue_expired():
    gate = Admission(limit=1, queue_limit=1, retry_after=1)
    await gate.enter(None)
    with pytest.raises(Expired):
        await gate.enter(soon(0.05))
    assert (gate.queued, gate.expired) == (0, 1)
    # Its place is free again, and the slot it never had is still the first one's.
    waiting = asyncio.create_task(gate.enter(None))
    await asyncio.sleep(0)
    assert gate.queued == 1
    gate.leave()
    await waiting
    assert gate.in_flight == 1


async def test_a_request_past_its_deadline_on_arrival_takes_no_slot():
    gate = Admission(limit=1, queue_limit=0, retry_after=1)
    with pytest.raises(Expired) as late:
        await gate.enter(datetime.now(UTC) - timedelta(seconds=2))
    assert late.value.code is ErrorCode.expired
    assert late.value.details["late_ms"] >= 2000
    assert gate.in_flight == 0
    await gate.enter(soon(5))  # the slot is there for the next one on time
    assert gate.in_flight == 1


async def test_a_waiting_request_cancelled_gives_back_its_place_and_any_slot_handed_to_it():
    gate = Admission(limit=1, queue_limit=2, retry_after=1)
    await gate.enter(None)
    first = asyncio.create_task(gate.enter(None))
    second = asyncio.create_task(gate.enter(None))
    await asyncio.sleep(0)
    gate.leave()  # hands the slot to `first` ...
    first.cancel()  # ... which is cancelled before it runs: the slot goes on to `second`
    with pytest.raises(asyncio.CancelledError):
        await first
    await second
    assert (gate.in_flight, gate.queued) == (1, 0)
    gate.leave()
    assert gate.in_flight == 0
