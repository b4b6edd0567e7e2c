"""End to end through the gateway: a request for government information (依申请公开) from
a citizen without an account, followed with the tracking code, through 补正 and an
extension to a 部分公开 reply — with the office's staff each on their own token and role.

Real servers (session fixture), the disclosure service running in a Host, the gateway app
over ASGI.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from govbus_disclosure.plugin import service
from govbus_testing import bearer, office_gateway

SECRET = "e2e-secret-" + "g" * 40
P = "/api/v1/disclosure/requests"


def staff(role: str, sub: str, name: str, department: str | None = None) -> dict[str, str]:
    return bearer(SECRET, role, sub, name, department)


OFFICER = staff("disclosure_officer", "u-chen", "陈公开")
APPROVER = staff("disclosure_approver", "u-zhou", "周主任")
OTHER_DEPARTMENT = staff("disclosure_officer", "u-lin", "林科员", "审计局")


@pytest.fixture
async def api(settings) -> AsyncIterator[httpx.AsyncClient]:
    async with office_gateway(settings, service, SECRET) as client:
        yield client


async def post(api: httpx.AsyncClient, path: str, body: dict, who: dict[str, str] | None = None,
               status: int = 200, **headers: str) -> dict:
    r = await api.post(f"{P}{path}", json=body, headers={**(who or {}), **headers})
    assert r.status_code == status, r.text
    return r.json()


APPLICATION = {
    "applicant_type": "自然人",
    "applicant": {"name": "张三", "id_document_type": "居民身份证",
                  "id_document_number": "360902199001011234"},
    "contact": {"phone": "13907950000", "email": "zhangsan@example.cn"},
    "information": {"description": "2025年度市本级老旧小区改造项目清单及资金安排",
                    "document_name": "关于下达2025年城镇老旧小区改造计划的通知"},
    "form": "电子", "delivery": "电子邮件",
}


async def test_a_citizen_follows_a_request_by_its_code_from_submission_to_reply(api):
    # Submitted without a token; a retry with the same Idempotency-Key shows the same code.
    key = "e2e-" + uuid.uuid4().hex
    submitted = await post(api, "", APPLICATION, status=201, **{"Idempotency-Key": key})
    retried = await post(api, "", APPLICATION, status=201, **{"Idempotency-Key": key})
    assert retried == submitted
    request_id, code = submitted["id"], submitted["tracking_code"]
    assert submitted["request_number"] == "2026-0001"
    assert submitted["due_on"] == "2026-04-07"  # 20 working days; 清明 4–6 April off

    # Another citizen, with a request of their own.
    other = await post(api, "", {**APPLICATION, "applicant": {"name": "李四"},
                                 "contact": {"phone": "13800000000"}, "delivery": "在线查看"},
                       status=201)

    tracked = await post(api, "/track", {"tracking_code": code})
    assert (tracked["request_number"], tracked["status"]) == ("2026-0001", "办理中")
    assert "applicant" not in tracked and "contact" not in tracked

    # Staff routes need a token; a department officer does not see unassigned requests.
    assert (await api.get(f"{P}/{request_id}")).status_code == 401
    assert (await api.get(f"{P}/{request_id}", headers=OTHER_DEPARTMENT)).status_code == 404

    noticed = await post(api, f"/{request_id}/request-correction",
                         {"items": ["请说明所需信息的区县范围"]}, OFFICER)
    assert (noticed["status"], noticed["due_on"]) == ("待补正", None)
    tracked = await post(api, "/track", {"tracking_code": code})
    assert tracked["paused"] is True and tracked["notices"][-1]["kind"] == "补正告知书"

    # The other citizen's code does not complete this request.
    r = await api.post(f"{P}/correction", json={"tracking_code": other["tracking_code"],
                                                "supplement": "袁州区"})
    assert r.status_code == 409, r.text  # their own request awaits no 补正
    corrected = await post(api, "/correction", {"tracking_code": code,
                                                "supplement": "所需信息为袁州区范围内的项目"})
    assert (corrected["status"], corrected["due_on"]) == ("办理中", "2026-04-07")

    r = await api.post(f"{P}/{request_id}/extend", json={"working_days": 10, "reason": "x"},
                       headers=OFFICER)
    assert r.status_code == 403, r.text
    extended = await post(api, f"/{request_id}/extend", {
        "working_days": 10, "reason": "所需信息涉及住建、财政两个部门, 需汇总核实"}, APPROVER)
    assert extended["due_on"] == "2026-04-21"

    replied = await post(api, f"/{request_id}/reply", {
        "reply_type": "予以提供", "outcome": "部分公开",
        "text": "现向您提供袁州区2025年度老旧小区改造项目清单及资金安排 (见附件)",
        "withheld": [{"part": "项目承建单位的银行账户和联系人信息",
                      "reason": "保护第三方合法权益", "legal_basis": "第十五条"}]}, OFFICER)
    assert (replied["status"], replied["closed_on"]) == ("已答复", "2026-03-09")

    # The citizen reads the reply with the code.
    tracked = await post(api, "/track", {"tracking_code": code})
    assert tracked["status"] == "已答复"
    assert tracked["reply"]["reply_type"] == "予以提供"
    assert tracked["reply"]["withheld"] == [{
        "part": "项目承建单位的银行账户和联系人信息", "reason": "保护第三方合法权益",
        "legal_basis": "第十五条"}]
    assert [n["kind"] for n in tracked["notices"]] == [
        "受理回执", "补正告知书", "延长答复期限告知书", "政府信息公开申请答复书"]

    # Another citizen's code shows their own request only; no code or a made-up one nothing.
    theirs = await post(api, "/track", {"tracking_code": other["tracking_code"]})
    assert theirs["request_number"] == "2026-0002" and theirs["reply"] is None
    r = await api.post(f"{P}/track", json={})
    assert r.status_code == 422, r.text
    r = await api.post(f"{P}/track", json={"tracking_code": "ABCD-EFGH-JKMN-PQRS-TUVW"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"

    # Staff see the whole record.
    view = (await api.get(f"{P}/{request_id}", headers=OFFICER)).json()
    assert view["applicant"]["name"] == "张三"
    assert view["extension"]["approved_by"] == "周主任"
    assert [h["action"] for h in view["history"]] == [
        "收到申请", "补正告知", "收到补正", "延长答复期限", "答复"]
    listed = (await api.get(P, params={"status": "已答复"}, headers=OFFICER)).json()
    assert [i["id"] for i in listed["items"]] == [request_id]


async def test_staff_confirm_a_letter_and_write_the_reports_text_parts_through_the_gateway(api):
    # 第三十一条: a 平常信函 entered by staff waits 待确认 without a clock until confirmed.
    letter = await post(api, "", {**APPLICATION, "channel": "平常信函"}, OFFICER, status=201)
    assert (letter["status"], letter["due_on"]) == ("待确认", None)
    # The public cannot confirm, and cannot enter a letter.
    r = await api.post(f"{P}/{letter['id']}/confirm-receipt", json={})
    assert r.status_code in (401, 403), r.text
    await post(api, "", {**APPLICATION, "channel": "平常信函"}, status=403)
    confirmed = await post(api, f"/{letter['id']}/confirm-receipt",
                           {"remarks": "电话与申请人确认"}, OFFICER)
    assert (confirmed["status"], confirmed["due_on"]) == ("办理中", "2026-04-07")

    # 第一、五、六部分 of the annual report, written by an officer and read back.
    r = await api.post("/api/v1/disclosure/reports/2026/sections", headers=OFFICER,
                       json={"section": "五、存在的主要问题及改进情况",
                             "text": "一是部分栏目更新不及时; 二是答复文书规范性有待提高。"})
    assert r.status_code == 200, r.text
    assert r.json()["due_on"] == "2027-01-31"
    r = await api.post("/api/v1/disclosure/reports/2026/sections", headers=OFFICER,
                       json={"section": "七、其他", "text": "x"})
    assert r.status_code in (400, 422), r.text
    assert r.json()["error"]["code"] == "validation_failed"
    report = (await api.get("/api/v1/disclosure/reports/2026", headers=OFFICER)).json()
    five = next(s for s in report["sections"] if s["key"] == "五、存在的主要问题及改进情况")
    assert five["edited"] and five["text"].startswith("一是部分栏目")
