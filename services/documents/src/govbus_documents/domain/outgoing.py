"""发文办理: the rules of an outgoing document, from 起草 to 核发.

[党政机关公文处理工作条例 2012, Art. 19-26; GB/T 9704-2012]

- 起草 (Art. 19): the drafter writes the document for their department; the 公开属性 is
  decided at drafting (主动公开 / 依申请公开 / 不予公开 with its reason), and a classified
  document carries its 保密期限 within the limit of its level and is never 主动公开.
- 行文规则 (Art. 14-16): every draft has its 行文方向 (上行/平行/下行), given or fixed by its
  文种. A 上行文 has one 主送 上级机关 and is not copied to 下级机关 (Art. 15(一)); a 批复
  names the 请示 it answers; a 纪要 has no 主送 (GB/T 9704 §10.3); 附件说明 matches the
  attachments one for one (GB/T 9704 §7.3.4).
- 审核 (Art. 20, 核稿): the reviewer approves the draft for signing or returns it with
  comments; the drafter revises, and every revision is kept with its text.
- 签发 (Art. 22): only an authorised signer signs; the signing date is the 成文日期, and
  every 上行文 prints the signer's name (签发人, GB/T 9704 §7.2.6).
- 复核 (Art. 25): before printing, the signed document is checked; a substantive change
  goes back to the signer.
- 登记 (Art. 25(二)): the 发文字号 (令号, 纪要期号) comes from the number register of its
  series (numbering.py), with the distribution and copies; 印制 records 印发机关 and 印发日期;
  核发 (Art. 25(四)) serves every main and cc recipient by a channel of the closed list, a
  classified document only by a 机要 channel, and is complete only when each is recorded.
- 归档 belongs to the archive: it finds documents in status 已核发.

Steps are pure functions: a document, the step's input, who acts and when in; the new
document and the facts to publish out. A step out of order is refused with
invalid_transition and changes nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from pydantic import Field

from govbus_contracts.base import Event
from govbus_contracts.envelope import Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.registry import EventSpec
from govbus_contracts.services.documents.common import (
    CONFIDENTIAL_CHANNELS,
    Attachment,
    Classification,
    ClassificationMark,
    Direction,
    DisclosureAttribute,
    DispatchChannel,
    DocType,
    Role,
    Urgency,
)
from govbus_contracts.services.documents.outgoing import (
    OUTGOING_DISPATCHED,
    OUTGOING_DRAFTED,
    OUTGOING_NUMBERED,
    OUTGOING_PRINTED,
    OUTGOING_RECHECKED,
    OUTGOING_RETURNED,
    OUTGOING_REVIEWED,
    OUTGOING_REVISED,
    OUTGOING_SIGNED,
    AttachmentDigest,
    DispatchEntry,
    DispatchOutgoing,
    DispatchRecord,
    DistributionEntry,
    DraftOutgoing,
    DraftRequestedOutgoing,
    HistoryEntry,
    NumberEntry,
    NumberSeries,
    OutgoingDispatched,
    OutgoingDrafted,
    OutgoingNumbered,
    OutgoingPrinted,
    OutgoingRechecked,
    OutgoingReturned,
    OutgoingReviewed,
    OutgoingRevised,
    OutgoingSigned,
    OutgoingStatus,
    PrintOutgoing,
    RecheckOutgoing,
    RecheckRecord,
    RegisterOutgoing,
    RequestedBy,
    ReviewDecision,
    ReviewOutgoing,
    ReviewRecord,
    ReviseOutgoing,
    Revision,
    SignOffOutgoing,
    SignOffRecord,
)
from govbus_documents.domain.access import is_classified
from govbus_documents.domain.numbering import format_number, series_of, validate_issuer_code
from govbus_kit.domain import (
    Actor,
    Aggregate,
    Change,
    Emit,
    act_as,
    refuse,
    require_status,
)

COLLECTION = "outgoing"

S = OutgoingStatus

#: From which states each step may be taken (anything else: invalid_transition).
ALLOWED_FROM: dict[str, tuple[OutgoingStatus, ...]] = {
    "修改": (S.drafted, S.returned),
    "审核": (S.drafted,),
    "签发": (S.awaiting_signature, S.awaiting_re_signature),
    "复核": (S.signed,),
    "登记": (S.rechecked,),
    "印制": (S.registered,),
    "核发": (S.printed,),
    "归档": (S.dispatched,),
}

MAIN = "主送"
CC = "抄送"


class OutgoingDocument(Aggregate):
    """发文: one outgoing document with every revision, decision and record of its handling.

    ``title`` and ``body`` are the current (final) text; ``revisions`` keep every text the
    document had, ``signed_revision`` names the one the signer signed.
    """

    status: OutgoingStatus = Field(description="办理状态")
    doc_type: DocType = Field(description="文种")
    direction: Direction | None = Field(default=None, description="行文方向 (None: drafted "
                                        "before it was recorded; see direction_of)")
    title: str = Field(description="标题")
    body: str = Field(description="正文")
    revisions: list[Revision] = Field(default_factory=list)
    current_revision: int = 1
    signed_revision: int | None = Field(default=None, description="签发稿 (稿次)")
    main_recipients: list[str] = Field(default_factory=list, description="主送机关")
    cc_recipients: list[str] = Field(default_factory=list, description="抄送机关")
    recipient_departments: list[str] = Field(default_factory=list)
    lower_level_recipients: list[str] = Field(default_factory=list, description="下级机关")
    replies_to: str | None = Field(default=None, description="所批复的请示 (收文 id)")
    replies_to_doc_number: str | None = Field(default=None, description="所批复的请示的来文字号")
    classification: ClassificationMark = Field(default_factory=ClassificationMark)
    classification_level: Classification = Classification.none
    urgency: Urgency = Urgency.normal
    disclosure: DisclosureAttribute = Field(description="公开属性")
    disclosure_reason: str | None = None
    issuer_code: str = Field(description="机关代字")
    issuing_organ: str = Field(description="发文机关")
    drafting_department: str = Field(description="拟稿部门")
    drafter: str = Field(description="拟稿人 (user id)")
    drafter_name: str | None = None
    drafted_at: datetime
    attachments: list[Attachment] = Field(default_factory=list, description="附件")
    attachment_notes: list[str] = Field(default_factory=list, description="附件说明")
    remarks: str | None = Field(default=None, description="附注")
    normative_document: bool = Field(default=False, description="行政规范性文件")
    normative_registration_number: str | None = Field(default=None,
                                                      description="规范性文件统一登记号")
    departments: list[str] = Field(default_factory=list)
    reviews: list[ReviewRecord] = Field(default_factory=list)
    sign_offs: list[SignOffRecord] = Field(default_factory=list)
    signer: str | None = Field(default=None, description="签发人")
    signer_id: str | None = None
    header_signer: str | None = Field(default=None, description="版头签发人 (上行文)")
    date_of_writing: date | None = Field(default=None, description="成文日期")
    rechecks: list[RecheckRecord] = Field(default_factory=list)
    doc_number: str | None = Field(default=None, description="发文字号")
    number_series: NumberSeries | None = Field(default=None, description="编号序列")
    number_year: int | None = None
    number_serial: int | None = None
    distribution: list[DistributionEntry] = Field(default_factory=list, description="分送")
    copies: int | None = Field(default=None, description="份数")
    printing_office: str | None = Field(default=None, description="印发机关")
    printing_date: date | None = Field(default=None, description="印发日期")
    dispatches: list[DispatchRecord] = Field(default_factory=list, description="核发记录")
    dispatched_at: datetime | None = None
    history: list[HistoryEntry] = Field(default_factory=list)
    requested_by: RequestedBy | None = Field(default=None, description="代拟: who asked for it")

    @property
    def recipients(self) -> list[tuple[str, str]]:
        """(recipient, 主送/抄送) in the order of the document."""
        return [(r, MAIN) for r in self.main_recipients] + [(r, CC) for r in self.cc_recipients]


#: The contract's spec of each fact a step emits.
FACTS: dict[type[Event], EventSpec] = {spec.model: spec for spec in (
    OUTGOING_DRAFTED, OUTGOING_REVISED, OUTGOING_REVIEWED, OUTGOING_RETURNED, OUTGOING_SIGNED,
    OUTGOING_RECHECKED, OUTGOING_NUMBERED, OUTGOING_PRINTED, OUTGOING_DISPATCHED)}


def _changed(doc: OutgoingDocument, *facts: Event) -> Change[OutgoingDocument]:
    return Change(doc, [Emit(FACTS[type(fact)], fact) for fact in facts])


# --- guards ------------------------------------------------------------------------------------


def _require_step(doc: OutgoingDocument, step: str) -> None:
    """A step out of order changes nothing (the order of 条例 Art. 19-26)."""
    require_status(doc.status, ALLOWED_FROM[step], step=step, what="公文", id=doc.id)


def _require_current_revision(doc: OutgoingDocument, revision: int | None, action: str) -> None:
    # The decision binds the text the reviewer or signer read: a revision written meanwhile
    # must be read before it is approved or signed.
    if revision is not None and revision != doc.current_revision:
        raise GovbusError(ErrorCode.conflict,
                          f"{action}的是第{revision}稿, 当前为第{doc.current_revision}稿",
                          revision=revision, current_revision=doc.current_revision)


def _history(actor: Actor, at: datetime, action: str,
             remarks: str | None = None) -> HistoryEntry:
    return HistoryEntry(at=at, actor=actor.subject, actor_name=actor.name, role=actor.role,
                        action=action, remarks=remarks)


# --- rules of drafting ---------------------------------------------------------------------


D = Direction

#: 行文方向 each 文种 may take (条例 Art. 8 defines each type by whom it addresses). The
#: first is taken when a draft does not say, unless 上行 is among them: then the drafter
#: must say (意见 can go up, across or down).
DIRECTIONS: dict[DocType, tuple[Direction, ...]] = {
    DocType.resolution: (D.downward,),
    DocType.decision: (D.downward,),
    DocType.order: (D.downward,),
    DocType.communique: (D.downward,),
    DocType.announcement: (D.downward,),
    DocType.notice_public: (D.downward,),
    DocType.opinion: (D.upward, D.parallel, D.downward),
    DocType.notice: (D.downward, D.parallel),
    DocType.bulletin: (D.downward, D.parallel),
    DocType.report: (D.upward,),
    DocType.request_for_instruction: (D.upward,),
    DocType.reply_to_request: (D.downward,),
    DocType.motion: (D.upward,),  # 向同级人大或其常委会提请审议
    DocType.letter: (D.parallel,),  # 不相隶属机关之间
    DocType.minutes: (D.downward, D.parallel),
}


def resolve_direction(doc_type: DocType, given: Direction | None) -> Direction:
    """The 行文方向 of a draft: as given, if its 文种 allows it; else the one its 文种 fixes."""
    allowed = DIRECTIONS[doc_type]
    if given is not None:
        if given not in allowed:
            raise refuse(f"{doc_type.value}不能作为{given.value}文",
                          doc_type=doc_type.value, direction=given.value,
                          allowed=[d.value for d in allowed])
        return given
    if len(allowed) > 1 and D.upward in allowed:
        raise refuse(f"{doc_type.value}须标明行文方向 (上行/平行/下行)",
                      doc_type=doc_type.value, allowed=[d.value for d in allowed])
    return allowed[0]


def direction_of(doc: OutgoingDocument) -> Direction | None:
    """The 行文方向 of a document; one drafted before it was recorded takes the one its 文种
    fixes (None when the 文种 leaves it open)."""
    if doc.direction is not None:
        return doc.direction
    allowed = DIRECTIONS[doc.doc_type]
    return allowed[0] if len(allowed) == 1 else None


def check_recipients(doc_type: DocType, main: list[str], cc: list[str],
                     direction: Direction | None = None,
                     lower_level: list[str] | None = None) -> None:
    """Recipients named once each, and the 行文规则 of the 文种 and the direction."""
    lower = list(lower_level or [])
    everyone = [*main, *cc]
    if any(not r.strip() for r in everyone):
        raise refuse("主送、抄送机关不能为空白")
    duplicates = sorted({r for r in everyone if everyone.count(r) > 1})
    if duplicates:
        raise refuse(f"{'、'.join(duplicates)} 重复列出 (主送与抄送不得重复)",
                      duplicates=duplicates)
    outside = [r for r in lower if r not in everyone]
    if outside:
        raise refuse(f"{'、'.join(outside)} 不在主送或抄送机关之列", lower_level=outside)
    if doc_type is DocType.minutes and main:
        # GB/T 9704 §10.3: a 纪要 names no 主送机关; its readers are listed as 分送 (抄送).
        raise refuse("纪要不标注主送机关, 分送单位列入抄送", main_recipients=main)
    if doc_type is DocType.request_for_instruction and len(main) != 1:
        # 条例 Art. 15(一)(四): 请示应当一文一事, 原则上主送一个上级机关.
        raise refuse("请示只能有一个主送机关", main_recipients=main)
    if direction is D.upward:
        # 条例 Art. 15(一): 向上级机关行文, 原则上主送一个上级机关 ... 不抄送下级机关.
        if len(main) != 1:
            raise refuse("上行文原则上只主送一个上级机关", main_recipients=main)
        down = [r for r in everyone if r in lower]
        if down:
            raise refuse(f"上行文不抄送下级机关: {'、'.join(down)}", lower_level=down)


#: 保密期限 limits by level, in months (保守国家秘密法 2010 Art. 15: 除另有规定外, 绝密级不超过
#: 三十年, 机密级不超过二十年, 秘密级不超过十年); a document that states no period is held for
#: the limit (国家秘密保密期限的规定: 未标明保密期限的, 按绝密三十年、机密二十年、秘密十年认定).
PERIOD_LIMIT_MONTHS: dict[Classification, int] = {
    Classification.top_secret: 30 * 12,
    Classification.confidential: 20 * 12,
    Classification.secret: 10 * 12,
}
# 保密期限 in 年, or in 月 below a year (国家秘密保密期限的规定: 一年及一年以上的以年计,
# 一年以内的以月计).
_PERIOD_RE = re.compile(r"^(?P<n>[1-9][0-9]{0,2})(?P<unit>年|个月|月)$")


def period_months(period: str) -> int:
    """The months of a 保密期限 such as 10年 or 6个月, or validation_failed."""
    match = _PERIOD_RE.match(period.strip())
    if match is None:
        raise refuse(f"保密期限“{period}”不规范, 应写作 N年 或 N个月",
                      classification_period=period)
    n = int(match["n"])
    return n * 12 if match["unit"] == "年" else n


def check_classification(mark: ClassificationMark) -> ClassificationMark:
    """密级和保密期限 (GB/T 9704 §7.2.2): the period within the limit of the level, or the
    limit when none is stated; a document that is not classified has none."""
    if not is_classified(mark.level):
        if mark.period:
            raise refuse("非密公文不标保密期限", classification_period=mark.period)
        return mark
    limit = PERIOD_LIMIT_MONTHS[mark.level]
    if not (mark.period and mark.period.strip()):
        return mark.model_copy(update={"period": f"{limit // 12}年"})
    months = period_months(mark.period)
    if months > limit:
        raise refuse(f"{mark.level.value}公文保密期限不得超过{limit // 12}年",
                      classification=mark.level.value, classification_period=mark.period,
                      limit_years=limit // 12)
    return mark.model_copy(update={"period": mark.period.strip()})


_NOTE_NUMBER_RE = re.compile(r"^\s*(?P<n>[0-9]+)[.．、]")


def check_attachment_notes(attachments: list[Attachment], notes: list[str]) -> list[str]:
    """附件说明 (GB/T 9704 §7.3.4): one note per attachment, in their order (numbered 1.,
    2. ... when several). A draft with attachments and no notes gets them from the
    attachments' names; notes without their attachments are refused."""
    if any(not n.strip() for n in notes):
        raise refuse("附件说明不能为空白")
    if not notes:
        return [a.name.rsplit(".", 1)[0] if "." in a.name.strip(".") else a.name
                for a in attachments]
    if len(notes) != len(attachments):
        raise refuse(f"附件说明有{len(notes)}项, 所附附件有{len(attachments)}件, 须一一对应",
                      attachment_notes=len(notes), attachments=len(attachments))
    for position, note in enumerate(notes, start=1):
        match = _NOTE_NUMBER_RE.match(note)
        if match is not None and int(match["n"]) != position:
            raise refuse(f"附件说明“{note}”的顺序号应为{position}", attachment_note=note)
    return list(notes)


