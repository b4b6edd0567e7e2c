"""The periods of 政府信息公开 as data: what ships (the articles' figures), the annual report's
months, the deprecated settings still honoured for one release. Pure: no server."""

from __future__ import annotations

from datetime import date

from govbus_contracts.services.disclosure.report import ReportLevel
from govbus_disclosure.domain.periods import PERIODS
from govbus_disclosure.domain.report_record import report_due
from govbus_disclosure.settings import DisclosureSettings
from govbus_kit.calendar import WorkingCalendar
from govbus_kit.periods import PeriodTable, apply_deprecated

CAL = WorkingCalendar()
ON = date(2026, 3, 2)


def test_the_shipped_periods_are_the_regulations() -> None:
    table = PeriodTable(PERIODS)
    assert {name: table.in_force(name, ON).amount for name in (
        "publication", "reply", "max_extension", "correction_notice", "correction_answer",
        "consultation", "fee_payment")} == {
        "publication": 20, "reply": 20, "max_extension": 20, "correction_notice": 7,
        "correction_answer": 15, "consultation": 15, "fee_payment": 20}
    assert table.in_force("reply", ON).remind_before == 3


def test_the_annual_report_is_due_a_month_or_three_after_the_year() -> None:
    table = PeriodTable(PERIODS)
    for name, level in (("annual_report_department", ReportLevel.department),
                        ("annual_report_government", ReportLevel.government)):
        version = table.in_force(name, date(2026, 12, 31))
        assert version.due_on(date(2026, 12, 31), CAL) == report_due(2026, level)
        assert version.alert_unit == "working_days"


def test_the_deprecated_settings_still_set_the_periods_of_every_case() -> None:
    settings = DisclosureSettings(reply_working_days=15, remind_working_days_before=5,
                                  _env_file=None)  # type: ignore[call-arg]
    table = apply_deprecated(PeriodTable(PERIODS), "disclosure", settings.deprecated_periods())
    assert table.in_force("reply", ON).amount == 15
    assert table.in_force("publication", ON).amount == 20
    assert table.in_force("publication", ON).remind_before == 5
    assert table.in_force("annual_report_government", ON).remind_before == 5
