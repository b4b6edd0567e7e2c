"""人大代表建议 and 会议议定事项 through the bus and the gateway, against the real servers.

A 建议 signed by three deputies (one 领衔, each with contact details) is opened, registered
and assigned to a first lead with a co-department; the co-department gives its opinion, the
first lead returns it as not its own within 10 days and the office re-assigns it to the
right lead, to whom the co-department gives its opinion again; the lead asks for an
extension (at most 3 months more) and a leader approves it; the answer (result code B) goes
to each signer; 审结 accepts it; one deputy is 不满意: the item is handled again within one
month, counted on the real 2026 calendar across the month end and off 国庆; answered again
and accepted, every deputy rates it 满意 and the 办结 is announced with the satisfaction and
the re-handling round. The deputies' contact details are in the supervision office's view
only, and in no fact on any stream.

A meeting's three 议定事项 (市政府第12次常务会议, 纪要〔2026〕12号) are opened by one request
through the gateway (201), linked by the minutes number; the request retried with its
Idempotency-Key returns the same items and opens nothing more.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest

from govbus_contracts.errors import ErrorCode
from govbus_contracts.services.supervision.items import (
    ASSIGN_ITEM,
    DECIDE_EXTENSION,
    GET_ITEM,
    GIVE_OPINION,
    ITEM_COMPLETED,
    ITEM_OPENED,
    ITEM_REOPENED,
    OPEN_ITEM,
    REASSIGN_ITEM,
    RECORD_SATISFACTION,
    REGISTER_ITEM,
    REQUEST_EXTENSION,
    RETURN_MISROUTED,
    REVIEW_ANSWER,
    SUBMIT_ANSWER,
)
from govbus_gateway.app import API_PREFIX, create_app
from govbus_kit.clock import OFFICE_TZ, ManualClock
from govbus_supervision.plugin import service as supervision
from govbus_testing import IsolatedSettings, bearer, eventually, running, stream_messages
from govbus_testing.office import LEADER, ask, handler
from govbus_testing.supervision import SUPERVISOR, refused, unique

pytestmark = pytest.mark.servers

SIGNERS = ["张建国", "李秀英", "王志强"]
PHONES = ["13907950001", "13907950002", "13907950003"]


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 10, tzinfo=OFFICE_TZ)



def suggestion() -> dict[str, Any]:
    return {
        "title": "关于加快老旧小区加装电梯的建议",
        "content": "建议提高财政补贴标准, 简化加装电梯审批流程。",
        "source": {"kind": "人大代表建议", "motion": {
            "session": "市十七届人大五次会议", "motion_number": "第0125号", "signers": [
                {"name": name, "group": "城区代表团", "leading": i == 0, "contact": {
                    "phone": phone, "address": f"城区人民路{i + 1}号", "postcode": "336000"}}
                for i, (name, phone) in enumerate(zip(SIGNERS, PHONES, strict=True))]}}}



async def test_a_deputies_suggestion_from_assignment_to_a_satisfied_completion(servers,
                                                                              settings):
    first, lead, co = unique("市城管局"), unique("市住建局"), unique("市财政局")
    first_h, lead_h, co_h = handler(first, "赵退回"), handler(lead, "林主办"), handler(co, "钱协办")
    own = IsolatedSettings(**settings.model_dump(),
                           database=f"govbus_supervision_motion_{uuid.uuid4().hex[:8]}")
    clock = ManualClock(at(3, 2))
    async with running(own, supervision, clock=clock) as host:
        db = host.contexts[supervision.name].db
        item = (await ask(host, OPEN_ITEM, suggestion(), SUPERVISOR))["id"]
        step = await ask(host, REGISTER_ITEM, {"id": item}, SUPERVISOR)
        assert (step["number"], step["status"]) == ("督〔2026〕1号", "已登记")

        # 交办 on Monday 2 March: 3 calendar months, due 2 June; the co-department's opinion
        # within one month.
        step = await ask(host, ASSIGN_ITEM, {"id": item, "lead_department": first,
                                             "co_departments": [co]}, SUPERVISOR)
        assert (step["status"], step["due_on"]) == ("办理中", "2026-06-02")
        clock.set(at(3, 4))
        await ask(host, GIVE_OPINION, {"id": item, "opinion": "财政补贴按年度预算安排。"}, co_h)

        # 退回 by the first lead within 10 days (until 12 March), with its reason; only the
        # lead returns, and only the office re-assigns.
        clock.set(at(3, 6))
        returning = {"id": item, "reason": "加装电梯的审批和补贴属住建部门职责",
                     "suggested_department": lead}
        await refused(ErrorCode.forbidden, db, item,
                      ask(host, RETURN_MISROUTED, returning, co_h))
        step = await ask(host, RETURN_MISROUTED, returning, first_h)
        assert step["status"] == "已退回"
        reassigning = {"id": item, "lead_department": lead, "co_departments": [co],
                       "remarks": "请住建局主办"}
        await refused(ErrorCode.forbidden, db, item, ask(host, REASSIGN_ITEM, reassigning,
                                                         first_h))
        clock.set(at(3, 9))
        step = await ask(host, REASSIGN_ITEM, reassigning, SUPERVISOR)
        # The 3 months run anew from 重新交办 (9 March): due 9 June.
        assert (step["status"], step["due_on"]) == ("办理中", "2026-06-09")
        await refused(ErrorCode.not_found, db, item, ask(host, GET_ITEM, {"id": item}, first_h))

        # The opinion given to the first lead is not the right lead's: it is given again.
        clock.set(at(3, 10))
        await refused(ErrorCode.conflict, db, item, ask(host, SUBMIT_ANSWER, {
            "id": item, "text": "正在办理。", "result_code": "B", "replies_to": SIGNERS},
            lead_h))
        await ask(host, GIVE_OPINION, {"id": item, "opinion": "同意提高补贴标准, 由市财政安排。"},
                  co_h)

        # 延期: one, of at most 3 months more (9 September), asked by the lead, approved by a
        # leader.
        clock.set(at(5, 20))
        asking = {"id": item, "reason": "补贴标准调整须经市政府常务会议研究",
                  "requested_due_on": "2026-09-10"}
        await refused(ErrorCode.validation_failed, db, item,
                      ask(host, REQUEST_EXTENSION, asking, lead_h))
        await ask(host, REQUEST_EXTENSION, {**asking, "requested_due_on": "2026-09-09"}, lead_h)
        clock.set(at(5, 21))
        await refused(ErrorCode.forbidden, db, item, ask(
            host, DECIDE_EXTENSION, {"id": item, "decision": "同意延期"}, lead_h))
        step = await ask(host, DECIDE_EXTENSION, {"id": item, "decision": "同意延期",
                                                  "remarks": "同意延期至9月9日"}, LEADER)
        assert step["due_on"] == "2026-09-09"

        # The answer (B: 正在解决或列入计划) goes to each signer.
        clock.set(at(8, 31))
        answer = {"id": item, "text": "已将补贴标准调整列入明年计划, 审批流程已简化。",
                  "result_code": "B", "replies_to": SIGNERS}
        await refused(ErrorCode.validation_failed, db, item, ask(
            host, SUBMIT_ANSWER, {**answer, "replies_to": SIGNERS[:2]}, lead_h))
        assert (await ask(host, SUBMIT_ANSWER, answer, lead_h))["status"] == "已反馈"
        step = await ask(host, REVIEW_ANSWER, {"id": item, "decision": "审结通过"}, SUPERVISOR)
        assert step["status"] == "已办结"

        # One deputy 不满意 on Tuesday 1 September: handled again within one month, which
        # ends on 1 October, 国庆 (1–7 October 2026): due Thursday 8 October.
        clock.set(at(9, 1))
        unhappy = {"id": item, "satisfaction": "不满意", "signer": "李秀英",
                   "remarks": "补贴标准仍偏低"}
        await refused(ErrorCode.forbidden, db, item,
                      ask(host, RECORD_SATISFACTION, unhappy, lead_h))
        step = await ask(host, RECORD_SATISFACTION, unhappy, SUPERVISOR)
        assert (step["status"], step["due_on"]) == ("办理中", "2026-10-08")
        # Another signer's rating of the same answer is still recorded.
        clock.set(at(9, 2))
        await ask(host, RECORD_SATISFACTION, {"id": item, "satisfaction": "基本满意",
                                              "signer": "张建国"}, SUPERVISOR)

        clock.set(at(9, 28))
        await ask(host, SUBMIT_ANSWER, {**answer, "text": "补贴标准已提高至每部15万元。"},
                  lead_h)
        clock.set(at(9, 29))
        await ask(host, REVIEW_ANSWER, {"id": item, "decision": "审结通过"}, SUPERVISOR)
        clock.set(at(9, 30))
        for name in SIGNERS:
            step = await ask(host, RECORD_SATISFACTION, {"id": item, "satisfaction": "满意",
                                                         "signer": name}, SUPERVISOR)
        assert step["status"] == "已办结"

        # 办结 announced with the satisfaction once every deputy rated the second answer.
        def completions(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [m["data"] for m in messages if m["data"]["id"] == item]

        done = await eventually(lambda: stream_messages(
            servers.nats_url, ITEM_COMPLETED.subject, "GOV_SUPERVISION"),
            lambda ms: len(completions(ms)) == 3)
        final = completions(done)[-1]
        assert (final["satisfaction"], final["rehandling_rounds"], final["on_time"],
                final["result_code"], final["completed_on"]) == ("满意", 1, True, "B",
                                                                 "2026-09-29")
        assert [c["satisfaction"] for c in completions(done)] == [None, None, "满意"]
        reopened = [m["data"] for m in await stream_messages(
            servers.nats_url, ITEM_REOPENED.subject, "GOV_SUPERVISION")
            if m["data"]["id"] == item]
        assert [(r["due_on"], r["lead_department"]) for r in reopened] == [("2026-10-08", lead)]

        # The record as each sees it: the deputies' contact details for the office only.
        office = await ask(host, GET_ITEM, {"id": item}, SUPERVISOR)
        signers = office["source"]["motion"]["signers"]
        assert [s["contact"]["phone"] for s in signers] == PHONES
        assert [s["leading"] for s in signers] == [True, False, False]
        for who in (lead_h, co_h, LEADER):
            seen = await ask(host, GET_ITEM, {"id": item}, who)
            assert [s["name"] for s in seen["source"]["motion"]["signers"]] == SIGNERS
            assert all(s["contact"] is None for s in seen["source"]["motion"]["signers"])
            assert not any(p in json.dumps(seen) for p in PHONES)
        assert [(m["department"], m["suggested_department"]) for m in office["misroutes"]] == [
            (first, lead)]
        assert [o["department"] for o in office["answers"][0]["co_opinions"]] == [co]
        assert office["answers"][0]["co_opinions"][0]["given_on"] == "2026-03-10"
        assert [(e["decision"], e["new_due_on"]) for e in office["extensions"]] == [
            ("同意延期", "2026-09-09")]
        assert [(r["round"], r["signer"], r["satisfaction"]) for r in office["satisfaction"]] == [
            (1, "李秀英", "不满意"), (1, "张建国", "基本满意"),
            *[(2, name, "满意") for name in SIGNERS]]
        assert (office["rehandling_rounds"], office["appraisal"]["satisfaction"]) == (1, "满意")

        # No fact carries them, on the service's stream or on the departments' copies.
        facts = [m for m in await stream_messages(servers.nats_url, "gov.supervision.evt.>",
                                                  "GOV_SUPERVISION")
                 if m["data"].get("id") == item]
        copies = [m for m in await stream_messages(servers.nats_url, "gov.dept.>",
                                                   "GOV_DEPARTMENTS")
                  if m["data"].get("id") == item]
        assert len(facts) >= 20 and copies
        for message in facts + copies:
            text = json.dumps(message["data"], ensure_ascii=False)
            assert not any(p in text for p in PHONES), message["subject"]
            assert "人民路" not in text and "contact" not in text


SECRET = "motion-secret-" + "m" * 40


def meeting() -> dict[str, Any]:
    decisions = [("住建局", "加快推进城镇老旧小区改造", "2026-06-30"),
                 ("交通局", "完成中心城区公交线网优化", "2026-07-31"),
                 ("教育局", "新建改扩建中小学校8所", "2026-08-31")]
    return {"meeting_kind": "常务会议", "meeting_name": "市政府第12次常务会议",
            "held_on": "2026-05-28", "minutes_number": "纪要〔2026〕12号", "decisions": [
                {"item_no": n, "title": title, "content": f"会议议定: {title}。",
                 "lead_department": lead, "co_departments": ["财政局"], "due_on": due}
                for n, (lead, title, due) in enumerate(decisions, start=1)]}


async def test_a_meetings_decisions_become_items_linked_by_the_minutes(servers, settings):
    own = IsolatedSettings(**settings.model_dump(),
                           database=f"govbus_supervision_meeting_{uuid.uuid4().hex[:8]}")
    supervisor = bearer(SECRET, "supervisor", "du-zhou", "周督查", "督查室")
    async with running(own, supervision, clock=ManualClock(at(6, 1))) as host:
        app = create_app(settings, secret=SECRET)
        async with app.router.lifespan_context(app), httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://gw",
                timeout=30) as api:
            path = f"{API_PREFIX}/supervision/meetings"
            r = await api.post(path, json=meeting(), headers=handler_token())
            assert r.status_code == 403, r.text
            key = {"Idempotency-Key": uuid.uuid4().hex}
            r = await api.post(path, json=meeting(), headers={**supervisor, **key})
            assert r.status_code == 201, r.text
            opened = r.json()
            again = await api.post(path, json=meeting(), headers={**supervisor, **key})
            assert again.status_code == 201 and again.json() == opened
        assert opened["minutes_number"] == "纪要〔2026〕12号"
        ids = [i["id"] for i in opened["items"]]
        assert len(set(ids)) == 3 and [i["status"] for i in opened["items"]] == ["已立项"] * 3

        db = host.contexts[supervision.name].db
        assert await db["items"].count_documents({}) == 3
        views = [await ask(host, GET_ITEM, {"id": i}, SUPERVISOR) for i in ids]
        assert [(v["source"]["meeting"]["item_no"], v["source"]["meeting"]["minutes_number"],
                 v["requested_due_on"]) for v in views] == [
            (1, "纪要〔2026〕12号", "2026-06-30"), (2, "纪要〔2026〕12号", "2026-07-31"),
            (3, "纪要〔2026〕12号", "2026-08-31")]
        opened_facts = await eventually(lambda: stream_messages(
            servers.nats_url, ITEM_OPENED.subject, "GOV_SUPERVISION"),
            lambda ms: len([m for m in ms if m["data"]["id"] in ids]) == 3)
        assert {m["data"]["minutes_number"] for m in opened_facts
                if m["data"]["id"] in ids} == {"纪要〔2026〕12号"}

        # Each is handled on its own: the first registered and assigned as proposed.
        step = await ask(host, REGISTER_ITEM, {"id": ids[0]}, SUPERVISOR)
        assert step["number"] == "督〔2026〕1号"
        step = await ask(host, ASSIGN_ITEM, {"id": ids[0], "lead_department": "住建局",
                                             "co_departments": ["财政局"]}, SUPERVISOR)
        assert step["due_on"] == "2026-06-30"


def handler_token() -> dict[str, str]:
    return bearer(SECRET, "handler", "h-zhujian", "林主办", "住建局")
