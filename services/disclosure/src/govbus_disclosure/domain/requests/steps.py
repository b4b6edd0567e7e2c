"""The steps along the way: 分办, 第三十条 补正, 第三十二条 征求第三方意见, 第三十三条 延长,
国办函〔2020〕109号 收费, and the applicant's 撤回. Each changes nothing when refused.

Pure: no I/O, the time and the calendar are passed in.
"""

from __future__ import annotations

from datetime import date, datetime

from govbus_contracts.envelope import Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.disclosure.common import OtherReason, Outcome, Role
from govbus_contracts.services.disclosure.requests import (
    REQUEST_ASSIGNED,
    REQUEST_CONSULTATION_ENDED,
    REQUEST_CONSULTATION_STARTED,
    REQUEST_CORRECTED,
    REQUEST_CORRECTION_REQUESTED,
    REQUEST_EXTENDED,
    REQUEST_FEE_PAID,
    REQUEST_FEE_REQUESTED,
    REQUEST_WITHDRAWN,
    ApplicantNotice,
    ConsultationAnswer,
    ConsultationRecord,
    CorrectionRecord,
    EndConsultation,
    ExtendRequest,
    ExtensionRecord,
    FeeRecord,
    NoticeKind,
    RequestAssigned,
    RequestConsultationEnded,
    RequestConsultationStarted,
    RequestCorrected,
    RequestCorrection,
    RequestCorrectionRequested,
    RequestExtended,
    RequestFeePaid,
    RequestFeeRequested,
    RequestWithdrawn,
    StartConsultation,
)
from govbus_disclosure.domain.fees import fee_for
from govbus_disclosure.domain.requests.periods import (
    Periods,
    correction_allowed_until,
    receipt_date,
)
from govbus_disclosure.domain.requests.record import (
    APPLICANT,
    OPEN_STATUSES,
    PAUSE_CONSULTATION,
    PAUSE_CORRECTION,
    PAUSE_FEE,
    InformationRequest,
    RequestChange,
    S,
    fact_of,
    history_entry,
    require_step,
)
from govbus_disclosure.domain.requests.sweep import settle
from govbus_kit.clock import office_date
from govbus_kit.domain import Actor, Change, Emit, refuse


def assign(req: InformationRequest, department: str, actor: Actor, principal: Principal,
           now: datetime, periods: Periods) -> RequestChange:
    if principal.department is not None and Role.admin not in principal.roles:
        raise GovbusError(ErrorCode.forbidden, "只有公开办 (不限部门的工作人员) 可以分办申请")
    require_step(req, "分办", OPEN_STATUSES)
    new = settle(req.model_copy(update={
        "department": department,
        "history": [*req.history, history_entry(actor, now, "分办", f"交{department}办理")]}),
        periods)
    event = RequestAssigned(**fact_of(new), assigned_on=office_date(now))
    return Change(new, [Emit(REQUEST_ASSIGNED, event)])


def request_correction(req: InformationRequest, cmd: RequestCorrection, actor: Actor,
                       now: datetime, periods: Periods) -> RequestChange:
    """补正告知: once, within 7 working days of receipt; the clock stands still."""
    require_step(req, "补正告知", (S.handling,))
    if req.correction is not None:
        raise GovbusError(ErrorCode.conflict, "补正告知只能发出一次 (第三十条)")
    today = office_date(now)
    last_day = correction_allowed_until(req.received_on, periods)
    if today > last_day:
        raise GovbusError(ErrorCode.deadline_passed,
                          f"补正告知应在收到申请之日起{periods.correction_notice_working_days}个"
                          f"工作日内发出 (最迟{last_day})", last_day=last_day.isoformat())
    items = [i.strip() for i in cmd.items if i.strip()]
    if not items:
        raise refuse("请写明需要补正的事项", field="items")
    days = cmd.answer_working_days or periods.correction_answer_working_days
    due = periods.calendar.add_working_days(today, days)
    clock = req.clock.pause(today, "申请内容不明确或不完整, 告知补正", PAUSE_CORRECTION)
    record = CorrectionRecord(requested_on=today, items=items, answer_working_days=days,
                              due_on=due, requested_by=actor.name or actor.subject,
                              due_on_provisional=periods.calendar.is_provisional_between(
                                  today, due))
    notice = ApplicantNotice(
        kind=NoticeKind.correction, sent_on=today, answer_by=due,
        text=("您的申请内容不明确或不完整, 请补正以下事项: " + "; ".join(items) +
              f"。请于{due}前补正; 答复期限自收到补正后的申请之日起重新计算; "
              "无正当理由逾期不补正的, 视为放弃申请 (政府信息公开条例第三十条)。"))
    new = settle(req.model_copy(update={
        "status": S.awaiting_correction, "clock": clock, "correction": record,
        "notices": [*req.notices, notice],
        "history": [*req.history, history_entry(actor, now, "补正告知", "; ".join(items))]}),
        periods)
    event = RequestCorrectionRequested(**fact_of(new), requested_on=today, correction_due_on=due)
    return Change(new, [Emit(REQUEST_CORRECTION_REQUESTED, event)])


