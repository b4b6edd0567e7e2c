"""依申请公开: the rules of a request for government information, from receipt to reply.

[政府信息公开条例 2019] Read top to bottom:
- 第三十一条 the date of receipt: handed in — that day; registered post — the day the office
  signs for it; 平常信函 — the day the office confirms it with the applicant; online and 传真 —
  the day both sides confirm (an online platform confirms at once unless the office says
  otherwise). Until then the request is 待确认 and no clock runs. The 20 working days count
  from the day after receipt (次日起算, as the kit's DeadlineClock counts): submitted online on
  Saturday 7 March 2026 and confirmed at once, received that Saturday, day 1 is Monday 9 March.
  An office whose local rules take a non-working-day receipt as received on the next working
  day sets that (``receipt_next_working_day``); it is configuration, not the national rule.
- 第三十三条 the reply within 20 working days; one extension of at most 20 with the
  approval of the 负责人 and a notice to the applicant, granted before the period ends.
- 第三十条 补正: one notice within 7 working days of receipt, naming what to complete and a
  reasonable period; the clock stands still and starts again from zero (restart) the day the
  completed request arrives; no answer within the period: 视为放弃 (closed, 其他处理).
- 第三十二条 third-party consultation: 15 working days for the third party, not counted; when
  they pass unanswered the sweep ends the consultation as 逾期未答复 and the clock runs again
  by itself. 不予公开 to protect a third party rests on a consultation (or a recorded reason why
  none was possible); disclosing over an objection needs a written notice to the third party.
- 国办函〔2020〕109号: a fee only for excess volume (see ``fees``); from the notice to the
  payment the time is not counted; unpaid within the period: closed (其他处理).
- 第三十六条/第三十七条 the reply types and what each must say; 第三十九条 a complaint,
  report or 信访 matter is answered 不予处理 and handed to the complaints side.

Pure: no I/O, the time and the calendar are passed in.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import Field

from govbus_contracts.envelope import Principal, deterministic_id
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.disclosure.common import (
    SERVICE,
    ApplicantType,
    NotProcessedReason,
    OtherReason,
    Outcome,
    ReplyType,
    Role,
    UnableReason,
    WithholdReason,
)
from govbus_contracts.services.disclosure.requests import (
    CLOSED_STATUSES,
    REQUEST_ASSIGNED,
    REQUEST_CONSULTATION_ENDED,
    REQUEST_CONSULTATION_STARTED,
    REQUEST_CORRECTED,
    REQUEST_CORRECTION_REQUESTED,
    REQUEST_DEADLINE_CHANGED,
    REQUEST_EXTENDED,
    REQUEST_FEE_PAID,
    REQUEST_FEE_REQUESTED,
    REQUEST_LAPSED,
    REQUEST_OVERDUE,
    REQUEST_RECEIPT_CONFIRMED,
    REQUEST_RECEIVED,
    REQUEST_REFERRED,
    REQUEST_REMINDED,
    REQUEST_REPLIED,
    REQUEST_WITHDRAWN,
    Applicant,
    ApplicantNotice,
    ClockPause,
    ClockRestart,
    ConsultationAnswer,
    ConsultationRecord,
    Contact,
    CorrectionRecord,
    DeadlinePeriod,
    DeliveryMethod,
    EndConsultation,
    ExtendRequest,
    ExtensionRecord,
    FeeRecord,
    HistoryEntry,
    InformationForm,
    InformationSought,
    LegalBasis,
    NoticeKind,
    PublicReply,
    ReceiptChannel,
    ReceiptConfirmation,
    ReferralRecord,
    ReminderRecord,
    ReplyClock,
    ReplyRecord,
    ReplyToRequest,
    RequestAssigned,
    RequestConsultationEnded,
    RequestConsultationStarted,
    RequestCorrected,
    RequestCorrection,
    RequestCorrectionRequested,
    RequestDeadlineChanged,
    RequestExtended,
    RequestFeePaid,
    RequestFeeRequested,
    RequestLapsed,
    RequestOverdue,
    RequestReceiptConfirmed,
    RequestReceived,
    RequestReferred,
    RequestReminded,
    RequestReplied,
    RequestStatus,
    RequestTracking,
    RequestWithdrawn,
    StartConsultation,
    SubmitRequest,
)
from govbus_disclosure.domain.fees import FeeSchedule, fee_for
from govbus_kit.calendar import CalendarError, WorkingCalendar
from govbus_kit.clock import office_date
from govbus_kit.deadlines import AlertSchedule, DeadlineClock, alert_event_id
from govbus_kit.repository import Aggregate, Emit

S = RequestStatus
OPEN_STATUSES = frozenset(set(S) - CLOSED_STATUSES)
PAUSE_CORRECTION = "补正"
PAUSE_CONSULTATION = "征求第三方意见"
PAUSE_FEE = "缴费"
#: 第三十一条: a request that is not yet confirmed has no running clock.
PAUSE_CONFIRMATION = "待确认收到"
#: Channels whose receipt is the day of a confirmation, not of the submission (第三十一条).
CONFIRMED_CHANNELS = frozenset({ReceiptChannel.online, ReceiptChannel.ordinary_mail,
                                ReceiptChannel.fax})
ORGANISATIONS = frozenset({ApplicantType.business, ApplicantType.research,
                           ApplicantType.public_interest, ApplicantType.legal_service})


# --- the record ---------------------------------------------------------------------------------


class InformationRequest(Aggregate):
    """One request (collection ``requests``). ``received_on``, ``closed_on``, ``outcome``,
    ``outcome_reason``, ``reply_type`` and ``status`` are read by the annual report."""

    request_number: str
    year: int
    serial: int
    applicant_type: ApplicantType
    applicant: Applicant
    contact: Contact
    applicant_key: str  # sha256 of who the applicant is, for the monthly count (fees)
    information: InformationSought
    form: InformationForm
    delivery: DeliveryMethod
    channel: ReceiptChannel
    fee_waiver_requested: bool = False
    submitted_at: datetime
    submitted_on: date  # handed in / signed for / submitted online / letter or fax arrived
    # 第三十一条: the reply period counts from the day after. While 待确认: the day submitted
    # (no clock runs); the confirmation sets it.
    received_on: date
    receipt_confirmation: ReceiptConfirmation | None = None
    tracking_hash: str  # sha256 of the tracking code; the code itself is never stored
    status: RequestStatus = S.handling
    department: str | None = None
    clock: DeadlineClock
    due_on: date | None = None
    # The due date counts days of a year whose official calendar (调休) is not out yet.
    due_on_provisional: bool = False
    # Some period of the request is provisional (the reply's, or an open 补正, fee or
    # consultation period): what the calendar revision looks for.
    provisional_periods: bool = False
    overdue_since: date | None = None
    next_alert_on: date | None = None
    correction: CorrectionRecord | None = None
    consultations: list[ConsultationRecord] = Field(default_factory=list)
    extension: ExtensionRecord | None = None
    monthly_position: int = 1
    fee: FeeRecord | None = None
    reply: ReplyRecord | None = None
    referral: ReferralRecord | None = None
    reminders: list[ReminderRecord] = Field(default_factory=list)
    notices: list[ApplicantNotice] = Field(default_factory=list)
    history: list[HistoryEntry] = Field(default_factory=list)
    closed_on: date | None = None
    outcome: Outcome | None = None
    outcome_reason: str | None = None
    reply_type: ReplyType | None = None


class ApplicantMonth(Aggregate):
    """How many requests one applicant made in one calendar month (collection
    ``request_months``, id ``<applicant_key>:<YYYY-MM>``): the count the fee rests on,
    taken once per submission, without scanning the requests."""

    count: int = 0


def next_in_month(month: ApplicantMonth | None, month_id: str) -> ApplicantMonth:
    current = month or ApplicantMonth(id=month_id)
    return current.model_copy(update={"count": current.count + 1})


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


@dataclass(frozen=True)
class Actor:
    subject: str
    name: str | None
    role: str


APPLICANT = Actor("applicant", "申请人", "applicant")
SYSTEM = Actor("system", "系统", "system")


@dataclass
class Change:
    state: InformationRequest
    events: list[Emit] = field(default_factory=list)


# --- who acts -----------------------------------------------------------------------------------


def act_as(principal: Principal, *roles: Role, step: str) -> Actor:
    for role in roles:
        if role in principal.roles:
            return Actor(principal.subject, principal.name, role.value)
    raise GovbusError(ErrorCode.forbidden, f"{step}需要以下角色之一: "
                      f"{', '.join(r.value for r in roles)}", step=step,
                      required_roles=[r.value for r in roles])


def is_staff(principal: Principal) -> bool:
    return principal.has_any(Role.officer, Role.approver, Role.admin)


def in_scope(principal: Principal, req: InformationRequest) -> bool:
    """An officer with a department claim handles only what was assigned to it; without
    one (the central office) everything; admin everything."""
    if Role.admin in principal.roles or principal.department is None:
        return True
    return req.department == principal.department


def scope_filter(principal: Principal) -> dict[str, Any]:
    if Role.admin in principal.roles or principal.department is None:
        return {}
    return {"department": principal.department}


# --- small rules --------------------------------------------------------------------------------


def request_number(year: int, serial: int) -> str:
    """申请编号: year and a serial without gaps, e.g. 2026-0001."""
    return f"{year}-{serial:04d}"


_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read over the phone


def tracking_code(key: bytes, request_id: str) -> str:
    """查询码: 20 characters (about 99 bits) from an HMAC of the request id under the
    service's secret key, in groups of four. Unpredictable without the key; the same for a
    retried submission, so the first reply can be repeated without storing the code."""
    digest = int.from_bytes(hmac.new(key, ("tracking/" + request_id).encode(),
                                     hashlib.sha256).digest(), "big")
    chars = []
    for _ in range(20):
        digest, index = divmod(digest, len(_CODE_ALPHABET))
        chars.append(_CODE_ALPHABET[index])
    code = "".join(chars)
    return "-".join(code[i:i + 4] for i in range(0, 20, 4))


def normalise_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code).upper()


def tracking_hash(code: str) -> str:
    """What is stored and looked up: the SHA-256 of the normalised code."""
    return hashlib.sha256(("govbus-disclosure-tracking/" + normalise_code(code)).encode()
                          ).hexdigest()


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


def deadline_changed_event_id(request_id: str, period: DeadlinePeriod, old: date,
                              new: date) -> str:
    return deterministic_id(SERVICE, "request", request_id, "deadline_changed",
                            period.name, old.isoformat(), new.isoformat())


def lapsed_event_id(request_id: str, kind: str) -> str:
    return deterministic_id(SERVICE, "request", request_id, "lapsed", kind)


def consultation_lapsed_event_id(request_id: str, answer_due_on: date) -> str:
    return deterministic_id(SERVICE, "request", request_id, "consultation_lapsed",
                            answer_due_on.isoformat())


# --- submission ---------------------------------------------------------------------------------


def _invalid(message: str, **details: Any) -> GovbusError:
    return GovbusError(ErrorCode.validation_failed, message, **details)


def validate_submission(cmd: SubmitRequest, principal: Principal, today: date) -> None:
    """Refuse an incomplete request before a number is spent on it (第二十九条)."""
    c = cmd.contact
    if not any((c.phone, c.email, c.address)):
        raise _invalid("请至少提供一种联系方式 (电话、电子邮箱或通信地址)", field="contact")
    if c.email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", c.email):
        raise _invalid("电子邮箱格式不正确", field="contact.email")
    a = cmd.applicant
    if cmd.applicant_type is ApplicantType.natural_person:
        if a.credit_code or a.legal_representative:
            raise _invalid("自然人申请不填写统一社会信用代码和法定代表人", field="applicant")
        if a.id_document_number and a.id_document_type is None:
            raise _invalid("请注明身份证件类型", field="applicant.id_document_type")
    elif cmd.applicant_type in ORGANISATIONS:
        if not a.credit_code:
            raise _invalid("法人或其他组织申请须提供统一社会信用代码",
                           field="applicant.credit_code")
        if not re.fullmatch(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}",
                            a.credit_code.upper()):
            raise _invalid("统一社会信用代码应为18位", field="applicant.credit_code")
        if not a.legal_representative:
            raise _invalid("法人或其他组织申请须提供法定代表人或负责人",
                           field="applicant.legal_representative")
    if cmd.delivery is DeliveryMethod.email and not c.email:
        raise _invalid("以电子邮件获取须提供电子邮箱", field="contact.email")
    if cmd.delivery is DeliveryMethod.post and not c.address:
        raise _invalid("以邮寄获取须提供通信地址", field="contact.address")
    if not is_staff(principal):
        # The public submits online, today; a paper request is recorded by staff.
        if (cmd.channel is not ReceiptChannel.online or cmd.submitted_on is not None
                or cmd.confirmed_on is not None):
            raise GovbusError(ErrorCode.forbidden,
                              "当面、邮寄、信函或传真提交的申请由工作人员登记", field="channel")
        return
    if cmd.submitted_on is not None and cmd.submitted_on > today:
        raise _invalid(f"提交日期 {cmd.submitted_on} 晚于今天", field="submitted_on")
    if cmd.confirmed_on is not None:
        if cmd.channel not in CONFIRMED_CHANNELS:
            raise _invalid(f"{cmd.channel.value}提交的申请以提交/签收之日为收到之日, 无需确认",
                           field="confirmed_on")
        if cmd.confirmed_on > today or cmd.confirmed_on < (cmd.submitted_on or today):
            raise _invalid(f"确认日期 {cmd.confirmed_on} 应在提交之日与今天之间",
                           field="confirmed_on")


def submit(cmd: SubmitRequest, *, request_id: str, year: int, serial: int, code_hash: str,
           applicant_key: str, monthly_position: int, principal: Principal, now: datetime,
           periods: Periods) -> Change:
    today = office_date(now)
    submitted_on = cmd.submitted_on or today
    actor = (Actor(principal.subject, principal.name, "staff") if is_staff(principal)
             else APPLICANT)
    confirmed = confirmed_at_submission(cmd.channel, cmd.confirmed_on, periods)
    confirmation: ReceiptConfirmation | None = None
    if cmd.channel in CONFIRMED_CHANNELS and confirmed:
        by = actor.subject if cmd.confirmed_on is not None else SYSTEM.subject
        confirmation = ReceiptConfirmation(
            confirmed_on=cmd.confirmed_on or submitted_on, confirmed_by=by,
            remarks=None if cmd.confirmed_on is not None else "在线平台自动确认")
    number = request_number(year, serial)
    try:
        if confirmed:
            received_on = receipt_date(
                confirmation.confirmed_on if confirmation else submitted_on, periods)
            clock = reply_clock(received_on, periods)
            due_on = clock.due_date(periods.calendar)
        else:
            # 待确认: the period has not begun; the clock is held from the day submitted and
            # replaced by a fresh one from the confirmed receipt.
            received_on = submitted_on
            clock = reply_clock(submitted_on, periods).pause(
                submitted_on, "尚未与申请人确认收到 (第三十一条)", PAUSE_CONFIRMATION)
            due_on = None
    except CalendarError as exc:
        raise _invalid(f"无法按工作日计算期限: {exc}") from exc
    notices = ([_receipt_notice(number, received_on, due_on, today,
                                provisional=clock.due_is_provisional(periods.calendar, due_on))]
               if confirmed else [])
    req = InformationRequest(
        id=request_id, request_number=number, year=year, serial=serial,
        applicant_type=cmd.applicant_type, applicant=cmd.applicant, contact=cmd.contact,
        applicant_key=applicant_key, information=cmd.information, form=cmd.form,
        delivery=cmd.delivery, channel=cmd.channel,
        fee_waiver_requested=cmd.fee_waiver_requested, submitted_at=now,
        submitted_on=submitted_on, received_on=received_on,
        receipt_confirmation=confirmation, tracking_hash=code_hash,
        status=S.handling if confirmed else S.awaiting_confirmation,
        clock=clock, monthly_position=monthly_position, notices=notices,
        history=[_history(actor, now, "收到申请",
                          f"{cmd.channel.value}提交, 收到之日{received_on}" if confirmed else
                          f"{cmd.channel.value}提交于{submitted_on}, 待与申请人确认收到")],
    )
    req = settle(req, periods)
    event = RequestReceived(**_fact(req), channel=req.channel, form=req.form,
                            delivery=req.delivery)
    return Change(req, [Emit(REQUEST_RECEIVED, event)])


def _receipt_notice(number: str, received_on: date, due_on: date | None,
                    today: date, *, provisional: bool = False) -> ApplicantNotice:
    return ApplicantNotice(
        kind=NoticeKind.receipt, sent_on=today,
        text=(f"您的政府信息公开申请已收到, 申请编号{number}, 收到申请之日为{received_on}"
              f" (政府信息公开条例第三十一条)。本机关将于{due_on}前答复 (第三十三条)。"
              + (PROVISIONAL_NOTE if provisional else "")))


def confirm_receipt(req: InformationRequest, confirmed_on: date, remarks: str | None,
                    actor: Actor, now: datetime, periods: Periods) -> Change:
    """第三十一条: the office confirms a 平常信函, 传真 or online request with the applicant;
    that day is the date of receipt and the reply period counts from the day after."""
    _require(req, "确认收到", S.awaiting_confirmation)
    today = office_date(now)
    if confirmed_on > today or confirmed_on < req.submitted_on:
        raise _invalid(f"确认日期 {confirmed_on} 应在提交之日{req.submitted_on}与今天之间",
                       field="confirmed_on")
    try:
        received_on = receipt_date(confirmed_on, periods)
        clock = reply_clock(received_on, periods)
        due_on = clock.due_date(periods.calendar)
    except CalendarError as exc:
        raise _invalid(f"无法按工作日计算期限: {exc}") from exc
    confirmation = ReceiptConfirmation(confirmed_on=confirmed_on, confirmed_by=actor.subject,
                                       remarks=remarks)
    new = settle(req.model_copy(update={
        "status": S.handling, "received_on": received_on, "clock": clock,
        "receipt_confirmation": confirmation,
        "notices": [*req.notices, _receipt_notice(
            req.request_number, received_on, due_on, today,
            provisional=clock.due_is_provisional(periods.calendar, due_on))],
        "history": [*req.history, _history(actor, now, "确认收到",
                                           f"收到之日{received_on}"
                                           + (f"; {remarks}" if remarks else ""))]}), periods)
    event = RequestReceiptConfirmed(**_fact(new), channel=new.channel, confirmed_on=confirmed_on)
    return Change(new, [Emit(REQUEST_RECEIPT_CONFIRMED, event)])


# --- staff steps --------------------------------------------------------------------------------


def _require(req: InformationRequest, step: str, *allowed: RequestStatus) -> None:
    if req.status not in allowed:
        raise GovbusError(ErrorCode.invalid_transition,
                          f"申请{req.request_number}当前状态为{req.status.value}, 不能{step}",
                          status=req.status.value, step=step)


def assign(req: InformationRequest, department: str, actor: Actor, principal: Principal,
           now: datetime, periods: Periods) -> Change:
    if principal.department is not None and Role.admin not in principal.roles:
        raise GovbusError(ErrorCode.forbidden, "只有公开办 (不限部门的工作人员) 可以分办申请")
    _require(req, "分办", *OPEN_STATUSES)
    new = settle(req.model_copy(update={
        "department": department,
        "history": [*req.history, _history(actor, now, "分办", f"交{department}办理")]}), periods)
    event = RequestAssigned(**_fact(new), assigned_on=office_date(now))
    return Change(new, [Emit(REQUEST_ASSIGNED, event)])


def request_correction(req: InformationRequest, cmd: RequestCorrection, actor: Actor,
                       now: datetime, periods: Periods) -> Change:
    """补正告知: once, within 7 working days of receipt; the clock stands still."""
    _require(req, "补正告知", S.handling)
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
        raise _invalid("请写明需要补正的事项", field="items")
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
        "history": [*req.history, _history(actor, now, "补正告知", "; ".join(items))]}), periods)
    event = RequestCorrectionRequested(**_fact(new), requested_on=today, correction_due_on=due)
    return Change(new, [Emit(REQUEST_CORRECTION_REQUESTED, event)])


def correct(req: InformationRequest, supplement: str, received: date, actor: Actor,
            now: datetime, periods: Periods) -> Change:
    """The completed request arrived: the period runs again from zero (第三十条)."""
    _require(req, "提交补正材料", S.awaiting_correction)
    assert req.correction is not None
    if received > office_date(now):
        raise _invalid(f"收到日期 {received} 晚于今天", field="received_on")
    if received > req.correction.due_on:
        raise GovbusError(ErrorCode.deadline_passed,
                          f"补正期限已于{req.correction.due_on}届满",
                          due_on=req.correction.due_on.isoformat())
    if received < req.correction.requested_on:
        raise _invalid(f"收到日期 {received} 早于补正告知", field="received_on")
    restart_on = receipt_date(received, periods)
    clock = req.clock.restart(restart_on, "收到补正后的申请, 答复期限重新计算")
    record = req.correction.model_copy(update={"answered_on": received,
                                               "supplement": supplement})
    new = settle(req.model_copy(update={
        "status": S.handling, "clock": clock, "correction": record,
        "history": [*req.history, _history(actor, now, "收到补正", supplement[:200])]}), periods)
    event = RequestCorrected(**_fact(new), corrected_on=received)
    return Change(new, [Emit(REQUEST_CORRECTED, event)])


def start_consultation(req: InformationRequest, cmd: StartConsultation, actor: Actor,
                       now: datetime, periods: Periods) -> Change:
    """征求第三方意见: the third party has 15 working days; not counted (第三十二条)."""
    _require(req, "征求第三方意见", S.handling)
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
        "history": [*req.history, _history(actor, now, "征求第三方意见",
                                           f"{cmd.third_party}: {cmd.matter}")]}), periods)
    event = RequestConsultationStarted(**_fact(new), started_on=today, answer_due_on=answer_due)
    return Change(new, [Emit(REQUEST_CONSULTATION_STARTED, event)])


def end_consultation(req: InformationRequest, cmd: EndConsultation, actor: Actor,
                     now: datetime, periods: Periods) -> Change:
    _require(req, "结束征求意见", S.consulting)
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
    new = settle(req.model_copy(update={
        "status": S.handling, "clock": clock,
        "consultations": [*req.consultations[:-1], ended],
        "history": [*req.history, _history(actor, now, "第三方意见",
                                           f"{cmd.answer.value} {cmd.remarks or ''}".strip())]}),
        periods)
    event = RequestConsultationEnded(**_fact(new), ended_on=resume_on, answer=cmd.answer)
    return Change(new, [Emit(REQUEST_CONSULTATION_ENDED, event)])


def extend(req: InformationRequest, cmd: ExtendRequest, actor: Actor, now: datetime,
           periods: Periods) -> Change:
    """延长答复期限: once, at most 20 working days, approved before the period ends."""
    _require(req, "延长答复期限", S.handling, S.consulting)
    if req.extension is not None:
        raise GovbusError(ErrorCode.conflict, "答复期限只能延长一次 (第三十三条)")
    if cmd.working_days > periods.max_extension_working_days:
        raise _invalid(f"延长期限最长不超过{periods.max_extension_working_days}个工作日",
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
        "history": [*req.history, _history(actor, now, "延长答复期限",
                                           f"{cmd.working_days}个工作日: {cmd.reason}")]}),
        periods)
    event = RequestExtended(**_fact(new), working_days=cmd.working_days, reason=cmd.reason,
                            approved_by=record.approved_by, granted_on=today)
    return Change(new, [Emit(REQUEST_EXTENDED, event)])


def issue_fee(req: InformationRequest, position: int, payment_working_days: int | None,
              actor: Actor, now: datetime, periods: Periods) -> Change:
    """收费通知: only when this request is beyond the month's free volume."""
    _require(req, "发出收费通知", S.handling)
    if req.fee is not None:
        raise GovbusError(ErrorCode.conflict, "该申请已发出收费通知")
    amount = fee_for(position, periods.fees)
    if amount == 0:
        raise _invalid(f"该申请为申请人本月第{position}件, 不收费 (国办函〔2020〕109号)",
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
        "history": [*req.history, _history(actor, now, "收费通知", f"{amount}元")]}), periods)
    event = RequestFeeRequested(**_fact(new), amount=amount, monthly_position=position,
                                notice_on=today, payment_due_on=due)
    return Change(new, [Emit(REQUEST_FEE_REQUESTED, event)])


