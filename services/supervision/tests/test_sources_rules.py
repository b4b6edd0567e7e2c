"""立项 from other services' facts, as rules without servers: a 领导批示 past its 督办期限 opens
overdue (never refused); an overdue disclosure request (a complaint alike) is watched and
becomes an item only once overdue the configured working days and still unanswered; a
政府工作报告 target keeps its tasks' ids and derives its progress from them."""

from __future__ import annotations

from datetime import date

import pytest

from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.documents.incoming import IncomingInstructed
from govbus_contracts.services.supervision.common import (
    ItemStatus,
    ProgressSchedule,
    SourceKind,
)
from govbus_contracts.services.supervision.items import (
    AssignItem,
    Milestone,
    OpenItem,
    OverdueCaseSource,
    ReportProgress,
    Source,
    WorkReportSource,
)
from govbus_kit.domain import system_actor
from govbus_kit.periods import PeriodTable, PeriodVersion
from govbus_supervision.domain import cases, handling, opening, targets
from govbus_supervision.domain.cases import WatchStatus
from govbus_supervision.domain.ledger import children_progress
from govbus_supervision.domain.periods import PERIODS, Periods
from govbus_supervision.domain.record import SupervisionItem

SYSTEM = system_actor("supervision")
DISCLOSURE = SourceKind.disclosure_overdue
COMPLAINT = SourceKind.complaint_overdue


def instructed(deadline: date) -> IncomingInstructed:
    return IncomingInstructed(
        id="doc-9", registration_number="收〔2026〕88号", status="待承办", issuer="省政府办公厅",
        issuer_doc_number="赣府办字〔2026〕40号", doc_type="通知", classification_level="非密",
        urgency="平件", title="关于做好国庆期间安全生产工作的通知", leader="王副市长",
        leader_subject="wang", instructed_on=date(2026, 9, 29), needs_supervision=True,
        supervision_deadline=deadline, lead_department="市应急管理局",
        instruction="请应急局牵头落实, 9月30日前报结果。")


# --- 领导批示 past its 督办期限 ----------------------------------------------------------------


def test_an_instruction_whose_deadline_has_passed_opens_already_overdue(walk):
    # Read on 9 Oct (after 国庆 1–7 Oct): the 30 Sep deadline is past; overdue since the
    # first working day after it, 8 Oct.
    change = opening.open_from_instruction(instructed(date(2026, 9, 30)), "i-9", SYSTEM,
                                           walk.at(date(2026, 10, 9)), walk.periods)
    item = change.state
    assert (item.status, item.requested_due_on, item.overdue_since) == (
        ItemStatus.opened, date(2026, 9, 30), date(2026, 10, 8))
    assert "立项时已逾期" in (item.history[0].remarks or "")
    assert change.events[0].body.document_id == "doc-9"
    # In time, it is not overdue.
    on_time = opening.open_from_instruction(instructed(date(2026, 9, 30)), "i-9", SYSTEM,
                                            walk.at(date(2026, 9, 30)), walk.periods).state
    assert on_time.overdue_since is None


def test_the_office_sets_a_new_deadline_when_assigning_an_instruction_opened_overdue(walk):
    item = opening.open_from_instruction(instructed(date(2026, 9, 30)), "i-9", SYSTEM,
                                         walk.at(date(2026, 10, 9)), walk.periods).state
    item = walk.registered(item, on=date(2026, 10, 9))
    # The 批示's day is gone: 交办 without a date is refused and changes nothing …
    walk.refused(ErrorCode.validation_failed, lambda: handling.assign(
        item, AssignItem(id=item.id, lead_department="市应急管理局"), walk.supervisor,
        walk.at(date(2026, 10, 9)), walk.periods), item)
    # … with one it is handled against it; the record keeps when it was overdue.
    assigned = walk.assigned(item, on=date(2026, 10, 9), lead_department="市应急管理局",
                             co_departments=[], due_on=date(2026, 10, 16))
    assert (assigned.due_on, assigned.overdue_since) == (date(2026, 10, 16), date(2026, 10, 8))


