"""The catalogue (主动公开, 公开目录): the rules of the office, read top to bottom.

[政府信息公开条例 2019]
- 第十四条: state secrets are not disclosed. Only 非密 information becomes an entry, whatever
  the caller or the event says; anything else is refused and nothing is stored.
- 第二十六条: proactively disclosed information is published within 20 working days of
  being made or changed. ``due_on`` is that day on the working-day calendar (次日起算);
  publishing after it is late, and the entry says so for ever (``late``,
  ``working_days_late``); an entry still 待公开 past it is overdue.
- 撤回 takes an entry out of the catalogue; 废止 (a 规章 or 行政规范性文件 no longer in force)
  keeps it listed, marked 已废止; 更正 keeps every version. Each step has its reason and an
  audit record (who, when, what, why).
- Department scoping: an officer whose token names a department manages that department's
  entries only; one without a department is the office's central staff and manages all.

Pure rules: no I/O, time and calendar passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from govbus_contracts.envelope import Principal, deterministic_id
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.disclosure.catalogue import (
    CATALOGUE_CORRECTED,
    CATALOGUE_DEADLINE_CHANGED,
    CATALOGUE_OVERDUE,
    CATALOGUE_PUBLISHED,
    CATALOGUE_REMINDED,
    CATALOGUE_REPEALED,
    CATALOGUE_WITHDRAWN,
    AttachmentRef,
    AuditRecord,
    CatalogueCorrected,
    CatalogueDeadlineChanged,
    CatalogueOverdue,
    CataloguePublished,
    CatalogueReminded,
    CatalogueRepealed,
    CatalogueStatus,
    CatalogueWithdrawn,
    CorrectCatalogueEntry,
    EntrySource,
    EntryVersion,
    FieldChange,
    RegisterCatalogueEntry,
)
from govbus_contracts.services.disclosure.common import (
    NORMATIVE_DOCUMENT,
    REGULATION,
    SERVICE,
    Role,
)
from govbus_contracts.services.documents.common import Classification, DisclosureAttribute
from govbus_contracts.services.documents.outgoing import OutgoingDispatched
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

S = CatalogueStatus
#: Entries the public sees (and searches): published, and repealed ones marked as such.
PUBLIC_STATUSES = frozenset({S.published, S.repealed})
#: Only these categories can be 废止 (the annual report counts them by name).
REPEALABLE_CATEGORIES = frozenset({REGULATION, NORMATIVE_DOCUMENT})
#: How much of a long text an audit record keeps (the versions keep it whole).
AUDIT_TEXT_CHARS = 200


class CatalogueEntry(Aggregate):
    """One entry of the 公开目录. Field names the annual report reads are a contract between
    the slices: category, information_date, due_on, status, published_on, late,
    withdrawn_on, repealed_on, source."""

    source: EntrySource
    category: str
    title: str
    summary: str | None = None
    body: str | None = None
    doc_number: str | None = None
    issuing_organ: str | None = None
    department: str | None = None
    document_id: str | None = None
    attachments: list[AttachmentRef] = []
    classification: Classification = Classification.none
    information_date: date
    # 成文日期 of a 公文 (the annual report counts 本年制发 by it, 第五十条), and whether it is a
    # 行政规范性文件 with its 统一登记号 (第二十条第(一)项).
    date_of_writing: date | None = None
    normative_document: bool = False
    normative_registration_number: str | None = None
    due_on: date | None = None
    # The period counts days of a year whose official calendar (调休) is not out yet.
    due_on_provisional: bool = False
    status: CatalogueStatus = S.pending
    published_on: date | None = None
    late: bool = False
    working_days_late: int = 0
    withdrawn_on: date | None = None
    repealed_on: date | None = None
    overdue_since: date | None = None
    reminded_for: date | None = None  # the due_on a reminder was sent for
    next_alert_on: date | None = None  # when the sweep should look at it next (待公开 only)
    registered_at: datetime
    registered_by: str
    versions: list[EntryVersion] = []
    audit: list[AuditRecord] = []


#: A step's result: the new state and the facts to publish with it.
EntryChange = Change[CatalogueEntry]
#: The service itself, sending the 公开期限 reminders and overdue notices.
SYSTEM = system_actor(SERVICE, "公开期限提醒")


# --- who acts ----------------------------------------------------------------------------


def act_as_officer(principal: Principal, step: str) -> Actor:
    """Staff of disclosure (or an admin) act on the catalogue; anybody else is refused. The
    actor's department is the one it manages: None for an admin (central staff, every
    department)."""
    actor = act_as(principal, Role.officer, Role.admin, step=step)
    return replace(actor, department=None) if Role.admin in principal.roles else actor


def in_scope(actor: Actor, department: str | None) -> bool:
    """Central staff manage every entry; a department's officer only that department's."""
    return actor.department is None or actor.department == department


def require_scope(actor: Actor, entry: CatalogueEntry) -> None:
    if not in_scope(actor, entry.department):
        raise GovbusError(ErrorCode.forbidden, "只能管理本部门的公开目录条目",
                          entry_id=entry.id)


def is_staff(principal: Principal) -> bool:
    return principal.has_any(Role.officer.value, Role.admin.value)


# --- small rules -------------------------------------------------------------------------


def entry_id_for_document(document_id: str) -> str:
    """One entry per 公文, however often its dispatch is told."""
    return deterministic_id(SERVICE, "catalogue", "document", document_id)


def entry_id_for_command(command_id: str) -> str:
    return deterministic_id(SERVICE, "catalogue", "manual", command_id)


def publication_due(information_date: date, calendar: WorkingDays, working_days: int) -> date:
    """第二十六条: the last day of the period, counted from the day after the information was
    made or changed, in working days (holidays off, 调休 Saturdays on)."""
    return calendar.add_working_days(information_date, working_days)


def provisional(information_date: date, due_on: date | None, calendar: WorkingDays) -> bool:
    return due_on is not None and calendar.is_provisional_between(information_date, due_on)


def lateness(published_on: date, due_on: date | None, calendar: WorkingDays) -> tuple[bool, int]:
    """(late, working days late): late when published after the last day of the period."""
    if due_on is None or published_on <= due_on:
        return False, 0
    return True, max(calendar.working_days_between(due_on, published_on), 0)


def alerts(due_on: date, working_days_before: int, calendar: WorkingDays) -> AlertSchedule:
    """到期提醒 N working days before the end of the period; 逾期 noticed on the first
    working day after it."""
    return AlertSchedule.of(due_on, working_days_before, calendar)


def reminder_event_id(entry_id: str, due_on: date) -> str:
    # Every replica sweeping the same period computes the same id: one fact on the bus.
    return alert_event_id(SERVICE, "catalogue", entry_id, "reminder", due_on)


def overdue_event_id(entry_id: str, due_on: date) -> str:
    return alert_event_id(SERVICE, "catalogue", entry_id, "overdue", due_on)


def refuse_unless_public(classification: Classification | str) -> None:
    """第十四条: only 非密 information may be disclosed, whatever the caller says."""
    if classification != Classification.none.value:
        raise GovbusError(ErrorCode.validation_failed,
                          f"密级为“{classification}”的信息不得主动公开; "
                          "只有非密信息可以列入公开目录",
                          classification=str(classification))


def require_category(category: str, categories: list[str]) -> None:
    if category not in categories:
        raise GovbusError(ErrorCode.validation_failed,
                          f"目录类别“{category}”不在本机关的公开目录类别中",
                          category=category, categories=list(categories))


def require_reason(reason: str | None, step: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise GovbusError(ErrorCode.validation_failed, f"{step}必须说明理由", step=step)
    return text


def _audit(actor: Actor, now: datetime, action: str, reason: str | None = None,
           changes: list[FieldChange] | None = None) -> AuditRecord:
    return AuditRecord(action=action, by=actor.subject, by_name=actor.name, at=now,
                       reason=reason, changes=changes or [])


def _version(entry: CatalogueEntry, number: int, actor: Actor, now: datetime,
             reason: str | None) -> EntryVersion:
    return EntryVersion(
        number=number, at=now, by=actor.subject, reason=reason, category=entry.category,
        title=entry.title, summary=entry.summary, body=entry.body, doc_number=entry.doc_number,
        issuing_organ=entry.issuing_organ, information_date=entry.information_date)


def _fact(entry: CatalogueEntry) -> dict[str, Any]:
    return {"entry_id": entry.id, "source": entry.source, "category": entry.category,
            "department": entry.department, "document_id": entry.document_id}


def _published_fact(entry: CatalogueEntry) -> Emit:
    assert entry.published_on is not None
    return Emit(CATALOGUE_PUBLISHED, CataloguePublished(
        **_fact(entry), title=entry.title, doc_number=entry.doc_number,
        issuing_organ=entry.issuing_organ, information_date=entry.information_date,
        date_of_writing=entry.date_of_writing, normative_document=entry.normative_document,
        normative_registration_number=entry.normative_registration_number,
        due_on=entry.due_on, published_on=entry.published_on, late=entry.late,
        working_days_late=entry.working_days_late))


def _publish(entry: CatalogueEntry, actor: Actor, now: datetime, calendar: WorkingDays,
             audit: list[AuditRecord]) -> EntryChange:
    today = office_date(now)
    late, days_late = lateness(today, entry.due_on, calendar)
    # An entry noticed overdue stays late even if the calendar would say otherwise.
    late = late or entry.overdue_since is not None
    text = (f"逾期{days_late}个工作日公开 (期限{entry.due_on})" if late
            else f"在期限{entry.due_on}内公开" if entry.due_on else "公开")
    new = entry.model_copy(update={
        "status": S.published, "published_on": today, "late": late,
        "working_days_late": days_late, "next_alert_on": None,
        "audit": [*audit, _audit(actor, now, "公开", text)]})
    return Change(new, [_published_fact(new)])


# --- fed by the documents service -------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """A dispatched 主动公开 公文 that cannot be disclosed: recorded without title or body."""

    document_id: str
    classification_level: str
    disclosure: DisclosureAttribute
    reason: str


def from_dispatched(event: OutgoingDispatched, *, entry_id: str, now: datetime,
                    calendar: WorkingDays | None, working_days: int,
                    category: str) -> EntryChange | Refusal | None:
    """What a dispatched 公文 gives the catalogue.

    None: not 主动公开 (依申请公开 / 不予公开 are simply not catalogued). A Refusal: it says
    主动公开 but is not 非密, or carries nothing to publish. Otherwise a new entry, published on
    arrival, late if after 成文日期 + the period. ``calendar`` None: the calendar does not
    know the year, so the period cannot be computed (published anyway, due_on unknown).
    """
    if event.disclosure is not DisclosureAttribute.proactive:
        return None
    level = event.classification_level
    if level is not Classification.none:
        return Refusal(event.document_id, level.value, event.disclosure,
                       f"密级为“{level.value}”, 不得主动公开")
    if not (event.title and event.title.strip()):
        return Refusal(event.document_id, level.value, event.disclosure, "缺少标题, 无可公开内容")
    information_date = event.date_of_writing or office_date(event.dispatched_at)
    due_on = (publication_due(information_date, calendar, working_days)
              if calendar is not None else None)
    if event.normative_document and category != REGULATION:
        # 第二十条第(一)项: a 行政规范性文件 is listed (and counted) as one, whatever its 文种.
        category = NORMATIVE_DOCUMENT
    actor = SYSTEM
    entry = CatalogueEntry(
        id=entry_id, source=EntrySource.document, category=category, title=event.title,
        date_of_writing=event.date_of_writing, normative_document=event.normative_document,
        normative_registration_number=event.normative_registration_number,
        body=event.body, doc_number=event.doc_number, issuing_organ=event.issuing_organ,
        document_id=event.document_id,
        attachments=[AttachmentRef(name=a.name, sha256=a.sha256, media_type=a.media_type,
                                   size=a.size) for a in event.attachments],
        classification=Classification.none, information_date=information_date, due_on=due_on,
        due_on_provisional=(calendar is not None
                            and provisional(information_date, due_on, calendar)),
        registered_at=now, registered_by=actor.subject)
    entry = entry.model_copy(update={"versions": [_version(entry, 1, actor, now, None)]})
    audit = [_audit(actor, now, "登记", f"公文{event.doc_number}核发, 主动公开")]
    return _publish(entry, actor, now, calendar or _NoCalendar(), audit)


class _NoCalendar:
    """Stands in where the year is unknown: nothing is late that cannot be computed."""

    def add_working_days(self, start: date, n: int) -> date:
        return start

    def next_working_day(self, d: date) -> date:
        return d

    def working_days_between(self, a: date, b: date) -> int:
        return 0

    def is_provisional_between(self, start: date, end: date) -> bool:
        return False


# --- entered by staff -------------------------------------------------------------------


def register(cmd: RegisterCatalogueEntry, *, entry_id: str, actor: Actor, now: datetime,
             calendar: WorkingDays, working_days: int, categories: list[str],
             remind_working_days_before: int) -> EntryChange:
    """登记 information that is not a 公文; published at once, or 待公开 until published."""
    refuse_unless_public(cmd.classification)
    require_category(cmd.category, categories)
    if not ((cmd.summary and cmd.summary.strip()) or (cmd.body and cmd.body.strip())):
        raise GovbusError(ErrorCode.validation_failed, "内容概述和正文不能都为空",
                          fields=["summary", "body"])
    department = cmd.department or actor.department
    if not in_scope(actor, department):
        raise GovbusError(ErrorCode.forbidden, "只能为本部门登记公开目录条目",
                          department=department, own=actor.department)
    if cmd.information_date > office_date(now):
        raise GovbusError(ErrorCode.validation_failed, "信息形成日期不能晚于今天",
                          information_date=cmd.information_date.isoformat())
    due_on = publication_due(cmd.information_date, calendar, working_days)
    entry = CatalogueEntry(
        id=entry_id, source=EntrySource.manual, category=cmd.category, title=cmd.title,
        summary=cmd.summary, body=cmd.body, doc_number=cmd.doc_number,
        issuing_organ=cmd.issuing_organ, department=department,
        attachments=list(cmd.attachments), classification=Classification.none,
        information_date=cmd.information_date, due_on=due_on,
        due_on_provisional=provisional(cmd.information_date, due_on, calendar),
        registered_at=now, registered_by=actor.subject)
    entry = entry.model_copy(update={"versions": [_version(entry, 1, actor, now, None)]})
    audit = [_audit(actor, now, "登记", None)]
    if cmd.publish:
        return _publish(entry, actor, now, calendar, audit)
    pending = entry.model_copy(update={
        "audit": audit,
        "next_alert_on": next_alert(entry, calendar, remind_working_days_before)})
    return Change(pending)


def publish(entry: CatalogueEntry, actor: Actor, now: datetime,
            calendar: WorkingDays) -> EntryChange:
    """公开 a 待公开 entry."""
    require_scope(actor, entry)
    require_status(entry.status, (S.pending,), step="公开", what="条目",
                   entry_id=entry.id)
    return _publish(entry, actor, now, calendar, list(entry.audit))


def withdraw(entry: CatalogueEntry, actor: Actor, reason: str, now: datetime) -> EntryChange:
    """撤回: out of the catalogue and the public search; the record and its audit stay."""
    require_scope(actor, entry)
    text = require_reason(reason, "撤回")
    require_status(entry.status, (S.pending, S.published, S.repealed), step="撤回", what="条目",
                   entry_id=entry.id)
    today = office_date(now)
    new = entry.model_copy(update={
        "status": S.withdrawn, "withdrawn_on": today, "next_alert_on": None,
        "audit": [*entry.audit, _audit(actor, now, "撤回", text)]})
    return Change(new, [Emit(CATALOGUE_WITHDRAWN, CatalogueWithdrawn(
        **_fact(new), reason=text, withdrawn_on=today,
        withdrawn_by=actor.subject))])


def repeal(entry: CatalogueEntry, actor: Actor, reason: str, now: datetime,
           repealed_on: date | None = None) -> EntryChange:
    """废止 a published 规章 or 行政规范性文件: it stays listed, marked 已废止."""
    require_scope(actor, entry)
    text = require_reason(reason, "废止")
    if entry.category not in REPEALABLE_CATEGORIES:
        raise GovbusError(ErrorCode.validation_failed,
                          f"只有{REGULATION}和{NORMATIVE_DOCUMENT}可以废止, "
                          f"本条目类别为“{entry.category}”; 其他信息请撤回或更正",
                          category=entry.category)
    require_status(entry.status, (S.published,), step="废止", what="条目",
                   entry_id=entry.id)
    today = office_date(now)
    on = repealed_on or today
    if on > today:
        raise GovbusError(ErrorCode.validation_failed, "废止日期不能晚于今天",
                          repealed_on=on.isoformat())
    if entry.published_on is not None and on < entry.published_on:
        raise GovbusError(ErrorCode.validation_failed, "废止日期不能早于公开日期",
                          repealed_on=on.isoformat())
    new = entry.model_copy(update={
        "status": S.repealed, "repealed_on": on,
        "audit": [*entry.audit, _audit(actor, now, "废止", text)]})
    return Change(new, [Emit(CATALOGUE_REPEALED, CatalogueRepealed(
        **_fact(new), reason=text, repealed_on=on,
        repealed_by=actor.subject))])


CORRECTABLE = ("category", "title", "summary", "body", "doc_number", "issuing_organ",
               "information_date")


def _shown(value: object) -> str | None:
    if value is None:
        return None
    text = value.isoformat() if isinstance(value, date) else str(value)
    return text if len(text) <= AUDIT_TEXT_CHARS else text[:AUDIT_TEXT_CHARS] + "…"


def correct(entry: CatalogueEntry, cmd: CorrectCatalogueEntry, actor: Actor, now: datetime,
            *, calendar: WorkingDays, working_days: int, categories: list[str],
            remind_working_days_before: int) -> EntryChange:
    """更正: record what changed and why, keep the previous content as a version.

    A correction of a 待公开 entry's information date moves its period (the information was
    changed, 第二十六条); a published entry keeps its publication record as it was.
    """
    require_scope(actor, entry)
    text = require_reason(cmd.reason, "更正")
    require_status(entry.status, (S.pending, S.published, S.repealed), step="更正", what="条目",
                   entry_id=entry.id)
    updates: dict[str, object] = {}
    changes: list[FieldChange] = []
    for name in CORRECTABLE:
        value = getattr(cmd, name)
        if value is None or value == getattr(entry, name):
            continue
        updates[name] = value
        changes.append(FieldChange(field=name, before=_shown(getattr(entry, name)),
                                   after=_shown(value)))
    if not changes:
        raise GovbusError(ErrorCode.validation_failed, "更正没有改变任何内容", entry_id=entry.id)
    if "category" in updates:
        require_category(str(updates["category"]), categories)
        if entry.status is S.repealed and updates["category"] not in REPEALABLE_CATEGORIES:
            raise GovbusError(ErrorCode.invalid_transition,
                              "已废止条目的类别只能是规章或行政规范性文件", entry_id=entry.id)
        # The category is the office's word on whether it is a 行政规范性文件 (第五十条 counts it).
        updates["normative_document"] = updates["category"] == NORMATIVE_DOCUMENT
    if "information_date" in updates and entry.date_of_writing is not None:
        updates["date_of_writing"] = updates["information_date"]  # a 公文's 成文日期 corrected
    if "information_date" in updates and entry.status is S.pending:
        info = updates["information_date"]
        assert isinstance(info, date)
        if info > office_date(now):
            raise GovbusError(ErrorCode.validation_failed, "信息形成日期不能晚于今天",
                              information_date=info.isoformat())
        due_on = publication_due(info, calendar, working_days)
        updates["due_on"] = due_on
        updates["due_on_provisional"] = provisional(info, due_on, calendar)
        updates["overdue_since"] = None
        updates["late"] = False
        updates["reminded_for"] = None
    number = (entry.versions[-1].number if entry.versions else 0) + 1
    new = entry.model_copy(update=updates)
    new = new.model_copy(update={
        "versions": [*entry.versions, _version(new, number, actor, now, text)],
        "audit": [*entry.audit, _audit(actor, now, "更正", text, changes)]})
    if new.status is S.pending:
        new = new.model_copy(update={
            "next_alert_on": next_alert(new, calendar, remind_working_days_before)})
    return Change(new, [Emit(CATALOGUE_CORRECTED, CatalogueCorrected(
        **_fact(new), reason=text,
        changed_fields=[c.field for c in changes], content_version=number,
        corrected_by=actor.subject, corrected_at=now))])


# --- the 公开期限 sweep ---------------------------------------------------------------------


def next_alert(entry: CatalogueEntry, calendar: WorkingDays,
               remind_working_days_before: int) -> date | None:
    """When the sweep should next look at a 待公开 entry (None: never)."""
    if entry.status is not S.pending or entry.due_on is None:
        return None
    return alerts(entry.due_on, remind_working_days_before, calendar).next_on(
        reminded=entry.reminded_for == entry.due_on, overdue=entry.overdue_since is not None)


def due_alerts(entry: CatalogueEntry, now: datetime, calendar: WorkingDays,
               remind_working_days_before: int) -> EntryChange | None:
    """The sweep's decision for one entry at ``now``: a reminder N working days before the
    end of the period and an overdue notice the first working day after it, each once per
    period (event ids derived from the entry and its due date, so replicas sweeping alike
    publish one fact). None when there is nothing to do."""
    if entry.status is not S.pending or entry.due_on is None:
        return (None if entry.next_alert_on is None
                else Change(entry.model_copy(update={"next_alert_on": None})))
    due_on = entry.due_on
    today = office_date(now)
    schedule = alerts(due_on, remind_working_days_before, calendar)
    overdue_on = schedule.overdue_on
    alert = schedule.due(today, reminded=entry.reminded_for == due_on,
                         overdue=entry.overdue_since is not None)
    if alert == "overdue":
        new = entry.model_copy(update={
            "overdue_since": overdue_on, "late": True, "next_alert_on": None,
            "audit": [*entry.audit, _audit(SYSTEM, now, "逾期", f"公开期限{due_on}已过, 仍未公开")],
        })
        return Change(new, [Emit(CATALOGUE_OVERDUE, CatalogueOverdue(
            **_fact(new), title=new.title, due_on=due_on,
            overdue_since=overdue_on), overdue_event_id(entry.id, due_on))])
    if alert == "reminder":
        left = schedule.days_left(today, calendar)
        new = entry.model_copy(update={
            "reminded_for": due_on, "next_alert_on": overdue_on,
            "audit": [*entry.audit, _audit(SYSTEM, now, "到期提醒",
                                           f"距公开期限{due_on}还有{left}个工作日")],
        })
        return Change(new, [Emit(CATALOGUE_REMINDED, CatalogueReminded(
            **_fact(new), title=new.title, due_on=due_on,
            reminded_on=today, working_days_left=left), reminder_event_id(entry.id, due_on))])
    wanted = next_alert(entry, calendar, remind_working_days_before)
    if entry.next_alert_on == wanted:
        return None
    return Change(entry.model_copy(update={"next_alert_on": wanted}))


def revise_deadline(entry: CatalogueEntry, now: datetime, calendar: WorkingDays,
                    working_days: int, remind_working_days_before: int) -> EntryChange | None:
    """The official calendar arrived: the 公开期限 counted again from the information date;
    a published entry's lateness too (the annual report counts it). A period that moved is
    announced once (the fact's id is derived from both dates)."""
    if not entry.due_on_provisional or entry.due_on is None:
        return None
    old = entry.due_on
    due_on = publication_due(entry.information_date, calendar, working_days)
    updates: dict[str, object] = {
        "due_on": due_on,
        "due_on_provisional": provisional(entry.information_date, due_on, calendar)}
    if entry.status is not S.pending and entry.published_on is not None:
        late, days_late = lateness(entry.published_on, due_on, calendar)
        updates.update(late=late, working_days_late=days_late)
    if due_on == old:
        return Change(entry.model_copy(update=updates))
    reason = f"{old.year}年工作日历正式公布 (国务院放假安排), 公开期限由{old}调整为{due_on}"
    new = entry.model_copy(update={
        **updates, "audit": [*entry.audit, _audit(SYSTEM, now, "公开期限调整", reason)]})
    if new.status is S.pending:
        if new.overdue_since is not None and new.overdue_since <= due_on:
            # Noticed overdue on the provisional count, within the period on the official one.
            new = new.model_copy(update={"overdue_since": None, "late": False})
        new = new.model_copy(update={
            "next_alert_on": next_alert(new, calendar, remind_working_days_before)})
    return Change(new, [Emit(CATALOGUE_DEADLINE_CHANGED, CatalogueDeadlineChanged(
        **_fact(new), title=new.title, previous_due_on=old, due_on=due_on, late=new.late,
        working_days_late=new.working_days_late, reason=reason),
        deadline_changed_event_id(SERVICE, "catalogue", entry.id, old, due_on))])


# --- what the public sees ---------------------------------------------------------------


def visible_to(principal: Principal, entry: CatalogueEntry) -> bool:
    """The public see published and repealed entries; staff see every entry in scope."""
    if entry.status in PUBLIC_STATUSES:
        return True
    if not is_staff(principal):
        return False
    department = None if Role.admin.value in principal.roles else principal.department
    return department is None or department == entry.department


def require_visible(principal: Principal, entry: CatalogueEntry | None,
                    entry_id: str) -> CatalogueEntry:
    """The entry, if it exists and the principal may see it (``visible_to``); otherwise
    exactly the answer an unknown id gets. Checked before any other refusal, so that a
    403 (not your department) or a 409 is only ever told about an entry one may see."""
    if entry is None or not visible_to(principal, entry):
        raise GovbusError(ErrorCode.not_found, f"公开目录条目 {entry_id} 不存在", id=entry_id)
    return entry
