"""The 承办 periods as data: the shipped table, an office's change on a date, the deprecated
settings still honoured for one release. Pure: no server."""

from __future__ import annotations

from datetime import date

from govbus_contracts.services.documents.common import Urgency
from govbus_documents.domain.periods import HANDLING, PERIODS
from govbus_documents.settings import DocumentsSettings
from govbus_kit.calendar import WorkingCalendar
from govbus_kit.periods import PeriodTable, PeriodVersion, apply_deprecated

CAL = WorkingCalendar()


def test_the_shipped_periods_are_the_offices_limits_by_urgency() -> None:
    table = PeriodTable(PERIODS)
    on = date(2026, 9, 28)
    assert {u: table.in_force(HANDLING[u], on).amount for u in Urgency} == {
        Urgency.very_urgent: 3, Urgency.urgent: 5, Urgency.normal: 15}
    assert {table.in_force(name, on).remind_before for name in HANDLING.values()} == {2}


def test_a_document_assigned_before_the_office_shortened_its_limit_keeps_fifteen_days() -> None:
    table = PeriodTable(PERIODS).overridden({"handling_normal": [
        PeriodVersion(valid_from=date(2026, 10, 1), amount=10, remind_before=2)]})
    before = table.in_force("handling_normal", date(2026, 9, 28))
    after = table.in_force("handling_normal", date(2026, 10, 9))
    assert before.due_on(date(2026, 9, 28), CAL) == CAL.add_working_days(date(2026, 9, 28), 15)
    assert after.due_on(date(2026, 10, 9), CAL) == CAL.add_working_days(date(2026, 10, 9), 10)


def test_the_deprecated_settings_still_set_the_periods_of_every_document() -> None:
    settings = DocumentsSettings(handling_days_normal=10, remind_working_days_before=1,
                                 _env_file=None)  # type: ignore[call-arg]
    table = apply_deprecated(PeriodTable(PERIODS), "documents", settings.deprecated_periods())
    assert table.in_force("handling_normal", date(2026, 9, 28)).amount == 10
    assert table.in_force("handling_urgent", date(2026, 9, 28)).amount == 5
    assert {table.in_force(name, date(2026, 9, 28)).remind_before
            for name in HANDLING.values()} == {1}


def test_unset_deprecated_settings_change_nothing() -> None:
    settings = DocumentsSettings(_env_file=None)  # type: ignore[call-arg]
    table = apply_deprecated(PeriodTable(PERIODS), "documents", settings.deprecated_periods())
    assert table.versions("handling_normal") == PeriodTable(PERIODS).versions("handling_normal")
