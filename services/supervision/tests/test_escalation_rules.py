"""催办 and progress reports, without servers: 提醒 → 催办通知 → 督办通知书 → 通报 in order and
once each for a deadline (deterministic fact ids), a new deadline a new cycle, 催办 by hand
only the next level, the 督办通知书's number only as the documents service announces it, and
progress reports due, reminded and late on their schedule."""

from __future__ import annotations

from datetime import date, timedelta

from govbus_contracts.errors import ErrorCode
from govbus_contracts.services.supervision.common import (
    EscalationLevel,
    ProgressSchedule,
    SourceKind,
)
from govbus_contracts.services.supervision.items import (
    ITEM_ESCALATED,
    ITEM_PROGRESS_LATE,
    ITEM_PROGRESS_REMINDED,
    DecideExtension,
    ReportProgress,
    RequestExtension,
    Source,
    SuspendItem,
    WorkReportSource,
)
from govbus_supervision.domain import deadlines, handling
from govbus_supervision.domain.escalation import escalation_event_id
from govbus_supervision.domain.progress import first_report_due, report_day_after

L = EscalationLevel
SEP30 = date(2026, 9, 30)


def swept(walk, item, start: date, end: date):
    """Run the sweep every day from ``start`` to ``end`` (twice a day, as replicas would),
    applying each change; the facts published, by day."""
    facts = []
    day = start
    while day <= end:
        for hour in (9, 15):
            change = deadlines.sweep(item, walk.at(day, hour), walk.periods)
            if change is not None:
                item = change.state
                facts += [(day, e) for e in change.events]
        day += timedelta(days=1)
    return item, facts


def test_the_levels_come_in_order_and_once_each(walk):
    item = walk.assigned(on=date(2026, 9, 1), due_on=SEP30)
    item, facts = swept(walk, item, date(2026, 9, 1), date(2026, 11, 30))
    escalated = [(day, e.body.level) for day, e in facts if e.spec is ITEM_ESCALATED]
    # 提醒 3 working days before (中秋 25 Sep not counted); 催办通知 the first working day
    # after (国庆); 督办通知书 5 working days later (Sat 10 Oct worked); 通报 10 after that.
    assert escalated == [(date(2026, 9, 24), L.reminder), (date(2026, 10, 8), L.urging),
                         (date(2026, 10, 14), L.notice), (date(2026, 10, 28), L.bulletin)]
    ids = [e.event_id for _, e in facts]
    assert ids == [escalation_event_id(item.id, level, SEP30) for _, level in escalated]
    assert item.overdue_since == date(2026, 10, 8)


def test_a_sweep_that_was_down_catches_up_one_level_at_a_time(walk):
    item = walk.assigned(on=date(2026, 9, 1), due_on=SEP30)
    first = deadlines.sweep(item, walk.at(date(2026, 11, 30)), walk.periods)
    assert [e.body.level for e in first.events] == [L.urging]  # no 提醒 after the deadline
    # The 督办通知书 counts from the 催办通知 actually issued: not the same day.
    assert deadlines.sweep(first.state, walk.at(date(2026, 11, 30), 15), walk.periods) is None
    later = deadlines.sweep(first.state, walk.at(date(2026, 12, 7)), walk.periods)
    assert [e.body.level for e in later.events] == [L.notice]


def test_an_extended_deadline_starts_a_new_cycle(walk):
    item = walk.assigned(on=date(2026, 9, 1), due_on=SEP30)
    item, _ = swept(walk, item, date(2026, 9, 24), date(2026, 9, 24))
    assert item.issued_levels() == {L.reminder: date(2026, 9, 24)}
    asked = deadlines.request_extension(item, RequestExtension(
        id=item.id, reason="待市政府常务会议研究", requested_due_on=date(2026, 10, 20)),
        walk.lead_handler, walk.at(date(2026, 9, 24)), walk.periods).state
    extended = deadlines.decide_extension(asked, DecideExtension(id=item.id, decision="同意延期"),
                                          walk.supervisor, walk.at(date(2026, 9, 24)),
                                          walk.periods).state
    assert extended.issued_levels() == {}
    _, facts = swept(walk, extended, date(2026, 9, 25), date(2026, 10, 21))
    assert [(d, e.body.level) for d, e in facts] == [(date(2026, 10, 15), L.reminder),
                                                     (date(2026, 10, 21), L.urging)]


