"""收文办理 through the bus, against the real servers (nats-server with JetStream and the
MongoDB-compatible store of the session fixture): the whole walk, 退文, a step out of order,
who may see a document, and the 催办 sweep. Last, the walk once more without servers, on the
kit's in-memory repository (govbus_kit.memory)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import pytest

from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.documents.incoming import (
    ASSIGN_INCOMING,
    CIRCULATE_INCOMING,
    COMPLETE_INCOMING,
    CONFIRM_READING,
    GET_INCOMING,
    INCOMING_ASSIGNED,
    INCOMING_INSTRUCTED,
    INCOMING_OVERDUE,
    INCOMING_REMINDED,
    INSTRUCT_INCOMING,
    LIST_INCOMING,
    PROPOSE_HANDLING,
    REGISTER_INCOMING,
    REVIEW_INCOMING,
    WHO_HOLDS,
)
from govbus_contracts.subjects import DEPARTMENTS_STREAM, department_wildcard
from govbus_documents.domain.incoming import overdue_event_id, reminder_event_id
from govbus_documents.handlers.incoming import sweep_incoming_deadlines
from govbus_documents.service import service
from govbus_kit.clock import OFFICE_TZ, ManualClock
from govbus_kit.departments import DepartmentDirectory
from govbus_kit.memory import MemoryHost
from govbus_testing import eventually, running, stream_messages
from govbus_testing.office import CLERK as REGISTRAR
from govbus_testing.office import LEADER, ask, handler

pytestmark = pytest.mark.servers

STREAM = "GOV_DOCUMENTS"


def at(d: date, hour: int = 9) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=OFFICE_TZ)


def unique(prefix: str) -> str:
    """A department code of this test alone (the servers are shared by the session)."""
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


#: A 收文 as the registrar enters it.
REGISTRATION: dict[str, Any] = {
    "issuer": "区委办公室",
    "issuer_doc_number": "区委办发〔2026〕12号",
    "doc_type": "意见",
    "urgency": "特急",
    "received_on": "2026-09-30",
    "copies": 2,
    "title": "关于进一步加强自身建设的实施意见",
    "body": ("为全面提升区委办公室综合服务水平,推动区委决策更好更快贯彻落实,"
             "经研究,制定本实施意见。"),
}


async def register(host: Any, **overrides: Any) -> dict[str, Any]:
    return await ask(host, REGISTER_INCOMING, {**REGISTRATION, **overrides}, REGISTRAR)


async def events_of(servers: Any, spec: Any, document_id: str) -> list[dict[str, Any]]:
    """Every message of ``spec`` about one document, read straight from the stream."""
    return [{"id": m["headers"]["ce-id"], "data": m["data"]}
            for m in await stream_messages(servers.nats_url, spec.subject, STREAM)
            if m["data"].get("id") == document_id]


async def test_incoming_document_walks_from_registration_to_completion(servers, settings):
    lead, co, reader = unique("综合科"), unique("督查室"), unique("信息科")
    clock = ManualClock(at(date(2026, 9, 30)))
    async with running(settings, service, clock=clock) as host:
        reply = await register(host)
        doc_id = reply["id"]
        assert reply["status"] == "已登记"
        assert reply["registration_number"].startswith("收〔2026〕")

        step = await ask(host, REVIEW_INCOMING, {"id": doc_id, "decision": "受理"}, REGISTRAR)
        assert step["status"] == "待拟办"
        step = await ask(host, PROPOSE_HANDLING, {
            "id": doc_id, "opinion": "拟请王副区长阅示, 由综合科牵头办理",
            "lead_department": lead, "co_departments": [co], "needs_instruction": True,
        }, REGISTRAR)
        assert step["status"] == "待批示"
        step = await ask(host, INSTRUCT_INCOMING, {
            "id": doc_id, "instruction": "请综合科抓好落实, 督查室跟踪督办",
            "needs_supervision": True, "supervision_deadline": "2026-10-30",
        }, LEADER)
        assert step["status"] == "待承办"

        (instructed,) = await eventually(
            lambda: events_of(servers, INCOMING_INSTRUCTED, doc_id), lambda e: len(e) == 1)
        supervision = instructed["data"]
        assert supervision["needs_supervision"] is True
        assert supervision["issuer_doc_number"] == "区委办发〔2026〕12号"
        assert supervision["leader"] == "王副区长"
        assert supervision["instructed_on"] == "2026-09-30"
        assert supervision["supervision_deadline"] == "2026-10-30"
        assert supervision["lead_department"] == lead
        assert "body" not in supervision

        # 特急, assigned on 30 September: 3 working days after the 国庆 holiday.
        step = await ask(host, ASSIGN_INCOMING, {
            "id": doc_id, "lead_department": lead, "co_departments": [co]}, REGISTRAR)
        assert (step["status"], step["due_on"]) == ("办理中", "2026-10-10")

        step = await ask(host, CIRCULATE_INCOMING, {
            "id": doc_id, "departments": [reader],
            "leader_readers": [{"subject": "wang-fqz", "name": "王副区长"}]}, REGISTRAR)
        assert step["holders"] == [reader, "wang-fqz"]
        holders = await ask(host, WHO_HOLDS, {"id": doc_id}, REGISTRAR)
        assert [(h["holder"], h["holder_name"]) for h in holders["holders"]] == [
            (reader, None), ("wang-fqz", "王副区长")]
        assert holders["lead_department"] == lead and holders["custodian"] == "办公室"

        step = await ask(host, CONFIRM_READING, {"id": doc_id, "comment": "已阅"},
                         handler(reader, "赵科长"))
        assert step["holders"] == ["wang-fqz"]
        step = await ask(host, CONFIRM_READING, {"id": doc_id}, LEADER)
        assert step["holders"] == []

        step = await ask(host, COMPLETE_INCOMING, {
            "id": doc_id, "result": "已制定任务分解表, 各项措施落实到位"}, handler(lead))
        assert step["status"] == "已办结" and step["archivable"] is True

        view = await ask(host, GET_INCOMING, {"id": doc_id}, handler(lead))
        assert view["status"] == "已办结"
        assert view["result"] == "已制定任务分解表, 各项措施落实到位"
        assert view["holders"] == []
        assert [c["read_by"] for c in view["circulation"]] == ["赵科长", "王副区长"]
        assert [h["action"] for h in view["history"]] == [
            "签收登记", "初审受理", "拟办", "批示", "承办交办", "传阅", "阅毕", "阅毕", "办结"]


async def test_document_returned_at_initial_review_is_closed(settings):
    async with running(settings, service, clock=ManualClock(at(date(2026, 9, 30)))) as host:
        doc_id = (await register(host, issuer="宜春市人民政府办公室", doc_type="通知",
                                 issuer_doc_number="宜府办发〔2008〕71号",
                                 title="关于贯彻宜发〔2008〕13号文件的实施意见"))["id"]
        step = await ask(host, REVIEW_INCOMING, {
            "id": doc_id, "decision": "退文", "reasons": ["不属于本机关职权范围"],
            "remarks": "请径送市发改委"}, REGISTRAR)
        assert step["status"] == "已退回"
        with pytest.raises(GovbusError) as refused:
            await ask(host, PROPOSE_HANDLING, {"id": doc_id, "opinion": "拟办"}, REGISTRAR)
        assert refused.value.code is ErrorCode.invalid_transition
        view = await ask(host, GET_INCOMING, {"id": doc_id}, REGISTRAR)
        assert view["status"] == "已退回"
        assert view["review"]["reasons"] == ["不属于本机关职权范围"]


async def test_step_out_of_order_is_refused_and_changes_nothing(settings):
    async with running(settings, service, clock=ManualClock(at(date(2026, 9, 30)))) as host:
        doc_id = (await register(host))["id"]
        before = await ask(host, GET_INCOMING, {"id": doc_id}, REGISTRAR)
        with pytest.raises(GovbusError) as refused:
            await ask(host, ASSIGN_INCOMING, {"id": doc_id, "lead_department": "综合科"},
                      REGISTRAR)
        assert refused.value.code is ErrorCode.invalid_transition
        assert refused.value.details["status"] == "已登记"
        after = await ask(host, GET_INCOMING, {"id": doc_id}, REGISTRAR)
        assert after == before


async def test_invalid_registration_is_refused_without_spending_a_number(settings):
    async with running(settings, service, clock=ManualClock(at(date(2026, 9, 30)))) as host:
        first = await register(host)
        with pytest.raises(GovbusError) as refused:
            await register(host, classification={"level": "机密"})
        assert refused.value.code is ErrorCode.validation_failed
        with pytest.raises(GovbusError) as future:
            await register(host, received_on="2026-10-01")
        assert future.value.code is ErrorCode.validation_failed
        second = await register(host)
        serial = int(first["registration_number"].removeprefix("收〔2026〕").removesuffix("号"))
        assert second["registration_number"] == f"收〔2026〕{serial + 1}号"


async def test_a_department_sees_only_what_was_assigned_or_circulated_to_it(settings):
    lead, other = unique("综合科"), unique("财务科")
    async with running(settings, service, clock=ManualClock(at(date(2026, 9, 30)))) as host:
        doc_id = (await register(host))["id"]
        await ask(host, REVIEW_INCOMING, {"id": doc_id, "decision": "受理"}, REGISTRAR)
        await ask(host, PROPOSE_HANDLING, {"id": doc_id, "opinion": "拟由综合科办理",
                                           "needs_instruction": False}, REGISTRAR)
        await ask(host, ASSIGN_INCOMING, {"id": doc_id, "lead_department": lead}, REGISTRAR)

        with pytest.raises(GovbusError) as hidden:
            await ask(host, GET_INCOMING, {"id": doc_id}, handler(other))
        assert hidden.value.code in (ErrorCode.not_found, ErrorCode.forbidden)
        listed = await ask(host, LIST_INCOMING, {"limit": 200}, handler(other))
        assert doc_id not in [i["id"] for i in listed["items"]]

        mine = await ask(host, LIST_INCOMING, {"status": "办理中"}, handler(lead))
        assert [i["id"] for i in mine["items"]] == [doc_id]
        assert mine["items"][0]["due_on"] == "2026-10-10"
        assert (await ask(host, GET_INCOMING, {"id": doc_id}, handler(lead)))["id"] == doc_id

        # Circulated to it, the other department sees it too.
        await ask(host, CIRCULATE_INCOMING, {"id": doc_id, "departments": [other]}, REGISTRAR)
        seen = await ask(host, LIST_INCOMING, {"department": other}, handler(other))
        assert [i["id"] for i in seen["items"]] == [doc_id]


async def test_sweep_reminds_before_the_deadline_and_notices_it_overdue_once_each(
        servers, settings):
    clock = ManualClock(at(date(2026, 9, 30)))
    async with running(settings, service, clock=clock) as host:
        doc_id = (await register(host))["id"]
        await ask(host, REVIEW_INCOMING, {"id": doc_id, "decision": "受理"}, REGISTRAR)
        await ask(host, PROPOSE_HANDLING, {"id": doc_id, "opinion": "拟由综合科办理",
                                           "needs_instruction": False}, REGISTRAR)
        step = await ask(host, ASSIGN_INCOMING, {"id": doc_id, "lead_department": "综合科"},
                         REGISTRAR)
        assert step["due_on"] == "2026-10-10"
        ctx = host.contexts["documents"]

        clock.set(at(date(2026, 10, 8)))  # 2 working days before the deadline
        await sweep_incoming_deadlines(ctx)
        await sweep_incoming_deadlines(ctx)
        reminded = await eventually(lambda: events_of(servers, INCOMING_REMINDED, doc_id),
                                    lambda e: len(e) >= 1)
        assert [e["id"] for e in reminded] == [reminder_event_id(doc_id, date(2026, 10, 10))]
        assert reminded[0]["data"]["kind"] == "到期提醒"
        assert reminded[0]["data"]["working_days_left"] == 2

        clock.set(at(date(2026, 10, 12)))  # the first working day after the deadline
        await sweep_incoming_deadlines(ctx)
        await sweep_incoming_deadlines(ctx)
        overdue = await eventually(lambda: events_of(servers, INCOMING_OVERDUE, doc_id),
                                   lambda e: len(e) >= 1)
        assert [e["id"] for e in overdue] == [overdue_event_id(doc_id, date(2026, 10, 10))]
        assert overdue[0]["data"]["overdue_since"] == "2026-10-12"
        assert len(await events_of(servers, INCOMING_REMINDED, doc_id)) == 1

        view = await ask(host, GET_INCOMING, {"id": doc_id}, REGISTRAR)
        assert view["overdue_since"] == "2026-10-12"
        assert [r["kind"] for r in view["reminders"]] == ["到期提醒"]

        # 综合科's system reads its 承办, 催办 and 逾期 on its own subjects, each once
        code = DepartmentDirectory().code("综合科")
        copies = await eventually(lambda: department_copies(servers, code, doc_id),
                                  lambda c: len(c) >= 3)
        assert [(c["subject"], c["headers"]["ce-id"]) for c in copies] == [
            (INCOMING_ASSIGNED.department_subject(code), copies[0]["headers"]["ce-id"]),
            (INCOMING_REMINDED.department_subject(code), reminded[0]["id"]),
            (INCOMING_OVERDUE.department_subject(code), overdue[0]["id"])]
        assert [c["data"] for c in copies[1:]] == [reminded[0]["data"], overdue[0]["data"]]


async def department_copies(servers: Any, code: str, document_id: str
                            ) -> list[dict[str, Any]]:
    return [m for m in await stream_messages(servers.nats_url, department_wildcard(code),
                                             DEPARTMENTS_STREAM)
            if m["data"].get("id") == document_id]


# --- without servers ----------------------------------------------------------------------


async def test_incoming_document_walks_from_registration_to_completion_without_servers():
    host = MemoryHost(service, clock=ManualClock(at(date(2026, 9, 30))))
    lead, co, reader = "综合科", "督查室", "信息科"

    reply = await host.command(REGISTER_INCOMING, REGISTRATION, REGISTRAR)
    doc_id = reply["id"]
    assert (reply["status"], reply["registration_number"]) == ("已登记", "收〔2026〕1号")
    step = await host.command(REVIEW_INCOMING, {"id": doc_id, "decision": "受理"}, REGISTRAR)
    assert step["status"] == "待拟办"
    step = await host.command(PROPOSE_HANDLING, {
        "id": doc_id, "opinion": "拟请王副区长阅示, 由综合科牵头办理",
        "lead_department": lead, "co_departments": [co], "needs_instruction": True,
    }, REGISTRAR)
    assert step["status"] == "待批示"
    step = await host.command(INSTRUCT_INCOMING, {
        "id": doc_id, "instruction": "请综合科抓好落实, 督查室跟踪督办",
        "needs_supervision": True, "supervision_deadline": "2026-10-30"}, LEADER)
    assert step["status"] == "待承办"
    (instructed,) = host.memory.published(INCOMING_INSTRUCTED.subject, doc_id)
    assert (instructed.data["leader"], instructed.data["supervision_deadline"]) == (
        "王副区长", "2026-10-30")
    assert "body" not in instructed.data

    # 特急, assigned on 30 September: 3 working days after the 国庆 holiday.
    step = await host.command(ASSIGN_INCOMING, {
        "id": doc_id, "lead_department": lead, "co_departments": [co]}, REGISTRAR)
    assert (step["status"], step["due_on"]) == ("办理中", "2026-10-10")
    step = await host.command(CIRCULATE_INCOMING, {
        "id": doc_id, "departments": [reader],
        "leader_readers": [{"subject": "wang-fqz", "name": "王副区长"}]}, REGISTRAR)
    assert step["holders"] == [reader, "wang-fqz"]
    step = await host.command(CONFIRM_READING, {"id": doc_id, "comment": "已阅"},
                              handler(reader, "赵科长"))
    step = await host.command(CONFIRM_READING, {"id": doc_id}, LEADER)
    assert step["holders"] == []

    done = {"id": doc_id, "result": "已制定任务分解表, 各项措施落实到位"}
    step = await host.command(COMPLETE_INCOMING, done, handler(lead), command_id="complete-1")
    assert step["status"] == "已办结" and step["archivable"] is True
    # A retried command gets its first reply, of its type, and changes nothing.
    assert await host.command(COMPLETE_INCOMING, done, handler(lead),
                              command_id="complete-1") == step
    view = await host.query(GET_INCOMING, {"id": doc_id}, handler(lead))
    assert view["version"] == step["version"]
    assert [h["action"] for h in view["history"]] == [
        "签收登记", "初审受理", "拟办", "批示", "承办交办", "传阅", "阅毕", "阅毕", "办结"]

    with pytest.raises(GovbusError) as refused:
        await host.command(ASSIGN_INCOMING, {"id": doc_id, "lead_department": lead}, REGISTRAR)
    assert refused.value.code is ErrorCode.invalid_transition