def pay_fee(req: InformationRequest, paid_on: date, actor: Actor, now: datetime,
            periods: Periods) -> Change:
    _require(req, "登记缴费", S.awaiting_fee)
    assert req.fee is not None
    if paid_on > office_date(now) or paid_on < req.fee.notice_on:
        raise _invalid(f"缴费日期 {paid_on} 不在收费通知之后、今天之前", field="paid_on")
    if paid_on > req.fee.due_on:
        raise GovbusError(ErrorCode.deadline_passed, f"缴费期限已于{req.fee.due_on}届满")
    clock = req.clock.resume(paid_on)
    new = settle(req.model_copy(update={
        "status": S.handling, "clock": clock,
        "fee": req.fee.model_copy(update={"paid_on": paid_on}),
        "history": [*req.history, _history(actor, now, "缴费", f"{req.fee.amount}元")]}),
        periods)
    event = RequestFeePaid(**_fact(new), paid_on=paid_on)
    return Change(new, [Emit(REQUEST_FEE_PAID, event)])


# --- the reply (第三十六条) ----------------------------------------------------------------------

#: What each reply type may be counted as in the annual report: outcome → allowed reasons
#: (None: the outcome has no reason).
REPLY_OUTCOMES: Mapping[ReplyType, Mapping[Outcome, frozenset[str] | None]] = {
    ReplyType.already_public: {Outcome.released: None},
    ReplyType.provided: {Outcome.released: None, Outcome.partly_released: None},
    ReplyType.not_provided: {Outcome.withheld: frozenset(WithholdReason)},
    ReplyType.not_exist: {Outcome.unable: frozenset(UnableReason)},
    ReplyType.not_held: {Outcome.unable: frozenset({UnableReason.not_held})},
    ReplyType.repeat: {Outcome.not_processed: frozenset({NotProcessedReason.repeat})},
    ReplyType.special_procedure: {Outcome.other: frozenset({OtherReason.other})},
    ReplyType.not_processed: {Outcome.not_processed: frozenset(
        set(NotProcessedReason) - {NotProcessedReason.repeat})},
}

