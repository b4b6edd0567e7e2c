"""End to end through the gateway: one incoming and one outgoing document, from registration
to archive, as the office's staff do it — each with their own token and role.

Real servers (session fixture), the documents service running in a Host, the gateway app
over ASGI. Titles and wording are written here, in the style of a municipal office's 公文.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import httpx
import pytest

from govbus_documents.plugin import service
from govbus_testing import bearer, office_gateway

SECRET = "e2e-secret-" + "d" * 40


def staff(role: str, sub: str, name: str, department: str | None = None) -> dict[str, str]:
    return bearer(SECRET, role, sub, name, department)


REGISTRAR = staff("registrar", "u-liu", "刘文书", "办公室")
LEADER = staff("leader", "u-wang", "王副市长")
FINANCE = staff("handler", "u-zhao", "赵科长", "财政局")
AUDIT = staff("handler", "u-sun", "孙科长", "审计局")
DRAFTER = staff("drafter", "u-li", "李拟稿", "秘书科")
REVIEWER = staff("reviewer", "u-fang", "王芳")
SIGNER = staff("signer", "u-zhang", "张秘书长")
ARCHIVIST = staff("archivist", "u-qian", "钱档案")


@pytest.fixture
async def api(settings) -> AsyncIterator[httpx.AsyncClient]:
    async with office_gateway(settings, service, SECRET) as client:
        yield client


async def step(api: httpx.AsyncClient, path: str, body: dict, who: dict[str, str],
               status: int = 200) -> dict:
    r = await api.post(f"/api/v1/documents{path}", json=body, headers=who)
    assert r.status_code == status, r.text
    return r.json()


async def test_incoming_document_from_registration_to_archive(api):
    doc = await step(api, "/incoming", {
        "issuer": "区委办公室", "issuer_doc_number": "区委办发〔2026〕21号",
        "doc_type": "意见", "urgency": "加急", "received_on": "2026-03-09", "copies": 3,
        "title": "关于进一步加强自身建设的实施意见",
        "body": "为全面提升区委办公室综合服务水平,推动区委决策更好更快贯彻落实,"
                "经研究,制定本实施意见。一、指导思想……",
    }, REGISTRAR, status=201)
    doc_id = doc["id"]
    assert doc["status"] == "已登记"
    # A department it was not sent to does not see it.
    assert (await api.get(f"/api/v1/documents/incoming/{doc_id}", headers=FINANCE)
            ).status_code == 404
    await step(api, f"/incoming/{doc_id}/review", {"decision": "受理"}, REGISTRAR)
    await step(api, f"/incoming/{doc_id}/propose", {
        "opinion": "拟请王副市长阅示, 由财政局牵头办理", "lead_department": "财政局",
        "co_departments": ["审计局"], "needs_instruction": True}, REGISTRAR)
    # Only a leader instructs.
    r = await api.post(f"/api/v1/documents/incoming/{doc_id}/instruct",
                       json={"instruction": "同意"}, headers=REGISTRAR)
    assert r.status_code == 403
    await step(api, f"/incoming/{doc_id}/instruct", {
        "instruction": "请财政局抓好落实, 督查室跟踪督办", "needs_supervision": True,
        "supervision_deadline": "2026-04-30"}, LEADER)
    assigned = await step(api, f"/incoming/{doc_id}/assign", {
        "lead_department": "财政局", "co_departments": ["审计局"]}, REGISTRAR)
    assert assigned["status"] == "办理中"
    assert assigned["due_on"] == "2026-03-16"  # 加急: 5 working days from Monday 9 March
    # The leader is named by user id; the name is shown, never matched.
    await step(api, f"/incoming/{doc_id}/circulate",
               {"leader_readers": [{"subject": "u-wang", "name": "王副市长"}]}, REGISTRAR)
    holders = (await api.get(f"/api/v1/documents/incoming/{doc_id}/holders",
                             headers=REGISTRAR)).json()
    assert [(h["holder"], h["holder_name"]) for h in holders["holders"]] == [
        ("u-wang", "王副市长")]
    await step(api, f"/incoming/{doc_id}/confirm-reading", {"comment": "已阅"}, LEADER)
    # Out of order: completing twice, or by a co-department, is refused.
    r = await api.post(f"/api/v1/documents/incoming/{doc_id}/complete",
                       json={"result": "x"}, headers=AUDIT)
    assert r.status_code == 403
    done = await step(api, f"/incoming/{doc_id}/complete",
                      {"result": "已制定任务分解表, 各项措施落实到位"}, FINANCE)
    assert done["status"] == "已办结"
    seen = (await api.get(f"/api/v1/documents/incoming/{doc_id}", headers=FINANCE)).json()
    assert seen["title"] == "关于进一步加强自身建设的实施意见"
    listed = (await api.get("/api/v1/documents/incoming", params={"status": "已办结"},
                            headers=AUDIT)).json()
    assert doc_id in [item["id"] for item in listed["items"]]
    await archive_and_verify(api, "收文", doc_id)


async def test_outgoing_document_from_draft_to_archive(api):
    body = ("本办各科(办、室、队、中心):\n经研究,现将《宜春市政府办公室关于贯彻宜发〔2008〕13号"
            "文件的实施意见》印发给你们,请认真贯彻执行。")
    draft = await step(api, "/outgoing", {
        "doc_type": "通知",
        "title": "关于印发《宜春市政府办公室关于贯彻宜发〔2008〕13号文件的实施意见》的通知",
        "body": body, "main_recipients": ["秘书科", "综合科"], "cc_recipients": ["市政府领导"],
        "recipient_departments": ["秘书科", "综合科"], "disclosure": "主动公开",
        "issuer_code": "宜府办函", "issuing_organ": "宜春市人民政府办公室",
        "attachments": [{"name": "实施意见.pdf", "media_type": "application/pdf",
                         "content_base64": base64.b64encode("实施意见全文".encode()).decode()}],
    }, DRAFTER, status=201)
    doc_id = draft["document_id"]
    await step(api, f"/outgoing/{doc_id}/review",
               {"decision": "退回修改", "comments": "请补充施行日期"}, REVIEWER)
    await step(api, f"/outgoing/{doc_id}/revise",
               {"summary": "补充施行日期", "body": body + "\n本通知自印发之日起施行。"}, DRAFTER)
    await step(api, f"/outgoing/{doc_id}/review", {"decision": "通过"}, REVIEWER)
    r = await api.post(f"/api/v1/documents/outgoing/{doc_id}/sign-off", json={},
                       headers=REVIEWER)
    assert r.status_code == 403
    signed = await step(api, f"/outgoing/{doc_id}/sign-off", {"opinion": "同意印发"}, SIGNER)
    assert (signed["signer"], signed["date_of_writing"]) == ("张秘书长", "2026-03-09")
    await step(api, f"/outgoing/{doc_id}/recheck", {"remarks": "手续完备"}, REGISTRAR)
    numbered = await step(api, f"/outgoing/{doc_id}/register", {}, REGISTRAR)
    assert numbered["doc_number"] == "宜府办函〔2026〕1号"
    await step(api, f"/outgoing/{doc_id}/print",
               {"printing_office": "宜春市人民政府办公室秘书科"}, REGISTRAR)
    dispatched = await step(api, f"/outgoing/{doc_id}/dispatch", {"dispatches": [
        {"recipient": r, "means": "电子公文传输"} for r in ("秘书科", "综合科", "市政府领导")]},
        REGISTRAR)
    assert dispatched["status"] == "已核发"
    register = (await api.get("/api/v1/documents/numbers/宜府办函/2026",
                              headers=REGISTRAR)).json()
    assert [e["serial"] for e in register["entries"]] == [1]
    await archive_and_verify(api, "发文", doc_id)


async def archive_and_verify(api: httpx.AsyncClient, kind: str, doc_id: str) -> None:
    """归档 with retention and 档号, the four checks over the chain, lookup and search."""
    r = await api.post("/api/v1/documents/archive", headers=REGISTRAR, json={
        "kind": kind, "document_id": doc_id, "retention": "永久", "organisation_code": "BGS"})
    assert r.status_code == 403, r.text  # only the archivist files
    filed = await step(api, "/archive", {
        "kind": kind, "document_id": doc_id, "retention": "定期30年",
        "organisation_code": "BGS"}, ARCHIVIST, status=201)
    assert filed["archival_code"] == "Z001-WS·2026-D30-BGS-0001", filed
    # Archived is final: a second filing is refused and changes nothing.
    r = await api.post("/api/v1/documents/archive", headers=ARCHIVIST, json={
        "kind": kind, "document_id": doc_id, "retention": "永久", "organisation_code": "BGS"})
    assert r.status_code in (409, 422), r.text
    assert r.json()["error"]["code"] in ("invalid_transition", "conflict")

    record = (await api.get("/api/v1/documents/archive/records", headers=ARCHIVIST,
                            params={"archival_code": filed["archival_code"]})).json()
    assert (record["document_id"], record["record_hash"]) == (doc_id, filed["record_hash"])
    report = await step(api, "/archive/verify", {"remarks": "归档后检测"}, ARCHIVIST)
    assert report["ok"], report
    assert {c["check"] for c in report["checks"]} == {"真实性", "完整性", "可用性", "安全性"}
    assert report["records_checked"] == filed["record_seq"] == 1

    # The archived document is found by its title's words, by the office's staff.
    title = (await api.get(
        f"/api/v1/documents/{'incoming' if kind == '收文' else 'outgoing'}/{doc_id}",
        headers=ARCHIVIST)).json()["title"]
    found = (await api.get("/api/v1/documents/search", headers=LEADER,
                           params={"q": title[2:10], "kind": kind})).json()
    hit = next(h for h in found["hits"] if h["id"] == doc_id)
    assert hit["status"] == "已归档" and hit["title"] == title
