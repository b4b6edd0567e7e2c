"""督查事项 through the bus, against the real servers: documents and supervision in one host.

A 收文 registered, reviewed, proposed and instructed by a leader with 督办 and a deadline
opens its 领导批示 item, once even when the fact is delivered again; the office registers it
(督〔2026〕1号) and assigns it to a lead and a co-department; the co-department gives its
opinion and does not see the lead's draft; the lead answers, the office returns the answer
with reasons, the lead answers again, the office accepts: 已办结. A department neither lead
nor co-department is told nothing, and every refusal changes nothing.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import pytest

from govbus_contracts.errors import ErrorCode
from govbus_contracts.services.documents.incoming import (
    INCOMING_INSTRUCTED,
    INSTRUCT_INCOMING,
    PROPOSE_HANDLING,
    REGISTER_INCOMING,
    REVIEW_INCOMING,
)
from govbus_contracts.services.supervision.items import (
    ASSIGN_ITEM,
    DRAFT_ANSWER,
    GET_ITEM,
    GIVE_OPINION,
    ITEM_OPENED,
    REGISTER_ITEM,
    REVIEW_ANSWER,
    SUBMIT_ANSWER,
)
from govbus_documents.plugin import service as documents
from govbus_kit.clock import OFFICE_TZ, ManualClock
from govbus_supervision.domain.opening import instruction_item_id
from govbus_supervision.plugin import service as supervision
from govbus_testing import (
    IsolatedSettings,
    consumer_backlog,
    eventually,
    publish_again,
    running,
    stream_messages,
)
from govbus_testing.office import CLERK, LEADER, ask, handler
from govbus_testing.supervision import SUPERVISOR, refused, unique

pytestmark = pytest.mark.servers

JUN1 = date(2026, 6, 1)


async def redeliver(nats_url: str, message: dict[str, Any], event_id: str | None) -> None:
    """The instructed fact published again: past JetStream's de-duplication with its own
    event id, or as a new event (``event_id``) about the same 批示."""
    await publish_again(nats_url, message, "GOV_DOCUMENTS", event_id)


async def instructed_document(host: Any, lead: str, co: str) -> str:
    """收文 签收登记 → 初审 → 拟办 → 批示 with 督办 and a deadline."""
    doc = await ask(host, REGISTER_INCOMING, {
        "issuer": "省政府办公厅", "issuer_doc_number": "赣府办字〔2026〕31号",
        "doc_type": "通知", "urgency": "平件", "received_on": JUN1.isoformat(), "copies": 1,
        "title": "关于加快推进城镇老旧小区改造的通知",
        "body": "各设区市人民政府: 为加快推进城镇老旧小区改造, 现就有关事项通知如下。"}, CLERK)
    await ask(host, REVIEW_INCOMING, {"id": doc["id"], "decision": "受理"}, CLERK)
    await ask(host, PROPOSE_HANDLING, {
        "id": doc["id"], "opinion": "拟请王副区长阅示, 由住建局牵头办理",
        "lead_department": lead, "co_departments": [co], "needs_instruction": True}, CLERK)
    await ask(host, INSTRUCT_INCOMING, {
        "id": doc["id"], "instruction": "请住建局牵头抓紧落实, 督查室跟踪督办, 6月底前报结果",
        "needs_supervision": True, "supervision_deadline": "2026-06-30"}, LEADER)
    return str(doc["id"])


async def test_an_instruction_becomes_an_item_handled_returned_and_completed(servers,
                                                                             settings):
    lead, co, other = unique("市住建局"), unique("市财政局"), unique("市教育局")
    lead_h, co_h, other_h = handler(lead, "林主办"), handler(co, "钱协办"), handler(other)
    own = IsolatedSettings(**settings.model_dump(),
                           database=f"govbus_supervision_flow_{uuid.uuid4().hex[:8]}")
    clock = ManualClock(datetime(2026, 6, 1, 10, tzinfo=OFFICE_TZ))
    async with running(own, documents, supervision, clock=clock) as host:
        db = host.contexts[supervision.name].db
        doc_id = await instructed_document(host, lead, co)
        item_id = instruction_item_id(doc_id, JUN1)

        # The 批示 opens its item; the fact delivered again (the same event past
        # de-duplication, and a new event of the same 批示) opens nothing more.
        # Only this 收文's: the durable consumer also reads other tests' 批示 on the stream.
        ours = {"source.instruction.document_id": doc_id}
        await eventually(lambda: db["items"].count_documents(ours), lambda n: n == 1)
        (fact,) = [m for m in await stream_messages(servers.nats_url,
                                                    INCOMING_INSTRUCTED.subject,
                                                    "GOV_DOCUMENTS")
                   if m["data"]["id"] == doc_id]
        await redeliver(servers.nats_url, fact, None)
        await redeliver(servers.nats_url, fact, str(uuid.uuid4()))
        await eventually(lambda: consumer_backlog(
            servers.nats_url, "GOV_DOCUMENTS", "supervision-instructions"), lambda n: n == 0)
        assert await db["items"].count_documents(ours) == 1
        opened = [m for m in await stream_messages(servers.nats_url, ITEM_OPENED.subject,
                                                   "GOV_SUPERVISION")
                  if m["data"]["id"] == item_id]
        assert len(opened) == 1 and opened[0]["data"]["document_id"] == doc_id

        item = await ask(host, GET_ITEM, {"id": item_id}, SUPERVISOR)
        assert (item["status"], item["source"]["kind"], item["requested_due_on"]) == (
            "已立项", "领导批示", "2026-06-30")
        assert item["source"]["instruction"]["document_id"] == doc_id
        assert item["source"]["instruction"]["leader"] == "王副区长"

        # 登记: only the office; the year's first number.
        await refused(ErrorCode.forbidden, db, item_id,
                      ask(host, REGISTER_ITEM, {"id": item_id}, LEADER))
        await refused(ErrorCode.invalid_transition, db, item_id, ask(
            host, ASSIGN_ITEM, {"id": item_id, "lead_department": lead}, SUPERVISOR))
        step = await ask(host, REGISTER_ITEM, {"id": item_id}, SUPERVISOR)
        assert (step["number"], step["status"]) == ("督〔2026〕1号", "已登记")

        # 交办: the deadline the 批示 asked for. Before it, the lead does not see the item.
        await refused(ErrorCode.not_found, db, item_id, ask(
            host, ASSIGN_ITEM, {"id": item_id, "lead_department": lead}, lead_h))
        step = await ask(host, ASSIGN_ITEM, {"id": item_id, "lead_department": lead,
                                             "co_departments": [co]}, SUPERVISOR)
        assert (step["status"], step["due_on"]) == ("办理中", "2026-06-30")

        # Another department: as if the item did not exist, for reading and acting alike.
        await refused(ErrorCode.not_found, db, item_id,
                      ask(host, GET_ITEM, {"id": item_id}, other_h))
        await refused(ErrorCode.not_found, db, item_id, ask(
            host, SUBMIT_ANSWER, {"id": item_id, "text": "已办理。"}, other_h))
        await refused(ErrorCode.not_found, db, item_id, ask(
            host, GIVE_OPINION, {"id": item_id, "opinion": "同意。"}, other_h))

        # The lead's draft is the lead's and the office's until submitted.
        await ask(host, DRAFT_ANSWER, {"id": item_id, "text": "初稿: 已完成改造12个小区。"},
                  lead_h)
        assert (await ask(host, GET_ITEM, {"id": item_id}, lead_h))["answer_draft"]["text"] \
            == "初稿: 已完成改造12个小区。"
        seen_by_co = await ask(host, GET_ITEM, {"id": item_id}, co_h)
        assert seen_by_co["answer_draft"] is None and seen_by_co["answers"] == []
        assert "初稿" not in str(seen_by_co)

        # Only the lead answers, and not before the co-department's opinion is in (within
        # its period); only a co-department gives one.
        await refused(ErrorCode.forbidden, db, item_id, ask(
            host, SUBMIT_ANSWER, {"id": item_id, "text": "已办理。"}, co_h))
        await refused(ErrorCode.conflict, db, item_id, ask(
            host, SUBMIT_ANSWER, {"id": item_id, "text": "已办理。"}, lead_h))
        await refused(ErrorCode.forbidden, db, item_id, ask(
            host, GIVE_OPINION, {"id": item_id, "opinion": "同意。"}, lead_h))
        await ask(host, GIVE_OPINION, {"id": item_id, "opinion": "资金按程序安排。"}, co_h)
        clock.set(datetime(2026, 6, 10, 10, tzinfo=OFFICE_TZ))
        step = await ask(host, SUBMIT_ANSWER, {"id": item_id, "text": "已完成改造12个小区。"},
                         lead_h)
        assert step["status"] == "已反馈"
        seen_by_co = await ask(host, GET_ITEM, {"id": item_id}, co_h)
        assert [a["text"] for a in seen_by_co["answers"]] == ["已完成改造12个小区。"]

        # 审结退回: with reasons, and a new deadline (10 working days by default; 端午 19 Jun
        # is no working day).
        await refused(ErrorCode.forbidden, db, item_id, ask(
            host, REVIEW_ANSWER, {"id": item_id, "decision": "审结通过"}, lead_h))
        await refused(ErrorCode.validation_failed, db, item_id, ask(
            host, REVIEW_ANSWER, {"id": item_id, "decision": "退回重办"}, SUPERVISOR))
        step = await ask(host, REVIEW_ANSWER, {
            "id": item_id, "decision": "退回重办",
            "reasons": ["未说明资金来源", "未附改造清单"]}, SUPERVISOR)
        assert (step["status"], step["due_on"]) == ("办理中", "2026-06-25")

        clock.set(datetime(2026, 6, 15, 10, tzinfo=OFFICE_TZ))
        step = await ask(host, SUBMIT_ANSWER, {
            "id": item_id, "text": "已完成改造12个小区, 资金由市财政安排, 清单附后。"}, lead_h)
        assert step["status"] == "已反馈"
        done = await ask(host, REVIEW_ANSWER, {"id": item_id, "decision": "审结通过"},
                         SUPERVISOR)
        assert done["status"] == "已办结"
        await refused(ErrorCode.invalid_transition, db, item_id, ask(
            host, REVIEW_ANSWER, {"id": item_id, "decision": "审结通过"}, SUPERVISOR))

        final = await ask(host, GET_ITEM, {"id": item_id}, co_h)
        assert [a["round"] for a in final["answers"]] == [1, 2]
        assert final["times_returned"] == 1
        assert final["reviews"][0]["reasons"] == ["未说明资金来源", "未附改造清单"]
        assert final["appraisal"]["on_time"] is True
        assert [h["action"] for h in final["history"]] == [
            "立项", "登记", "交办", "保存答复稿", "协办意见", "反馈", "审结退回", "反馈",
            "审结办结"]
