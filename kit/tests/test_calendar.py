"""The working-day calendar, checked against the State Council's 2025 and 2026 holiday notices."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from govbus_kit.calendar import (
    CalendarError,
    UnknownCalendarYear,
    WorkingCalendar,
    YearCalendar,
    default_calendar,
    statutory_year,
)
from govbus_kit.clock import ManualClock, office_date
from govbus_kit.deadlines import DeadlineClock
from govbus_kit.revision import next_year_warning

CAL = WorkingCalendar()


# -- the package's years: 2025 -----------------------------------------------------------


def test_spring_festival_2025_days_are_off() -> None:
    for day in range(28, 32):
        assert not CAL.is_working_day(date(2025, 1, day))
    for day in range(1, 5):
        assert not CAL.is_working_day(date(2025, 2, day))
    assert CAL.is_working_day(date(2025, 2, 5))


def test_adjusted_sunday_and_saturday_around_spring_festival_2025_are_working_days() -> None:
    assert CAL.is_working_day(date(2025, 1, 26))  # Sunday
    assert CAL.is_working_day(date(2025, 2, 8))  # Saturday
    assert not CAL.is_working_day(date(2025, 2, 9))  # an ordinary Sunday


def test_national_day_week_2025_is_off_with_adjusted_weekend_days_on() -> None:
    for day in range(1, 9):
        assert not CAL.is_working_day(date(2025, 10, day))
    assert CAL.is_working_day(date(2025, 9, 28))  # Sunday, 调休
    assert CAL.is_working_day(date(2025, 10, 11))  # Saturday, 调休
    assert CAL.is_working_day(date(2025, 10, 9))


def test_ordinary_weekdays_work_and_weekends_rest() -> None:
    assert CAL.is_working_day(date(2025, 3, 3))  # Monday
    assert not CAL.is_working_day(date(2025, 3, 1))  # Saturday
    assert not CAL.is_working_day(date(2025, 3, 2))  # Sunday


def test_twenty_working_days_across_spring_festival_2025() -> None:
    # From Fri 24 Jan: 26 Jan(1, 调休) 27(2) | 28 Jan–4 Feb off | 5(3) 6(4) 7(5)
    # 8 Feb(6, 调休) 10(7) 11–14(8–11) 17–21(12–16) 24–27(17–20).
    assert CAL.add_working_days(date(2025, 1, 24), 2) == date(2025, 1, 27)
    assert CAL.add_working_days(date(2025, 1, 24), 3) == date(2025, 2, 5)
    assert CAL.add_working_days(date(2025, 1, 24), 6) == date(2025, 2, 8)
    assert CAL.add_working_days(date(2025, 1, 24), 7) == date(2025, 2, 10)
    assert CAL.add_working_days(date(2025, 1, 24), 20) == date(2025, 2, 27)


def test_national_day_week_is_not_counted() -> None:
    # From Fri 26 Sep: 28 Sep(1, 调休) 29(2) 30(3) | 1–8 Oct off | 9(4) 10(5) 11(6, 调休)
    # 13–17(7–11) 20–24(12–16) 27–30(17–20).
    assert CAL.add_working_days(date(2025, 9, 26), 3) == date(2025, 9, 30)
    assert CAL.add_working_days(date(2025, 9, 26), 4) == date(2025, 10, 9)
    assert CAL.add_working_days(date(2025, 9, 26), 7) == date(2025, 10, 13)
    assert CAL.add_working_days(date(2025, 9, 26), 20) == date(2025, 10, 30)


def test_adjusted_saturday_counts_as_working_day() -> None:
    assert CAL.add_working_days(date(2025, 10, 10), 1) == date(2025, 10, 11)
    assert CAL.next_working_day(date(2025, 10, 10)) == date(2025, 10, 11)


def test_period_counts_from_the_day_after_the_start() -> None:
    # 次日起算: a request received on a Monday has Tuesday as its first working day.
    assert CAL.add_working_days(date(2025, 3, 3), 1) == date(2025, 3, 4)
    assert CAL.add_working_days(date(2025, 3, 3), 0) == date(2025, 3, 3)
    # Received on a Saturday: the first day counted is Monday.
    assert CAL.add_working_days(date(2025, 3, 1), 1) == date(2025, 3, 3)


def test_reminder_days_count_backwards_over_the_holiday() -> None:
    assert CAL.add_working_days(date(2025, 10, 9), -1) == date(2025, 9, 30)
    assert CAL.add_working_days(date(2025, 10, 9), -4) == date(2025, 9, 26)
    assert CAL.add_working_days(date(2025, 2, 10), -1) == date(2025, 2, 8)


def test_working_days_between_counts_after_a_up_to_b() -> None:
    assert CAL.working_days_between(date(2025, 9, 30), date(2025, 10, 9)) == 1
    assert CAL.working_days_between(date(2025, 9, 26), date(2025, 10, 13)) == 7
    assert CAL.working_days_between(date(2025, 10, 13), date(2025, 9, 26)) == -7
    assert CAL.working_days_between(date(2025, 10, 1), date(2025, 10, 8)) == 0
    assert CAL.working_days_between(date(2025, 3, 3), date(2025, 3, 3)) == 0


def test_next_working_day_skips_the_whole_holiday() -> None:
    assert CAL.next_working_day(date(2025, 9, 30)) == date(2025, 10, 9)
    assert CAL.next_working_day(date(2025, 1, 27)) == date(2025, 2, 5)


def test_calendar_days_are_not_moved_off_a_holiday() -> None:
    assert CAL.add_calendar_days(date(2025, 9, 11), 20) == date(2025, 10, 1)
    assert CAL.add_calendar_days(date(2025, 10, 1), -30) == date(2025, 9, 1)


def test_holiday_names_are_chinese_and_adjusted_days_have_none() -> None:
    assert CAL.holiday_name(date(2025, 10, 1)) == "国庆节"
    assert CAL.holiday_name(date(2025, 10, 4)) == "国庆节"  # weekend inside the holiday
    assert CAL.holiday_name(date(2025, 10, 6)) == "中秋"
    assert CAL.holiday_name(date(2025, 1, 29)) == "春节"
    assert CAL.holiday_name(date(2025, 1, 26)) is None  # 调休 working day
    assert CAL.holiday_name(date(2025, 3, 1)) is None  # ordinary Saturday
    assert CAL.holiday_name(date(2025, 3, 3)) is None


# -- the package's years: 2026 -----------------------------------------------------------


def test_new_year_2026_is_off_and_sunday_4_january_is_adjusted() -> None:
    assert not CAL.is_working_day(date(2026, 1, 1))
    assert not CAL.is_working_day(date(2026, 1, 2))
    assert not CAL.is_working_day(date(2026, 1, 3))
    assert CAL.is_working_day(date(2026, 1, 4))  # Sunday, 调休
    assert CAL.holiday_name(date(2026, 1, 2)) == "元旦"


def test_spring_festival_2026_runs_15_to_23_february_with_two_adjusted_saturdays() -> None:
    for day in range(15, 24):
        assert not CAL.is_working_day(date(2026, 2, day))
    assert CAL.is_working_day(date(2026, 2, 14))  # Saturday, 调休
    assert CAL.is_working_day(date(2026, 2, 28))  # Saturday, 调休
    assert CAL.is_working_day(date(2026, 2, 24))
    # From Fri 13 Feb: 14(1, 调休) | 15–23 off | 24–27(2–5) 28(6, 调休) 2 Mar(7).
    assert CAL.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert CAL.add_working_days(date(2026, 2, 13), 2) == date(2026, 2, 24)
    assert CAL.add_working_days(date(2026, 2, 13), 7) == date(2026, 3, 2)


def test_labour_day_2026_runs_1_to_5_may_with_saturday_9_may_adjusted() -> None:
    for day in range(1, 6):
        assert not CAL.is_working_day(date(2026, 5, day))
    assert CAL.is_working_day(date(2026, 5, 9))
    assert CAL.holiday_name(date(2026, 5, 5)) == "劳动节"


def test_national_day_2026_with_mid_autumn_apart_and_two_adjusted_days() -> None:
    assert not CAL.is_working_day(date(2026, 9, 25))  # 中秋, a Friday
    assert CAL.holiday_name(date(2026, 9, 25)) == "中秋"
    for day in range(1, 8):
        assert not CAL.is_working_day(date(2026, 10, day))
    assert CAL.is_working_day(date(2026, 9, 20))  # Sunday, 调休
    assert CAL.is_working_day(date(2026, 10, 10))  # Saturday, 调休
    # From Wed 30 Sep: 1–7 Oct off | 8(1) 9(2) 10(3, 调休) 12(4).
    assert CAL.add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert CAL.add_working_days(date(2026, 9, 30), 4) == date(2026, 10, 12)


# -- years nobody supplied: provisional, from the law ------------------------------------


def test_a_year_nobody_supplied_is_provisional_not_refused() -> None:
    """全国年节及纪念日放假办法 (2024): 2027 before the State Council's notice."""
    assert CAL.source(2027) == "provisional"
    assert CAL.is_provisional(2027)
    assert not CAL.is_provisional(2026)
    # 元旦 Fri 1 Jan; 春节 除夕 Fri 5 Feb to 初三 Mon 8 Feb, the weekend's two days made up
    # on Tue 9 and Wed 10 Feb (第六条 补假); 清明 Mon 5 Apr; 劳动节 Sat 1–Sun 2 May, made up
    # Mon 3 and Tue 4 May; 端午 Wed 9 Jun; 中秋 Wed 15 Sep; 国庆 Fri 1–Sun 3 Oct, made up
    # Mon 4 and Tue 5 Oct.
    expected = {
        date(2027, 1, 1), *(date(2027, 2, d) for d in range(5, 11)), date(2027, 4, 5),
        *(date(2027, 5, d) for d in range(1, 5)), date(2027, 6, 9), date(2027, 9, 15),
        *(date(2027, 10, d) for d in range(1, 6)),
    }
    assert set(CAL.year(2027).holidays) == expected
    assert not CAL.year(2027).workdays  # 调休 only the State Council can set
    assert CAL.holiday_name(date(2027, 2, 9)) == "春节"
    assert CAL.is_working_day(date(2027, 2, 11))
    assert not CAL.is_working_day(date(2027, 2, 13))  # an ordinary Saturday, no 调休