@dataclass(frozen=True)
class AnsweredRequest:
    """The 请示 a 批复 answers, as the office received it (a 收文)."""

    id: str
    doc_type: DocType
    issuer: str
    issuer_doc_number: str | None = None


def check_reply_link(doc_type: DocType, replies_to: str | None,
                     request: AnsweredRequest | None, main: list[str] | None = None) -> None:
    """A 批复 answers a 请示 (条例 Art. 8(十二): 批复适用于答复下级机关请示事项), names it and
    is addressed to the organ that asked; no other 文种 names a 请示."""
    if doc_type is not DocType.reply_to_request:
        if replies_to is not None:
            raise refuse("只有批复须注明所批复的请示", replies_to=replies_to)
        return
    if not replies_to:
        raise refuse("批复须注明所批复的请示 (replies_to)")
    if request is None or request.id != replies_to:
        raise refuse(f"所批复的请示 {replies_to} 不存在", replies_to=replies_to)
    if request.doc_type is not DocType.request_for_instruction:
        raise refuse(f"批复只能答复请示, {replies_to} 是{request.doc_type.value}",
                      replies_to=replies_to, doc_type=request.doc_type.value)
    if main is not None and request.issuer not in main:
        raise refuse(f"批复应主送请示机关 {request.issuer}", replies_to=replies_to,
                      main_recipients=main, requested_by=request.issuer)


