"""The deadline's life: 延期 (asked by the lead, decided by the office or a leader; once, within
the limit), 中止 and 恢复 (with the reason and the approver), 催办 by hand and by the sweep, the
督办通知书's number from the documents service, and the progress reports' reminders.

Pure: no I/O, the time and the calendar are passed in.
"""

from __future__ import annotations

from datetime import date, datetime

from govbus_contracts.envelope import Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.supervision.common import (
    EscalationLevel,
    ExtensionDecision,
    ItemStatus,
    Role,
)
from govbus_contracts.services.supervision.items import (
    ITEM_ESCALATED,
    ITEM_EXTENDED,
    ITEM_EXTENSION_REFUSED,
    ITEM_EXTENSION_REQUESTED,
    ITEM_NOTICE_RECORDED,
    ITEM_PROGRESS_LATE,
    ITEM_PROGRESS_REMINDED,
    ITEM_RESUMED,
    ITEM_SUSPENDED,
    DecideExtension,
    EscalationRecord,
    ExtensionRecord,
    ItemEscalated,
    ItemExtended,
    ItemExtensionRefused,
    ItemExtensionRequested,
    ItemNoticeRecorded,
    ItemProgressLate,
    ItemProgressReminded,
    ItemResumed,
    ItemSuspended,
    RequestExtension,
    SupervisionNotice,
    SuspendItem,
    SuspensionRecord,
)
from govbus_kit.clock import office_date
from govbus_kit.domain import Actor, Change, Emit, act_as, refuse, system_actor
from govbus_kit.periods import next_working_day_from
from govbus_supervision.domain.access import act_for_lead
from govbus_supervision.domain.escalation import (
    EscalationPolicy,
    due_level,
    escalation_event_id,
    next_level,
)
from govbus_supervision.domain.periods import Periods
from govbus_supervision.domain.progress import (
    progress_event_id,
    report_alert_due,
    report_day_after,
)
from govbus_supervision.domain.record import (
    ItemChange,
    S,
    SupervisionItem,
    fact_of,
    logged,
    require_step,
)

SYSTEM = system_actor("supervision", "督查督办系统")


def extension_limit(item: SupervisionItem, periods: Periods) -> date:
    """The latest deadline one extension may give: 建议、提案 three months more (moved off a
    holiday); the other kinds the ``extension`` period in working days."""
    assert item.due_on is not None and item.due_set_on is not None
    name = "motion_extension" if item.is_motion else "extension"
    version = periods.version(name, item.due_set_on)
    if version.unit == "months":
        return version.due_on(item.due_on, periods.calendar)
    return periods.calendar.add_working_days(item.due_on, version.amount)


def request_extension(item: SupervisionItem, cmd: RequestExtension, principal: Principal,
                      now: datetime, periods: Periods) -> ItemChange:
    """延期申请 by the lead department, before the deadline passes; once."""
    actor = act_for_lead(principal, item, "申请延期")
    require_step(item, "申请延期", (S.handling,))
    assert item.due_on is not None
    today = office_date(now)
    if any(e.decision is None for e in item.extensions):
        raise GovbusError(ErrorCode.conflict, "延期申请正在审批")
    if any(e.decision is ExtensionDecision.approve for e in item.extensions):
        raise GovbusError(ErrorCode.conflict, "办理期限只能延长一次")
    if today > item.due_on:
        raise GovbusError(ErrorCode.deadline_passed,
                          f"办理期限已于{item.due_on}届满, 不能再申请延期",
                          due_on=str(item.due_on))
    limit = extension_limit(item, periods)
    if not item.due_on < cmd.requested_due_on <= limit:
        raise refuse(f"申请延至的日期应在{item.due_on}之后、不晚于{limit}",
                     field="requested_due_on", limit=str(limit))
    record = ExtensionRecord(requested_on=today, requested_by=actor.display,
                             department=actor.department or "", reason=cmd.reason,
                             requested_due_on=cmd.requested_due_on, previous_due_on=item.due_on)
    new = logged(item, actor, now, "申请延期", cmd.reason,
                 extensions=[*item.extensions, record])
    return Change(new, [Emit(ITEM_EXTENSION_REQUESTED, ItemExtensionRequested(
        **fact_of(new), requested_on=today, requested_due_on=cmd.requested_due_on,
        reason=cmd.reason))])