def test_two_holidays_on_one_day_are_made_up_with_another_day_off() -> None:
    # 2028: 国庆 Sun 1–Tue 3 Oct, 中秋 (八月十五) on Tue 3 Oct as well. Sunday is made up on
    # Wed 4 Oct, the shared day on Thu 5 Oct.
    cal = CAL.year(2028)
    assert cal.provisional
    assert {date(2028, 10, d) for d in range(1, 6)} <= cal.holidays
    assert CAL.is_working_day(date(2028, 10, 6))


@pytest.mark.parametrize("year", [2025, 2026])
def test_statutory_days_of_the_published_years_are_all_off(year: int) -> None:
    """The law's days (with 补假) are days off in the State Council's notices of the years
    already under the amended law: the derivation agrees with the official calendars."""
    derived = statutory_year(year).holidays
    assert derived
    assert all(not CAL.is_working_day(d) for d in derived)


def test_a_period_running_into_next_year_is_computed_and_marked_provisional() -> None:
    # From Tue 1 Dec 2026, 20 working days: Dec 2–4 (3), 7–11 (8), 14–18 (13), 21–25 (18),
    # 28 (19), 29 (20): due Tue 29 Dec 2026, all in the official 2026.
    assert CAL.add_working_days(date(2026, 12, 1), 20) == date(2026, 12, 29)
    assert not CAL.is_provisional_between(date(2026, 12, 1), date(2026, 12, 29))
    # From Mon 14 Dec 2026: Dec 15–18 (4), 21–25 (9), 28–31 (13) | 1 Jan off |
    # Jan 4–8 (18), 11 (19), 12 (20): due Tue 12 Jan 2027, on the provisional 2027.
    assert CAL.add_working_days(date(2026, 12, 14), 20) == date(2027, 1, 12)
    assert CAL.is_provisional_between(date(2026, 12, 14), date(2027, 1, 12))
    clock = DeadlineClock(started_on=date(2026, 12, 14), period=20)
    assert clock.due_date(CAL) == date(2027, 1, 12)
    assert clock.due_is_provisional(CAL)
    assert not DeadlineClock(started_on=date(2026, 12, 1), period=20).due_is_provisional(CAL)


