"""督查事项 from 立项 to 办结, without servers: each source opens its item, 登记 numbers it per
year, 交办 gives it to one lead and its co-departments, a misrouted item is returned and
re-assigned, co-departments give their opinions, the lead answers (建议、提案: a result code,
to every signer), 审结 accepts (办结, with the appraisal fact) or sends back; every refusal
(wrong role, wrong status, bad input) changes nothing."""

from __future__ import annotations

from datetime import date

import pytest

from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.documents.incoming import IncomingInstructed
from govbus_contracts.services.supervision.common import (
    ItemStatus,
    MeetingKind,
    ResultCode,
    ReviewDecision,
    Satisfaction,
    SourceKind,
)
from govbus_contracts.services.supervision.items import (
    ITEM_COMPLETED,
    ITEM_REOPENED,
    AssignItem,
    CancelItem,
    DecideExtension,
    DraftAnswer,
    GiveOpinion,
    ManualSource,
    MeetingDecision,
    Milestone,
    OpenItem,
    OpenMeetingItems,
    ReassignItem,
    RecordSatisfaction,
    ReportProgress,
    RequestExtension,
    ReturnMisrouted,
    ReviewAnswer,
    Source,
    SubmitAnswer,
    SuspendItem,
    WorkReportSource,
)
from govbus_kit.domain import system_actor
from govbus_supervision.domain import closing, deadlines, handling, opening

S = ItemStatus
JUN1 = date(2026, 6, 1)


# --- 立项 and 登记 ---------------------------------------------------------------------------


def test_registration_numbers_the_item_in_the_years_register(walk):
    item = walk.registered(serial=12)
    assert (item.number, item.status) == ("督〔2026〕12号", S.registered)
    walk.refused(ErrorCode.invalid_transition, lambda: opening.register(
        item, "督", 2026, 13, walk.supervisor, walk.at(JUN1)), item)


def test_only_the_supervision_office_opens_registers_and_assigns(walk):
    cmd = OpenItem(title="专项督查", content="内容", source=walk.manual_source())
    for who in (walk.leader, walk.lead_handler):
        with pytest.raises(GovbusError) as raised:
            opening.open_item(cmd, "x", who, walk.at(JUN1))
        assert raised.value.code is ErrorCode.forbidden
    item = walk.opened()
    walk.refused(ErrorCode.forbidden, lambda: opening.register(
        item, "督", 2026, 1, walk.leader, walk.at(JUN1)), item)
    registered = walk.registered(item)
    cmd_assign = AssignItem(id=item.id, lead_department=walk.lead)
    walk.refused(ErrorCode.forbidden, lambda: handling.assign(
        registered, cmd_assign, walk.lead_handler, walk.at(JUN1), walk.periods), registered)
    walk.refused(ErrorCode.invalid_transition, lambda: handling.assign(
        item, cmd_assign, walk.supervisor, walk.at(JUN1), walk.periods), item)


def test_a_source_carries_the_part_of_its_kind_and_no_other(walk):
    wrong = Source(kind=SourceKind.meeting_decision, manual=ManualSource(
        manual_kind="专项督查", origin="2026年营商环境专项督查"))
    cmd = OpenItem(title="专项督查", content="内容", source=wrong)
    with pytest.raises(GovbusError) as raised:
        opening.open_item(cmd, "x", walk.supervisor, walk.at(JUN1))
    assert raised.value.code is ErrorCode.validation_failed


def test_a_meetings_decisions_open_one_item_each_linked_by_its_minutes(walk):
    cmd = OpenMeetingItems(
        meeting_kind=MeetingKind.standing, meeting_name="市政府第12次常务会议",
        held_on=date(2026, 5, 28), minutes_number="〔2026〕12号", decisions=[
            MeetingDecision(item_no=1, title="推进城市更新", content="……",
                            lead_department="市住建局", co_departments=["市财政局", "市住建局"]),
            MeetingDecision(item_no=2, title="优化营商环境", content="……",
                            lead_department="市发改委", due_on=date(2026, 7, 31))])
    changes = opening.open_meeting_items(cmd, ["m-1", "m-2"], walk.supervisor, walk.at(JUN1))
    assert [c.state.source.meeting.minutes_number for c in changes] == ["〔2026〕12号"] * 2
    assert [c.events[0].body.minutes_number for c in changes] == ["〔2026〕12号"] * 2
    assert changes[0].state.proposed_co_departments == ["市财政局"]  # the lead not twice
    assert changes[1].state.requested_due_on == date(2026, 7, 31)
    twice = cmd.model_copy(update={"decisions": [cmd.decisions[0], cmd.decisions[0]]})
    with pytest.raises(GovbusError) as raised:
        opening.open_meeting_items(twice, ["m-1", "m-2"], walk.supervisor, walk.at(JUN1))
    assert raised.value.code is ErrorCode.validation_failed