def decide_extension(item: SupervisionItem, cmd: DecideExtension, principal: Principal,
                     now: datetime, periods: Periods) -> ItemChange:
    """延期审批 by the supervision office or a leader: the approver is recorded."""
    actor = act_as(principal, Role.supervisor, Role.leader, Role.admin, step="审批延期")
    require_step(item, "审批延期", (S.handling, S.suspended))
    if not item.extensions or item.extensions[-1].decision is not None:
        raise GovbusError(ErrorCode.invalid_transition, "没有待审批的延期申请")
    today = office_date(now)
    asked = item.extensions[-1]
    approve = cmd.decision is ExtensionDecision.approve
    extensions = item.extensions[:-1]
    decided = asked.model_copy(update={
        "decision": cmd.decision, "decided_by": actor.display, "decided_on": today,
        "remarks": cmd.remarks, "new_due_on": asked.requested_due_on if approve else None})
    if not approve:
        new = logged(item, actor, now, "不同意延期", cmd.remarks,
                     extensions=[*extensions, decided])
        return Change(new, [Emit(ITEM_EXTENSION_REFUSED, ItemExtensionRefused(
            **fact_of(new), refused_by=actor.display, refused_on=today))])
    new = logged(item, actor, now, "同意延期", f"延至{asked.requested_due_on}",
                 extensions=[*extensions, decided], due_on=asked.requested_due_on,
                 due_set_on=today,
                 due_on_provisional=periods.calendar.is_provisional_between(
                     today, asked.requested_due_on))
    return Change(new, [Emit(ITEM_EXTENDED, ItemExtended(
        **fact_of(new), previous_due_on=asked.previous_due_on, approved_by=actor.display,
        approved_on=today, reason=asked.reason))])


def suspend(item: SupervisionItem, cmd: SuspendItem, principal: Principal,
            now: datetime) -> ItemChange:
    """中止 with the reason and the approving leader: the deadline stands still."""
    actor = act_as(principal, Role.supervisor, Role.admin, step="中止")
    require_step(item, "中止", (S.handling,))
    assert item.due_on is not None
    today = office_date(now)
    record = SuspensionRecord(reason=cmd.reason, approved_by=cmd.approved_by,
                              started_on=today, due_on_before=item.due_on,
                              recorded_by=actor.display)
    new = logged(item, actor, now, "中止", f"{cmd.reason} (批准: {cmd.approved_by})",
                 status=S.suspended, suspended_from=item.status,
                 suspensions=[*item.suspensions, record])
    return Change(new, [Emit(ITEM_SUSPENDED, ItemSuspended(
        **fact_of(new), suspended_on=today, reason=cmd.reason, approved_by=cmd.approved_by))])


def resume(item: SupervisionItem, remarks: str | None, principal: Principal, now: datetime,
           periods: Periods) -> ItemChange:
    """恢复办理: the deadline moves by the working days suspended (a deadline is a working
    day, so the move keeps it on one). The deadline moved is the one in force now: an
    extension approved while the item stood still is kept."""
    actor = act_as(principal, Role.supervisor, Role.admin, step="恢复办理")
    require_step(item, "恢复办理", (S.suspended,))
    assert item.due_on is not None
    today = office_date(now)
    current = item.suspensions[-1]
    cal = periods.calendar
    lost = max(0, cal.working_days_between(current.started_on, today))
    due = cal.add_working_days(next_working_day_from(item.due_on, cal), lost)
    ended = current.model_copy(update={"ended_on": today, "due_on_after": due})
    new = logged(item, actor, now, "恢复办理", remarks, status=item.suspended_from or S.handling,
                 suspended_from=None, suspensions=[*item.suspensions[:-1], ended], due_on=due,
                 due_set_on=today,
                 due_on_provisional=cal.is_provisional_between(today, due))
    return Change(new, [Emit(ITEM_RESUMED, ItemResumed(
        **fact_of(new), resumed_on=today, previous_due_on=item.due_on))])


# --- 催办 ------------------------------------------------------------------------------------


def _escalated(item: SupervisionItem, level: EscalationLevel, actor: Actor, now: datetime,
               periods: Periods, remarks: str | None, manual: bool) -> ItemChange:
    assert item.due_on is not None
    today = office_date(now)
    record = EscalationRecord(level=level, issued_on=today, due_on=item.due_on,
                              by=actor.subject, remarks=remarks)
    notices = item.notices
    if level is EscalationLevel.notice:
        # The documents service drafts the numbered 公文; its number comes when dispatched.
        notices = [*notices, SupervisionNotice(level_issued_on=today, due_on=item.due_on)]
    overdue_since = item.overdue_since
    if today > item.due_on and overdue_since is None:
        overdue_since = periods.calendar.next_working_day(item.due_on)
    new = logged(item, actor, now, f"催办: {level.value}", remarks,
                 escalations=[*item.escalations, record], notices=notices,
                 overdue_since=overdue_since)
    left = periods.calendar.working_days_between(today, item.due_on)
    event = ItemEscalated(**fact_of(new), level=level, issued_on=today, working_days_left=left,
                          manual=manual)
    return Change(new, [Emit(ITEM_ESCALATED, event,
                             event_id=escalation_event_id(item.id, level, item.due_on))])


