"""The working-day calendar (工作日) that statutory periods count in.

Weekends and public holidays are off; adjusted working days (调休: a Saturday or Sunday
declared a working day by the State Council's annual holiday notice) are on.

Sources, by precedence:

1. operator-supplied year calendars (data: one JSON file per year), which replace the
   package's data for that whole year, so a published correction or a year the package
   does not know yet can be put in force without a release;
2. the ``chinese_calendar`` package for the years it knows;
3. for any other year from 2025 on, a **provisional** year derived from the law itself:
   the statutory holidays of 全国年节及纪念日放假办法 (as amended 2024, in force 2025) with
   the 补假 its Art. 6 grants for a holiday falling on a weekend, and no 调休 (which only
   the State Council's yearly notice can set).

A legal fact (a request received, a document assigned) is never refused because the
State Council has not yet published next year's arrangement: its deadline is computed on
the provisional year and marked provisional; when the official year arrives the services
recompute it (:meth:`WorkingCalendar.revision` tells them that it did). Only a year the
law cannot be applied to (before the 2024 amendment, or absurdly far ahead) raises
:class:`UnknownCalendarYear`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Literal, Self

import chinese_calendar  # type: ignore[import-untyped, unused-ignore]
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

CALENDAR_DIR_ENV = "GOVBUS_CALENDAR_DIR"

#: The amended 全国年节及纪念日放假办法 (国务院令第798号) is in force from 2025-01-01: the
#: provisional years follow it, so they start there.
FIRST_PROVISIONAL_YEAR = 2025
#: Far enough for any statutory period; a date beyond is a typing error, not a deadline.
LAST_PROVISIONAL_YEAR = 2199

YearSource = Literal["operator", "package", "provisional"]


class CalendarError(Exception):
    """The calendar cannot answer: bad operator data, or a year nobody supplied."""


class UnknownCalendarYear(CalendarError):
    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"no working-day calendar for {year}: the statutory holidays are applied from "
            f"{FIRST_PROVISIONAL_YEAR} to {LAST_PROVISIONAL_YEAR}; for another year supply "
            f"{year}.json (holidays and 调休 workdays) in the directory named by "
            f"{CALENDAR_DIR_ENV}"
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
    provisional: bool = Field(
        default=False,
        description="推算: derived from the statutory holidays alone, before the State "
        "Council's notice; never set in an operator file",
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


# --- the law: 全国年节及纪念日放假办法 (2024 amendment) --------------------------------------


def statutory_year(year: int) -> YearCalendar:
    """A provisional year from the statutory holidays, with 补假 and without 调休.

    第二条 (全体公民放假的节日): 元旦 1 day (1 January); 春节 4 days (除夕 to 正月初三);
    清明节 1 day (the day of the 清明 solar term); 劳动节 2 days (1–2 May); 端午节 1 day
    (五月初五); 中秋节 1 day (八月十五); 国庆节 3 days (1–3 October).
    第六条: a holiday of all citizens that falls on a Saturday or Sunday is made up on a
    working day; it is made up on the first weekdays after that holiday that are not
    themselves off. A day that is two holidays at once (中秋 on 1–3 October) is one day off
    for two holidays, so it is made up the same way.
    The lunar dates and the solar term come from ``lunar_python`` (a maintained library),
    not from astronomy written here.
    """
    if not FIRST_PROVISIONAL_YEAR <= year <= LAST_PROVISIONAL_YEAR:
        raise UnknownCalendarYear(year)
    from lunar_python import Lunar  # type: ignore[import-untyped, unused-ignore]

    def solar(lunar_month: int, lunar_day: int) -> date:
        s = Lunar.fromYmd(year, lunar_month, lunar_day).getSolar()
        return date(s.getYear(), s.getMonth(), s.getDay())

    spring = solar(1, 1)
    qingming = Lunar.fromYmd(year, 3, 1).getJieQiTable()["清明"]
    festivals: list[tuple[str, list[date]]] = [
        ("元旦", [date(year, 1, 1)]),
        ("春节", [spring + timedelta(days=i) for i in range(-1, 3)]),
        ("清明", [date(qingming.getYear(), qingming.getMonth(), qingming.getDay())]),
        ("劳动节", [date(year, 5, 1), date(year, 5, 2)]),
        ("端午", [solar(5, 5)]),
        ("中秋", [solar(8, 15)]),
        ("国庆节", [date(year, 10, day) for day in (1, 2, 3)]),
    ]
    festivals.sort(key=lambda f: f[1][0])
    off: dict[date, str] = {}
    for name, days in festivals:
        owed = 0
        for d in days:
            if d.weekday() >= 5 or d in off:
                owed += 1
            off.setdefault(d, name)
        d = days[-1]
        while owed:
            d += timedelta(days=1)
            if d.weekday() < 5 and d not in off:
                off[d] = name  # 补假
                owed -= 1
    return YearCalendar(
        year=year, holidays=frozenset(off), holiday_names=off, provisional=True,
        source="按《全国年节及纪念日放假办法》推算 (国务院当年放假安排公布前)",
    )


def _package_years() -> frozenset[int]:
    return frozenset(d.year for d in chinese_calendar.holidays)


def package_year(year: int) -> YearCalendar | None:
    """The ``chinese_calendar`` package's data for ``year``, as a year calendar."""
    if year not in _PACKAGE_YEARS:
        return None
    holidays = {d: n for d, n in chinese_calendar.holidays.items() if d.year == year}
    names: dict[date, str] = {}
    for d, name in holidays.items():
        try:
            names[d] = str(chinese_calendar.Holiday(name).chinese)
        except ValueError:
            names[d] = str(name)
    return YearCalendar(
        year=year, holidays=frozenset(holidays),
        workdays=frozenset(d for d in chinese_calendar.workdays if d.year == year),
        holiday_names=names, source=f"chinesecalendar {_package_version()}",
    )


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("chinesecalendar")
    except PackageNotFoundError:  # pragma: no cover - vendored copies
        return "?"


