"""Contracts of the documents service: incoming documents (收文办理).

[党政机关公文处理工作条例 2012, Art. 24] 签收 → 登记 → 初审 → 承办 → 传阅 → 催办 → 答复/办结.
The office adds 拟办 (the office's proposed handling) and 批示 (a leader's instruction)
between 初审 and 承办; a document whose 拟办 says no instruction is needed goes straight to
承办. 归档 is the archive's step: it sets ``status`` to 已归档 on a document that is
``archivable``.

Commands and queries name the document by ``id`` (the gateway's ``{id}`` path parameter).
Events never carry the body; for classified documents (密级 not 非密) they carry neither the
title nor any free text (opinions, instructions, results): only ids, numbers, dates,
departments and statuses (条例 Art. 30: classified documents are handled within the office).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from govbus_contracts.base import (
    MAX_DEPARTMENTS,
    Command,
    DepartmentName,
    DueProvisional,
    Event,
    Limit,
    Offset,
    Query,
    Reply,
)
from govbus_contracts.services.documents.common import (
    CONTRACT,
    Attachment,
    Classification,
    ClassificationMark,
    DocType,
    Urgency,
)

DocumentId = str
Department = str


class IncomingStatus(StrEnum):
    """收文状态, in the order of the workflow (已退回 ends it early, 已归档 is the archive's)."""

    registered = "已登记"  # 签收登记, awaiting 初审
    returned = "已退回"  # 退文: returned to the sender after 初审; closed
    awaiting_proposal = "待拟办"  # accepted at 初审
    awaiting_instruction = "待批示"  # 拟办 asked for a leader's 批示
    awaiting_assignment = "待承办"  # ready to be given to a lead department
    in_handling = "办理中"  # 承办: the lead department handles it against a deadline
    completed = "已办结"  # 办结 with its result; archivable once every circulated copy is back
    archived = "已归档"  # set by the archive


class ReviewDecision(StrEnum):
    """初审结论."""

    accept = "受理"
    return_to_sender = "退文"


class ReturnReason(StrEnum):
    """退文理由: what 初审 checks (条例 Art. 24(三))."""

    jurisdiction = "不属于本机关职权范围"  # 是否应当由本机关办理
    routing_rules = "不符合行文规则"  # e.g. 越级行文, 多头主送
    doc_type = "文种使用不当"
    layout = "格式不符合要求"  # GB/T 9704-2012 (公文格式)
    not_consulted = "涉及其他部门职权的事项未经协商会签"
    other = "其他"


class HolderKind(StrEnum):
    """Who a copy is circulated to (传阅对象)."""

    department = "部门"
    leader = "领导"


class ReminderKind(StrEnum):
    """催办方式."""

    automatic = "到期提醒"  # the sweep, N working days before the deadline
    manual = "人工催办"  # the registrar's 催办


# --- parts of the record ---------------------------------------------------------------


class Record(BaseModel):
    """A part of the document's record, shown in replies (readers ignore unknown fields)."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class HistoryEntry(Record):
    """One line of the audit trail (办理记录)."""

    at: datetime = Field(description="时间")
    action: str = Field(description="环节, e.g. 签收登记, 初审受理, 批示")
    by: str = Field(description="办理人 (user id)")
    by_name: str | None = Field(default=None, description="办理人姓名")
    role: str = Field(description="the role acted in")
    department: str | None = Field(default=None, description="办理人所在部门")
    remarks: str | None = Field(default=None, description="备注")


class ReviewRecord(Record):
    """初审."""

    decision: ReviewDecision = Field(description="初审结论")
    reasons: list[ReturnReason] = Field(default_factory=list, description="退文理由")
    remarks: str | None = Field(default=None, description="初审意见")
    reviewed_by: str = Field(description="初审人")
    reviewed_on: date = Field(description="初审日期")


class HandlingProposal(Record):
    """拟办."""

    opinion: str = Field(description="拟办意见")
    lead_department: Department | None = Field(default=None, description="拟主办部门")
    co_departments: list[Department] = Field(default_factory=list, description="拟协办部门")
    needs_instruction: bool = Field(description="是否呈领导批示")
    proposed_by: str = Field(description="拟办人")
    proposed_on: date = Field(description="拟办日期")


class LeaderInstruction(Record):
    """领导批示."""

    text: str = Field(description="批示内容")
    leader: str = Field(description="批示领导 (姓名)")
    leader_subject: str = Field(description="批示领导 (user id)")
    instructed_on: date = Field(description="批示日期")
    lead_department: Department | None = Field(default=None, description="批示指定的主办部门")
    needs_supervision: bool = Field(default=False, description="是否督办")
    supervision_deadline: date | None = Field(default=None, description="督办期限")


class HandlingAssignment(Record):
    """承办: one lead department (主办) and co-departments (协办) against a deadline."""

    lead_department: Department = Field(description="主办部门")
    co_departments: list[Department] = Field(default_factory=list, description="协办部门")
    assigned_on: date = Field(description="交办日期")
    assigned_by: str = Field(description="交办人")
    due_on: date = Field(description="办理期限")
    working_days: int | None = Field(
        default=None, description="期限工作日数 (None when the date was given explicitly)")
    due_on_provisional: DueProvisional = False
    remarks: str | None = Field(default=None, description="交办意见")


class CirculationEntry(Record):
    """One copy sent round (传阅记录) and its read receipt (阅毕)."""

    holder: str = Field(description="传阅对象: the department, or the leader's user id (令牌 sub)")
    kind: HolderKind = Field(description="部门 or 领导")
    holder_name: str | None = Field(
        default=None, max_length=100, description="领导姓名: a label only, never matched")
    sent_at: datetime = Field(description="送阅时间")
    sent_by: str = Field(description="送阅人")
    remarks: str | None = Field(default=None, description="传阅说明")
    read_at: datetime | None = Field(default=None, description="阅毕时间 (None: still held)")
    read_by: str | None = Field(default=None, description="阅文人")
    comment: str | None = Field(default=None, description="阅文意见")


class Reminder(Record):
    """催办记录."""

    kind: ReminderKind = Field(description="催办方式")
    on: date = Field(description="催办日期")
    by: str = Field(description="催办人 (system:documents for the sweep)")
    due_on: date = Field(description="办理期限")
    remarks: str | None = Field(default=None, description="催办意见")


# --- commands --------------------------------------------------------------------------


class RegisterIncoming(Command):
    """签收登记: sign for an incoming document and enter it in the register (收文登记).

    The registrar's 收文编号 (收〔2026〕15号) is assigned per year of registration.
    """

    issuer: str = Field(min_length=1, max_length=200, description="来文机关")
    issuer_doc_number: str | None = Field(
        default=None, min_length=1, max_length=100,
        description="来文字号, e.g. 宜府办发〔2008〕71号")
    doc_type: DocType = Field(description="文种")
    classification: ClassificationMark = Field(
        default_factory=ClassificationMark, description="密级和保密期限")
    urgency: Urgency = Field(default=Urgency.normal, description="紧急程度")
    received_on: date = Field(description="收文日期")
    # At least one copy is the service's rule (份数至少为1, with its own message); the bound
    # keeps the number where the database can store it (10^24 answered 500, issue 9).
    copies: int = Field(default=1, ge=0, le=10_000, description="份数")
    title: str = Field(min_length=1, max_length=500, description="标题")
    body: str = Field(default="", max_length=500_000, description="正文")
    attachments: list[Attachment] = Field(default_factory=list, max_length=100, description="附件")
    remarks: str | None = Field(default=None, max_length=2000, description="附注 / 登记备注")


class ReviewIncoming(Command):
    """初审: accept the document, or return it to the sender (退文) with reasons."""

    id: DocumentId = Field(min_length=1, max_length=64, description="收文 id")
    decision: ReviewDecision = Field(description="初审结论")
    reasons: list[ReturnReason] = Field(default_factory=list, max_length=len(ReturnReason),
                                        description="退文理由")
    remarks: str | None = Field(default=None, max_length=2000, description="初审意见")


class ProposeHandling(Command):
    """拟办: the office's proposed handling, and whether a leader must instruct first."""

    id: DocumentId = Field(min_length=1, max_length=64, description="收文 id")
    opinion: str = Field(min_length=1, max_length=5000, description="拟办意见")
    lead_department: Department | None = Field(
        default=None, min_length=1, max_length=100, description="拟主办部门")
    co_departments: list[DepartmentName] = Field(
        default_factory=list, max_length=MAX_DEPARTMENTS, description="拟协办部门")
    needs_instruction: bool = Field(
        default=True, description="呈领导批示 (False: straight to 承办)")


class InstructIncoming(Command):
    """批示: a leader's instruction; may ask for supervision (督办) with a deadline."""

    id: DocumentId = Field(min_length=1, max_length=64, description="收文 id")
    instruction: str = Field(min_length=1, max_length=5000, description="批示内容")
    lead_department: Department | None = Field(
        default=None, min_length=1, max_length=100, description="批示指定的主办部门")
    needs_supervision: bool = Field(default=False, description="是否督办")
    supervision_deadline: date | None = Field(default=None, description="督办期限")


class AssignIncoming(Command):
    """承办: give the document to one lead department and its co-departments.

    Without ``deadline`` the time limit follows the urgency, in working days from today.
    """

    id: DocumentId = Field(min_length=1, max_length=64, description="收文 id")
    lead_department: Department = Field(min_length=1, max_length=100, description="主办部门")
    co_departments: list[DepartmentName] = Field(
        default_factory=list, max_length=MAX_DEPARTMENTS, description="协办部门")
    deadline: date | None = Field(default=None, description="办理期限 (default: by urgency)")
    remarks: str | None = Field(default=None, max_length=2000, description="交办意见")


class CirculatedLeader(BaseModel):
    """A leader a copy goes to: who (the user id) and, as a label, the name."""

    model_config = ConfigDict(extra="forbid")

    subject: str = Field(min_length=1, max_length=200,
                         description="领导的用户 id (令牌 sub): who may confirm reading")
    name: str | None = Field(default=None, min_length=1, max_length=100,
                             description="领导姓名, shown only")


class CirculateIncoming(Command):
    """传阅: send the document round departments and named leaders for reading.

    A leader is named by user id (the token's subject), never by name: ``leaders`` lists
    user ids; ``leader_readers`` gives each with the name to show."""

    id: DocumentId = Field(min_length=1, max_length=64, description="收文 id")
    departments: list[DepartmentName] = Field(
        default_factory=list, max_length=MAX_DEPARTMENTS, description="传阅部门")
    leaders: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=MAX_DEPARTMENTS,
        description="传阅领导的用户 id (令牌 sub), not names")
    leader_readers: list[CirculatedLeader] = Field(
        default_factory=list, max_length=MAX_DEPARTMENTS,
        description="传阅领导: user id and name (the name is a label only)")
    remarks: str | None = Field(default=None, max_length=2000, description="传阅说明")