def test_escalating_by_hand_issues_only_the_next_level(walk):
    item = walk.assigned(on=date(2026, 9, 1), due_on=SEP30)
    walk.refused(ErrorCode.invalid_transition, lambda: deadlines.escalate(
        item, L.notice, None, walk.supervisor, walk.at(date(2026, 10, 8)), walk.periods), item)
    walk.refused(ErrorCode.forbidden, lambda: deadlines.escalate(
        item, L.urging, None, walk.lead_handler, walk.at(date(2026, 10, 8)), walk.periods), item)
    urged = deadlines.escalate(item, L.urging, "请抓紧办理", walk.supervisor,
                               walk.at(date(2026, 10, 8)), walk.periods)
    assert urged.events[0].body.manual
    # The sweep does not issue it again, and counts the 督办通知书 from it.
    assert deadlines.sweep(urged.state, walk.at(date(2026, 10, 9)), walk.periods) is None
    notice = deadlines.escalate(urged.state, L.notice, None, walk.supervisor,
                                walk.at(date(2026, 10, 9)), walk.periods)
    assert notice.state.issued_levels() == {L.urging: date(2026, 10, 8),
                                            L.notice: date(2026, 10, 9)}


def test_the_notice_keeps_only_the_number_the_documents_service_announces(walk):
    item = walk.assigned(on=date(2026, 9, 1), due_on=SEP30)
    item, _ = swept(walk, item, date(2026, 9, 1), date(2026, 10, 14))
    assert [(n.document_id, n.doc_number) for n in item.notices] == [(None, None)]
    drafted = deadlines.notice_requested(item, "out-88", SEP30, walk.at(date(2026, 10, 14)))
    assert drafted.notices[0].document_id == "out-88"
    recorded = deadlines.record_notice(drafted, "out-88", "督办〔2026〕7号", date(2026, 10, 16),
                                       walk.at(date(2026, 10, 16)))
    notice = recorded.state.notices[0]
    assert (notice.doc_number, notice.dispatched_on) == ("督办〔2026〕7号", date(2026, 10, 16))
    assert recorded.events[0].body.doc_number == "督办〔2026〕7号"
    # The same announcement delivered again changes nothing.
    assert deadlines.record_notice(recorded.state, "out-88", "督办〔2026〕7号",
                                   date(2026, 10, 16), walk.at(date(2026, 10, 17))) is None


def test_no_escalation_while_suspended_or_once_answered(walk):
    item = walk.assigned(on=date(2026, 9, 1), due_on=SEP30)
    suspended = deadlines.suspend(item, SuspendItem(id=item.id, reason="等待上级政策出台",
                                                    approved_by="王副市长"),
                                  walk.supervisor, walk.at(date(2026, 9, 10))).state
    assert swept(walk, suspended, date(2026, 9, 10), date(2026, 11, 30))[1] == []
    answered = walk.answered(walk.opinion_given(item, on=date(2026, 9, 10)),
                             on=date(2026, 9, 20))
    assert swept(walk, answered, date(2026, 9, 20), date(2026, 11, 30))[1] == []


def test_resuming_moves_the_deadline_by_the_working_days_suspended(walk):
    item = walk.assigned(on=date(2026, 9, 1), due_on=SEP30)
    suspended = deadlines.suspend(item, SuspendItem(id=item.id, reason="等待上级政策出台",
                                                    approved_by="王副市长"),
                                  walk.supervisor, walk.at(date(2026, 9, 21))).state
    assert suspended.suspensions[-1].approved_by == "王副市长"
    resumed = deadlines.resume(suspended, None, walk.supervisor, walk.at(date(2026, 9, 30)),
                               walk.periods).state
    # 22–30 September: 6 working days (中秋 25–27 off) → 6 working days after 30 September.
    assert resumed.due_on == date(2026, 10, 14)
    assert resumed.status.value == "办理中"
    assert resumed.suspensions[-1].due_on_after == date(2026, 10, 14)


# --- progress reports ----------------------------------------------------------------------