def escalate(item: SupervisionItem, level: EscalationLevel, remarks: str | None,
             principal: Principal, now: datetime, periods: Periods) -> ItemChange:
    """催办 by hand: the next level in order for the deadline (earlier than the sweep would,
    never skipping one): 提醒 only up to the deadline."""
    actor = act_as(principal, Role.supervisor, Role.admin, step="催办")
    require_step(item, "催办", (S.handling,))
    assert item.due_on is not None
    expected = next_level(item.due_on, item.issued_levels(), office_date(now))
    if level is not expected:
        raise GovbusError(ErrorCode.invalid_transition,
                          f"本期限下一级催办为「{expected.value}」" if expected
                          else "本期限的各级催办均已发出", level=level.value,
                          expected=expected.value if expected else None)
    return _escalated(item, level, actor, now, periods, remarks, manual=True)


def record_notice(item: SupervisionItem, document_id: str, doc_number: str,
                  dispatched_on: date, now: datetime) -> ItemChange | None:
    """The 督办通知书 the documents service dispatched: its 发文字号 on the item (None: the
    item already has it, or asked for no notice)."""
    waiting = [i for i, n in enumerate(item.notices)
               if n.doc_number is None and n.document_id in (None, document_id)]
    if any(n.document_id == document_id and n.doc_number for n in item.notices) or not waiting:
        return None
    index = next((i for i in waiting if item.notices[i].document_id == document_id), waiting[0])
    notices = list(item.notices)
    notices[index] = notices[index].model_copy(update={
        "document_id": document_id, "doc_number": doc_number, "dispatched_on": dispatched_on})
    new = logged(item, SYSTEM, now, "督办通知书已核发", doc_number, notices=notices)
    return Change(new, [Emit(ITEM_NOTICE_RECORDED, ItemNoticeRecorded(
        **fact_of(new), document_id=document_id, doc_number=doc_number,
        dispatched_on=dispatched_on))])


def notice_requested(item: SupervisionItem, document_id: str, due_on: date,
                     now: datetime) -> SupervisionItem:
    """The documents service has the draft (its id) of the 督办通知书 that urged the deadline
    ``due_on``: no fact, it is not out. The item unchanged when that notice has its draft
    already (a retried request)."""
    notices = list(item.notices)
    index = next((i for i in range(len(notices) - 1, -1, -1)
                  if notices[i].document_id is None and notices[i].due_on == due_on), None)
    if index is None or any(n.document_id == document_id for n in notices):
        return item
    notices[index] = notices[index].model_copy(update={"document_id": document_id})
    return logged(item, SYSTEM, now, "督办通知书起草", document_id, notices=notices)


# --- the sweep ---------------------------------------------------------------------------------


def sweep(item: SupervisionItem, now: datetime, periods: Periods) -> ItemChange | None:
    """What today calls for: a progress report reminded or late (each once), then the due 催办
    level. None: nothing (the sweep runs often; it changes nothing twice)."""
    if item.status is not ItemStatus.handling or item.due_on is None:
        return None
    today = office_date(now)
    started = item.due_set_on or today
    change = _progress_alert(item, today, now, periods, started)
    current = change.state if change else item
    events = change.events if change else []
    assert current.due_on is not None
    level = due_level(current.due_on, current.issued_levels(), today,
                      EscalationPolicy.in_force(periods, started), periods)
    if level is not None:
        escalated = _escalated(current, level, SYSTEM, now, periods, None, manual=False)
        return Change(escalated.state, [*events, *escalated.events])
    return change


def _progress_alert(item: SupervisionItem, today: date, now: datetime, periods: Periods,
                    started: date) -> ItemChange | None:
    due = item.next_report_due_on
    if due is None:
        return None
    alert = report_alert_due(due, today, item.report_reminded, periods, started)
    if alert is None:
        return None
    event_id = progress_event_id(item.id, alert, due)
    if alert == "reminder":
        new = logged(item, SYSTEM, now, "提醒报送进展", str(due), report_reminded=True)
        return Change(new, [Emit(ITEM_PROGRESS_REMINDED, ItemProgressReminded(
            **fact_of(new), report_due_on=due, reminded_on=today), event_id=event_id)])
    assignment = item.assignments[-1]
    following = report_day_after(due, assignment.progress_schedule, assignment.report_day,
                                 periods)
    new = logged(item, SYSTEM, now, "进展逾期未报", str(due),
                 missed_reports=[*item.missed_reports, due], next_report_due_on=following,
                 report_reminded=False)
    return Change(new, [Emit(ITEM_PROGRESS_LATE, ItemProgressLate(
        **fact_of(new), report_due_on=due, late_since=periods.calendar.next_working_day(due)),
        event_id=event_id)])
