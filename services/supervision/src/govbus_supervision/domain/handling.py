"""交办 and the lead department's work: 退回 (misrouted) → 重新交办, 协办意见, 进展报告,
答复稿 and 反馈.

Pure: no I/O, the time and the calendar are passed in.
"""

from __future__ import annotations

from datetime import date, datetime

from govbus_contracts.envelope import Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.supervision.common import ProgressSchedule, Role, SourceKind
from govbus_contracts.services.supervision.items import (
    ITEM_ANSWERED,
    ITEM_ASSIGNED,
    ITEM_MISROUTED,
    ITEM_OPINION_GIVEN,
    ITEM_PROGRESS_REPORTED,
    AnswerDraft,
    AnswerRecord,
    AssignItem,
    AssignmentRecord,
    CoOpinion,
    DraftAnswer,
    ItemAnswered,
    ItemAssigned,
    ItemMisrouted,
    ItemOpinionGiven,
    ItemProgressReported,
    MisrouteRecord,
    ProgressReport,
    ReassignItem,
    ReportProgress,
    ReturnMisrouted,
    SubmitAnswer,
)
from govbus_kit.clock import office_date
from govbus_kit.domain import Actor, Change, Emit, act_as, refuse
from govbus_supervision.domain.access import act_for_co, act_for_lead
from govbus_supervision.domain.periods import HANDLING, Periods
from govbus_supervision.domain.progress import first_report_due, report_day_after
from govbus_supervision.domain.record import (
    ItemChange,
    S,
    SupervisionItem,
    departments_of,
    fact_of,
    logged,
    require_step,
)


def handling_due(item: SupervisionItem, asked: date | None, today: date,
                 periods: Periods) -> tuple[date, str]:
    """The deadline of a 交办 and what it rests on: the date asked (by the office, else the
    source's), never past the statutory period of a 建议 / 提案; else the kind's period."""
    name = HANDLING[item.source.kind]
    statutory = periods.due(name, today)
    wanted = asked or item.requested_due_on
    if wanted is None:
        return statutory, periods.describe(name, today)
    if wanted <= today:
        raise refuse(f"办理期限 {wanted} 应晚于交办日期 {today}", field="due_on")
    if item.is_motion and wanted > statutory:
        raise refuse(f"建议、提案应自交办之日起{periods.describe(name, today)}内答复, "
                     f"期限不能晚于{statutory}", field="due_on", statutory_due_on=str(statutory))
    return wanted, "交办时指定"


def default_schedule(item: SupervisionItem) -> ProgressSchedule:
    """政府工作报告 tasks report quarterly (项目化、时间表、责任人); the others when asked."""
    if item.source.kind is SourceKind.work_report:
        return ProgressSchedule.quarterly
    return ProgressSchedule.none


def _assigned(item: SupervisionItem, lead: str, co: list[str], asked: date | None,
              schedule: ProgressSchedule, report_day: int, remarks: str | None, actor: Actor,
              now: datetime, periods: Periods, *, reassigned: bool) -> ItemChange:
    today = office_date(now)
    due, basis = handling_due(item, asked, today, periods)
    co = departments_of(lead, co)
    co_due = min(periods.due("co_opinion", today), due) if co else None
    first_report = first_report_due(today, schedule, report_day, periods)
    record = AssignmentRecord(
        lead_department=lead, co_departments=co, assigned_on=today,
        assigned_by=actor.display, due_on=due, period=basis,
        due_on_provisional=periods.calendar.is_provisional_between(today, due),
        co_opinion_due_on=co_due, misroute_until=periods.due("misroute_return", today),
        progress_schedule=schedule, report_day=report_day, remarks=remarks)
    step = "重新交办" if reassigned else "交办"
    new = logged(item, actor, now, step, f"主办: {lead}; 期限: {due}", status=S.handling,
                 lead_department=lead, co_departments=co,
                 assignments=[*item.assignments, record], due_on=due, due_set_on=today,
                 due_on_provisional=record.due_on_provisional,
                 next_report_due_on=first_report, report_reminded=False, answer_draft=None)
    return Change(new, [Emit(ITEM_ASSIGNED, ItemAssigned(
        **fact_of(new), assigned_on=today, co_opinion_due_on=co_due,
        misroute_until=record.misroute_until, progress_schedule=schedule,
        next_report_due_on=first_report, reassigned=reassigned,
        due_on_provisional=record.due_on_provisional))])