_PACKAGE_YEARS = _package_years()


class WorkingCalendar:
    def __init__(self, extra_years: Mapping[int, YearCalendar] | None = None,
                 *, package: bool = True) -> None:
        years = dict(extra_years or {})
        for year, calendar in years.items():
            if calendar.year != year:
                raise CalendarError(f"calendar for {calendar.year} registered as {year}")
            if calendar.provisional:
                raise CalendarError(f"{year}: an operator calendar is official, not provisional")
        self._years = years
        # ``package=False`` pretends the package does not know a year it does: how tests
        # stand in for "the official year has not been published yet".
        self._package_years = _PACKAGE_YEARS if package else frozenset()
        self._provisional: dict[int, YearCalendar] = {}
        self._revision: str | None = None

    @classmethod
    def from_directory(cls, path: str | os.PathLike[str], *, package: bool = True
                       ) -> WorkingCalendar:
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
        return cls(years, package=package)

    # --- which source answers a year ----------------------------------------------------

    def source(self, year: int) -> YearSource:
        """Where ``year`` comes from: an operator file, the package, or the law alone."""
        if year in self._years:
            return "operator"
        if year in self._package_years:
            return "package"
        self._statutory(year)  # raises UnknownCalendarYear outside the law's years
        return "provisional"

    def is_provisional(self, year: int) -> bool:
        """True when ``year`` is only derived from the statutory holidays (no 调休 yet)."""
        return self.source(year) == "provisional"

    def is_provisional_between(self, start: date, end: date) -> bool:
        """Whether a period from ``start`` to ``end`` counts any day of a provisional year."""
        low, high = sorted((start, end))
        return any(self.is_provisional(y) for y in range(low.year, high.year + 1))

    def year(self, year: int) -> YearCalendar:
        """The calendar in force for ``year``, official or provisional (for display)."""
        operator = self._years.get(year)
        if operator is not None:
            return operator
        packaged = package_year(year) if year in self._package_years else None
        if packaged is not None:
            return packaged
        return self._statutory(year)

    def official_years(self) -> frozenset[int]:
        return frozenset(self._years) | self._package_years

    def revision(self) -> str:
        """A fingerprint of the official data: it changes when an official year arrives
        (an operator file, a newer package) or is corrected, which is when provisional
        deadlines must be recomputed."""
        if self._revision is None:  # the official data never changes in one calendar
            digest = hashlib.sha256()
            for year in sorted(self.official_years()):
                cal = self.year(year)
                digest.update(f"{year}|{sorted(cal.holidays)}|{sorted(cal.workdays)};".encode())
            self._revision = digest.hexdigest()[:32]
        return self._revision

    def _statutory(self, year: int) -> YearCalendar:
        cal = self._provisional.get(year)
        if cal is None:
            cal = self._provisional[year] = statutory_year(year)
        return cal

    # --- days ---------------------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        operator = self._years.get(d.year)
        if operator is not None:
            return operator.is_working_day(d)
        if d.year in self._package_years:
            return bool(chinese_calendar.is_workday(d))
        return self._statutory(d.year).is_working_day(d)

    def holiday_name(self, d: date) -> str | None:
        """The holiday ``d`` belongs to (Chinese name), or None.

        None for a 调休 working day too: it is named after a holiday but is not one.
        """
        operator = self._years.get(d.year)
        if operator is None and d.year not in self._package_years:
            operator = self._statutory(d.year)
        if operator is not None:
            return operator.holiday_names.get(d) if not operator.is_working_day(d) else None
        on_holiday, name = chinese_calendar.get_holiday_detail(d)
        if not on_holiday or name is None:
            return None
        try:
            return str(chinese_calendar.Holiday(name).chinese)
        except ValueError:
            return str(name)

    def days_off(self, year: int) -> Iterator[date]:
        """Every weekday off and every weekend day of ``year`` that is a named holiday."""
        cal = self.year(year)
        d = date(year, 1, 1)
        while d.year == year:
            if not cal.is_working_day(d) and (d.weekday() < 5 or d in cal.holidays):
                yield d
            d += timedelta(days=1)

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
    """The process-wide calendar: ``$GOVBUS_CALENDAR_DIR`` if set, the package's years, and
    provisional years from the law for the rest."""
    directory = os.environ.get(CALENDAR_DIR_ENV)
    if directory:
        return WorkingCalendar.from_directory(directory)
    return WorkingCalendar()
