"""Periods as versioned data and the reminders and overdue notices around a due date.

Pure: no server. The dates are on the real 2025 calendar (国庆中秋 1–8 Oct, 调休 Sun 28 Sep
and Sat 11 Oct worked).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_kit.calendar import WorkingCalendar
from govbus_kit.deadlines import AlertSchedule, DeadlineClock, DeadlineError, alert_event_id
from govbus_kit.periods import (
    DeprecatedSetting,
    PeriodError,
    PeriodTable,
    PeriodVersion,
    add_months,
    apply_deprecated,
    load_periods,
)

CAL = WorkingCalendar()
REGULATION = date(2019, 5, 15)
#: An office that shortens its reply period from 1 October 2025.
SHORTER_FROM = date(2025, 10, 1)

SHIPPED = {
    "reply": [PeriodVersion(valid_from=REGULATION, amount=20, remind_before=3,
                            basis="政府信息公开条例 第三十三条")],
    "bid_preparation": [PeriodVersion(valid_from=date(2000, 1, 1), amount=20,
                                      unit="calendar_days", remind_before=5,
                                      basis="招标投标法 第二十四条")],
    "proposal_reply": [PeriodVersion(valid_from=date(2000, 1, 1), amount=3, unit="months",
                                     remind_before=10, basis="人大代表建议 三个月内答复")],
}


def shortened() -> PeriodTable:
    return PeriodTable(SHIPPED).overridden(
        {"reply": [PeriodVersion(valid_from=SHORTER_FROM, amount=15, remind_before=2)]})


# --- versions ------------------------------------------------------------------------------


def test_a_case_begun_before_a_period_changed_keeps_the_period_it_began_with() -> None:
    table = shortened()
    old_case = table.in_force("reply", date(2025, 9, 26))
    new_case = table.in_force("reply", date(2025, 10, 9))
    assert (old_case.amount, old_case.remind_before) == (20, 3)
    assert (new_case.amount, new_case.remind_before) == (15, 2)
    # The old case's reply is still due 30 Oct; the new one, 15 working days after 9 Oct
    # (10, Sat 11 worked, 13–17, 20–24, 27–29), on 29 Oct.
    assert old_case.due_on(date(2025, 9, 26), CAL) == date(2025, 10, 30)
    assert new_case.due_on(date(2025, 10, 9), CAL) == date(2025, 10, 29)


def test_the_version_changes_on_its_day_not_before() -> None:
    table = shortened()
    assert table.in_force("reply", date(2025, 9, 30)).amount == 20
    assert table.in_force("reply", SHORTER_FROM).amount == 15


def test_the_first_version_covers_the_days_before_the_table() -> None:
    assert PeriodTable(SHIPPED).in_force("reply", date(2010, 1, 1)).amount == 20


def test_an_operator_version_on_the_same_day_replaces_the_shipped_one() -> None:
    table = PeriodTable(SHIPPED).overridden(
        {"reply": [PeriodVersion(valid_from=REGULATION, amount=18, remind_before=3)]})
    assert [v.amount for v in table.versions("reply")] == [18]


def test_an_unknown_period_or_two_versions_on_one_day_are_refused() -> None:
    with pytest.raises(PeriodError, match="unknown period repley"):
        PeriodTable(SHIPPED).overridden({"repley": [PeriodVersion(valid_from=REGULATION,
                                                                   amount=15)]})
    with pytest.raises(PeriodError, match="same day"):
        PeriodTable({"reply": [PeriodVersion(valid_from=REGULATION, amount=20),
                               PeriodVersion(valid_from=REGULATION, amount=15)]})
    with pytest.raises(LookupError):
        PeriodTable(SHIPPED).in_force("appeal", date(2025, 1, 1))


# --- units ---------------------------------------------------------------------------------


def test_a_period_in_calendar_days_ends_on_a_holiday_and_is_reminded_in_calendar_days() -> None:
    version = PeriodTable(SHIPPED).in_force("bid_preparation", date(2025, 9, 11))
    due = version.due_on(date(2025, 9, 11), CAL)
    assert due == date(2025, 10, 1)
    alerts = version.alerts(due, CAL)
    assert (alerts.remind_on, alerts.overdue_on) == (date(2025, 9, 26), date(2025, 10, 2))
    assert alerts.days_left(date(2025, 9, 26), CAL) == 5


def test_a_period_in_calendar_days_pauses_like_any_clock() -> None:
    version = PeriodTable(SHIPPED).in_force("bid_preparation", date(2025, 9, 11))
    clock = version.clock(date(2025, 9, 11)).pause(
        date(2025, 9, 12), reason="对招标文件的异议", kind="异议").resume(date(2025, 9, 15))
    assert clock.due_date(CAL) == date(2025, 10, 4)


def test_a_period_in_months_ends_on_the_corresponding_day_or_the_month_end() -> None:
    # 民法典 第二百零二条.
    version = PeriodTable(SHIPPED).in_force("proposal_reply", date(2025, 3, 10))
    assert version.due_on(date(2025, 3, 10), CAL) == date(2025, 6, 10)
    assert version.due_on(date(2025, 11, 30), CAL) == date(2026, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 12, 31), 1) == date(2026, 1, 31)
    assert add_months(date(2025, 12, 31), 3) == date(2026, 3, 31)
    alerts = version.alerts(date(2025, 6, 10), CAL)
    assert (alerts.remind_on, alerts.overdue_on) == (date(2025, 5, 31), date(2025, 6, 11))
    with pytest.raises(PeriodError):
        version.clock(date(2025, 3, 10))


def test_a_last_day_on_a_statutory_holiday_moves_to_the_next_working_day_when_asked() -> None:
    # 民法典 第二百零三条: 期间的最后一日是法定休假日的, 以法定休假日结束的次日为最后一日.
    months = PeriodVersion(valid_from=REGULATION, amount=1, unit="months",
                           ends_on_working_day=True)
    assert months.due_on(date(2025, 9, 1), CAL) == date(2025, 10, 9)  # 国庆中秋 1–8 Oct
    assert months.due_on(date(2025, 9, 10), CAL) == date(2025, 10, 10)  # a working Friday
    assert months.due_on(date(2025, 8, 31), CAL) == date(2025, 9, 30)  # 31 Aug + 1 = 30 Sep
    # 11 Oct 2025 is a Saturday worked (调休): it stays the last day.
    assert months.due_on(date(2025, 9, 11), CAL) == date(2025, 10, 11)
    days = PeriodVersion(valid_from=REGULATION, amount=20, unit="calendar_days",
                         ends_on_working_day=True)
    assert days.due_on(date(2025, 9, 11), CAL) == date(2025, 10, 9)
    # Without the flag a date the law fixes stays where it falls (年度报告 1月31日前).
    plain = months.model_copy(update={"ends_on_working_day": False})
    assert plain.due_on(date(2025, 9, 1), CAL) == date(2025, 10, 1)


def test_a_period_in_months_may_be_reminded_in_working_days() -> None:
    version = PeriodVersion(valid_from=REGULATION, amount=1, unit="months", remind_before=3,
                            remind_in="working_days")
    due = version.due_on(date(2025, 12, 31), CAL)
    assert version.alerts(due, CAL).remind_on == CAL.add_working_days(due, -3)


# --- remind before, overdue after, once ----------------------------------------------------


def test_a_reminder_before_and_an_overdue_notice_after_each_once() -> None:
    alerts = AlertSchedule.of(date(2025, 10, 30), 3, CAL)
    assert (alerts.remind_on, alerts.overdue_on) == (date(2025, 10, 27), date(2025, 10, 31))
    assert alerts.due(date(2025, 10, 24), reminded=False, overdue=False) is None
    assert alerts.due(date(2025, 10, 27), reminded=False, overdue=False) == "reminder"
    assert alerts.due(date(2025, 10, 28), reminded=True, overdue=False) is None
    assert alerts.due(date(2025, 10, 30), reminded=True, overdue=False) is None
    assert alerts.due(date(2025, 10, 31), reminded=True, overdue=False) == "overdue"
    assert alerts.due(date(2025, 11, 3), reminded=True, overdue=True) is None
    assert alerts.days_left(date(2025, 10, 27), CAL) == 3


def test_a_sweep_that_missed_the_reminder_announces_only_the_overdue() -> None:
    alerts = AlertSchedule.of(date(2025, 10, 30), 3, CAL)
    assert alerts.due(date(2025, 11, 5), reminded=False, overdue=False) == "overdue"


def test_overdue_is_noticed_when_the_office_opens_after_a_holiday() -> None:
    alerts = AlertSchedule.of(date(2025, 9, 30), 2, CAL)
    assert alerts.remind_on == date(2025, 9, 28)  # a 调休 Sunday, worked
    assert alerts.overdue_on == date(2025, 10, 9)
    assert alerts.due(date(2025, 10, 5), reminded=True, overdue=False) is None


def test_the_next_day_to_look_follows_what_was_announced() -> None:
    alerts = AlertSchedule.of(date(2025, 10, 30), 3, CAL)
    assert alerts.next_on(reminded=False, overdue=False) == date(2025, 10, 27)
    assert alerts.next_on(reminded=True, overdue=False) == date(2025, 10, 31)
    assert alerts.next_on(reminded=True, overdue=True) is None


def test_alert_ids_are_the_same_for_every_replica_and_new_for_a_new_due_date() -> None:
    first = alert_event_id("disclosure", "request", "r-1", "reminder", date(2025, 10, 30))
    assert first == alert_event_id("disclosure", "request", "r-1", "reminder",
                                   date(2025, 10, 30))
    assert first != alert_event_id("disclosure", "request", "r-1", "overdue",
                                   date(2025, 10, 30))
    assert first != alert_event_id("disclosure", "request", "r-1", "reminder",
                                   date(2025, 11, 27))


# --- an operator's file and deprecated settings --------------------------------------------


def test_an_operators_file_adds_a_version_from_a_date(tmp_path: Path) -> None:
    (tmp_path / "disclosure.json").write_text(json.dumps({"reply": [
        {"valid_from": "2025-10-01", "amount": 15, "remind_before": 2,
         "basis": "本机关规定"}]}), encoding="utf-8")
    table = load_periods("disclosure", SHIPPED, tmp_path)
    assert table.in_force("reply", date(2025, 9, 30)).amount == 20
    assert table.in_force("reply", date(2025, 10, 1)).amount == 15
    # Another service's table is not touched by this file.
    assert load_periods("documents", SHIPPED, tmp_path).in_force(
        "reply", date(2025, 10, 1)).amount == 20


def test_a_malformed_operator_file_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "disclosure.json"
    path.write_text(json.dumps({"reply": [{"valid_from": "2025-10-01", "amount": -1}]}),
                    encoding="utf-8")
    with pytest.raises(PeriodError, match="disclosure.json"):
        load_periods("disclosure", SHIPPED, tmp_path)
    path.write_text(json.dumps({"replies": [{"valid_from": "2025-10-01", "amount": 15}]}),
                    encoding="utf-8")
    with pytest.raises(PeriodError, match="disclosure.json.*unknown period replies"):
        load_periods("disclosure", SHIPPED, tmp_path)


def test_a_deprecated_setting_still_applies_to_every_case() -> None:
    table = apply_deprecated(shortened(), "disclosure", [
        DeprecatedSetting("GOVBUS_DISCLOSURE_REPLY_WORKING_DAYS", 25, ("reply",)),
        DeprecatedSetting("GOVBUS_DISCLOSURE_REMIND_WORKING_DAYS_BEFORE", None, ("reply",),
                          "remind_before")])
    assert [(v.amount, v.remind_before) for v in table.versions("reply")] == [(25, 3), (25, 2)]


# --- one error path ------------------------------------------------------------------------


def test_a_refused_clock_change_is_an_error_with_a_stable_code() -> None:
    clock = DeadlineClock(started_on=date(2025, 9, 26), period=20)
    with pytest.raises(GovbusError) as caught:
        clock.resume(date(2025, 9, 29))
    assert isinstance(caught.value, DeadlineError)
    assert caught.value.code is ErrorCode.invalid_transition
    assert caught.value.to_reply().error.code == "invalid_transition"
