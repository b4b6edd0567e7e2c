"""The year's report as a record of the office: its text parts as staff wrote them, and its
own deadline.

[政府信息公开条例 2019 第四十九条] 县级以上人民政府部门 submit and publish their report for the
previous year by 31 January; the 政府信息公开工作主管部门 publishes the 本级人民政府's by
31 March. The report is a deadline like the others: reminded a few working days before, announced
overdue the day after, until it is published; each fact once (deterministic ids).
[国办公开办函〔2021〕30号] 第一部分 总体情况, 第五部分 存在的主要问题及改进情况 and
第六部分 其他需要报告的事项 are text the office writes; every edit is kept with who, when, why.

Pure: no I/O; the time and the calendar are passed in.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.disclosure.common import SERVICE
from govbus_contracts.services.disclosure.report import (
    REPORT_OVERDUE,
    REPORT_PUBLISHED,
    REPORT_REMINDED,
    REPORT_SECTION_EDITED,
    EditReportSection,
    ReportLevel,
    ReportOverdue,
    ReportPublished,
    ReportRecordReply,
    ReportReminded,
    ReportSectionEdited,
    SectionEdit,
)
from govbus_kit.clock import office_date
from govbus_kit.deadlines import AlertSchedule, alert_event_id
from govbus_kit.domain import Aggregate, Change, Emit, WorkingDays

#: 第四十九条: the month and day, in the year after the report's, by which it is published.
PUBLICATION_DEADLINES: dict[ReportLevel, tuple[int, int]] = {
    ReportLevel.department: (1, 31),
    ReportLevel.government: (3, 31),
}


class AnnualReportRecord(Aggregate):
    """One year's report (collection ``annual_reports``, id ``report-<year>``)."""

    year: int
    level: ReportLevel
    due_on: date
    edits: list[SectionEdit] = []
    published_on: date | None = None
    published_where: str | None = None
    reminded_for: date | None = None  # the due_on a reminder was sent for
    overdue_since: date | None = None
    next_alert_on: date | None = None  # when the sweep looks at it next (unpublished only)


#: What a rule of the record returns: the new state and the facts to publish with it.
RecordChange = Change[AnnualReportRecord]


def _alerts(due: date, n: int, calendar: WorkingDays) -> AlertSchedule:
    """Reminded N working days before the deadline (the deadline lies in the next year:
    before its 调休 are published the calendar counts on the provisional year); overdue the
    day after it, a calendar date (第四十九条 says 1月31日前, whatever the weekday)."""
    return AlertSchedule(due, remind_on=calendar.add_working_days(due, -n),
                         overdue_on=due + timedelta(days=1))


def record_id(year: int) -> str:
    return f"report-{year}"


def report_due(year: int, level: ReportLevel) -> date:
    """第四十九条: 1月31日前 (部门) or 3月31日前 (本级政府) of the following year."""
    month, day = PUBLICATION_DEADLINES[level]
    return date(year + 1, month, day)


def reminder_event_id(year: int, due_on: date) -> str:
    return alert_event_id(SERVICE, "report", str(year), "reminder", due_on)


def overdue_event_id(year: int, due_on: date) -> str:
    return alert_event_id(SERVICE, "report", str(year), "overdue", due_on)


def new_record(year: int, level: ReportLevel, calendar: WorkingDays,
               remind_working_days_before: int) -> AnnualReportRecord:
    record = AnnualReportRecord(id=record_id(year), year=year, level=level,
                                due_on=report_due(year, level))
    return settle(record, calendar, remind_working_days_before)


def settle(record: AnnualReportRecord, calendar: WorkingDays,
           remind_working_days_before: int) -> AnnualReportRecord:
    """The next day the sweep must look at the record (None once published or overdue)."""
    alert: date | None = None
    if record.published_on is None:
        alert = _alerts(record.due_on, remind_working_days_before, calendar).next_on(
            reminded=record.reminded_for == record.due_on,
            overdue=record.overdue_since is not None)
    return record.model_copy(update={"next_alert_on": alert})