class ConfirmReading(Command):
    """阅毕: the holder has read the document and returns it."""

    id: DocumentId = Field(min_length=1, max_length=64, description="收文 id")
    comment: str | None = Field(default=None, max_length=5000, description="阅文意见")


class RemindIncoming(Command):
    """催办 by the registrar."""

    id: DocumentId = Field(min_length=1, max_length=64, description="收文 id")
    remarks: str | None = Field(default=None, max_length=2000, description="催办意见")


class CompleteIncoming(Command):
    """办结: the lead department (or the registrar) records the result of handling."""

    id: DocumentId = Field(min_length=1, max_length=64, description="收文 id")
    result: str = Field(min_length=1, max_length=20_000, description="办理结果")


class IncomingStepReply(Reply):
    """Where the document stands after a step."""

    id: DocumentId = Field(description="收文 id")
    registration_number: str = Field(description="收文编号")
    status: IncomingStatus = Field(description="状态")
    version: int
    due_on: date | None = Field(default=None, description="办理期限")
    due_on_provisional: DueProvisional = False
    holders: list[str] = Field(default_factory=list, description="当前持有人 (传阅中)")
    archivable: bool = Field(default=False, description="可归档")


# --- queries ---------------------------------------------------------------------------


class GetIncoming(Query):
    """One incoming document, if the asker may read it."""

    id: DocumentId = Field(min_length=1, max_length=64, description="收文 id")


