"""The due index (kit due): deadline sweeps reach their aggregates by ``_id``, against the real
MongoDB-compatible server."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient, monitoring

from govbus_kit import due as due_module
from govbus_kit.clock import SystemClock
from govbus_kit.due import DUE_COLLECTION, Due, DueIndex, day, shard_of
from govbus_kit.outbox import OutboxRelay
from govbus_kit.repository import Aggregate, AggregateRepository, CollectionHooks, Emit, Outcome

TODAY = date(2026, 12, 7)


class Task(Aggregate):
    open: bool = True
    alert_on: date | None = None
    alerted: list[date] = []


@dataclass
class Alerted:
    state: Task
    events: list[Emit] = field(default_factory=list)


def task_due(doc: Mapping[str, Any]) -> Due:
    return Due(on=day(doc.get("alert_on")) if doc.get("open") else None)


def alert(today: date, calls: list[str]) -> Any:
    """The rule under test: a task due by ``today`` is alerted once and leaves the sweep."""
    def rule(task: Task) -> Alerted | None:
        calls.append(task.id)
        if task.alert_on is None or task.alert_on > today:
            return None
        return Alerted(task.model_copy(update={"alerted": [*task.alerted, task.alert_on],
                                               "alert_on": None}))
    return rule


class Unused:
    async def publish(self, *args: Any, **kwargs: Any) -> None:
        raise AssertionError("the tasks emit no events")


class Reads(monitoring.CommandListener):
    """Every command the client sends, and the documents the store returned."""

    def __init__(self) -> None:
        self.commands: list[str] = []
        self.returned = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.commands.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        cursor = event.reply.get("cursor")
        if isinstance(cursor, dict):
            self.returned += len(cursor.get("firstBatch", cursor.get("nextBatch", [])))

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def tasks(client: AsyncMongoClient[dict[str, Any]], collection: str,
                hooks: CollectionHooks | None = None
                ) -> tuple[AggregateRepository[Task], DueIndex]:
    db = client["govbus_duetest"]
    hooks = hooks or CollectionHooks()
    index = DueIndex(db, collection, task_due)
    hooks.before_write.append(index.before_write)
    relay = OutboxRelay(Unused(), SystemClock())  # type: ignore[arg-type]
    repo = AggregateRepository(db[collection], Task, service="duetest", relay=relay,
                               clock=SystemClock(), hooks=hooks)
    return repo, index


def set_alert(on: date | None) -> Any:
    def decide(current: Task | None) -> Outcome[Task, None]:
        task = current or Task(id="unused")
        return Outcome(task.model_copy(update={"alert_on": on}), None)
    return decide


def new_client(settings: Any, *listeners: monitoring.CommandListener
               ) -> AsyncMongoClient[dict[str, Any]]:
    return AsyncMongoClient(settings.mongo_url, tz_aware=True, event_listeners=list(listeners))


async def test_an_aggregate_whose_day_moves_is_swept_on_the_new_day_not_the_old(settings):
    client = new_client(settings)
    repo, index = await tasks(client, f"moves_{uuid.uuid4().hex[:6]}")
    try:
        old, new = TODAY, TODAY + timedelta(days=3)
        await repo.execute("t-1", lambda _: Outcome(Task(id="t-1", alert_on=old), None))
        await repo.execute("t-1", set_alert(new))

        calls: list[str] = []
        assert await index.sweep_due(repo, alert(old, calls), today=old) == 0
        assert calls == []  # the old day no longer holds it
        assert (await repo.require("t-1")).alerted == []
        # Its stale membership of the old day is gone, and so is the day from the head.
        head = await client["govbus_duetest"][DUE_COLLECTION].find_one({"_id": index.head_id})
        assert head is not None and head["dates"] == [new.isoformat()]

        await index.sweep_due(repo, alert(new, calls), today=new)
        await index.sweep_due(repo, alert(new, calls), today=new)  # twice: once only
        assert calls == ["t-1"]
        assert (await repo.require("t-1")).alerted == [new]
    finally:
        await client.drop_database("govbus_duetest")
        await client.close()


async def test_a_crash_between_the_hook_and_the_state_write_leaves_a_harmless_membership(
        settings, monkeypatch):
    crash = {"on": False}

    async def crash_after_due_hook(aggregate_id: str, doc: dict[str, Any]) -> None:
        if crash["on"]:
            raise ConnectionError("process died before the compare-and-set")

    hooks = CollectionHooks()
    client = new_client(settings)
    repo, index = await tasks(client, f"crash_{uuid.uuid4().hex[:6]}", hooks)
    hooks.before_write.append(crash_after_due_hook)  # after the due index's own hook
    try:
        stored, lost = TODAY, TODAY - timedelta(days=2)
        await repo.execute("t-2", lambda _: Outcome(Task(id="t-2", alert_on=stored), None))
        crash["on"] = True
        with pytest.raises(ConnectionError):
            await repo.execute("t-2", set_alert(lost))  # indexed under `lost`, never written
        crash["on"] = False

        calls: list[str] = []
        # The lost write's day comes first: the stored task is not due then, nothing happens,
        # and the entry stays while it may still be a write in flight.
        assert await index.sweep_due(repo, alert(lost, calls), today=lost) == 0
        assert calls == []
        bucket_id = index.bucket_id(f"due:{lost.isoformat()}", shard_of("t-2"))
        due = client["govbus_duetest"][DUE_COLLECTION]
        assert (await due.find_one({"_id": bucket_id}))["ids"]
        # Once it is surely a crash, the sweep drops it.
        monkeypatch.setattr(due_module, "IN_FLIGHT_SECONDS", 0.0)
        await index.sweep_due(repo, alert(lost, calls), today=lost)
        assert calls == [] and await due.find_one({"_id": bucket_id}) is None

        # The stored state's own day still works.
        await index.sweep_due(repo, alert(stored, calls), today=stored)
        assert calls == ["t-2"] and (await repo.require("t-2")).alerted == [stored]
    finally:
        await client.drop_database("govbus_duetest")
        await client.close()


async def fill(repo: AggregateRepository[Task], index: DueIndex, total: int, due: int) -> None:
    """``due`` tasks due today written by the repository, the rest due in a month, stored
    directly as the repository and the index store them (fast to fill)."""
    later = TODAY + timedelta(days=30)
    for i in range(due):
        await repo.execute(f"due-{i}", lambda _, i=i: Outcome(
            Task(id=f"due-{i}", alert_on=TODAY), None))
    rest = [{"_id": f"later-{i:06d}", "version": 1, "open": True,
             "alert_on": later.isoformat(), "alerted": [], "_outbox": [], "_commands": [],
             "_applied": []} for i in range(total - due)]
    for start in range(0, len(rest), 1000):
        await repo.collection.insert_many(rest[start:start + 1000])
    shards: dict[int, dict[str, Any]] = {}
    for doc in rest:
        shards.setdefault(shard_of(doc["_id"]), {})[doc["_id"]] = {"v": 1, "at": 0}
    buckets = index.buckets
    await buckets.insert_many([{"_id": index.bucket_id(f"due:{later.isoformat()}", s), "ids": ids}
                               for s, ids in shards.items()])
    await buckets.update_one({"_id": index.head_id},
                             {"$addToSet": {"dates": later.isoformat()}}, upsert=True)


async def test_a_sweeps_reads_do_not_grow_with_the_collection(settings):
    reads = Reads()
    client = new_client(settings, reads)
    try:
        measured = []
        for total in (1_000, 10_000):
            repo, index = await tasks(client, f"size{total}_{uuid.uuid4().hex[:6]}")
            await fill(repo, index, total, due=10)
            reads.commands.clear()
            reads.returned = 0
            calls: list[str] = []
            await index.sweep_due(repo, alert(TODAY, calls), today=TODAY)
            assert sorted(calls) == [f"due-{i}" for i in range(10)]
            measured.append((len(reads.commands), reads.returned))
        # 10 due among 1 000 and 10 due among 10 000: the same round trips, the same documents.
        assert measured[0] == measured[1], measured
        assert measured[0][1] < 100
    finally:
        await client.drop_database("govbus_duetest")
        await client.close()


async def test_a_database_written_before_the_index_is_indexed_once_at_start_up(settings):
    client = new_client(settings)
    repo, index = await tasks(client, f"upgrade_{uuid.uuid4().hex[:6]}")
    try:
        # Written by a govbus without the due index: no hook ran.
        await repo.collection.insert_many([
            {"_id": "old-due", "version": 3, "open": True, "alert_on": TODAY.isoformat(),
             "alerted": []},
            {"_id": "old-closed", "version": 5, "open": False, "alert_on": TODAY.isoformat(),
             "alerted": []}])
        index.start_backfill()
        calls: list[str] = []
        await index.sweep_due(repo, alert(TODAY, calls), today=TODAY)  # waits for it
        assert calls == ["old-due"]
        marker = await index.buckets.find_one({"_id": index.backfill_id})
        assert marker is not None and marker["indexed"] == 1
        assert await DueIndex(index.db, index.collection, task_due).backfill() == 0  # once
    finally:
        await client.drop_database("govbus_duetest")
        await client.close()
