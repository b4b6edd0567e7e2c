"""台账 and rates through the bus, against the real servers.

Four items opened and registered (督〔2026〕1–4号): two assigned to one department (the first
with a co-department, completed on time and rated 满意; the other still 办理中), one to a
second department completed after its deadline and rated 不满意, one only registered. The
ledger filtered by department, status, year and source shows exactly them, a page at a
time; the rates equal the hand-computed 办结率, 按期办结率, 满意率 with their definitions; a
handler sees its department's items only (lead or co-department), a handler of another
department none, and no handler sees the rates.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest

from govbus_contracts.envelope import Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.supervision.items import (
    ASSIGN_ITEM,
    GIVE_OPINION,
    OPEN_ITEM,
    REGISTER_ITEM,
    REVIEW_ANSWER,
    SUBMIT_ANSWER,
)
from govbus_contracts.services.supervision.ledger import LEDGER, RATES
from govbus_kit.clock import OFFICE_TZ, ManualClock
from govbus_supervision.domain.rates import DEFINITIONS
from govbus_supervision.plugin import service as supervision
from govbus_testing import IsolatedSettings, running
from govbus_testing.office import LEADER, ask, handler

pytestmark = pytest.mark.servers

SUPERVISOR = Principal(subject="du-zhou", name="周督查", roles=frozenset({"supervisor"}),
                       department="督查室")


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 10, tzinfo=OFFICE_TZ)


def opening(title: str) -> dict[str, Any]:
    return {"title": title, "content": "请于期限内报送办理情况。",
            "source": {"kind": "其他督查事项", "manual": {
                "manual_kind": "媒体报道", "origin": "某日报2026年6月1日第4版报道"}}}


async def test_the_ledger_and_the_rates_show_exactly_the_items(servers, settings):
    first, second, other = "市住建局", "市财政局", "市教育局"
    first_h, second_h, other_h = handler(first, "林主办"), handler(second), handler(other)
    own = IsolatedSettings(**settings.model_dump(),
                           database=f"govbus_supervision_ledger_{uuid.uuid4().hex[:8]}")
    clock = ManualClock(at(6, 1))
    async with running(own, supervision, clock=clock) as host:

        async def item(title: str) -> str:
            opened = await ask(host, OPEN_ITEM, opening(title), SUPERVISOR)
            await ask(host, REGISTER_ITEM, {"id": opened["id"]}, SUPERVISOR)
            return str(opened["id"])

        on_time, open_, late, registered = [await item(t) for t in (
            "加快推进老旧小区加装电梯", "背街小巷路灯修复", "拖欠中小企业账款清理",
            "学校周边交通整治")]
        await ask(host, ASSIGN_ITEM, {"id": on_time, "lead_department": first,
                                      "co_departments": [second], "due_on": "2026-06-20"},
                  SUPERVISOR)
        await ask(host, ASSIGN_ITEM, {"id": open_, "lead_department": first,
                                      "due_on": "2026-06-30"}, SUPERVISOR)
        await ask(host, ASSIGN_ITEM, {"id": late, "lead_department": second,
                                      "due_on": "2026-06-15"}, SUPERVISOR)

        # 按期: answered 10 Jun for a 20 Jun deadline; 逾期: answered 22 Jun for 15 Jun.
        await ask(host, GIVE_OPINION, {"id": on_time, "opinion": "资金按程序安排。"}, second_h)
        clock.set(at(6, 10))
        await ask(host, SUBMIT_ANSWER, {"id": on_time, "text": "已加装电梯32部。"}, first_h)
        await ask(host, REVIEW_ANSWER, {"id": on_time, "decision": "审结通过",
                                        "satisfaction": "满意"}, SUPERVISOR)
        clock.set(at(6, 22))
        await ask(host, SUBMIT_ANSWER, {"id": late, "text": "已清理账款1.2亿元。"}, second_h)
        await ask(host, REVIEW_ANSWER, {"id": late, "decision": "审结通过",
                                        "satisfaction": "不满意"}, SUPERVISOR)

        async def ids(who: Principal, **filters: Any) -> list[str]:
            page = await ask(host, LEDGER, filters, who)
            assert page["total"] == len(page["rows"]), page
            return [row["id"] for row in page["rows"]]

        # By number (督〔2026〕1号 first); the filters one by one and together.
        assert await ids(SUPERVISOR) == [on_time, open_, late, registered]
        assert await ids(SUPERVISOR, year=2026) == [on_time, open_, late, registered]
        assert await ids(SUPERVISOR, year=2025) == []
        assert await ids(SUPERVISOR, source="其他督查事项") == [on_time, open_, late,
                                                            registered]
        assert await ids(SUPERVISOR, source="领导批示") == []
        assert await ids(SUPERVISOR, department=first) == [on_time, open_]
        assert await ids(SUPERVISOR, department=second) == [on_time, late]  # co and lead
        assert await ids(SUPERVISOR, status="已办结") == [on_time, late]
        assert await ids(SUPERVISOR, status="已登记") == [registered]
        assert await ids(SUPERVISOR, department=first, status="已办结", year=2026) == [on_time]
        assert await ids(SUPERVISOR, department=first, status="办理中") == [open_]
        assert await ids(LEADER, department=second, status="已办结") == [on_time, late]

        # A page at a time; the total counts every match.
        page = await ask(host, LEDGER, {"offset": 1, "limit": 2}, SUPERVISOR)
        assert ([r["id"] for r in page["rows"]], page["total"]) == ([open_, late], 4)

        # The rows: what the 台账 files for each item.
        rows = {r["id"]: r for r in (await ask(host, LEDGER, {}, SUPERVISOR))["rows"]}
        assert [rows[i]["number"] for i in (on_time, open_, late, registered)] == [
            "督〔2026〕1号", "督〔2026〕2号", "督〔2026〕3号", "督〔2026〕4号"]
        done = rows[on_time]
        assert (done["lead_department"], done["co_departments"], done["assigned_on"],
                done["due_on"], done["completed_on"], done["on_time"], done["satisfaction"],
                done["result"]) == (first, [second], "2026-06-01", "2026-06-20", "2026-06-10",
                                    True, "满意", "已加装电梯32部。")
        assert (rows[late]["on_time"], rows[late]["completed_on"],
                rows[late]["satisfaction"]) == (False, "2026-06-22", "不满意")
        assert (rows[registered]["status"], rows[registered]["lead_department"],
                rows[registered]["assigned_on"]) == ("已登记", None, None)

        # A handler: its department's items only, whatever it filters by.
        assert await ids(first_h) == [on_time, open_]
        assert await ids(second_h) == [on_time, late]
        assert await ids(second_h, department=first) == [on_time]
        assert await ids(first_h, status="已办结") == [on_time]
        assert await ids(other_h) == []
        assert await ids(other_h, department=first) == []

        # 办结率, 按期办结率, 满意率 of the items assigned in June, by lead department:
        # 住建局 2 assigned, 1 completed on time (满意); 财政局 1, completed late (不满意).
        rates = await ask(host, RATES, {"period_from": "2026-06-01",
                                        "period_to": "2026-06-30"}, LEADER)
        figures = {r["department"]: (r["assigned"], r["completed"], r["completed_on_time"],
                                     r["rated"], r["satisfied"], r["completion_rate"],
                                     r["on_time_rate"], r["satisfaction_rate"])
                   for r in [*rates["rows"], rates["total"]]}
        assert figures == {first: (2, 1, 1, 1, 1, 0.5, 1.0, 1.0),
                           second: (1, 1, 0, 1, 0, 1.0, 0.0, 0.0),
                           "合计": (3, 2, 1, 2, 1, 0.6667, 0.5, 0.5)}
        assert rates["definitions"] == [d.model_dump() for d in DEFINITIONS]
        # Counted at the period's end: 财政局's item was completed on 22 Jun.
        before = await ask(host, RATES, {"period_from": "2026-06-01",
                                         "period_to": "2026-06-20", "department": second},
                           SUPERVISOR)
        assert [(r["department"], r["assigned"], r["completed"], r["completion_rate"])
                for r in before["rows"]] == [(second, 1, 0, 0.0)]
        none = await ask(host, RATES, {"period_from": "2026-07-01",
                                       "period_to": "2026-07-31"}, SUPERVISOR)
        assert none["rows"] == [] and none["total"]["completion_rate"] is None

        for who in (first_h, other_h):
            with pytest.raises(GovbusError) as raised:
                await ask(host, RATES, {"period_from": "2026-06-01",
                                        "period_to": "2026-06-30"}, who)
            assert raised.value.code is ErrorCode.forbidden
