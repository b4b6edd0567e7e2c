"""立项 from every source, 登记 (the yearly number) and 撤销.

A 领导批示 opens its item once however often the fact arrives (the id is derived from the
收文 and the 批示 by the handler); a meeting opens its 议定事项 together, linked by its 纪要
number; an overdue complaint or disclosure request opens one once overdue the configured
working days. Every refusal changes nothing.

Pure: no I/O, the time and the calendar are passed in.
"""

from __future__ import annotations

from datetime import date, datetime

from govbus_contracts.envelope import Principal, deterministic_id
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.documents.incoming import IncomingInstructed
from govbus_contracts.services.supervision.common import (
    CLOSED_STATUSES,
    SERVICE,
    MeetingKind,
    Role,
    SourceKind,
)
from govbus_contracts.services.supervision.items import (
    ITEM_CANCELLED,
    ITEM_OPENED,
    ITEM_REGISTERED,
    SOURCE_PARTS,
    ItemCancelled,
    ItemOpened,
    ItemRegistered,
    LeaderInstructionSource,
    MeetingSource,
    Milestone,
    OpenItem,
    OpenMeetingItems,
    OverdueCaseSource,
    Source,
)
from govbus_kit.clock import office_date
from govbus_kit.domain import Actor, Change, Emit, act_as, refuse
from govbus_supervision.domain.periods import Periods
from govbus_supervision.domain.record import (
    ItemChange,
    S,
    SupervisionItem,
    departments_of,
    fact_of,
    history_entry,
    logged,
    require_step,
)
from govbus_supervision.domain.targets import MAX_TASKS


def check_source(source: Source, parent: SupervisionItem | None, tasks: int = 0) -> None:
    """Each kind carries its own part and no other; a work-report task names its target,
    which has fewer than ``MAX_TASKS`` tasks (``tasks``: those it has)."""
    wanted = SOURCE_PARTS[source.kind]
    given = sorted({name for name in SOURCE_PARTS.values() if getattr(source, name) is not None})
    if given != [wanted]:
        raise refuse(f"来源类型「{source.kind.value}」须且只须填写 {wanted}"
                     f" (填写了: {', '.join(given) or '无'})", field="source")
    if source.motion is not None:
        names = [s.name for s in source.motion.signers]
        if len(set(names)) != len(names):
            raise refuse("联名代表 (委员) 重复", field="source.motion.signers")
    if parent is not None:
        if source.kind is not SourceKind.work_report or parent.source.kind is not source.kind:
            raise refuse("只有政府工作报告的任务可以挂在目标之下", field="parent_id")
        if parent.parent_id is not None:
            raise refuse("任务只能挂在目标之下, 不能挂在任务之下", field="parent_id")
        if parent.status in CLOSED_STATUSES:
            raise refuse(f"目标「{parent.title}」已{parent.status.value}", field="parent_id")
        if tasks >= MAX_TASKS:
            raise refuse(f"目标「{parent.title}」已分解{tasks}项任务, 不能再多于{MAX_TASKS}项",
                         field="parent_id")


def open_item(cmd: OpenItem, item_id: str, principal: Principal, now: datetime,
              parent: SupervisionItem | None = None, tasks: int = 0) -> ItemChange:
    """立项 by the supervision office (``parent``: the target of a work-report task, which
    has ``tasks`` tasks already)."""
    actor = act_as(principal, Role.supervisor, Role.admin, step="立项")
    if cmd.parent_id is not None and (parent is None or parent.id != cmd.parent_id):
        raise GovbusError(ErrorCode.not_found, f"目标{cmd.parent_id}不存在", id=cmd.parent_id)
    check_source(cmd.source, parent, tasks)
    return _opened(item_id, cmd.title, cmd.content, cmd.source, actor, now,
                   parent_id=cmd.parent_id, requested_due_on=cmd.requested_due_on,
                   lead=cmd.proposed_lead_department, co=cmd.proposed_co_departments,
                   milestones=list(cmd.milestones))


