"""The item handlers without servers (MemoryHost): each step one line over the domain's rule;
立项 lands once per command id, 登记 takes the year's next serial and spends none on a
refusal, a 领导批示 with 督办 opens its item once however often the fact is delivered, and a
department that is neither lead nor co-department is told nothing. Each step beside the way
(退回 and 重新交办, 进展报告, 延期, 中止 and 恢复, 催办 by hand, 评价登记, 撤销, a meeting's
议定事项) goes through, and is refused by the wrong role, an invisible department or a step
out of order with the item as it was."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.documents.incoming import INCOMING_INSTRUCTED, IncomingInstructed
from govbus_contracts.services.supervision.items import (
    ASSIGN_ITEM,
    CANCEL_ITEM,
    DECIDE_EXTENSION,
    ESCALATE_ITEM,
    GET_ITEM,
    GIVE_OPINION,
    ITEM_CANCELLED,
    ITEM_ESCALATED,
    ITEM_EXTENDED,
    ITEM_MISROUTED,
    ITEM_OPENED,
    ITEM_REOPENED,
    ITEM_RESUMED,
    ITEM_SUSPENDED,
    OPEN_ITEM,
    OPEN_MEETING_ITEMS,
    REASSIGN_ITEM,
    RECORD_SATISFACTION,
    REGISTER_ITEM,
    REPORT_PROGRESS,
    REQUEST_EXTENSION,
    RESUME_ITEM,
    RETURN_MISROUTED,
    REVIEW_ANSWER,
    SUBMIT_ANSWER,
    SUSPEND_ITEM,
)
from govbus_kit.clock import OFFICE_TZ, ManualClock
from govbus_kit.memory import MemoryHost
from govbus_supervision.plugin import service
from govbus_supervision.settings import SupervisionSettings

JUN1 = datetime(2026, 6, 1, 10, tzinfo=OFFICE_TZ)


@pytest.fixture
def host() -> MemoryHost:
    return MemoryHost(service, clock=ManualClock(JUN1), options=SupervisionSettings())


def opening() -> dict[str, object]:
    return {"title": "加快推进老旧小区加装电梯", "content": "请于期限内报送办理情况。",
            "source": {"kind": "其他督查事项", "manual": {
                "manual_kind": "媒体报道", "origin": "某日报2026年6月1日第4版报道"}}}


async def refused(code: ErrorCode, call) -> None:
    with pytest.raises(GovbusError) as raised:
        await call
    assert raised.value.code is code, raised.value


async def test_an_item_goes_from_opening_to_completion(host, walk):
    opened = await host.command(OPEN_ITEM, opening(), walk.supervisor, command_id="c-open")
    again = await host.command(OPEN_ITEM, opening(), walk.supervisor, command_id="c-open")
    assert again == opened and opened["status"] == "已立项"
    item = opened["id"]
    await refused(ErrorCode.forbidden, host.command(OPEN_ITEM, opening(), walk.lead_handler))

    # A refused 登记 spends no serial; the first one is 督〔2026〕1号.
    await refused(ErrorCode.forbidden, host.command(REGISTER_ITEM, {"id": item}, walk.leader))
    await refused(ErrorCode.not_found, host.command(REGISTER_ITEM, {"id": "nope"},
                                                    walk.supervisor))
    registered = await host.command(REGISTER_ITEM, {"id": item}, walk.supervisor,
                                    command_id="c-reg")
    assert (registered["number"], registered["status"]) == ("督〔2026〕1号", "已登记")
    assert await host.command(REGISTER_ITEM, {"id": item}, walk.supervisor,
                              command_id="c-reg") == registered
    await refused(ErrorCode.invalid_transition, host.command(REGISTER_ITEM, {"id": item},
                                                             walk.supervisor))
    second = await host.command(OPEN_ITEM, opening(), walk.supervisor)
    assert (await host.command(REGISTER_ITEM, {"id": second["id"]}, walk.supervisor)
            )["number"] == "督〔2026〕2号"

    assigned = await host.command(ASSIGN_ITEM, {"id": item, "lead_department": walk.lead,
                                                "co_departments": [walk.co]}, walk.supervisor)
    # 15 个工作日 from 1 Jun (端午 19 Jun is no working day).
    assert (assigned["status"], assigned["due_on"]) == ("办理中", "2026-06-23")
    await refused(ErrorCode.not_found, host.query(GET_ITEM, {"id": item}, walk.other_handler))
    await refused(ErrorCode.not_found, host.command(GIVE_OPINION, {"id": item, "opinion": "x"},
                                                    walk.other_handler))
    await host.command(GIVE_OPINION, {"id": item, "opinion": "同意。"}, walk.co_handler)
    answered = await host.command(SUBMIT_ANSWER, {"id": item, "text": "已完成加装电梯32部。"},
                                  walk.lead_handler)
    assert answered["status"] == "已反馈"
    done = await host.command(REVIEW_ANSWER, {"id": item, "decision": "审结通过"},
                              walk.supervisor)
    assert done["status"] == "已办结"
    view = await host.query(GET_ITEM, {"id": item}, walk.co_handler)
    assert [a["text"] for a in view["answers"]] == ["已完成加装电梯32部。"]
    assert view["version"] == done["version"]


def instructed(**changes: object) -> IncomingInstructed:
    fields: dict[str, object] = dict(
        id="doc-1", registration_number="收〔2026〕7号", status="待承办", issuer="省政府办公厅",
        issuer_doc_number="赣府办字〔2026〕3号", doc_type="通知", classification_level="非密",
        urgency="平件", title="关于加快老旧小区改造的通知", leader="王副市长",
        leader_subject="wang-fqz", instructed_on=date(2026, 6, 1), needs_supervision=True,
        supervision_deadline=date(2026, 6, 30), lead_department="市住建局",
        instruction="请住建局牵头抓紧落实, 6月底前报结果。")
    fields.update(changes)
    return IncomingInstructed.model_validate(fields)


async def test_an_instruction_with_supervision_opens_its_item_once(host, walk):
    await host.deliver(INCOMING_INSTRUCTED, instructed(), event_id="e-1")
    await host.deliver(INCOMING_INSTRUCTED, instructed(), event_id="e-1")
    await host.deliver(INCOMING_INSTRUCTED, instructed(), event_id="e-2")  # redelivered anew
    opened = host.memory.published(ITEM_OPENED.subject)
    assert len(opened) == 1
    item = await host.query(GET_ITEM, {"id": opened[0].aggregate_id}, walk.supervisor)
    assert item["source"]["kind"] == "领导批示"
    assert item["source"]["instruction"]["document_id"] == "doc-1"
    assert item["requested_due_on"] == "2026-06-30"

    await host.deliver(INCOMING_INSTRUCTED, instructed(id="doc-2", needs_supervision=False))
    assert len(host.memory.published(ITEM_OPENED.subject)) == 1


async def test_the_number_carries_the_offices_own_prefix(walk):
    host = MemoryHost(service, clock=ManualClock(JUN1),
                      options=SupervisionSettings(number_prefix="赣督"))
    item = (await host.command(OPEN_ITEM, opening(), walk.supervisor))["id"]
    step = await host.command(REGISTER_ITEM, {"id": item}, walk.supervisor)
    assert step["number"] == "赣督〔2026〕1号"


# --- the steps beside the way -------------------------------------------------------------


async def unchanged(code: ErrorCode, host: MemoryHost, item: str, call) -> None:
    """Refused with ``code``, and the stored item is as it was."""
    before = await host.memory["items"].find_one({"_id": item})
    await refused(code, call)
    assert await host.memory["items"].find_one({"_id": item}) == before


async def assigned(host: MemoryHost, walk, lead: str | None = None, **fields) -> str:
    """立项 → 登记 → 交办 (to ``lead``, 市住建局 by default, with 市财政局) on the clock's day."""
    item = (await host.command(OPEN_ITEM, {**opening(), **fields}, walk.supervisor))["id"]
    await host.command(REGISTER_ITEM, {"id": item}, walk.supervisor)
    await host.command(ASSIGN_ITEM, {"id": item, "lead_department": lead or walk.lead,
                                     "co_departments": [walk.co]}, walk.supervisor)
    return str(item)


