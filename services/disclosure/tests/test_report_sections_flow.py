"""The report's text parts and its deadline through the bus, against the real servers: a part
edited by staff comes back in the report and its spreadsheet, 第六部分 carries the 信息处理费 a
request paid, and the sweep reminds and announces the 第四十九条 deadline once, run twice."""

from __future__ import annotations

import base64
from datetime import date, datetime
from io import BytesIO
from typing import Any

import pytest
from openpyxl import load_workbook

from govbus_contracts.envelope import Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.disclosure import report as r
from govbus_contracts.services.disclosure import requests as q
from govbus_disclosure.domain.report_record import (
    overdue_event_id,
    reminder_event_id,
)
from govbus_disclosure.handlers.report import sweep_report_deadlines
from govbus_kit.bus import request
from govbus_kit.clock import OFFICE_TZ
from govbus_kit.runtime import Host
from govbus_testing import eventually, stream_messages

pytestmark = pytest.mark.servers

CITIZEN = Principal.anonymous()
OFFICER = Principal(subject="u-chen", name="陈公开", roles=frozenset({"disclosure_officer"}))


def at(d: date, hour: int = 10) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=OFFICE_TZ)


async def ask(host: Host, spec: Any, payload: dict[str, Any], who: Principal) -> dict[str, Any]:
    return await request(host.broker, spec, payload, principal=who)


async def report_events(servers: Any, fact: str, year: int) -> list[dict[str, Any]]:
    return [{"id": m["headers"]["ce-id"], "data": m["data"]}
            for m in await stream_messages(servers.nats_url,
                                           f"gov.disclosure.evt.report.{fact}.v1",
                                           "GOV_DISCLOSURE")
            if m["data"].get("year") == year]


APPLICATION = {
    "applicant_type": "自然人", "applicant": {"name": "张三"},
    "contact": {"phone": "13907950000"}, "information": {"description": "第{n}项信息"},
    "form": "电子", "delivery": "在线查看"}


async def test_an_edited_part_and_the_fees_paid_come_back_in_the_report_and_its_file(office):
    async with office(date(2026, 3, 9)) as (host, clock):
        ids = [(await ask(host, q.SUBMIT_REQUEST, {**APPLICATION, "information": {
            "description": f"第{n}项信息"}}, CITIZEN))["id"] for n in range(11)]
        await ask(host, q.ISSUE_FEE_NOTICE, {"request_id": ids[10]}, OFFICER)
        clock.set(at(date(2026, 3, 12)))
        await ask(host, q.RECORD_FEE_PAYMENT, {"request_id": ids[10]}, OFFICER)

        edited = await ask(host, r.EDIT_REPORT_SECTION, {
            "year": 2026, "section": "一、总体情况",
            "text": "2026年, 本机关坚持以公开为常态、不公开为例外, 全面推进政务公开。"}, OFFICER)
        assert (edited["due_on"], [e["version"] for e in edited["edits"]]) == ("2027-01-31", [1])
        with pytest.raises(GovbusError) as no_reason:
            await ask(host, r.EDIT_REPORT_SECTION, {
                "year": 2026, "section": "一、总体情况", "text": "改"}, OFFICER)
        assert no_reason.value.code is ErrorCode.validation_failed
        with pytest.raises(GovbusError) as too_long:
            await ask(host, r.EDIT_REPORT_SECTION, {
                "year": 2026, "section": "一、总体情况", "text": "长" * 20001,
                "reason": "x"}, OFFICER)
        assert too_long.value.code is ErrorCode.validation_failed

        report = await ask(host, r.ANNUAL_REPORT, {"year": 2026}, OFFICER)
        one, five, six = report["sections"]
        assert (one["edited"], one["text"][:5]) == (True, "2026年")
        assert five["edited"] is False
        assert {f["key"]: f["value"] for f in six["figures"]}["fees_collected_amount"] == 100
        assert "共计100元" in six["text"]
        assert report["due_on"] == "2027-01-31" and report["published_on"] is None

        file = await ask(host, r.EXPORT_ANNUAL_REPORT, {"year": 2026}, OFFICER)
        wb = load_workbook(BytesIO(base64.b64decode(file["content_base64"])))
        assert wb["一、总体情况"]["A2"].value.startswith("2026年, 本机关坚持")


async def test_the_reports_deadline_is_reminded_and_overdue_once_until_published(
        servers, office):
    async with office(date(2027, 1, 4)) as (host, clock):
        ctx = host.contexts["disclosure"]
        await sweep_report_deadlines(ctx)  # puts 2026's report on record
        clock.set(at(date(2027, 1, 27)))
        await sweep_report_deadlines(ctx)
        await sweep_report_deadlines(ctx)
        clock.set(at(date(2027, 2, 1)))
        await sweep_report_deadlines(ctx)
        await sweep_report_deadlines(ctx)
        overdue = await eventually(lambda: report_events(servers, "overdue", 2026),
                                   lambda e: len(e) >= 1)
        assert [e["id"] for e in overdue] == [overdue_event_id(2026, date(2027, 1, 31))]
        assert overdue[0]["data"]["overdue_since"] == "2027-02-01"
        reminded = await report_events(servers, "reminded", 2026)
        assert [e["id"] for e in reminded] == [reminder_event_id(2026, date(2027, 1, 31))]
        report = await ask(host, r.ANNUAL_REPORT, {"year": 2026}, OFFICER)
        assert report["overdue_since"] == "2027-02-01"
        published = await ask(host, r.PUBLISH_ANNUAL_REPORT, {
            "year": 2026, "where": "市政府门户网站政府信息公开专栏"}, OFFICER)
        assert (published["published_on"], published["on_time"]) == ("2027-02-01", False)


async def test_a_database_first_started_after_the_deadline_announces_nothing_overdue(
        servers, office):
    # Installed in June 2031: whether the 2030 report was published (before govbus) is not
    # known here, so it is not announced overdue on a guess.
    async with office(date(2031, 6, 2)) as (host, clock):
        ctx = host.contexts["disclosure"]
        await sweep_report_deadlines(ctx)
        await sweep_report_deadlines(ctx)
        report = await ask(host, r.ANNUAL_REPORT, {"year": 2030}, OFFICER)
        assert report["overdue_since"] is None
    assert await report_events(servers, "overdue", 2030) == []