def instructed(needs_supervision: bool = True) -> IncomingInstructed:
    return IncomingInstructed(
        id="doc-7", registration_number="收〔2026〕15号", status="待承办", issuer="省政府办公厅",
        issuer_doc_number="省府办发〔2026〕3号", doc_type="通知", classification_level="非密",
        urgency="平件", title="关于做好防汛工作的通知", leader="王副市长", leader_subject="wang",
        instructed_on=date(2026, 6, 1), needs_supervision=needs_supervision,
        supervision_deadline=date(2026, 6, 30), lead_department="市水利局",
        instruction="请水利局牵头落实, 督查室跟踪督办。")


def test_a_leaders_instruction_opens_an_item_linked_to_the_incoming_document(walk):
    change = opening.open_from_instruction(instructed(), "i-1", system_actor("supervision"),
                                           walk.at(JUN1), walk.periods)
    item = change.state
    assert item.source.instruction.document_id == "doc-7"
    assert (item.requested_due_on, item.proposed_lead_department) == (date(2026, 6, 30),
                                                                     "市水利局")
    assert change.events[0].body.document_id == "doc-7"
    with pytest.raises(GovbusError) as raised:
        opening.open_from_instruction(instructed(False), "i-1", system_actor("supervision"),
                                      walk.at(JUN1), walk.periods)
    assert raised.value.code is ErrorCode.validation_failed


def test_a_work_report_task_hangs_under_its_target_and_no_deeper(walk):
    source = Source(kind=SourceKind.work_report, work_report=WorkReportSource(
        year=2026, reference="三(二)"))
    target = walk.opened(source)
    task_cmd = OpenItem(title="新建保障性住房2000套", content="……", source=source,
                        parent_id=target.id)
    task = opening.open_item(task_cmd, "task-1", walk.supervisor, walk.at(JUN1), target).state
    assert task.parent_id == target.id
    deeper = task_cmd.model_copy(update={"parent_id": task.id})
    with pytest.raises(GovbusError) as raised:
        opening.open_item(deeper, "task-2", walk.supervisor, walk.at(JUN1), task)
    assert raised.value.code is ErrorCode.validation_failed
    with pytest.raises(GovbusError) as raised:
        opening.open_item(OpenItem(title="x", content="x", source=walk.manual_source(),
                                   parent_id=target.id), "m", walk.supervisor, walk.at(JUN1),
                          target)
    assert raised.value.code is ErrorCode.validation_failed


def test_cancelling_needs_the_office_and_an_unanswered_item(walk):
    item = walk.assigned()
    cmd = CancelItem(id=item.id, reason="与督〔2026〕3号重复立项")
    walk.refused(ErrorCode.forbidden, lambda: opening.cancel(
        item, cmd.reason, walk.lead_handler, walk.at(JUN1)), item)
    cancelled = opening.cancel(item, cmd.reason, walk.supervisor, walk.at(JUN1)).state
    assert (cancelled.status, cancelled.cancelled_reason) == (S.cancelled, cmd.reason)
    answered = walk.answered()
    walk.refused(ErrorCode.invalid_transition, lambda: opening.cancel(
        answered, cmd.reason, walk.supervisor, walk.at(JUN1)), answered)


# --- 交办, 退回 and 重新交办 -------------------------------------------------------------------


def test_assignment_names_one_lead_and_its_co_departments(walk):
    item = walk.assigned(co_departments=[walk.co, walk.lead, walk.co])
    assert (item.status, item.lead_department, item.co_departments) == (
        S.handling, walk.lead, [walk.co])
    assert item.departments == [walk.lead, walk.co]


def test_a_misrouted_item_is_returned_by_the_lead_with_its_reason_then_reassigned(walk):
    item = walk.assigned(on=JUN1)
    cmd = ReturnMisrouted(id=item.id, reason="加装电梯由市住建局负责, 本局职责为资金保障",
                          suggested_department=walk.other)
    walk.refused(ErrorCode.forbidden, lambda: handling.return_misrouted(
        item, cmd, walk.co_handler, walk.at(JUN1)), item)
    walk.refused(ErrorCode.deadline_passed, lambda: handling.return_misrouted(
        item, cmd, walk.lead_handler, walk.at(date(2026, 6, 12))), item)
    returned = handling.return_misrouted(item, cmd, walk.lead_handler,
                                         walk.at(date(2026, 6, 11)))
    assert returned.state.status is S.misrouted
    assert returned.events[0].body.returned_by_department == walk.lead
    reassign = ReassignItem(id=item.id, lead_department=walk.other, co_departments=[walk.co])
    walk.refused(ErrorCode.forbidden, lambda: handling.reassign(
        returned.state, reassign, walk.lead_handler, walk.at(date(2026, 6, 12)), walk.periods),
        returned.state)
    again = handling.reassign(returned.state, reassign, walk.supervisor,
                              walk.at(date(2026, 6, 12)), walk.periods)
    assert (again.state.status, again.state.lead_department) == (S.handling, walk.other)
    # The period runs anew from the re-assignment (15 working days from 12 June: 端午 off).
    assert again.state.due_on == date(2026, 7, 6)
    assert again.events[0].body.reassigned