#: The article each exemption rests on (行政查询事项 is the report's own row: any article).
WITHHOLD_BASIS: Mapping[WithholdReason, LegalBasis] = {
    WithholdReason.state_secret: LegalBasis.art14,
    WithholdReason.prohibited_by_law: LegalBasis.art14,
    WithholdReason.three_safeties: LegalBasis.art14,
    WithholdReason.third_party: LegalBasis.art15,
    WithholdReason.internal_affairs: LegalBasis.art16,
    WithholdReason.process_information: LegalBasis.art16,
    WithholdReason.enforcement_file: LegalBasis.art16,
}


def check_reply(cmd: ReplyToRequest) -> None:
    """The reply says what its type requires, and its outcome and reason fit the type."""
    allowed = REPLY_OUTCOMES[cmd.reply_type]
    if cmd.outcome not in allowed:
        raise _invalid(f"答复类型{cmd.reply_type.value}的办理结果应为"
                       f"{'/'.join(o.value for o in allowed)}", field="outcome")
    reasons = allowed[cmd.outcome]
    if reasons is None:
        if cmd.outcome_reason is not None:
            raise _invalid(f"{cmd.outcome.value}不填写理由分类", field="outcome_reason")
    elif cmd.outcome_reason not in reasons:
        raise _invalid(f"{cmd.outcome.value}的理由应为以下之一: {'、'.join(sorted(reasons))}",
                       field="outcome_reason")
    if cmd.outcome is Outcome.partly_released and not cmd.withheld:
        raise _invalid("部分公开须列明不予公开的部分及其理由和依据 (第三十七条)",
                       field="withheld")
    if cmd.withheld and cmd.outcome is not Outcome.partly_released:
        raise _invalid("只有部分公开才列明不予公开的部分", field="withheld")
    for i, part in enumerate(cmd.withheld):
        basis = WITHHOLD_BASIS.get(part.reason)
        if basis is not None and part.legal_basis is not basis:
            raise _invalid(f"{part.reason.value}的依据是政府信息公开条例{basis.value}",
                           field=f"withheld.{i}.legal_basis")
    if cmd.outcome in (Outcome.withheld, Outcome.unable, Outcome.not_processed) and (
            not cmd.reason):
        raise _invalid(f"{cmd.reply_type.value}须说明理由", field="reason")
    if cmd.reply_type is ReplyType.already_public and not cmd.published_at:
        raise _invalid("已主动公开的, 须告知获取的方式和途径", field="published_at")
    if cmd.reply_type is ReplyType.not_held and cmd.holder_determinable and not (
            cmd.holder_name and cmd.holder_contact):
        raise _invalid("能够确定负责公开的机关的, 须告知其名称和联系方式",
                       field="holder_name")
    if cmd.reply_type is ReplyType.special_procedure and not cmd.other_law:
        raise _invalid("须告知办理依据的法律、行政法规", field="other_law")
    petition = cmd.outcome_reason == NotProcessedReason.petition
    if petition and cmd.matter_kind is None:
        raise _invalid("信访举报投诉类申请须注明事项类型 (投诉/举报/信访)", field="matter_kind")
    if cmd.matter_kind is not None and not petition:
        raise _invalid("事项类型只用于信访举报投诉类申请", field="matter_kind")
    if cmd.third_party_notice is not None and cmd.outcome not in DISCLOSING:
        raise _invalid("书面告知第三方只用于决定公开 (予以公开/部分公开) 的答复",
                       field="third_party_notice")
    if cmd.no_consultation_reason is not None and not withheld_for_third_party(cmd):
        raise _invalid("未征求意见的理由只用于以保护第三方合法权益不予公开的答复",
                       field="no_consultation_reason")


