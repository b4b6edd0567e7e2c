"""The deadline sweep's decisions: ``settle`` (the reply deadline and the next day to look),
``due_alerts`` (close what lapsed, remind, notice overdue, resume an unanswered consultation)
and ``revise_deadline`` (the official calendar arrived). Each fact once: ids from the deadline.

Pure: no I/O, the time and the calendar are passed in.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from govbus_contracts.services.disclosure.common import SERVICE, OtherReason, Outcome
from govbus_contracts.services.disclosure.requests import (
    CLOSED_STATUSES,
    REQUEST_CONSULTATION_ENDED,
    REQUEST_DEADLINE_CHANGED,
    REQUEST_LAPSED,
    REQUEST_OVERDUE,
    REQUEST_REMINDED,
    ApplicantNotice,
    ConsultationAnswer,
    ConsultationRecord,
    DeadlinePeriod,
    NoticeKind,
    ReminderRecord,
    RequestConsultationEnded,
    RequestDeadlineChanged,
    RequestLapsed,
    RequestOverdue,
    RequestReminded,
    RequestStatus,
)
from govbus_disclosure.domain.requests.periods import (
    Periods,
    alerts,
    consultation_lapsed_event_id,
    lapsed_event_id,
    overdue_event_id,
    reminder_event_id,
)
from govbus_disclosure.domain.requests.record import (
    SYSTEM,
    InformationRequest,
    RequestChange,
    S,
    fact_of,
    history_entry,
)
from govbus_kit.clock import office_date
from govbus_kit.deadlines import deadline_changed_event_id
from govbus_kit.domain import Change, Emit


def settle(req: InformationRequest, periods: Periods) -> InformationRequest:
    """Recompute the reply deadline and the next day the sweep must look at the request."""
    if req.status in CLOSED_STATUSES:
        return req.model_copy(update={"next_alert_on": None})
    due = req.clock.due_date(periods.calendar)
    alert: date | None = None
    if req.status is S.awaiting_correction and req.correction is not None:
        alert = req.correction.due_on + timedelta(days=1)
    elif req.status is S.awaiting_fee and req.fee is not None:
        alert = req.fee.due_on + timedelta(days=1)
    elif req.status is S.consulting and req.consultations:
        # 第三十二条: the day after the third party's 15 working days the clock runs again.
        alert = req.consultations[-1].answer_due_on + timedelta(days=1)
    elif req.status is S.handling and due is not None and req.overdue_since is None:
        alert = alerts(due, periods).next_on(
            reminded=any(r.due_on == due for r in req.reminders), overdue=False)
    provisional = req.clock.due_is_provisional(periods.calendar, due)
    return req.model_copy(update={
        "due_on": due, "next_alert_on": alert, "due_on_provisional": provisional,
        "provisional_periods": provisional or any(
            flag for _, flag in _open_periods(req))})


def due_alerts(req: InformationRequest, now: datetime, periods: Periods) -> RequestChange | None:
    """At ``now``: close a request whose 补正 or fee period ran out; remind N working days
    before the reply deadline; notice it overdue the first working day after. Each fact
    once per deadline, with an id derived from it (replicas sweeping alike publish one)."""
    today = office_date(now)
    if req.status is S.consulting and req.consultations:
        current = req.consultations[-1]
        if today > current.answer_due_on:
            lapsed = _consultation_lapsed(req, current, now, periods)
            # From now on like any other request: remind or notice overdue in the same pass.
            more = due_alerts(lapsed.state, now, periods)
            return lapsed if more is None else Change(more.state, [*lapsed.events,
                                                                   *more.events])
    elif req.status is S.awaiting_correction and req.correction is not None:
        if today > req.correction.due_on:
            return _lapse(req, S.abandoned, OtherReason.no_correction,
                          req.correction.due_on + timedelta(days=1), now, periods,
                          "申请人无正当理由逾期未补正, 视为放弃申请 (第三十条)")
    elif req.status is S.awaiting_fee and req.fee is not None:
        if today > req.fee.due_on:
            return _lapse(req, S.fee_unpaid, OtherReason.fee_unpaid,
                          req.fee.due_on + timedelta(days=1), now, periods,
                          "申请人逾期未缴纳信息处理费, 视为放弃申请")
    elif req.status is S.handling:
        due = req.clock.due_date(periods.calendar)
        if due is not None:
            schedule = alerts(due, periods)
            overdue_on = schedule.overdue_on
            alert = schedule.due(today, reminded=any(r.due_on == due for r in req.reminders),
                                 overdue=req.overdue_since is not None)
            if alert == "overdue":
                new = settle(req.model_copy(update={
                    "overdue_since": overdue_on,
                    "history": [*req.history, history_entry(SYSTEM, now, "逾期",
                                                            f"答复期限{due}已过")]}), periods)
                return Change(new, [Emit(REQUEST_OVERDUE,
                                         RequestOverdue(**fact_of(new), overdue_since=overdue_on),
                                         overdue_event_id(req.id, due))])
            if alert == "reminder":
                left = schedule.days_left(today, periods.calendar)
                record = ReminderRecord(on=today, due_on=due, working_days_left=left)
                new = settle(req.model_copy(update={
                    "reminders": [*req.reminders, record],
                    "history": [*req.history, history_entry(SYSTEM, now, "到期提醒",
                                                            f"距答复期限还有{left}个工作日")]}),
                    periods)
                return Change(new, [Emit(REQUEST_REMINDED, RequestReminded(
                    **fact_of(new), reminded_on=today, working_days_left=left),
                    reminder_event_id(req.id, due))])
    return revise_deadline(req, now, periods)


def _open_periods(req: InformationRequest) -> list[tuple[DeadlinePeriod, bool]]:
    """The periods told to the applicant or the third party that still run, with their
    provisional marks."""
    out: list[tuple[DeadlinePeriod, bool]] = []
    if req.status is S.awaiting_correction and req.correction is not None:
        out.append((DeadlinePeriod.correction, req.correction.due_on_provisional))
    if req.status is S.awaiting_fee and req.fee is not None:
        out.append((DeadlinePeriod.fee, req.fee.due_on_provisional))
    if req.status is S.consulting and req.consultations:
        out.append((DeadlinePeriod.consultation,
                    req.consultations[-1].answer_due_on_provisional))
    return out


def _recount(start: date, days: int | None, old: date, periods: Periods
             ) -> tuple[date, bool]:
    """A notified period counted again on the calendar in force: lengthened if the official
    year gives more time, never shortened (the applicant or the third party was told ``old``
    and may rely on it)."""
    if days is None:  # recorded before the count was kept: the notified date stands
        return old, False
    new = periods.calendar.add_working_days(start, days)
    return max(old, new), periods.calendar.is_provisional_between(start, new)


def _revise_notified_periods(req: InformationRequest, periods: Periods
                             ) -> tuple[InformationRequest, list[tuple[DeadlinePeriod, date,
                                                                       date]]]:
    moves: list[tuple[DeadlinePeriod, date, date]] = []
    updates: dict[str, Any] = {}
    for period, provisional in _open_periods(req):
        if not provisional:
            continue
        if period is DeadlinePeriod.correction and req.correction is not None:
            c = req.correction
            due, still = _recount(c.requested_on, c.answer_working_days, c.due_on, periods)
            updates["correction"] = c.model_copy(update={"due_on": due,
                                                         "due_on_provisional": still})
            old = c.due_on
        elif period is DeadlinePeriod.fee and req.fee is not None:
            f = req.fee
            due, still = _recount(f.notice_on, f.working_days, f.due_on, periods)
            updates["fee"] = f.model_copy(update={"due_on": due, "due_on_provisional": still})
            old = f.due_on
        else:
            current = req.consultations[-1]
            due, still = _recount(current.started_on, current.answer_working_days,
                                  current.answer_due_on, periods)
            updates["consultations"] = [*req.consultations[:-1], current.model_copy(update={
                "answer_due_on": due, "answer_due_on_provisional": still})]
            old = current.answer_due_on
        if due != old:
            moves.append((period, old, due))
    return req.model_copy(update=updates), moves


def revise_deadline(req: InformationRequest, now: datetime,
                    periods: Periods) -> RequestChange | None:
    """The deadlines again on the calendar in force. When the official year replaced the
    provisional one, the reply deadline is counted again, and a period already told to the
    applicant (补正, 缴费) or the third party is lengthened if the official year gives more
    time. Each move is said once (the fact's id is derived from the period and both dates);
    a date that stays only loses its provisional mark."""
    revised, moves = _revise_notified_periods(req, periods)
    settled = settle(revised, periods)
    if settled == req:
        return None
    old, new = req.due_on, settled.due_on
    if req.due_on_provisional and old is not None and new is not None and old != new:
        moves.insert(0, (DeadlinePeriod.reply, old, new))
    if not moves:
        return Change(settled)
    history = list(settled.history)
    notices = list(settled.notices)
    events: list[Emit] = []
    today = office_date(now)
    for period, before, after in moves:
        reason = (f"{before.year}年工作日历正式公布 (国务院放假安排), "
                  f"{period.value}由{before}调整为{after}")
        history.append(history_entry(SYSTEM, now, f"{period.value}调整", reason))
        if period in (DeadlinePeriod.correction, DeadlinePeriod.fee):
            act = "补正" if period is DeadlinePeriod.correction else "缴纳信息处理费"
            notices.append(ApplicantNotice(
                kind=NoticeKind.deadline_change, sent_on=today, answer_by=after,
                text=f"因{reason}, 请于{after}前{act}。"))
        events.append(Emit(REQUEST_DEADLINE_CHANGED, RequestDeadlineChanged(
            **fact_of(settled), period=period, previous_due_on=before, new_due_on=after,
            reason=reason), deadline_changed_event_id(SERVICE, "request", req.id, before,
                                                      after, period=period.name)))
    settled = settled.model_copy(update={"history": history, "notices": notices})
    return Change(settled, events)


def _consultation_lapsed(req: InformationRequest, current: ConsultationRecord,
                         now: datetime, periods: Periods) -> RequestChange:
    """第三十二条: 第三方逾期未提出意见的, 由行政机关依照本条例的规定决定是否公开 — the
    consultation ends as 逾期未答复 on the last day of the period and the clock counts again
    from the day after it, without anyone having to record it."""
    ended_on = current.answer_due_on
    clock = req.clock.resume(ended_on)
    text = f"{current.third_party}在{ended_on}前未提出意见, 答复期限恢复计算 (第三十二条)"
    ended = current.model_copy(update={"ended_on": ended_on,
                                       "answer": ConsultationAnswer.no_answer,
                                       "remarks": "逾期未答复 (系统记录)"})
    new = settle(req.model_copy(update={
        "status": S.handling, "clock": clock,
        "consultations": [*req.consultations[:-1], ended],
        "history": [*req.history, history_entry(SYSTEM, now, "第三方逾期未答复", text)]}), periods)
    event = RequestConsultationEnded(**fact_of(new), ended_on=ended_on,
                                     answer=ConsultationAnswer.no_answer, by_system=True)
    return Change(new, [Emit(REQUEST_CONSULTATION_ENDED, event,
                             consultation_lapsed_event_id(req.id, ended_on))])


def _lapse(req: InformationRequest, status: RequestStatus, reason: OtherReason,
           closed_on: date, now: datetime, periods: Periods, text: str) -> RequestChange:
    notice = ApplicantNotice(kind=NoticeKind.termination, sent_on=office_date(now), text=text)
    new = settle(req.model_copy(update={
        "status": status, "closed_on": closed_on, "outcome": Outcome.other,
        "outcome_reason": reason.value, "notices": [*req.notices, notice],
        "history": [*req.history, history_entry(SYSTEM, now, status.value, text)]}), periods)
    event = RequestLapsed(**fact_of(new), outcome=Outcome.other, outcome_reason=reason.value,
                          closed_on=closed_on)
    return Change(new, [Emit(REQUEST_LAPSED, event, lapsed_event_id(req.id, status.value))])
