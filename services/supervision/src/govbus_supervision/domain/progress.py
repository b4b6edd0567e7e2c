"""进展报告 schedule: 每月 or 每季度 on a report day, each due date reminded and late like any
deadline (govbus_kit.deadlines.AlertSchedule), each missed one recorded once.

A report day is day ``report_day`` of each month (每月) or of each quarter's last month
(每季度: March, June, September, December), moved to the next working day when it is not one
(民法典 第二百零三条). The first is due at least ``progress_first_report`` working days after
交办, so a department has time to write it.
"""

from __future__ import annotations

from datetime import date, timedelta

from govbus_contracts.envelope import deterministic_id
from govbus_contracts.services.supervision.common import SERVICE, ProgressSchedule
from govbus_kit.deadlines import AlertKind, AlertSchedule
from govbus_kit.periods import next_working_day_from
from govbus_supervision.domain.periods import Periods

QUARTER_ENDS = (3, 6, 9, 12)


def report_day_after(after: date, schedule: ProgressSchedule, report_day: int,
                     periods: Periods) -> date | None:
    """The first report day strictly after ``after`` (None: 不定期)."""
    if schedule is ProgressSchedule.none:
        return None
    year, month = after.year, after.month
    while True:
        if schedule is ProgressSchedule.monthly or month in QUARTER_ENDS:
            day = next_working_day_from(date(year, month, report_day), periods.calendar)
            if day > after:
                return day
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def first_report_due(assigned_on: date, schedule: ProgressSchedule, report_day: int,
                     periods: Periods) -> date | None:
    """The first report's day: the first report day once the first-report gap has passed."""
    earliest = periods.due("progress_first_report", assigned_on)
    return report_day_after(earliest - timedelta(days=1), schedule, report_day, periods)


def report_alerts(due_on: date, periods: Periods, started_on: date) -> AlertSchedule:
    """提醒 N working days before a report's day; 逾期未报 the first working day after."""
    return periods.version("progress_reminder", started_on).alerts(due_on, periods.calendar)


def report_alert_due(due_on: date, today: date, reminded: bool, periods: Periods,
                     started_on: date) -> AlertKind | None:
    """What today calls for about the report due on ``due_on`` (once each)."""
    return report_alerts(due_on, periods, started_on).due(today, reminded=reminded,
                                                          overdue=False)


def progress_event_id(item_id: str, alert: AlertKind, due_on: date) -> str:
    fact = "progress_reminded" if alert == "reminder" else "progress_late"
    return deterministic_id(SERVICE, "item", item_id, fact, due_on.isoformat())
