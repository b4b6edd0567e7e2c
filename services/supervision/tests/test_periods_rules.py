"""督查督办 periods, without servers: 建议、提案 in calendar months from 交办 (a last day off
work moves to the next working day), co-departments' opinions in 1 month, a misrouted item
returned within 10 days, 不满意 re-handled within 1 month, the other kinds in working days,
one extension within its limit, and an operator's later version for later items only."""

from __future__ import annotations

from datetime import date

from govbus_contracts.errors import ErrorCode
from govbus_contracts.services.supervision.common import SourceKind
from govbus_contracts.services.supervision.items import (
    AssignItem,
    DecideExtension,
    LeaderInstructionSource,
    MeetingSource,
    RecordSatisfaction,
    RequestExtension,
    Source,
)
from govbus_kit.periods import PeriodTable, PeriodVersion
from govbus_supervision.domain import closing, deadlines, handling, opening
from govbus_supervision.domain.periods import PERIODS, Periods


def test_a_suggestion_is_answered_within_three_calendar_months_of_assignment(walk):
    item = walk.assigned(walk.registered(walk.opened(walk.motion_source())),
                         on=date(2026, 6, 10))
    assert item.due_on == date(2026, 9, 10)
    assert "3个月" in item.assignments[-1].period


def test_a_deadline_on_national_day_moves_to_the_next_working_day(walk):
    # 1 July + 3 months = 1 October (国庆): 民法典 第二百零三条 → Thursday 8 October.
    for kind in (SourceKind.deputy_suggestion, SourceKind.cppcc_proposal):
        item = walk.assigned(walk.registered(walk.opened(walk.motion_source(kind))),
                             on=date(2026, 7, 1))
        assert item.due_on == date(2026, 10, 8), kind


def test_calendar_months_across_month_ends(walk):
    # 民法典 第二百零二条: no corresponding day → the month's last day; then 第二百零三条.
    p = walk.periods
    assert p.due("co_opinion", date(2026, 1, 31)) == date(2026, 2, 28)  # a Saturday worked
    assert p.due("co_opinion", date(2027, 1, 31)) == date(2027, 3, 1)  # Sunday 28 Feb → Mon
    assert p.due("motion_answer", date(2026, 11, 30)) == date(2027, 3, 1)  # Sun 28 Feb 2027
    assert p.due("motion_answer", date(2026, 8, 31)) == date(2026, 11, 30)
    assert p.due("rehandling", date(2026, 9, 1)) == date(2026, 10, 8)  # 1 October → 8


def test_a_deadline_in_a_year_without_its_official_calendar_is_marked_provisional(walk):
    item = walk.assigned(walk.registered(walk.opened(walk.motion_source())),
                         on=date(2026, 11, 30))
    assert item.due_on == date(2027, 3, 1)
    assert item.due_on_provisional


def test_co_departments_give_their_opinion_within_one_month_and_never_after_the_deadline(walk):
    motion = walk.assigned(walk.registered(walk.opened(walk.motion_source())),
                           on=date(2026, 9, 1))
    assert motion.assignments[-1].co_opinion_due_on == date(2026, 10, 8)
    short = walk.assigned(on=date(2026, 9, 1), due_on=date(2026, 9, 18))
    assert short.assignments[-1].co_opinion_due_on == date(2026, 9, 18)


def test_a_misrouted_item_may_be_returned_within_ten_days(walk):
    assert walk.assigned(on=date(2026, 6, 1)).assignments[-1].misroute_until == date(2026, 6, 11)
    # 21 September + 10 days = 1 October (国庆) → 8 October.
    assert walk.assigned(on=date(2026, 9, 21)).assignments[-1].misroute_until == date(2026, 10, 8)


def test_the_other_kinds_count_working_days_from_assignment(walk):
    # 端午 19 June 2026 is not counted: 15 working days from 1 June end on 23 June.
    assert walk.assigned(on=date(2026, 6, 1)).due_on == date(2026, 6, 23)
    meeting = Source(kind=SourceKind.meeting_decision, meeting=MeetingSource(
        meeting_kind="常务会议", meeting_name="市政府第12次常务会议", held_on=date(2026, 5, 28),
        minutes_number="〔2026〕12号", item_no=3))
    assert walk.assigned(walk.registered(walk.opened(meeting)),
                         on=date(2026, 6, 1)).due_on == date(2026, 7, 14)
    instruction = Source(kind=SourceKind.leader_instruction, instruction=LeaderInstructionSource(
        document_id="doc-7", leader="王副市长", instructed_on=date(2026, 9, 18)))
    assert walk.assigned(walk.registered(walk.opened(instruction)),
                         on=date(2026, 9, 21)).due_on == date(2026, 10, 19)


def test_a_deadline_asked_by_the_source_or_the_office_is_kept(walk):
    item = walk.opened(requested_due_on=date(2026, 6, 30))
    assert walk.assigned(walk.registered(item)).due_on == date(2026, 6, 30)
    assert walk.assigned(due_on=date(2026, 7, 10)).due_on == date(2026, 7, 10)