def test_a_year_the_law_does_not_reach_is_refused() -> None:
    # Before the 2024 amendment (and before the package's data) nothing is derived.
    with pytest.raises(UnknownCalendarYear) as caught:
        CAL.is_working_day(date(2003, 3, 3))
    assert caught.value.year == 2003
    assert "2003.json" in str(caught.value)
    assert "GOVBUS_CALENDAR_DIR" in str(caught.value)
    with pytest.raises(UnknownCalendarYear):
        CAL.holiday_name(date(2003, 1, 1))
    with pytest.raises(UnknownCalendarYear):
        CAL.is_working_day(date(2300, 1, 2))


def test_the_official_year_replaces_the_provisional_one_and_changes_the_revision(
    tmp_path: Path,
) -> None:
    before = WorkingCalendar.from_directory(tmp_path)
    write_calendar(tmp_path, "2027.json", CALENDAR_2027)
    after = WorkingCalendar.from_directory(tmp_path)
    assert before.is_provisional(2027) and not after.is_provisional(2027)
    assert after.source(2027) == "operator"
    assert before.revision() != after.revision()
    assert WorkingCalendar.from_directory(tmp_path).revision() == after.revision()
    # Sat 13 Feb 2027 is an ordinary Saturday provisionally, a 调休 working day officially.
    assert not before.is_working_day(date(2027, 2, 13))
    assert after.is_working_day(date(2027, 2, 13))