async def test_a_misrouted_item_is_returned_within_ten_days_and_reassigned(host, walk):
    item = await assigned(host, walk, lead=walk.other)
    wrong_lead = walk.other_handler
    returning = {"id": item, "reason": "加装电梯属住建部门职责", "suggested_department": walk.lead}
    await unchanged(ErrorCode.forbidden, host, item,
                    host.command(RETURN_MISROUTED, returning, walk.co_handler))
    await unchanged(ErrorCode.not_found, host, item,
                    host.command(RETURN_MISROUTED, returning, walk.lead_handler))
    host.ctx.clock.set(datetime(2026, 6, 11, 10, tzinfo=OFFICE_TZ))  # the 10th day
    step = await host.command(RETURN_MISROUTED, returning, wrong_lead)
    assert step["status"] == "已退回"
    (fact,) = host.memory.published(ITEM_MISROUTED.subject)
    assert (fact.data["returned_by_department"], fact.data["suggested_department"]) == (
        walk.other, walk.lead)

    reassigning = {"id": item, "lead_department": walk.lead, "co_departments": [walk.co]}
    await unchanged(ErrorCode.forbidden, host, item,
                    host.command(REASSIGN_ITEM, reassigning, walk.leader))
    step = await host.command(REASSIGN_ITEM, reassigning, walk.supervisor)
    # The period runs anew from 重新交办: 15 working days from 11 June (端午 19 June off).
    assert (step["status"], step["due_on"]) == ("办理中", "2026-07-03")
    await unchanged(ErrorCode.invalid_transition, host, item,
                    host.command(REASSIGN_ITEM, reassigning, walk.supervisor))
    # The department that returned it no longer sees it; the right lead does.
    await refused(ErrorCode.not_found, host.query(GET_ITEM, {"id": item}, wrong_lead))
    view = await host.query(GET_ITEM, {"id": item}, walk.lead_handler)
    assert view["misroutes"][0]["reason"] == "加装电梯属住建部门职责"
    assert [a["lead_department"] for a in view["assignments"]] == [walk.other, walk.lead]