def test_a_manual_opening_still_refuses_a_requested_day_already_past(walk):
    with pytest.raises(GovbusError) as raised:
        walk.opened(on=date(2026, 6, 10), requested_due_on=date(2026, 6, 1))
    assert raised.value.code is ErrorCode.validation_failed


# --- overdue cases ------------------------------------------------------------------------


def case(overdue_since: date = date(2026, 9, 24), **fields: object) -> OverdueCaseSource:
    data: dict[str, object] = {"case_id": "req-1", "case_number": "2026-0042",
                               "department": "市住建局", "due_on": date(2026, 9, 23),
                               "overdue_since": overdue_since}
    return OverdueCaseSource.model_validate({**data, **fields})


def test_an_overdue_request_opens_after_five_working_days_across_a_holiday(walk):
    # Overdue since Thu 24 Sep: 中秋 25 Sep, the weekend, 28–30 Sep, 国庆 1–7 Oct, 8 Oct is
    # the fourth working day, 9 Oct the fifth.
    assert opening.overdue_case_opens_on(date(2026, 9, 24), DISCLOSURE, walk.periods) == date(
        2026, 10, 9)
    watch = cases.watch(None, DISCLOSURE, case(), walk.periods)
    assert watch is not None
    assert (watch.status, watch.opens_on) == (WatchStatus.watching, date(2026, 10, 9))
    assert watch.id == cases.watch_id(DISCLOSURE, "req-1")
    assert watch.item_id == opening.overdue_case_item_id(DISCLOSURE, "req-1")
    assert not cases.opens_today(watch, date(2026, 10, 8))
    assert cases.opens_today(watch, date(2026, 10, 9))
    assert cases.opens_today(watch, date(2026, 10, 12))  # a sweep that missed the day


def test_the_threshold_is_versioned_data_in_force_the_day_the_case_went_overdue(walk):
    table = dict(PERIODS)
    table["overdue_disclosure_threshold"] = [
        *PERIODS["overdue_disclosure_threshold"],
        PeriodVersion(valid_from=date(2026, 9, 1), amount=3, basis="本地办法 (2026年9月起)")]
    local = Periods(PeriodTable(table), walk.calendar)
    # Overdue since 24 Sep (the new version): 28, 29, 30 Sep.
    assert opening.overdue_case_opens_on(date(2026, 9, 24), DISCLOSURE, local) == date(
        2026, 9, 30)
    # Overdue since 3 Aug (the version before): five working days, 10 Aug.
    assert opening.overdue_case_opens_on(date(2026, 8, 3), DISCLOSURE, local) == date(
        2026, 8, 10)
    # Complaints have their own threshold.
    assert opening.overdue_case_opens_on(date(2026, 9, 24), COMPLAINT, local) == date(
        2026, 10, 9)


def test_the_same_overdue_fact_twice_writes_nothing_more(walk):
    watch = cases.watch(None, DISCLOSURE, case(), walk.periods)
    assert watch is not None
    assert cases.watch(watch, DISCLOSURE, case(), walk.periods) is None
    # A later overdue of a request still watched (its deadline moved) counts anew: from
    # 8 Oct, 9, Sat 10 (调休, worked), 12, 13, 14 Oct.
    later = cases.watch(watch, DISCLOSURE, case(date(2026, 10, 8), due_on=date(2026, 9, 30)),
                        walk.periods)
    assert later is not None and later.opens_on == date(2026, 10, 14)


def test_a_request_answered_before_its_day_never_opens_an_item(walk):
    watch = cases.watch(None, DISCLOSURE, case(), walk.periods)
    assert watch is not None
    ended = cases.end(watch, DISCLOSURE, "req-1", "已答复", date(2026, 9, 30), late=True)
    assert ended is not None
    assert (ended.status, ended.ended_on, ended.ended_reason) == (
        WatchStatus.ended, date(2026, 9, 30), "已答复")
    assert not cases.opens_today(ended, date(2026, 10, 9))
    assert cases.end(ended, DISCLOSURE, "req-1", "已答复", date(2026, 9, 30), True) is None
    # Its overdue fact delivered again does not watch it again.
    assert cases.watch(ended, DISCLOSURE, case(), walk.periods) is None