class IncomingView(Reply):
    """收文 with its whole record."""

    id: DocumentId
    version: int
    registration_number: str = Field(description="收文编号")
    status: IncomingStatus = Field(description="状态")
    title: str = Field(description="标题")
    body: str = Field(default="", description="正文")
    doc_type: DocType = Field(description="文种")
    issuer: str = Field(description="来文机关")
    issuer_doc_number: str | None = Field(default=None, description="来文字号")
    classification: ClassificationMark = Field(description="密级和保密期限")
    classification_level: Classification = Field(description="密级")
    urgency: Urgency = Field(description="紧急程度")
    received_on: date = Field(description="收文日期")
    registered_at: datetime = Field(description="登记时间")
    copies: int = Field(description="份数")
    attachments: list[Attachment] = Field(default_factory=list, description="附件")
    remarks: str | None = Field(default=None, description="附注")
    custodian: str = Field(description="保管部门 (the registering office)")
    departments: list[Department] = Field(default_factory=list,
                                          description="assigned or circulated to")
    holders: list[str] = Field(default_factory=list, description="当前持有人 (传阅中)")
    review: ReviewRecord | None = Field(default=None, description="初审")
    proposal: HandlingProposal | None = Field(default=None, description="拟办")
    instruction: LeaderInstruction | None = Field(default=None, description="批示")
    assignment: HandlingAssignment | None = Field(default=None, description="承办")
    circulation: list[CirculationEntry] = Field(default_factory=list, description="传阅记录")
    reminders: list[Reminder] = Field(default_factory=list, description="催办记录")
    overdue_since: date | None = Field(default=None, description="逾期起始日")
    result: str | None = Field(default=None, description="办理结果")
    completed_on: date | None = Field(default=None, description="办结日期")
    archivable: bool = Field(default=False, description="可归档")
    history: list[HistoryEntry] = Field(default_factory=list, description="办理记录")