def test_report_days_are_monthly_or_quarterly_and_moved_off_holidays(walk):
    p = walk.periods
    monthly, quarterly = ProgressSchedule.monthly, ProgressSchedule.quarterly
    # 25 July 2026 is a Saturday: the report is due Monday 27 July.
    assert first_report_due(date(2026, 6, 22), monthly, 25, p) == date(2026, 7, 27)
    assert first_report_due(date(2026, 6, 1), monthly, 25, p) == date(2026, 6, 25)
    assert first_report_due(date(2026, 6, 1), quarterly, 25, p) == date(2026, 6, 25)
    assert report_day_after(date(2026, 6, 25), quarterly, 25, p) == date(2026, 9, 28)  # 中秋
    assert report_day_after(date(2026, 9, 28), quarterly, 25, p) == date(2026, 12, 25)
    assert first_report_due(date(2026, 6, 1), ProgressSchedule.none, 25, p) is None


def test_a_report_is_reminded_then_late_each_once_and_the_next_one_is_due(walk):
    item = walk.assigned(on=date(2026, 6, 1), due_on=date(2026, 12, 31),
                         progress_schedule=ProgressSchedule.monthly)
    assert item.next_report_due_on == date(2026, 6, 25)
    item, facts = swept(walk, item, date(2026, 6, 1), date(2026, 7, 31))
    progress = [(d, e.spec, e.body.report_due_on) for d, e in facts
                if e.spec in (ITEM_PROGRESS_REMINDED, ITEM_PROGRESS_LATE)]
    assert progress == [
        (date(2026, 6, 22), ITEM_PROGRESS_REMINDED, date(2026, 6, 25)),
        (date(2026, 6, 26), ITEM_PROGRESS_LATE, date(2026, 6, 25)),
        (date(2026, 7, 22), ITEM_PROGRESS_REMINDED, date(2026, 7, 27)),
        (date(2026, 7, 28), ITEM_PROGRESS_LATE, date(2026, 7, 27))]
    assert item.missed_reports == [date(2026, 6, 25), date(2026, 7, 27)]
    assert item.next_report_due_on == date(2026, 8, 25)
    assert len({e.event_id for _, e in facts}) == len(facts)


def test_a_report_answers_the_one_due_and_the_next_day_follows(walk):
    item = walk.assigned(on=date(2026, 6, 1), due_on=date(2026, 12, 31),
                         progress_schedule=ProgressSchedule.monthly)
    cmd = ReportProgress(id=item.id, text="已完成前期摸排。", percent=20)
    reported = handling.report_progress(item, cmd, walk.lead_handler,
                                        walk.at(date(2026, 6, 24)), walk.periods).state
    assert (reported.progress_reports[-1].late, reported.next_report_due_on) == (
        False, date(2026, 7, 27))
    assert deadlines.sweep(reported, walk.at(date(2026, 6, 26)), walk.periods) is None
    late = handling.report_progress(reported, cmd, walk.lead_handler,
                                    walk.at(date(2026, 7, 28)), walk.periods).state
    assert late.progress_reports[-1].late
    walk.refused(ErrorCode.forbidden, lambda: handling.report_progress(
        item, cmd, walk.co_handler, walk.at(date(2026, 6, 24)), walk.periods), item)
    walk.refused(ErrorCode.not_found, lambda: handling.report_progress(
        item, cmd, walk.other_handler, walk.at(date(2026, 6, 24)), walk.periods), item)


def test_a_retried_notice_request_changes_nothing(walk):
    item = walk.assigned(on=date(2026, 9, 1), due_on=SEP30)
    item, _ = swept(walk, item, date(2026, 9, 1), date(2026, 10, 14))
    drafted = deadlines.notice_requested(item, "out-88", SEP30, walk.at(date(2026, 10, 14)))
    assert deadlines.notice_requested(drafted, "out-88", SEP30,
                                      walk.at(date(2026, 10, 14))) is drafted
    # A draft is recorded on the notice that urged its own deadline, never on another's.
    assert deadlines.notice_requested(item, "out-99", date(2026, 10, 30),
                                      walk.at(date(2026, 10, 14))) is item


def test_work_report_tasks_report_quarterly_unless_told_otherwise(walk):
    source = Source(kind=SourceKind.work_report, work_report=WorkReportSource(
        year=2026, reference="三(二)4"))
    task = walk.assigned(walk.registered(walk.opened(source)), on=date(2026, 7, 1),
                         due_on=date(2026, 12, 31))
    assert task.assignments[-1].progress_schedule is ProgressSchedule.quarterly
    assert task.next_report_due_on == date(2026, 9, 28)  # 25 September is 中秋
    assert walk.assigned(on=date(2026, 7, 1)).next_report_due_on is None  # 不定期
