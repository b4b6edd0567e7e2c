"""The working-day calendar (工作日) that statutory periods count in.

Weekends and public holidays are off; adjusted working days (调休: a Saturday or Sunday
declared a working day by the State Council's annual holiday notice) are on.

Sources, by precedence:

1. operator-supplied year calendars (data: one JSON file per year), which replace the
   package's data for that whole year, so a published correction or a year the package
   does not know yet can be put in force without a release;
2. the ``chinese_calendar`` package for the years it knows.

A date in a year that neither source knows raises :class:`UnknownCalendarYear`: a statutory
deadline computed on a guessed calendar is wrong in a way nobody notices until it is missed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Self

import chinese_calendar  # type: ignore[import-untyped, unused-ignore]
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

CALENDAR_DIR_ENV = "GOVBUS_CALENDAR_DIR"


class CalendarError(Exception):
    """The calendar cannot answer: bad operator data, or a year nobody supplied."""


class UnknownCalendarYear(CalendarError):
    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"no working-day calendar for {year}: supply {year}.json (holidays and 调休 "
            f"workdays from the State Council's holiday notice) in the directory named by "
            f"{CALENDAR_DIR_ENV}; deadlines are not computed on a guessed calendar"
        )


class YearCalendar(BaseModel):
    """One year's holidays and adjusted working days, as an operator supplies them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    year: int = Field(ge=1949, le=9999)
    holidays: frozenset[date] = Field(
        default=frozenset(), description="法定节假日 public holidays (weekend days may be listed)"
    )
    workdays: frozenset[date] = Field(
        default=frozenset(), description="调休 adjusted working days: Saturdays or Sundays only"
    )
    holiday_names: dict[date, str] = Field(
        default_factory=dict, description="节日名称 by date, e.g. 2027-01-01: 元旦"
    )
    source: str | None = Field(
        default=None, description="the notice that published it, e.g. 国办发明电〔2026〕x号"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        outside = sorted(
            d
            for d in self.holidays | self.workdays | set(self.holiday_names)
            if d.year != self.year
        )
        if outside:
            raise ValueError(f"dates outside {self.year}: {', '.join(map(str, outside))}")
        both = sorted(self.holidays & self.workdays)
        if both:
            raise ValueError(f"both holiday and workday: {', '.join(map(str, both))}")
        # A weekday listed as 调休 changes nothing, so it is almost surely a mistyped date,
        # and the intended weekend would silently stay a day off.
        weekdays = sorted(d for d in self.workdays if d.weekday() < 5)
        if weekdays:
            raise ValueError(
                f"workdays must be Saturdays or Sundays (调休): {', '.join(map(str, weekdays))}"
            )
        return self

    def is_working_day(self, d: date) -> bool:
        if d in self.workdays:
            return True
        return d not in self.holidays and d.weekday() < 5


class WorkingCalendar:
    def __init__(self, extra_years: Mapping[int, YearCalendar] | None = None) -> None:
        years = dict(extra_years or {})
        for year, calendar in years.items():
            if calendar.year != year:
                raise CalendarError(f"calendar for {calendar.year} registered as {year}")
        self._years = years

    @classmethod
    def from_directory(cls, path: str | os.PathLike[str]) -> WorkingCalendar:
        """Load every ``*.json`` year calendar of a directory."""
        directory = Path(path)
        if not directory.is_dir():
            raise CalendarError(f"{directory}: calendar directory does not exist")
        years: dict[int, YearCalendar] = {}
        loaded_from: dict[int, Path] = {}
        for file in sorted(directory.glob("*.json")):
            try:
                calendar = YearCalendar.model_validate_json(file.read_bytes())
            except (OSError, ValidationError) as exc:
                raise CalendarError(f"{file}: invalid year calendar: {exc}") from exc
            # 2027.json holding a copy of 2026 would silently replace the real 2026.
            if file.stem.isdigit() and int(file.stem) != calendar.year:
                raise CalendarError(
                    f"{file}: file name says {file.stem}, content says {calendar.year}"
                )
            if calendar.year in years:
                raise CalendarError(
                    f"{file}: {calendar.year} already loaded from {loaded_from[calendar.year]}"
                )
            years[calendar.year] = calendar
            loaded_from[calendar.year] = file
        return cls(years)

    def is_working_day(self, d: date) -> bool:
        operator = self._years.get(d.year)
        if operator is not None:
            return operator.is_working_day(d)
        try:
            return bool(chinese_calendar.is_workday(d))
        except NotImplementedError:
            raise UnknownCalendarYear(d.year) from None

    def holiday_name(self, d: date) -> str | None:
        """The holiday ``d`` belongs to (Chinese name), or None.

        None for a 调休 working day too: it is named after a holiday but is not one.
        """
        operator = self._years.get(d.year)
        if operator is not None:
            return operator.holiday_names.get(d) if not operator.is_working_day(d) else None
        try:
            on_holiday, name = chinese_calendar.get_holiday_detail(d)
        except NotImplementedError:
            raise UnknownCalendarYear(d.year) from None
        if not on_holiday or name is None:
            return None
        try:
            return str(chinese_calendar.Holiday(name).chinese)
        except ValueError:
            return str(name)

    def add_working_days(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start``; counting starts the next day (次日起算).

        ``n == 0`` returns ``start``. A negative ``n`` counts backwards: the ``-n``-th working
        day before ``start`` (for reminders "N working days before the deadline").
        """
        step = timedelta(days=1 if n >= 0 else -1)
        d = start
        for _ in range(abs(n)):
            d += step
            while not self.is_working_day(d):
                d += step
        return d

    def working_days_between(self, a: date, b: date) -> int:
        """Working days ``d`` with ``a < d <= b``; negative when ``b < a``."""
        if b < a:
            return -self.working_days_between(b, a)
        count = 0
        d = a
        while d < b:
            d += timedelta(days=1)
            if self.is_working_day(d):
                count += 1
        return count

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        return self.add_working_days(d, 1)

    def add_calendar_days(self, start: date, n: int) -> date:
        """``start`` plus ``n`` calendar days, for periods in days (招标投标: 日 = 自然日).

        The last day is deliberately NOT moved off a weekend or holiday. Where a rule needs
        民法典 第二百零三条 (a period ending on a statutory holiday ends the day after it), the
        caller applies ``next_working_day`` itself, so the choice is visible at the rule.
        """
        return start + timedelta(days=n)


@cache
def default_calendar() -> WorkingCalendar:
    """The process-wide calendar: the package's years plus ``$GOVBUS_CALENDAR_DIR`` if set."""
    directory = os.environ.get(CALENDAR_DIR_ENV)
    if directory:
        return WorkingCalendar.from_directory(directory)
    return WorkingCalendar()