def assign(item: SupervisionItem, cmd: AssignItem, principal: Principal, now: datetime,
           periods: Periods) -> ItemChange:
    """交办 (督查通知): one lead department, co-departments, a deadline, a report schedule."""
    actor = act_as(principal, Role.supervisor, Role.admin, step="交办")
    require_step(item, "交办", (S.registered,))
    return _assigned(item, cmd.lead_department, cmd.co_departments, cmd.due_on,
                     cmd.progress_schedule or default_schedule(item), cmd.report_day,
                     cmd.remarks, actor, now, periods, reassigned=False)


def return_misrouted(item: SupervisionItem, cmd: ReturnMisrouted, principal: Principal,
                     now: datetime) -> ItemChange:
    """退回: the lead department, within the period from 交办, with its reason."""
    actor = act_for_lead(principal, item, "退回")
    require_step(item, "退回", (S.handling,))
    today = office_date(now)
    assignment = item.assignments[-1]
    if item.answers and item.answers[-1].submitted_on >= assignment.assigned_on:
        raise GovbusError(ErrorCode.invalid_transition, "已反馈的事项不能再以不属本部门职责退回")
    if today > assignment.misroute_until:
        raise GovbusError(ErrorCode.deadline_passed,
                          f"退回应在交办之日起10日内提出 (最迟{assignment.misroute_until})",
                          misroute_until=str(assignment.misroute_until))
    if cmd.suggested_department == item.lead_department:
        raise refuse("建议承办部门不能是退回部门本身", field="suggested_department")
    record = MisrouteRecord(department=actor.department or "", reason=cmd.reason,
                            suggested_department=cmd.suggested_department, returned_on=today,
                            returned_by=actor.display)
    new = logged(item, actor, now, "退回", cmd.reason, status=S.misrouted,
                 misroutes=[*item.misroutes, record], next_report_due_on=None)
    return Change(new, [Emit(ITEM_MISROUTED, ItemMisrouted(
        **fact_of(new), returned_by_department=record.department, reason=cmd.reason,
        suggested_department=cmd.suggested_department, returned_on=today))])


def reassign(item: SupervisionItem, cmd: ReassignItem, principal: Principal, now: datetime,
             periods: Periods) -> ItemChange:
    """重新交办 of a returned item by the supervision office; the period runs anew."""
    actor = act_as(principal, Role.supervisor, Role.admin, step="重新交办")
    require_step(item, "重新交办", (S.misrouted,))
    previous = item.assignments[-1]
    return _assigned(item, cmd.lead_department, cmd.co_departments, cmd.due_on,
                     previous.progress_schedule, previous.report_day, cmd.remarks, actor, now,
                     periods, reassigned=True)


def current_opinions(item: SupervisionItem) -> list[CoOpinion]:
    """The co-departments' opinions given since the current 交办."""
    since = item.assignments[-1].assigned_on if item.assignments else item.opened_on
    return [o for o in item.co_opinions
            if o.given_on >= since and o.department in item.co_departments]


def give_opinion(item: SupervisionItem, opinion: str, principal: Principal,
                 now: datetime) -> ItemChange:
    """协办意见 to the lead department: once per co-department and 交办."""
    actor = act_for_co(principal, item, "提出协办意见")
    require_step(item, "提出协办意见", (S.handling,))
    if any(o.department == actor.department for o in current_opinions(item)):
        raise GovbusError(ErrorCode.conflict, f"{actor.department}已提出协办意见")
    today = office_date(now)
    due = item.assignments[-1].co_opinion_due_on
    record = CoOpinion(department=actor.department or "", opinion=opinion, given_on=today,
                       given_by=actor.display, late=due is not None and today > due)
    new = logged(item, actor, now, "协办意见", None, co_opinions=[*item.co_opinions, record])
    return Change(new, [Emit(ITEM_OPINION_GIVEN, ItemOpinionGiven(
        **fact_of(new), department=record.department, given_on=today, late=record.late))])