#: Outcomes that disclose (some of) the information.
DISCLOSING = frozenset({Outcome.released, Outcome.partly_released})


def withheld_for_third_party(cmd: ReplyToRequest) -> bool:
    return (cmd.outcome is Outcome.withheld
            and cmd.outcome_reason == WithholdReason.third_party)


def check_third_party(req: InformationRequest, cmd: ReplyToRequest, today: date) -> None:
    """第十五条/第三十二条 against the request's record.

    - 不予公开 to protect a third party's rights (第十五条) rests on the third party's view:
      a consultation on record, or a recorded reason why none was possible.
    - Disclosing over the third party's objection (the last consultation's answer 不同意公开)
      needs the written notice to the third party (第三十二条: 决定予以公开的, 应当将决定公开的
      内容和理由书面告知第三方). A partial release that withholds a part to protect a third
      party (第三十七条) is taken as honouring the objection: no notice required.
    """
    if withheld_for_third_party(cmd) and not req.consultations and not (
            cmd.no_consultation_reason and cmd.no_consultation_reason.strip()):
        raise _invalid("以保护第三方合法权益不予公开, 须先征求第三方意见 (第三十二条), "
                       "或写明无法征求意见的理由", field="no_consultation_reason")
    objected = bool(req.consultations) and (
        req.consultations[-1].answer is ConsultationAnswer.disagreed)
    honoured = cmd.outcome is Outcome.partly_released and any(
        p.reason is WithholdReason.third_party for p in cmd.withheld)
    if objected and cmd.outcome in DISCLOSING and not honoured:
        if cmd.third_party_notice is None:
            raise _invalid("第三方不同意公开而决定公开的, 须将决定公开的内容和理由书面告知第三方 "
                           "(第三十二条)", field="third_party_notice")
        if cmd.third_party_notice.sent_on > today:
            raise _invalid("书面告知第三方的日期不能晚于今天",
                           field="third_party_notice.sent_on")


