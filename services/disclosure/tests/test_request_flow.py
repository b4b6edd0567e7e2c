"""依申请公开 through the bus, against the real servers (nats-server with JetStream and the
MongoDB-compatible store of the session fixture): the whole walk with the tracking code,
a retried submission, the deadline sweep run twice, an unanswered 补正, a complaint
referred without the applicant, department scoping and the fee for excess volume. Last, a
request from 受理 to 答复 without servers, on the kit's in-memory repository
(govbus_kit.memory)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import pytest

from govbus_contracts.envelope import Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.disclosure import requests as q
from govbus_contracts.subjects import DEPARTMENTS_STREAM, department_wildcard
from govbus_disclosure.domain.requests.periods import overdue_event_id
from govbus_disclosure.handlers.requests import (
    load_tracking_key,
    sweep_request_deadlines,
)
from govbus_disclosure.service import service
from govbus_disclosure.settings import DisclosureSettings
from govbus_kit.bus import request
from govbus_kit.clock import OFFICE_TZ, ManualClock
from govbus_kit.departments import DepartmentDirectory
from govbus_kit.memory import MemoryHost
from govbus_kit.runtime import Host
from govbus_testing import IsolatedSettings, eventually, running, stream_messages

pytestmark = pytest.mark.servers

STREAM = "GOV_DISCLOSURE"
CITIZEN = Principal.anonymous()
OFFICER = Principal(subject="u-chen", name="陈公开", roles=frozenset({"disclosure_officer"}))
APPROVER = Principal(subject="u-zhou", name="周主任", roles=frozenset({"disclosure_approver"}))
COMPLAINTS = Principal(subject="u-he", name="何受理", roles=frozenset({"complaints_officer"}))
PERSONAL = ("张三", "13907950000", "zhangsan@example.cn", "360902199001011234", "明月北路")


def at(d: date, hour: int = 10) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=OFFICE_TZ)


async def ask(host: Host, spec: Any, payload: dict[str, Any], who: Principal,
              message_id: str | None = None) -> dict[str, Any]:
    return await request(host.broker, spec, payload, principal=who, message_id=message_id)


def application(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "applicant_type": "自然人",
        "applicant": {"name": "张三", "id_document_type": "居民身份证",
                      "id_document_number": "360902199001011234"},
        "contact": {"phone": "13907950000", "email": "zhangsan@example.cn",
                    "address": "江西省宜春市袁州区明月北路1号"},
        "information": {"description": "2025年度市本级老旧小区改造项目清单及资金安排"},
        "form": "电子", "delivery": "电子邮件",
    }
    data.update(overrides)
    return data


async def events_of(servers: Any, request_id: str, fact: str = "*") -> list[dict[str, Any]]:
    return [{"id": m["headers"]["ce-id"], "subject": m["subject"], "data": m["data"]}
            for m in await stream_messages(servers.nats_url,
                                           f"gov.disclosure.evt.request.{fact}.v1", STREAM)
            if m["data"].get("id") == request_id]


async def test_a_request_from_submission_through_correction_consultation_extension_to_reply(
        servers, office):
    async with office(date(2026, 9, 14)) as (host, clock):
        submitted = await ask(host, q.SUBMIT_REQUEST, application(), CITIZEN)
        request_id, code = submitted["id"], submitted["tracking_code"]
        assert submitted["request_number"] == "2026-0001"
        assert (submitted["received_on"], submitted["due_on"]) == ("2026-09-14", "2026-10-16")

        tracked = await ask(host, q.TRACK_REQUEST, {"tracking_code": code}, CITIZEN)
        assert tracked["status"] == "办理中" and tracked["notices"][0]["kind"] == "受理回执"
        assert "applicant" not in tracked and "contact" not in tracked
        for wrong in ("ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ", code[:-1] + ("A" if code[-1] != "A" else "B")):
            with pytest.raises(GovbusError) as unknown:
                await ask(host, q.TRACK_REQUEST, {"tracking_code": wrong}, CITIZEN)
            assert unknown.value.code is ErrorCode.not_found

        clock.set(at(date(2026, 9, 16)))
        step = await ask(host, q.REQUEST_CORRECTION, {
            "request_id": request_id, "items": ["请明确所需信息的区县范围"]}, OFFICER)
        assert (step["status"], step["due_on"]) == ("待补正", None)
        # The public cannot act as staff, even with the code.
        with pytest.raises(GovbusError) as forbidden:
            await ask(host, q.REQUEST_CORRECTION, {"request_id": request_id,
                                                   "items": ["x"]}, CITIZEN)
        assert forbidden.value.code is ErrorCode.forbidden

        clock.set(at(date(2026, 9, 18)))
        step = await ask(host, q.SUBMIT_CORRECTION, {
            "tracking_code": code.lower(), "supplement": "所需信息为袁州区范围内的项目"}, CITIZEN)
        # Restarted from 18 September: 20 working days across 中秋 and 国庆.
        assert (step["status"], step["due_on"]) == ("办理中", "2026-10-22")

        clock.set(at(date(2026, 9, 21)))
        await ask(host, q.START_CONSULTATION, {
            "request_id": request_id, "third_party": "宜春某建设工程有限公司",
            "matter": "项目合同价款是否涉及商业秘密"}, OFFICER)
        clock.set(at(date(2026, 9, 30)))
        step = await ask(host, q.END_CONSULTATION, {
            "request_id": request_id, "answer": "不同意公开", "remarks": "认为涉及商业秘密"},
            OFFICER)
        # 18→21 Sep: 2 days used (20 Sep is a 调休 Sunday); 18 left after 30 September,
        # counted from 8 October (国庆), Saturday 10 October worked.
        assert step["due_on"] == "2026-10-30"

        with pytest.raises(GovbusError) as officer_extends:
            await ask(host, q.EXTEND_REQUEST, {"request_id": request_id, "working_days": 10,
                                               "reason": "x"}, OFFICER)
        assert officer_extends.value.code is ErrorCode.forbidden
        step = await ask(host, q.EXTEND_REQUEST, {
            "request_id": request_id, "working_days": 15,
            "reason": "所需信息涉及多个部门, 需汇总核实"}, APPROVER)
        assert step["due_on"] == "2026-11-20"
        with pytest.raises(GovbusError) as twice:
            await ask(host, q.EXTEND_REQUEST, {"request_id": request_id, "working_days": 1,
                                               "reason": "再延"}, APPROVER)
        assert twice.value.code is ErrorCode.conflict

        clock.set(at(date(2026, 10, 20)))
        step = await ask(host, q.REPLY_REQUEST, {
            "request_id": request_id, "reply_type": "予以提供", "outcome": "部分公开",
            "text": "现提供袁州区2025年度老旧小区改造项目清单及资金安排",
            "withheld": [{"part": "项目合同价款明细", "reason": "保护第三方合法权益",
                          "legal_basis": "第十五条"}]}, OFFICER)
        assert (step["status"], step["closed_on"]) == ("已答复", "2026-10-20")

        tracked = await ask(host, q.TRACK_REQUEST, {"tracking_code": code}, CITIZEN)
        assert tracked["reply"]["withheld"][0]["reason"] == "保护第三方合法权益"
        assert [n["kind"] for n in tracked["notices"]] == [
            "受理回执", "补正告知书", "延长答复期限告知书", "政府信息公开申请答复书"]

        view = await ask(host, q.GET_REQUEST, {"request_id": request_id}, OFFICER)
        assert view["applicant"]["name"] == "张三"
        assert [p["kind"] for p in view["clock"]["pauses"]] == ["补正", "征求第三方意见"]
        assert view["extension"]["approved_by"] == "周主任"
        stored = await host.contexts["disclosure"].db["requests"].find_one({"_id": request_id})
        assert stored is not None
        assert (stored["received_on"], stored["closed_on"], stored["outcome"],
                stored["outcome_reason"], stored["reply_type"]) == (
            "2026-09-14", "2026-10-20", "部分公开", None, "予以提供")
        assert code not in str(stored)  # the code is never stored, only its hash

        facts = await eventually(lambda: events_of(servers, request_id),
                                 lambda e: len(e) >= 7)
        assert [f["subject"].split(".")[4] for f in facts] == [
            "received", "correction_requested", "corrected", "consultation_started",
            "consultation_ended", "extended", "replied"]
        for fact in facts:
            body = str(fact["data"])
            assert not any(p in body for p in PERSONAL) and code not in body


async def test_a_retried_submission_returns_the_first_reply_and_code(office):
    async with office(date(2026, 3, 9)) as (host, _):
        key = "submit-" + uuid.uuid4().hex
        first = await ask(host, q.SUBMIT_REQUEST, application(), CITIZEN, message_id=key)
        again = await ask(host, q.SUBMIT_REQUEST, application(), CITIZEN, message_id=key)
        assert again == first
        other = await ask(host, q.SUBMIT_REQUEST, application(), CITIZEN)
        assert other["request_number"] == "2026-0002"  # no number spent on the retry
        assert other["tracking_code"] != first["tracking_code"]
        # Bad input spends no number either.
        with pytest.raises(GovbusError) as bad:
            await ask(host, q.SUBMIT_REQUEST, application(contact={}), CITIZEN)
        assert bad.value.code is ErrorCode.validation_failed
        third = await ask(host, q.SUBMIT_REQUEST, application(), CITIZEN)
        assert third["request_number"] == "2026-0003"


async def test_a_retry_reaching_a_restarted_service_shows_the_same_code(settings):
    # Two lives of the service on one database (a restart, or another replica): the key of
    # the tracking codes is kept in the service's database, so both derive the same code.
    own = IsolatedSettings(**settings.model_dump(),
                           database=f"govbus_disclosure_key_{uuid.uuid4().hex[:8]}")
    key = "submit-" + uuid.uuid4().hex
    async with running(own, service, clock=ManualClock(at(date(2026, 3, 9)))) as host:
        first = await ask(host, q.SUBMIT_REQUEST, application(), CITIZEN, message_id=key)
    async with running(own, service, clock=ManualClock(at(date(2026, 3, 9)))) as host:
        again = await ask(host, q.SUBMIT_REQUEST, application(), CITIZEN, message_id=key)
        assert again["tracking_code"] == first["tracking_code"]
        tracked = await ask(host, q.TRACK_REQUEST, {"tracking_code": first["tracking_code"]},
                            CITIZEN)
        assert tracked["request_number"] == first["request_number"]


async def test_the_overdue_sweep_publishes_one_overdue_fact_even_when_run_twice(
        servers, office):
    async with office(date(2026, 3, 9)) as (host, clock):
        request_id = (await ask(host, q.SUBMIT_REQUEST, application(), CITIZEN))["id"]
        ctx = host.contexts["disclosure"]
        clock.set(at(date(2026, 4, 1)))
        await sweep_request_deadlines(ctx)
        await sweep_request_deadlines(ctx)
        clock.set(at(date(2026, 4, 8)))  # the first working day after 7 April
        await sweep_request_deadlines(ctx)
        await sweep_request_deadlines(ctx)
        overdue = await eventually(lambda: events_of(servers, request_id, "overdue"),
                                   lambda e: len(e) >= 1)
        await sweep_request_deadlines(ctx)
        assert [e["id"] for e in await events_of(servers, request_id, "overdue")] == [
            overdue_event_id(request_id, date(2026, 4, 7))]
        assert overdue[0]["data"]["overdue_since"] == "2026-04-08"
        assert len(await events_of(servers, request_id, "reminded")) == 1
        listed = await ask(host, q.LIST_REQUESTS, {"overdue": True}, OFFICER)
        assert [i["id"] for i in listed["items"]] == [request_id]


async def test_an_unanswered_correction_closes_the_request(servers, office):
    async with office(date(2026, 3, 9)) as (host, clock):
        submitted = await ask(host, q.SUBMIT_REQUEST, application(), CITIZEN)
        request_id = submitted["id"]
        await ask(host, q.REQUEST_CORRECTION, {"request_id": request_id, "items": ["请明确年度"],
                                               "answer_working_days": 5}, OFFICER)
        ctx = host.contexts["disclosure"]
        clock.set(at(date(2026, 3, 16)))  # the 5th working day: still open
        await sweep_request_deadlines(ctx)
        tracked = await ask(host, q.TRACK_REQUEST, {"tracking_code": submitted["tracking_code"]},
                            CITIZEN)
        assert tracked["status"] == "待补正" and tracked["paused"] is True
        clock.set(at(date(2026, 3, 17)))
        await sweep_request_deadlines(ctx)
        await sweep_request_deadlines(ctx)
        tracked = await ask(host, q.TRACK_REQUEST, {"tracking_code": submitted["tracking_code"]},
                            CITIZEN)
        assert (tracked["status"], tracked["closed_on"]) == ("视为放弃", "2026-03-17")
        assert tracked["notices"][-1]["kind"] == "终止办理告知书"
        lapsed = await eventually(lambda: events_of(servers, request_id, "lapsed"),
                                  lambda e: len(e) >= 1)
        assert len(lapsed) == 1
        assert lapsed[0]["data"]["outcome_reason"].startswith("申请人无正当理由逾期不补正")
        with pytest.raises(GovbusError) as late:
            await ask(host, q.SUBMIT_CORRECTION, {"tracking_code": submitted["tracking_code"],
                                                  "supplement": "补充"}, CITIZEN)
        assert late.value.code is ErrorCode.invalid_transition


async def test_a_complaint_is_referred_without_the_applicants_identity(servers, office):
    async with office(date(2026, 3, 9)) as (host, _):
        request_id = (await ask(host, q.SUBMIT_REQUEST, application(information={
            "description": "投诉某街道办工作人员办理低保时态度恶劣, 要求处理"}), CITIZEN))["id"]
        await ask(host, q.REPLY_REQUEST, {
            "request_id": request_id, "reply_type": "不予处理", "outcome": "不予处理",
            "outcome_reason": "信访举报投诉类申请", "matter_kind": "投诉",
            "text": "您反映的事项属于投诉, 已转交投诉受理机构处理",
            "reason": "政府信息公开条例第三十九条"}, OFFICER)
        (referred,) = await eventually(lambda: events_of(servers, request_id, "referred"),
                                       lambda e: len(e) >= 1)
        assert referred["data"]["matter_kind"] == "投诉"
        assert "态度恶劣" in referred["data"]["matter"]
        assert not any(p in str(referred["data"]) for p in PERSONAL)
        with pytest.raises(GovbusError) as officer:
            await ask(host, q.GET_REFERRAL, {"request_id": request_id}, OFFICER)
        assert officer.value.code is ErrorCode.forbidden
        referral = await ask(host, q.GET_REFERRAL, {"request_id": request_id}, COMPLAINTS)
        assert referral["applicant"]["name"] == "张三"
        assert referral["contact"]["phone"] == "13907950000"


async def test_a_department_officer_sees_only_what_was_assigned_to_it(office):
    department = f"住建局-{uuid.uuid4().hex[:6]}"
    dept_officer = Principal(subject="u-lin", name="林科员",
                             roles=frozenset({"disclosure_officer"}), department=department)
    async with office(date(2026, 3, 9)) as (host, _):
        request_id = (await ask(host, q.SUBMIT_REQUEST, application(), CITIZEN))["id"]
        with pytest.raises(GovbusError) as hidden:
            await ask(host, q.GET_REQUEST, {"request_id": request_id}, dept_officer)
        assert hidden.value.code is ErrorCode.not_found
        with pytest.raises(GovbusError) as no_assign:
            await ask(host, q.ASSIGN_REQUEST, {"request_id": request_id,
                                               "department": department}, dept_officer)
        assert no_assign.value.code is ErrorCode.not_found
        await ask(host, q.ASSIGN_REQUEST, {"request_id": request_id, "department": department},
                  OFFICER)
        seen = await ask(host, q.GET_REQUEST, {"request_id": request_id}, dept_officer)
        assert seen["department"] == department
        listed = await ask(host, q.LIST_REQUESTS, {}, dept_officer)
        assert [i["id"] for i in listed["items"]] == [request_id]
        assert "applicant" not in listed["items"][0]

        # and the department's own system reads the 分办 on its own subject, no applicant
        code = DepartmentDirectory().code(department)
        (copy,) = await eventually(
            lambda: stream_messages(host.settings.nats_url or "", department_wildcard(code),
                                    DEPARTMENTS_STREAM), lambda c: len(c) == 1)
        assert copy["subject"] == q.REQUEST_ASSIGNED.department_subject(code)
        assert (copy["data"]["id"], copy["data"]["department"]) == (request_id, department)
        assert not {"applicant", "contact"} & copy["data"].keys()


async def test_the_eleventh_request_of_a_month_pays_and_its_clock_stops_until_payment(office):
    async with office(date(2026, 3, 9)) as (host, clock):
        ids = [(await ask(host, q.SUBMIT_REQUEST, application(information={
            "description": f"第{n}项信息"}), CITIZEN))["id"] for n in range(1, 12)]
        with pytest.raises(GovbusError) as free:
            await ask(host, q.ISSUE_FEE_NOTICE, {"request_id": ids[9]}, OFFICER)
        assert free.value.code is ErrorCode.validation_failed
        step = await ask(host, q.ISSUE_FEE_NOTICE, {"request_id": ids[10]}, OFFICER)
        assert (step["status"], step["due_on"]) == ("待缴费", None)
        view = await ask(host, q.GET_REQUEST, {"request_id": ids[10]}, OFFICER)
        assert (view["fee"]["amount"], view["fee"]["monthly_position"]) == (100, 11)
        clock.set(at(date(2026, 3, 12)))
        step = await ask(host, q.RECORD_FEE_PAYMENT, {"request_id": ids[10]}, OFFICER)
        # No day used before the notice (issued on the day of receipt): 20 after 12 March.
        assert (step["status"], step["due_on"]) == ("办理中", "2026-04-10")


async def test_an_online_saturday_request_is_received_that_day_and_a_letter_waits_for_confirmation(
        servers, office):
    # 第三十一条 through the bus: online on Saturday 7 March 2026, confirmed at once by the
    # platform: received that Saturday, due 3 April (20 working days from Monday 9 March).
    async with office(date(2026, 3, 7)) as (host, clock):
        online = await ask(host, q.SUBMIT_REQUEST, application(), CITIZEN)
        assert (online["status"], online["received_on"], online["due_on"]) == (
            "办理中", "2026-03-07", "2026-04-03")
        clock.set(at(date(2026, 3, 9)))
        letter = await ask(host, q.SUBMIT_REQUEST, application(channel="平常信函",
                                                               submitted_on="2026-03-06"),
                           OFFICER)
        assert (letter["status"], letter["due_on"]) == ("待确认", None)
        step = await ask(host, q.CONFIRM_RECEIPT, {"request_id": letter["id"],
                                                   "remarks": "电话与申请人确认"}, OFFICER)
        assert (step["status"], step["due_on"]) == ("办理中", "2026-04-07")
        view = await ask(host, q.GET_REQUEST, {"request_id": letter["id"]}, OFFICER)
        assert view["received_on"] == "2026-03-09"
        assert view["receipt_confirmation"]["confirmed_on"] == "2026-03-09"
        confirmed = await eventually(
            lambda: events_of(servers, letter["id"], "receipt_confirmed"), lambda e: len(e) >= 1)
        assert confirmed[0]["data"]["due_on"] == "2026-04-07"


async def test_local_rules_move_a_saturday_receipt_to_monday(office):
    # GOVBUS_DISCLOSURE_REQUEST_RECEIPT_NEXT_WORKING_DAY=true: the office's own settings.
    local_rules = DisclosureSettings(request_receipt_next_working_day=True)
    async with office(date(2026, 3, 7),
                      service_settings={"disclosure": local_rules}) as (host, _):
        online = await ask(host, q.SUBMIT_REQUEST, application(), CITIZEN)
        assert (online["received_on"], online["due_on"]) == ("2026-03-09", "2026-04-07")


async def in_consultation(host: Host, clock: ManualClock) -> str:
    """A request received on the clock's day, sent to a third party on Friday 13 March 2026
    (第三十二条: their 15 working days run to 3 April)."""
    request_id = (await ask(host, q.SUBMIT_REQUEST, application(), CITIZEN))["id"]
    clock.set(at(date(2026, 3, 13)))
    await ask(host, q.START_CONSULTATION, {
        "request_id": request_id, "third_party": "宜春某建设工程有限公司",
        "matter": "项目合同价款是否涉及商业秘密"}, OFFICER)
    return request_id


async def test_an_unanswered_consultation_resumes_by_itself_and_the_request_goes_overdue(
        servers, office):
    async with office(date(2026, 3, 9)) as (host, clock):
        request_id = await in_consultation(host, clock)
        ctx = host.contexts["disclosure"]
        clock.set(at(date(2026, 4, 3)))  # the third party's last day: nothing yet
        await sweep_request_deadlines(ctx)
        view = await ask(host, q.GET_REQUEST, {"request_id": request_id}, OFFICER)
        assert (view["status"], view["due_on"]) == ("征求第三方意见中", None)
        clock.set(at(date(2026, 4, 7)))
        await sweep_request_deadlines(ctx)
        await sweep_request_deadlines(ctx)
        view = await ask(host, q.GET_REQUEST, {"request_id": request_id}, OFFICER)
        assert (view["status"], view["due_on"]) == ("办理中", "2026-04-28")
        assert view["consultations"][0]["answer"] == "逾期未答复"
        ended = await eventually(lambda: events_of(servers, request_id, "consultation_ended"),
                                 lambda e: len(e) >= 1)
        assert len(ended) == 1 and ended[0]["data"]["by_system"] is True
        clock.set(at(date(2026, 4, 29)))
        await sweep_request_deadlines(ctx)
        await sweep_request_deadlines(ctx)
        overdue = await eventually(lambda: events_of(servers, request_id, "overdue"),
                                   lambda e: len(e) >= 1)
        assert overdue[0]["data"]["overdue_since"] == "2026-04-29"
        listed = await ask(host, q.LIST_REQUESTS, {"overdue": True}, OFFICER)
        assert [i["id"] for i in listed["items"]] == [request_id]


async def test_a_consultation_stored_without_an_alert_day_is_picked_up_by_the_sweep(office):
    # A request that went into consultation before the sweep watched consultations.
    async with office(date(2026, 3, 9)) as (host, clock):
        request_id = await in_consultation(host, clock)
        ctx = host.contexts["disclosure"]
        await ctx.db["requests"].update_one({"_id": request_id},
                                            {"$set": {"next_alert_on": None}})
        clock.set(at(date(2026, 5, 6)))
        await sweep_request_deadlines(ctx)
        view = await ask(host, q.GET_REQUEST, {"request_id": request_id}, OFFICER)
        assert (view["status"], view["due_on"], view["overdue_since"]) == (
            "办理中", "2026-04-28", "2026-04-29")


# --- without servers ----------------------------------------------------------------------


async def office_in_memory(start: date) -> tuple[MemoryHost, ManualClock]:
    clock = ManualClock(at(start))
    host = MemoryHost(service, clock=clock)
    # What the service's start-up keeps for its handlers: the key of the tracking codes.
    host.ctx.state["disclosure.tracking_key"] = await load_tracking_key(host.ctx)
    return host, clock


async def test_a_request_is_received_and_answered_without_servers():
    host, clock = await office_in_memory(date(2026, 9, 14))
    submitted = await host.command(q.SUBMIT_REQUEST, application(), CITIZEN,
                                   command_id="submit-1")
    request_id, code = submitted["id"], submitted["tracking_code"]
    assert submitted["request_number"] == "2026-0001"
    assert (submitted["received_on"], submitted["due_on"]) == ("2026-09-14", "2026-10-16")
    # A retried submission: the first reply and code, no second number.
    assert await host.command(q.SUBMIT_REQUEST, application(), CITIZEN,
                              command_id="submit-1") == submitted

    tracked = await host.query(q.TRACK_REQUEST, {"tracking_code": code}, CITIZEN)
    assert tracked["status"] == "办理中" and tracked["notices"][0]["kind"] == "受理回执"

    clock.set(at(date(2026, 10, 12)))
    step = await host.command(q.REPLY_REQUEST, {
        "request_id": request_id, "reply_type": "予以提供", "outcome": "予以公开",
        "text": "现提供2025年度市本级老旧小区改造项目清单及资金安排"}, OFFICER)
    assert (step["status"], step["closed_on"]) == ("已答复", "2026-10-12")

    tracked = await host.query(q.TRACK_REQUEST, {"tracking_code": code}, CITIZEN)
    assert [n["kind"] for n in tracked["notices"]] == ["受理回执", "政府信息公开申请答复书"]
    facts = host.memory.published(aggregate_id=request_id)
    assert [f.subject.split(".")[4] for f in facts] == ["received", "replied"]
    for fact in facts:
        assert not any(p in str(fact.data) for p in PERSONAL) and code not in str(fact.data)