# --- 协办意见 and 反馈 --------------------------------------------------------------------------


def test_a_co_department_gives_its_opinion_once_and_late_after_its_period(walk):
    item = walk.assigned(walk.registered(walk.opened(walk.motion_source())), on=JUN1)
    opinion = walk.opinion_given(item, on=date(2026, 7, 2))
    assert opinion.co_opinions[-1].late  # 1 June + 1 month = 1 July
    walk.refused(ErrorCode.conflict, lambda: handling.give_opinion(
        opinion, "再补充", walk.co_handler, walk.at(date(2026, 7, 3))), opinion)
    walk.refused(ErrorCode.forbidden, lambda: handling.give_opinion(
        item, GiveOpinion(id=item.id, opinion="x").opinion, walk.lead_handler,
        walk.at(JUN1)), item)


def test_the_lead_answers_with_the_co_departments_opinions_once_given_or_due(walk):
    item = walk.assigned(walk.registered(walk.opened(walk.motion_source())), on=JUN1)
    cmd = SubmitAnswer(id=item.id, text="答复", result_code=ResultCode.solved,
                       replies_to=["张代表", "李代表"])
    walk.refused(ErrorCode.conflict, lambda: handling.submit_answer(
        item, cmd, walk.lead_handler, walk.at(date(2026, 6, 20))), item)
    # The opinion's month has passed: the lead answers, the missing opinion recorded.
    late = handling.submit_answer(item, cmd, walk.lead_handler, walk.at(date(2026, 7, 2)))
    assert late.state.answers[-1].missing_opinions == [walk.co]
    with_opinion = walk.answered(walk.opinion_given(item, on=date(2026, 6, 10)))
    assert [o.department for o in with_opinion.answers[-1].co_opinions] == [walk.co]
    assert with_opinion.status is S.answered


def test_a_suggestion_is_answered_with_a_result_code_to_every_signer(walk):
    item = walk.opinion_given(walk.assigned(walk.registered(walk.opened(walk.motion_source()))))
    no_code = SubmitAnswer(id=item.id, text="答复", replies_to=["张代表", "李代表"])
    one_signer = SubmitAnswer(id=item.id, text="答复", result_code="B", replies_to=["张代表"])
    stranger = SubmitAnswer(id=item.id, text="答复", result_code="B",
                            replies_to=["张代表", "李代表", "赵代表"])
    for cmd in (no_code, one_signer, stranger):
        walk.refused(ErrorCode.validation_failed, lambda c=cmd: handling.submit_answer(
            item, c, walk.lead_handler, walk.at(date(2026, 6, 15))), item)
    answered = walk.answered(item)
    assert answered.answers[-1].result_code is ResultCode.being_solved


def test_only_the_lead_drafts_and_answers(walk):
    item = walk.opinion_given()
    draft = DraftAnswer(id=item.id, text="初稿")
    walk.refused(ErrorCode.forbidden, lambda: handling.draft_answer(
        item, draft, walk.co_handler, walk.at(JUN1)), item)
    walk.refused(ErrorCode.not_found, lambda: handling.draft_answer(
        item, draft, walk.other_handler, walk.at(JUN1)), item)
    walk.refused(ErrorCode.forbidden, lambda: handling.draft_answer(
        item, draft, walk.supervisor, walk.at(JUN1)), item)
    drafted = handling.draft_answer(item, draft, walk.lead_handler, walk.at(JUN1))
    assert drafted.state.answer_draft.text == "初稿" and drafted.events == []


# --- 审结 ----------------------------------------------------------------------------------