def reply(req: InformationRequest, cmd: ReplyToRequest, actor: Actor, now: datetime,
          periods: Periods) -> Change:
    _require(req, "答复", S.handling)
    check_reply(cmd)
    if cmd.outcome_reason == UnableReason.unclear_after_correction and (
            req.correction is None or req.correction.answered_on is None):
        raise _invalid("未经补正的申请不能以“补正后申请内容仍不明确”答复",
                       field="outcome_reason")
    today = office_date(now)
    check_third_party(req, cmd, today)
    due = req.clock.due_date(periods.calendar)
    on_time = due is None or today <= due
    record = ReplyRecord(
        reply_type=cmd.reply_type, outcome=cmd.outcome, outcome_reason=cmd.outcome_reason,
        text=cmd.text, reason=cmd.reason, withheld=list(cmd.withheld),
        published_at=cmd.published_at,
        holder_name=cmd.holder_name, holder_contact=cmd.holder_contact,
        other_law=cmd.other_law, no_consultation_reason=cmd.no_consultation_reason,
        third_party_notice=cmd.third_party_notice, replied_on=today,
        replied_by=actor.name or actor.subject, on_time=on_time)
    notice = ApplicantNotice(kind=NoticeKind.reply, sent_on=today,
                             text=f"{cmd.reply_type.value}: {cmd.text}")
    referral = (ReferralRecord(matter_kind=cmd.matter_kind, referred_on=today)
                if cmd.matter_kind is not None else None)
    new = settle(req.model_copy(update={
        "status": S.replied, "reply": record, "referral": referral, "closed_on": today,
        "outcome": cmd.outcome, "outcome_reason": cmd.outcome_reason,
        "reply_type": cmd.reply_type, "notices": [*req.notices, notice],
        "history": [*req.history, _history(actor, now, "答复",
                                           f"{cmd.reply_type.value} / {cmd.outcome.value}")]}),
        periods)
    events = [Emit(REQUEST_REPLIED, RequestReplied(
        **_fact(new), reply_type=cmd.reply_type, outcome=cmd.outcome,
        outcome_reason=cmd.outcome_reason,
        withheld_reasons=sorted({p.reason for p in cmd.withheld}), replied_on=today,
        on_time=on_time, third_party_notice=cmd.third_party_notice))]
    if cmd.matter_kind is not None:
        events.append(Emit(REQUEST_REFERRED, RequestReferred(
            id=new.id, request_number=new.request_number, matter_kind=cmd.matter_kind,
            matter=new.information.description, applicant_type=new.applicant_type,
            received_on=new.received_on, referred_on=today)))
    return Change(new, events)


