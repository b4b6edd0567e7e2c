"""The reply (第三十六条, 第三十七条): what each reply type must say, the outcome and reason the
annual report counts it under, and the third party's part (第十五条, 第三十二条); a complaint,
report or 信访 matter is answered 不予处理 and handed to the complaints side (第三十九条).

Pure: no I/O, the time and the calendar are passed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from govbus_contracts.services.disclosure.common import (
    NotProcessedReason,
    OtherReason,
    Outcome,
    ReplyType,
    UnableReason,
    WithholdReason,
)
from govbus_contracts.services.disclosure.requests import (
    REQUEST_REFERRED,
    REQUEST_REPLIED,
    ApplicantNotice,
    ConsultationAnswer,
    LegalBasis,
    NoticeKind,
    ReferralRecord,
    ReplyRecord,
    ReplyToRequest,
    RequestReferred,
    RequestReplied,
)
from govbus_disclosure.domain.requests.periods import Periods
from govbus_disclosure.domain.requests.record import (
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
        raise refuse(f"答复类型{cmd.reply_type.value}的办理结果应为"
                       f"{'/'.join(o.value for o in allowed)}", field="outcome")
    reasons = allowed[cmd.outcome]
    if reasons is None:
        if cmd.outcome_reason is not None:
            raise refuse(f"{cmd.outcome.value}不填写理由分类", field="outcome_reason")
    elif cmd.outcome_reason not in reasons:
        raise refuse(f"{cmd.outcome.value}的理由应为以下之一: {'、'.join(sorted(reasons))}",
                       field="outcome_reason")
    if cmd.outcome is Outcome.partly_released and not cmd.withheld:
        raise refuse("部分公开须列明不予公开的部分及其理由和依据 (第三十七条)",
                       field="withheld")
    if cmd.withheld and cmd.outcome is not Outcome.partly_released:
        raise refuse("只有部分公开才列明不予公开的部分", field="withheld")
    for i, part in enumerate(cmd.withheld):
        basis = WITHHOLD_BASIS.get(part.reason)
        if basis is not None and part.legal_basis is not basis:
            raise refuse(f"{part.reason.value}的依据是政府信息公开条例{basis.value}",
                           field=f"withheld.{i}.legal_basis")
    if cmd.outcome in (Outcome.withheld, Outcome.unable, Outcome.not_processed) and (
            not cmd.reason):
        raise refuse(f"{cmd.reply_type.value}须说明理由", field="reason")
    if cmd.reply_type is ReplyType.already_public and not cmd.published_at:
        raise refuse("已主动公开的, 须告知获取的方式和途径", field="published_at")
    if cmd.reply_type is ReplyType.not_held and cmd.holder_determinable and not (
            cmd.holder_name and cmd.holder_contact):
        raise refuse("能够确定负责公开的机关的, 须告知其名称和联系方式",
                       field="holder_name")
    if cmd.reply_type is ReplyType.special_procedure and not cmd.other_law:
        raise refuse("须告知办理依据的法律、行政法规", field="other_law")
    petition = cmd.outcome_reason == NotProcessedReason.petition
    if petition and cmd.matter_kind is None:
        raise refuse("信访举报投诉类申请须注明事项类型 (投诉/举报/信访)", field="matter_kind")
    if cmd.matter_kind is not None and not petition:
        raise refuse("事项类型只用于信访举报投诉类申请", field="matter_kind")
    if cmd.third_party_notice is not None and cmd.outcome not in DISCLOSING:
        raise refuse("书面告知第三方只用于决定公开 (予以公开/部分公开) 的答复",
                       field="third_party_notice")
    if cmd.no_consultation_reason is not None and not withheld_for_third_party(cmd):
        raise refuse("未征求意见的理由只用于以保护第三方合法权益不予公开的答复",
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
        raise refuse("以保护第三方合法权益不予公开, 须先征求第三方意见 (第三十二条), "
                       "或写明无法征求意见的理由", field="no_consultation_reason")
    objected = bool(req.consultations) and (
        req.consultations[-1].answer is ConsultationAnswer.disagreed)
    honoured = cmd.outcome is Outcome.partly_released and any(
        p.reason is WithholdReason.third_party for p in cmd.withheld)
    if objected and cmd.outcome in DISCLOSING and not honoured:
        if cmd.third_party_notice is None:
            raise refuse("第三方不同意公开而决定公开的, 须将决定公开的内容和理由书面告知第三方 "
                           "(第三十二条)", field="third_party_notice")
        if cmd.third_party_notice.sent_on > today:
            raise refuse("书面告知第三方的日期不能晚于今天",
                           field="third_party_notice.sent_on")


def reply(req: InformationRequest, cmd: ReplyToRequest, actor: Actor, now: datetime,
          periods: Periods) -> RequestChange:
    require_step(req, "答复", (S.handling,))
    check_reply(cmd)
    if cmd.outcome_reason == UnableReason.unclear_after_correction and (
            req.correction is None or req.correction.answered_on is None):
        raise refuse("未经补正的申请不能以“补正后申请内容仍不明确”答复",
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
        "history": [*req.history, history_entry(actor, now, "答复",
                                                f"{cmd.reply_type.value} / {cmd.outcome.value}")]}),
        periods)
    events = [Emit(REQUEST_REPLIED, RequestReplied(
        **fact_of(new), reply_type=cmd.reply_type, outcome=cmd.outcome,
        outcome_reason=cmd.outcome_reason,
        withheld_reasons=sorted({p.reason for p in cmd.withheld}), replied_on=today,
        on_time=on_time, third_party_notice=cmd.third_party_notice))]
    if cmd.matter_kind is not None:
        events.append(Emit(REQUEST_REFERRED, RequestReferred(
            id=new.id, request_number=new.request_number, matter_kind=cmd.matter_kind,
            matter=new.information.description, applicant_type=new.applicant_type,
            received_on=new.received_on, referred_on=today)))
    return Change(new, events)
