"""Contracts of the disclosure service: requests for government information (依申请公开).

[政府信息公开条例 2019: 第二十七条–第四十二条; 国办函〔2020〕109号 信息处理费管理办法].

Anyone submits a request on a public route and gets a request number (申请编号) and a
tracking code (查询码), shown once: with the code they follow it (``track_request``), send
the completed request after a 补正 notice (``submit_correction``) or withdraw it. Nobody
else reads it through the code; staff read it through ``get_request`` within their scope.

The date of receipt depends on the channel (第三十一条): a request by 平常信函 or 传真 (or
online, where the platform does not confirm by itself) is 待确认 until the office records the
confirmation (``confirm_receipt``), and no clock runs until then. The reply period is a
working-day clock (第三十三条: 20 working days from the day after receipt, 次日起算) that
stops during 补正 (and restarts from zero when the completed request arrives, 第三十条),
during third-party consultation (第三十二条) and while a fee notice waits for payment (109号
第八条), and may be extended once by at most 20 working days with the approval of the 负责人.

Events carry request ids, numbers, applicant *types*, dates and deadlines — never the
applicant's name, contact, ID numbers or address, and never the tracking code.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from govbus_contracts.base import (
    Command,
    DueProvisional,
    Event,
    InputId,
    Page,
    Query,
    Reply,
    WorkingDays,
)
from govbus_contracts.services.disclosure.common import (
    CONTRACT,
    ApplicantType,
    MatterKind,
    Outcome,
    ReplyType,
    WithholdReason,
)

RequestId = str
Department = str


class RequestStatus(StrEnum):
    """申请状态."""

    handling = "办理中"  # the reply clock runs
    # 平常信函, 传真 or online not yet confirmed (第三十一条): no clock runs yet
    awaiting_confirmation = "待确认"
    awaiting_correction = "待补正"  # 补正告知 sent; the clock stands still (第三十条)
    consulting = "征求第三方意见中"  # not counted (第三十二条)
    awaiting_fee = "待缴费"  # 收费通知 sent; payment time not counted (109号 第八条)
    replied = "已答复"  # closed with a reply (第三十六条)
    withdrawn = "已撤回"  # the applicant withdrew it
    abandoned = "视为放弃"  # no 补正 within the period (第三十条)
    fee_unpaid = "逾期未缴费终止"  # the fee not paid within the notice's period


CLOSED_STATUSES = frozenset({RequestStatus.replied, RequestStatus.withdrawn,
                             RequestStatus.abandoned, RequestStatus.fee_unpaid})


class ReceiptChannel(StrEnum):
    """提交方式 (第三十一条: the date of receipt depends on it)."""

    online = "在线"  # 通过互联网渠道: the day both sides confirm (a platform: at once, by default)
    in_person = "当面"  # 当面提交: the day handed in
    post = "邮寄"  # 以邮政快递等方式 (挂号信, EMS): the day the office signs for it
    # 平常信函 (no signature on delivery): the day the office confirms it with the applicant
    ordinary_mail = "平常信函"
    fax = "传真"  # 传真: the day both sides confirm


class InformationForm(StrEnum):
    """获取信息的载体形式 (第二十九条)."""

    paper = "纸质"
    electronic = "电子"


class DeliveryMethod(StrEnum):
    """获取信息的方式."""

    post = "邮寄"
    email = "电子邮件"
    pickup = "自行领取"
    online = "在线查看"


class IdDocumentType(StrEnum):
    """身份证件类型."""

    resident_id = "居民身份证"
    passport = "护照"
    hk_macao_permit = "港澳居民来往内地通行证"
    taiwan_permit = "台湾居民来往大陆通行证"
    other = "其他"


class ConsultationAnswer(StrEnum):
    """第三方意见 (第三十二条)."""

    agreed = "同意公开"
    disagreed = "不同意公开"
    no_answer = "逾期未答复"


class LegalBasis(StrEnum):
    """不予公开的法律依据."""

    art14 = "第十四条"  # 国家秘密, 法律行政法规禁止公开, 三安全一稳定
    art15 = "第十五条"  # 商业秘密, 个人隐私 (unless consent or public interest)
    art16 = "第十六条"  # 内部事务信息, 过程性信息, 行政执法案卷


class NoticeKind(StrEnum):
    """书面告知 sent to the applicant (all visible with the tracking code)."""

    receipt = "受理回执"
    correction = "补正告知书"
    extension = "延长答复期限告知书"
    fee = "收费通知书"
    reply = "政府信息公开申请答复书"
    withdrawal = "撤回申请确认"
    termination = "终止办理告知书"  # 视为放弃 or fee unpaid
    deadline_change = "期限调整告知书"  # a provisional period lengthened by the official calendar


class DeadlinePeriod(StrEnum):
    """Which period of a request a deadline-changed fact is about."""

    reply = "答复期限"
    correction = "补正期限"
    fee = "缴费期限"
    consultation = "第三方答复期限"


# --- parts ---------------------------------------------------------------------------------


class Part(BaseModel):
    """A part of a command or of the record (readers ignore unknown fields)."""

    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)


class Applicant(Part):
    """申请人 (personal data: stays in the service)."""

    name: str = Field(min_length=1, max_length=200, description="姓名 / 名称")
    id_document_type: IdDocumentType | None = Field(default=None, description="身份证件类型")
    id_document_number: str | None = Field(default=None, max_length=50,
                                           description="身份证件号码")
    credit_code: str | None = Field(default=None, max_length=18,
                                    description="统一社会信用代码 (organisations)")
    legal_representative: str | None = Field(default=None, max_length=100,
                                             description="法定代表人/负责人 (organisations)")
    contact_person: str | None = Field(default=None, max_length=100, description="联系人")


class Contact(Part):
    """联系方式 (at least one)."""

    phone: str | None = Field(default=None, max_length=40, description="联系电话")
    email: str | None = Field(default=None, max_length=200, description="电子邮箱")
    address: str | None = Field(default=None, max_length=500, description="通信地址")
    postal_code: str | None = Field(default=None, max_length=10, description="邮政编码")


class InformationSought(Part):
    """所需政府信息 (第二十九条: 名称、文号或者便于查询的其他特征性描述)."""

    description: str = Field(min_length=1, max_length=5000, description="所需信息的内容描述")
    document_name: str | None = Field(default=None, max_length=500, description="文件名称")
    document_number: str | None = Field(default=None, max_length=100, description="文号")
    purpose: str | None = Field(default=None, max_length=1000, description="用途 (optional)")


class WithheldPart(Part):
    """部分公开 (第三十七条): what was withheld, why and on which article."""

    part: str = Field(min_length=1, max_length=1000, description="不予公开的内容")
    reason: WithholdReason = Field(description="不予公开理由")
    legal_basis: LegalBasis = Field(description="法律依据")


class HistoryEntry(Part):
    """办理记录 (audit trail)."""

    at: datetime = Field(description="时间")
    action: str = Field(description="环节")
    by: str = Field(description="办理人 (user id, 'applicant' or 'system')")
    by_name: str | None = Field(default=None, description="办理人姓名")
    remarks: str | None = Field(default=None, description="备注")


class ApplicantNotice(Part):
    """A notice sent to the applicant."""

    kind: NoticeKind = Field(description="告知类型")
    sent_on: date = Field(description="告知日期")
    text: str = Field(description="告知内容")
    answer_by: date | None = Field(default=None, description="补正/缴费期限")
    amount: int | None = Field(default=None, description="收费金额 (元)")


class CorrectionRecord(Part):
    """补正 (第三十条)."""

    requested_on: date = Field(description="补正告知日期")
    items: list[str] = Field(description="需要补正的事项")
    answer_working_days: int = Field(description="补正期限 (工作日)")
    due_on: date = Field(description="补正截止日")
    due_on_provisional: DueProvisional = False
    requested_by: str = Field(description="告知人")
    answered_on: date | None = Field(default=None, description="收到补正材料日期")
    supplement: str | None = Field(default=None, description="补正内容")


class ConsultationRecord(Part):
    """征求第三方意见 (第三十二条)."""

    third_party: str = Field(description="第三方")
    matter: str = Field(description="征求意见事项")
    started_on: date = Field(description="征求意见日期")
    answer_due_on: date = Field(description="第三方答复期限 (15个工作日)")
    answer_working_days: int | None = Field(default=None, description="第三方答复期限 (工作日)")
    answer_due_on_provisional: DueProvisional = False
    ended_on: date | None = Field(default=None, description="收到意见/期满日期")
    answer: ConsultationAnswer | None = Field(default=None, description="第三方意见")
    remarks: str | None = Field(default=None, description="意见摘要")


class ExtensionRecord(Part):
    """延长答复期限 (第三十三条)."""

    working_days: int = Field(description="延长工作日数")
    reason: str = Field(description="延长理由")
    approved_by: str = Field(description="批准人 (负责人)")
    approved_by_subject: str = Field(description="批准人 user id")
    granted_on: date = Field(description="批准日期")
    due_on: date = Field(description="延长后的答复期限")


class FeeRecord(Part):
    """信息处理费 (国办函〔2020〕109号)."""

    monthly_position: int = Field(description="同一申请人本自然月第几件申请")
    amount: int = Field(description="收费金额 (元)")
    notice_on: date = Field(description="收费通知日期")
    due_on: date = Field(description="缴费期限")
    working_days: int | None = Field(default=None, description="缴费期限 (工作日)")
    due_on_provisional: DueProvisional = False
    paid_on: date | None = Field(default=None, description="缴费日期")


class ThirdPartyNotice(Part):
    """第三十二条: 决定予以公开的, 将决定公开的内容和理由书面告知第三方 (disclosing over the third
    party's objection)."""

    sent_on: date = Field(description="书面告知第三方的日期")
    text: str = Field(min_length=1, max_length=5000,
                      description="告知内容: 决定公开的内容和理由")


class ReceiptConfirmation(Part):
    """第三十一条: the confirmation that fixes the date of receipt (平常信函, 传真, 在线)."""

    confirmed_on: date = Field(description="双方确认之日 / 与申请人确认之日")
    confirmed_by: str = Field(description="确认人 (user id, or 'system' for an online platform)")
    remarks: str | None = Field(default=None, description="确认方式, e.g. 电话确认")


class ReplyRecord(Part):
    """答复 (第三十六条)."""

    reply_type: ReplyType = Field(description="答复类型")
    outcome: Outcome = Field(description="办理结果 (年度报告)")
    outcome_reason: str | None = Field(default=None, description="办理结果的理由 (年度报告)")
    text: str = Field(description="答复内容")
    reason: str | None = Field(default=None, description="理由")
    withheld: list[WithheldPart] = Field(default_factory=list, description="不予公开部分")
    published_at: str | None = Field(default=None, description="已主动公开: 获取的方式和途径")
    holder_name: str | None = Field(default=None, description="负责公开的机关名称")
    holder_contact: str | None = Field(default=None, description="负责公开的机关联系方式")
    other_law: str | None = Field(default=None, description="按其他法律法规办理: 依据")
    no_consultation_reason: str | None = Field(
        default=None,
        description="不予公开 (保护第三方合法权益) without consultation: 无法征求意见的理由")
    third_party_notice: ThirdPartyNotice | None = Field(
        default=None, description="第三十二条: 不同意公开而决定公开的, 书面告知第三方")
    replied_on: date = Field(description="答复日期")
    replied_by: str = Field(description="答复人")
    on_time: bool = Field(description="是否在期限内答复")


class ReferralRecord(Part):
    """第三十九条: a complaint, report or 信访 matter handed to the complaints side."""

    matter_kind: MatterKind = Field(description="事项类型")
    referred_on: date = Field(description="转交日期")


class ReminderRecord(Part):
    on: date = Field(description="提醒日期")
    due_on: date = Field(description="答复期限")
    working_days_left: int = Field(description="剩余工作日")


class ClockPause(Part):
    started_on: date = Field(description="中止日")
    ended_on: date | None = Field(default=None, description="恢复日")
    reason: str = Field(description="中止理由")
    kind: str = Field(description="中止类型")


class ClockRestart(Part):
    on: date = Field(description="重新起算日")
    reason: str = Field(description="重新起算理由")
    previous_started_on: date = Field(description="原起算日")


class ReplyClock(Part):
    """The reply period as recorded: its start, pauses, extension and restarts."""

    started_on: date = Field(description="起算日 (counting starts the day after)")
    period: int = Field(description="答复期限 (工作日)")
    pauses: list[ClockPause] = Field(default_factory=list)
    restarts: list[ClockRestart] = Field(default_factory=list)
    extended_by: int = Field(default=0, description="延长工作日数")
    due_on: date | None = Field(default=None, description="答复期限 (None while paused)")
    paused: bool = Field(default=False, description="时限中止中")


# --- commands --------------------------------------------------------------------------------


class SubmitRequest(Command):
    """提交政府信息公开申请 (public; staff may record a request handed in or posted)."""

    applicant_type: ApplicantType = Field(description="申请人类型")
    applicant: Applicant = Field(description="申请人")
    contact: Contact = Field(description="联系方式")
    information: InformationSought = Field(description="所需政府信息")
    form: InformationForm = Field(default=InformationForm.electronic, description="载体形式")
    delivery: DeliveryMethod = Field(default=DeliveryMethod.online, description="获取方式")
    channel: ReceiptChannel = Field(default=ReceiptChannel.online, description="提交方式")
    submitted_on: date | None = Field(
        default=None,
        description="当面提交日 / 邮件签收日 / 收到信函、传真之日 (staff only; default today)")
    confirmed_on: date | None = Field(
        default=None, description="平常信函/传真/在线: 已与申请人确认收到之日 (staff only; "
                                  "None: 待确认 until confirm_receipt)")
    fee_waiver_requested: bool = Field(default=False, description="申请减免费用")


class ConfirmReceipt(Command):
    """第三十一条: 确认收到 a request sent by 平常信函, 传真 or online (where the platform does not
    confirm by itself): the date of receipt, and the reply period counts from it."""

    request_id: InputId
    confirmed_on: date | None = Field(default=None, description="确认之日 (default today)")
    remarks: str | None = Field(default=None, max_length=500,
                                description="确认方式, e.g. 电话与申请人确认")


class TrackRequest(Query):
    """凭查询码查询 (public): status, deadlines, notices and the reply — nothing else."""

    tracking_code: str = Field(min_length=8, max_length=64, description="查询码")


class SubmitCorrection(Command):
    """提交补正材料 (public, with the tracking code)."""

    tracking_code: str = Field(min_length=8, max_length=64, description="查询码")
    supplement: str = Field(min_length=1, max_length=5000, description="补正内容")


class WithdrawRequest(Command):
    """撤回申请 (public, with the tracking code)."""

    tracking_code: str = Field(min_length=8, max_length=64, description="查询码")
    reason: str | None = Field(default=None, max_length=1000, description="撤回理由")


class AssignRequest(Command):
    """分办: give the request to a department (central office only)."""

    request_id: InputId
    department: Department = Field(min_length=1, max_length=100, description="承办部门")


class RequestCorrection(Command):
    """补正告知 (第三十条): once, within 7 working days of receipt."""

    request_id: InputId
    items: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(
        min_length=1, max_length=50, description="需要补正的事项")
    answer_working_days: int | None = Field(default=None, ge=1, le=60,
                                            description="补正期限 (工作日; default setting)")


class RecordCorrection(Command):
    """登记补正材料 received on paper (staff)."""

    request_id: InputId
    supplement: str = Field(min_length=1, max_length=5000, description="补正内容")
    received_on: date | None = Field(default=None, description="收到日期 (default today)")


class StartConsultation(Command):
    """征求第三方意见 (第三十二条): the time is not counted."""

    request_id: InputId
    third_party: str = Field(min_length=1, max_length=200, description="第三方")
    matter: str = Field(min_length=1, max_length=2000, description="征求意见事项")


class EndConsultation(Command):
    """第三方意见 received (or the 15 working days ran out)."""

    request_id: InputId
    answer: ConsultationAnswer = Field(description="第三方意见")
    remarks: str | None = Field(default=None, max_length=2000, description="意见摘要")


class ExtendRequest(Command):
    """延长答复期限 (第三十三条): once, at most 20 working days, by the 负责人."""

    request_id: InputId
    # The 20 days of 第三十三条 are the service's rule (with its own refusal); this is only
    # the bound of what may be sent.
    working_days: WorkingDays = Field(description="延长工作日数")
    reason: str = Field(min_length=1, max_length=2000, description="延长理由")


class IssueFeeNotice(Command):
    """收费通知 (109号): only for an applicant's excess volume in a calendar month."""

    request_id: InputId
    payment_working_days: int | None = Field(default=None, ge=1, le=60,
                                             description="缴费期限 (工作日; default setting)")


class RecordFeePayment(Command):
    """缴费 received: the clock runs again."""

    request_id: InputId
    paid_on: date | None = Field(default=None, description="缴费日期 (default today)")


class ReplyToRequest(Command):
    """答复 (第三十六条) with the outcome and reason the annual report counts."""

    request_id: InputId
    reply_type: ReplyType = Field(description="答复类型")
    outcome: Outcome = Field(description="办理结果")
    outcome_reason: str | None = Field(default=None, max_length=100,
                                       description="办理结果的理由 (枚举值)")
    text: str = Field(min_length=1, max_length=20000, description="答复内容")
    reason: str | None = Field(default=None, max_length=5000, description="理由")
    withheld: list[WithheldPart] = Field(default_factory=list, max_length=50,
                                         description="部分公开: 不予公开的部分")
    published_at: str | None = Field(default=None, max_length=1000,
                                     description="已主动公开: 获取的方式和途径")
    holder_determinable: bool = Field(default=True,
                                      description="非本机关掌握: 能否确定负责公开的机关")
    holder_name: str | None = Field(default=None, max_length=200,
                                    description="负责公开的机关名称")
    holder_contact: str | None = Field(default=None, max_length=500,
                                       description="负责公开的机关联系方式")
    other_law: str | None = Field(default=None, max_length=500,
                                  description="按其他法律法规办理: 法律法规名称")
    matter_kind: MatterKind | None = Field(
        default=None, description="第三十九条: 投诉/举报/信访 (with 不予处理)")
    no_consultation_reason: str | None = Field(
        default=None, max_length=2000,
        description="不予公开 (保护第三方合法权益) without a consultation on record: why none was "
                    "possible (第三十二条, e.g. 第三方无法联系)")
    third_party_notice: ThirdPartyNotice | None = Field(
        default=None, description="予以公开/部分公开 over the third party's objection: the written "
                                  "notice to the third party (第三十二条)")


# --- queries ---------------------------------------------------------------------------------


class GetRequest(Query):
    """One request with the applicant (staff within scope)."""

    request_id: InputId


class ListRequests(Page):
    """Requests within scope (staff), newest first; no personal data in the items."""

    status: RequestStatus | None = None
    overdue: bool | None = Field(default=None, description="只看逾期 / 未逾期")
    year: int | None = Field(default=None, ge=2008, le=2999, description="收到申请的年度")
    department: Department | None = Field(default=None, min_length=1, max_length=100)


class GetReferral(Query):
    """第三十九条 referral with the applicant's identity (role complaints_officer only)."""

    request_id: InputId


# --- replies ---------------------------------------------------------------------------------


class RequestSubmitted(Reply):
    """申请已收到: keep the tracking code — it is shown only here."""

    id: RequestId
    request_number: str = Field(description="申请编号")
    tracking_code: str | None = Field(default=None, description="查询码 (shown once)")
    status: RequestStatus
    received_on: date = Field(description="收到申请之日 (第三十一条)")
    due_on: date | None = Field(description="答复期限")
    due_on_provisional: DueProvisional = False


class RequestStepReply(Reply):
    id: RequestId
    request_number: str
    status: RequestStatus
    version: int
    due_on: date | None = Field(default=None, description="答复期限 (None while paused)")
    due_on_provisional: DueProvisional = False
    closed_on: date | None = None


class PublicReply(Part):
    """The reply as the applicant reads it."""

    reply_type: ReplyType
    text: str
    reason: str | None = None
    withheld: list[WithheldPart] = Field(default_factory=list)
    published_at: str | None = None
    holder_name: str | None = None
    holder_contact: str | None = None
    other_law: str | None = None
    replied_on: date


class RequestTracking(Reply):
    """What the tracking code shows."""

    request_number: str
    status: RequestStatus
    received_on: date
    due_on: date | None = Field(default=None, description="答复期限 (None while paused)")
    due_on_provisional: DueProvisional = False
    paused: bool = Field(default=False, description="时限中止中")
    pause_kind: str | None = Field(default=None, description="中止类型")
    closed_on: date | None = None
    notices: list[ApplicantNotice] = Field(default_factory=list)
    reply: PublicReply | None = None


class RequestView(Reply):
    """The full record (staff)."""

    id: RequestId
    version: int
    request_number: str
    status: RequestStatus
    applicant_type: ApplicantType
    applicant: Applicant
    contact: Contact
    information: InformationSought
    form: InformationForm
    delivery: DeliveryMethod
    channel: ReceiptChannel
    submitted_on: date
    received_on: date
    receipt_confirmation: ReceiptConfirmation | None = Field(
        default=None, description="第三十一条: the confirmation (None: 当面/邮寄, or 待确认)")
    department: Department | None = None
    clock: ReplyClock
    due_on: date | None = None
    due_on_provisional: DueProvisional = False
    overdue_since: date | None = None
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


class RequestSummary(Part):
    id: RequestId
    request_number: str
    status: RequestStatus
    applicant_type: ApplicantType
    description: str = Field(description="所需信息 (shortened)")
    received_on: date
    due_on: date | None = None
    overdue_since: date | None = None
    department: Department | None = None
    closed_on: date | None = None
    outcome: Outcome | None = None


class RequestList(Reply):
    items: list[RequestSummary]
    total: int
    offset: int
    limit: int


class ReferralView(Reply):
    """For the complaints office: the matter and who raised it."""

    request_id: RequestId
    request_number: str
    matter_kind: MatterKind
    matter: str
    applicant_type: ApplicantType
    applicant: Applicant
    contact: Contact
    received_on: date
    referred_on: date


# --- events (no personal data) -----------------------------------------------------------------


class RequestFact(Event):
    """What every request event says: which request, its type of applicant, its clock."""

    id: RequestId = Field(description="申请 id")
    request_number: str = Field(description="申请编号")
    applicant_type: ApplicantType = Field(description="申请人类型")
    status: RequestStatus = Field(description="状态 after the step")
    received_on: date = Field(description="收到申请之日")
    due_on: date | None = Field(default=None, description="答复期限 (None while paused)")
    department: Department | None = Field(default=None, description="承办部门")
    due_on_provisional: DueProvisional = False

    def with_department(self) -> list[str]:
        """The 承办部门 the request is with, if it was given to one (分办)."""
        return [self.department] if self.department else []


class RequestReceived(RequestFact):
    channel: ReceiptChannel = Field(description="提交方式")
    form: InformationForm
    delivery: DeliveryMethod


class RequestReceiptConfirmed(RequestFact):
    """第三十一条: receipt confirmed (平常信函, 传真, online): the reply period runs from it."""

    channel: ReceiptChannel = Field(description="提交方式")
    confirmed_on: date = Field(description="确认之日 = 收到申请之日 (unless local rules move it)")


class RequestAssigned(RequestFact):
    assigned_on: date

    def addressed_to(self) -> list[str]:
        """分办: the request was given to a department to handle."""
        return self.with_department()


class RequestCorrectionRequested(RequestFact):
    requested_on: date
    correction_due_on: date = Field(description="补正截止日")


class RequestCorrected(RequestFact):
    corrected_on: date = Field(description="收到补正材料日期: the clock restarts")


class RequestConsultationStarted(RequestFact):
    started_on: date
    answer_due_on: date


class RequestConsultationEnded(RequestFact):
    """第三方意见 recorded by staff, or — announced by the deadline sweep (system) — the 15 working
    days ran out without an answer (逾期未答复) and the clock runs again by itself."""

    ended_on: date
    answer: ConsultationAnswer
    by_system: bool = Field(default=False, description="期满未答复, 时限自动恢复计算")


class RequestExtended(RequestFact):
    working_days: int
    reason: str
    approved_by: str
    granted_on: date


class RequestFeeRequested(RequestFact):
    amount: int = Field(description="收费金额 (元)")
    monthly_position: int
    notice_on: date
    payment_due_on: date


class RequestFeePaid(RequestFact):
    paid_on: date


class RequestReplied(RequestFact):
    reply_type: ReplyType
    outcome: Outcome
    outcome_reason: str | None = None
    withheld_reasons: list[WithholdReason] = Field(default_factory=list)
    replied_on: date
    on_time: bool
    third_party_notice: ThirdPartyNotice | None = Field(
        default=None, description="第三十二条: 书面告知第三方 (disclosed over an objection)")


class RequestWithdrawn(RequestFact):
    withdrawn_on: date


class RequestLapsed(RequestFact):
    """Closed because a period ran out: no 补正 (视为放弃) or the fee unpaid."""

    outcome: Outcome
    outcome_reason: str
    closed_on: date


class RequestReminded(RequestFact):
    reminded_on: date
    working_days_left: int

    def addressed_to(self) -> list[str]:
        """催办 of the reply period: to the department handling it."""
        return self.with_department()


class RequestOverdue(RequestFact):
    overdue_since: date = Field(description="the first working day after the deadline")

    def addressed_to(self) -> list[str]:
        """逾期: the department handling it did not reply in time."""
        return self.with_department()


class RequestDeadlineChanged(RequestFact):
    """期限调整: a period counted on a provisional calendar was counted again when the
    official year (the State Council's 调休 arrangement) arrived, and moved. For the reply
    period ``new_due_on`` equals ``due_on``; a period already told to the applicant or the
    third party (补正, 缴费, 第三方答复) is only ever lengthened, never shortened."""

    period: DeadlinePeriod = Field(default=DeadlinePeriod.reply, description="哪一期限")
    previous_due_on: date = Field(description="原期限 (按临时工作日历)")
    new_due_on: date = Field(description="调整后的期限")
    reason: str = Field(max_length=500, description="调整原因")

    def addressed_to(self) -> list[str]:
        """The period of the department handling it moved."""
        return self.with_department()


class RequestReferred(Event):
    """第三十九条: a complaint, report or 信访 matter the complaints service can take over.

    The matter as described, not who described it: the complaints office asks
    ``get_referral`` (role complaints_officer) for the applicant.
    """

    id: RequestId = Field(description="申请 id")
    request_number: str
    matter_kind: MatterKind
    matter: str = Field(description="事项 as the applicant described it")
    applicant_type: ApplicantType
    received_on: date
    referred_on: date


# --- the table of messages ---------------------------------------------------------------------

SUBMIT_REQUEST = CONTRACT.command("submit_request", SubmitRequest, RequestSubmitted)
CONFIRM_RECEIPT = CONTRACT.command("confirm_receipt", ConfirmReceipt, RequestStepReply)
SUBMIT_CORRECTION = CONTRACT.command("submit_correction", SubmitCorrection, RequestStepReply)
WITHDRAW_REQUEST = CONTRACT.command("withdraw_request", WithdrawRequest, RequestStepReply)
ASSIGN_REQUEST = CONTRACT.command("assign_request", AssignRequest, RequestStepReply)
REQUEST_CORRECTION = CONTRACT.command("request_correction", RequestCorrection,
                                      RequestStepReply)
RECORD_CORRECTION = CONTRACT.command("record_correction", RecordCorrection, RequestStepReply)
START_CONSULTATION = CONTRACT.command("start_consultation", StartConsultation,
                                      RequestStepReply)
END_CONSULTATION = CONTRACT.command("end_consultation", EndConsultation, RequestStepReply)
EXTEND_REQUEST = CONTRACT.command("extend_request", ExtendRequest, RequestStepReply)
ISSUE_FEE_NOTICE = CONTRACT.command("issue_fee_notice", IssueFeeNotice, RequestStepReply)
RECORD_FEE_PAYMENT = CONTRACT.command("record_fee_payment", RecordFeePayment,
                                      RequestStepReply)
REPLY_REQUEST = CONTRACT.command("reply_request", ReplyToRequest, RequestStepReply)

TRACK_REQUEST = CONTRACT.query("track_request", TrackRequest, RequestTracking)
GET_REQUEST = CONTRACT.query("get_request", GetRequest, RequestView)
LIST_REQUESTS = CONTRACT.query("list_requests", ListRequests, RequestList)
GET_REFERRAL = CONTRACT.query("get_referral", GetReferral, ReferralView)

REQUEST_RECEIVED = CONTRACT.event("request", "received", RequestReceived)
REQUEST_RECEIPT_CONFIRMED = CONTRACT.event("request", "receipt_confirmed",
                                           RequestReceiptConfirmed)
REQUEST_ASSIGNED = CONTRACT.event("request", "assigned", RequestAssigned)
REQUEST_CORRECTION_REQUESTED = CONTRACT.event("request", "correction_requested",
                                              RequestCorrectionRequested)
REQUEST_CORRECTED = CONTRACT.event("request", "corrected", RequestCorrected)
REQUEST_CONSULTATION_STARTED = CONTRACT.event("request", "consultation_started",
                                              RequestConsultationStarted)
REQUEST_CONSULTATION_ENDED = CONTRACT.event("request", "consultation_ended",
                                            RequestConsultationEnded)
REQUEST_EXTENDED = CONTRACT.event("request", "extended", RequestExtended)
REQUEST_FEE_REQUESTED = CONTRACT.event("request", "fee_requested", RequestFeeRequested)
REQUEST_FEE_PAID = CONTRACT.event("request", "fee_paid", RequestFeePaid)
REQUEST_REPLIED = CONTRACT.event("request", "replied", RequestReplied)
REQUEST_WITHDRAWN = CONTRACT.event("request", "withdrawn", RequestWithdrawn)
REQUEST_LAPSED = CONTRACT.event("request", "lapsed", RequestLapsed)
REQUEST_REMINDED = CONTRACT.event("request", "reminded", RequestReminded)
REQUEST_OVERDUE = CONTRACT.event("request", "overdue", RequestOverdue)
REQUEST_DEADLINE_CHANGED = CONTRACT.event("request", "deadline_changed",
                                          RequestDeadlineChanged)
REQUEST_REFERRED = CONTRACT.event("request", "referred", RequestReferred)