def test_review_sends_an_inadequate_answer_back_with_reasons_and_a_new_deadline(walk):
    item = walk.answered()
    no_reason = ReviewAnswer(id=item.id, decision=ReviewDecision.send_back)
    walk.refused(ErrorCode.validation_failed, lambda: closing.review(
        item, no_reason, walk.supervisor, walk.at(date(2026, 6, 16)), walk.periods), item)
    walk.refused(ErrorCode.forbidden, lambda: closing.review(
        item, no_reason, walk.leader, walk.at(date(2026, 6, 16)), walk.periods), item)
    back = closing.review(item, ReviewAnswer(id=item.id, decision=ReviewDecision.send_back,
                                             reasons=["未说明资金来源"]),
                          walk.supervisor, walk.at(date(2026, 6, 16)), walk.periods)
    assert (back.state.status, back.state.times_returned) == (S.handling, 1)
    assert back.state.due_on == date(2026, 7, 1)  # 10 working days (端午 off)
    assert back.events[0].body.reasons == ["未说明资金来源"]
    done = walk.completed(walk.answered(back.state, on=date(2026, 6, 20)), on=date(2026, 6, 22))
    assert (done.status, done.appraisal.times_returned, done.answers[-1].round) == (
        S.completed, 1, 2)


def test_completion_announces_on_time_or_late_by_working_days(walk):
    on_time = closing.review(walk.answered(on=date(2026, 6, 23)),
                             ReviewAnswer(id="item-1", decision=ReviewDecision.accept,
                                          satisfaction=Satisfaction.satisfied),
                             walk.supervisor, walk.at(date(2026, 6, 30)), walk.periods)
    fact = on_time.events[0]
    assert fact.spec is ITEM_COMPLETED
    assert (fact.body.on_time, fact.body.working_days_late, fact.body.satisfaction) == (
        True, 0, Satisfaction.satisfied)
    late = walk.completed(walk.answered(on=date(2026, 6, 26)), on=date(2026, 6, 29))
    # Due 23 June, answered Friday 26 June: 3 working days late (the review's days not counted).
    assert (late.appraisal.on_time, late.appraisal.working_days_late) == (False, 3)
    walk.refused(ErrorCode.invalid_transition, lambda: closing.review(
        late, ReviewAnswer(id="item-1", decision=ReviewDecision.accept), walk.supervisor,
        walk.at(date(2026, 6, 30)), walk.periods), late)


# --- satisfaction (建议、提案) ------------------------------------------------------------------


def motion_completed(walk):
    return walk.completed(walk.answered(walk.opinion_given(walk.assigned(walk.registered(
        walk.opened(walk.motion_source())), on=JUN1))))


def test_each_signer_rates_once_and_one_dissatisfied_signer_reopens_the_item(walk):
    item = motion_completed(walk)
    rate = RecordSatisfaction(id=item.id, satisfaction=Satisfaction.satisfied, signer="张代表")
    rated = closing.record_satisfaction(item, rate, walk.supervisor, walk.at(date(2026, 7, 1)),
                                        walk.periods).state
    assert (rated.status, rated.appraisal.satisfaction) == (S.completed, Satisfaction.satisfied)
    walk.refused(ErrorCode.conflict, lambda: closing.record_satisfaction(
        rated, rate, walk.supervisor, walk.at(date(2026, 7, 1)), walk.periods), rated)
    for bad in (rate.model_copy(update={"signer": "赵代表"}),
                rate.model_copy(update={"signer": None})):
        walk.refused(ErrorCode.validation_failed, lambda b=bad: closing.record_satisfaction(
            rated, b, walk.supervisor, walk.at(date(2026, 7, 1)), walk.periods), rated)
    unhappy = closing.record_satisfaction(
        rated, RecordSatisfaction(id=item.id, satisfaction="不满意", signer="李代表"),
        walk.supervisor, walk.at(date(2026, 7, 1)), walk.periods)
    assert [e.spec for e in unhappy.events][-1] is ITEM_REOPENED
    again = unhappy.state
    assert (again.status, again.due_on, again.appraisal) == (S.handling, date(2026, 8, 3), None)
    done = walk.completed(walk.answered(again, on=date(2026, 7, 20)), on=date(2026, 7, 21))
    assert done.answers[-1].round == 2 and done.rehandling_rounds == 1
    assert done.current_satisfaction() is None  # the new answer awaits its rating


def test_the_office_rates_other_items_at_review_and_not_a_suggestion(walk):
    item = walk.answered(walk.opinion_given(walk.assigned(walk.registered(
        walk.opened(walk.motion_source())), on=JUN1)))
    walk.refused(ErrorCode.validation_failed, lambda: closing.review(
        item, ReviewAnswer(id=item.id, decision=ReviewDecision.accept,
                           satisfaction=Satisfaction.satisfied),
        walk.supervisor, walk.at(date(2026, 6, 16)), walk.periods), item)


# --- steps out of order and by the wrong hands -------------------------------------------


