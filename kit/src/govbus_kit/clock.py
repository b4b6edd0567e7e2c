"""The clock that domain code asks for the time, injected so deadlines are testable.

Instants are stored and compared in UTC; statutory periods count dates in Beijing time,
because a request received at 23:30 Beijing time on 30 September was received on that day
for the office, not on 1 October as UTC would say (the period starts the day after: 次日起算).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Final, Protocol
from zoneinfo import ZoneInfo

OFFICE_TZ: Final = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    """Real time. The only place outside tests where the system clock is read."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to, for tests and replays."""

    def __init__(self, start: datetime) -> None:
        self._now = _as_utc(start)

    def now(self) -> datetime:
        return self._now

    def set(self, dt: datetime) -> None:
        self._now = _as_utc(dt)

    def advance(self, delta: timedelta) -> None:
        self._now = self._now + delta


def office_date(dt: datetime) -> date:
    """The date of ``dt`` in Beijing time, the date that statutory periods count in."""
    return _as_utc(dt).astimezone(OFFICE_TZ).date()


def _as_utc(dt: datetime) -> datetime:
    # A naive datetime could be UTC or Beijing time; guessing moves receipts across midnight
    # and so shifts every deadline computed from them by a day.
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        raise ValueError(f"timezone-aware datetime required, got naive {dt.isoformat()}")
    return dt.astimezone(UTC)
