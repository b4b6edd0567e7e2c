"""Legal and office periods as versioned data: which period is in force on which day.

A service ships its table (a Python table in its domain, the law cited at each entry):
``period name → [PeriodVersion(valid_from, amount, unit, remind_before), …]``. An operator
may override it with a file ``<GOVBUS_PERIODS_DIR>/<service>.json`` of the same shape (like
the calendar directory): a version with the same ``valid_from`` as a shipped one replaces
it, others are added. A case takes the version in force on the day it started
(:meth:`PeriodTable.in_force`), so when an office changes a period on a date, the cases
begun before keep theirs and only the later ones count the new one.

Units: 工作日 (the working-day calendar), 自然日 (招标投标法: 日 = calendar days), and 月
(民法典 第二百零二条: the period ends on the corresponding day of the last month, or the
last day of that month when it has none). A version with ``ends_on_working_day`` moves a last
day in 自然日 or 月 off a 法定休假日 to the next working day (民法典 第二百零三条).
"""

from __future__ import annotations

import calendar as _months
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from govbus_kit.deadlines import AlertSchedule, DayCounter, DayUnit, DeadlineClock
from govbus_kit.logging import get_logger

if TYPE_CHECKING:
    from govbus_kit.service import ServiceContext

log = get_logger("govbus.periods")

PeriodUnit = Literal["working_days", "calendar_days", "months"]


class PeriodError(ValueError):
    """A period table that cannot be used (an operator's file names itself in the text)."""


class PeriodVersion(BaseModel):
    """One version of a period: from ``valid_from`` on, ``amount`` of ``unit``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    valid_from: date = Field(description="生效日: cases started on or after it count this")
    amount: int = Field(ge=0, description="期限, in the unit")
    unit: PeriodUnit = Field(default="working_days", description="工作日, 自然日 or 月")
    remind_before: int = Field(default=0, ge=0, description="提醒: days before the due date")
    remind_in: DayUnit | None = Field(
        default=None, description="the reminder's days: by default the period's own (calendar "
                                  "days for a period in months)")
    basis: str = Field(default="", description="依据: the article or the office's rule")
    ends_on_working_day: bool = Field(
        default=False, description="民法典 第二百零三条: a period in 自然日 or 月 whose last day "
                                   "is a 法定休假日 ends on the next working day")

    @property
    def alert_unit(self) -> DayUnit:
        if self.remind_in is not None:
            return self.remind_in
        return "working_days" if self.unit == "working_days" else "calendar_days"

    def due_on(self, started_on: date, calendar: DayCounter) -> date:
        """The last day of the period begun on ``started_on``, counted from the next day
        (次日起算; 民法典 第二百零一条)."""
        if self.unit == "working_days":
            return calendar.add_working_days(started_on, self.amount)
        if self.unit == "calendar_days":
            end = started_on + timedelta(days=self.amount)
        else:
            end = add_months(started_on, self.amount)
        # 民法典 第二百零三条: 期间的最后一日是法定休假日的, 以法定休假日结束的次日为期间的
        # 最后一日 (weekends included; an adjusted working Saturday is a working day).
        # Opt-in: a date the law fixes (年度报告 1月31日前) is not moved.
        return next_working_day_from(end, calendar) if self.ends_on_working_day else end

    def alerts(self, due_on: date, calendar: DayCounter) -> AlertSchedule:
        return AlertSchedule.of(due_on, self.remind_before, calendar, self.alert_unit)

    def clock(self, started_on: date, *, max_extensions: int = 1,
              max_extension_days: int | None = None) -> DeadlineClock:
        """A clock that pauses and extends (deadlines.py) for a period in days."""
        if self.unit == "months":
            raise PeriodError("a period in months has no day clock; use due_on")
        return DeadlineClock(started_on=started_on, period=self.amount, unit=self.unit,
                             max_extensions=max_extensions,
                             max_extension_days=max_extension_days)


def add_months(start: date, months: int) -> date:
    """民法典 第二百零二条: the corresponding day of the month ``months`` later, or that
    month's last day when it has no such day (31 January + 1 month = 28/29 February)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, _months.monthrange(year, month)[1]))


def next_working_day_from(d: date, calendar: DayCounter) -> date:
    """``d`` when it is a working day, else the first working day after it."""
    return calendar.add_working_days(d - timedelta(days=1), 1)


Versions = Mapping[str, Iterable[PeriodVersion]]
_FILE = TypeAdapter(dict[str, list[PeriodVersion]])