def test_an_operator_file_may_not_claim_to_be_provisional() -> None:
    with pytest.raises(CalendarError, match="official"):
        WorkingCalendar({2027: statutory_year(2027)})


def test_tests_can_pretend_the_package_lacks_its_years() -> None:
    cal = WorkingCalendar(package=False)
    assert cal.is_provisional(2026)
    assert cal.source(2026) == "provisional"


def test_health_warns_from_november_when_next_year_is_provisional(tmp_path: Path) -> None:
    assert next_year_warning(CAL, date(2026, 10, 31)) is None
    warning = next_year_warning(CAL, date(2026, 11, 1))
    assert warning is not None and "2027" in warning and "GOVBUS_CALENDAR_DIR" in warning
    write_calendar(tmp_path, "2027.json", CALENDAR_2027)
    assert next_year_warning(WorkingCalendar.from_directory(tmp_path), date(2026, 12, 1)) is None


# -- operator calendars -----------------------------------------------------------------

# A made-up 2027: the real one is published by the State Council late in 2026.
CALENDAR_2027 = {
    "year": 2027,
    "holidays": ["2027-01-01", *(f"2027-02-{day:02d}" for day in range(5, 12))],
    "workdays": ["2027-02-13", "2027-02-14"],
    "holiday_names": {"2027-01-01": "元旦", "2027-02-08": "春节"},
    "source": "国办发明电〔2026〕x号 (test data)",
}


def write_calendar(directory: Path, name: str, content: object) -> Path:
    path = directory / name
    path.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
    return path


def test_operator_calendar_extends_the_package_into_2027(tmp_path: Path) -> None:
    write_calendar(tmp_path, "2027.json", CALENDAR_2027)
    cal = WorkingCalendar.from_directory(tmp_path)

    assert not cal.is_working_day(date(2027, 1, 1))  # Friday, 元旦
    assert cal.is_working_day(date(2027, 1, 4))
    assert cal.is_working_day(date(2027, 2, 13))  # Saturday, 调休
    assert cal.is_working_day(date(2027, 2, 14))  # Sunday, 调休
    assert not cal.is_working_day(date(2027, 2, 20))  # ordinary Saturday
    assert cal.holiday_name(date(2027, 2, 8)) == "春节"
    assert cal.holiday_name(date(2027, 2, 13)) is None
    # From Wed 30 Dec 2026 (package) into 2027 (operator): 31 Dec(1) | 1–3 Jan off | 4(2) 5(3).
    assert cal.add_working_days(date(2026, 12, 30), 3) == date(2027, 1, 5)
    # From Thu 4 Feb 2027: 5–11 Feb off, 12(1) 13(2, 调休) 14(3, 调休) 15(4).
    assert cal.add_working_days(date(2027, 2, 4), 4) == date(2027, 2, 15)
    # The package's years are still there.
    assert not cal.is_working_day(date(2025, 10, 1))


def test_operator_calendar_replaces_the_package_for_its_whole_year(tmp_path: Path) -> None:
    write_calendar(
        tmp_path,
        "2026.json",
        {"year": 2026, "holidays": ["2026-12-31"], "workdays": ["2026-02-14"]},
    )
    cal = WorkingCalendar.from_directory(tmp_path)

    assert not cal.is_working_day(date(2026, 12, 31))
    assert cal.is_working_day(date(2026, 2, 14))
    # Not listed in the operator's 2026, so an ordinary Thursday there.
    assert cal.is_working_day(date(2026, 10, 1))
    assert CAL.is_working_day(date(2026, 12, 31))  # the package alone disagrees