def correct(req: InformationRequest, supplement: str, received: date, actor: Actor,
            now: datetime, periods: Periods) -> RequestChange:
    """The completed request arrived: the period runs again from zero (第三十条)."""
    require_step(req, "提交补正材料", (S.awaiting_correction,))
    assert req.correction is not None
    if received > office_date(now):
        raise refuse(f"收到日期 {received} 晚于今天", field="received_on")
    if received > req.correction.due_on:
        raise GovbusError(ErrorCode.deadline_passed,
                          f"补正期限已于{req.correction.due_on}届满",
                          due_on=req.correction.due_on.isoformat())
    if received < req.correction.requested_on:
        raise refuse(f"收到日期 {received} 早于补正告知", field="received_on")
    restart_on = receipt_date(received, periods)
    clock = req.clock.restart(restart_on, "收到补正后的申请, 答复期限重新计算")
    record = req.correction.model_copy(update={"answered_on": received,
                                               "supplement": supplement})
    new = settle(req.model_copy(update={
        "status": S.handling, "clock": clock, "correction": record,
        "history": [*req.history, history_entry(actor, now, "收到补正", supplement[:200])]}),
        periods)
    event = RequestCorrected(**fact_of(new), corrected_on=received)
    return Change(new, [Emit(REQUEST_CORRECTED, event)])


def start_consultation(req: InformationRequest, cmd: StartConsultation, actor: Actor,
                       now: datetime, periods: Periods) -> RequestChange:
    """征求第三方意见: the third party has 15 working days; not counted (第三十二条)."""
    require_step(req, "征求第三方意见", (S.handling,))
    today = office_date(now)
    clock = req.clock.pause(today, f"征求{cmd.third_party}意见", PAUSE_CONSULTATION)
    answer_due = periods.calendar.add_working_days(today, periods.consultation_working_days)
    record = ConsultationRecord(
        third_party=cmd.third_party, matter=cmd.matter, started_on=today,
        answer_due_on=answer_due, answer_working_days=periods.consultation_working_days,
        answer_due_on_provisional=periods.calendar.is_provisional_between(today, answer_due))
    new = settle(req.model_copy(update={
        "status": S.consulting, "clock": clock,
        "consultations": [*req.consultations, record],
        "history": [*req.history, history_entry(actor, now, "征求第三方意见",
                                                f"{cmd.third_party}: {cmd.matter}")]}), periods)
    event = RequestConsultationStarted(**fact_of(new), started_on=today, answer_due_on=answer_due)
    return Change(new, [Emit(REQUEST_CONSULTATION_STARTED, event)])


def end_consultation(req: InformationRequest, cmd: EndConsultation, actor: Actor,
                     now: datetime, periods: Periods) -> RequestChange:
    require_step(req, "结束征求意见", (S.consulting,))
    today = office_date(now)
    current = req.consultations[-1]
    if cmd.answer is ConsultationAnswer.no_answer and today <= current.answer_due_on:
        raise GovbusError(ErrorCode.invalid_transition,
                          f"第三方答复期限{current.answer_due_on}尚未届满, 不能记为逾期未答复")
    # 逾期未答复: the uncounted time is the third party's period, not until staff noticed it.
    resume_on = current.answer_due_on if cmd.answer is ConsultationAnswer.no_answer else today
    clock = req.clock.resume(resume_on)
    ended = current.model_copy(update={"ended_on": resume_on, "answer": cmd.answer,
                                       "remarks": cmd.remarks})
    answered = f"{cmd.answer.value} {cmd.remarks or ''}".strip()
    new = settle(req.model_copy(update={
        "status": S.handling, "clock": clock,
        "consultations": [*req.consultations[:-1], ended],
        "history": [*req.history, history_entry(actor, now, "第三方意见", answered)]}), periods)
    event = RequestConsultationEnded(**fact_of(new), ended_on=resume_on, answer=cmd.answer)
    return Change(new, [Emit(REQUEST_CONSULTATION_ENDED, event)])


