"""The supervision service in the bench (issue 13): one command round trip and the 台账
(LEDGER) query at 10 000 items, as ratios against the raw servers of the same run.

- **assign_item** (交办) through ``govbus_kit.bus.request`` to the supervision service in an
  in-process ``Host``, each call on another item: the stored items still 已登记 (below; more,
  if the case needs them, opened and registered by the service's own commands, untimed),
  with the 10 000 in the collection. Its ratio is against the raw floor of the first part
  (request/reply + JetStream publish + compare-and-set). A 交办 writes two facts' worth: the
  fact on GOV_SUPERVISION and the lead department's copy on GOV_DEPARTMENTS (no
  co-department here, so one copy).
- **LEDGER at 10 000 items**: a database holding 10 000 items of 2025 (a quarter each
  已登记, 办理中, 已反馈, 已办结; seven departments, one in five a 人大代表建议), then a
  ``Host`` started on it; the 台账 is served from the kit's list projection that the Host
  loads at start-up (timed apart). Measured as the office (every item, a page of 50) and as
  a department's handler (its items only, a page of 50), against one raw request/reply plus
  one raw ``find_one({_id})`` in the same collection; the RATES query (which reads every
  row of the projection) is given beside it.

How the 10 000 items are made: each one by the service's own rules
(``govbus_supervision.domain``: ``open_item``, ``register``, ``assign``, ``give_opinion``,
``submit_answer``, ``review``, with the shipped periods on the working-day calendar), then
stored as the repository stores an aggregate (its state dumped as JSON without ``id`` and
``version``, ``_id``, ``version`` = the steps taken, an empty outbox), 1 000 per
``insert_many``. Through the bus the same 10 000 items take four to six commands each, some
40 000–50 000 commands, about ten minutes on 2 cores, for a state these rules produce
alike; what the LEDGER reads (the list projection, loaded from the stored documents at
start-up and kept current from the write markers afterwards) is the same either way. The
facts of those steps are not published (the ledger does not read them).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any

import nats
from pymongo import AsyncMongoClient
from scale import close_case, own_database

from govbus_contracts.envelope import Principal
from govbus_contracts.registry import all_contracts
from govbus_contracts.services.supervision.common import ManualKind, ResultCode, SourceKind
from govbus_contracts.services.supervision.items import (
    ASSIGN_ITEM,
    OPEN_ITEM,
    REGISTER_ITEM,
    AssignItem,
    ManualSource,
    MotionSource,
    OpenItem,
    ReviewAnswer,
    Signer,
    Source,
    SubmitAnswer,
)
from govbus_contracts.services.supervision.ledger import LEDGER, RATES
from govbus_kit import outbox
from govbus_kit.bus import make_broker, request
from govbus_kit.calendar import WorkingCalendar
from govbus_kit.clock import OFFICE_TZ
from govbus_kit.runtime import Host
from govbus_kit.streams import sync_streams
from govbus_supervision.domain import closing, deadlines, handling, opening
from govbus_supervision.domain.periods import shipped
from govbus_supervision.domain.record import SupervisionItem
from govbus_supervision.handlers.items import COLLECTION
from govbus_supervision.handlers.ledger import LEDGER_LIST
from govbus_supervision.plugin import service as supervision_service

ITEMS = 10_000
BATCH = 1_000
DEPARTMENTS = ["市住建局", "市财政局", "市教育局", "市民政局", "市卫健委", "市自然资源局",
               "市生态环境局"]
SUPERVISOR = Principal(subject="u-du-zhou", name="周督查", roles=frozenset({"supervisor"}),
                       department="督查室")
HANDLER = Principal(subject="u-edu", name="孙科长", roles=frozenset({"handler"}),
                    department=DEPARTMENTS[2])

Op = Callable[[int, int], Awaitable[Any]]
Measure = Callable[..., Awaitable[Any]]


def _handler(department: str) -> Principal:
    return Principal(subject=f"h-{department}", name="张承办", roles=frozenset({"handler"}),
                     department=department)


def _at(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 10, tzinfo=OFFICE_TZ)


class ItemMaker:
    """Item ``i`` of the filled ledger, taken through the service's rules to its step."""

    def __init__(self) -> None:
        self.periods = shipped(WorkingCalendar())
        self.now = datetime.now(OFFICE_TZ)

    def source(self, i: int) -> Source:
        if i % 5 == 4:
            return Source(kind=SourceKind.deputy_suggestion, motion=MotionSource(
                session="市十七届人大四次会议", motion_number=str(i), signers=[
                    Signer(name=f"代表{i % 97}", group="城区代表团", leading=True)]))
        kind = list(ManualKind)[i % len(ManualKind)]
        return Source(kind=SourceKind.manual, manual=ManualSource(
            manual_kind=kind, origin=f"2025年第{i % 4 + 1}季度{kind.value}第{i}项"))

    def make(self, i: int) -> dict[str, Any]:
        opened_on = date(2025, 1, 6) + timedelta(days=(i * 280) // ITEMS)
        lead = DEPARTMENTS[i % len(DEPARTMENTS)]
        co = [DEPARTMENTS[(i + 3) % len(DEPARTMENTS)]] if i % 2 else []
        item_id = f"sv-{i:06d}"
        cmd = OpenItem(title=f"关于第{i}项督查事项的督办", content="请于期限内报送办理情况。",
                       source=self.source(i))
        item: SupervisionItem = opening.open_item(cmd, item_id, SUPERVISOR, _at(opened_on)).state
        item = opening.register(item, "督", 2025, i + 1, SUPERVISOR, _at(opened_on)).state
        steps, stage = 2, i % 4
        if stage >= 1:
            item = handling.assign(item, AssignItem(
                id=item_id, lead_department=lead, co_departments=co,
                due_on=opened_on + timedelta(days=60)), SUPERVISOR, _at(opened_on),
                self.periods).state
            steps += 1
        if stage == 1:
            # Still in handling, long past its 2025 deadline: as a running office holds it,
            # with the 催办 levels its sweep has issued up to today (one level a run, until
            # the next is not due yet), so the Host's own sweep finds nothing to catch up on
            # while the cases are timed.
            while (swept := deadlines.sweep(item, self.now, self.periods)) is not None:
                item = swept.state
                steps += 1
        if stage >= 2:
            answered_on = opened_on + timedelta(days=20 if i % 3 else 75)
            for department in co:
                item = handling.give_opinion(item, "同意主办部门意见。", _handler(department),
                                             _at(answered_on)).state
                steps += 1
            extra: dict[str, Any] = {}
            if item.is_motion:
                extra = {"result_code": list(ResultCode)[i % 4], "replies_to": item.signers}
            item = handling.submit_answer(item, SubmitAnswer(
                id=item_id, text="已按要求办理完毕。", **extra), _handler(lead),
                _at(answered_on)).state
            steps += 1
        if stage >= 3:
            review: dict[str, Any] = {} if item.is_motion else {
                "satisfaction": ["满意", "基本满意", "不满意"][i % 3]}
            item = closing.review(item, ReviewAnswer(id=item_id, decision="审结通过", **review),
                                  SUPERVISOR, _at(opened_on + timedelta(days=80)),
                                  self.periods).state
            steps += 1
        # As the repository writes it (state dumped as JSON, without id and version).
        return {**item.model_dump(mode="json", exclude={"id", "version"}), "_id": item_id,
                "version": steps, outbox.OUTBOX: []}


async def supervision_bench(servers: Any, measure: Measure, n: int, warmup: int,
                            items: int = ITEMS, probe: Any = None) -> dict[str, Any]:
    """The supervision cases; ``measure`` is bench/run.py's (warm-up, then ``n`` timed
    calls; ``op(call, client)``), ``probe`` its breakdown of the Host's store commands."""
    run = uuid.uuid4().hex[:8]
    settings = own_database(servers, f"govbus_bench_supervision_{run}", "WARNING")
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(servers.mongo_url, tz_aware=True)
    db = mongo[settings.database]
    nc = await nats.connect(servers.nats_url)
    out: dict[str, Any] = {"items": items}
    results: dict[str, Any] = {}
    host: Host | None = None
    broker = None
    try:
        print(f"supervision (n={n}; LEDGER at {items} items):", flush=True)
        maker = ItemMaker()
        t0 = time.perf_counter()
        for lo in range(0, items, BATCH):
            await db[COLLECTION].insert_many(
                [maker.make(i) for i in range(lo, min(lo + BATCH, items))], ordered=False)
        out["fill_seconds"] = time.perf_counter() - t0
        print(f"  filled {items} items by the service's rules ({out['fill_seconds']:.0f} s)",
              flush=True)
        await sync_streams(nc.jetstream(), all_contracts(), settings)
        host = Host([supervision_service], settings)
        t0 = time.perf_counter()
        await host.start()
        await LEDGER_LIST.of(host.contexts[supervision_service.name]).ensure_loading()
        out["start_and_ledger_load_seconds"] = time.perf_counter() - t0
        print(f"  Host started, 台账 projection loaded ({out['start_and_ledger_load_seconds']:.1f}"
              " s)", flush=True)
        broker = make_broker(settings)
        await broker.connect()
        collection = db[COLLECTION]

        async def ask(spec: Any, payload: dict[str, Any], who: Principal) -> dict[str, Any]:
            return await request(broker, spec, payload, principal=who, timeout=120)

        async def raw_find(i: int, c: int) -> None:
            assert await collection.find_one({"_id": f"sv-{(i * 7919) % items:06d}"})

        async def ledger_office(i: int, c: int) -> None:
            page = await ask(LEDGER, {"offset": 0, "limit": 50}, SUPERVISOR)
            assert page["total"] == items and len(page["rows"]) == min(50, items), page["total"]

        async def ledger_handler(i: int, c: int) -> None:
            page = await ask(LEDGER, {"offset": 0, "limit": 50}, HANDLER)
            assert 0 < page["total"] < items, page["total"]
            assert len(page["rows"]) == min(50, page["total"]), page["total"]

        async def rates(i: int, c: int) -> None:
            figures = await ask(RATES, {"period_from": "2025-01-01",
                                        "period_to": "2025-12-31"}, SUPERVISOR)
            assert figures["total"]["assigned"] > 0, figures["total"]

        results[f"raw find_one by _id in {items} items"] = await measure(raw_find, n, warmup)
        results[f"LEDGER as the office, 50 of {items}"] = await measure(ledger_office, n, warmup)
        results["LEDGER as a handler, 50 of its department's"] = await measure(
            ledger_handler, n, warmup)
        results[f"RATES of {items} items"] = await measure(rates, max(10, n // 10),
                                                           min(warmup, 3))

        # 交办 on distinct items: the stored ones still 已登记 (a quarter of them), then, if
        # the case needs more, items opened and registered by the service's own commands.
        t0 = time.perf_counter()
        ids = [f"sv-{i:06d}" for i in range(0, items, 4)][:n + warmup]
        for k in range(len(ids), n + warmup):
            opened = await ask(OPEN_ITEM, {
                "title": f"关于第{k}项专项督查事项的督办", "content": "请于期限内报送办理情况。",
                "source": {"kind": "其他督查事项", "manual": {
                    "manual_kind": "专项督查", "origin": f"2026年专项督查第{k}项"}}}, SUPERVISOR)
            await ask(REGISTER_ITEM, {"id": opened["id"]}, SUPERVISOR)
            ids.append(str(opened["id"]))
        out["prepare_assign_seconds"] = time.perf_counter() - t0

        async def assign(i: int, c: int) -> None:
            # The kind's own period (建议 3 months, the others the office's default).
            step = await ask(ASSIGN_ITEM, {"id": ids[i], "lead_department": DEPARTMENTS[i % 7]},
                             SUPERVISOR)
            assert step["status"] == "办理中", step

        if probe is not None:
            probe.database = settings.database
        results["govbus assign_item (交办), distinct items"] = await measure(assign, n, warmup)
    finally:
        if probe is not None:
            probe.database = ""
        await close_case(broker, host, mongo, settings.database, nc)
    out["results"] = results
    return out


def ratios(sv: dict[str, Any], raw: dict[str, Any], floor_update_ms: float) -> dict[str, float]:
    """The supervision figures over the raw servers' of the same run (medians)."""
    r, items = sv["results"], sv["items"]
    read_floor = raw["raw request/reply"].median_ms + r[
        f"raw find_one by _id in {items} items"].median_ms
    return {
        "assign_item_vs_rr_js_cas": r["govbus assign_item (交办), distinct items"].median_ms
        / floor_update_ms,
        "ledger_office_vs_rr_find": r[f"LEDGER as the office, 50 of {items}"].median_ms
        / read_floor,
        "ledger_handler_vs_rr_find": r["LEDGER as a handler, 50 of its department's"].median_ms
        / read_floor,
        "rates_vs_rr_find": r[f"RATES of {items} items"].median_ms / read_floor,
        "read_floor_ms": read_floor,
    }