def check_disclosure(level: Classification, attribute: DisclosureAttribute,
                     reason: str | None) -> None:
    """公开属性: 不予公开 states its reason; a classified document is never 主动公开."""
    if is_classified(level) and attribute is DisclosureAttribute.proactive:
        raise refuse(f"{level.value}公文不得主动公开", classification=level.value)
    if attribute is DisclosureAttribute.not_public and not (reason and reason.strip()):
        raise refuse("不予公开须说明理由")


def normalise_attachments(items: Iterable[Attachment]) -> list[Attachment]:
    """Attachments with their SHA-256 and size; the digest is what the archive and
    disclosure check the content against, so it is computed here, never taken on trust."""
    out: list[Attachment] = []
    names: set[str] = set()
    for item in items:
        if item.name in names:
            raise refuse(f"附件“{item.name}”重复", attachment=item.name)
        names.add(item.name)
        if item.content_base64 is not None:
            try:
                raw = base64.b64decode(item.content_base64, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise refuse(f"附件“{item.name}”的内容不是有效的 base64",
                              attachment=item.name) from exc
            digest = hashlib.sha256(raw).hexdigest()
            if item.sha256 is not None and item.sha256 != digest:
                raise refuse(f"附件“{item.name}”的 SHA-256 与内容不符", attachment=item.name)
            item = item.model_copy(update={"sha256": digest, "size": len(raw)})
        elif item.sha256 is None:
            raise refuse(f"附件“{item.name}”须附内容或 SHA-256", attachment=item.name)
        out.append(item)
    return out


def _without_content(items: Iterable[Attachment]) -> list[Attachment]:
    return [a.model_copy(update={"content_base64": None}) for a in items]


def _open_text(doc: OutgoingDocument, text: str | None) -> str | None:
    # The title and wording of a classified document (its comments and revision notes too)
    # never leave the documents service in an event (保密: 涉密公文不得在非涉密系统中传递).
    return None if is_classified(doc.classification_level) else text


def check_normative(normative: bool, registration_number: str | None,
                    disclosure: DisclosureAttribute) -> None:
    """行政规范性文件 are disclosed proactively (政府信息公开条例第二十条第(一)项); the 统一登记号
    is given by the 司法行政部门's registration, often after drafting, so it may be missing,
    but only a 规范性文件 has one."""
    if registration_number is not None and not normative:
        raise refuse("只有行政规范性文件才有统一登记号", field="normative_registration_number")
    if normative and disclosure is not DisclosureAttribute.proactive:
        raise refuse("行政规范性文件应当主动公开 (政府信息公开条例第二十条)",
                      field="disclosure")


def draft(document_id: str, cmd: DraftOutgoing, principal: Principal, at: datetime,
          request: AnsweredRequest | None = None) -> Change[OutgoingDocument]:
    """起草; ``request`` is the 请示 a 批复 answers, as the office received it."""
    actor = act_as(principal, Role.drafter, step="起草")
    if not actor.department:
        raise refuse("拟稿人须属于一个部门 (department)")
    return _drafted(document_id, cmd, actor, actor.department, at, request)


def draft_requested(document_id: str, cmd: DraftRequestedOutgoing, principal: Principal,
                    at: datetime, requesters: Iterable[str]) -> Change[OutgoingDocument]:
    """代拟: a draft another service asks for as itself (e.g. supervision's 督办通知书, issue
    13), written for the asking office's department (拟稿部门) under its 机关代字.

    Only a service the office allows (``requesters``) may ask, as its own system principal:
    a user of any role, or a service not allowed, is refused before anything is checked.
    The draft is then an ordinary 发文 (条例 Art. 19-25): 核稿, 签发, 复核, 登记 from the
    register of its 机关代字, 印制, 核发, by the office's staff; the drafting department's
    drafters revise it when it is returned. Not classified: its text came over the bus."""
    service = next((name for name in requesters if principal == Principal.system(name)), None)
    if service is None:
        raise GovbusError(ErrorCode.forbidden, "代拟发文只受理本办允许的服务的请求",
                          step="代拟")
    if cmd.requested_by.service != service:
        raise refuse(f"请求方 {cmd.requested_by.service} 与发出请求的服务 {service} 不符",
                     requested_by=cmd.requested_by.service)
    shown = f"{cmd.drafting_department}({cmd.requested_by.service_name or service})"
    actor = Actor(principal.subject, shown, "system", cmd.drafting_department)
    fields = DraftOutgoing.model_validate(cmd.model_dump(
        exclude={"requested_by", "drafting_department"}))
    label = cmd.requested_by.label or cmd.requested_by.reference
    return _drafted(document_id, fields, actor, cmd.drafting_department, at,
                    requested_by=cmd.requested_by,
                    remarks=f"代拟: {cmd.requested_by.kind} {label}")


def _drafted(document_id: str, cmd: DraftOutgoing, actor: Actor, department: str,
             at: datetime, request: AnsweredRequest | None = None, *,
             requested_by: RequestedBy | None = None,
             remarks: str | None = None) -> Change[OutgoingDocument]:
    """The first revision of a draft written by ``actor`` for ``department`` (拟稿部门)."""
    validate_issuer_code(cmd.issuer_code)
    direction = resolve_direction(cmd.doc_type, cmd.direction)
    check_recipients(cmd.doc_type, cmd.main_recipients, cmd.cc_recipients, direction,
                     cmd.lower_level_recipients)
    outside = sorted(set(cmd.recipient_departments) - {*cmd.main_recipients, *cmd.cc_recipients})
    if outside:
        raise refuse(f"{'、'.join(outside)} 不在主送或抄送机关之列", departments=outside)
    check_reply_link(cmd.doc_type, cmd.replies_to, request, list(cmd.main_recipients))
    classification = check_classification(cmd.classification)
    check_disclosure(classification.level, cmd.disclosure, cmd.disclosure_reason)
    check_normative(cmd.normative_document, cmd.normative_registration_number, cmd.disclosure)
    attachments = normalise_attachments(cmd.attachments)
    notes = check_attachment_notes(attachments, list(cmd.attachment_notes))
    first = Revision(number=1, title=cmd.title, body=cmd.body,
                     attachments=_without_content(attachments),
                     attachment_notes=notes, author=actor.subject,
                     author_name=actor.name, at=at, summary="初稿")
    departments = list(dict.fromkeys([department, *cmd.recipient_departments]))
    doc = OutgoingDocument(
        id=document_id, status=S.drafted, doc_type=cmd.doc_type, direction=direction,
        title=cmd.title, body=cmd.body, revisions=[first], current_revision=1,
        main_recipients=list(cmd.main_recipients), cc_recipients=list(cmd.cc_recipients),
        recipient_departments=list(cmd.recipient_departments),
        lower_level_recipients=list(cmd.lower_level_recipients),
        replies_to=cmd.replies_to,
        replies_to_doc_number=request.issuer_doc_number if request is not None else None,
        classification=classification, classification_level=classification.level,
        urgency=cmd.urgency, disclosure=cmd.disclosure,
        disclosure_reason=cmd.disclosure_reason, issuer_code=cmd.issuer_code,
        issuing_organ=cmd.issuing_organ, drafting_department=department,
        drafter=actor.subject, drafter_name=actor.name, drafted_at=at, attachments=attachments,
        attachment_notes=notes, remarks=cmd.remarks,
        normative_document=cmd.normative_document,
        normative_registration_number=cmd.normative_registration_number,
        departments=departments, requested_by=requested_by,
        history=[_history(actor, at, "起草", remarks)],
    )
    return _changed(doc, OutgoingDrafted(
        document_id=document_id, doc_type=doc.doc_type, direction=direction,
        issuer_code=doc.issuer_code, drafting_department=doc.drafting_department,
        classification_level=doc.classification_level, urgency=doc.urgency,
        disclosure=doc.disclosure, title=_open_text(doc, doc.title), revision=1,
        drafted_by=actor.subject, drafted_at=at, requested_by=requested_by))


def may_revise(doc: OutgoingDocument, actor: Actor) -> bool:
    """The drafter revises their own draft; a draft asked for by a service (代拟) is held by
    its drafting department, whose drafters revise it."""
    if doc.requested_by is not None:
        return actor.department == doc.drafting_department
    return doc.drafter == actor.subject


def revise(doc: OutgoingDocument, cmd: ReviseOutgoing, principal: Principal,
           at: datetime) -> Change[OutgoingDocument]:
    """修改: only the drafter, only their own draft, only before it is approved."""
    actor = act_as(principal, Role.drafter, step="修改")
    if not may_revise(doc, actor):
        raise GovbusError(ErrorCode.forbidden, "只有拟稿人本人可以修改其草稿", id=doc.id)
    _require_step(doc, "修改")
    attachments = (normalise_attachments(cmd.attachments) if cmd.attachments is not None
                   else doc.attachments)
    notes = list(cmd.attachment_notes) if cmd.attachment_notes is not None \
        else doc.attachment_notes
    if cmd.attachments is not None and cmd.attachment_notes is None \
            and len(notes) != len(attachments):
        notes = []  # new attachments, the old notes no longer fit: from the names
    notes = check_attachment_notes(attachments, notes)
    title = cmd.title or doc.title
    number = doc.current_revision + 1
    revision = Revision(number=number, title=title, body=cmd.body,
                        attachments=_without_content(attachments), attachment_notes=notes,
                        author=actor.subject, author_name=actor.name, at=at,
                        summary=cmd.summary)
    new = doc.model_copy(update={
        "status": S.drafted, "title": title, "body": cmd.body, "attachments": attachments,
        "attachment_notes": notes, "revisions": [*doc.revisions, revision],
        "current_revision": number,
        "history": [*doc.history, _history(actor, at, "修改", cmd.summary)],
    })
    return _changed(new, OutgoingRevised(
        document_id=doc.id, classification_level=doc.classification_level, revision=number,
        summary=_open_text(doc, cmd.summary), revised_by=actor.subject, revised_at=at))


def review(doc: OutgoingDocument, cmd: ReviewOutgoing, principal: Principal,
           at: datetime) -> Change[OutgoingDocument]:
    """审核 (核稿): approve for signing, or return to the drafter with comments."""
    actor = act_as(principal, Role.reviewer, step="审核")
    _require_step(doc, "审核")
    _require_current_revision(doc, cmd.revision, "审核")
    returned = cmd.decision is ReviewDecision.returned
    if returned and not (cmd.comments and cmd.comments.strip()):
        raise refuse("退回修改须写明意见")
    record = ReviewRecord(revision=doc.current_revision, decision=cmd.decision,
                          reviewer=actor.subject, reviewer_name=actor.name, at=at,
                          comments=cmd.comments)
    action = "退回修改" if returned else "审核通过"
    new = doc.model_copy(update={
        "status": S.returned if returned else S.awaiting_signature,
        "reviews": [*doc.reviews, record],
        "history": [*doc.history, _history(actor, at, action, cmd.comments)],
    })
    event: Event
    if returned:
        event = OutgoingReturned(
            document_id=doc.id, classification_level=doc.classification_level,
            revision=doc.current_revision, drafter=doc.drafter,
            comments=_open_text(doc, cmd.comments), returned_by=actor.subject,
            returned_at=at)
    else:
        event = OutgoingReviewed(
            document_id=doc.id, classification_level=doc.classification_level,
            revision=doc.current_revision, reviewed_by=actor.subject, reviewed_at=at)
    return _changed(new, event)


def sign_off(doc: OutgoingDocument, cmd: SignOffOutgoing, principal: Principal, at: datetime,
             today: date) -> Change[OutgoingDocument]:
    """签发: the signer's name and the signing date (成文日期) are recorded; every 上行文
    also prints the signer in its header (签发人, GB/T 9704 §7.2.6)."""
    actor = act_as(principal, Role.signer, step="签发")
    _require_step(doc, "签发")
    _require_current_revision(doc, cmd.revision, "签发")
    re_signed = doc.status is S.awaiting_re_signature
    name = actor.name or actor.subject
    record = SignOffRecord(revision=doc.current_revision, signer=name, signer_id=actor.subject,
                           at=at, date_of_writing=today, opinion=cmd.opinion,
                           re_signed=re_signed)
    new = doc.model_copy(update={
        "status": S.signed, "signed_revision": doc.current_revision, "signer": name,
        "signer_id": actor.subject, "date_of_writing": today,
        "header_signer": name if direction_of(doc) is D.upward else None,
        "sign_offs": [*doc.sign_offs, record],
        "history": [*doc.history, _history(actor, at, "重新签发" if re_signed else "签发",
                                           cmd.opinion)],
    })
    return _changed(new, OutgoingSigned(
        document_id=doc.id, doc_type=doc.doc_type, classification_level=doc.classification_level,
        revision=doc.current_revision, signer=name, date_of_writing=today, re_signed=re_signed,
        signed_at=at))


def recheck(doc: OutgoingDocument, cmd: RecheckOutgoing, principal: Principal,
            at: datetime) -> Change[OutgoingDocument]:
    """复核: a substantive change made after sign-off goes back to the signer (Art. 25)."""
    actor = act_as(principal, Role.registrar, Role.reviewer, step="复核")
    _require_step(doc, "复核")
    changed = cmd.changed_body is not None or cmd.changed_title is not None
    updates: dict[str, object]
    number = doc.current_revision
    if cmd.substantive_change:
        if not changed:
            raise refuse("实质性修改须附修改后的正文或标题")
        if not (cmd.change_summary and cmd.change_summary.strip()):
            raise refuse("实质性修改须写明修改说明")
        title = cmd.changed_title or doc.title
        body = cmd.changed_body or doc.body
        if title == doc.title and body == doc.body:
            raise refuse("修改后的文稿与签发稿相同")
        number += 1
        revision = Revision(
            number=number, title=title, body=body, attachments=_without_content(doc.attachments),
            attachment_notes=doc.attachment_notes, author=actor.subject,
            author_name=actor.name, at=at, summary=cmd.change_summary)
        updates = {"title": title, "body": body, "revisions": [*doc.revisions, revision],
                   "current_revision": number, "status": S.awaiting_re_signature}
    else:
        if changed:
            # The signed text may change only with the signer's knowledge: a change reported
            # as not substantive would bypass re-signing.
            raise refuse("签发后对文稿的修改须作为实质性修改报签发人重新签发")
        updates = {"status": S.rechecked}
    record = RecheckRecord(by=actor.subject, by_name=actor.name, at=at,
                           substantive_change=cmd.substantive_change, revision=number,
                           remarks=cmd.remarks or cmd.change_summary)
    action = "复核 (实质性修改, 退签发人)" if cmd.substantive_change else "复核"
    new = doc.model_copy(update={
        **updates, "rechecks": [*doc.rechecks, record],
        "history": [*doc.history, _history(actor, at, action,
                                           cmd.change_summary or cmd.remarks)],
    })
    return _changed(new, OutgoingRechecked(
        document_id=doc.id, classification_level=doc.classification_level,
        substantive_change=cmd.substantive_change, revision=number, status=new.status,
        rechecked_by=actor.subject, rechecked_at=at))


# --- registration, printing, dispatch ----------------------------------------------------------


def check_signed_as_required(doc: OutgoingDocument) -> None:
    """The text to be numbered is the text the signer signed, with the 签发人 element an
    upward document needs."""
    if doc.signer is None or doc.date_of_writing is None or doc.signed_revision is None:
        raise GovbusError(ErrorCode.invalid_transition, "公文未经签发", status=doc.status.value)
    if doc.signed_revision != doc.current_revision:
        raise GovbusError(ErrorCode.invalid_transition, "当前文稿不是签发稿, 须重新签发",
                          signed_revision=doc.signed_revision,
                          current_revision=doc.current_revision)
    if direction_of(doc) is D.upward and not doc.header_signer:
        # GB/T 9704 §7.2.6: 上报的公文需标注签发人姓名.
        raise GovbusError(ErrorCode.invalid_transition,
                          f"上行文 ({doc.doc_type.value}) 须标注签发人",
                          doc_type=doc.doc_type.value)


def check_registrable(doc: OutgoingDocument, principal: Principal) -> Actor:
    """Everything 登记 needs before a number is taken, so no number is taken in vain."""
    actor = act_as(principal, Role.registrar, step="登记")
    _require_step(doc, "登记")
    check_signed_as_required(doc)
    return actor


def number_series(doc: OutgoingDocument) -> NumberSeries:
    """The series the document is numbered in: 令号 for a 令, 期号 for a 纪要, else 发文字号."""
    return series_of(doc.doc_type)


def number_year(doc: OutgoingDocument) -> int:
    """The year in the 发文字号: that of the 成文日期, so a registration retried across a
    new year finds the number it took in the old one."""
    if doc.date_of_writing is None:
        raise GovbusError(ErrorCode.invalid_transition, "公文未经签发, 没有成文日期")
    return doc.date_of_writing.year


def plan_distribution(doc: OutgoingDocument, distribution: list[DistributionEntry],
                      copies: int | None) -> tuple[list[DistributionEntry], int]:
    """分送范围 and 份数: every main and cc recipient receives at least one copy; other
    entries (存档, 领导) may be added."""
    if not distribution:
        distribution = [DistributionEntry(recipient=r, copies=1) for r, _ in doc.recipients]
    names = [d.recipient for d in distribution]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise refuse(f"分送范围中 {'、'.join(duplicates)} 重复", duplicates=duplicates)
    missing = [r for r, _ in doc.recipients if r not in names]
    if missing:
        raise refuse(f"分送范围缺少 {'、'.join(missing)}", missing=missing)
    needed = sum(d.copies for d in distribution)
    if copies is not None and copies < needed:
        raise refuse(f"份数 {copies} 少于分送所需的 {needed} 份", copies=copies, needed=needed)
    return distribution, copies if copies is not None else needed


def register(doc: OutgoingDocument, entry: NumberEntry, cmd: RegisterOutgoing,
             principal: Principal, at: datetime) -> Change[OutgoingDocument]:
    """登记: the number taken from the register, the distribution and the copies."""
    actor = check_registrable(doc, principal)
    series, year, serial = number_series(doc), number_year(doc), entry.serial
    if entry.document_id != doc.id or entry.doc_number != format_number(
            series, doc.issuer_code, year, serial):
        raise GovbusError(ErrorCode.conflict, f"{entry.doc_number} 不是这份公文的文号",
                          doc_number=entry.doc_number)
    distribution, copies = plan_distribution(doc, list(cmd.distribution), cmd.copies)
    new = doc.model_copy(update={
        "status": S.registered, "doc_number": entry.doc_number, "number_series": series,
        "number_year": year,
        "number_serial": serial, "distribution": distribution, "copies": copies,
        "history": [*doc.history, _history(actor, at, "登记",
                                           entry.doc_number)],
    })
    return _changed(new, OutgoingNumbered(
        document_id=doc.id, doc_type=doc.doc_type,
        classification_level=doc.classification_level, doc_number=entry.doc_number,
        series=series, issuer_code=doc.issuer_code, year=year, serial=serial,
        title=_open_text(doc, doc.title),
        numbered_by=actor.subject, numbered_at=at, requested_by=doc.requested_by))


def print_document(doc: OutgoingDocument, cmd: PrintOutgoing, principal: Principal, at: datetime,
                   today: date) -> Change[OutgoingDocument]:
    """印制: 印发机关, 印发日期 (not before the 成文日期) and the copies printed."""
    actor = act_as(principal, Role.registrar, step="印制")
    _require_step(doc, "印制")
    printing_date = cmd.printing_date or today
    if doc.date_of_writing is not None and printing_date < doc.date_of_writing:
        raise refuse(f"印发日期 {printing_date} 早于成文日期 {doc.date_of_writing}")
    needed = sum(d.copies for d in doc.distribution)
    copies = cmd.copies or doc.copies or needed
    if copies < needed:
        raise refuse(f"印制 {copies} 份, 少于分送所需的 {needed} 份", copies=copies,
                      needed=needed)
    assert doc.doc_number is not None  # registered
    new = doc.model_copy(update={
        "status": S.printed, "printing_office": cmd.printing_office,
        "printing_date": printing_date, "copies": copies,
        "history": [*doc.history, _history(actor, at, "印制",
                                           f"{cmd.printing_office} {copies}份")],
    })
    return _changed(new, OutgoingPrinted(
        document_id=doc.id, classification_level=doc.classification_level,
        doc_number=doc.doc_number, copies=copies, printing_office=cmd.printing_office,
        printing_date=printing_date, printed_by=actor.subject, printed_at=at))


def dispatch(doc: OutgoingDocument, cmd: DispatchOutgoing, principal: Principal,
             at: datetime) -> Change[OutgoingDocument]:
    """核发: every main and cc recipient, each recorded with its time; a dispatch that
    leaves a recipient out is refused, so 已核发 always means everyone was served."""
    actor = act_as(principal, Role.registrar, step="核发")
    _require_step(doc, "核发")
    kinds = dict(doc.recipients)
    listed = [d.recipient for d in cmd.dispatches]
    duplicates = sorted({r for r in listed if listed.count(r) > 1})
    if duplicates:
        raise refuse(f"{'、'.join(duplicates)} 重复", duplicates=duplicates)
    unknown = [r for r in listed if r not in kinds]
    if unknown:
        raise refuse(f"{'、'.join(unknown)} 不是本文的主送或抄送机关", unknown=unknown)
    missing = [r for r, _ in doc.recipients if r not in listed]
    if missing:
        raise refuse(f"核发须送达每一个主送、抄送机关, 缺少 {'、'.join(missing)}",
                      missing=missing)
    channels = [dispatch_channel(d) for d in cmd.dispatches]
    if is_classified(doc.classification_level):
        # 条例 Art. 25(四): 涉密公文应当通过机要交通、邮政机要通信、城市机要文件交换站或者
        # 收发件机关机要收发人员进行传递, 通过密码电报或者符合国家保密规定的计算机信息系统进行传输.
        open_ways = [d.recipient for d, c in zip(cmd.dispatches, channels, strict=True)
                     if c not in CONFIDENTIAL_CHANNELS]
        if open_ways:
            raise refuse(f"{doc.classification_level.value}公文只能通过机要渠道核发: "
                          f"{'、'.join(open_ways)}", recipients=open_ways,
                          allowed=sorted(c.value for c in CONFIDENTIAL_CHANNELS))
    records = [DispatchRecord(recipient=d.recipient, kind=kinds[d.recipient],
                              means=d.means or (c.value if c is not None else None),
                              channel=c, at=at, by=actor.subject)
               for d, c in zip(cmd.dispatches, channels, strict=True)]
    new = doc.model_copy(update={
        "status": S.dispatched, "dispatches": records, "dispatched_at": at,
        "history": [*doc.history, _history(actor, at, "核发",
                                           f"{len(records)}个单位")],
    })
    return _changed(new, dispatched_fact(new))


#: Names offices write for a channel, kept so that a 分发方式 given as text (``means``, the
#: field before ``channel``) still finds its channel.
CHANNEL_ALIASES: dict[str, DispatchChannel] = {
    "机要交换": DispatchChannel.confidential_exchange,
    "机要文件交换": DispatchChannel.confidential_exchange,
    "城市机要文件交换站": DispatchChannel.confidential_exchange,
    "机要通信": DispatchChannel.confidential_post,
    "机要邮寄": DispatchChannel.confidential_post,
    "机要专递": DispatchChannel.confidential_post,
    "涉密电子公文传输": DispatchChannel.classified_network,
    "电子公文传输系统": DispatchChannel.electronic,
    "电子公文交换": DispatchChannel.electronic,
    "邮寄": DispatchChannel.post,
    "专人递送": DispatchChannel.courier,
}


def channel_named(text: str) -> DispatchChannel:
    """The channel a 分发方式 written as text names, or validation_failed."""
    name = text.strip()
    try:
        return DispatchChannel(name)
    except ValueError:
        if name in CHANNEL_ALIASES:
            return CHANNEL_ALIASES[name]
    raise refuse(f"分发方式“{text}”不在规定之列", means=text,
                  allowed=[c.value for c in DispatchChannel])


def dispatch_channel(entry: DispatchEntry) -> DispatchChannel | None:
    """The channel of one 核发 entry: ``channel``, or the one ``means`` names (both: they
    agree); None when neither says."""
    named = channel_named(entry.means) if entry.means is not None else None
    if entry.channel is not None and named is not None and named is not entry.channel:
        raise refuse(f"分发方式 {entry.channel.value} 与 {entry.means} 不一致",
                      recipient=entry.recipient)
    return entry.channel or named


def dispatched_fact(doc: OutgoingDocument) -> OutgoingDispatched:
    """The dispatched fact: what disclosure publishes for a 主动公开 document, references
    only for the others."""
    assert doc.doc_number is not None and doc.dispatched_at is not None
    fact = OutgoingDispatched(
        document_id=doc.id, doc_number=doc.doc_number, doc_type=doc.doc_type,
        disclosure=doc.disclosure, classification_level=doc.classification_level,
        dispatched_at=doc.dispatched_at, recipients=len(doc.dispatches),
        requested_by=doc.requested_by)
    if doc.disclosure is not DisclosureAttribute.proactive or is_classified(
            doc.classification_level):
        return fact
    return fact.model_copy(update={
        "title": doc.title, "body": doc.body, "issuing_organ": doc.issuing_organ,
        "date_of_writing": doc.date_of_writing,
        "normative_document": doc.normative_document,
        "normative_registration_number": doc.normative_registration_number,
        "attachments": [AttachmentDigest(name=a.name, sha256=a.sha256, media_type=a.media_type,
                                         size=a.size) for a in doc.attachments],
    })