def test_an_answer_read_before_the_overdue_fact_leaves_an_ended_watch_only_when_late(walk):
    # On time: it never went overdue, nothing to keep.
    assert cases.end(None, DISCLOSURE, "req-2", "已答复", date(2026, 9, 20), late=False) is None
    # Late: the overdue fact may still be on its way; it will find the watch ended.
    ended = cases.end(None, DISCLOSURE, "req-2", "已答复", date(2026, 9, 28), late=True)
    assert ended is not None and ended.status is WatchStatus.ended
    assert cases.watch(ended, DISCLOSURE, case(case_id="req-2"), walk.periods) is None


def test_an_item_once_open_stays_open_when_the_case_is_answered_later(walk):
    watch = cases.watch(None, DISCLOSURE, case(), walk.periods)
    assert watch is not None
    done = cases.opened(watch)
    assert done is not None and done.status is WatchStatus.opened
    assert cases.opened(done) is None
    assert cases.end(done, DISCLOSURE, "req-1", "已答复", date(2026, 10, 12), True) is None


@pytest.mark.parametrize("kind, words", [(DISCLOSURE, "政府信息公开申请2026-0042逾期未答复"),
                                         (COMPLAINT, "投诉2026-0042逾期未办结")])
def test_an_overdue_case_opens_an_item_linked_to_the_case(walk, kind, words):
    item_id = opening.overdue_case_item_id(kind, "req-1")
    change = opening.open_from_overdue_case(kind, case(), item_id, SYSTEM,
                                            walk.at(date(2026, 10, 9)))
    item = change.state
    assert item.title == words
    assert (item.source.kind, item.source.case, item.proposed_lead_department) == (
        kind, case(), "市住建局")
    assert (item.overdue_since, item.opened_on) == (date(2026, 9, 24), date(2026, 10, 9))
    assert "2026-09-23" in item.content and "市住建局" in item.content
    opening.check_source(item.source, None)  # the source of its kind, as 立项 requires
    assert change.events[0].body.case_id == "req-1"
    assert opening.overdue_case_item_id(kind, "req-1") == item_id  # twice is once
    with pytest.raises(GovbusError):
        opening.open_from_overdue_case(SourceKind.manual, case(), "x", SYSTEM,
                                       walk.at(date(2026, 10, 9)))


def test_an_overdue_case_without_a_department_leaves_the_lead_to_the_office(walk):
    item = opening.open_from_overdue_case(DISCLOSURE, case(department=None), "x", SYSTEM,
                                          walk.at(date(2026, 10, 9))).state
    assert item.proposed_lead_department is None and "承办单位" in item.content


# --- 政府工作报告: a target and its tasks ---------------------------------------------------


REPORT = Source(kind=SourceKind.work_report, work_report=WorkReportSource(
    year=2026, reference="三(二)"))


def task_of(walk, target: SupervisionItem, task_id: str, department: str,
            **fields: object) -> SupervisionItem:
    cmd = OpenItem(title=f"{department}任务", content="按时间节点推进。", source=REPORT,
                   parent_id=target.id, proposed_lead_department=department,
                   milestones=[Milestone(title="完成立项", due_on=date(2026, 6, 30)),
                               Milestone(title="开工建设", due_on=date(2026, 9, 30))],
                   **fields)
    opened = opening.open_item(cmd, task_id, walk.supervisor, walk.at(date(2026, 3, 2)),
                               target).state
    registered = walk.registered(opened, on=date(2026, 3, 2))
    return walk.assigned(registered, on=date(2026, 3, 2), lead_department=department,
                         co_departments=[], due_on=date(2026, 12, 31))


