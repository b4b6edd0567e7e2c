"""The annual report counts what the requests slice really stores: requests submitted and
handled through the commands (not records written by hand), across the turn of a year, with
real servers. The contract between the two slices is the stored record; this is its test."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import pytest

from govbus_contracts.envelope import Principal
from govbus_contracts.services.disclosure import requests as q
from govbus_contracts.services.disclosure.report import ANNUAL_REPORT
from govbus_kit.bus import request
from govbus_kit.clock import OFFICE_TZ

pytestmark = pytest.mark.servers

CITIZEN = Principal.anonymous()
OFFICER = Principal(subject="u-gk", name="孙晓", roles=frozenset({"disclosure_officer"}))


def at(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 10, tzinfo=OFFICE_TZ)


def application(applicant_type: str, name: str) -> dict[str, Any]:
    who: dict[str, Any] = {"name": name}
    if applicant_type != "自然人":
        who["credit_code"] = "91360900MA35" + uuid.uuid4().hex[:6].upper()
        who["legal_representative"] = "王负责"
    return {"applicant_type": applicant_type, "applicant": who,
            "contact": {"phone": "13907950000"},
            "information": {"description": "2025年度市本级老旧小区改造项目清单及资金安排"},
            "form": "电子", "delivery": "在线查看"}


def row(report: dict[str, Any], key: str) -> dict[str, int]:
    return next(r["counts"] for r in report["requests"] if r["key"] == key)


async def test_requests_handled_through_the_commands_are_counted_in_their_years(office):
    async with office(date(2025, 12, 29)) as (host, clock):
        async def ask(spec: Any, payload: dict[str, Any], who: Principal) -> dict[str, Any]:
            return await request(host.broker, spec, payload, principal=who, timeout=10)

        # Received in 2025: one replied in 2025, one carried into 2026 and replied then.
        replied_2025 = await ask(q.SUBMIT_REQUEST, application("自然人", "张三"), CITIZEN)
        carried = await ask(q.SUBMIT_REQUEST, application("商业企业", "宜春某建设有限公司"),
                            CITIZEN)
        await ask(q.REPLY_REQUEST, {
            "request_id": replied_2025["id"], "reply_type": "予以提供", "outcome": "予以公开",
            "text": "现向您提供所申请的项目清单"}, OFFICER)

        clock.set(at(date(2026, 1, 8)))
        await ask(q.REPLY_REQUEST, {
            "request_id": carried["id"], "reply_type": "予以提供", "outcome": "部分公开",
            "text": "现向您提供项目清单, 承建单位账户信息不予公开",
            "withheld": [{"part": "承建单位银行账户", "reason": "保护第三方合法权益",
                          "legal_basis": "第十五条"}]}, OFFICER)
        # Received in 2026: one withdrawn by the applicant, one referred as a complaint, one open.
        withdrawn = await ask(q.SUBMIT_REQUEST, application("自然人", "李四"), CITIZEN)
        await ask(q.WITHDRAW_REQUEST, {"tracking_code": withdrawn["tracking_code"]}, CITIZEN)
        complaint = await ask(q.SUBMIT_REQUEST, application("其他", "某业主委员会"), CITIZEN)
        await ask(q.REPLY_REQUEST, {
            "request_id": complaint["id"], "reply_type": "不予处理", "outcome": "不予处理",
            "outcome_reason": "信访举报投诉类申请", "matter_kind": "投诉",
            "text": "您反映的问题属于投诉事项, 已转投诉受理部门办理",
            "reason": "所提事项属于投诉, 不属于政府信息公开申请 (第三十九条)"}, OFFICER)
        await ask(q.SUBMIT_REQUEST, application("科研机构", "某大学公共管理学院"), CITIZEN)

        y2025 = await ask(ANNUAL_REPORT, {"year": 2025}, OFFICER)
        y2026 = await ask(ANNUAL_REPORT, {"year": 2026}, OFFICER)

    for report in (y2025, y2026):
        assert report["consistent"], [c for c in report["checks"] if not c["passed"]]
        assert report["problem_count"] == 0
    assert y2026["carried_over_matches_previous_year"]

    assert row(y2025, "new")["total"] == 2
    assert row(y2025, "released")["natural_person"] == 1
    assert row(y2025, "carried_forward")["business"] == 1

    assert row(y2026, "carried_over")["business"] == 1
    assert row(y2026, "new")["total"] == 3
    assert row(y2026, "partly_released")["business"] == 1
    assert row(y2026, "not_processed.petition")["other"] == 1
    assert row(y2026, "other.other")["natural_person"] == 1
    assert row(y2026, "carried_forward") == {**{k: 0 for k in row(y2026, "new")},
                                             "research": 1, "legal_persons": 1, "total": 1}