def report_progress(item: SupervisionItem, cmd: ReportProgress, principal: Principal,
                    now: datetime, periods: Periods) -> ItemChange:
    """进展报告 by the lead department: it answers the report due (late after its day)."""
    actor = act_for_lead(principal, item, "报送进展")
    require_step(item, "报送进展", (S.handling,))
    today = office_date(now)
    titles = {m.title for m in item.milestones}
    unknown = [t for t in cmd.milestones_done if t not in titles]
    if unknown:
        raise refuse(f"没有这些时间节点: {', '.join(unknown)}", field="milestones_done")
    milestones = [m.model_copy(update={"completed_on": today})
                  if m.title in cmd.milestones_done and m.completed_on is None else m
                  for m in item.milestones]
    due = item.next_report_due_on
    assignment = item.assignments[-1]
    report = ProgressReport(due_on=due, submitted_on=today, submitted_by=actor.display,
                            text=cmd.text, percent=cmd.percent,
                            late=due is not None and today > due)
    following = (report_day_after(due, assignment.progress_schedule, assignment.report_day,
                                  periods) if due is not None else None)
    new = logged(item, actor, now, "报送进展", f"{cmd.percent}%", milestones=milestones,
                 progress_reports=[*item.progress_reports, report],
                 next_report_due_on=following, report_reminded=False)
    return Change(new, [Emit(ITEM_PROGRESS_REPORTED, ItemProgressReported(
        **fact_of(new), submitted_on=today, percent=cmd.percent, late=report.late,
        next_report_due_on=following))])


def draft_answer(item: SupervisionItem, cmd: DraftAnswer, principal: Principal,
                 now: datetime) -> ItemChange:
    """答复稿: the lead's and the office's only, until submitted (no fact: nothing to tell)."""
    actor = act_for_lead(principal, item, "保存答复稿")
    require_step(item, "保存答复稿", (S.handling,))
    draft = AnswerDraft(text=cmd.text, result_code=cmd.result_code,
                        saved_on=office_date(now), saved_by=actor.display)
    return Change(logged(item, actor, now, "保存答复稿", None, answer_draft=draft))


def submit_answer(item: SupervisionItem, cmd: SubmitAnswer, principal: Principal,
                  now: datetime) -> ItemChange:
    """反馈: the lead's answer with the co-departments' opinions; a 建议 / 提案 answer has
    its result code and goes to every signer."""
    actor = act_for_lead(principal, item, "反馈")
    require_step(item, "反馈", (S.handling,))
    today = office_date(now)
    if item.is_motion:
        if cmd.result_code is None:
            raise refuse("建议、提案的答复须标明办理结果类别 (A/B/C/D)", field="result_code")
        signers = item.signers
        strangers = [n for n in cmd.replies_to if n not in signers]
        if strangers:
            raise refuse(f"不是本件的联名代表 (委员): {', '.join(strangers)}", field="replies_to")
        unanswered = [n for n in signers if n not in cmd.replies_to]
        if unanswered:
            # 联名建议 (提案): 答复每一位代表 (委员).
            raise refuse(f"尚未答复: {', '.join(unanswered)}", field="replies_to",
                         unanswered=unanswered)
    opinions = current_opinions(item)
    given = {o.department for o in opinions}
    missing = [d for d in item.co_departments if d not in given]
    co_due = item.assignments[-1].co_opinion_due_on
    if missing and co_due is not None and today <= co_due:
        raise GovbusError(ErrorCode.conflict,
                          f"协办部门尚未提出意见: {', '.join(missing)} (协办意见期限{co_due})",
                          missing=missing)
    assert item.due_on is not None
    record = AnswerRecord(round=len(item.answers) + 1, department=actor.department or "",
                          text=cmd.text, result_code=cmd.result_code,
                          replies_to=list(cmd.replies_to), co_opinions=opinions,
                          missing_opinions=missing, submitted_on=today,
                          submitted_by=actor.display, due_on=item.due_on)
    new = logged(item, actor, now, "反馈", cmd.result_code.value if cmd.result_code else None,
                 status=S.answered, answers=[*item.answers, record], answer_draft=None)
    return Change(new, [Emit(ITEM_ANSWERED, ItemAnswered(
        **fact_of(new), round=record.round, submitted_on=today, result_code=cmd.result_code,
        on_time=today <= item.due_on))])