class PeriodTable:
    """The versions of each named period, in order of ``valid_from``."""

    def __init__(self, versions: Versions) -> None:
        self._versions: dict[str, tuple[PeriodVersion, ...]] = {}
        for name, listed in versions.items():
            ordered = tuple(sorted(listed, key=lambda v: v.valid_from))
            if not ordered:
                raise PeriodError(f"period {name} has no version")
            days = [v.valid_from for v in ordered]
            if len(set(days)) != len(days):
                raise PeriodError(f"period {name} has two versions valid from the same day")
            self._versions[name] = ordered

    def names(self) -> list[str]:
        return sorted(self._versions)

    def versions(self, name: str) -> tuple[PeriodVersion, ...]:
        try:
            return self._versions[name]
        except KeyError:
            raise LookupError(f"no period named {name}") from None

    def in_force(self, name: str, on: date) -> PeriodVersion:
        """The version of ``name`` in force on ``on`` (a case's start keeps it for good)."""
        versions = self.versions(name)
        found = [v for v in versions if v.valid_from <= on]
        # The first version also covers the days before it: a table begins with the rule
        # the office applied all along (a case older than the table is still counted).
        return found[-1] if found else versions[0]

    def overridden(self, versions: Versions) -> PeriodTable:
        """This table with an operator's versions: the same ``valid_from`` replaces, others
        are added; a name the service does not know is refused (a typo would be ignored)."""
        merged = {name: {v.valid_from: v for v in listed}
                  for name, listed in self._versions.items()}
        for name, listed in versions.items():
            if name not in merged:
                raise PeriodError(f"unknown period {name} (known: {', '.join(self.names())})")
            for version in listed:
                merged[name][version.valid_from] = version
        return PeriodTable({name: list(by_day.values()) for name, by_day in merged.items()})

    def replaced(self, name: str, **changes: object) -> PeriodTable:
        """Every version of ``name`` with ``changes`` (a deprecated setting that applied to
        all cases, whatever their start)."""
        return PeriodTable({**self._versions, name: [
            v.model_copy(update=changes) for v in self.versions(name)]})


def read_period_file(path: Path) -> dict[str, list[PeriodVersion]]:
    """An operator's period file (JSON: name → list of versions); refused naming the file."""
    try:
        return _FILE.validate_json(path.read_bytes())
    except (OSError, ValidationError) as exc:
        raise PeriodError(f"{path}: not a period table: {exc}") from exc


def load_periods(service: str, shipped: Versions, directory: Path | None) -> PeriodTable:
    """The service's table with the operator's file ``<directory>/<service>.json``, if any."""
    table = PeriodTable(shipped)
    if directory is None:
        return table
    if not directory.is_dir():
        raise PeriodError(f"{directory}: no such periods directory")
    path = directory / f"{service}.json"
    if not path.exists():
        return table
    try:
        table = table.overridden(read_period_file(path))
    except PeriodError as exc:
        raise PeriodError(f"{path}: {exc}") from exc
    log.info("periods_loaded", service=service, file=str(path))
    return table


_STATE = "govbus.periods"


def periods(ctx: ServiceContext, shipped: Versions,
            deprecated: Iterable[DeprecatedSetting] = ()) -> PeriodTable:
    """The service's period table, loaded once per process from the shipped versions, the
    operator's directory (``GOVBUS_PERIODS_DIR``) and the deprecated settings still set."""
    table = ctx.state.get(_STATE)
    if not isinstance(table, PeriodTable):
        table = load_periods(ctx.service.name, shipped, ctx.settings.periods_dir)
        table = apply_deprecated(table, ctx.service.name, deprecated)
        ctx.state[_STATE] = table
    return table


@dataclass(frozen=True)
class DeprecatedSetting:
    """A service setting that used to hold a period (an environment variable), still read
    for one release: set, it applies to every case whatever its start, as it did."""

    variable: str
    value: int | None
    periods: tuple[str, ...]
    field: Literal["amount", "remind_before"] = "amount"


def apply_deprecated(table: PeriodTable, service: str,
                     settings: Iterable[DeprecatedSetting]) -> PeriodTable:
    """``table`` with the deprecated settings that are set, each warned about with its
    replacement, so that an operator's deployment keeps its periods and learns the new way."""
    for setting in settings:
        if setting.value is None:
            continue
        log.warning("deprecated_setting", setting=setting.variable,
                    replacement=f"$GOVBUS_PERIODS_DIR/{service}.json, periods "
                                f"{', '.join(setting.periods)} ({setting.field})",
                    note="read for one release only; see the service's README, Periods")
        for name in setting.periods:
            table = table.replaced(name, **{setting.field: setting.value})
    return table