def open_meeting_items(cmd: OpenMeetingItems, item_ids: list[str], principal: Principal,
                       now: datetime) -> list[ItemChange]:
    """立项 of a meeting's 议定事项, one item each, linked by the 纪要 number."""
    actor = act_as(principal, Role.supervisor, Role.admin, step="立项")
    numbers = [d.item_no for d in cmd.decisions]
    if len(set(numbers)) != len(numbers):
        raise refuse("议定事项序号重复", field="decisions")
    if cmd.held_on > office_date(now):
        raise refuse(f"会议日期 {cmd.held_on} 晚于今天", field="held_on")
    assert len(item_ids) == len(cmd.decisions)
    changes = []
    for item_id, d in zip(item_ids, cmd.decisions, strict=True):
        meeting = MeetingSource(meeting_kind=cmd.meeting_kind, meeting_name=cmd.meeting_name,
                                held_on=cmd.held_on, minutes_number=cmd.minutes_number,
                                item_no=d.item_no)
        changes.append(_opened(item_id, d.title, d.content,
                               Source(kind=SourceKind.meeting_decision, meeting=meeting),
                               actor, now, requested_due_on=d.due_on, lead=d.lead_department,
                               co=d.co_departments))
    return changes


def instruction_item_id(document_id: str, instructed_on: date) -> str:
    """The item of a 批示 on a 收文: the same however often the fact is delivered."""
    return deterministic_id(SERVICE, "item", "instruction", document_id,
                            instructed_on.isoformat())


def meeting_item_id(meeting_kind: MeetingKind, minutes_number: str, item_no: int) -> str:
    """The item of a meeting's 议定事项: one per 纪要 and 序号 (纪要 are numbered per year and
    kind of meeting), so a retry lands on it and the same decision is never opened twice,
    whoever asks again."""
    return deterministic_id(SERVICE, "item", "meeting", meeting_kind.name, minutes_number,
                            str(item_no))


def overdue_case_item_id(kind: SourceKind, case_id: str) -> str:
    """The item of an overdue complaint (disclosure request): one per case."""
    return deterministic_id(SERVICE, "item", kind.name, case_id)


def open_from_instruction(fact: IncomingInstructed, item_id: str, actor: Actor,
                          now: datetime, periods: Periods) -> ItemChange:
    """立项 from a 领导批示 that asks for 督办 (documents' ``incoming.instructed``).

    The 批示 is the leader's, not ours to refuse: one whose 督办期限 has already passed when
    the fact arrives (delivered late, or the leader set a day already gone) opens all the
    same, already overdue since the first working day after that 期限, so that the 督查室
    sees it at once and sets a new deadline at 交办."""
    if not fact.needs_supervision:
        raise refuse("该批示未要求督办", field="needs_supervision")
    source = Source(kind=SourceKind.leader_instruction, instruction=LeaderInstructionSource(
        document_id=fact.id, registration_number=fact.registration_number,
        issuer_doc_number=fact.issuer_doc_number, leader=fact.leader,
        instructed_on=fact.instructed_on, instruction=fact.instruction))
    # A classified 收文 has no title in its facts: the item says which document it follows.
    title = fact.title or f"收文{fact.registration_number}领导批示督办事项"
    deadline = fact.supervision_deadline
    overdue_since = None
    if deadline is not None and deadline < office_date(now):
        overdue_since = periods.calendar.next_working_day(deadline)
    return _opened(item_id, title[:200], fact.instruction or title, source, actor, now,
                   requested_due_on=deadline, lead=fact.lead_department,
                   co=fact.co_departments, overdue_since=overdue_since)


def overdue_case_item_fields(kind: SourceKind, case: OverdueCaseSource,
                             today: date) -> tuple[str, str]:
    """The title and the 督办内容 of an overdue case's item, in the office's words."""
    what, period, undone = {
        SourceKind.complaint_overdue: ("投诉", "办理期限", "办结"),
        SourceKind.disclosure_overdue: ("政府信息公开申请", "答复期限", "答复"),
    }[kind]
    title = f"{what}{case.case_number}逾期未{undone}"
    who = case.department or "承办单位"
    content = (f"{what}{case.case_number}的{period}为{case.due_on}, 自{case.overdue_since}起"
               f"逾期, 至{today}仍未{undone}。请{who}说明逾期原因, 抓紧办理并反馈结果。")
    return title, content