async def test_a_return_after_the_tenth_day_is_refused(host, walk):
    item = await assigned(host, walk)
    host.ctx.clock.set(datetime(2026, 6, 12, 10, tzinfo=OFFICE_TZ))
    await unchanged(ErrorCode.deadline_passed, host, item, host.command(
        RETURN_MISROUTED, {"id": item, "reason": "不属本部门职责"}, walk.lead_handler))


async def test_the_lead_reports_progress_on_its_schedule(host, walk):
    item = (await host.command(OPEN_ITEM, opening(), walk.supervisor))["id"]
    await host.command(REGISTER_ITEM, {"id": item}, walk.supervisor)
    await host.command(ASSIGN_ITEM, {"id": item, "lead_department": walk.lead,
                                     "co_departments": [walk.co], "due_on": "2026-09-30",
                                     "progress_schedule": "每月"}, walk.supervisor)
    report = {"id": item, "text": "已完成加装电梯12部。", "percent": 40}
    await unchanged(ErrorCode.forbidden, host, item,
                    host.command(REPORT_PROGRESS, report, walk.co_handler))
    await unchanged(ErrorCode.not_found, host, item,
                    host.command(REPORT_PROGRESS, report, walk.other_handler))
    await unchanged(ErrorCode.validation_failed, host, item, host.command(
        REPORT_PROGRESS, {**report, "milestones_done": ["没有的节点"]}, walk.lead_handler))
    host.ctx.clock.set(datetime(2026, 6, 24, 10, tzinfo=OFFICE_TZ))
    await host.command(REPORT_PROGRESS, report, walk.lead_handler)
    view = await host.query(GET_ITEM, {"id": item}, walk.supervisor)
    (done,) = view["progress_reports"]
    # Due on the 25th: in on the 24th, on time; the next is due 27 July (25th a Saturday).
    assert (done["due_on"], done["percent"], done["late"]) == ("2026-06-25", 40, False)
    assert view["next_report_due_on"] == "2026-07-27"


async def test_one_extension_asked_by_the_lead_and_decided_by_a_leader(host, walk):
    item = await assigned(host, walk)  # due 23 June
    asking = {"id": item, "reason": "涉及多部门协调, 需延期", "requested_due_on": "2026-07-10"}
    await unchanged(ErrorCode.forbidden, host, item,
                    host.command(REQUEST_EXTENSION, asking, walk.co_handler))
    await unchanged(ErrorCode.not_found, host, item,
                    host.command(REQUEST_EXTENSION, asking, walk.other_handler))
    # At most 15 working days more: 14 July.
    await unchanged(ErrorCode.validation_failed, host, item, host.command(
        REQUEST_EXTENSION, {**asking, "requested_due_on": "2026-07-15"}, walk.lead_handler))
    await unchanged(ErrorCode.invalid_transition, host, item, host.command(
        DECIDE_EXTENSION, {"id": item, "decision": "同意延期"}, walk.leader))
    await host.command(REQUEST_EXTENSION, asking, walk.lead_handler)
    await unchanged(ErrorCode.conflict, host, item,
                    host.command(REQUEST_EXTENSION, asking, walk.lead_handler))
    await unchanged(ErrorCode.forbidden, host, item, host.command(
        DECIDE_EXTENSION, {"id": item, "decision": "同意延期"}, walk.lead_handler))
    step = await host.command(DECIDE_EXTENSION, {"id": item, "decision": "同意延期",
                                                 "remarks": "同意"}, walk.leader)
    assert step["due_on"] == "2026-07-10"
    (fact,) = host.memory.published(ITEM_EXTENDED.subject)
    assert (fact.data["previous_due_on"], fact.data["approved_by"]) == ("2026-06-23", "王副市长")
    await unchanged(ErrorCode.conflict, host, item, host.command(
        REQUEST_EXTENSION, {**asking, "requested_due_on": "2026-07-13"}, walk.lead_handler))