def test_a_targets_task_list_is_written_once_per_task_and_bounded(walk):
    target = walk.opened(REPORT)
    assert targets.is_target(target)
    listed = targets.with_task(None, target.id, "t-1")
    assert listed is not None and listed.task_ids == ["t-1"]
    assert targets.with_task(listed, target.id, "t-1") is None
    listed = targets.with_task(listed, target.id, "t-2")
    assert listed is not None and listed.task_ids == ["t-1", "t-2"]
    task = task_of(walk, target, "t-1", "市住建局")
    assert not targets.is_target(task) and not targets.is_target(walk.opened())
    cmd = OpenItem(title="再一项", content="……", source=REPORT, parent_id=target.id)
    with pytest.raises(GovbusError) as raised:
        opening.open_item(cmd, "t-x", walk.supervisor, walk.at(date(2026, 3, 2)), target,
                          targets.MAX_TASKS)
    assert raised.value.code is ErrorCode.validation_failed
    opening.open_item(cmd, "t-x", walk.supervisor, walk.at(date(2026, 3, 2)), target,
                      targets.MAX_TASKS - 1)


def test_a_task_reports_quarterly_against_its_milestones(walk):
    target = walk.opened(REPORT)
    task = task_of(walk, target, "t-1", "市住建局")
    assignment = task.assignments[-1]
    # 交办 of a work-report task defaults to 每季度: the first report on 25 March.
    assert assignment.progress_schedule is ProgressSchedule.quarterly
    assert task.next_report_due_on == date(2026, 3, 25)
    reported = handling.report_progress(task, ReportProgress(
        id=task.id, text="已完成立项, 正在招标。", percent=40, milestones_done=["完成立项"]),
        walk.lead_handler, walk.at(date(2026, 3, 24)), walk.periods).state
    assert [m.completed_on for m in reported.milestones] == [date(2026, 3, 24), None]
    # The next report day is the last month of the next quarter (25 June; a Thursday).
    assert reported.next_report_due_on == date(2026, 6, 25)


def test_a_targets_progress_is_derived_from_its_tasks(walk):
    target = walk.opened(REPORT)
    one = task_of(walk, target, "t-1", "市住建局")
    two = task_of(walk, target, "t-2", "市财政局")
    three = task_of(walk, target, "t-3", "市教育局")
    done = walk.completed(walk.answered(two, on=date(2026, 6, 1)), on=date(2026, 6, 2))
    reported = handling.report_progress(one, ReportProgress(
        id=one.id, text="完成40%。", percent=40), walk.lead_handler,
        walk.at(date(2026, 3, 24)), walk.periods).state
    cancelled = opening.cancel(walk.opened(REPORT), "重复", walk.supervisor,
                               walk.at(date(2026, 3, 2))).state
    # On 4 Jan 2027 the third task is past its 31 Dec deadline; a cancelled one is not counted.
    progress = children_progress([reported, done, three, cancelled], date(2027, 1, 4))
    assert (progress.tasks, progress.completed, progress.overdue, progress.percent) == (
        3, 1, 2, 47)
    progress = children_progress([reported, done, three], date(2026, 12, 31))
    assert (progress.completed, progress.overdue) == (1, 0)


def test_a_targets_view_lists_to_a_department_only_its_own_tasks(walk):
    target = walk.opened(REPORT)
    mine = task_of(walk, target, "t-1", walk.lead)
    theirs = task_of(walk, target, "t-2", walk.other)
    today = date(2026, 3, 3)
    for_office = targets.children([mine, theirs], today, walk.supervisor)
    assert [t.id for t in for_office.items] == ["t-1", "t-2"]
    assert (for_office.items[0].reference, for_office.items[0].lead_department,
            for_office.items[0].next_report_due_on) == ("三(二)", walk.lead, date(2026, 3, 25))
    for_lead = targets.children([mine, theirs], today, walk.lead_handler)
    assert for_lead.tasks == 2 and [t.id for t in for_lead.items] == ["t-1"]
    assert targets.children([mine, theirs], today, walk.other_handler).items[0].id == "t-2"
