"""发文办理 through the bus, against a real nats-server and MongoDB-compatible server.

The whole walk of one notice (起草 → 退回 → 修改 → 审核 → 签发 → 复核 with a substantive
change → 重新签发 → 复核 → 登记 → 印制 → 核发), its facts read back from GOV_DOCUMENTS, and a
classified document whose facts never carry its text.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from govbus_contracts.envelope import Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.documents.incoming import (
    CIRCULATE_INCOMING,
    REGISTER_INCOMING,
    REVIEW_INCOMING,
)
from govbus_contracts.services.documents.outgoing import (
    DISPATCH_OUTGOING,
    DRAFT_OUTGOING,
    GET_NUMBER_REGISTER,
    GET_OUTGOING,
    LIST_OUTGOING,
    OUTGOING_DISPATCHED,
    PRINT_OUTGOING,
    RECHECK_OUTGOING,
    REGISTER_OUTGOING,
    REVIEW_OUTGOING,
    REVISE_OUTGOING,
    SIGN_OFF_OUTGOING,
)
from govbus_documents.domain.numbering import parse_doc_number
from govbus_documents.plugin import service
from govbus_testing import OfficeClock, eventually, running, stream_messages
from govbus_testing.office import DRAFTER, REGISTRAR, REVIEWER, SIGNER, ask

pytestmark = pytest.mark.servers

OUTSIDER = Principal(subject="u-drafter-chen", name="陈静", roles=frozenset({"drafter"}),
                     department="财务科")

TITLE = "关于印发《宜春市政府办公室关于贯彻宜发〔2008〕13号文件的实施意见》的通知"
BODY = ("本办各科(办、室、队、中心):\n经研究,现将《宜春市政府办公室关于贯彻宜发〔2008〕13号"
        "文件的实施意见》印发给你们,请认真贯彻执行。")
OPINION = ("为认真贯彻落实《关于进一步弘扬求真务实作风的意见》,带头树立求真务实的作风,"
           "努力打造服务型、责任型、效能型政府办公部门,特提出如下实施意见。").encode()
#: 09:30 on Monday 2 March 2026, Beijing time.
OFFICE_MORNING = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


async def facts_about(servers: Any, document_id: str) -> list[dict[str, Any]]:
    """Every fact GOV_DOCUMENTS holds about one document, in stream order."""
    return [m for m in await stream_messages(servers.nats_url, "gov.documents.evt.>",
                                             "GOV_DOCUMENTS")
            if m["headers"].get("ce-subject") == document_id]


def notice(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "doc_type": "通知", "title": TITLE, "body": BODY,
        "main_recipients": ["秘书科", "综合科", "督查科"], "cc_recipients": ["市政府领导"],
        "recipient_departments": ["秘书科", "综合科", "督查科"],
        "disclosure": "主动公开", "issuer_code": "宜府办发",
        "issuing_organ": "宜春市人民政府办公室",
        "attachments": [{"name": "宜春市政府办公室关于贯彻宜发〔2008〕13号文件的实施意见.pdf",
                         "content_base64": base64.b64encode(OPINION).decode()}],
        "attachment_notes": ["宜春市政府办公室关于贯彻宜发〔2008〕13号文件的实施意见"],
    }
    payload.update(changes)
    return payload


def everyone(recipients: list[str], channel: str = "电子公文传输") -> dict[str, Any]:
    return {"dispatches": [{"recipient": r, "channel": channel} for r in recipients]}


async def test_a_notice_walks_from_draft_through_re_signing_to_dispatch(servers, settings):
    async with running(settings, service, clock=OfficeClock(OFFICE_MORNING)) as host:
        state = await ask(host, DRAFT_OUTGOING, notice(), DRAFTER)
        doc_id = state["document_id"]
        assert (state["status"], state["revision"]) == ("草稿", 1)

        # 审核: returned with comments, revised by the drafter, approved.
        state = await ask(host, REVIEW_OUTGOING, {
            "document_id": doc_id, "decision": "退回修改",
            "comments": "请补充“四讲四比”活动的具体安排"}, REVIEWER)
        assert state["status"] == "退回修改"
        revised_body = BODY + "\n附:“四讲四比”活动安排。"
        with pytest.raises(GovbusError) as not_theirs:
            await ask(host, REVISE_OUTGOING, {"document_id": doc_id, "summary": "改",
                                              "body": "他人修改"}, OUTSIDER)
        # A drafter of another department may not see the draft: told nothing more than
        # about an id that does not exist.
        assert not_theirs.value.code is ErrorCode.not_found
        with pytest.raises(GovbusError) as unknown:
            await ask(host, REVISE_OUTGOING, {"document_id": "no-such-draft", "summary": "改",
                                              "body": "他人修改"}, OUTSIDER)
        assert not_theirs.value.message.replace(doc_id, "?") == (
            unknown.value.message.replace("no-such-draft", "?"))
        assert not_theirs.value.details == {"id": doc_id}
        state = await ask(host, REVISE_OUTGOING, {
            "document_id": doc_id, "summary": "补充活动安排", "body": revised_body}, DRAFTER)
        assert (state["status"], state["revision"]) == ("草稿", 2)
        with pytest.raises(GovbusError) as early:
            await ask(host, SIGN_OFF_OUTGOING, {"document_id": doc_id}, SIGNER)
        assert early.value.code is ErrorCode.invalid_transition
        state = await ask(host, REVIEW_OUTGOING, {"document_id": doc_id, "decision": "通过",
                                                  "revision": 2}, REVIEWER)
        assert state["status"] == "待签发"

        # 签发: only a signer.
        with pytest.raises(GovbusError) as not_a_signer:
            await ask(host, SIGN_OFF_OUTGOING, {"document_id": doc_id}, REVIEWER)
        assert not_a_signer.value.code is ErrorCode.forbidden
        state = await ask(host, SIGN_OFF_OUTGOING, {"document_id": doc_id,
                                                    "opinion": "同意印发"}, SIGNER)
        assert (state["status"], state["signer"], state["date_of_writing"]) == (
            "已签发", "张伟", "2026-03-02")

        # 复核: a substantive change goes back to the signer, who signs again.
        final_body = revised_body + "\n本意见自印发之日起施行。"
        state = await ask(host, RECHECK_OUTGOING, {
            "document_id": doc_id, "substantive_change": True, "changed_body": final_body,
            "change_summary": "增加施行日期"}, REGISTRAR)
        assert (state["status"], state["revision"], state["signed_revision"]) == (
            "待重新签发", 3, 2)
        with pytest.raises(GovbusError) as unsigned:
            await ask(host, REGISTER_OUTGOING, {"document_id": doc_id}, REGISTRAR)
        assert unsigned.value.code is ErrorCode.invalid_transition
        state = await ask(host, SIGN_OFF_OUTGOING, {"document_id": doc_id}, SIGNER)
        assert (state["status"], state["signed_revision"]) == ("已签发", 3)
        state = await ask(host, RECHECK_OUTGOING, {"document_id": doc_id,
                                                   "remarks": "手续完备"}, REGISTRAR)
        assert state["status"] == "已复核"

        # 登记: the next serial of 宜府办发 in 2026, in the standard form.
        before = await ask(host, GET_NUMBER_REGISTER, {"issuer_code": "宜府办发", "year": 2026},
                           REGISTRAR)
        serial = before["next_serial"]
        register_id = str(uuid.uuid4())
        state = await ask(host, REGISTER_OUTGOING, {"document_id": doc_id}, REGISTRAR,
                          message_id=register_id)
        assert state["status"] == "已登记"
        assert state["doc_number"] == f"宜府办发〔2026〕{serial}号"
        assert parse_doc_number(state["doc_number"]) == ("宜府办发", 2026, serial)
        if servers.kind != "configured":  # fresh servers: the register starts at 1
            assert state["doc_number"] == "宜府办发〔2026〕1号"
        # The same command again answers the same number; a new one is refused.
        again = await ask(host, REGISTER_OUTGOING, {"document_id": doc_id}, REGISTRAR,
                          message_id=register_id)
        assert again["doc_number"] == state["doc_number"]
        with pytest.raises(GovbusError) as twice:
            await ask(host, REGISTER_OUTGOING, {"document_id": doc_id}, REGISTRAR)
        assert twice.value.code is ErrorCode.invalid_transition
        after = await ask(host, GET_NUMBER_REGISTER, {"issuer_code": "宜府办发", "year": 2026},
                          REGISTRAR)
        assert after["next_serial"] == serial + 1
        taken = next(e for e in after["entries"] if e["serial"] == serial)
        assert (taken["status"], taken["document_id"]) == ("已使用", doc_id)

        # 印制 and 核发: every recipient, or nothing.
        state = await ask(host, PRINT_OUTGOING, {
            "document_id": doc_id, "printing_office": "宜春市人民政府办公室秘书科"}, REGISTRAR)
        assert state["status"] == "已印制"
        with pytest.raises(GovbusError) as partial:
            await ask(host, DISPATCH_OUTGOING, {"document_id": doc_id, **everyone(
                ["秘书科", "综合科", "督查科"])}, REGISTRAR)
        assert partial.value.code is ErrorCode.validation_failed
        assert partial.value.details["missing"] == ["市政府领导"]
        state = await ask(host, DISPATCH_OUTGOING, {"document_id": doc_id, **everyone(
            ["秘书科", "综合科", "督查科", "市政府领导"])}, REGISTRAR)
        assert state["status"] == "已核发"

        doc = await ask(host, GET_OUTGOING, {"document_id": doc_id}, REGISTRAR)
        assert [(r["number"], r["author"], r["summary"]) for r in doc["revisions"]] == [
            (1, "u-drafter-li", "初稿"), (2, "u-drafter-li", "补充活动安排"),
            (3, "u-registrar-liu", "增加施行日期")]
        assert [r["body"] for r in doc["revisions"]] == [BODY, revised_body, final_body]
        assert (doc["body"], doc["signed_revision"], doc["signer"]) == (final_body, 3, "张伟")
        assert doc["printing_office"] == "宜春市人民政府办公室秘书科"
        assert doc["printing_date"] == "2026-03-02"
        assert [(d["recipient"], d["kind"]) for d in doc["dispatches"]] == [
            ("秘书科", "主送"), ("综合科", "主送"), ("督查科", "主送"), ("市政府领导", "抄送")]
        assert [h["action"] for h in doc["history"]] == [
            "起草", "退回修改", "修改", "审核通过", "签发", "复核 (实质性修改, 退签发人)",
            "重新签发", "复核", "登记", "印制", "核发"]
        # A drafter of the addressed department reads it too; one of another does not.
        mine = await ask(host, GET_OUTGOING, {"document_id": doc_id}, DRAFTER)
        assert mine["doc_number"] == state["doc_number"]
        with pytest.raises(GovbusError) as outside:
            await ask(host, GET_OUTGOING, {"document_id": doc_id}, OUTSIDER)
        # Not forbidden: whoever may not read it is not told that it exists.
        assert outside.value.code is ErrorCode.not_found
        assert outside.value.details == {"id": doc_id}

        # The facts, read from the stream; the dispatched one carries what disclosure needs.
        facts = await eventually(lambda: facts_about(servers, doc_id),
                                 lambda fs: any(f["subject"] == OUTGOING_DISPATCHED.subject
                                                for f in fs))
        assert [f["subject"].split(".")[-2] for f in facts] == [
            "drafted", "returned", "revised", "reviewed", "signed", "rechecked", "signed",
            "rechecked", "numbered", "printed", "dispatched"]
        dispatched = facts[-1]
        assert dispatched["headers"]["ce-type"] == OUTGOING_DISPATCHED.type
        data = dispatched["data"]
        assert (data["document_id"], data["doc_number"], data["title"], data["doc_type"],
                data["issuing_organ"], data["date_of_writing"], data["body"],
                data["disclosure"], data["classification_level"]) == (
            doc_id, state["doc_number"], TITLE, "通知", "宜春市人民政府办公室", "2026-03-02",
            final_body, "主动公开", "非密")
        assert [(a["name"], a["sha256"]) for a in data["attachments"]] == [
            ("宜春市政府办公室关于贯彻宜发〔2008〕13号文件的实施意见.pdf",
             hashlib.sha256(OPINION).hexdigest())]
        assert datetime.fromisoformat(data["dispatched_at"]).date() == date(2026, 3, 2)


async def walk_to_print(host: Any, payload: dict[str, Any]) -> str:
    doc_id = (await ask(host, DRAFT_OUTGOING, payload, DRAFTER))["document_id"]
    await ask(host, REVIEW_OUTGOING, {"document_id": doc_id, "decision": "退回修改",
                                      "comments": "第三条涉及兵力部署, 请删改"}, REVIEWER)
    await ask(host, REVISE_OUTGOING, {"document_id": doc_id, "summary": "删去部署细节",
                                      "body": "修改后的涉密正文"}, DRAFTER)
    await ask(host, REVIEW_OUTGOING, {"document_id": doc_id, "decision": "通过"}, REVIEWER)
    await ask(host, SIGN_OFF_OUTGOING, {"document_id": doc_id}, SIGNER)
    await ask(host, RECHECK_OUTGOING, {"document_id": doc_id}, REGISTRAR)
    await ask(host, REGISTER_OUTGOING, {"document_id": doc_id}, REGISTRAR)
    await ask(host, PRINT_OUTGOING, {"document_id": doc_id, "printing_office": "机要科"},
              REGISTRAR)
    return doc_id


async def walk_to_dispatch(host: Any, payload: dict[str, Any],
                           channel: str = "机要交通") -> tuple[str, dict[str, Any]]:
    doc_id = await walk_to_print(host, payload)
    state = await ask(host, DISPATCH_OUTGOING, {"document_id": doc_id, **everyone(
        payload["main_recipients"] + payload["cc_recipients"], channel)}, REGISTRAR)
    return doc_id, state


async def test_no_fact_about_a_classified_document_carries_its_text(servers, settings):
    secret_title = "关于全市人民防空指挥体系调整的通知"
    secret_body = "各县(市、区)人民政府:根据上级部署,现将人民防空指挥体系调整事项通知如下。"
    payload = notice(
        title=secret_title, body=secret_body, main_recipients=["市人防办"], cc_recipients=[],
        recipient_departments=[], attachments=[], attachment_notes=[],
        classification={"level": "秘密", "period": "10年"}, disclosure="不予公开",
        disclosure_reason="涉及国家秘密", issuer_code="宜府发", issuing_organ="宜春市人民政府")
    async with running(settings, service, clock=OfficeClock(OFFICE_MORNING)) as host:
        doc_id, state = await walk_to_dispatch(host, payload)
        assert state["status"] == "已核发"

        facts = await eventually(lambda: facts_about(servers, doc_id),
                                 lambda fs: len(fs) >= 9)
        assert len(facts) == 9
        for fact in facts:
            raw = json.dumps(fact["data"], ensure_ascii=False)
            for text in (secret_title, secret_body, "修改后的涉密正文", "兵力部署", "删去部署细节"):
                assert text not in raw, (fact["subject"], text)
            assert fact["data"]["classification_level"] == "秘密"
        dispatched = facts[-1]["data"]
        assert (dispatched["title"], dispatched["body"], dispatched["attachments"]) == (
            None, None, [])

        # Read only by the cleared roles and the drafting department.
        assert (await ask(host, GET_OUTGOING, {"document_id": doc_id}, SIGNER))["body"] == \
            "修改后的涉密正文"
        assert (await ask(host, GET_OUTGOING, {"document_id": doc_id}, REVIEWER))["body"] == \
            "修改后的涉密正文"  # 核稿 handles classified drafts: the reviewer is cleared
        admin = Principal(subject="admin-1", roles=frozenset({"admin"}))
        with pytest.raises(GovbusError) as admin_reads:
            await ask(host, GET_OUTGOING, {"document_id": doc_id}, admin)
        assert admin_reads.value.code is ErrorCode.not_found  # not told that it exists
        listed = await ask(host, LIST_OUTGOING, {"status": "已核发", "limit": 200}, OUTSIDER)
        assert doc_id not in [i["document_id"] for i in listed["items"]]
        listed = await ask(host, LIST_OUTGOING, {"status": "已核发", "limit": 200}, REGISTRAR)
        assert doc_id in [i["document_id"] for i in listed["items"]]
        assert all(i["status"] == "已核发" for i in listed["items"])


async def test_drafting_rules_are_enforced_through_the_bus(servers, settings):
    async with running(settings, service, clock=OfficeClock(OFFICE_MORNING)) as host:
        report = notice(doc_type="报告", title="关于2025年政务公开工作情况的报告",
                        main_recipients=["市人民政府", "省政府办公厅", "市人大常委会"],
                        cc_recipients=[], recipient_departments=[], disclosure="依申请公开")
        with pytest.raises(GovbusError) as three_masters:
            await ask(host, DRAFT_OUTGOING, report, DRAFTER)
        assert three_masters.value.code is ErrorCode.validation_failed
        request_for_instruction = notice(
            doc_type="请示", title="关于召开全市政府系统办公室工作会议的请示",
            main_recipients=["市人民政府", "市委办公室"], cc_recipients=[],
            recipient_departments=[], disclosure="依申请公开")
        with pytest.raises(GovbusError) as two_masters:
            await ask(host, DRAFT_OUTGOING, request_for_instruction, DRAFTER)
        assert two_masters.value.code is ErrorCode.validation_failed
        with pytest.raises(GovbusError) as no_reason:
            await ask(host, DRAFT_OUTGOING, notice(disclosure="不予公开"), DRAFTER)
        assert no_reason.value.code is ErrorCode.validation_failed
        with pytest.raises(GovbusError) as too_many:
            await ask(host, LIST_OUTGOING, {"limit": 201}, REGISTRAR)
        assert too_many.value.code is ErrorCode.validation_failed

        # A 请示 to one organ is signed with the 签发人 element.
        state = await ask(host, DRAFT_OUTGOING, {
            **request_for_instruction, "main_recipients": ["市人民政府"]}, DRAFTER)
        doc_id = state["document_id"]
        await ask(host, REVIEW_OUTGOING, {"document_id": doc_id, "decision": "通过"}, REVIEWER)
        await ask(host, SIGN_OFF_OUTGOING, {"document_id": doc_id}, SIGNER)
        doc = await ask(host, GET_OUTGOING, {"document_id": doc_id}, REGISTRAR)
        assert (doc["signer"], doc["header_signer"]) == ("张伟", "张伟")


async def test_a_classified_document_is_dispatched_only_by_a_confidential_channel(settings):
    payload = notice(
        title="关于全市人民防空指挥体系调整的通知", body="根据上级部署, 调整如下。",
        main_recipients=["市人防办"], cc_recipients=[], recipient_departments=[],
        attachments=[], attachment_notes=[], classification={"level": "机密"},
        disclosure="不予公开", disclosure_reason="涉及国家秘密", issuer_code="宜府发",
        issuing_organ="宜春市人民政府")
    async with running(settings, service, clock=OfficeClock(OFFICE_MORNING)) as host:
        doc_id = await walk_to_print(host, payload)
        for means in ({"means": "电子公文传输"}, {"means": "微信"}, {}):
            with pytest.raises(GovbusError) as open_way:
                await ask(host, DISPATCH_OUTGOING, {"document_id": doc_id, "dispatches": [
                    {"recipient": "市人防办", **means}]}, REGISTRAR)
            assert open_way.value.code is ErrorCode.validation_failed
        doc = await ask(host, GET_OUTGOING, {"document_id": doc_id}, REGISTRAR)
        assert (doc["status"], doc["dispatches"]) == ("已印制", [])
        assert doc["classification"]["period"] == "20年"  # none stated: the limit of 机密
        state = await ask(host, DISPATCH_OUTGOING, {"document_id": doc_id, "dispatches": [
            {"recipient": "市人防办", "means": "机要交换"}]}, REGISTRAR)
        assert state["status"] == "已核发"
        doc = await ask(host, GET_OUTGOING, {"document_id": doc_id}, REGISTRAR)
        assert [(d["recipient"], d["channel"]) for d in doc["dispatches"]] == [
            ("市人防办", "机要文件交换站")]


async def test_a_reply_links_the_request_it_answers(settings):
    async with running(settings, service, clock=OfficeClock(OFFICE_MORNING)) as host:
        received = {"issuer": "袁州区人民政府", "received_on": "2026-02-27", "copies": 1,
                    "body": "妥否, 请批示。"}
        request_id = (await ask(host, REGISTER_INCOMING, {
            **received, "doc_type": "请示", "issuer_doc_number": "袁府文〔2026〕5号",
            "title": "关于设立凤凰街道的请示"}, REGISTRAR))["id"]
        report_id = (await ask(host, REGISTER_INCOMING, {
            **received, "doc_type": "报告", "issuer_doc_number": "袁府文〔2026〕6号",
            "title": "关于2025年工作情况的报告"}, REGISTRAR))["id"]
        reply = notice(doc_type="批复", title="关于同意设立凤凰街道的批复",
                       main_recipients=["袁州区人民政府"], cc_recipients=[],
                       recipient_departments=[], attachments=[], attachment_notes=[],
                       issuer_code="宜府字", issuing_organ="宜春市人民政府")
        # A 请示 the drafter's department may not read is answered like an unknown one.
        with pytest.raises(GovbusError) as unseen:
            await ask(host, DRAFT_OUTGOING, {**reply, "replies_to": request_id}, DRAFTER)
        assert unseen.value.code is ErrorCode.validation_failed
        assert unseen.value.message == f"所批复的请示 {request_id} 不存在"
        for incoming_id in (request_id, report_id):  # sent round to the drafter's department
            await ask(host, REVIEW_INCOMING, {"id": incoming_id, "decision": "受理"}, REGISTRAR)
            await ask(host, CIRCULATE_INCOMING, {"id": incoming_id,
                                                 "departments": ["秘书科"]}, REGISTRAR)
        for wrong in ({}, {"replies_to": report_id}, {"replies_to": "no-such-request"}):
            with pytest.raises(GovbusError) as refused:
                await ask(host, DRAFT_OUTGOING, {**reply, **wrong}, DRAFTER)
            assert refused.value.code is ErrorCode.validation_failed, wrong
        state = await ask(host, DRAFT_OUTGOING, {**reply, "replies_to": request_id}, DRAFTER)
        doc = await ask(host, GET_OUTGOING, {"document_id": state["document_id"]}, REGISTRAR)
        assert (doc["replies_to"], doc["replies_to_doc_number"], doc["direction"]) == (
            request_id, "袁府文〔2026〕5号", "下行")


async def test_an_order_is_numbered_in_its_own_series(servers, settings):
    order = notice(doc_type="命令", title="宜春市人民政府令", main_recipients=[],
                   cc_recipients=["各县(市、区)人民政府"], recipient_departments=[],
                   attachments=[], attachment_notes=[], issuer_code="宜府令",
                   issuing_organ="宜春市人民政府")
    async with running(settings, service, clock=OfficeClock(OFFICE_MORNING)) as host:
        query = {"issuer_code": "宜府令", "year": 2026}
        before = await ask(host, GET_NUMBER_REGISTER, {**query, "series": "令号"}, REGISTRAR)
        standard = await ask(host, GET_NUMBER_REGISTER, query, REGISTRAR)
        doc_id = await walk_to_print(host, order)
        doc = await ask(host, GET_OUTGOING, {"document_id": doc_id}, REGISTRAR)
        assert doc["doc_number"] == f"第{before['next_serial']}号"
        assert doc["number_series"] == "令号"
        after = await ask(host, GET_NUMBER_REGISTER, {**query, "series": "令号"}, REGISTRAR)
        assert after["next_serial"] == before["next_serial"] + 1
        assert after["register_id"] == "宜府令:令号"
        unchanged = await ask(host, GET_NUMBER_REGISTER, query, REGISTRAR)
        assert unchanged["next_serial"] == standard["next_serial"]
