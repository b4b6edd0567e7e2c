"""When the deadline sweep must look at an item again: the next day a progress report is
reminded or marked late, or a 催办 level falls due (deadlines.sweep does what that day calls
for). The day is kept in the due index from the stored item on every write (交办, 重新交办,
延期, 中止 and 恢复, 审结退回, 重办, a progress report, the sweep itself), so the sweep reaches
the items that are due by ``_id`` and never scans the collection.

The day never comes later than the first day something is due: an item looked at early (a
reminder day already past when the deadline was set, a holiday before the 催办通知) changes
nothing and is looked at again on the next sweep.

Pure: no I/O, no clock.
"""

from __future__ import annotations

from datetime import date

from govbus_contracts.services.supervision.common import EscalationLevel, ItemStatus
from govbus_supervision.domain.escalation import AFTER_DEADLINE, EscalationPolicy, level_on
from govbus_supervision.domain.periods import Periods
from govbus_supervision.domain.progress import report_alerts
from govbus_supervision.domain.record import SupervisionItem

L = EscalationLevel


def next_check_on(item: SupervisionItem, periods: Periods) -> date | None:
    """The next day the sweep has something to decide for ``item`` (None: nothing to watch:
    not in handling, or every level issued and no report scheduled)."""
    if item.status is not ItemStatus.handling or item.due_on is None:
        return None
    # The period versions and 催办 intervals in force the day the deadline was set.
    started = item.due_set_on or item.opened_on
    days = [day for day in (escalation_check_on(item, started, periods),
                            report_check_on(item, started, periods)) if day is not None]
    return min(days, default=None)


def escalation_check_on(item: SupervisionItem, started: date, periods: Periods) -> date | None:
    """The day the next 催办 level of the deadline in force can fall due: 提醒 (before the
    deadline; skipped once it has passed), then 催办通知, 督办通知书, 通报 in order."""
    assert item.due_on is not None
    issued = item.issued_levels()
    if L.urging not in issued:
        level: EscalationLevel | None = L.urging if L.reminder in issued else L.reminder
    else:
        level = next((lv for lv in AFTER_DEADLINE if lv not in issued), None)
    if level is None:
        return None
    return level_on(level, item.due_on, issued, EscalationPolicy.in_force(periods, started),
                    periods)


def report_check_on(item: SupervisionItem, started: date, periods: Periods) -> date | None:
    """The day the progress report due next is reminded, or (reminded) marked late."""
    due = item.next_report_due_on
    if due is None:
        return None
    return report_alerts(due, periods, started).next_on(reminded=item.report_reminded,
                                                        overdue=False)
