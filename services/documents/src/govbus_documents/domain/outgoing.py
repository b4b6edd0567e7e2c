"""发文办理: the rules of an outgoing document, from 起草 to 核发.

[党政机关公文处理工作条例 2012, Art. 19-26; GB/T 9704-2012]

- 起草 (Art. 19): the drafter writes the document for their department; the 公开属性 is
  decided at drafting (主动公开 / 依申请公开 / 不予公开 with its reason), and a classified
  document carries its 保密期限 and is never 主动公开.
- 审核 (Art. 20, 核稿): the reviewer approves the draft for signing or returns it with
  comments; the drafter revises, and every revision is kept with its text.
- 签发 (Art. 22): only an authorised signer signs; the signing date is the 成文日期, and
  upward documents (请示, 报告) print the signer's name (签发人, GB/T 9704 §7.2.6). A 请示
  has one main recipient (Art. 15: 请示应当一文一事, 一般只写一个主送机关).
- 复核 (Art. 25): before printing, the signed document is checked; a substantive change
  goes back to the signer.
- 登记 (Art. 25): the 发文字号 comes from the number register (numbering.py), with the
  distribution and copies; 印制 records 印发机关 and 印发日期; 核发 serves every main and cc
  recipient and is complete only when each is recorded.
- 归档 belongs to the archive: it finds documents in status 已核发.

Steps are pure functions: a document, the step's input, who acts and when in; the new
document and the facts to publish out. A step out of order is refused with
invalid_transition and changes nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from pydantic import Field

from govbus_contracts.base import Event
from govbus_contracts.envelope import Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.documents.common import (
    UPWARD_TYPES,
    Attachment,
    Classification,
    ClassificationMark,
    DisclosureAttribute,
    DocType,
    Role,
    Urgency,
)
from govbus_contracts.services.documents.outgoing import (
    AttachmentDigest,
    DispatchOutgoing,
    DispatchRecord,
    DistributionEntry,
    DraftOutgoing,
    HistoryEntry,
    NumberEntry,
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
    ReviewDecision,
    ReviewOutgoing,
    ReviewRecord,
    ReviseOutgoing,
    Revision,
    SignOffOutgoing,
    SignOffRecord,
)
from govbus_documents.domain.access import is_classified
from govbus_documents.domain.numbering import parse_doc_number, validate_issuer_code
from govbus_kit.repository import Aggregate

COLLECTION = "outgoing"

S = OutgoingStatus

#: From which states each step may be taken (anything else: invalid_transition).
ALLOWED_FROM: dict[str, frozenset[OutgoingStatus]] = {
    "修改": frozenset({S.drafted, S.returned}),
    "审核": frozenset({S.drafted}),
    "签发": frozenset({S.awaiting_signature, S.awaiting_re_signature}),
    "复核": frozenset({S.signed}),
    "登记": frozenset({S.rechecked}),
    "印制": frozenset({S.registered}),
    "核发": frozenset({S.printed}),
    "归档": frozenset({S.dispatched}),
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
    title: str = Field(description="标题")
    body: str = Field(description="正文")
    revisions: list[Revision] = Field(default_factory=list)
    current_revision: int = 1
    signed_revision: int | None = Field(default=None, description="签发稿 (稿次)")
    main_recipients: list[str] = Field(default_factory=list, description="主送机关")
    cc_recipients: list[str] = Field(default_factory=list, description="抄送机关")
    recipient_departments: list[str] = Field(default_factory=list)
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
    number_year: int | None = None
    number_serial: int | None = None
    distribution: list[DistributionEntry] = Field(default_factory=list, description="分送")
    copies: int | None = Field(default=None, description="份数")
    printing_office: str | None = Field(default=None, description="印发机关")
    printing_date: date | None = Field(default=None, description="印发日期")
    dispatches: list[DispatchRecord] = Field(default_factory=list, description="核发记录")
    dispatched_at: datetime | None = None
    history: list[HistoryEntry] = Field(default_factory=list)

    @property
    def recipients(self) -> list[tuple[str, str]]:
        """(recipient, 主送/抄送) in the order of the document."""
        return [(r, MAIN) for r in self.main_recipients] + [(r, CC) for r in self.cc_recipients]


@dataclass
class Step:
    """What a step produced: the new document and the facts to publish with it."""

    document: OutgoingDocument
    events: list[Event] = field(default_factory=list)


# --- guards ------------------------------------------------------------------------------------


def _refuse(message: str, **details: object) -> GovbusError:
    return GovbusError(ErrorCode.validation_failed, message, **details)


def require_role(actor: Principal, *roles: Role, action: str) -> Role:
    """The role the actor exercises for ``action``, or forbidden."""
    for role in roles:
        if role in actor.roles:
            return role
    raise GovbusError(ErrorCode.forbidden, f"{action}须由 {'/'.join(roles)} 办理",
                      action=action, required_roles=[r.value for r in roles])


def require_status(doc: OutgoingDocument, action: str) -> None:
    if doc.status not in ALLOWED_FROM[action]:
        raise GovbusError(ErrorCode.invalid_transition,
                          f"公文处于“{doc.status.value}”状态, 不能{action}",
                          action=action, status=doc.status.value,
                          allowed_from=sorted(s.value for s in ALLOWED_FROM[action]))


def _require_current_revision(doc: OutgoingDocument, revision: int | None, action: str) -> None:
    # The decision binds the text the reviewer or signer read: a revision written meanwhile
    # must be read before it is approved or signed.
    if revision is not None and revision != doc.current_revision:
        raise GovbusError(ErrorCode.conflict,
                          f"{action}的是第{revision}稿, 当前为第{doc.current_revision}稿",
                          revision=revision, current_revision=doc.current_revision)


def _history(actor: Principal, role: Role, at: datetime, action: str,
             remarks: str | None = None) -> HistoryEntry:
    return HistoryEntry(at=at, actor=actor.subject, actor_name=actor.name, role=role.value,
                        action=action, remarks=remarks)


# --- rules of drafting ---------------------------------------------------------------------


def check_recipients(doc_type: DocType, main: list[str], cc: list[str]) -> None:
    """Recipients named once each; a 请示 has exactly one main recipient (Art. 15)."""
    everyone = [*main, *cc]
    if any(not r.strip() for r in everyone):
        raise _refuse("主送、抄送机关不能为空白")
    duplicates = sorted({r for r in everyone if everyone.count(r) > 1})
    if duplicates:
        raise _refuse(f"{'、'.join(duplicates)} 重复列出 (主送与抄送不得重复)",
                      duplicates=duplicates)
    if doc_type is DocType.request_for_instruction and len(main) != 1:
        raise _refuse("请示只能有一个主送机关", main_recipients=main)


def check_classification(mark: ClassificationMark) -> None:
    """A classified document says for how long (密级和保密期限, GB/T 9704 §7.2.2)."""
    if is_classified(mark.level) and not (mark.period and mark.period.strip()):
        raise _refuse(f"{mark.level.value}公文须标明保密期限", classification=mark.level.value)
    if not is_classified(mark.level) and mark.period:
        raise _refuse("非密公文不标保密期限", classification_period=mark.period)


def check_disclosure(level: Classification, attribute: DisclosureAttribute,
                     reason: str | None) -> None:
    """公开属性: 不予公开 states its reason; a classified document is never 主动公开."""
    if is_classified(level) and attribute is DisclosureAttribute.proactive:
        raise _refuse(f"{level.value}公文不得主动公开", classification=level.value)
    if attribute is DisclosureAttribute.not_public and not (reason and reason.strip()):
        raise _refuse("不予公开须说明理由")


def normalise_attachments(items: Iterable[Attachment]) -> list[Attachment]:
    """Attachments with their SHA-256 and size; the digest is what the archive and
    disclosure check the content against, so it is computed here, never taken on trust."""
    out: list[Attachment] = []
    names: set[str] = set()
    for item in items:
        if item.name in names:
            raise _refuse(f"附件“{item.name}”重复", attachment=item.name)
        names.add(item.name)
        if item.content_base64 is not None:
            try:
                raw = base64.b64decode(item.content_base64, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise _refuse(f"附件“{item.name}”的内容不是有效的 base64",
                              attachment=item.name) from exc
            digest = hashlib.sha256(raw).hexdigest()
            if item.sha256 is not None and item.sha256 != digest:
                raise _refuse(f"附件“{item.name}”的 SHA-256 与内容不符", attachment=item.name)
            item = item.model_copy(update={"sha256": digest, "size": len(raw)})
        elif item.sha256 is None:
            raise _refuse(f"附件“{item.name}”须附内容或 SHA-256", attachment=item.name)
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
        raise _refuse("只有行政规范性文件才有统一登记号", field="normative_registration_number")
    if normative and disclosure is not DisclosureAttribute.proactive:
        raise _refuse("行政规范性文件应当主动公开 (政府信息公开条例第二十条)",
                      field="disclosure")


def draft(document_id: str, cmd: DraftOutgoing, actor: Principal, at: datetime) -> Step:
    """起草."""
    role = require_role(actor, Role.drafter, action="起草")
    if not actor.department:
        raise _refuse("拟稿人须属于一个部门 (department)")
    validate_issuer_code(cmd.issuer_code)
    check_recipients(cmd.doc_type, cmd.main_recipients, cmd.cc_recipients)
    outside = sorted(set(cmd.recipient_departments) - {*cmd.main_recipients, *cmd.cc_recipients})
    if outside:
        raise _refuse(f"{'、'.join(outside)} 不在主送或抄送机关之列", departments=outside)
    check_classification(cmd.classification)
    check_disclosure(cmd.classification.level, cmd.disclosure, cmd.disclosure_reason)
    check_normative(cmd.normative_document, cmd.normative_registration_number, cmd.disclosure)
    attachments = normalise_attachments(cmd.attachments)
    first = Revision(number=1, title=cmd.title, body=cmd.body,
                     attachments=_without_content(attachments),
                     attachment_notes=list(cmd.attachment_notes), author=actor.subject,
                     author_name=actor.name, at=at, summary="初稿")
    departments = list(dict.fromkeys([actor.department, *cmd.recipient_departments]))
    doc = OutgoingDocument(
        id=document_id, status=S.drafted, doc_type=cmd.doc_type, title=cmd.title,
        body=cmd.body, revisions=[first], current_revision=1,
        main_recipients=list(cmd.main_recipients), cc_recipients=list(cmd.cc_recipients),
        recipient_departments=list(cmd.recipient_departments),
        classification=cmd.classification, classification_level=cmd.classification.level,
        urgency=cmd.urgency, disclosure=cmd.disclosure,
        disclosure_reason=cmd.disclosure_reason, issuer_code=cmd.issuer_code,
        issuing_organ=cmd.issuing_organ, drafting_department=actor.department,
        drafter=actor.subject, drafter_name=actor.name, drafted_at=at, attachments=attachments,
        attachment_notes=list(cmd.attachment_notes), remarks=cmd.remarks,
        normative_document=cmd.normative_document,
        normative_registration_number=cmd.normative_registration_number,
        departments=departments, history=[_history(actor, role, at, "起草")],
    )
    return Step(doc, [OutgoingDrafted(
        document_id=document_id, doc_type=doc.doc_type, issuer_code=doc.issuer_code,
        drafting_department=doc.drafting_department,
        classification_level=doc.classification_level, urgency=doc.urgency,
        disclosure=doc.disclosure, title=_open_text(doc, doc.title), revision=1,
        drafted_by=actor.subject, drafted_at=at)])


def revise(doc: OutgoingDocument, cmd: ReviseOutgoing, actor: Principal, at: datetime) -> Step:
    """修改: only the drafter, only their own draft, only before it is approved."""
    role = require_role(actor, Role.drafter, action="修改")
    if doc.drafter != actor.subject:
        raise GovbusError(ErrorCode.forbidden, "只有拟稿人本人可以修改其草稿",
                          drafter=doc.drafter)
    require_status(doc, "修改")
    attachments = (normalise_attachments(cmd.attachments) if cmd.attachments is not None
                   else doc.attachments)
    notes = list(cmd.attachment_notes) if cmd.attachment_notes is not None \
        else doc.attachment_notes
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
        "history": [*doc.history, _history(actor, role, at, "修改", cmd.summary)],
    })
    return Step(new, [OutgoingRevised(
        document_id=doc.id, classification_level=doc.classification_level, revision=number,
        summary=_open_text(doc, cmd.summary), revised_by=actor.subject, revised_at=at)])


def review(doc: OutgoingDocument, cmd: ReviewOutgoing, actor: Principal, at: datetime) -> Step:
    """审核 (核稿): approve for signing, or return to the drafter with comments."""
    role = require_role(actor, Role.reviewer, action="审核")
    require_status(doc, "审核")
    _require_current_revision(doc, cmd.revision, "审核")
    returned = cmd.decision is ReviewDecision.returned
    if returned and not (cmd.comments and cmd.comments.strip()):
        raise _refuse("退回修改须写明意见")
    record = ReviewRecord(revision=doc.current_revision, decision=cmd.decision,
                          reviewer=actor.subject, reviewer_name=actor.name, at=at,
                          comments=cmd.comments)
    action = "退回修改" if returned else "审核通过"
    new = doc.model_copy(update={
        "status": S.returned if returned else S.awaiting_signature,
        "reviews": [*doc.reviews, record],
        "history": [*doc.history, _history(actor, role, at, action, cmd.comments)],
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
    return Step(new, [event])


def sign_off(doc: OutgoingDocument, cmd: SignOffOutgoing, actor: Principal, at: datetime,
             today: date) -> Step:
    """签发: the signer's name and the signing date (成文日期) are recorded; an upward
    document (请示, 报告) also prints the signer in its header (签发人)."""
    role = require_role(actor, Role.signer, action="签发")
    require_status(doc, "签发")
    _require_current_revision(doc, cmd.revision, "签发")
    re_signed = doc.status is S.awaiting_re_signature
    name = actor.name or actor.subject
    record = SignOffRecord(revision=doc.current_revision, signer=name, signer_id=actor.subject,
                           at=at, date_of_writing=today, opinion=cmd.opinion,
                           re_signed=re_signed)
    new = doc.model_copy(update={
        "status": S.signed, "signed_revision": doc.current_revision, "signer": name,
        "signer_id": actor.subject, "date_of_writing": today,
        "header_signer": name if doc.doc_type in UPWARD_TYPES else None,
        "sign_offs": [*doc.sign_offs, record],
        "history": [*doc.history, _history(actor, role, at, "重新签发" if re_signed else "签发",
                                           cmd.opinion)],
    })
    return Step(new, [OutgoingSigned(
        document_id=doc.id, doc_type=doc.doc_type, classification_level=doc.classification_level,
        revision=doc.current_revision, signer=name, date_of_writing=today, re_signed=re_signed,
        signed_at=at)])


def recheck(doc: OutgoingDocument, cmd: RecheckOutgoing, actor: Principal,
            at: datetime) -> Step:
    """复核: a substantive change made after sign-off goes back to the signer (Art. 25)."""
    role = require_role(actor, Role.registrar, Role.reviewer, action="复核")
    require_status(doc, "复核")
    changed = cmd.changed_body is not None or cmd.changed_title is not None
    updates: dict[str, object]
    number = doc.current_revision
    if cmd.substantive_change:
        if not changed:
            raise _refuse("实质性修改须附修改后的正文或标题")
        if not (cmd.change_summary and cmd.change_summary.strip()):
            raise _refuse("实质性修改须写明修改说明")
        title = cmd.changed_title or doc.title
        body = cmd.changed_body or doc.body
        if title == doc.title and body == doc.body:
            raise _refuse("修改后的文稿与签发稿相同")
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
            raise _refuse("签发后对文稿的修改须作为实质性修改报签发人重新签发")
        updates = {"status": S.rechecked}
    record = RecheckRecord(by=actor.subject, by_name=actor.name, at=at,
                           substantive_change=cmd.substantive_change, revision=number,
                           remarks=cmd.remarks or cmd.change_summary)
    action = "复核 (实质性修改, 退签发人)" if cmd.substantive_change else "复核"
    new = doc.model_copy(update={
        **updates, "rechecks": [*doc.rechecks, record],
        "history": [*doc.history, _history(actor, role, at, action,
                                           cmd.change_summary or cmd.remarks)],
    })
    return Step(new, [OutgoingRechecked(
        document_id=doc.id, classification_level=doc.classification_level,
        substantive_change=cmd.substantive_change, revision=number, status=new.status,
        rechecked_by=actor.subject, rechecked_at=at)])


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
    if doc.doc_type in UPWARD_TYPES and not doc.header_signer:
        raise GovbusError(ErrorCode.invalid_transition,
                          f"{doc.doc_type.value}须标注签发人", doc_type=doc.doc_type.value)


def check_registrable(doc: OutgoingDocument, actor: Principal) -> None:
    """Everything 登记 needs before a number is taken, so no number is taken in vain."""
    require_role(actor, Role.registrar, action="登记")
    require_status(doc, "登记")
    check_signed_as_required(doc)


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
        raise _refuse(f"分送范围中 {'、'.join(duplicates)} 重复", duplicates=duplicates)
    missing = [r for r, _ in doc.recipients if r not in names]
    if missing:
        raise _refuse(f"分送范围缺少 {'、'.join(missing)}", missing=missing)
    needed = sum(d.copies for d in distribution)
    if copies is not None and copies < needed:
        raise _refuse(f"份数 {copies} 少于分送所需的 {needed} 份", copies=copies, needed=needed)
    return distribution, copies if copies is not None else needed


def register(doc: OutgoingDocument, entry: NumberEntry, cmd: RegisterOutgoing,
             actor: Principal, at: datetime) -> Step:
    """登记: the number taken from the register, the distribution and the copies."""
    check_registrable(doc, actor)
    code, year, serial = parse_doc_number(entry.doc_number)
    if entry.document_id != doc.id or code != doc.issuer_code:
        raise GovbusError(ErrorCode.conflict, f"{entry.doc_number} 不是这份公文的文号",
                          doc_number=entry.doc_number)
    distribution, copies = plan_distribution(doc, list(cmd.distribution), cmd.copies)
    new = doc.model_copy(update={
        "status": S.registered, "doc_number": entry.doc_number, "number_year": year,
        "number_serial": serial, "distribution": distribution, "copies": copies,
        "history": [*doc.history, _history(actor, Role.registrar, at, "登记",
                                           entry.doc_number)],
    })
    return Step(new, [OutgoingNumbered(
        document_id=doc.id, doc_type=doc.doc_type,
        classification_level=doc.classification_level, doc_number=entry.doc_number,
        issuer_code=code, year=year, serial=serial, title=_open_text(doc, doc.title),
        numbered_by=actor.subject, numbered_at=at)])


def print_document(doc: OutgoingDocument, cmd: PrintOutgoing, actor: Principal, at: datetime,
                   today: date) -> Step:
    """印制: 印发机关, 印发日期 (not before the 成文日期) and the copies printed."""
    require_role(actor, Role.registrar, action="印制")
    require_status(doc, "印制")
    printing_date = cmd.printing_date or today
    if doc.date_of_writing is not None and printing_date < doc.date_of_writing:
        raise _refuse(f"印发日期 {printing_date} 早于成文日期 {doc.date_of_writing}")
    needed = sum(d.copies for d in doc.distribution)
    copies = cmd.copies or doc.copies or needed
    if copies < needed:
        raise _refuse(f"印制 {copies} 份, 少于分送所需的 {needed} 份", copies=copies,
                      needed=needed)
    assert doc.doc_number is not None  # registered
    new = doc.model_copy(update={
        "status": S.printed, "printing_office": cmd.printing_office,
        "printing_date": printing_date, "copies": copies,
        "history": [*doc.history, _history(actor, Role.registrar, at, "印制",
                                           f"{cmd.printing_office} {copies}份")],
    })
    return Step(new, [OutgoingPrinted(
        document_id=doc.id, classification_level=doc.classification_level,
        doc_number=doc.doc_number, copies=copies, printing_office=cmd.printing_office,
        printing_date=printing_date, printed_by=actor.subject, printed_at=at)])


def dispatch(doc: OutgoingDocument, cmd: DispatchOutgoing, actor: Principal,
             at: datetime) -> Step:
    """核发: every main and cc recipient, each recorded with its time; a dispatch that
    leaves a recipient out is refused, so 已核发 always means everyone was served."""
    require_role(actor, Role.registrar, action="核发")
    require_status(doc, "核发")
    kinds = dict(doc.recipients)
    listed = [d.recipient for d in cmd.dispatches]
    duplicates = sorted({r for r in listed if listed.count(r) > 1})
    if duplicates:
        raise _refuse(f"{'、'.join(duplicates)} 重复", duplicates=duplicates)
    unknown = [r for r in listed if r not in kinds]
    if unknown:
        raise _refuse(f"{'、'.join(unknown)} 不是本文的主送或抄送机关", unknown=unknown)
    missing = [r for r, _ in doc.recipients if r not in listed]
    if missing:
        raise _refuse(f"核发须送达每一个主送、抄送机关, 缺少 {'、'.join(missing)}",
                      missing=missing)
    records = [DispatchRecord(recipient=d.recipient, kind=kinds[d.recipient], means=d.means,
                              at=at, by=actor.subject) for d in cmd.dispatches]
    new = doc.model_copy(update={
        "status": S.dispatched, "dispatches": records, "dispatched_at": at,
        "history": [*doc.history, _history(actor, Role.registrar, at, "核发",
                                           f"{len(records)}个单位")],
    })
    return Step(new, [dispatched_fact(new)])


def dispatched_fact(doc: OutgoingDocument) -> OutgoingDispatched:
    """The dispatched fact: what disclosure publishes for a 主动公开 document, references
    only for the others."""
    assert doc.doc_number is not None and doc.dispatched_at is not None
    fact = OutgoingDispatched(
        document_id=doc.id, doc_number=doc.doc_number, doc_type=doc.doc_type,
        disclosure=doc.disclosure, classification_level=doc.classification_level,
        dispatched_at=doc.dispatched_at, recipients=len(doc.dispatches))
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
