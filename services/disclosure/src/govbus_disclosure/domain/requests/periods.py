"""Receipt and the periods [政府信息公开条例 2019]: 第三十一条 the date of receipt, 第三十三条 the
reply within 20 working days (one extension), 第三十条 the 补正 notice within 7; the reminders
and overdue notices with ids derived from the deadline (replicas sweeping alike say it once).

Pure: no I/O, the time and the calendar are passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from govbus_contracts.envelope import deterministic_id
from govbus_contracts.services.disclosure.common import SERVICE
from govbus_contracts.services.disclosure.requests import ReceiptChannel
from govbus_disclosure.domain.fees import FeeSchedule
from govbus_kit.calendar import WorkingCalendar
from govbus_kit.deadlines import AlertSchedule, DeadlineClock, alert_event_id


@dataclass(frozen=True)
class Periods:
    """The office's periods (settings) and the working-day calendar."""

    calendar: WorkingCalendar
    reply_working_days: int = 20
    max_extension_working_days: int = 20
    correction_notice_working_days: int = 7
    correction_answer_working_days: int = 15
    consultation_working_days: int = 15
    fee_payment_working_days: int = 20
    remind_working_days_before: int = 3
    fees: FeeSchedule = FeeSchedule()
    # 第三十一条: an online platform confirms a submission at once (the national default).
    online_confirmed_at_once: bool = True
    # Local rules only: a receipt on a non-working day counts from the next working day.
    receipt_next_working_day: bool = False


#: Channels whose receipt is the day of a confirmation, not of the submission (第三十一条).
CONFIRMED_CHANNELS = frozenset({ReceiptChannel.online, ReceiptChannel.ordinary_mail,
                                ReceiptChannel.fax})


def receipt_date(day: date, periods: Periods) -> date:
    """第三十一条: the date of receipt is the day itself (handed in, signed for, confirmed),
    a Saturday included; only where the office's local rules say so is a non-working day
    moved to the next working day (``receipt_next_working_day``)."""
    calendar = periods.calendar
    if periods.receipt_next_working_day and not calendar.is_working_day(day):
        return calendar.next_working_day(day)
    return day


def confirmed_at_submission(channel: ReceiptChannel, confirmed_on: date | None,
                            periods: Periods) -> bool:
    """第三十一条: 当面 and 邮寄 are received on the day handed in / signed for; online is
    confirmed at once by the platform (unless configured otherwise); 平常信函 and 传真 wait for
    the confirmation with the applicant unless staff record it with the request."""
    if channel not in CONFIRMED_CHANNELS:
        return True
    if confirmed_on is not None:
        return True
    return channel is ReceiptChannel.online and periods.online_confirmed_at_once


def reply_clock(received_on: date, periods: Periods) -> DeadlineClock:
    return DeadlineClock(started_on=received_on, period=periods.reply_working_days,
                         max_extensions=1,
                         max_extension_days=periods.max_extension_working_days)


def reply_due_on(received_on: date, periods: Periods) -> date:
    """答复期限 of an uninterrupted request."""
    due = reply_clock(received_on, periods).due_date(periods.calendar)
    assert due is not None
    return due


def correction_allowed_until(received_on: date, periods: Periods) -> date:
    """The last day a 补正 notice may be sent (7 working days after receipt)."""
    return periods.calendar.add_working_days(received_on, periods.correction_notice_working_days)


def alerts(due_on: date, periods: Periods) -> AlertSchedule:
    """到期提醒 N working days before the reply deadline; 逾期 noticed the first working day
    after it."""
    return AlertSchedule.of(due_on, periods.remind_working_days_before, periods.calendar)


def reminder_event_id(request_id: str, due_on: date) -> str:
    return alert_event_id(SERVICE, "request", request_id, "reminder", due_on)


def overdue_event_id(request_id: str, due_on: date) -> str:
    return alert_event_id(SERVICE, "request", request_id, "overdue", due_on)


#: Said wherever a provisional due date is shown to the applicant.
PROVISIONAL_NOTE = ("该期限按法定节假日推算 (次年放假安排尚未公布); 放假安排公布后如有调整, "
                    "以调整后的期限为准, 可凭查询码查看。")




def lapsed_event_id(request_id: str, kind: str) -> str:
    return deterministic_id(SERVICE, "request", request_id, "lapsed", kind)


def consultation_lapsed_event_id(request_id: str, answer_due_on: date) -> str:
    return deterministic_id(SERVICE, "request", request_id, "consultation_lapsed",
                            answer_due_on.isoformat())