class ListIncoming(Query):
    """收文 the asker may read, newest registration first."""

    status: IncomingStatus | None = Field(default=None, description="状态")
    department: Department | None = Field(
        default=None, min_length=1, max_length=100,
        description="assigned or circulated to this department")
    offset: Offset = 0
    limit: Limit = 50


class IncomingSummary(Reply):
    id: DocumentId
    registration_number: str = Field(description="收文编号")
    status: IncomingStatus = Field(description="状态")
    title: str = Field(description="标题")
    doc_type: DocType = Field(description="文种")
    issuer: str = Field(description="来文机关")
    issuer_doc_number: str | None = Field(default=None, description="来文字号")
    classification_level: Classification = Field(description="密级")
    urgency: Urgency = Field(description="紧急程度")
    received_on: date = Field(description="收文日期")
    lead_department: Department | None = Field(default=None, description="主办部门")
    due_on: date | None = Field(default=None, description="办理期限")
    due_on_provisional: DueProvisional = False
    holders: list[str] = Field(default_factory=list, description="当前持有人")


class IncomingList(Reply):
    items: list[IncomingSummary]
    total: int = Field(description="matching documents the asker may read")
    offset: int
    limit: int


class WhoHolds(Query):
    """Who holds the document now (传阅: 随时掌握公文去向)."""

    id: DocumentId = Field(min_length=1, max_length=64, description="收文 id")


class HeldCopy(Record):
    holder: str = Field(description="持有人: the department, or the leader's user id")
    kind: HolderKind = Field(description="部门 or 领导")
    holder_name: str | None = Field(default=None, max_length=100, description="领导姓名 (label)")
    since: datetime = Field(description="送阅时间")
    sent_by: str = Field(description="送阅人")


class IncomingHolders(Reply):
    id: DocumentId
    registration_number: str = Field(description="收文编号")
    status: IncomingStatus = Field(description="状态")
    custodian: str = Field(description="保管部门: keeps the original")
    lead_department: Department | None = Field(default=None, description="主办部门")
    co_departments: list[Department] = Field(default_factory=list, description="协办部门")
    holders: list[HeldCopy] = Field(default_factory=list, description="传阅中, not yet returned")


# --- events ----------------------------------------------------------------------------


def handling_departments(lead: str, co: list[str]) -> list[str]:
    """The departments handling a 收文, the lead first, each once."""
    return list(dict.fromkeys([lead, *co]))


class IncomingFact(Event):
    """What every incoming fact carries. ``title`` is None for classified documents."""

    id: DocumentId = Field(description="收文 id")
    registration_number: str = Field(description="收文编号")
    status: IncomingStatus = Field(description="状态 after the fact")
    issuer: str = Field(description="来文机关")
    issuer_doc_number: str | None = Field(default=None, description="来文字号")
    doc_type: DocType = Field(description="文种")
    classification_level: Classification = Field(description="密级")
    urgency: Urgency = Field(description="紧急程度")
    title: str | None = Field(default=None, description="标题 (None when classified)")


