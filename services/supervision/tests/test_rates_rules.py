"""办结率, 按期办结率, 满意率 on a small known set, per lead department and period, with their
definitions in the reply; the ledger's lines and a target's progress from its tasks."""

from __future__ import annotations

from datetime import date

import pytest

from govbus_contracts.errors import GovbusError
from govbus_contracts.services.supervision.common import (
    EscalationLevel,
    ProgressSchedule,
    ReviewDecision,
    Satisfaction,
    SourceKind,
)
from govbus_contracts.services.supervision.items import (
    RecordSatisfaction,
    ReportProgress,
    ReviewAnswer,
    Source,
    WorkReportSource,
)
from govbus_supervision.domain import closing, deadlines, handling
from govbus_supervision.domain.ledger import children_progress, ledger_row
from govbus_supervision.domain.rates import COMPLETION, ON_TIME, SATISFACTION, rates

JUN1 = date(2026, 6, 1)


def known_set(walk):
    """市住建局 leads four items assigned in June (one of them in July), 市财政局 one:
    - A: answered on time, rated 满意 at review;
    - B: answered 3 working days late, rated 不满意 at review;
    - C: answered on time, not rated;
    - D: still in handling;
    - E (市财政局): answered on time, 基本满意;
    - F (市住建局, assigned in July): completed, outside the period."""
    def done(i, answered_on, rating=None, lead=walk.lead, assigned_on=JUN1):
        item = walk.assigned(walk.registered(walk.opened().model_copy(update={"id": i})),
                             on=assigned_on, lead_department=lead, co_departments=[])
        item = walk.answered(item, on=answered_on)
        cmd = ReviewAnswer(id=i, decision=ReviewDecision.accept, satisfaction=rating)
        return closing.review(item, cmd, walk.supervisor, walk.at(date(2026, 6, 29)),
                              walk.periods).state

    return [done("A", date(2026, 6, 20), Satisfaction.satisfied),
            done("B", date(2026, 6, 26), Satisfaction.dissatisfied),
            done("C", date(2026, 6, 22)),
            walk.assigned(walk.registered(walk.opened().model_copy(update={"id": "D"})),
                          on=JUN1, co_departments=[]),
            done("E", date(2026, 6, 22), Satisfaction.basically_satisfied, lead=walk.co),
            done("F", date(2026, 7, 2), assigned_on=date(2026, 7, 1))]


def test_the_three_rates_per_department_and_in_total(walk):
    result = rates(known_set(walk), date(2026, 6, 1), date(2026, 6, 30))
    rows = {r.department: r for r in result.rows}
    lead = rows[walk.lead]
    assert (lead.assigned, lead.completed, lead.completed_on_time, lead.rated,
            lead.satisfied) == (4, 3, 2, 2, 1)
    assert (lead.completion_rate, lead.on_time_rate, lead.satisfaction_rate) == (
        0.75, 0.6667, 0.5)
    co = rows[walk.co]
    assert (co.completion_rate, co.on_time_rate, co.satisfaction_rate) == (1.0, 1.0, 1.0)
    total = result.total
    assert (total.department, total.assigned, total.completed, total.satisfied) == (
        "合计", 5, 4, 2)
    assert [d.name for d in result.definitions] == [COMPLETION, ON_TIME, SATISFACTION]
    assert "含批准的延期" in result.definitions[1].definition


def test_rates_by_department_and_empty_denominators(walk):
    items = known_set(walk)
    only = rates(items, date(2026, 6, 1), date(2026, 6, 30), department=walk.co)
    assert [r.department for r in only.rows] == [walk.co]
    none = rates(items, date(2026, 1, 1), date(2026, 1, 31))
    assert none.rows == [] and none.total.completion_rate is None
    assert rates(items, JUN1, JUN1, source=SourceKind.cppcc_proposal).total.assigned == 0
    with pytest.raises(GovbusError):
        rates(items, date(2026, 6, 30), date(2026, 6, 1))


def test_an_item_completed_after_the_period_counts_as_not_completed_in_it(walk):
    items = known_set(walk)
    early = rates(items, date(2026, 6, 1), date(2026, 6, 28))  # reviewed on 29 June
    assert early.total.completed == 0 and early.total.completion_rate == 0.0


def test_a_joint_suggestion_counts_its_lowest_rating(walk):
    item = walk.completed(walk.answered(walk.opinion_given(walk.assigned(walk.registered(
        walk.opened(walk.motion_source())), on=JUN1))))
    for signer, rating in (("张代表", Satisfaction.satisfied),
                           ("李代表", Satisfaction.basically_satisfied)):
        item = closing.record_satisfaction(item, RecordSatisfaction(
            id=item.id, signer=signer, satisfaction=rating), walk.supervisor,
            walk.at(date(2026, 7, 1)), walk.periods).state
    assert item.current_satisfaction() is Satisfaction.basically_satisfied
    assert rates([item], JUN1, date(2026, 7, 31)).total.satisfaction_rate == 1.0


def test_a_ledger_line_shows_source_reports_levels_result_and_satisfaction(walk):
    item = walk.assigned(walk.registered(walk.opened(walk.motion_source())), on=JUN1,
                         progress_schedule=ProgressSchedule.monthly)
    item = handling.report_progress(item, ReportProgress(id=item.id, text="推进中", percent=40),
                                    walk.lead_handler, walk.at(date(2026, 6, 24)),
                                    walk.periods).state
    item = deadlines.escalate(item, EscalationLevel.reminder, None, walk.supervisor,
                              walk.at(date(2026, 8, 28)), walk.periods).state
    row = ledger_row(walk.completed(walk.answered(walk.opinion_given(item),
                                                  on=date(2026, 8, 31))))
    assert row.number == "督〔2026〕12号"
    assert row.source == "市十七届人大五次会议第125号（张代表等2人）"
    assert (row.lead_department, row.co_departments, row.due_on) == (
        walk.lead, [walk.co], date(2026, 9, 1))
    assert [(p.due_on, p.late) for p in row.progress] == [(date(2026, 6, 25), False)]
    assert [e.level for e in row.escalations] == [EscalationLevel.reminder]
    assert (row.result_code.value, row.on_time, row.satisfaction) == ("B", True, None)


def test_a_targets_progress_is_derived_from_its_tasks(walk):
    source = Source(kind=SourceKind.work_report, work_report=WorkReportSource(
        year=2026, reference="三(二)4"))
    task = walk.assigned(walk.registered(walk.opened(source)), on=JUN1,
                         due_on=date(2026, 6, 23))
    reported = handling.report_progress(task, ReportProgress(id=task.id, text="过半", percent=60),
                                        walk.lead_handler, walk.at(date(2026, 6, 10)),
                                        walk.periods).state
    done = walk.completed(walk.answered(walk.opinion_given(task)))
    idle = task
    progress = children_progress([reported, done, idle], date(2026, 6, 24))
    assert (progress.tasks, progress.completed, progress.overdue, progress.percent) == (
        3, 1, 2, 53)