async def test_suspension_and_resumption_with_the_reason_and_the_approver(host, walk):
    item = await assigned(host, walk)  # due 23 June
    suspending = {"id": item, "reason": "涉及诉讼, 待法院判决", "approved_by": "王副市长"}
    await unchanged(ErrorCode.forbidden, host, item,
                    host.command(SUSPEND_ITEM, suspending, walk.leader))
    await unchanged(ErrorCode.invalid_transition, host, item,
                    host.command(RESUME_ITEM, {"id": item}, walk.supervisor))
    host.ctx.clock.set(datetime(2026, 6, 3, 10, tzinfo=OFFICE_TZ))
    step = await host.command(SUSPEND_ITEM, suspending, walk.supervisor)
    assert step["status"] == "已中止"
    await unchanged(ErrorCode.invalid_transition, host, item, host.command(
        SUBMIT_ANSWER, {"id": item, "text": "已办理。"}, walk.lead_handler))
    host.ctx.clock.set(datetime(2026, 6, 10, 10, tzinfo=OFFICE_TZ))  # 5 working days later
    step = await host.command(RESUME_ITEM, {"id": item, "remarks": "判决已生效"},
                              walk.supervisor)
    assert (step["status"], step["due_on"]) == ("办理中", "2026-06-30")
    view = await host.query(GET_ITEM, {"id": item}, walk.lead_handler)
    (held,) = view["suspensions"]
    assert (held["reason"], held["approved_by"], held["started_on"], held["ended_on"]) == (
        "涉及诉讼, 待法院判决", "王副市长", "2026-06-03", "2026-06-10")
    (suspended,) = host.memory.published(ITEM_SUSPENDED.subject)
    assert suspended.data["approved_by"] == "王副市长"
    (resumed,) = host.memory.published(ITEM_RESUMED.subject)
    assert resumed.data["previous_due_on"] == "2026-06-23"


async def test_the_office_escalates_by_hand_one_level_at_a_time(host, walk):
    item = await assigned(host, walk)  # due 23 June
    await unchanged(ErrorCode.forbidden, host, item, host.command(
        ESCALATE_ITEM, {"id": item, "level": "提醒"}, walk.leader))
    await unchanged(ErrorCode.not_found, host, item, host.command(
        ESCALATE_ITEM, {"id": item, "level": "提醒"}, walk.other_handler))
    await unchanged(ErrorCode.invalid_transition, host, item, host.command(
        ESCALATE_ITEM, {"id": item, "level": "催办通知"}, walk.supervisor))
    await host.command(ESCALATE_ITEM, {"id": item, "level": "提醒", "remarks": "请抓紧办理"},
                       walk.supervisor)
    host.ctx.clock.set(datetime(2026, 6, 24, 10, tzinfo=OFFICE_TZ))  # overdue
    await unchanged(ErrorCode.invalid_transition, host, item, host.command(
        ESCALATE_ITEM, {"id": item, "level": "督办通知书"}, walk.supervisor))
    await host.command(ESCALATE_ITEM, {"id": item, "level": "催办通知"}, walk.supervisor)
    await host.command(ESCALATE_ITEM, {"id": item, "level": "督办通知书"}, walk.supervisor)
    facts = host.memory.published(ITEM_ESCALATED.subject)
    assert [(f.data["level"], f.data["manual"]) for f in facts] == [
        ("提醒", True), ("催办通知", True), ("督办通知书", True)]
    view = await host.query(GET_ITEM, {"id": item}, walk.supervisor)
    # The 督办通知书 is recorded as asked for; its number comes from the documents service.
    assert [(n["due_on"], n["doc_number"]) for n in view["notices"]] == [("2026-06-23", None)]
    assert view["overdue_since"] == "2026-06-24"


def motion_opening() -> dict[str, object]:
    return {"title": "关于加快老旧小区加装电梯的建议", "content": "建议加大财政补贴。",
            "source": {"kind": "人大代表建议", "motion": {
                "session": "市十七届人大五次会议", "motion_number": "125", "signers": [
                    {"name": "张代表", "leading": True, "contact": {"phone": "13800000001"}},
                    {"name": "李代表", "contact": {"phone": "13800000002"}}]}}}