def test_steps_out_of_order_are_refused_and_change_nothing(walk):
    done = walk.completed()
    on = walk.at(date(2026, 6, 17))
    p = walk.periods
    steps = {
        "协办意见": lambda: handling.give_opinion(done, "x", walk.co_handler, on),
        "进展": lambda: handling.report_progress(
            done, ReportProgress(id=done.id, text="x", percent=1), walk.lead_handler, on, p),
        "答复稿": lambda: handling.draft_answer(done, DraftAnswer(id=done.id, text="x"),
                                              walk.lead_handler, on),
        "反馈": lambda: handling.submit_answer(done, SubmitAnswer(id=done.id, text="x"),
                                             walk.lead_handler, on),
        "退回": lambda: handling.return_misrouted(
            done, ReturnMisrouted(id=done.id, reason="x"), walk.lead_handler, on),
        "重新交办": lambda: handling.reassign(
            done, ReassignItem(id=done.id, lead_department=walk.other), walk.supervisor, on, p),
        "延期": lambda: deadlines.request_extension(done, RequestExtension(
            id=done.id, reason="x", requested_due_on=date(2026, 7, 1)), walk.lead_handler, on, p),
        "审批延期": lambda: deadlines.decide_extension(
            done, DecideExtension(id=done.id, decision="同意延期"), walk.leader, on, p),
        "中止": lambda: deadlines.suspend(done, SuspendItem(id=done.id, reason="x",
                                                          approved_by="王副市长"),
                                        walk.supervisor, on),
        "恢复": lambda: deadlines.resume(done, None, walk.supervisor, on, p),
        "催办": lambda: deadlines.escalate(done, "提醒", None, walk.supervisor, on, p),
        "撤销": lambda: opening.cancel(done, "x", walk.supervisor, on),
    }
    for name, step in steps.items():
        error = walk.refused(ErrorCode.invalid_transition, step, done)
        assert error.details["status"] == "已办结", name


def test_suspension_and_extension_decisions_need_their_roles(walk):
    item = walk.assigned()
    on = walk.at(date(2026, 6, 5))
    walk.refused(ErrorCode.forbidden, lambda: deadlines.suspend(
        item, SuspendItem(id=item.id, reason="x", approved_by="王副市长"), walk.lead_handler,
        on), item)
    walk.refused(ErrorCode.invalid_transition, lambda: deadlines.decide_extension(
        item, DecideExtension(id=item.id, decision="同意延期"), walk.leader, on, walk.periods),
        item)
    walk.refused(ErrorCode.forbidden, lambda: deadlines.decide_extension(
        item, DecideExtension(id=item.id, decision="同意延期"), walk.lead_handler, on,
        walk.periods), item)
    walk.refused(ErrorCode.invalid_transition, lambda: closing.record_satisfaction(
        item, RecordSatisfaction(id=item.id, satisfaction="满意"), walk.supervisor, on,
        walk.periods), item)


def test_a_delivered_again_instruction_or_overdue_case_names_the_same_item():
    first = opening.instruction_item_id("doc-7", date(2026, 6, 1))
    assert first == opening.instruction_item_id("doc-7", date(2026, 6, 1))
    assert first != opening.instruction_item_id("doc-7", date(2026, 6, 2))
    complaint = opening.overdue_case_item_id(SourceKind.complaint_overdue, "c-1")
    assert complaint == opening.overdue_case_item_id(SourceKind.complaint_overdue, "c-1")
    assert complaint != opening.overdue_case_item_id(SourceKind.disclosure_overdue, "c-1")


def test_a_progress_report_marks_the_milestones_it_names_done(walk):
    source = Source(kind=SourceKind.work_report, work_report=WorkReportSource(
        year=2026, reference="三(二)4"))
    item = walk.assigned(walk.registered(walk.opened(source, milestones=[
        Milestone(title="完成选址", due_on=date(2026, 6, 30)),
        Milestone(title="开工建设", due_on=date(2026, 9, 30)),
    ])), on=JUN1, due_on=date(2026, 12, 31))
    on = walk.at(date(2026, 6, 29))
    walk.refused(ErrorCode.validation_failed, lambda: handling.report_progress(
        item, ReportProgress(id=item.id, text="x", percent=10, milestones_done=["竣工"]),
        walk.lead_handler, on, walk.periods), item)
    reported = handling.report_progress(
        item, ReportProgress(id=item.id, text="选址完成", percent=20,
                             milestones_done=["完成选址"]),
        walk.lead_handler, on, walk.periods).state
    assert [m.completed_on for m in reported.milestones] == [date(2026, 6, 29), None]
