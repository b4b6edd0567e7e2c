"""收文办理: the rules of incoming documents, read top to bottom as the office works.

[党政机关公文处理工作条例 2012, Art. 24] 收文办理主要程序是:
(一) 签收 (二) 登记 (三) 初审 (四) 承办 (五) 传阅 (六) 催办 (七) 答复.
The office puts 拟办 and 批示 between 初审 and 承办:

    已登记 ─初审受理→ 待拟办 ─拟办(呈批)→ 待批示 ─批示→ 待承办 ─承办→ 办理中 ─办结→ 已办结 → 已归档
       └─退文→ 已退回              └─拟办(不呈批)────────────↗

传阅 may happen from 待拟办 until 办结; 催办 while 办理中. Every function here is pure: the
time (``now``) and the working-day calendar are passed in, and each returns the new state
with the facts to publish, or raises a ``GovbusError`` and changes nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any, TypeVar

from govbus_contracts.base import Event
from govbus_contracts.envelope import Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.documents.common import (
    SERVICE,
    Attachment,
    Classification,
    ClassificationMark,
    DocType,
    Role,
    Urgency,
)
from govbus_contracts.services.documents.incoming import (
    INCOMING_ASSIGNED,
    INCOMING_CIRCULATED,
    INCOMING_COMPLETED,
    INCOMING_DEADLINE_CHANGED,
    INCOMING_INSTRUCTED,
    INCOMING_OVERDUE,
    INCOMING_PROPOSED,
    INCOMING_READ,
    INCOMING_REGISTERED,
    INCOMING_REMINDED,
    INCOMING_RETURNED,
    AssignIncoming,
    CirculateIncoming,
    CirculationEntry,
    CompleteIncoming,
    HandlingAssignment,
    HandlingProposal,
    HistoryEntry,
    HolderKind,
    IncomingAssigned,
    IncomingCirculated,
    IncomingCompleted,
    IncomingDeadlineChanged,
    IncomingInstructed,
    IncomingOverdue,
    IncomingProposed,
    IncomingRead,
    IncomingRegistered,
    IncomingReminded,
    IncomingReturned,
    IncomingStatus,
    InstructIncoming,
    LeaderInstruction,
    ProposeHandling,
    RegisterIncoming,
    Reminder,
    ReminderKind,
    ReturnReason,
    ReviewDecision,
    ReviewIncoming,
    ReviewRecord,
)
from govbus_documents.domain.access import is_classified
from govbus_kit.calendar import CalendarError
from govbus_kit.clock import office_date
from govbus_kit.deadlines import AlertSchedule, alert_event_id, deadline_changed_event_id
from govbus_kit.domain import (
    Actor,
    Aggregate,
    Change,
    Emit,
    WorkingDays,
    act_as,
    require_status,
    system_actor,
)

S = IncomingStatus
T = TypeVar("T")
#: The office that signs for documents keeps the original unless the registrar names one.
DEFAULT_CUSTODIAN = "办公室"


class IncomingDocument(Aggregate):
    """收文: one incoming document and its whole record (collection ``incoming``).

    ``classification_level`` and ``departments`` are top-level so that the access filter
    works on the stored document; ``next_alert_on`` is when the 催办 sweep must look again.
    """

    status: IncomingStatus
    registration_number: str
    registration_year: int
    registration_serial: int
    title: str
    body: str = ""
    doc_type: DocType
    issuer: str
    issuer_doc_number: str | None = None
    classification: ClassificationMark
    classification_level: Classification
    urgency: Urgency = Urgency.normal
    received_on: date
    registered_at: datetime
    copies: int = 1
    attachments: list[Attachment] = []
    remarks: str | None = None
    custodian: str = DEFAULT_CUSTODIAN
    departments: list[str] = []
    holders: list[str] = []
    review: ReviewRecord | None = None
    proposal: HandlingProposal | None = None
    instruction: LeaderInstruction | None = None
    assignment: HandlingAssignment | None = None
    circulation: list[CirculationEntry] = []
    reminders: list[Reminder] = []
    next_alert_on: date | None = None
    overdue_since: date | None = None
    result: str | None = None
    completed_on: date | None = None
    archivable: bool = False
    history: list[HistoryEntry] = []


#: The service itself, when its 催办 sweep reminds or notices a deadline passed.
SYSTEM = system_actor(SERVICE, "催办提醒")


# --- small rules -------------------------------------------------------------------------


def registration_number(year: int, serial: int) -> str:
    """收文编号: 收 + year in full inside 〔〕 + serial without leading zeros + 号,
    after the pattern of 发文字号 (GB/T 9704-2012 §7.2.5)."""
    return f"收〔{year}〕{serial}号"


def handling_days(urgency: Urgency, days_by_urgency: Mapping[Urgency, int]) -> int:
    return days_by_urgency[urgency]


def handling_deadline(assigned_on: date, urgency: Urgency,
                      days_by_urgency: Mapping[Urgency, int],
                      calendar: WorkingDays) -> tuple[date, int]:
    """办理期限 by urgency: N working days counted from the day after assignment (次日起算)."""
    days = handling_days(urgency, days_by_urgency)
    try:
        return calendar.add_working_days(assigned_on, days), days
    except CalendarError as exc:
        raise GovbusError(ErrorCode.validation_failed,
                          f"办理期限无法按工作日计算: {exc}; 请直接给出办理期限",
                          field="deadline") from exc


def alerts(due_on: date, working_days_before: int, calendar: WorkingDays) -> AlertSchedule:
    """到期提醒 N working days before the deadline; 逾期 noticed on the first working day
    after it."""
    return AlertSchedule.of(due_on, working_days_before, calendar)


def reminder_date(due_on: date, working_days_before: int, calendar: WorkingDays) -> date:
    return alerts(due_on, working_days_before, calendar).remind_on


def overdue_date(due_on: date, calendar: WorkingDays) -> date:
    return alerts(due_on, 0, calendar).overdue_on


def reminder_event_id(document_id: str, due_on: date) -> str:
    # Every replica that sweeps the same deadline computes the same id: one fact on the bus.
    return alert_event_id(SERVICE, "incoming", document_id, "reminder", due_on)


def overdue_event_id(document_id: str, due_on: date) -> str:
    return alert_event_id(SERVICE, "incoming", document_id, "overdue", due_on)


def _invalid(problems: list[dict[str, str]]) -> GovbusError:
    return GovbusError(ErrorCode.validation_failed, "; ".join(p["problem"] for p in problems),
                       problems=problems)


def _problem(field_name: str, text: str) -> dict[str, str]:
    return {"field": field_name, "problem": text}


def _distinct_departments(lead: str | None, co: Iterable[str], prefix: str = "") -> list[
        dict[str, str]]:
    """One lead department (主办); co-departments (协办) distinct from it and each other."""
    problems: list[dict[str, str]] = []
    co = list(co)
    if any(not c.strip() for c in co):
        problems.append(_problem(f"{prefix}co_departments", "协办部门不能为空"))
    if len(set(co)) != len(co):
        problems.append(_problem(f"{prefix}co_departments", "协办部门重复"))
    if lead is not None and lead in co:
        problems.append(_problem(f"{prefix}co_departments", f"主办部门{lead}不能同时为协办部门"))
    return problems


def _unique(items: Iterable[T]) -> list[T]:
    return list(dict.fromkeys(items))


def _public(doc: IncomingDocument, text: str | None) -> str | None:
    """Free text of a classified document never leaves the service in an event (条例 Art. 30)."""
    return None if is_classified(doc.classification_level) else text


def _history(actor: Actor, now: datetime, action: str,
             remarks: str | None = None) -> HistoryEntry:
    return HistoryEntry(at=now, action=action, by=actor.subject, by_name=actor.name,
                        role=actor.role, department=actor.department, remarks=remarks)


def _fact(doc: IncomingDocument) -> dict[str, Any]:
    return {
        "id": doc.id,
        "registration_number": doc.registration_number,
        "status": doc.status,
        "issuer": doc.issuer,
        "issuer_doc_number": doc.issuer_doc_number,
        "doc_type": doc.doc_type,
        "classification_level": doc.classification_level,
        "urgency": doc.urgency,
        "title": _public(doc, doc.title),
    }


def _archivable(status: IncomingStatus, holders: list[str]) -> bool:
    """A 件 goes to the archive whole (DA/T 22-2015): only once handled and every copy sent
    round has come back."""
    return status is S.completed and not holders


def _evolve(doc: IncomingDocument, actor: Actor, now: datetime, action: str,
            remarks: str | None = None, **update: Any) -> IncomingDocument:
    status = update.get("status", doc.status)
    holders = update.get("holders", doc.holders)
    update["archivable"] = _archivable(status, holders)
    update["history"] = [*doc.history, _history(actor, now, action, remarks)]
    return doc.model_copy(update=update)


# --- 签收 / 登记 --------------------------------------------------------------------------


def seal_attachment(attachment: Attachment, index: int) -> Attachment:
    """An attachment is kept by its SHA-256: computed from the content, checked if given."""
    if attachment.content_base64 is None:
        return attachment
    where = f"attachments.{index}"
    try:
        raw = base64.b64decode(attachment.content_base64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _invalid([_problem(where, f"附件{attachment.name}的内容不是有效的 base64")]) from exc
    digest = hashlib.sha256(raw).hexdigest()
    if attachment.sha256 is not None and attachment.sha256 != digest:
        raise _invalid([_problem(where, f"附件{attachment.name}的 SHA-256 与内容不符")])
    if attachment.size is not None and attachment.size != len(raw):
        raise _invalid([_problem(where, f"附件{attachment.name}的大小与内容不符")])
    return attachment.model_copy(update={"sha256": digest, "size": len(raw)})


def validate_registration(cmd: RegisterIncoming, today: date) -> list[Attachment]:
    """登记 checks what the register must hold (条例 Art. 9 elements); returns the attachments
    sealed with their digests. Bad input is refused whole."""
    problems: list[dict[str, str]] = []
    mark = cmd.classification
    if is_classified(mark.level) and not (mark.period and mark.period.strip()):
        # 条例 Art. 9(二): 涉密公文应当标注密级和保密期限.
        problems.append(_problem("classification.period",
                                 f"{mark.level.value}公文必须标注保密期限"))
    if not is_classified(mark.level) and mark.period:
        problems.append(_problem("classification.period", "非密公文不标注保密期限"))
    if cmd.received_on > today:
        problems.append(_problem("received_on", f"收文日期{cmd.received_on}不能晚于今天{today}"))
    if cmd.copies < 1:
        problems.append(_problem("copies", "份数至少为1"))
    if not cmd.title.strip():
        problems.append(_problem("title", "标题不能为空"))
    names = [a.name for a in cmd.attachments]
    if len(set(names)) != len(names):
        problems.append(_problem("attachments", "附件名称重复"))
    if problems:
        raise _invalid(problems)
    return [seal_attachment(a, i) for i, a in enumerate(cmd.attachments)]


def register(cmd: RegisterIncoming, *, document_id: str, serial: int, year: int,
             actor: Actor, now: datetime) -> Change[IncomingDocument]:
    """签收登记: the document enters the register with its 收文编号, awaiting 初审."""
    attachments = validate_registration(cmd, office_date(now))
    doc = IncomingDocument(
        id=document_id,
        status=S.registered,
        registration_number=registration_number(year, serial),
        registration_year=year,
        registration_serial=serial,
        title=cmd.title,
        body=cmd.body,
        doc_type=cmd.doc_type,
        issuer=cmd.issuer,
        issuer_doc_number=cmd.issuer_doc_number,
        classification=cmd.classification,
        classification_level=cmd.classification.level,
        urgency=cmd.urgency,
        received_on=cmd.received_on,
        registered_at=now,
        copies=cmd.copies,
        attachments=attachments,
        remarks=cmd.remarks,
        custodian=actor.department or DEFAULT_CUSTODIAN,
        history=[_history(actor, now, "签收登记", cmd.remarks)],
    )
    event = IncomingRegistered(
        **_fact(doc), received_on=doc.received_on, registered_on=office_date(now),
        copies=doc.copies, attachment_count=len(doc.attachments),
    )
    return Change(doc, [Emit(INCOMING_REGISTERED, event)])


# --- 初审 --------------------------------------------------------------------------------


def review(doc: IncomingDocument, cmd: ReviewIncoming, principal: Principal,
           now: datetime) -> Change[IncomingDocument]:
    """初审 (条例 Art. 24(三)): whether this office should handle it, whether it follows the
    rules of 行文, its 文种 and format. What fails is returned to the sender with reasons."""
    actor = act_as(principal, Role.registrar, step="初审")
    require_status(doc.status, (S.registered,), step="初审",
                   what=f"收文{doc.registration_number}", id=doc.id)
    today = office_date(now)
    reasons = _unique(cmd.reasons)
    if cmd.decision is ReviewDecision.return_to_sender:
        if not reasons:
            raise _invalid([_problem("reasons", "退文必须说明理由")])
        if ReturnReason.other in reasons and not (cmd.remarks and cmd.remarks.strip()):
            raise _invalid([_problem("remarks", "退文理由为「其他」时须写明初审意见")])
        record = ReviewRecord(decision=cmd.decision, reasons=reasons, remarks=cmd.remarks,
                              reviewed_by=actor.display, reviewed_on=today)
        new = _evolve(doc, actor, now, "退文", _reasons_text(reasons, cmd.remarks),
                      status=S.returned, review=record)
        event = IncomingReturned(**_fact(new), reasons=reasons,
                                 remarks=_public(new, cmd.remarks), returned_on=today)
        return Change(new, [Emit(INCOMING_RETURNED, event)])
    if reasons:
        raise _invalid([_problem("reasons", "受理的公文不写退文理由")])
    record = ReviewRecord(decision=cmd.decision, remarks=cmd.remarks,
                          reviewed_by=actor.display, reviewed_on=today)
    new = _evolve(doc, actor, now, "初审受理", cmd.remarks,
                  status=S.awaiting_proposal, review=record)
    return Change(new)


def _reasons_text(reasons: Iterable[ReturnReason], remarks: str | None) -> str:
    text = "、".join(r.value for r in reasons)
    return f"{text}: {remarks}" if remarks else text


# --- 拟办 --------------------------------------------------------------------------------


def propose(doc: IncomingDocument, cmd: ProposeHandling, principal: Principal,
            now: datetime) -> Change[IncomingDocument]:
    """拟办: the office proposes how to handle it; a leader instructs first unless the
    proposal says the matter can go straight to the departments."""
    actor = act_as(principal, Role.registrar, step="拟办")
    require_status(doc.status, (S.awaiting_proposal,), step="拟办",
                   what=f"收文{doc.registration_number}", id=doc.id)
    problems = _distinct_departments(cmd.lead_department, cmd.co_departments)
    if cmd.co_departments and cmd.lead_department is None:
        problems.append(_problem("lead_department", "拟协办部门须有拟主办部门"))
    if problems:
        raise _invalid(problems)
    today = office_date(now)
    proposal = HandlingProposal(
        opinion=cmd.opinion, lead_department=cmd.lead_department,
        co_departments=list(cmd.co_departments), needs_instruction=cmd.needs_instruction,
        proposed_by=actor.display, proposed_on=today,
    )
    status = S.awaiting_instruction if cmd.needs_instruction else S.awaiting_assignment
    new = _evolve(doc, actor, now, "拟办", cmd.opinion, status=status, proposal=proposal)
    event = IncomingProposed(
        **_fact(new), lead_department=cmd.lead_department,
        co_departments=list(cmd.co_departments), needs_instruction=cmd.needs_instruction,
        proposed_on=today, opinion=_public(new, cmd.opinion),
    )
    return Change(new, [Emit(INCOMING_PROPOSED, event)])


# --- 批示 --------------------------------------------------------------------------------


def instruct(doc: IncomingDocument, cmd: InstructIncoming, principal: Principal,
             now: datetime) -> Change[IncomingDocument]:
    """批示 by a leader. A 批示 to be supervised (督办) names its deadline; the fact then
    carries what the supervision office needs to open the item (领导批示 as a source)."""
    actor = act_as(principal, Role.leader, step="批示")
    require_status(doc.status, (S.awaiting_instruction,), step="批示",
                   what=f"收文{doc.registration_number}", id=doc.id)
    today = office_date(now)
    problems: list[dict[str, str]] = []
    if cmd.needs_supervision and cmd.supervision_deadline is None:
        problems.append(_problem("supervision_deadline", "督办的批示须有督办期限"))
    if not cmd.needs_supervision and cmd.supervision_deadline is not None:
        problems.append(_problem("supervision_deadline", "不督办的批示不设督办期限"))
    if cmd.supervision_deadline is not None and cmd.supervision_deadline <= today:
        problems.append(_problem("supervision_deadline",
                                 f"督办期限{cmd.supervision_deadline}须晚于批示日期{today}"))
    proposal = doc.proposal
    lead = cmd.lead_department or (proposal.lead_department if proposal else None)
    co = [c for c in (proposal.co_departments if proposal else []) if c != lead]
    if problems:
        raise _invalid(problems)
    record = LeaderInstruction(
        text=cmd.instruction, leader=actor.display, leader_subject=actor.subject,
        instructed_on=today, lead_department=cmd.lead_department,
        needs_supervision=cmd.needs_supervision,
        supervision_deadline=cmd.supervision_deadline,
    )
    new = _evolve(doc, actor, now, "批示", cmd.instruction, status=S.awaiting_assignment,
                  instruction=record)
    event = IncomingInstructed(
        **_fact(new), leader=actor.display, leader_subject=actor.subject, instructed_on=today,
        needs_supervision=cmd.needs_supervision,
        supervision_deadline=cmd.supervision_deadline, lead_department=lead,
        co_departments=co, instruction=_public(new, cmd.instruction),
    )
    return Change(new, [Emit(INCOMING_INSTRUCTED, event)])


# --- 承办 --------------------------------------------------------------------------------


def assign(doc: IncomingDocument, cmd: AssignIncoming, principal: Principal, now: datetime, *,
           days_by_urgency: Mapping[Urgency, int], remind_working_days_before: int,
           calendar: WorkingDays) -> Change[IncomingDocument]:
    """承办 (条例 Art. 24(四)): one lead department (主办) and co-departments (协办); 紧急公文
    按时限办理, so the deadline follows the urgency unless one is given."""
    actor = act_as(principal, Role.registrar, Role.leader, step="承办交办")
    require_status(doc.status, (S.awaiting_assignment,), step="承办",
                   what=f"收文{doc.registration_number}", id=doc.id)
    today = office_date(now)
    problems = _distinct_departments(cmd.lead_department, cmd.co_departments)
    if not cmd.lead_department.strip():
        problems.append(_problem("lead_department", "须指定一个主办部门"))
    if cmd.deadline is not None and cmd.deadline < today:
        problems.append(_problem("deadline", f"办理期限{cmd.deadline}不能早于交办日期{today}"))
    if problems:
        raise _invalid(problems)
    working_days: int | None
    if cmd.deadline is not None:
        due_on, working_days = cmd.deadline, None
    else:
        due_on, working_days = handling_deadline(today, doc.urgency, days_by_urgency, calendar)
    # A date the leader gave stands as given; a count of working days into a year whose
    # 调休 are not out yet is provisional and recomputed when they are.
    provisional = working_days is not None and calendar.is_provisional_between(today, due_on)
    record = HandlingAssignment(
        lead_department=cmd.lead_department, co_departments=list(cmd.co_departments),
        assigned_on=today, assigned_by=actor.display, due_on=due_on,
        working_days=working_days, due_on_provisional=provisional, remarks=cmd.remarks,
    )
    try:
        next_alert = reminder_date(due_on, remind_working_days_before, calendar)
    except CalendarError:
        next_alert = due_on  # the sweep still notices the deadline; it cannot count back
    departments = _unique([*doc.departments, cmd.lead_department, *cmd.co_departments])
    remarks = f"主办{cmd.lead_department}" + (
        f", 协办{'、'.join(cmd.co_departments)}" if cmd.co_departments else "") + (
        f", 期限{due_on}") + (f"; {cmd.remarks}" if cmd.remarks else "")
    new = _evolve(doc, actor, now, "承办交办", remarks, status=S.in_handling,
                  assignment=record, departments=departments, next_alert_on=next_alert)
    event = IncomingAssigned(
        **_fact(new), lead_department=cmd.lead_department,
        co_departments=list(cmd.co_departments), assigned_on=today, due_on=due_on,
        working_days=working_days, due_on_provisional=provisional,
    )
    return Change(new, [Emit(INCOMING_ASSIGNED, event)])


# --- 传阅 --------------------------------------------------------------------------------

CIRCULATION_STATES = (S.awaiting_proposal, S.awaiting_instruction, S.awaiting_assignment,
                      S.in_handling)


def circulate(doc: IncomingDocument, cmd: CirculateIncoming, principal: Principal,
              now: datetime) -> Change[IncomingDocument]:
    """传阅 (条例 Art. 24(五)): 根据领导批示和工作需要将公文及时送传阅对象阅知或者批示;
    办理公文传阅应当随时掌握公文去向. Every copy out is a holder until it comes back.

    A leader is a holder by user id (the token's subject); the name is only shown, since
    a display name proves nothing about who presents it."""
    actor = act_as(principal, Role.registrar, step="传阅")
    require_status(doc.status, CIRCULATION_STATES, step="传阅",
                   what=f"收文{doc.registration_number}", id=doc.id)
    problems: list[dict[str, str]] = []
    leaders = [(subject, None) for subject in cmd.leaders] + [
        (r.subject, r.name) for r in cmd.leader_readers]
    wanted: list[tuple[str, HolderKind, str | None]] = [
        (d, HolderKind.department, None) for d in cmd.departments] + [
        (subject, HolderKind.leader, name) for subject, name in leaders]
    if not wanted:
        problems.append(_problem("departments", "传阅须至少有一个传阅对象"))
    if any(not h.strip() for h, _, _ in wanted):
        problems.append(_problem("departments", "传阅对象不能为空"))
    if len({h for h, _, _ in wanted}) != len(wanted):
        problems.append(_problem("departments", "传阅对象重复"))
    if problems:
        raise _invalid(problems)
    already = [name or h for h, _, name in wanted if h in doc.holders]
    if already:
        raise GovbusError(ErrorCode.conflict, f"{'、'.join(already)}尚未退回此件, 不能重复送阅",
                          holders=already)
    entries = [CirculationEntry(holder=h, kind=kind, holder_name=name, sent_at=now,
                                sent_by=actor.display, remarks=cmd.remarks)
               for h, kind, name in wanted]
    holders = [*doc.holders, *(h for h, _, _ in wanted)]
    departments = _unique([*doc.departments, *cmd.departments])
    new = _evolve(doc, actor, now, "传阅", f"送阅{'、'.join(name or h for h, _, name in wanted)}",
                  circulation=[*doc.circulation, *entries], holders=holders,
                  departments=departments)
    event = IncomingCirculated(
        **_fact(new), departments=list(cmd.departments),
        leaders=[name or subject for subject, name in leaders],
        leader_subjects=[subject for subject, _ in leaders],
        circulated_at=now, holders=holders,
    )
    return Change(new, [Emit(INCOMING_CIRCULATED, event)])


def holds(entry: CirculationEntry, principal: Principal) -> bool:
    """Whether the principal is the holder of this circulated copy: a department's copy by
    the department claim, a leader's by the token's subject alone, never by a name."""
    if entry.kind is HolderKind.department:
        return principal.department is not None and entry.holder == principal.department
    return entry.holder == principal.subject


def confirm_reading(doc: IncomingDocument, principal: Principal, comment: str | None,
                    now: datetime) -> Change[IncomingDocument]:
    """阅毕: the holder records that it has read the document and returns it."""
    require_status(doc.status, (s for s in S if s not in (S.archived, S.returned)), step="阅毕",
                   what=f"收文{doc.registration_number}", id=doc.id)
    outstanding = [i for i, e in enumerate(doc.circulation)
                   if e.read_at is None and holds(e, principal)]
    if not outstanding:
        if any(holds(e, principal) for e in doc.circulation):
            raise GovbusError(ErrorCode.conflict, "此件已阅毕退回", id=doc.id)
        raise GovbusError(ErrorCode.forbidden, "只有传阅对象才能确认阅毕", id=doc.id)
    reader = principal.name or principal.subject
    circulation = list(doc.circulation)
    returned: list[str] = []
    for i in outstanding:
        circulation[i] = circulation[i].model_copy(
            update={"read_at": now, "read_by": reader, "comment": comment})
        returned.append(circulation[i].holder)
    holders = [h for h in doc.holders if h not in returned]
    actor = Actor(principal.subject, principal.name, "holder", principal.department)
    new = _evolve(doc, actor, now, "阅毕", comment, circulation=circulation, holders=holders)
    events = [Emit(INCOMING_READ, IncomingRead(
        **_fact(new), holder=h, read_by=reader, read_at=now, holders=holders,
        archivable=new.archivable)) for h in returned]
    return Change(new, events)


# --- 催办 --------------------------------------------------------------------------------


def _working_days_left(today: date, due_on: date, calendar: WorkingDays) -> int:
    try:
        return calendar.working_days_between(today, due_on)
    except CalendarError:
        return (due_on - today).days


def remind(doc: IncomingDocument, principal: Principal, remarks: str | None, now: datetime,
           calendar: WorkingDays) -> Change[IncomingDocument]:
    """催办 by the registrar (条例 Art. 24(六): 及时了解掌握公文的办理进展情况,
    督促承办机关按期办结)."""
    actor = act_as(principal, Role.registrar, step="催办")
    require_status(doc.status, (S.in_handling,), step="催办",
                   what=f"收文{doc.registration_number}", id=doc.id)
    assert doc.assignment is not None
    today = office_date(now)
    due_on = doc.assignment.due_on
    record = Reminder(kind=ReminderKind.manual, on=today, by=actor.display, due_on=due_on,
                      remarks=remarks)
    new = _evolve(doc, actor, now, "催办", remarks, reminders=[*doc.reminders, record])
    event = IncomingReminded(
        **_fact(new), kind=ReminderKind.manual,
        lead_department=doc.assignment.lead_department,
        co_departments=list(doc.assignment.co_departments), reminded_on=today, due_on=due_on,
        working_days_left=_working_days_left(today, due_on, calendar),
        remarks=_public(new, remarks),
    )
    return Change(new, [Emit(INCOMING_REMINDED, event)])


def due_alerts(doc: IncomingDocument, now: datetime, calendar: WorkingDays,
               remind_working_days_before: int) -> Change[IncomingDocument] | None:
    """The 催办 sweep's decision for one document at ``now``: a reminder N working days
    before the deadline and an overdue notice the first working day after it, each once
    per deadline (their event ids are derived from the document and the deadline, so
    replicas sweeping alike publish one fact). None when there is nothing to do."""
    if doc.status is not S.in_handling or doc.assignment is None:
        if doc.next_alert_on is None:
            return None
        return Change(doc.model_copy(update={"next_alert_on": None}))
    assignment = doc.assignment
    due_on = assignment.due_on
    schedule = alerts(due_on, remind_working_days_before, calendar)
    overdue_on = schedule.overdue_on
    reminded = any(r.kind is ReminderKind.automatic and r.due_on == due_on
                   for r in doc.reminders)
    today = office_date(now)
    alert = schedule.due(today, reminded=reminded, overdue=doc.overdue_since is not None)
    if alert == "overdue":
        new = doc.model_copy(update={
            "overdue_since": overdue_on, "next_alert_on": None,
            "history": [*doc.history, _history(SYSTEM, now, "逾期", f"办理期限{due_on}已过")],
        })
        event = IncomingOverdue(
            **_fact(new), lead_department=assignment.lead_department,
            co_departments=list(assignment.co_departments), due_on=due_on,
            overdue_since=overdue_on,
        )
        return Change(new, [Emit(INCOMING_OVERDUE, event, overdue_event_id(doc.id, due_on))])
    if alert == "reminder":
        left = schedule.days_left(today, calendar)
        record = Reminder(kind=ReminderKind.automatic, on=today, by=SYSTEM.subject,
                          due_on=due_on, remarks=f"距办理期限还有{left}个工作日")
        new = doc.model_copy(update={
            "reminders": [*doc.reminders, record], "next_alert_on": overdue_on,
            "history": [*doc.history, _history(SYSTEM, now, "到期提醒", record.remarks)],
        })
        notice = IncomingReminded(
            **_fact(new), kind=ReminderKind.automatic,
            lead_department=assignment.lead_department,
            co_departments=list(assignment.co_departments), reminded_on=today, due_on=due_on,
            working_days_left=left, remarks=_public(new, record.remarks),
        )
        return Change(new, [Emit(INCOMING_REMINDED, notice,
                                 reminder_event_id(doc.id, due_on))])
    # Past the deadline here, the overdue notice is on record: nothing more to watch.
    wanted = schedule.next_on(reminded=reminded, overdue=today >= overdue_on)
    if doc.next_alert_on == wanted:
        return None
    return Change(doc.model_copy(update={"next_alert_on": wanted}))


def revise_deadline(doc: IncomingDocument, now: datetime, calendar: WorkingDays,
                    remind_working_days_before: int) -> Change[IncomingDocument] | None:
    """The official calendar arrived: count the 办理期限 again from the assignment. A date
    that moved is announced once (the fact's id is derived from both dates); one that
    stays only loses its provisional mark."""
    assignment = doc.assignment
    if (doc.status is not S.in_handling or assignment is None
            or not assignment.due_on_provisional or assignment.working_days is None):
        return None
    old = assignment.due_on
    new_due = calendar.add_working_days(assignment.assigned_on, assignment.working_days)
    revised = assignment.model_copy(update={
        "due_on": new_due,
        "due_on_provisional": calendar.is_provisional_between(assignment.assigned_on,
                                                              new_due)})
    if new_due == old:
        return Change(doc.model_copy(update={"assignment": revised}))
    reason = f"{old.year}年工作日历正式公布 (国务院放假安排), 办理期限由{old}调整为{new_due}"
    new = doc.model_copy(update={
        "assignment": revised,
        "next_alert_on": reminder_date(new_due, remind_working_days_before, calendar),
        "history": [*doc.history, _history(SYSTEM, now, "办理期限调整", reason)],
    })
    event = IncomingDeadlineChanged(
        **_fact(new), lead_department=revised.lead_department,
        co_departments=list(revised.co_departments), previous_due_on=old, due_on=new_due,
        reason=reason)
    return Change(new, [Emit(INCOMING_DEADLINE_CHANGED, event,
                             deadline_changed_event_id(SERVICE, "incoming", doc.id, old, new_due))])


# --- 办结 --------------------------------------------------------------------------------


def completer(doc: IncomingDocument, principal: Principal) -> Actor:
    """办结 is recorded by the lead department's handler or by the registrar."""
    if Role.registrar in principal.roles:
        return Actor(principal.subject, principal.name, Role.registrar.value,
                     principal.department)
    lead = doc.assignment.lead_department if doc.assignment else None
    if Role.handler in principal.roles and lead is not None and principal.department == lead:
        return Actor(principal.subject, principal.name, Role.handler.value, principal.department)
    raise GovbusError(ErrorCode.forbidden, "办结须由主办部门承办人或登记员办理", id=doc.id)


def complete(doc: IncomingDocument, cmd: CompleteIncoming, principal: Principal,
             now: datetime) -> Change[IncomingDocument]:
    """办结 (条例 Art. 24(七) 答复): the result is recorded; the 件 becomes archivable once
    every copy sent round has come back."""
    require_status(doc.status, (S.in_handling,), step="办结",
                   what=f"收文{doc.registration_number}", id=doc.id)
    actor = completer(doc, principal)
    if not cmd.result.strip():
        raise _invalid([_problem("result", "办理结果不能为空")])
    assert doc.assignment is not None
    today = office_date(now)
    new = _evolve(doc, actor, now, "办结", cmd.result, status=S.completed, result=cmd.result,
                  completed_on=today, next_alert_on=None)
    event = IncomingCompleted(
        **_fact(new), lead_department=doc.assignment.lead_department, completed_on=today,
        due_on=doc.assignment.due_on, on_time=today <= doc.assignment.due_on,
        archivable=new.archivable, result=_public(new, cmd.result),
    )
    return Change(new, [Emit(INCOMING_COMPLETED, event)])


def facts(change: Change[IncomingDocument]) -> list[Event]:
    """The event bodies of a change (for tests and logs)."""
    return [e.body for e in change.events]
