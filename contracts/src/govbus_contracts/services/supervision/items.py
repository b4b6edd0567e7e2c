"""Contracts of the supervision service: 督查事项 from 立项 to 办结.

立项 → 登记 (督〔2026〕12号, a serial per year) → 交办 (督查通知: one lead department,
co-departments, a deadline, a progress-report schedule) → 进展报告 → 催办 (提醒 → 催办通知 →
督办通知书 → 通报) → 反馈 (the lead's answer with the co-departments' opinions) → 审结
(accepted: 办结; or 退回重办 with reasons and a new deadline). Beside the way: 退回 of a
misrouted item by the lead department (重新交办 by the 督查室), 延期 and 中止 with a reason
and the approver's decision, and for 建议 / 提案 the deputies' satisfaction (不满意 → handled
again).

Commands and queries name the item by ``id``; references to other services' aggregates are
``document_id`` (a 收文 or the 督办通知书's 发文) and ``case_id`` (a complaint or a disclosure
request). Deputies' and members' names are public; their contact details are personal data:
only the supervision office sees them, and no event carries them. Every fact addressed to
departments carries ``lead_department`` and ``co_departments``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from govbus_contracts.base import (
    MAX_DEPARTMENTS,
    Command,
    DepartmentName,
    DueProvisional,
    Event,
    InputId,
    Query,
    Remarks,
    Reply,
    ShortText,
    Year,
)
from govbus_contracts.services.supervision.common import (
    CONTRACT,
    EscalationLevel,
    ExtensionDecision,
    ItemStatus,
    ManualKind,
    MeetingKind,
    ProgressSchedule,
    ResultCode,
    ReviewDecision,
    Satisfaction,
    SourceKind,
)

ItemId = str
Department = str
#: 督查事项标题
Title = Annotated[str, Field(min_length=1, max_length=200, description="督查事项标题")]
#: 督办内容 / 办理要求, an answer's text, a progress report
LongText = Annotated[str, Field(min_length=1, max_length=20_000)]
Reason = Annotated[str, Field(min_length=1, max_length=500)]
PersonName = Annotated[str, Field(min_length=1, max_length=100)]
#: deputies (members) signing one 建议 (提案): a joint one has dozens at most
MAX_SIGNERS = 200
#: items one meeting decides, milestones of one task, reasons of one review
MAX_MEETING_ITEMS = 100
MAX_MILESTONES = 50


class Record(BaseModel):
    """A part of the item's record, shown in replies (readers ignore unknown fields)."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class Part(BaseModel):
    """A part of a command: unknown fields are refused like the command's own."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


# --- sources (立项来源) ---------------------------------------------------------------------


class SignerContact(Part):
    """联系方式 of a deputy (member): personal data, shown only to the supervision office."""

    phone: str | None = Field(default=None, min_length=1, max_length=30, description="联系电话")
    address: str | None = Field(default=None, min_length=1, max_length=200,
                                description="通讯地址")
    postcode: str | None = Field(default=None, min_length=1, max_length=10, description="邮编")
    email: str | None = Field(default=None, min_length=3, max_length=200, description="电子邮箱")


class Signer(Part):
    """领衔 or 附议 deputy (member): the name is public, the contact is not."""

    name: PersonName = Field(description="代表 (委员) 姓名")
    group: str | None = Field(default=None, min_length=1, max_length=100,
                              description="代表团 / 界别 / 党派")
    leading: bool = Field(default=False, description="领衔人")
    contact: SignerContact | None = Field(default=None, description="联系方式 (仅督查室可见)")


class LeaderInstructionSource(Part):
    """领导批示 on a 收文 (the documents service's 批示 with 督办)."""

    document_id: InputId = Field(description="收文 id (documents)")
    registration_number: str | None = Field(default=None, min_length=1, max_length=100,
                                            description="收文编号")
    issuer_doc_number: str | None = Field(default=None, min_length=1, max_length=100,
                                          description="来文字号")
    leader: PersonName = Field(description="批示领导")
    instructed_on: date = Field(description="批示日期")
    instruction: str | None = Field(default=None, min_length=1, max_length=5000,
                                    description="批示内容 (None when the 收文 is classified)")


class MeetingSource(Part):
    """会议议定事项: one of the items a meeting decided; the 纪要 number links them."""

    meeting_kind: MeetingKind = Field(description="会议类型")
    meeting_name: str = Field(min_length=1, max_length=200,
                              description="会议名称, e.g. 市政府第12次常务会议")
    held_on: date = Field(description="会议日期")
    minutes_number: str = Field(min_length=1, max_length=100,
                                description="会议纪要号, e.g. 〔2026〕12号")
    item_no: int = Field(ge=1, le=MAX_MEETING_ITEMS, description="议定事项序号")


class MotionSource(Part):
    """人大代表建议 or 政协提案: answered to each signer."""

    session: str = Field(min_length=1, max_length=200,
                         description="届次会议, e.g. 市十七届人大三次会议")
    motion_number: str = Field(min_length=1, max_length=50, description="建议 (提案) 号")
    signers: list[Signer] = Field(min_length=1, max_length=MAX_SIGNERS,
                                  description="领衔及附议代表 (委员)")


class WorkReportSource(Part):
    """政府工作报告: a target (目标) or one of its tasks per department (项目化、时间表、
    责任人); a task names its target as the item's ``parent_id``."""

    year: Year = Field(description="报告年度")
    reference: str = Field(min_length=1, max_length=100,
                           description="目标 (任务) 编号, e.g. 三(二)4")


class OverdueCaseSource(Part):
    """An overdue complaint or disclosure request, linked to its case."""

    case_id: InputId = Field(description="投诉 (申请) id in its service")
    case_number: str = Field(min_length=1, max_length=100, description="案件编号")
    department: DepartmentName | None = Field(default=None, description="办理部门")
    due_on: date = Field(description="原办理期限")
    overdue_since: date = Field(description="逾期起始日")


class ManualSource(Part):
    """Manual 立项: a media report, a 专项督查, a document to follow up, anything else."""

    manual_kind: ManualKind = Field(description="事项来源")
    origin: str = Field(min_length=1, max_length=500,
                        description="出处, e.g. 某报2026年3月2日第4版报道")


#: The part of a source each kind carries (建议 and 提案 share one, as do the overdue cases).
SOURCE_PARTS: dict[SourceKind, str] = {
    SourceKind.leader_instruction: "instruction",
    SourceKind.meeting_decision: "meeting",
    SourceKind.deputy_suggestion: "motion",
    SourceKind.cppcc_proposal: "motion",
    SourceKind.work_report: "work_report",
    SourceKind.complaint_overdue: "case",
    SourceKind.disclosure_overdue: "case",
    SourceKind.manual: "manual",
}


class Source(Part):
    """立项来源: the kind and the one part that kind carries, the others absent (the
    service refuses any other combination with ``validation_failed``).

    Separate optional parts rather than a union of models: each part's schema can grow on
    its own within the major version, and every consumer reads it."""

    kind: SourceKind = Field(description="来源类型")
    instruction: LeaderInstructionSource | None = Field(default=None, description="领导批示")
    meeting: MeetingSource | None = Field(default=None, description="会议议定事项")
    motion: MotionSource | None = Field(default=None, description="人大代表建议 / 政协提案")
    work_report: WorkReportSource | None = Field(default=None, description="政府工作报告")
    case: OverdueCaseSource | None = Field(default=None, description="逾期投诉 / 申请")
    manual: ManualSource | None = Field(default=None, description="其他来源")


class Milestone(Part):
    """时间节点 of a work-report task."""

    title: ShortText = Field(min_length=1, description="节点内容")
    due_on: date = Field(description="节点期限")
    completed_on: date | None = Field(default=None, description="完成日期")


# --- parts of the record --------------------------------------------------------------------


class HistoryEntry(Record):
    """One line of the audit trail (办理记录)."""

    at: datetime = Field(description="时间")
    action: str = Field(description="环节, e.g. 立项, 交办, 审结")
    by: str = Field(description="办理人 (user id; system:supervision for the sweep)")
    by_name: str | None = Field(default=None, description="办理人姓名")
    role: str = Field(description="the role acted in")
    department: str | None = Field(default=None, description="办理人所在部门")
    remarks: str | None = Field(default=None, description="备注")


class AssignmentRecord(Record):
    """交办 (督查通知), or a 重新交办 after a misrouted return."""

    lead_department: Department = Field(description="主办部门")
    co_departments: list[Department] = Field(default_factory=list, description="协办部门")
    assigned_on: date = Field(description="交办日期")
    assigned_by: str = Field(description="交办人")
    due_on: date = Field(description="办理期限")
    period: str = Field(description="期限依据, e.g. 3个月 (人大代表建议), 15个工作日")
    due_on_provisional: DueProvisional = False
    co_opinion_due_on: date | None = Field(default=None, description="协办意见期限")
    misroute_until: date = Field(description="退回期限: the lead may return it until this day")
    progress_schedule: ProgressSchedule = Field(description="进展报送周期")
    report_day: int = Field(description="报送日: day of the month (of the quarter's last month)")
    remarks: str | None = Field(default=None, description="交办意见")


class MisrouteRecord(Record):
    """退回: the lead department says the item is not its own."""

    department: Department = Field(description="退回部门")
    reason: str = Field(description="退回理由")
    suggested_department: Department | None = Field(default=None, description="建议承办部门")
    returned_on: date = Field(description="退回日期")
    returned_by: str = Field(description="退回人")


class CoOpinion(Record):
    """协办意见, given to the lead department."""

    department: Department = Field(description="协办部门")
    opinion: str = Field(description="协办意见")
    given_on: date = Field(description="提出日期")
    given_by: str = Field(description="经办人")
    late: bool = Field(description="逾期提出")


class ProgressReport(Record):
    """进展报告."""

    due_on: date | None = Field(default=None, description="对应的报送期限 (None: 不定期)")
    submitted_on: date = Field(description="报送日期")
    submitted_by: str = Field(description="报送人")
    text: str = Field(description="进展情况")
    percent: int = Field(description="完成进度 %")
    late: bool = Field(description="逾期报送")


class AnswerDraft(Record):
    """答复稿: seen by the lead department and the supervision office only."""

    text: str = Field(description="答复内容 (稿)")
    result_code: ResultCode | None = Field(default=None, description="办理结果类别")
    saved_on: date = Field(description="保存日期")
    saved_by: str = Field(description="经办人")


class AnswerRecord(Record):
    """反馈: the lead department's answer, with the co-departments' opinions."""

    round: int = Field(description="第几次反馈")
    department: Department = Field(description="主办部门")
    text: str = Field(description="办理情况 / 答复内容")
    result_code: ResultCode | None = Field(default=None, description="办理结果类别 (建议、提案)")
    replies_to: list[str] = Field(default_factory=list,
                                  description="答复对象: the signers answered (建议、提案)")
    co_opinions: list[CoOpinion] = Field(default_factory=list, description="协办意见")
    missing_opinions: list[Department] = Field(
        default_factory=list, description="协办部门逾期未提出意见")
    submitted_on: date = Field(description="反馈日期")
    submitted_by: str = Field(description="反馈人")
    due_on: date = Field(description="反馈时的办理期限")


class ReviewRecord(Record):
    """审结."""

    decision: ReviewDecision = Field(description="审结结论")
    reasons: list[str] = Field(default_factory=list, description="退回理由")
    new_due_on: date | None = Field(default=None, description="重办期限")
    reviewed_on: date = Field(description="审结日期")
    reviewed_by: str = Field(description="审结人")


class ExtensionRecord(Record):
    """延期: asked by the lead department, decided by the supervision office or a leader."""

    requested_on: date = Field(description="申请日期")
    requested_by: str = Field(description="申请人")
    department: Department = Field(description="申请部门")
    reason: str = Field(description="延期理由")
    requested_due_on: date = Field(description="申请延至")
    decision: ExtensionDecision | None = Field(default=None, description="审批结论")
    decided_by: str | None = Field(default=None, description="审批人")
    decided_on: date | None = Field(default=None, description="审批日期")
    previous_due_on: date = Field(description="原办理期限")
    new_due_on: date | None = Field(default=None, description="延期后的办理期限")
    remarks: str | None = Field(default=None, description="审批意见")


class SuspensionRecord(Record):
    """中止: the deadline stands still; on resuming it moves by the days suspended."""

    reason: str = Field(description="中止理由")
    approved_by: str = Field(description="批准人")
    started_on: date = Field(description="中止日期")
    ended_on: date | None = Field(default=None, description="恢复日期")
    due_on_before: date = Field(description="中止时的办理期限")
    due_on_after: date | None = Field(default=None, description="恢复后的办理期限")
    recorded_by: str = Field(description="登记人")


class EscalationRecord(Record):
    """One 催办 level issued for a deadline."""

    level: EscalationLevel = Field(description="催办级别")
    issued_on: date = Field(description="催办日期")
    due_on: date = Field(description="所催的办理期限")
    by: str = Field(description="催办人 (system:supervision for the sweep)")
    remarks: str | None = Field(default=None, description="催办意见")


class SupervisionNotice(Record):
    """督办通知书: a numbered 公文 drafted, signed and dispatched by the documents service;
    the item keeps only what documents announces (no number is invented here)."""

    level_issued_on: date = Field(description="升级为督办通知书的日期")
    due_on: date = Field(description="所催的办理期限")
    document_id: str | None = Field(default=None, description="发文 id (documents)")
    doc_number: str | None = Field(default=None, description="发文字号, when dispatched")
    dispatched_on: date | None = Field(default=None, description="核发日期")


class SatisfactionRecord(Record):
    """代表 (委员) 评价."""

    round: int = Field(description="评价的是第几次反馈")
    signer: str | None = Field(default=None, description="评价人 (None: the item as a whole)")
    satisfaction: Satisfaction = Field(description="满意度")
    recorded_on: date = Field(description="登记日期")
    recorded_by: str = Field(description="登记人")
    remarks: str | None = Field(default=None, description="意见")


class Appraisal(Record):
    """办结 as appraisal counts it (the fact ``item.completed`` carries it)."""

    completed_on: date = Field(description="办结日期")
    due_on: date = Field(description="办理期限 (with approved extensions)")
    on_time: bool = Field(description="按期办结")
    working_days_late: int = Field(description="逾期工作日数 (0 when on time)")
    times_returned: int = Field(description="审结退回次数")
    satisfaction: Satisfaction | None = Field(default=None, description="满意度 (if known)")


class TaskProgress(Record):
    """One task of a target as the target's view shows it (项目化、时间表、责任人)."""

    id: ItemId = Field(description="任务 (督查事项) id")
    number: str | None = Field(default=None, description="督查编号")
    reference: str | None = Field(default=None, description="任务编号, e.g. 三(二)4")
    title: str = Field(description="任务")
    lead_department: Department | None = Field(default=None, description="责任单位")
    status: ItemStatus = Field(description="状态")
    due_on: date | None = Field(default=None, description="办理期限")
    overdue: bool = Field(default=False, description="逾期未办结")
    percent: int = Field(description="完成进度 % (办结 100)")
    milestones: list[Milestone] = Field(default_factory=list, description="时间节点")
    last_reported_on: date | None = Field(default=None, description="最近一次报送进展")
    next_report_due_on: date | None = Field(default=None, description="下次进展报送期限")
    missed_reports: list[date] = Field(default_factory=list, description="逾期未报的报送期限")


class ChildrenProgress(Record):
    """A target's progress, derived from its tasks."""

    tasks: int = Field(description="任务数")
    completed: int = Field(description="已办结")
    overdue: int = Field(description="逾期未办结")
    percent: int = Field(description="平均完成进度 %")
    items: list[TaskProgress] = Field(
        default_factory=list,
        description="分解任务, those the asker may see (a department: its own)")


# --- commands -------------------------------------------------------------------------------


class OpenItem(Command):
    """立项: a supervision item from one source (a meeting's several items: open_meeting_items)."""

    title: Title
    content: LongText = Field(description="督办内容 / 办理要求")
    source: Source
    parent_id: InputId | None = Field(default=None, description="上级目标 id (政府工作报告任务)")
    proposed_lead_department: DepartmentName | None = Field(default=None,
                                                            description="拟主办部门")
    proposed_co_departments: list[DepartmentName] = Field(
        default_factory=list, max_length=MAX_DEPARTMENTS, description="拟协办部门")
    requested_due_on: date | None = Field(default=None,
                                          description="来源要求的期限 (批示、议定事项)")
    milestones: list[Milestone] = Field(default_factory=list, max_length=MAX_MILESTONES,
                                        description="时间节点 (政府工作报告)")


class MeetingDecision(Part):
    """One 议定事项 of a meeting."""

    item_no: int = Field(ge=1, le=MAX_MEETING_ITEMS, description="议定事项序号")
    title: Title
    content: LongText = Field(description="议定内容")
    lead_department: DepartmentName | None = Field(default=None, description="牵头部门")
    co_departments: list[DepartmentName] = Field(
        default_factory=list, max_length=MAX_DEPARTMENTS, description="配合部门")
    due_on: date | None = Field(default=None, description="完成时限")


class OpenMeetingItems(Command):
    """立项 of several 议定事项 of one meeting, linked by its 纪要 number."""

    meeting_kind: MeetingKind = Field(description="会议类型")
    meeting_name: str = Field(min_length=1, max_length=200, description="会议名称")
    held_on: date = Field(description="会议日期")
    minutes_number: str = Field(min_length=1, max_length=100, description="会议纪要号")
    decisions: list[MeetingDecision] = Field(min_length=1, max_length=MAX_MEETING_ITEMS,
                                             description="议定事项")


class RegisterItem(Command):
    """登记: the item's number in the year's register (督〔2026〕12号)."""

    id: ItemId = Field(min_length=1, max_length=64, description="督查事项 id")


class AssignItem(Command):
    """交办 (督查通知): one lead department, co-departments, a deadline, a report schedule.

    Without ``due_on`` the deadline is the kind's period from today (建议、提案: 3 months)."""

    id: ItemId = Field(min_length=1, max_length=64, description="督查事项 id")
    lead_department: DepartmentName = Field(description="主办部门")
    co_departments: list[DepartmentName] = Field(
        default_factory=list, max_length=MAX_DEPARTMENTS, description="协办部门")
    due_on: date | None = Field(default=None, description="办理期限 (default: the kind's period)")
    progress_schedule: ProgressSchedule | None = Field(
        default=None, description="进展报送周期 (default: 政府工作报告 每季度, the others 不定期)")
    report_day: int = Field(default=25, ge=1, le=28,
                            description="报送日 (每月 / 每季度末月的第几日)")
    remarks: Remarks | None = Field(default=None, description="交办意见")


class ReturnMisrouted(Command):
    """退回: the lead department returns an item that is not its own, within the period."""

    id: ItemId = Field(min_length=1, max_length=64, description="督查事项 id")
    reason: Reason = Field(description="退回理由")
    suggested_department: DepartmentName | None = Field(default=None,
                                                        description="建议承办部门")


class ReassignItem(Command):
    """重新交办 of a returned item (the supervision office)."""

    id: ItemId = Field(min_length=1, max_length=64, description="督查事项 id")
    lead_department: DepartmentName = Field(description="主办部门")
    co_departments: list[DepartmentName] = Field(
        default_factory=list, max_length=MAX_DEPARTMENTS, description="协办部门")
    due_on: date | None = Field(default=None, description="办理期限 (default: the kind's period)")
    remarks: Remarks | None = Field(default=None, description="交办意见")


class GiveOpinion(Command):
    """协办意见: a co-department's opinion to the lead department."""

    id: ItemId = Field(min_length=1, max_length=64, description="督查事项 id")
    opinion: LongText = Field(description="协办意见")


class ReportProgress(Command):
    """进展报告 by the lead department."""

    id: ItemId = Field(min_length=1, max_length=64, description="督查事项 id")
    text: LongText = Field(description="进展情况")
    percent: int = Field(ge=0, le=100, description="完成进度 %")
    milestones_done: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(
        default_factory=list, max_length=MAX_MILESTONES, description="已完成的时间节点 (标题)")


class DraftAnswer(Command):
    """答复稿: the lead department saves its answer before submitting it."""

    id: ItemId = Field(min_length=1, max_length=64, description="督查事项 id")
    text: LongText = Field(description="答复内容 (稿)")
    result_code: ResultCode | None = Field(default=None, description="办理结果类别")


class SubmitAnswer(Command):
    """反馈: the lead department's answer (建议、提案: the result code, to each signer)."""

    id: ItemId = Field(min_length=1, max_length=64, description="督查事项 id")
    text: LongText = Field(description="办理情况 / 答复内容")
    result_code: ResultCode | None = Field(default=None, description="办理结果类别 (建议、提案)")
    replies_to: list[PersonName] = Field(
        default_factory=list, max_length=MAX_SIGNERS,
        description="已答复的代表 (委员); 建议、提案 must answer every signer")


class ReviewAnswer(Command):
    """审结: accept the answer (办结) or send it back with reasons and a new deadline."""

    id: ItemId = Field(min_length=1, max_length=64, description="督查事项 id")
    decision: ReviewDecision = Field(description="审结结论")
    reasons: list[Reason] = Field(default_factory=list, max_length=20, description="退回理由")
    new_due_on: date | None = Field(default=None,
                                    description="重办期限 (default: the re-handling period)")
    satisfaction: Satisfaction | None = Field(
        default=None, description="督查室评价 (items other than 建议、提案)")
    remarks: Remarks | None = Field(default=None, description="审结意见")


class RequestExtension(Command):
    """延期申请 by the lead department, with its reason."""

    id: ItemId = Field(min_length=1, max_length=64, description="督查事项 id")
    reason: Reason = Field(description="延期理由")
    requested_due_on: date = Field(description="申请延至")


class DecideExtension(Command):
    """延期审批: the supervision office or a leader approves (once, within the limit) or
    refuses."""

    id: ItemId = Field(min_length=1, max_length=64, description="督查事项 id")
    decision: ExtensionDecision = Field(description="审批结论")
    remarks: Remarks | None = Field(default=None, description="审批意见")


class SuspendItem(Command):
    """中止: with the reason and the leader who approved it."""

    id: ItemId = Field(min_length=1, max_length=64, description="督查事项 id")
    reason: Reason = Field(description="中止理由")
    approved_by: PersonName = Field(description="批准人")


class ResumeItem(Command):
    """恢复办理 after a suspension: the deadline moves by the days suspended."""

    id: ItemId = Field(min_length=1, max_length=64, description="督查事项 id")
    remarks: Remarks | None = Field(default=None, description="备注")


class EscalateItem(Command):
    """催办 by hand: a level not yet issued for the current deadline."""

    id: ItemId = Field(min_length=1, max_length=64, description="督查事项 id")
    level: EscalationLevel = Field(description="催办级别")
    remarks: Remarks | None = Field(default=None, description="催办意见")


class RecordSatisfaction(Command):
    """代表 (委员) 评价 of the answer; 不满意 → handled again, answered within 1 month."""

    id: ItemId = Field(min_length=1, max_length=64, description="督查事项 id")
    satisfaction: Satisfaction = Field(description="满意度")
    signer: PersonName | None = Field(default=None, description="评价的代表 (委员)")
    remarks: Remarks | None = Field(default=None, description="意见")


class CancelItem(Command):
    """撤销立项, with the reason."""

    id: ItemId = Field(min_length=1, max_length=64, description="督查事项 id")
    reason: Reason = Field(description="撤销理由")


# --- replies --------------------------------------------------------------------------------


class ItemStep(Reply):
    """Where the item stands after a step."""

    id: ItemId = Field(description="督查事项 id")
    number: str | None = Field(default=None, description="督查编号, e.g. 督〔2026〕12号")
    status: ItemStatus = Field(description="状态")
    version: int
    due_on: date | None = Field(default=None, description="办理期限")
    due_on_provisional: DueProvisional = False


class MeetingItemsOpened(Reply):
    """The items opened from one meeting, in the order of its decisions."""

    minutes_number: str = Field(description="会议纪要号")
    items: list[ItemStep]


# --- queries --------------------------------------------------------------------------------


class GetItem(Query):
    """One item, as the asker may see it."""

    id: ItemId = Field(min_length=1, max_length=64, description="督查事项 id")


class ItemView(Reply):
    """督查事项 with its record, less what the asker may not see (a co-department sees the
    lead's answer once submitted; deputies' contact details only the supervision office)."""

    id: ItemId
    version: int
    number: str | None = Field(default=None, description="督查编号")
    year: int | None = Field(default=None, description="登记年度")
    status: ItemStatus = Field(description="状态")
    title: str = Field(description="标题")
    content: str = Field(description="督办内容")
    source: Source
    parent_id: str | None = Field(default=None, description="上级目标 id")
    opened_on: date = Field(description="立项日期")
    requested_due_on: date | None = Field(default=None, description="来源要求的期限")
    lead_department: Department | None = Field(default=None, description="主办部门")
    co_departments: list[Department] = Field(default_factory=list, description="协办部门")
    assignments: list[AssignmentRecord] = Field(default_factory=list, description="交办记录")
    due_on: date | None = Field(default=None, description="办理期限")
    due_on_provisional: DueProvisional = False
    next_report_due_on: date | None = Field(default=None, description="下次进展报送期限")
    missed_reports: list[date] = Field(default_factory=list, description="逾期未报的报送期限")
    milestones: list[Milestone] = Field(default_factory=list, description="时间节点")
    misroutes: list[MisrouteRecord] = Field(default_factory=list, description="退回记录")
    co_opinions: list[CoOpinion] = Field(default_factory=list, description="协办意见")
    progress_reports: list[ProgressReport] = Field(default_factory=list, description="进展报告")
    answer_draft: AnswerDraft | None = Field(default=None, description="答复稿")
    answers: list[AnswerRecord] = Field(default_factory=list, description="反馈记录")
    reviews: list[ReviewRecord] = Field(default_factory=list, description="审结记录")
    extensions: list[ExtensionRecord] = Field(default_factory=list, description="延期记录")
    suspensions: list[SuspensionRecord] = Field(default_factory=list, description="中止记录")
    escalations: list[EscalationRecord] = Field(default_factory=list, description="催办记录")
    notices: list[SupervisionNotice] = Field(default_factory=list, description="督办通知书")
    satisfaction: list[SatisfactionRecord] = Field(default_factory=list, description="评价")
    rehandling_rounds: int = Field(default=0, description="不满意重办次数")
    times_returned: int = Field(default=0, description="审结退回次数")
    appraisal: Appraisal | None = Field(default=None, description="办结情况")
    children: ChildrenProgress | None = Field(default=None, description="分解任务进展")
    overdue_since: date | None = Field(default=None, description="逾期起始日")
    cancelled_reason: str | None = Field(default=None, description="撤销理由")
    history: list[HistoryEntry] = Field(default_factory=list, description="办理记录")


# --- events ---------------------------------------------------------------------------------


class ItemFact(Event):
    """What every item fact carries: the departments it is addressed to, no personal data."""

    id: ItemId = Field(description="督查事项 id")
    number: str | None = Field(default=None, description="督查编号")
    source_kind: SourceKind = Field(description="立项来源")
    title: str = Field(description="标题")
    status: ItemStatus = Field(description="状态 after the fact")
    lead_department: Department | None = Field(default=None, description="主办部门")
    co_departments: list[Department] = Field(default_factory=list, description="协办部门")
    due_on: date | None = Field(default=None, description="办理期限")
    parent_id: str | None = Field(default=None, description="上级目标 id")


class DepartmentFact(ItemFact):
    """A fact the handling departments act on: each gets its copy on its own subject
    (``gov.dept.<code>.supervision.…``), so a department's system subscribes to the work
    assigned to it, reminded, returned or overdue, and nobody else's."""

    def addressed_to(self) -> list[str]:
        departments = [self.lead_department] if self.lead_department else []
        return list(dict.fromkeys([*departments, *self.co_departments]))


class ItemOpened(ItemFact):
    """立项."""

    opened_on: date = Field(description="立项日期")
    document_id: str | None = Field(default=None, description="收文 id (领导批示)")
    case_id: str | None = Field(default=None, description="案件 id (逾期投诉、申请)")
    minutes_number: str | None = Field(default=None, description="会议纪要号")


class ItemRegistered(ItemFact):
    """登记: the item has its number."""

    year: int = Field(description="登记年度")
    serial: int = Field(description="年度流水号")
    registered_on: date = Field(description="登记日期")


class ItemAssigned(DepartmentFact):
    """交办 (or 重新交办): the lead department and the co-departments have it."""

    assigned_on: date = Field(description="交办日期")
    co_opinion_due_on: date | None = Field(default=None, description="协办意见期限")
    misroute_until: date = Field(description="退回期限")
    progress_schedule: ProgressSchedule = Field(description="进展报送周期")
    next_report_due_on: date | None = Field(default=None, description="首次进展报送期限")
    reassigned: bool = Field(default=False, description="重新交办")
    due_on_provisional: DueProvisional = False


class ItemMisrouted(ItemFact):
    """退回: the lead department returned it; the office will re-assign it."""

    returned_by_department: Department = Field(description="退回部门")
    reason: str = Field(description="退回理由")
    suggested_department: Department | None = Field(default=None, description="建议承办部门")
    returned_on: date = Field(description="退回日期")


class ItemOpinionGiven(ItemFact):
    """协办意见 given to the lead department."""

    department: Department = Field(description="协办部门")
    given_on: date = Field(description="提出日期")
    late: bool = Field(description="逾期提出")


class ItemProgressReported(ItemFact):
    """进展报告 submitted."""

    submitted_on: date = Field(description="报送日期")
    percent: int = Field(description="完成进度 %")
    late: bool = Field(description="逾期报送")
    next_report_due_on: date | None = Field(default=None, description="下次报送期限")


class ItemProgressReminded(DepartmentFact):
    """A progress report is due soon (提醒报送)."""

    report_due_on: date = Field(description="报送期限")
    reminded_on: date = Field(description="提醒日期")


class ItemProgressLate(DepartmentFact):
    """A progress report was not in by its day (逾期未报)."""

    report_due_on: date = Field(description="报送期限")
    late_since: date = Field(description="逾期起始日")


class ItemAnswered(ItemFact):
    """反馈: the lead department's answer is in, awaiting 审结."""

    round: int = Field(description="第几次反馈")
    submitted_on: date = Field(description="反馈日期")
    result_code: ResultCode | None = Field(default=None, description="办理结果类别")
    on_time: bool = Field(description="按期反馈")


class ItemSentBack(DepartmentFact):
    """审结退回: inadequate; back to handling with reasons and a new deadline."""

    reasons: list[str] = Field(description="退回理由")
    sent_back_on: date = Field(description="退回日期")
    times_returned: int = Field(description="审结退回次数")


class ItemCompleted(ItemFact):
    """办结: what appraisal counts (on time or late, by how many working days, returned how
    many times, satisfaction). Announced at 审结通过, and again with the satisfaction once
    every signer (the office, of other items) has rated the answer; a 不满意 reopens the item
    (ItemReopened) and its next 办结 is announced anew: the latest of an item counts."""

    completed_on: date = Field(description="办结日期")
    on_time: bool = Field(description="按期办结")
    working_days_late: int = Field(description="逾期工作日数")
    times_returned: int = Field(description="审结退回次数")
    rehandling_rounds: int = Field(description="不满意重办次数")
    result_code: ResultCode | None = Field(default=None, description="办理结果类别")
    satisfaction: Satisfaction | None = Field(default=None, description="满意度 (if known)")


class ItemSatisfactionRecorded(ItemFact):
    """代表 (委员) 评价 recorded (names only; no contact details)."""

    satisfaction: Satisfaction = Field(description="满意度")
    round: int = Field(description="评价的是第几次反馈")
    recorded_on: date = Field(description="登记日期")


class ItemReopened(DepartmentFact):
    """不满意: handled again, answered within the re-handling period."""

    reopened_on: date = Field(description="重办日期")
    rehandling_rounds: int = Field(description="不满意重办次数")


class ItemExtensionRequested(ItemFact):
    """延期申请."""

    requested_on: date = Field(description="申请日期")
    requested_due_on: date = Field(description="申请延至")
    reason: str = Field(description="延期理由")


class ItemExtended(DepartmentFact):
    """延期 approved: ``due_on`` is the new deadline."""

    previous_due_on: date = Field(description="原办理期限")
    approved_by: str = Field(description="审批人")
    approved_on: date = Field(description="审批日期")
    reason: str = Field(description="延期理由")


class ItemExtensionRefused(ItemFact):
    """延期 refused: the deadline stands."""

    refused_by: str = Field(description="审批人")
    refused_on: date = Field(description="审批日期")


class ItemSuspended(DepartmentFact):
    """中止, with its reason and approver."""

    suspended_on: date = Field(description="中止日期")
    reason: str = Field(description="中止理由")
    approved_by: str = Field(description="批准人")


class ItemResumed(DepartmentFact):
    """恢复办理: ``due_on`` moved by the days suspended."""

    resumed_on: date = Field(description="恢复日期")
    previous_due_on: date = Field(description="中止时的办理期限")


class ItemEscalated(DepartmentFact):
    """催办 at a level (提醒 → 催办通知 → 督办通知书 → 通报), once per level and deadline."""

    level: EscalationLevel = Field(description="催办级别")
    issued_on: date = Field(description="催办日期")
    working_days_left: int = Field(description="剩余工作日 (negative: overdue)")
    manual: bool = Field(default=False, description="人工催办")


class ItemNoticeRecorded(ItemFact):
    """督办通知书 dispatched by the documents service: its 发文字号 on the item."""

    document_id: str = Field(description="发文 id (documents)")
    doc_number: str = Field(description="发文字号")
    dispatched_on: date = Field(description="核发日期")


class ItemCancelled(DepartmentFact):
    """撤销立项."""

    cancelled_on: date = Field(description="撤销日期")
    reason: str = Field(description="撤销理由")


class ItemDeadlineChanged(DepartmentFact):
    """办理期限调整: a deadline counted on a provisional calendar moved when the official year
    arrived; ``due_on`` is the new date."""

    previous_due_on: date = Field(description="原办理期限 (按临时工作日历)")
    reason: str = Field(max_length=500, description="调整原因")


# --- the table of messages ------------------------------------------------------------------

OPEN_ITEM = CONTRACT.command("open_item", OpenItem, ItemStep)
OPEN_MEETING_ITEMS = CONTRACT.command("open_meeting_items", OpenMeetingItems, MeetingItemsOpened)
REGISTER_ITEM = CONTRACT.command("register_item", RegisterItem, ItemStep)
ASSIGN_ITEM = CONTRACT.command("assign_item", AssignItem, ItemStep)
RETURN_MISROUTED = CONTRACT.command("return_misrouted", ReturnMisrouted, ItemStep)
REASSIGN_ITEM = CONTRACT.command("reassign_item", ReassignItem, ItemStep)
GIVE_OPINION = CONTRACT.command("give_opinion", GiveOpinion, ItemStep)
REPORT_PROGRESS = CONTRACT.command("report_progress", ReportProgress, ItemStep)
DRAFT_ANSWER = CONTRACT.command("draft_answer", DraftAnswer, ItemStep)
SUBMIT_ANSWER = CONTRACT.command("submit_answer", SubmitAnswer, ItemStep)
REVIEW_ANSWER = CONTRACT.command("review_answer", ReviewAnswer, ItemStep)
REQUEST_EXTENSION = CONTRACT.command("request_extension", RequestExtension, ItemStep)
DECIDE_EXTENSION = CONTRACT.command("decide_extension", DecideExtension, ItemStep)
SUSPEND_ITEM = CONTRACT.command("suspend_item", SuspendItem, ItemStep)
RESUME_ITEM = CONTRACT.command("resume_item", ResumeItem, ItemStep)
ESCALATE_ITEM = CONTRACT.command("escalate_item", EscalateItem, ItemStep)
RECORD_SATISFACTION = CONTRACT.command("record_satisfaction", RecordSatisfaction, ItemStep)
CANCEL_ITEM = CONTRACT.command("cancel_item", CancelItem, ItemStep)

GET_ITEM = CONTRACT.query("get_item", GetItem, ItemView)

ITEM_OPENED = CONTRACT.event("item", "opened", ItemOpened)
ITEM_REGISTERED = CONTRACT.event("item", "registered", ItemRegistered)
ITEM_ASSIGNED = CONTRACT.event("item", "assigned", ItemAssigned)
ITEM_MISROUTED = CONTRACT.event("item", "misrouted", ItemMisrouted)
ITEM_OPINION_GIVEN = CONTRACT.event("item", "opinion_given", ItemOpinionGiven)
ITEM_PROGRESS_REPORTED = CONTRACT.event("item", "progress_reported", ItemProgressReported)
ITEM_PROGRESS_REMINDED = CONTRACT.event("item", "progress_reminded", ItemProgressReminded)
ITEM_PROGRESS_LATE = CONTRACT.event("item", "progress_late", ItemProgressLate)
ITEM_ANSWERED = CONTRACT.event("item", "answered", ItemAnswered)
ITEM_SENT_BACK = CONTRACT.event("item", "sent_back", ItemSentBack)
ITEM_COMPLETED = CONTRACT.event("item", "completed", ItemCompleted)
ITEM_SATISFACTION_RECORDED = CONTRACT.event("item", "satisfaction_recorded",
                                            ItemSatisfactionRecorded)
ITEM_REOPENED = CONTRACT.event("item", "reopened", ItemReopened)
ITEM_EXTENSION_REQUESTED = CONTRACT.event("item", "extension_requested", ItemExtensionRequested)
ITEM_EXTENDED = CONTRACT.event("item", "extended", ItemExtended)
ITEM_EXTENSION_REFUSED = CONTRACT.event("item", "extension_refused", ItemExtensionRefused)
ITEM_SUSPENDED = CONTRACT.event("item", "suspended", ItemSuspended)
ITEM_RESUMED = CONTRACT.event("item", "resumed", ItemResumed)
ITEM_ESCALATED = CONTRACT.event("item", "escalated", ItemEscalated)
ITEM_NOTICE_RECORDED = CONTRACT.event("item", "notice_recorded", ItemNoticeRecorded)
ITEM_CANCELLED = CONTRACT.event("item", "cancelled", ItemCancelled)
ITEM_DEADLINE_CHANGED = CONTRACT.event("item", "deadline_changed", ItemDeadlineChanged)