def extend(req: InformationRequest, cmd: ExtendRequest, actor: Actor, now: datetime,
           periods: Periods) -> RequestChange:
    """延长答复期限: once, at most 20 working days, approved before the period ends."""
    require_step(req, "延长答复期限", (S.handling, S.consulting))
    if req.extension is not None:
        raise GovbusError(ErrorCode.conflict, "答复期限只能延长一次 (第三十三条)")
    if cmd.working_days > periods.max_extension_working_days:
        raise refuse(f"延长期限最长不超过{periods.max_extension_working_days}个工作日",
                       field="working_days")
    today = office_date(now)
    due = req.clock.due_date(periods.calendar)
    if due is not None and today > due:
        raise GovbusError(ErrorCode.deadline_passed, f"答复期限已于{due}届满, 不能再延长",
                          due_on=due.isoformat())
    clock = req.clock.extend(cmd.working_days, cmd.reason, actor.name or actor.subject,
                             today)
    new_due = clock.due_date(periods.calendar)
    shown_due = new_due or today  # while paused the new date is not known yet
    record = ExtensionRecord(working_days=cmd.working_days, reason=cmd.reason,
                             approved_by=actor.name or actor.subject,
                             approved_by_subject=actor.subject, granted_on=today,
                             due_on=shown_due)
    text = (f"因{cmd.reason}, 经本机关负责人同意, 答复期限延长{cmd.working_days}个工作日"
            + (f", 延长后的答复期限为{new_due}。" if new_due else "。")
            + "(政府信息公开条例第三十三条)")
    notice = ApplicantNotice(kind=NoticeKind.extension, sent_on=today, text=text)
    new = settle(req.model_copy(update={
        "clock": clock, "extension": record, "notices": [*req.notices, notice],
        "history": [*req.history, history_entry(actor, now, "延长答复期限",
                                                f"{cmd.working_days}个工作日: {cmd.reason}")]}),
        periods)
    event = RequestExtended(**fact_of(new), working_days=cmd.working_days, reason=cmd.reason,
                            approved_by=record.approved_by, granted_on=today)
    return Change(new, [Emit(REQUEST_EXTENDED, event)])


def issue_fee(req: InformationRequest, position: int, payment_working_days: int | None,
              actor: Actor, now: datetime, periods: Periods) -> RequestChange:
    """收费通知: only when this request is beyond the month's free volume."""
    require_step(req, "发出收费通知", (S.handling,))
    if req.fee is not None:
        raise GovbusError(ErrorCode.conflict, "该申请已发出收费通知")
    amount = fee_for(position, periods.fees)
    if amount == 0:
        raise refuse(f"该申请为申请人本月第{position}件, 不收费 (国办函〔2020〕109号)",
                       monthly_position=position)
    today = office_date(now)
    days = payment_working_days or periods.fee_payment_working_days
    due = periods.calendar.add_working_days(today, days)
    clock = req.clock.pause(today, f"收费通知, 金额{amount}元", PAUSE_FEE)
    record = FeeRecord(monthly_position=position, amount=amount, notice_on=today, due_on=due,
                       working_days=days,
                       due_on_provisional=periods.calendar.is_provisional_between(today, due))
    notice = ApplicantNotice(
        kind=NoticeKind.fee, sent_on=today, answer_by=due, amount=amount,
        text=(f"本申请为您本自然月第{position}件申请, 依照《政府信息公开信息处理费管理办法》"
              f"收取信息处理费{amount}元。请于{due}前缴纳; 逾期未缴纳的, 视为放弃申请。"
              "缴费期间不计算在答复期限内。"))
    new = settle(req.model_copy(update={
        "status": S.awaiting_fee, "clock": clock, "fee": record, "monthly_position": position,
        "notices": [*req.notices, notice],
        "history": [*req.history, history_entry(actor, now, "收费通知", f"{amount}元")]}), periods)
    event = RequestFeeRequested(**fact_of(new), amount=amount, monthly_position=position,
                                notice_on=today, payment_due_on=due)
    return Change(new, [Emit(REQUEST_FEE_REQUESTED, event)])


def pay_fee(req: InformationRequest, paid_on: date, actor: Actor, now: datetime,
            periods: Periods) -> RequestChange:
    require_step(req, "登记缴费", (S.awaiting_fee,))
    assert req.fee is not None
    if paid_on > office_date(now) or paid_on < req.fee.notice_on:
        raise refuse(f"缴费日期 {paid_on} 不在收费通知之后、今天之前", field="paid_on")
    if paid_on > req.fee.due_on:
        raise GovbusError(ErrorCode.deadline_passed, f"缴费期限已于{req.fee.due_on}届满")
    clock = req.clock.resume(paid_on)
    new = settle(req.model_copy(update={
        "status": S.handling, "clock": clock,
        "fee": req.fee.model_copy(update={"paid_on": paid_on}),
        "history": [*req.history, history_entry(actor, now, "缴费", f"{req.fee.amount}元")]}),
        periods)
    event = RequestFeePaid(**fact_of(new), paid_on=paid_on)
    return Change(new, [Emit(REQUEST_FEE_PAID, event)])


def withdraw(req: InformationRequest, reason: str | None, now: datetime,
             periods: Periods) -> RequestChange:
    """The applicant withdraws: closed 其他处理 / 其他."""
    require_step(req, "撤回", OPEN_STATUSES)
    today = office_date(now)
    notice = ApplicantNotice(kind=NoticeKind.withdrawal, sent_on=today,
                             text="您已撤回本申请, 本机关不再处理。")
    new = settle(req.model_copy(update={
        "status": S.withdrawn, "closed_on": today, "outcome": Outcome.other,
        "outcome_reason": OtherReason.other.value, "notices": [*req.notices, notice],
        "history": [*req.history, history_entry(APPLICANT, now, "撤回申请", reason)]}), periods)
    return Change(new, [Emit(REQUEST_WITHDRAWN, RequestWithdrawn(**fact_of(new),
                                                                 withdrawn_on=today))])
