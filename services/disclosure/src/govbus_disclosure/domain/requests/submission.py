"""A request arrives: 第二十九条 what it must contain (refused before a number is spent on it),
第三十一条 its date of receipt, by channel; 平常信函, 传真 and (if the office says so) online
requests wait 待确认 with no clock running until the office confirms them.

Pure: no I/O, the time and the calendar are passed in.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from govbus_contracts.envelope import Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.disclosure.common import ApplicantType
from govbus_contracts.services.disclosure.requests import (
    REQUEST_RECEIPT_CONFIRMED,
    REQUEST_RECEIVED,
    ApplicantNotice,
    DeliveryMethod,
    NoticeKind,
    ReceiptChannel,
    ReceiptConfirmation,
    RequestReceiptConfirmed,
    RequestReceived,
    SubmitRequest,
)
from govbus_disclosure.domain.requests.access import is_staff
from govbus_disclosure.domain.requests.codes import request_number
from govbus_disclosure.domain.requests.periods import (
    CONFIRMED_CHANNELS,
    PROVISIONAL_NOTE,
    Periods,
    confirmed_at_submission,
    receipt_date,
    reply_clock,
)
from govbus_disclosure.domain.requests.record import (
    APPLICANT,
    PAUSE_CONFIRMATION,
    SYSTEM,
    InformationRequest,
    RequestChange,
    S,
    fact_of,
    history_entry,
    require_step,
)
from govbus_disclosure.domain.requests.sweep import settle
from govbus_kit.calendar import CalendarError
from govbus_kit.clock import office_date
from govbus_kit.domain import Actor, Change, Emit, refuse

ORGANISATIONS = frozenset({ApplicantType.business, ApplicantType.research,
                           ApplicantType.public_interest, ApplicantType.legal_service})


def validate_submission(cmd: SubmitRequest, principal: Principal, today: date) -> None:
    """Refuse an incomplete request before a number is spent on it (第二十九条)."""
    c = cmd.contact
    if not any((c.phone, c.email, c.address)):
        raise refuse("请至少提供一种联系方式 (电话、电子邮箱或通信地址)", field="contact")
    if c.email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", c.email):
        raise refuse("电子邮箱格式不正确", field="contact.email")
    a = cmd.applicant
    if cmd.applicant_type is ApplicantType.natural_person:
        if a.credit_code or a.legal_representative:
            raise refuse("自然人申请不填写统一社会信用代码和法定代表人", field="applicant")
        if a.id_document_number and a.id_document_type is None:
            raise refuse("请注明身份证件类型", field="applicant.id_document_type")
    elif cmd.applicant_type in ORGANISATIONS:
        if not a.credit_code:
            raise refuse("法人或其他组织申请须提供统一社会信用代码",
                           field="applicant.credit_code")
        if not re.fullmatch(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}",
                            a.credit_code.upper()):
            raise refuse("统一社会信用代码应为18位", field="applicant.credit_code")
        if not a.legal_representative:
            raise refuse("法人或其他组织申请须提供法定代表人或负责人",
                           field="applicant.legal_representative")
    if cmd.delivery is DeliveryMethod.email and not c.email:
        raise refuse("以电子邮件获取须提供电子邮箱", field="contact.email")
    if cmd.delivery is DeliveryMethod.post and not c.address:
        raise refuse("以邮寄获取须提供通信地址", field="contact.address")
    if not is_staff(principal):
        # The public submits online, today; a paper request is recorded by staff.
        if (cmd.channel is not ReceiptChannel.online or cmd.submitted_on is not None
                or cmd.confirmed_on is not None):
            raise GovbusError(ErrorCode.forbidden,
                              "当面、邮寄、信函或传真提交的申请由工作人员登记", field="channel")
        return
    if cmd.submitted_on is not None and cmd.submitted_on > today:
        raise refuse(f"提交日期 {cmd.submitted_on} 晚于今天", field="submitted_on")
    if cmd.confirmed_on is not None:
        if cmd.channel not in CONFIRMED_CHANNELS:
            raise refuse(f"{cmd.channel.value}提交的申请以提交/签收之日为收到之日, 无需确认",
                           field="confirmed_on")
        if cmd.confirmed_on > today or cmd.confirmed_on < (cmd.submitted_on or today):
            raise refuse(f"确认日期 {cmd.confirmed_on} 应在提交之日与今天之间",
                           field="confirmed_on")


def submit(cmd: SubmitRequest, *, request_id: str, year: int, serial: int, code_hash: str,
           applicant_key: str, monthly_position: int, principal: Principal, now: datetime,
           periods: Periods) -> RequestChange:
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
        raise refuse(f"无法按工作日计算期限: {exc}") from exc
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
        history=[history_entry(actor, now, "收到申请",
                               f"{cmd.channel.value}提交, 收到之日{received_on}" if confirmed else
                               f"{cmd.channel.value}提交于{submitted_on}, 待与申请人确认收到")],
    )
    req = settle(req, periods)
    event = RequestReceived(**fact_of(req), channel=req.channel, form=req.form,
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
                    actor: Actor, now: datetime, periods: Periods) -> RequestChange:
    """第三十一条: the office confirms a 平常信函, 传真 or online request with the applicant;
    that day is the date of receipt and the reply period counts from the day after."""
    require_step(req, "确认收到", (S.awaiting_confirmation,))
    today = office_date(now)
    if confirmed_on > today or confirmed_on < req.submitted_on:
        raise refuse(f"确认日期 {confirmed_on} 应在提交之日{req.submitted_on}与今天之间",
                       field="confirmed_on")
    try:
        received_on = receipt_date(confirmed_on, periods)
        clock = reply_clock(received_on, periods)
        due_on = clock.due_date(periods.calendar)
    except CalendarError as exc:
        raise refuse(f"无法按工作日计算期限: {exc}") from exc
    confirmation = ReceiptConfirmation(confirmed_on=confirmed_on, confirmed_by=actor.subject,
                                       remarks=remarks)
    new = settle(req.model_copy(update={
        "status": S.handling, "received_on": received_on, "clock": clock,
        "receipt_confirmation": confirmation,
        "notices": [*req.notices, _receipt_notice(
            req.request_number, received_on, due_on, today,
            provisional=clock.due_is_provisional(periods.calendar, due_on))],
        "history": [*req.history, history_entry(actor, now, "确认收到",
                                                f"收到之日{received_on}"
                                                + (f"; {remarks}" if remarks else ""))]}), periods)
    event = RequestReceiptConfirmed(**fact_of(new), channel=new.channel, confirmed_on=confirmed_on)
    return Change(new, [Emit(REQUEST_RECEIPT_CONFIRMED, event)])