def test_operator_calendar_can_be_given_in_code() -> None:
    year = YearCalendar.model_validate(CALENDAR_2027)
    cal = WorkingCalendar({2027: year})
    assert cal.next_working_day(date(2027, 2, 4)) == date(2027, 2, 12)
    with pytest.raises(CalendarError):
        WorkingCalendar({2028: year})


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ({**CALENDAR_2027, "workdays": ["2027-02-15"]}, "Saturdays or Sundays"),
        ({**CALENDAR_2027, "holidays": ["2028-01-01"]}, "outside 2027"),
        ({**CALENDAR_2027, "workdays": ["2027-02-06"], "holidays": ["2027-02-06"]}, "both"),
        ({**CALENDAR_2027, "holidays": ["2027-13-01"]}, "holidays"),
        ({**CALENDAR_2027, "typo_field": 1}, "typo_field"),
    ],
)
def test_malformed_operator_calendar_is_refused_naming_the_file(
    tmp_path: Path, content: object, fragment: str
) -> None:
    path = write_calendar(tmp_path, "2027.json", content)
    with pytest.raises(CalendarError) as caught:
        WorkingCalendar.from_directory(tmp_path)
    assert str(path) in str(caught.value)
    assert fragment in str(caught.value)


def test_operator_calendar_that_is_not_json_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "2027.json"
    path.write_text("{ year: 2027", encoding="utf-8")
    with pytest.raises(CalendarError, match="2027.json"):
        WorkingCalendar.from_directory(tmp_path)
    assert path.exists()


def test_file_named_for_another_year_is_refused(tmp_path: Path) -> None:
    write_calendar(tmp_path, "2028.json", CALENDAR_2027)
    with pytest.raises(CalendarError, match="2028.json"):
        WorkingCalendar.from_directory(tmp_path)


def test_the_same_year_twice_is_refused(tmp_path: Path) -> None:
    write_calendar(tmp_path, "2027.json", CALENDAR_2027)
    write_calendar(tmp_path, "2027-corrected.json", CALENDAR_2027)
    with pytest.raises(CalendarError, match="already loaded"):
        WorkingCalendar.from_directory(tmp_path)


def test_missing_calendar_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CalendarError, match="does not exist"):
        WorkingCalendar.from_directory(tmp_path / "nowhere")


# -- the default calendar ---------------------------------------------------------------


@pytest.fixture
def fresh_default_calendar() -> Iterator[None]:
    default_calendar.cache_clear()
    yield
    default_calendar.cache_clear()


def test_default_calendar_loads_the_directory_named_by_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_default_calendar: None
) -> None:
    write_calendar(tmp_path, "2027.json", CALENDAR_2027)
    monkeypatch.setenv("GOVBUS_CALENDAR_DIR", str(tmp_path))
    assert default_calendar().is_working_day(date(2027, 2, 14))
    assert default_calendar() is default_calendar()


def test_default_calendar_without_a_directory_has_the_package_years_and_provisional_ones(
    monkeypatch: pytest.MonkeyPatch, fresh_default_calendar: None
) -> None:
    monkeypatch.delenv("GOVBUS_CALENDAR_DIR", raising=False)
    assert default_calendar().is_working_day(date(2025, 9, 28))
    assert default_calendar().source(2025) == "package"
    assert not default_calendar().is_working_day(date(2027, 2, 14))  # no 调休 provisionally
    assert default_calendar().is_provisional(2027)


# -- office dates -----------------------------------------------------------------------


def test_receipt_late_in_the_evening_counts_on_the_beijing_date() -> None:
    # 17:30 UTC on 30 Sep is 01:30 on 1 Oct in Beijing.
    assert office_date(datetime(2025, 9, 30, 17, 30, tzinfo=UTC)) == date(2025, 10, 1)
    assert office_date(datetime(2025, 9, 30, 15, 59, tzinfo=UTC)) == date(2025, 9, 30)
    with pytest.raises(ValueError, match="timezone-aware"):
        office_date(datetime(2025, 9, 30, 12, 0))


def test_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock(datetime(2025, 9, 30, 15, 0, tzinfo=UTC))
    assert office_date(clock.now()) == date(2025, 9, 30)
    clock.advance(timedelta(hours=1))
    assert clock.now() == datetime(2025, 9, 30, 16, 0, tzinfo=UTC)
    assert office_date(clock.now()) == date(2025, 10, 1)
    clock.set(datetime(2026, 2, 14, 9, 0, tzinfo=UTC))
    assert office_date(clock.now()) == date(2026, 2, 14)
