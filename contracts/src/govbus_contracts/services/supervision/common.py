"""Terms of 督查督办 shared by the supervision service's messages.

Sources (立项来源), statuses, escalation levels (催办 提醒 → 催办通知 → 督办通知书 → 通报),
the 人大代表建议 / 政协提案 result codes (A/B/C/D) and satisfaction (满意/基本满意/不满意)
[全国人民代表大会代表建议、批评和意见处理办法; 政协提案办理工作的有关规定; local 督查督办
办法]. Values are the office's own words; member names the English identifiers of DOMAIN.md.
"""

from __future__ import annotations

from enum import StrEnum

from govbus_contracts.registry import ServiceContract

SERVICE = "supervision"
CONTRACT = ServiceContract(
    SERVICE, "督查督办: items from every source to 办结, escalation, ledger (台账) and rates")


class Role(StrEnum):
    """Staff roles carried in the token's ``roles`` claim (the token's ``department`` says
    which department a handler acts for)."""

    supervisor = "supervisor"  # 督查室工作人员: 立项, 登记, 交办, 审结, 催办; sees everything
    leader = "leader"  # 领导: reads everything; approves an extension or a suspension
    handler = "handler"  # 承办部门工作人员: items where the department is lead or co-department
    admin = "admin"


class SourceKind(StrEnum):
    """立项来源: each kind has its own rules (periods, what the source record holds)."""

    leader_instruction = "领导批示"  # on a 收文 (documents' 批示 with 督办)
    meeting_decision = "会议议定事项"  # 常务会议 / 市长办公会议 / 专题会议
    deputy_suggestion = "人大代表建议"
    cppcc_proposal = "政协提案"
    work_report = "政府工作报告"  # a target (no parent) or one of its tasks (with a parent)
    complaint_overdue = "逾期投诉"  # the complaints service's overdue case
    disclosure_overdue = "逾期依申请公开"  # disclosure's overdue request
    manual = "其他督查事项"  # 媒体报道, 专项督查, …


#: 建议 and 提案: answered to the deputies (members) in calendar months, with result codes and
#: their satisfaction.
MOTION_KINDS = frozenset({SourceKind.deputy_suggestion, SourceKind.cppcc_proposal})


class MeetingKind(StrEnum):
    standing = "常务会议"  # 政府常务会议
    mayor_office = "市长办公会议"
    special = "专题会议"


class ManualKind(StrEnum):
    """What a manually opened item comes from."""

    media_report = "媒体报道"
    special_inspection = "专项督查"
    follow_up = "公文跟踪督办"
    other = "其他"


class ItemStatus(StrEnum):
    """督查事项状态, in the order of the procedure."""

    opened = "已立项"
    registered = "已登记"  # 督〔2026〕12号: awaiting 交办
    handling = "办理中"  # 交办: the lead department handles it against a deadline
    misrouted = "已退回"  # the lead returned it as not its own: awaiting 重新交办
    answered = "已反馈"  # the lead's answer is in: awaiting 审结
    suspended = "已中止"  # approved suspension: the deadline stands still
    completed = "已办结"
    cancelled = "已撤销"  # 撤销立项 with a reason


#: Statuses an item no longer moves from (a 不满意 reopens a 办结 item of a 建议/提案).
CLOSED_STATUSES = frozenset({ItemStatus.completed, ItemStatus.cancelled})


class EscalationLevel(StrEnum):
    """催办 levels, in order: each is issued once per deadline."""

    reminder = "提醒"  # before the deadline
    urging = "催办通知"  # the first working day overdue
    notice = "督办通知书"  # a numbered 公文 drafted and dispatched by the documents service
    bulletin = "通报"  # naming the department


ESCALATION_ORDER: tuple[EscalationLevel, ...] = tuple(EscalationLevel)


class ResultCode(StrEnum):
    """办理结果 of a 建议 / 提案 (the answer's 类别)."""

    solved = "A"  # 所提问题已经解决或基本解决
    being_solved = "B"  # 正在解决或已列入计划逐步解决
    later = "C"  # 因目前条件限制或其他原因需以后解决
    reference = "D"  # 留作参考


RESULT_CODE_MEANINGS: dict[ResultCode, str] = {
    ResultCode.solved: "已解决",
    ResultCode.being_solved: "正在解决或列入计划",
    ResultCode.later: "因条件限制以后解决",
    ResultCode.reference: "留作参考",
}


class Satisfaction(StrEnum):
    """代表 (委员) 对办理结果的评价; 不满意 sends the item back to be handled again."""

    satisfied = "满意"
    basically_satisfied = "基本满意"
    dissatisfied = "不满意"


class ProgressSchedule(StrEnum):
    """进展报送: how often the lead department reports on the item."""

    none = "不定期"
    monthly = "每月"
    quarterly = "每季度"


class ReviewDecision(StrEnum):
    """审结."""

    accept = "审结通过"  # → 办结
    send_back = "退回重办"  # inadequate: back to handling with reasons and a new deadline


class ExtensionDecision(StrEnum):
    approve = "同意延期"
    refuse = "不同意延期"


__all__ = [
    "CLOSED_STATUSES",
    "CONTRACT",
    "ESCALATION_ORDER",
    "MOTION_KINDS",
    "RESULT_CODE_MEANINGS",
    "SERVICE",
    "EscalationLevel",
    "ExtensionDecision",
    "ItemStatus",
    "ManualKind",
    "MeetingKind",
    "ProgressSchedule",
    "ResultCode",
    "ReviewDecision",
    "Role",
    "Satisfaction",
    "SourceKind",
]