def withdraw(req: InformationRequest, reason: str | None, now: datetime,
             periods: Periods) -> Change:
    """The applicant withdraws: closed 其他处理 / 其他."""
    _require(req, "撤回", *OPEN_STATUSES)
    today = office_date(now)
    notice = ApplicantNotice(kind=NoticeKind.withdrawal, sent_on=today,
                             text="您已撤回本申请, 本机关不再处理。")
    new = settle(req.model_copy(update={
        "status": S.withdrawn, "closed_on": today, "outcome": Outcome.other,
        "outcome_reason": OtherReason.other.value, "notices": [*req.notices, notice],
        "history": [*req.history, _history(APPLICANT, now, "撤回申请", reason)]}), periods)
    return Change(new, [Emit(REQUEST_WITHDRAWN, RequestWithdrawn(**_fact(new),
                                                                 withdrawn_on=today))])


# --- deadlines: the sweep's decision ------------------------------------------------------------


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


def due_alerts(req: InformationRequest, now: datetime, periods: Periods) -> Change | None:
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
                    "history": [*req.history, _history(SYSTEM, now, "逾期",
                                                       f"答复期限{due}已过")]}), periods)
                return Change(new, [Emit(REQUEST_OVERDUE,
                                         RequestOverdue(**_fact(new), overdue_since=overdue_on),
                                         overdue_event_id(req.id, due))])
            if alert == "reminder":
                left = schedule.days_left(today, periods.calendar)
                record = ReminderRecord(on=today, due_on=due, working_days_left=left)
                new = settle(req.model_copy(update={
                    "reminders": [*req.reminders, record],
                    "history": [*req.history, _history(SYSTEM, now, "到期提醒",
                                                       f"距答复期限还有{left}个工作日")]}),
                    periods)
                return Change(new, [Emit(REQUEST_REMINDED, RequestReminded(
                    **_fact(new), reminded_on=today, working_days_left=left),
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


def revise_deadline(req: InformationRequest, now: datetime, periods: Periods) -> Change | None:
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
        history.append(_history(SYSTEM, now, f"{period.value}调整", reason))
        if period in (DeadlinePeriod.correction, DeadlinePeriod.fee):
            act = "补正" if period is DeadlinePeriod.correction else "缴纳信息处理费"
            notices.append(ApplicantNotice(
                kind=NoticeKind.deadline_change, sent_on=today, answer_by=after,
                text=f"因{reason}, 请于{after}前{act}。"))
        events.append(Emit(REQUEST_DEADLINE_CHANGED, RequestDeadlineChanged(
            **_fact(settled), period=period, previous_due_on=before, new_due_on=after,
            reason=reason), deadline_changed_event_id(req.id, period, before, after)))
    settled = settled.model_copy(update={"history": history, "notices": notices})
    return Change(settled, events)


def _consultation_lapsed(req: InformationRequest, current: ConsultationRecord,
                         now: datetime, periods: Periods) -> Change:
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
        "history": [*req.history, _history(SYSTEM, now, "第三方逾期未答复", text)]}), periods)
    event = RequestConsultationEnded(**_fact(new), ended_on=ended_on,
                                     answer=ConsultationAnswer.no_answer, by_system=True)
    return Change(new, [Emit(REQUEST_CONSULTATION_ENDED, event,
                             consultation_lapsed_event_id(req.id, ended_on))])


