"""收文办理 without servers: the whole walk from 签收登记 to 办结 on the kit's in-memory
repository (govbus_kit.memory), the same handlers the bus would call."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from govbus_contracts.envelope import Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.documents.incoming import (
    ASSIGN_INCOMING,
    CIRCULATE_INCOMING,
    COMPLETE_INCOMING,
    CONFIRM_READING,
    GET_INCOMING,
    INCOMING_INSTRUCTED,
    INSTRUCT_INCOMING,
    PROPOSE_HANDLING,
    REGISTER_INCOMING,
    REVIEW_INCOMING,
)
from govbus_documents.plugin import service
from govbus_kit.clock import OFFICE_TZ, ManualClock
from govbus_kit.memory import MemoryHost

REGISTRAR = Principal(subject="li-wenshu", name="李文书", roles=frozenset({"registrar"}),
                      department="办公室")
LEADER = Principal(subject="wang-fqz", name="王副区长", roles=frozenset({"leader"}))


def handler(department: str, name: str = "张承办") -> Principal:
    return Principal(subject=f"h-{department}", name=name, roles=frozenset({"handler"}),
                     department=department)


def at(d: date, hour: int = 9) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=OFFICE_TZ)


APPLICATION: dict[str, Any] = {
    "issuer": "区委办公室", "issuer_doc_number": "区委办发〔2026〕12号", "doc_type": "意见",
    "urgency": "特急", "received_on": "2026-09-30", "copies": 2,
    "title": "关于进一步加强自身建设的实施意见",
    "body": "为全面提升区委办公室综合服务水平,经研究,制定本实施意见。",
}


async def test_incoming_document_walks_from_registration_to_completion_without_servers():
    host = MemoryHost(service, clock=ManualClock(at(date(2026, 9, 30))))
    lead, co, reader = "综合科", "督查室", "信息科"

    reply = await host.command(REGISTER_INCOMING, APPLICATION, REGISTRAR)
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