def open_from_overdue_case(kind: SourceKind, case: OverdueCaseSource, item_id: str,
                           actor: Actor, now: datetime) -> ItemChange:
    """立项 of a complaint or a disclosure request overdue the configured working days
    (the sweep of case watches, on the day ``overdue_case_opens_on``), linked to the case;
    its 承办部门 is the proposed lead."""
    if kind not in OVERDUE_CASE_KINDS:
        raise refuse(f"来源类型「{kind.value}」不是逾期案件", field="source.kind")
    title, content = overdue_case_item_fields(kind, case, office_date(now))
    return _opened(item_id, title, content, Source(kind=kind, case=case), actor, now,
                   requested_due_on=None, lead=case.department, co=[],
                   overdue_since=case.overdue_since)


#: The kinds an overdue case of another service opens, with the threshold each waits.
OVERDUE_CASE_KINDS: dict[SourceKind, str] = {
    SourceKind.complaint_overdue: "overdue_complaint_threshold",
    SourceKind.disclosure_overdue: "overdue_disclosure_threshold",
}


def overdue_case_opens_on(overdue_since: date, kind: SourceKind, periods: Periods) -> date:
    """The day an overdue complaint (disclosure request) becomes an item: once overdue the
    configured working days (``overdue_*_threshold``, counted from the day after
    ``overdue_since``), in the version in force the day it went overdue."""
    return periods.due(OVERDUE_CASE_KINDS[kind], overdue_since)


def _opened(item_id: str, title: str, content: str, source: Source, actor: Actor,
            now: datetime, *, parent_id: str | None = None, requested_due_on: date | None,
            lead: str | None, co: list[str],
            milestones: list[Milestone] | None = None,
            overdue_since: date | None = None) -> ItemChange:
    today = office_date(now)
    if requested_due_on is not None and requested_due_on < today and overdue_since is None:
        raise refuse(f"要求的期限 {requested_due_on} 早于今天", field="requested_due_on")
    item = SupervisionItem(
        id=item_id, title=title, content=content, source=source, parent_id=parent_id,
        opened_on=today, requested_due_on=requested_due_on, proposed_lead_department=lead,
        proposed_co_departments=departments_of(lead, co) if lead else list(co),
        milestones=milestones or [], overdue_since=overdue_since,
        history=[history_entry(actor, now, "立项", source.kind.value if overdue_since is None
                               else f"{source.kind.value}; 立项时已逾期 (自{overdue_since})")])
    return Change(item, [Emit(ITEM_OPENED, ItemOpened(
        **fact_of(item), opened_on=today,
        document_id=source.instruction.document_id if source.instruction else None,
        case_id=source.case.case_id if source.case else None,
        minutes_number=source.meeting.minutes_number if source.meeting else None))])


def item_number(prefix: str, year: int, serial: int) -> str:
    """督查编号: 代字 + 〔year〕 + serial without leading zeros + 号 (督〔2026〕12号)."""
    return f"{prefix}〔{year}〕{serial}号"


def register(item: SupervisionItem, prefix: str, year: int, serial: int,
             principal: Principal, now: datetime) -> ItemChange:
    """登记: the next serial of the year's register (taken by the handler, once)."""
    actor = act_as(principal, Role.supervisor, Role.admin, step="登记")
    require_step(item, "登记", (S.opened,))
    if serial < 1:
        raise refuse("流水号从1开始", field="serial")
    number = item_number(prefix, year, serial)
    new = logged(item, actor, now, "登记", number, status=S.registered, number=number,
                 year=year, serial=serial)
    return Change(new, [Emit(ITEM_REGISTERED, ItemRegistered(
        **fact_of(new), year=year, serial=serial, registered_on=office_date(now)))])


def cancel(item: SupervisionItem, reason: str, principal: Principal,
           now: datetime) -> ItemChange:
    """撤销立项, with the reason: while not yet answered."""
    actor = act_as(principal, Role.supervisor, Role.admin, step="撤销立项")
    require_step(item, "撤销立项", (S.opened, S.registered, S.handling, S.misrouted,
                                    S.suspended))
    new = logged(item, actor, now, "撤销立项", reason, status=S.cancelled,
                 cancelled_reason=reason)
    return Change(new, [Emit(ITEM_CANCELLED, ItemCancelled(
        **fact_of(new), cancelled_on=office_date(now), reason=reason))])