async def test_a_dissatisfied_deputy_reopens_the_item_for_one_month(host, walk):
    item = (await host.command(OPEN_ITEM, motion_opening(), walk.supervisor))["id"]
    await host.command(REGISTER_ITEM, {"id": item}, walk.supervisor)
    await host.command(ASSIGN_ITEM, {"id": item, "lead_department": walk.lead},
                       walk.supervisor)
    await host.command(SUBMIT_ANSWER, {"id": item, "text": "已列入明年计划。", "result_code": "B",
                                       "replies_to": ["张代表", "李代表"]}, walk.lead_handler)
    await host.command(REVIEW_ANSWER, {"id": item, "decision": "审结通过"}, walk.supervisor)
    unhappy = {"id": item, "satisfaction": "不满意", "signer": "李代表", "remarks": "补贴标准偏低"}
    await unchanged(ErrorCode.forbidden, host, item,
                    host.command(RECORD_SATISFACTION, unhappy, walk.lead_handler))
    await unchanged(ErrorCode.validation_failed, host, item, host.command(
        RECORD_SATISFACTION, {**unhappy, "signer": "赵代表"}, walk.supervisor))
    host.ctx.clock.set(datetime(2026, 6, 30, 10, tzinfo=OFFICE_TZ))
    step = await host.command(RECORD_SATISFACTION, unhappy, walk.supervisor)
    # One month from 30 June: 30 July.
    assert (step["status"], step["due_on"]) == ("办理中", "2026-07-30")
    (reopened,) = host.memory.published(ITEM_REOPENED.subject)
    assert reopened.data["rehandling_rounds"] == 1


async def test_cancelling_needs_the_office_and_a_reason(host, walk):
    item = await assigned(host, walk)
    await unchanged(ErrorCode.forbidden, host, item, host.command(
        CANCEL_ITEM, {"id": item, "reason": "已纳入专项整治"}, walk.lead_handler))
    step = await host.command(CANCEL_ITEM, {"id": item, "reason": "已纳入专项整治统一督办"},
                              walk.supervisor)
    assert step["status"] == "已撤销"
    await unchanged(ErrorCode.invalid_transition, host, item, host.command(
        CANCEL_ITEM, {"id": item, "reason": "重复"}, walk.supervisor))
    (fact,) = host.memory.published(ITEM_CANCELLED.subject)
    assert (fact.data["reason"], fact.data["lead_department"]) == ("已纳入专项整治统一督办",
                                                                  walk.lead)
    view = await host.query(GET_ITEM, {"id": item}, walk.co_handler)
    assert view["cancelled_reason"] == "已纳入专项整治统一督办"


def meeting(*numbers: int) -> dict[str, object]:
    return {"meeting_kind": "常务会议", "meeting_name": "市政府第12次常务会议",
            "held_on": "2026-05-28", "minutes_number": "纪要〔2026〕12号", "decisions": [
                {"item_no": n, "title": f"议定事项{n}", "content": "会议议定, 请抓紧落实。",
                 "lead_department": "市住建局", "due_on": "2026-07-31"} for n in numbers]}


async def test_a_meetings_decisions_open_together_and_a_retry_lands_on_them(host, walk):
    await refused(ErrorCode.forbidden, host.command(OPEN_MEETING_ITEMS, meeting(1, 2),
                                                    walk.lead_handler))
    await refused(ErrorCode.validation_failed, host.command(OPEN_MEETING_ITEMS, meeting(1, 1),
                                                            walk.supervisor))
    assert host.memory.published(ITEM_OPENED.subject) == []  # nothing written
    opened = await host.command(OPEN_MEETING_ITEMS, meeting(1, 2), walk.supervisor,
                                command_id="m-12")
    again = await host.command(OPEN_MEETING_ITEMS, meeting(1, 2), walk.supervisor,
                               command_id="m-12")
    assert again == opened and opened["minutes_number"] == "纪要〔2026〕12号"
    assert [i["status"] for i in opened["items"]] == ["已立项", "已立项"]
    assert len(host.memory.published(ITEM_OPENED.subject)) == 2
    # Another request for the same 纪要's decisions (a new Idempotency-Key) opens nothing.
    await refused(ErrorCode.conflict, host.command(OPEN_MEETING_ITEMS, meeting(1, 2),
                                                   walk.supervisor, command_id="m-12-again"))
    assert len(host.memory.published(ITEM_OPENED.subject)) == 2