def _lapse(req: InformationRequest, status: RequestStatus, reason: OtherReason,
           closed_on: date, now: datetime, periods: Periods, text: str) -> Change:
    notice = ApplicantNotice(kind=NoticeKind.termination, sent_on=office_date(now), text=text)
    new = settle(req.model_copy(update={
        "status": status, "closed_on": closed_on, "outcome": Outcome.other,
        "outcome_reason": reason.value, "notices": [*req.notices, notice],
        "history": [*req.history, _history(SYSTEM, now, status.value, text)]}), periods)
    event = RequestLapsed(**_fact(new), outcome=Outcome.other, outcome_reason=reason.value,
                          closed_on=closed_on)
    return Change(new, [Emit(REQUEST_LAPSED, event, lapsed_event_id(req.id, status.value))])


# --- what the applicant sees --------------------------------------------------------------------


def tracking(req: InformationRequest) -> RequestTracking:
    """Status, deadlines, notices and the reply: nothing of the staff's record."""
    pause = req.clock.pauses[-1] if req.clock.is_paused else None
    public_reply = None
    if req.reply is not None:
        r = req.reply
        public_reply = PublicReply(
            reply_type=r.reply_type, text=r.text, reason=r.reason, withheld=r.withheld,
            published_at=r.published_at, holder_name=r.holder_name,
            holder_contact=r.holder_contact, other_law=r.other_law, replied_on=r.replied_on)
    return RequestTracking(
        request_number=req.request_number, status=req.status, received_on=req.received_on,
        due_on=req.due_on, due_on_provisional=req.due_on_provisional,
        paused=pause is not None, pause_kind=pause.kind if pause else None,
        closed_on=req.closed_on, notices=req.notices, reply=public_reply)


