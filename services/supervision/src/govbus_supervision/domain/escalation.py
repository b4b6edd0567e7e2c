"""催办 levels: 提醒 → 催办通知 → 督办通知书 → 通报, each once per deadline, in order.

The intervals are versioned periods (periods.py: ``escalation_reminder`` N working days
before the deadline; ``escalation_notice`` and ``escalation_bulletin`` working days after the
level before was issued). The 催办通知 is due the first working day after the deadline (逾期
is noticed when the office opens again). Each later level counts from the day the level
before it was actually issued, so a department always has the interval to react, and a
sweep that was down catches up one level at a time, never skipping one.

Pure: given an item's deadline, the levels issued for it and today, which level is due now.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from govbus_contracts.envelope import deterministic_id
from govbus_contracts.services.supervision.common import SERVICE, EscalationLevel
from govbus_supervision.domain.periods import Periods

L = EscalationLevel
#: The levels after the deadline, in order.
AFTER_DEADLINE: tuple[EscalationLevel, ...] = (L.urging, L.notice, L.bulletin)


@dataclass(frozen=True)
class EscalationPolicy:
    """The intervals in force for a deadline (read from the period table)."""

    remind_before: int  # 提醒: working days before the deadline
    notice_after: int  # 督办通知书: working days after the 催办通知
    bulletin_after: int  # 通报: working days after the 督办通知书

    @classmethod
    def in_force(cls, periods: Periods, started_on: date) -> EscalationPolicy:
        """The versions in force the day the deadline was set (交办, 延期, 重办)."""
        return cls(periods.version("escalation_reminder", started_on).remind_before,
                   periods.version("escalation_notice", started_on).amount,
                   periods.version("escalation_bulletin", started_on).amount)


def level_on(level: EscalationLevel, due_on: date, issued: Mapping[EscalationLevel, date],
             policy: EscalationPolicy, periods: Periods) -> date | None:
    """The day ``level`` becomes due; None while the level before it is not issued."""
    cal = periods.calendar
    if level is L.reminder:
        return cal.add_working_days(due_on, -policy.remind_before)
    if level is L.urging:
        return cal.next_working_day(due_on)
    before = AFTER_DEADLINE[AFTER_DEADLINE.index(level) - 1]
    if before not in issued:
        return None
    interval = policy.notice_after if level is L.notice else policy.bulletin_after
    return cal.add_working_days(issued[before], interval)


def next_level(due_on: date, issued: Mapping[EscalationLevel, date],
               today: date) -> EscalationLevel | None:
    """The level that comes next in order today, whether or not its day has come: 提醒
    only up to the deadline (a reminder after it says nothing), then the levels after it."""
    if today <= due_on:
        return None if L.reminder in issued else L.reminder
    return next((level for level in AFTER_DEADLINE if level not in issued), None)


def due_level(due_on: date, issued: Mapping[EscalationLevel, date], today: date,
              policy: EscalationPolicy, periods: Periods) -> EscalationLevel | None:
    """The level to issue today for the deadline ``due_on``, or None: once each, in order."""
    level = next_level(due_on, issued, today)
    if level is None:
        return None
    day = level_on(level, due_on, issued, policy, periods)
    return level if day is not None and today >= day else None


def next_check_on(due_on: date, issued: Mapping[EscalationLevel, date], today: date,
                  policy: EscalationPolicy, periods: Periods) -> date | None:
    """The day a sweep must look at the item again (None: every level issued)."""
    level = next_level(due_on, issued, today)
    if level is None:
        if today <= due_on:  # reminded: the next is the 催办通知
            return level_on(L.urging, due_on, issued, policy, periods)
        return None
    return level_on(level, due_on, issued, policy, periods)


def escalation_event_id(item_id: str, level: EscalationLevel, due_on: date) -> str:
    """The same for every replica and run over the same deadline: published once; a new
    deadline (延期, 重办) is a new cycle."""
    return deterministic_id(SERVICE, "item", item_id, "escalated", level.name,
                            due_on.isoformat())
