"""Contracts of the documents service: outgoing documents (发文办理) and numbering (发文字号).

[党政机关公文处理工作条例 2012, Art. 15-16 (行文规则), 19-22 (拟制), 25 (发文办理);
GB/T 9704-2012]. The steps: 起草 draft → 审核 review
(核稿) → 签发 sign_off → 复核 recheck → 登记 register (发文字号) → 印制 print → 核发 dispatch;
归档 belongs to the archive. Bodies and titles of classified documents never appear in an
event; the dispatched fact of a 主动公开 document carries what disclosure publishes.

代拟 (``draft_requested_outgoing``): another service asks for a draft as itself (its system
principal), e.g. supervision's 督办通知书 for one of its items. The draft is an ordinary 发文
of the asking office (拟稿部门, 机关代字), reviewed, signed, numbered and dispatched by the
office's staff; ``requested_by`` names what it was asked for, and travels with the 发文 and
its drafted, numbered and dispatched facts, so the asking service finds the 发文字号 of its
item. Only the services the office allows may ask; no gateway route reaches the command.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from govbus_contracts.base import Command, Event, Page, Query, Reply, ShortText
from govbus_contracts.services.documents.common import (
    CONTRACT,
    Attachment,
    Classification,
    ClassificationMark,
    Direction,
    DisclosureAttribute,
    DispatchChannel,
    DocType,
    Urgency,
)

#: An organ named among the recipients.
OrganName = Annotated[str, Field(min_length=1, max_length=100)]
#: a recipient (主送, 抄送机关, 内设部门) as the drafter names it
RecipientName = Annotated[str, Field(max_length=100)]
#: 标题 and 正文 of a draft
DraftTitle = Annotated[str, Field(min_length=1, max_length=200, description="标题")]
DraftBody = Annotated[str, Field(min_length=1, max_length=100_000, description="正文")]
#: 抄送机关, and the 本机关内设部门 among the recipients, of a draft
CcRecipients = Annotated[list[RecipientName], Field(max_length=200, description="抄送机关")]
RecipientDepartments = Annotated[list[RecipientName], Field(
    max_length=200,
    description="本机关内设部门 among the recipients (department codes): they may read it")]
#: 稿次 and 顺序号 a client may name: far beyond any office's drafts or a year's numbers
MAX_REVISION = 10_000
MAX_SERIAL = 1_000_000

# --- terms -------------------------------------------------------------------------------


class OutgoingStatus(StrEnum):
    """办理状态 of an outgoing document.

    A draft goes to 核稿 as soon as it is written (草稿); the drafter may amend it until the
    reviewer decides. 待重新签发: 复核 found a substantive change after sign-off (条例 Art. 25).
    """

    drafted = "草稿"
    returned = "退回修改"
    awaiting_signature = "待签发"
    signed = "已签发"
    awaiting_re_signature = "待重新签发"
    rechecked = "已复核"
    registered = "已登记"
    printed = "已印制"
    dispatched = "已核发"
    archived = "已归档"


class ReviewDecision(StrEnum):
    """核稿意见."""

    approved = "通过"
    returned = "退回修改"


class NumberSeries(StrEnum):
    """编号序列: which kind of number a 文种 takes, each series gapless on its own.

    发文字号 宜府办发〔2026〕71号 (GB/T 9704 §7.2.5), per 机关代字 and year; 令号 第N号
    (GB/T 9704 §10.2), per 机关代字 and running on across years; 纪要 期号 第N期 (GB/T 9704
    §10.3 leaves the 纪要's marks to the office: 纪要格式可以根据实际制定), per 机关代字 and
    year. 令号 and 期号 carry no 〔年份〕.
    """

    standard = "发文字号"
    order = "令号"
    minutes = "期号"


class NumberStatus(StrEnum):
    """State of a 发文字号 in the number register."""

    used = "已使用"
    reserved = "已预留"
    voided = "已作废"


class _Record(BaseModel):
    """A record kept inside a document or a register (shown by queries)."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class Revision(_Record):
    """One revision of the draft (修改稿): every revision is kept with its text."""

    number: int = Field(ge=1, description="稿次")
    title: str = Field(description="标题")
    body: str = Field(description="正文")
    attachments: list[Attachment] = Field(default_factory=list,
                                          description="附件 (by name and SHA-256)")
    attachment_notes: list[str] = Field(default_factory=list, description="附件说明")
    author: str = Field(description="修改人 (user id)")
    author_name: str | None = Field(default=None, description="修改人姓名")
    at: datetime = Field(description="修改时间")
    summary: str = Field(description="修改说明")


class ReviewRecord(_Record):
    """核稿: who reviewed which revision, and what they decided."""

    revision: int
    decision: ReviewDecision
    reviewer: str = Field(description="核稿人 (user id)")
    reviewer_name: str | None = Field(default=None, description="核稿人姓名")
    at: datetime
    comments: str | None = Field(default=None, description="核稿意见")


class SignOffRecord(_Record):
    """签发: the signer, the revision signed and the signing date (成文日期)."""

    revision: int
    signer: str = Field(description="签发人")
    signer_id: str = Field(description="签发人 (user id)")
    at: datetime
    date_of_writing: date = Field(description="成文日期")
    opinion: str | None = Field(default=None, description="签发意见")
    re_signed: bool = Field(default=False, description="重新签发 after a substantive change")


class RecheckRecord(_Record):
    """复核 after sign-off."""

    by: str = Field(description="复核人 (user id)")
    by_name: str | None = None
    at: datetime
    substantive_change: bool = Field(description="实质性修改")
    revision: int = Field(description="the revision after the recheck")
    remarks: str | None = None


class DistributionEntry(_Record):
    """分送: a recipient and its copies."""

    recipient: str = Field(min_length=1, max_length=100, description="分送单位")
    copies: int = Field(default=1, ge=1, le=10_000, description="份数")


class DispatchEntry(_Record):
    """核发 to one recipient, as the registrar lists it."""

    recipient: str = Field(min_length=1, max_length=100, description="收文单位")
    channel: DispatchChannel | None = Field(default=None, description="分发方式")
    means: str | None = Field(
        default=None, max_length=50,
        description="分发方式 as text (before ``channel``): must name a channel of the closed "
                    "list; when both are given they must agree")


class DispatchRecord(_Record):
    """核发 recorded for one recipient."""

    recipient: str = Field(description="收文单位")
    kind: str = Field(description="主送 or 抄送")
    means: str | None = Field(default=None, description="分发方式")
    channel: DispatchChannel | None = Field(default=None, description="分发方式 (closed list)")
    at: datetime = Field(description="核发时间")
    by: str = Field(description="核发人 (user id)")


class HistoryEntry(_Record):
    """办理记录: who did what, in which role, when."""

    at: datetime
    actor: str = Field(description="user id")
    actor_name: str | None = None
    role: str = Field(description="the role exercised")
    action: str = Field(description="办理环节, e.g. 起草, 签发")
    remarks: str | None = None


class NumberEntry(_Record):
    """One serial of a number register (发文字号登记簿)."""

    serial: int = Field(ge=1, description="顺序号")
    doc_number: str = Field(description="发文字号")
    status: NumberStatus
    document_id: str | None = Field(default=None, description="the outgoing document it is for")
    purpose: str | None = Field(default=None, description="预留用途")
    taken_at: datetime
    taken_by: str
    used_at: datetime | None = None
    void_reason: str | None = Field(default=None, description="作废原因")
    voided_at: datetime | None = None
    voided_by: str | None = None


class AttachmentDigest(_Record):
    """An attachment by name and SHA-256 (the content stays in the documents service)."""

    name: str = Field(description="附件名称")
    sha256: str | None = None
    media_type: str | None = None
    size: int | None = None


class RequestedBy(_Record):
    """代拟: which service asked for a draft, and for which of its objects."""

    service: str = Field(min_length=1, max_length=50, pattern=r"^[a-z][a-z0-9_-]*$",
                         description="the asking service (its contract's name), e.g. supervision")
    service_name: str | None = Field(
        default=None, min_length=1, max_length=50,
        description="the asking service as the office calls it, e.g. 督查督办 (shown in the "
                    "办理记录; default: ``service``)")
    kind: str = Field(min_length=1, max_length=50,
                      description="the kind of object it is for, e.g. 督办事项")
    reference: str = Field(min_length=1, max_length=64,
                           description="the object's id in the asking service")
    label: str | None = Field(default=None, min_length=1, max_length=100,
                              description="the object's number as the office reads it, "
                                          "e.g. 督〔2026〕12号")


# --- commands ----------------------------------------------------------------------------

class DraftOutgoing(Command):
    """起草: a new outgoing document; the drafting department is the drafter's own."""

    doc_type: DocType = Field(description="文种")
    direction: Direction | None = Field(
        default=None,
        description="行文方向 (上行/平行/下行); may be left out where the 文种 fixes it "
                    "(请示, 报告: 上行; 批复, 命令, 决定 ...: 下行; 函: 平行)")
    title: DraftTitle
    body: DraftBody
    main_recipients: list[RecipientName] = Field(default_factory=list, max_length=200,
                                       description="主送机关 (none for a 纪要)")
    cc_recipients: CcRecipients = Field(default_factory=list)
    recipient_departments: RecipientDepartments = Field(default_factory=list)
    lower_level_recipients: list[OrganName] = Field(
        default_factory=list, max_length=200,
        description="下级机关 among the recipients: a 上行文 is not copied to them "
                    "(条例 Art. 15(一))")
    replies_to: str | None = Field(
        default=None, min_length=1, max_length=64,
        description="所批复的请示 (收文 id): required on a 批复, only there")
    classification: ClassificationMark = Field(default_factory=ClassificationMark,
                                               description="密级和保密期限")
    urgency: Urgency = Field(default=Urgency.normal, description="紧急程度")
    disclosure: DisclosureAttribute = Field(description="公开属性")
    disclosure_reason: str | None = Field(default=None, max_length=500,
                                          description="不予公开理由")
    issuer_code: str = Field(min_length=1, max_length=20, description="机关代字, e.g. 宜府办发")
    issuing_organ: str = Field(min_length=1, max_length=100, description="发文机关")
    attachments: list[Attachment] = Field(default_factory=list, max_length=50, description="附件")
    attachment_notes: list[ShortText] = Field(default_factory=list, max_length=50,
                                        description="附件说明")
    remarks: str | None = Field(default=None, max_length=500, description="附注")
    normative_document: bool = Field(
        default=False, description="行政规范性文件 (政府信息公开条例第二十条第(一)项; 主动公开)")
    normative_registration_number: str | None = Field(
        default=None, min_length=1, max_length=50,
        description="规范性文件统一登记号 (assigned by the 司法行政部门's registration; only "
                    "with normative_document; may be unknown at drafting)")


class DraftRequestedOutgoing(Command):
    """代拟: a draft another service asks for (e.g. supervision's 督办通知书), written in the
    name of the asking office's department; reachable from the services the office allows
    only (``DocumentsSettings.draft_requesters``), never from the gateway. Not classified:
    its text comes over the bus from another service."""

    requested_by: RequestedBy = Field(description="代拟: who asks, for which object")
    doc_type: DocType = Field(description="文种 (a 督办通知书 is a 通知)")
    direction: Direction | None = Field(default=None,
                                        description="行文方向 (where the 文种 leaves it open)")
    title: DraftTitle
    body: DraftBody
    main_recipients: list[RecipientName] = Field(min_length=1, max_length=200,
                                                 description="主送机关 (the department)")
    cc_recipients: CcRecipients = Field(default_factory=list)
    recipient_departments: RecipientDepartments = Field(default_factory=list)
    issuer_code: str = Field(min_length=1, max_length=20,
                             description="机关代字 of the asking office, e.g. 府督办")
    issuing_organ: str = Field(min_length=1, max_length=100, description="发文机关")
    drafting_department: str = Field(min_length=1, max_length=100,
                                     description="拟稿部门: the asking office, e.g. 督查室; its "
                                                 "drafters revise a returned draft")
    urgency: Urgency = Field(default=Urgency.normal, description="紧急程度")
    disclosure: DisclosureAttribute = Field(
        description="公开属性 (a 督办通知书: usually 不予公开 with its reason, or 依申请公开)")
    disclosure_reason: str | None = Field(default=None, max_length=500,
                                          description="不予公开理由")
    attachments: list[Attachment] = Field(default_factory=list, max_length=50, description="附件")
    attachment_notes: list[ShortText] = Field(default_factory=list, max_length=50,
                                              description="附件说明")
    remarks: str | None = Field(default=None, max_length=500, description="附注")


class ReviseOutgoing(Command):
    """修改: the drafter's new revision of their own draft (草稿 or 退回修改)."""

    document_id: str = Field(min_length=1, max_length=64)
    summary: str = Field(min_length=1, max_length=500, description="修改说明")
    body: str = Field(min_length=1, max_length=100_000, description="正文")
    title: str | None = Field(default=None, min_length=1, max_length=200,
                              description="标题 (unchanged if absent)")
    attachments: list[Attachment] | None = Field(default=None, max_length=50,
                                                 description="附件 (unchanged if absent)")
    attachment_notes: list[ShortText] | None = Field(default=None, max_length=50,
                                               description="附件说明 (unchanged if absent)")


class ReviewOutgoing(Command):
    """审核 (核稿): approve the draft for signing, or return it with comments."""

    document_id: str = Field(min_length=1, max_length=64)
    decision: ReviewDecision = Field(description="核稿意见")
    comments: str | None = Field(default=None, max_length=2000,
                                 description="意见 (required when returned)")
    revision: int | None = Field(default=None, ge=1, le=MAX_REVISION,
                                 description="稿次 the reviewer read (refused if not current)")


class SignOffOutgoing(Command):
    """签发: by an authorised signer; the signing date is the 成文日期."""

    document_id: str = Field(min_length=1, max_length=64)
    opinion: str | None = Field(default=None, max_length=500, description="签发意见")
    revision: int | None = Field(default=None, ge=1, le=MAX_REVISION,
                                 description="稿次 the signer read (refused if not current)")


class RecheckOutgoing(Command):
    """复核: a substantive change after sign-off goes back to the signer."""

    document_id: str = Field(min_length=1, max_length=64)
    substantive_change: bool = Field(default=False, description="实质性修改")
    changed_body: str | None = Field(default=None, min_length=1, max_length=100_000,
                                     description="修改后的正文 (with a substantive change)")
    changed_title: str | None = Field(default=None, min_length=1, max_length=200,
                                      description="修改后的标题 (with a substantive change)")
    change_summary: str | None = Field(default=None, max_length=500, description="修改说明")
    remarks: str | None = Field(default=None, max_length=500, description="复核意见")


class RegisterOutgoing(Command):
    """登记: assign the 发文字号 from the register (or a number reserved before)."""

    document_id: str = Field(min_length=1, max_length=64)
    reserved_serial: int | None = Field(default=None, ge=1, le=MAX_SERIAL,
                                        description="a reserved serial to use (预留号)")
    distribution: list[DistributionEntry] = Field(
        default_factory=list, max_length=400,
        description="分送范围 (empty: one copy to each recipient)")
    copies: int | None = Field(default=None, ge=1, le=100_000,
                               description="份数 (default: the sum of the distribution)")


class PrintOutgoing(Command):
    """印制: copies, printing office and printing date (印发机关和印发日期)."""

    document_id: str = Field(min_length=1, max_length=64)
    printing_office: str = Field(min_length=1, max_length=100, description="印发机关")
    printing_date: date | None = Field(default=None, description="印发日期 (default: today)")
    copies: int | None = Field(default=None, ge=1, le=100_000,
                               description="印制份数 (default: as registered)")


class DispatchOutgoing(Command):
    """核发: to every main and cc recipient, all listed in one command."""

    document_id: str = Field(min_length=1, max_length=64)
    dispatches: list[DispatchEntry] = Field(default_factory=list, max_length=400,
                                            description="分发记录, one per recipient")


class ReserveNumber(Command):
    """预留文号: consume the next serial for a document or a purpose."""

    issuer_code: str = Field(min_length=1, max_length=20, description="机关代字")
    year: int | None = Field(default=None, ge=1900, le=2199,
                             description="年度 (default: this year; the 令号 series has none)")
    series: NumberSeries = Field(default=NumberSeries.standard, description="编号序列")
    document_id: str | None = Field(default=None, max_length=64,
                                    description="the outgoing document it is reserved for")
    purpose: str | None = Field(default=None, max_length=200, description="预留用途")


class VoidNumber(Command):
    """作废文号: kept in the register with its reason (no silent gaps)."""

    issuer_code: str = Field(min_length=1, max_length=20, description="机关代字")
    year: int = Field(ge=1900, le=2199, description="年度 (ignored for the 令号 series)")
    serial: int = Field(ge=1, le=MAX_SERIAL, description="顺序号")
    series: NumberSeries = Field(default=NumberSeries.standard, description="编号序列")
    reason: str = Field(min_length=1, max_length=500, description="作废原因")


# --- queries -----------------------------------------------------------------------------


class GetOutgoing(Query):
    """One outgoing document with its revisions and history."""

    document_id: str = Field(min_length=1, max_length=64)


class ListOutgoing(Page):
    """Outgoing documents the asker may see, newest first."""

    status: OutgoingStatus | None = Field(default=None, description="办理状态")
    doc_type: DocType | None = Field(default=None, description="文种")
    issuer_code: str | None = Field(default=None, max_length=20, description="机关代字")


class GetNumberRegister(Query):
    """The number register of one 机关代字 and year."""

    issuer_code: str = Field(min_length=1, max_length=20, description="机关代字")
    year: int = Field(ge=1900, le=2199, description="年度 (ignored for the 令号 series)")
    series: NumberSeries = Field(default=NumberSeries.standard, description="编号序列")


# --- replies -----------------------------------------------------------------------------


class OutgoingState(Reply):
    """Where an outgoing document stands after a step."""

    document_id: str
    status: OutgoingStatus = Field(description="办理状态")
    revision: int = Field(description="current 稿次")
    signed_revision: int | None = Field(default=None, description="稿次 signed")
    doc_number: str | None = Field(default=None, description="发文字号")
    signer: str | None = Field(default=None, description="签发人")
    date_of_writing: date | None = Field(default=None, description="成文日期")


class OutgoingView(Reply):
    """An outgoing document as its readers see it (attachments by name and digest)."""

    document_id: str
    version: int
    status: OutgoingStatus
    doc_type: DocType
    direction: Direction | None = Field(default=None, description="行文方向")
    title: str
    body: str
    revisions: list[Revision]
    current_revision: int
    signed_revision: int | None = None
    main_recipients: list[str]
    cc_recipients: list[str]
    recipient_departments: list[str] = Field(default_factory=list)
    lower_level_recipients: list[str] = Field(default_factory=list, description="下级机关")
    replies_to: str | None = Field(default=None, description="所批复的请示 (收文 id)")
    replies_to_doc_number: str | None = Field(default=None,
                                              description="所批复的请示的来文字号")
    classification: ClassificationMark
    classification_level: Classification
    urgency: Urgency
    disclosure: DisclosureAttribute
    disclosure_reason: str | None = None
    issuer_code: str
    issuing_organ: str
    drafting_department: str
    drafter: str
    drafter_name: str | None = None
    drafted_at: datetime
    attachments: list[AttachmentDigest] = Field(default_factory=list)
    attachment_notes: list[str] = Field(default_factory=list)
    remarks: str | None = None
    departments: list[str] = Field(default_factory=list)
    reviews: list[ReviewRecord] = Field(default_factory=list)
    sign_offs: list[SignOffRecord] = Field(default_factory=list)
    signer: str | None = None
    header_signer: str | None = Field(default=None, description="版头签发人 (上行文)")
    date_of_writing: date | None = None
    rechecks: list[RecheckRecord] = Field(default_factory=list)
    doc_number: str | None = None
    number_series: NumberSeries | None = Field(default=None, description="编号序列")
    number_year: int | None = None
    number_serial: int | None = None
    distribution: list[DistributionEntry] = Field(default_factory=list)
    copies: int | None = None
    printing_office: str | None = None
    printing_date: date | None = None
    dispatches: list[DispatchRecord] = Field(default_factory=list)
    dispatched_at: datetime | None = None
    history: list[HistoryEntry] = Field(default_factory=list)
    requested_by: RequestedBy | None = Field(default=None,
                                             description="代拟: the service that asked for it")


class OutgoingListItem(Reply):
    document_id: str
    status: OutgoingStatus
    doc_type: DocType
    title: str
    doc_number: str | None = None
    issuer_code: str
    classification_level: Classification
    urgency: Urgency
    disclosure: DisclosureAttribute
    drafting_department: str
    drafted_at: datetime
    date_of_writing: date | None = None


class OutgoingList(Reply):
    items: list[OutgoingListItem]
    total: int
    offset: int
    limit: int


class NumberReply(Reply):
    """A serial of a register after a reservation or a voiding."""

    register_id: str = Field(description="机关代字:年度 (令号: 机关代字:令号)")
    issuer_code: str
    year: int
    series: NumberSeries = NumberSeries.standard
    entry: NumberEntry


class NumberRegisterView(Reply):
    """发文字号登记簿 of one 机关代字 and year: every serial taken, none missing."""

    register_id: str
    issuer_code: str
    year: int = Field(description="年度 (令号: the year the series was opened)")
    series: NumberSeries = NumberSeries.standard
    next_serial: int = Field(description="the serial the next registration takes")
    entries: list[NumberEntry]


# --- events ------------------------------------------------------------------------------


class OutgoingDrafted(Event):
    """起草: a draft was written (title only if not classified)."""

    document_id: str
    doc_type: DocType
    direction: Direction | None = Field(default=None, description="行文方向")
    issuer_code: str
    drafting_department: str
    classification_level: Classification
    urgency: Urgency
    disclosure: DisclosureAttribute
    title: str | None = Field(default=None, description="标题 (absent if classified)")
    revision: int = 1
    drafted_by: str
    drafted_at: datetime
    requested_by: RequestedBy | None = Field(default=None,
                                             description="代拟: the service that asked for it")


class OutgoingRevised(Event):
    """修改: the drafter wrote a new revision."""

    document_id: str
    classification_level: Classification
    revision: int
    summary: str | None = Field(default=None, description="修改说明 (absent if classified)")
    revised_by: str
    revised_at: datetime


class OutgoingReviewed(Event):
    """审核通过: the reviewer approved a revision for signing."""

    document_id: str
    classification_level: Classification
    revision: int
    reviewed_by: str
    reviewed_at: datetime


class OutgoingReturned(Event):
    """退回修改: the reviewer returned the draft to its drafter."""

    document_id: str
    classification_level: Classification
    revision: int
    drafter: str = Field(description="拟稿人 (user id), who must revise")
    comments: str | None = Field(default=None, description="意见 (absent if classified)")
    returned_by: str
    returned_at: datetime


class OutgoingSigned(Event):
    """签发 (or 重新签发)."""

    document_id: str
    doc_type: DocType
    classification_level: Classification
    revision: int
    signer: str = Field(description="签发人")
    date_of_writing: date = Field(description="成文日期")
    re_signed: bool = False
    signed_at: datetime


class OutgoingRechecked(Event):
    """复核: with a substantive change the document went back to the signer."""

    document_id: str
    classification_level: Classification
    substantive_change: bool
    revision: int
    status: OutgoingStatus
    rechecked_by: str
    rechecked_at: datetime


class OutgoingNumbered(Event):
    """登记: the document received its 发文字号."""

    document_id: str
    doc_type: DocType
    classification_level: Classification
    doc_number: str = Field(description="发文字号 (令号, 期号)")
    series: NumberSeries = NumberSeries.standard
    issuer_code: str
    year: int
    serial: int
    title: str | None = Field(default=None, description="标题 (absent if classified)")
    numbered_by: str
    numbered_at: datetime
    requested_by: RequestedBy | None = Field(default=None,
                                             description="代拟: the service that asked for it")


class OutgoingPrinted(Event):
    """印制."""

    document_id: str
    classification_level: Classification
    doc_number: str
    copies: int = Field(description="份数")
    printing_office: str = Field(description="印发机关")
    printing_date: date = Field(description="印发日期")
    printed_by: str
    printed_at: datetime


class OutgoingDispatched(Event):
    """核发 to every recipient.

    For a 主动公开 document (never classified) it carries what disclosure publishes: title,
    body, issuing organ, 成文日期 and the attachments by name and SHA-256. For others only
    references.
    """

    document_id: str
    doc_number: str = Field(description="发文字号")
    doc_type: DocType
    disclosure: DisclosureAttribute = Field(description="公开属性")
    classification_level: Classification
    dispatched_at: datetime = Field(description="核发时间")
    recipients: int = Field(description="number of recipients served")
    title: str | None = Field(default=None, description="标题 (主动公开 only)")
    body: str | None = Field(default=None, description="正文 (主动公开 only)")
    issuing_organ: str | None = Field(default=None, description="发文机关 (主动公开 only)")
    date_of_writing: date | None = Field(default=None, description="成文日期 (主动公开 only)")
    attachments: list[AttachmentDigest] = Field(default_factory=list,
                                                description="附件 (主动公开 only)")
    normative_document: bool = Field(default=False,
                                     description="行政规范性文件 (主动公开 only)")
    normative_registration_number: str | None = Field(
        default=None, max_length=50, description="规范性文件统一登记号 (主动公开 only)")
    requested_by: RequestedBy | None = Field(
        default=None, description="代拟: the service that asked for it, so that it finds the "
                                  "发文字号 of its object")


class NumberReserved(Event):
    """预留文号."""

    issuer_code: str
    year: int
    serial: int
    doc_number: str
    series: NumberSeries = NumberSeries.standard
    document_id: str | None = None
    purpose: str | None = None
    reserved_by: str
    reserved_at: datetime


class NumberVoided(Event):
    """作废文号, with the reason kept in the register."""

    issuer_code: str
    year: int
    serial: int
    doc_number: str
    series: NumberSeries = NumberSeries.standard
    reason: str
    voided_by: str
    voided_at: datetime


# --- the table -----------------------------------------------------------------------------

DRAFT_OUTGOING = CONTRACT.command("draft_outgoing", DraftOutgoing, OutgoingState)
DRAFT_REQUESTED_OUTGOING = CONTRACT.command("draft_requested_outgoing", DraftRequestedOutgoing,
                                            OutgoingState)
REVISE_OUTGOING = CONTRACT.command("revise_outgoing", ReviseOutgoing, OutgoingState)
REVIEW_OUTGOING = CONTRACT.command("review_outgoing", ReviewOutgoing, OutgoingState)
SIGN_OFF_OUTGOING = CONTRACT.command("sign_off_outgoing", SignOffOutgoing, OutgoingState)
RECHECK_OUTGOING = CONTRACT.command("recheck_outgoing", RecheckOutgoing, OutgoingState)
REGISTER_OUTGOING = CONTRACT.command("register_outgoing", RegisterOutgoing, OutgoingState)
PRINT_OUTGOING = CONTRACT.command("print_outgoing", PrintOutgoing, OutgoingState)
DISPATCH_OUTGOING = CONTRACT.command("dispatch_outgoing", DispatchOutgoing, OutgoingState)
RESERVE_NUMBER = CONTRACT.command("reserve_number", ReserveNumber, NumberReply)
VOID_NUMBER = CONTRACT.command("void_number", VoidNumber, NumberReply)

GET_OUTGOING = CONTRACT.query("get_outgoing", GetOutgoing, OutgoingView)
LIST_OUTGOING = CONTRACT.query("list_outgoing", ListOutgoing, OutgoingList)
GET_NUMBER_REGISTER = CONTRACT.query("get_number_register", GetNumberRegister,
                                     NumberRegisterView)

OUTGOING_DRAFTED = CONTRACT.event("outgoing", "drafted", OutgoingDrafted)
OUTGOING_REVISED = CONTRACT.event("outgoing", "revised", OutgoingRevised)
OUTGOING_REVIEWED = CONTRACT.event("outgoing", "reviewed", OutgoingReviewed)
OUTGOING_RETURNED = CONTRACT.event("outgoing", "returned", OutgoingReturned)
OUTGOING_SIGNED = CONTRACT.event("outgoing", "signed", OutgoingSigned)
OUTGOING_RECHECKED = CONTRACT.event("outgoing", "rechecked", OutgoingRechecked)
OUTGOING_NUMBERED = CONTRACT.event("outgoing", "numbered", OutgoingNumbered)
OUTGOING_PRINTED = CONTRACT.event("outgoing", "printed", OutgoingPrinted)
OUTGOING_DISPATCHED = CONTRACT.event("outgoing", "dispatched", OutgoingDispatched)
NUMBER_RESERVED = CONTRACT.event("number", "reserved", NumberReserved)
NUMBER_VOIDED = CONTRACT.event("number", "voided", NumberVoided)