def clock_record(req: InformationRequest) -> ReplyClock:
    clock = req.clock
    return ReplyClock(
        started_on=clock.started_on, period=clock.period,
        pauses=[ClockPause(started_on=p.started_on, ended_on=p.ended_on, reason=p.reason,
                           kind=p.kind) for r in clock.restarts for p in r.pauses]
        + [ClockPause(started_on=p.started_on, ended_on=p.ended_on, reason=p.reason,
                      kind=p.kind) for p in clock.pauses],
        restarts=[ClockRestart(on=r.on, reason=r.reason,
                               previous_started_on=r.previous_started_on)
                  for r in clock.restarts],
        extended_by=sum(e.working_days for e in clock.extensions),
        due_on=req.due_on, paused=clock.is_paused)


# --- internals ----------------------------------------------------------------------------------


def _fact(req: InformationRequest) -> dict[str, Any]:
    """The part of every event: ids, the applicant's type, dates — no personal data."""
    return {"id": req.id, "request_number": req.request_number,
            "applicant_type": req.applicant_type, "status": req.status,
            "received_on": req.received_on, "due_on": req.due_on,
            "due_on_provisional": req.due_on_provisional, "department": req.department}


def _history(actor: Actor, now: datetime, action: str, remarks: str | None) -> HistoryEntry:
    return HistoryEntry(at=now, action=action, by=actor.subject, by_name=actor.name,
                        remarks=remarks)