class IncomingRegistered(IncomingFact):
    """An incoming document was signed for and registered (签收登记)."""

    received_on: date = Field(description="收文日期")
    registered_on: date = Field(description="登记日期")
    copies: int = Field(description="份数")
    attachment_count: int = Field(description="附件数")


class IncomingReturned(IncomingFact):
    """初审 returned the document to its sender (退文)."""

    reasons: list[ReturnReason] = Field(description="退文理由")
    remarks: str | None = Field(default=None, description="初审意见 (None when classified)")
    returned_on: date = Field(description="退文日期")


class IncomingProposed(IncomingFact):
    """The office proposed how to handle it (拟办)."""

    lead_department: Department | None = Field(default=None, description="拟主办部门")
    co_departments: list[Department] = Field(default_factory=list, description="拟协办部门")
    needs_instruction: bool = Field(description="是否呈领导批示")
    proposed_on: date = Field(description="拟办日期")
    opinion: str | None = Field(default=None, description="拟办意见 (None when classified)")


class IncomingInstructed(IncomingFact):
    """A leader instructed on it (批示).

    With ``needs_supervision`` it carries what the supervision service needs to open a
    督办 item: the document id, 来文字号, the leader, the date, the deadline and the lead
    department when known (from the 批示 or the 拟办).
    """

    leader: str = Field(description="批示领导")
    leader_subject: str = Field(description="批示领导 (user id)")
    instructed_on: date = Field(description="批示日期")
    needs_supervision: bool = Field(description="是否督办")
    supervision_deadline: date | None = Field(default=None, description="督办期限")
    lead_department: Department | None = Field(default=None, description="主办部门 if known")
    co_departments: list[Department] = Field(default_factory=list, description="协办部门 if known")
    instruction: str | None = Field(default=None, description="批示内容 (None when classified)")


class IncomingAssigned(IncomingFact):
    """It was given to a lead department and co-departments with a deadline (承办)."""

    lead_department: Department = Field(description="主办部门")
    co_departments: list[Department] = Field(default_factory=list, description="协办部门")
    assigned_on: date = Field(description="交办日期")
    due_on: date = Field(description="办理期限")
    working_days: int | None = Field(default=None, description="期限工作日数")
    due_on_provisional: DueProvisional = False

    def addressed_to(self) -> list[str]:
        """承办: the lead department and the co-departments (条例 Art. 24(四))."""
        return handling_departments(self.lead_department, self.co_departments)


class IncomingCirculated(IncomingFact):
    """It was sent round for reading (传阅)."""

    departments: list[Department] = Field(default_factory=list, description="传阅部门")
    leaders: list[str] = Field(default_factory=list,
                               description="传阅领导 as shown (姓名, or the user id)")
    leader_subjects: list[str] = Field(default_factory=list, max_length=100,
                                       description="传阅领导的用户 id")
    circulated_at: datetime = Field(description="送阅时间")
    holders: list[str] = Field(description="当前持有人, after this circulation")

    def addressed_to(self) -> list[str]:
        """传阅: the departments it was sent round to (the leaders are people, not
        departments: they read it in the office)."""
        return list(dict.fromkeys(self.departments))


class IncomingRead(IncomingFact):
    """A holder read it and returned it (阅毕)."""

    holder: str = Field(description="传阅对象 that returned it")
    read_by: str = Field(description="阅文人")
    read_at: datetime = Field(description="阅毕时间")
    holders: list[str] = Field(description="当前持有人, after the return")
    archivable: bool = Field(description="可归档")


class IncomingReminded(IncomingFact):
    """催办: a reminder to the handling departments before the deadline, or by hand."""

    kind: ReminderKind = Field(description="催办方式")
    lead_department: Department = Field(description="主办部门")
    co_departments: list[Department] = Field(default_factory=list, description="协办部门")
    reminded_on: date = Field(description="催办日期")
    due_on: date = Field(description="办理期限")
    working_days_left: int = Field(description="剩余工作日")
    remarks: str | None = Field(default=None, description="催办意见 (None when classified)")

    def addressed_to(self) -> list[str]:
        """催办 goes to the departments handling it: the lead answers for the deadline, the
        co-departments owe the lead their part before it (条例 Art. 24(六))."""
        return handling_departments(self.lead_department, self.co_departments)