def test_a_suggestion_cannot_be_given_longer_than_its_statutory_period(walk):
    item = walk.registered(walk.opened(walk.motion_source()))
    cmd = AssignItem(id=item.id, lead_department=walk.lead, due_on=date(2026, 9, 11))
    walk.refused(ErrorCode.validation_failed, lambda: handling.assign(
        item, cmd, walk.supervisor, walk.at(date(2026, 6, 10)), walk.periods), item)
    assert walk.assigned(item, on=date(2026, 6, 10), due_on=date(2026, 8, 1)).due_on == date(
        2026, 8, 1)


def _extension_asked(walk, item, until: date, on: date = date(2026, 8, 3)):
    cmd = RequestExtension(id=item.id, reason="涉及多部门协调, 需进一步论证",
                           requested_due_on=until)
    return deadlines.request_extension(item, cmd, walk.lead_handler, walk.at(on), walk.periods)


def test_a_suggestion_is_extended_once_by_at_most_three_months(walk):
    item = walk.assigned(walk.registered(walk.opened(walk.motion_source())),
                         on=date(2026, 7, 1))  # due 8 October
    walk.refused(ErrorCode.validation_failed,
                 lambda: _extension_asked(walk, item, date(2027, 1, 9)), item)
    asked = _extension_asked(walk, item, date(2027, 1, 8)).state
    decision = DecideExtension(id=item.id, decision="同意延期")
    extended = deadlines.decide_extension(asked, decision, walk.leader,
                                          walk.at(date(2026, 8, 4)), walk.periods)
    assert extended.state.due_on == date(2027, 1, 8)
    record = extended.state.extensions[-1]
    assert (record.decided_by, record.previous_due_on) == ("王副市长", date(2026, 10, 8))
    walk.refused(ErrorCode.conflict,
                 lambda: _extension_asked(walk, extended.state, date(2027, 1, 8)), extended.state)


def test_a_refused_extension_leaves_the_deadline_and_may_be_asked_again(walk):
    item = walk.assigned(on=date(2026, 6, 1))  # due 23 June
    asked = _extension_asked(walk, item, date(2026, 7, 10), on=date(2026, 6, 10)).state
    walk.refused(ErrorCode.conflict,
                 lambda: _extension_asked(walk, asked, date(2026, 7, 10), on=date(2026, 6, 10)),
                 asked)
    refused = deadlines.decide_extension(asked, DecideExtension(id=item.id, decision="不同意延期"),
                                         walk.supervisor, walk.at(date(2026, 6, 11)),
                                         walk.periods).state
    assert refused.due_on == date(2026, 6, 23)
    # The other kinds: one extension of at most 15 working days (from 23 June: 14 July).
    walk.refused(ErrorCode.validation_failed,
                 lambda: _extension_asked(walk, refused, date(2026, 7, 15), on=date(2026, 6, 12)),
                 refused)
    again = _extension_asked(walk, refused, date(2026, 7, 14), on=date(2026, 6, 12))
    assert again.state.extensions[-1].decision is None


def test_no_extension_is_asked_once_the_deadline_has_passed(walk):
    item = walk.assigned(on=date(2026, 6, 1))  # due 23 June
    walk.refused(ErrorCode.deadline_passed,
                 lambda: _extension_asked(walk, item, date(2026, 7, 1), on=date(2026, 6, 24)),
                 item)


def test_a_dissatisfied_deputy_gets_an_answer_again_within_one_month(walk):
    item = walk.completed(walk.answered(walk.opinion_given(walk.assigned(walk.registered(
        walk.opened(walk.motion_source())), on=date(2026, 6, 1)))))
    cmd = RecordSatisfaction(id=item.id, satisfaction="不满意", signer="李代表")
    reopened = closing.record_satisfaction(item, cmd, walk.supervisor, walk.at(date(2026, 9, 1)),
                                           walk.periods).state
    assert reopened.status.value == "办理中"
    assert reopened.due_on == date(2026, 10, 8)  # 1 September + 1 month = 国庆 → 8 October
    assert reopened.rehandling_rounds == 1


def test_an_overdue_complaint_becomes_an_item_once_overdue_five_working_days(walk):
    # Overdue since Monday 28 September: 国庆 is not counted; 10 October is a Saturday worked.
    assert opening.overdue_case_opens_on(date(2026, 9, 28), SourceKind.complaint_overdue,
                                         walk.periods) == date(2026, 10, 10)


def test_an_operators_later_version_counts_for_items_assigned_from_its_day(walk):
    table = PeriodTable(PERIODS).overridden({"handling_manual": [PeriodVersion(
        valid_from=date(2026, 7, 1), amount=10, basis="本地规定")]})
    walk.periods = Periods(table, walk.calendar)
    assert walk.assigned(on=date(2026, 6, 1)).due_on == date(2026, 6, 23)  # 15 working days
    assert walk.assigned(on=date(2026, 7, 1)).due_on == date(2026, 7, 15)  # 10 working days