def _fact(record: AnnualReportRecord) -> dict[str, Any]:
    return {"year": record.year, "level": record.level, "due_on": record.due_on}


def edit_section(record: AnnualReportRecord, cmd: EditReportSection, subject: str,
                 name: str | None, now: datetime) -> RecordChange:
    """Staff write a text part; a part already written is changed only with a reason."""
    text = cmd.text.strip()
    if not text:
        raise GovbusError(ErrorCode.validation_failed, "正文不能为空", field="text")
    earlier = [e for e in record.edits if e.key is cmd.section]
    if earlier and not (cmd.reason or "").strip():
        raise GovbusError(ErrorCode.validation_failed,
                          f"修改已填写的“{cmd.section.value}”须说明理由", field="reason")
    edit = SectionEdit(key=cmd.section, version=len(earlier) + 1, text=text,
                       edited_by=subject, edited_by_name=name, edited_at=now,
                       reason=cmd.reason)
    new = record.model_copy(update={"edits": [*record.edits, edit]})
    return Change(new, [Emit(REPORT_SECTION_EDITED, ReportSectionEdited(
        **_fact(new), section=cmd.section, version=edit.version, edited_by=subject))])


def publish(record: AnnualReportRecord, published_on: date, where: str, now: datetime,
            calendar: WorkingDays, remind_working_days_before: int) -> RecordChange:
    """第四十九条: 向社会公布; the deadline is met or missed, and no longer swept."""
    if record.published_on is not None:
        raise GovbusError(ErrorCode.conflict, f"{record.year}年度报告已于{record.published_on}公布",
                          published_on=record.published_on.isoformat())
    if published_on > office_date(now) or published_on.year <= record.year:
        raise GovbusError(ErrorCode.validation_failed,
                          f"公布日期 {published_on} 应在{record.year + 1}年内且不晚于今天",
                          field="published_on")
    new = settle(record.model_copy(update={"published_on": published_on,
                                           "published_where": where.strip()}),
                 calendar, remind_working_days_before)
    on_time = published_on <= record.due_on
    return Change(new, [Emit(REPORT_PUBLISHED, ReportPublished(
        **_fact(new), published_on=published_on, on_time=on_time))])


def due_alerts(record: AnnualReportRecord, now: datetime, calendar: WorkingDays,
               remind_working_days_before: int) -> RecordChange | None:
    """Remind N working days before the deadline; announce it overdue the day after (a
    calendar date: 第四十九条 says 1月31日前, whatever the weekday). Each fact once."""
    if record.published_on is not None or record.overdue_since is not None:
        return None
    today = office_date(now)
    due = record.due_on
    schedule = _alerts(due, remind_working_days_before, calendar)
    alert = schedule.due(today, reminded=record.reminded_for == due, overdue=False)
    if alert == "overdue":
        new = settle(record.model_copy(update={"overdue_since": schedule.overdue_on}),
                     calendar, remind_working_days_before)
        return Change(new, [Emit(REPORT_OVERDUE, ReportOverdue(
            **_fact(new), overdue_since=schedule.overdue_on),
            overdue_event_id(record.year, due))])
    if alert == "reminder":
        left = schedule.days_left(today, calendar)
        new = settle(record.model_copy(update={"reminded_for": due}), calendar,
                     remind_working_days_before)
        return Change(new, [Emit(REPORT_REMINDED, ReportReminded(
            **_fact(new), reminded_on=today, working_days_left=left),
            reminder_event_id(record.year, due))])
    settled = settle(record, calendar, remind_working_days_before)
    return None if settled.next_alert_on == record.next_alert_on else Change(settled)


def record_reply(record: AnnualReportRecord, version: int) -> ReportRecordReply:
    return ReportRecordReply(
        year=record.year, version=version, level=record.level, due_on=record.due_on,
        published_on=record.published_on, published_where=record.published_where,
        on_time=(record.published_on <= record.due_on) if record.published_on else None,
        overdue_since=record.overdue_since, edits=record.edits)
