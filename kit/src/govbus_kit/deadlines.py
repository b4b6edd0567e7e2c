"""The deadline clock: a statutory period as data, with its pauses, extensions and restarts.

A clock is a frozen value: every change returns a new clock, and the stored record keeps
each pause, extension and restart with its reason, so the due date can be recomputed and
explained later. No I/O and no reading of the time: dates and the calendar are passed in.

Counting follows 次日起算: a period started on day S counts the days after S. A pause from
day P1 to day P2 removes the days d with P1 < d <= P2 from the count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, Protocol, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from govbus_contracts.envelope import deterministic_id
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_kit.calendar import WorkingCalendar

DeadlineErrorCode = Literal["invalid_transition", "conflict"]


class DeadlineError(GovbusError):
    """A refused change of a clock, with the stable code the caller answers with: a clock
    change is a command's step, so the error travels to the edge as it is (DESIGN.md
    "Errors"), not caught and translated at every call."""

    def __init__(self, code: DeadlineErrorCode, message: str) -> None:
        super().__init__(ErrorCode(code), message)


class Pause(BaseModel):
    """时限中止: days that do not count, e.g. 征求第三方意见 (政府信息公开条例 第三十二条)."""

    model_config = ConfigDict(frozen=True)

    started_on: date = Field(description="中止日: days after it stop counting")
    ended_on: date | None = Field(default=None, description="恢复日: counted again after it")
    reason: str = Field(min_length=1, description="中止理由")
    kind: str = Field(min_length=1, description='中止类型, e.g. "补正", "征求第三方意见"')

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if self.ended_on is not None and self.ended_on < self.started_on:
            raise ValueError(f"pause ends {self.ended_on} before it starts {self.started_on}")
        return self

    def covers(self, d: date) -> bool:
        return self.started_on < d and (self.ended_on is None or d <= self.ended_on)


class Extension(BaseModel):
    """延长期限, granted with approval (政府信息公开条例 第三十三条: 负责人同意并告知申请人)."""

    model_config = ConfigDict(frozen=True)

    working_days: int = Field(gt=0, description="延长天数, in the clock's unit")
    reason: str = Field(min_length=1, description="延长理由")
    approved_by: str = Field(min_length=1, description="批准人")
    granted_on: date = Field(description="批准日")


class Restart(BaseModel):
    """重新起算: the period ran again from zero, e.g. when a 补正 completed request arrived."""

    model_config = ConfigDict(frozen=True)

    on: date = Field(description="重新起算日: the new start")
    reason: str = Field(min_length=1, description="重新起算理由")
    previous_started_on: date = Field(description="原起算日")
    pauses: tuple[Pause, ...] = Field(default=(), description="中止 of the superseded period")
    extensions: tuple[Extension, ...] = Field(
        default=(), description="延长 of the superseded period"
    )


class DeadlineClock(BaseModel):
    """A statutory period (法定期限) from a start date, in working or calendar days."""

    model_config = ConfigDict(frozen=True)

    started_on: date = Field(description="起算日: counting starts the day after (次日起算)")
    period: int = Field(ge=0, description="期限 in days of the unit")
    unit: Literal["working_days", "calendar_days"] = Field(
        default="working_days", description="工作日 or 自然日"
    )
    pauses: tuple[Pause, ...] = ()
    extensions: tuple[Extension, ...] = ()
    restarts: tuple[Restart, ...] = ()
    max_extensions: int = Field(default=1, ge=0, description="延长次数上限")
    max_extension_days: int | None = Field(
        default=None, ge=0, description="延长天数上限, over all extensions together"
    )

    @model_validator(mode="after")
    def _pauses_in_order(self) -> Self:
        # Overlapping or open-then-closed pauses would make the same day uncounted twice or
        # leave a due date that depends on the order of the record.
        previous_end = self.started_on
        for i, pause in enumerate(self.pauses):
            if pause.started_on < previous_end:
                raise ValueError(f"pause starting {pause.started_on} overlaps the period before")
            if pause.ended_on is None:
                if i != len(self.pauses) - 1:
                    raise ValueError("only the last pause may be open")
            else:
                previous_end = pause.ended_on
        return self

    # -- state ------------------------------------------------------------------------

    @property
    def is_paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1].ended_on is None

    @property
    def total_period(self) -> int:
        """The period with every granted extension."""
        return self.period + sum(e.working_days for e in self.extensions)

    # -- transitions ------------------------------------------------------------------

    def pause(self, on: date, reason: str, kind: str) -> DeadlineClock:
        if self.is_paused:
            raise DeadlineError(
                "invalid_transition", f"already paused since {self.pauses[-1].started_on}"
            )
        if on < self.started_on:
            raise DeadlineError(
                "invalid_transition", f"pause on {on} before the start {self.started_on}"
            )
        last_end = self.pauses[-1].ended_on if self.pauses else None
        if last_end is not None and on < last_end:
            raise DeadlineError(
                "invalid_transition", f"pause on {on} before the last resume {last_end}"
            )
        pause = Pause(started_on=on, reason=reason, kind=kind)
        return self._with(pauses=(*self.pauses, pause))

    def resume(self, on: date) -> DeadlineClock:
        if not self.is_paused:
            raise DeadlineError("invalid_transition", "not paused")
        current = self.pauses[-1]
        if on < current.started_on:
            raise DeadlineError(
                "invalid_transition", f"resume on {on} before the pause began {current.started_on}"
            )
        closed = current.model_copy(update={"ended_on": on})
        return self._with(pauses=(*self.pauses[:-1], closed))

    def restart(self, on: date, reason: str) -> DeadlineClock:
        """Run the period again from zero, counting from the day after ``on``.

        政府信息公开条例 第三十条: after 补正 the reply period runs from the receipt of the
        completed request. The superseded pauses (an open one closed on ``on``) and extensions
        move into the restart record; a fresh period may be extended again.
        """
        if on < self.started_on:
            raise DeadlineError(
                "invalid_transition", f"restart on {on} before the start {self.started_on}"
            )
        pauses = self.pauses
        if self.is_paused:
            current = pauses[-1]
            if on < current.started_on:
                raise DeadlineError(
                    "invalid_transition",
                    f"restart on {on} before the pause began {current.started_on}",
                )
            pauses = (*pauses[:-1], current.model_copy(update={"ended_on": on}))
        record = Restart(
            on=on,
            reason=reason,
            previous_started_on=self.started_on,
            pauses=pauses,
            extensions=self.extensions,
        )
        return self._with(
            started_on=on, pauses=(), extensions=(), restarts=(*self.restarts, record)
        )

    def extend(self, days: int, reason: str, approved_by: str, on: date) -> DeadlineClock:
        if len(self.extensions) >= self.max_extensions:
            raise DeadlineError(
                "conflict",
                f"already extended {len(self.extensions)} time(s), at most {self.max_extensions}",
            )
        granted = sum(e.working_days for e in self.extensions)
        if self.max_extension_days is not None and granted + days > self.max_extension_days:
            raise DeadlineError(
                "conflict",
                f"extension of {days} days exceeds the limit of {self.max_extension_days} "
                f"({granted} already granted)",
            )
        if on < self.started_on:
            raise DeadlineError(
                "invalid_transition", f"extension on {on} before the start {self.started_on}"
            )
        extension = Extension(
            working_days=days, reason=reason, approved_by=approved_by, granted_on=on
        )
        return self._with(extensions=(*self.extensions, extension))

    # -- reading ----------------------------------------------------------------------

    def due_date(self, calendar: WorkingCalendar) -> date | None:
        """The last day of the period, or None while paused (the clock stands still)."""
        if self.is_paused:
            return None
        total = self.total_period
        counted = 0
        d = self.started_on
        while counted < total:
            d += timedelta(days=1)
            if self._counts(d, calendar):
                counted += 1
        return d

    def due_is_provisional(self, calendar: WorkingCalendar, due: date | None = None) -> bool:
        """Whether the due date rests on a provisional year (no 调休 published yet): it may
        move when the official year arrives, and the record must say so. ``due``: the due
        date when the caller has just computed it."""
        due = due or self.due_date(calendar)
        if due is None or self.unit == "calendar_days":
            return False
        return calendar.is_provisional_between(self.started_on, due)

    def elapsed(self, on: date, calendar: WorkingCalendar) -> int:
        """Days of the period counted up to and including ``on``, pauses excluded."""
        counted = 0
        d = self.started_on
        while d < on:
            d += timedelta(days=1)
            if self._counts(d, calendar):
                counted += 1
        return counted

    def remaining(self, on: date, calendar: WorkingCalendar) -> int | None:
        """Days left after ``on``; negative when overdue; None while paused."""
        if self.is_paused:
            return None
        return self.total_period - self.elapsed(on, calendar)

    def is_overdue(self, on: date, calendar: WorkingCalendar) -> bool:
        """True once ``on`` is past the due date; never while paused."""
        due = self.due_date(calendar)
        return due is not None and on > due

    # -- internals --------------------------------------------------------------------

    def _with(self, **changes: object) -> DeadlineClock:
        # model_copy would skip validation; revalidating keeps the pause invariants enforced.
        return DeadlineClock.model_validate({**dict(self), **changes})

    def _counts(self, d: date, calendar: WorkingCalendar) -> bool:
        if any(p.covers(d) for p in self.pauses):
            return False
        return self.unit == "calendar_days" or calendar.is_working_day(d)


# -- reminders and overdue notices ------------------------------------------------------

#: The two facts a watched deadline gives rise to, each at most once per due date.
AlertKind = Literal["reminder", "overdue"]
#: How the days around a due date are counted: 工作日 (the working-day calendar) or 自然日.
DayUnit = Literal["working_days", "calendar_days"]


class DayCounter(Protocol):
    """What the alerts need of the working-day calendar (:class:`WorkingCalendar` has it)."""

    def add_working_days(self, start: date, n: int) -> date: ...

    def next_working_day(self, d: date) -> date: ...

    def working_days_between(self, a: date, b: date) -> int: ...


@dataclass(frozen=True)
class AlertSchedule:
    """When to remind before a due date and when to announce it overdue.

    A reminder ``remind_before`` days (of the unit) before the due date, an overdue notice
    on the first day after it (a working day when the period counts working days: 逾期 is
    noticed when the office opens again). A service's rule asks :meth:`due` what to do
    today, records that it did it (so each fact happens once per due date), and publishes
    it under :func:`alert_event_id`, so that several replicas sweeping alike publish one.
    """

    due_on: date
    remind_on: date
    overdue_on: date
    unit: DayUnit = "working_days"

    @classmethod
    def of(cls, due_on: date, remind_before: int, calendar: DayCounter,
           unit: DayUnit = "working_days") -> AlertSchedule:
        if unit == "working_days":
            return cls(due_on, calendar.add_working_days(due_on, -remind_before),
                       calendar.next_working_day(due_on), unit)
        return cls(due_on, due_on - timedelta(days=remind_before),
                   due_on + timedelta(days=1), unit)

    def due(self, today: date, *, reminded: bool, overdue: bool) -> AlertKind | None:
        """The fact due today, if any: overdue wins over a reminder never sent."""
        if today >= self.overdue_on:
            return None if overdue else "overdue"
        if today >= self.remind_on and not reminded:
            return "reminder"
        return None

    def next_on(self, *, reminded: bool, overdue: bool) -> date | None:
        """The day the sweep must look again (None: nothing left to announce)."""
        if overdue:
            return None
        return self.overdue_on if reminded else self.remind_on

    def days_left(self, today: date, calendar: DayCounter) -> int:
        """Days of the unit from ``today`` to the due date, as a reminder states them."""
        if self.unit == "working_days":
            return calendar.working_days_between(today, self.due_on)
        return (self.due_on - today).days


def alert_event_id(service: str, kind: str, aggregate_id: str, alert: AlertKind,
                   due_on: date) -> str:
    """The id of a reminder or overdue fact: the same for every replica and every run of
    the sweep over the same due date, so the broker's de-duplication publishes it once;
    a new due date (an extension, a revision) is a new fact."""
    fact = "reminded" if alert == "reminder" else "overdue"
    return deterministic_id(service, kind, aggregate_id, fact, due_on.isoformat())


def deadline_changed_event_id(service: str, kind: str, aggregate_id: str, old: date, new: date,
                              *, period: str | None = None) -> str:
    """The id of a deadline-changed fact (a calendar revision moved a due date): derived
    from both dates (and the period's name where a case has several), so every replica
    announces one move once, and a later move is a new fact."""
    named = (period,) if period is not None else ()
    return deterministic_id(service, kind, aggregate_id, "deadline_changed", *named,
                            old.isoformat(), new.isoformat())