class IncomingOverdue(IncomingFact):
    """It was not completed by its deadline (逾期), noticed the first working day after."""

    lead_department: Department = Field(description="主办部门")
    co_departments: list[Department] = Field(default_factory=list, description="协办部门")
    due_on: date = Field(description="办理期限")
    overdue_since: date = Field(description="逾期起始日: the first working day after")

    def addressed_to(self) -> list[str]:
        return handling_departments(self.lead_department, self.co_departments)


class IncomingDeadlineChanged(IncomingFact):
    """办理期限调整: a deadline counted on a provisional calendar moved when the official
    year (the State Council's 调休 arrangement) arrived; ``due_on`` is the new date."""

    lead_department: Department = Field(description="主办部门")
    co_departments: list[Department] = Field(default_factory=list, description="协办部门")
    previous_due_on: date = Field(description="原办理期限 (按临时工作日历)")
    due_on: date = Field(description="调整后的办理期限")
    reason: str = Field(max_length=500, description="调整原因")

    def addressed_to(self) -> list[str]:
        """The handling departments' deadline moved: they are told, as of the 承办."""
        return handling_departments(self.lead_department, self.co_departments)


class IncomingCompleted(IncomingFact):
    """Handling was completed (办结)."""

    lead_department: Department = Field(description="主办部门")
    completed_on: date = Field(description="办结日期")
    due_on: date = Field(description="办理期限")
    on_time: bool = Field(description="按期办结")
    archivable: bool = Field(description="可归档 (no copy still out on circulation)")
    result: str | None = Field(default=None, description="办理结果 (None when classified)")


# --- the table of messages -------------------------------------------------------------

REGISTER_INCOMING = CONTRACT.command("register_incoming", RegisterIncoming, IncomingStepReply)
REVIEW_INCOMING = CONTRACT.command("review_incoming", ReviewIncoming, IncomingStepReply)
PROPOSE_HANDLING = CONTRACT.command("propose_handling", ProposeHandling, IncomingStepReply)
INSTRUCT_INCOMING = CONTRACT.command("instruct_incoming", InstructIncoming, IncomingStepReply)
ASSIGN_INCOMING = CONTRACT.command("assign_incoming", AssignIncoming, IncomingStepReply)
CIRCULATE_INCOMING = CONTRACT.command("circulate_incoming", CirculateIncoming,
                                      IncomingStepReply)
CONFIRM_READING = CONTRACT.command("confirm_reading", ConfirmReading, IncomingStepReply)
REMIND_INCOMING = CONTRACT.command("remind_incoming", RemindIncoming, IncomingStepReply)
COMPLETE_INCOMING = CONTRACT.command("complete_incoming", CompleteIncoming, IncomingStepReply)

GET_INCOMING = CONTRACT.query("get_incoming", GetIncoming, IncomingView)
LIST_INCOMING = CONTRACT.query("list_incoming", ListIncoming, IncomingList)
WHO_HOLDS = CONTRACT.query("who_holds", WhoHolds, IncomingHolders)

INCOMING_REGISTERED = CONTRACT.event("incoming", "registered", IncomingRegistered)
INCOMING_RETURNED = CONTRACT.event("incoming", "returned", IncomingReturned)
INCOMING_PROPOSED = CONTRACT.event("incoming", "proposed", IncomingProposed)
INCOMING_INSTRUCTED = CONTRACT.event("incoming", "instructed", IncomingInstructed)
INCOMING_ASSIGNED = CONTRACT.event("incoming", "assigned", IncomingAssigned)
INCOMING_CIRCULATED = CONTRACT.event("incoming", "circulated", IncomingCirculated)
INCOMING_READ = CONTRACT.event("incoming", "read", IncomingRead)
INCOMING_REMINDED = CONTRACT.event("incoming", "reminded", IncomingReminded)
INCOMING_OVERDUE = CONTRACT.event("incoming", "overdue", IncomingOverdue)
INCOMING_COMPLETED = CONTRACT.event("incoming", "completed", IncomingCompleted)
INCOMING_DEADLINE_CHANGED = CONTRACT.event("incoming", "deadline_changed",
                                           IncomingDeadlineChanged)
