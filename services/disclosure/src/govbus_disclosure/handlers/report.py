"""Handlers of the annual report (年度报告) and of 行政复议/行政诉讼 cases.

Collections (this service's own database):
- ``requests`` and ``catalogue``: read only, through the record contract the slices share
  (only the fields the report counts are projected: no applicant's personal data is read);
- ``report_figures``: one aggregate per year (``figures-<year>``), every version kept;
- ``review_cases``: one aggregate per case, id derived from its kind and 案号 (a case is
  recorded once);
- ``annual_reports``: one aggregate per year (``report-<year>``): the text parts as edited and
  the report's own deadline (第四十九条), swept like the others.
The rules of counting are in ``govbus_disclosure.domain.report``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from govbus_contracts.envelope import deterministic_id
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.disclosure.common import ReviewKind, ReviewResult, Role
from govbus_contracts.services.disclosure.report import (
    ANNUAL_REPORT,
    EDIT_REPORT_SECTION,
    EXPORT_ANNUAL_REPORT,
    LIST_REVIEW_CASES,
    PUBLISH_ANNUAL_REPORT,
    RECORD_REPORT_FIGURES,
    RECORD_REVIEW_CASE,
    REPORT_FIGURES_RECORDED,
    REVIEW_CASE_RECORDED,
    REVIEW_CASE_UPDATED,
    UPDATE_REVIEW_CASE,
    XLSX_MEDIA_TYPE,
    AnnualReport,
    AnnualReportFile,
    AnnualReportQuery,
    EditReportSection,
    ExportAnnualReport,
    FiguresVersion,
    ListReviewCases,
    PublishAnnualReport,
    RecordProblem,
    RecordReportFigures,
    RecordReviewCase,
    ReportFiguresRecorded,
    ReportFiguresReply,
    ReportLevel,
    ReportRecordReply,
    ReviewCaseChange,
    ReviewCaseList,
    ReviewCaseRecorded,
    ReviewCaseReply,
    ReviewCaseUpdated,
    UpdateReviewCase,
    check_conclusion,
)
from govbus_disclosure.domain import report_record
from govbus_disclosure.domain.report import (
    CATALOGUE,
    REQUESTS,
    REVIEW_CASES,
    EnteredFigures,
    annual_report,
    catalogue_record,
    read_records,
    report_filename,
    request_record,
    review_case_record,
)
from govbus_disclosure.domain.report_record import AnnualReportRecord, RecordChange
from govbus_disclosure.handlers.periods import period as office_period
from govbus_disclosure.service import service, sweep_seconds
from govbus_disclosure.settings import DisclosureSettings
from govbus_disclosure.spreadsheet import workbook_bytes
from govbus_kit.clock import office_date
from govbus_kit.domain import act_as
from govbus_kit.due import Due, day, due_index, track_due
from govbus_kit.repository import Aggregate, AggregateRepository, Emit, Outcome
from govbus_kit.service import CommandContext, QueryContext, ServiceContext
from govbus_kit.workflow import Workflow

REPORT_FIGURES = "report_figures"
ANNUAL_REPORTS = "annual_reports"
STAFF = (Role.officer, Role.approver, Role.admin)
REQUEST_FIELDS = {"applicant_type": 1, "received_on": 1, "closed_on": 1, "outcome": 1,
                  "outcome_reason": 1, "overdue_since": 1, "fee": 1}
CATALOGUE_FIELDS = {"category": 1, "published_on": 1, "late": 1, "due_on": 1,
                    "withdrawn_on": 1, "repealed_on": 1, "information_date": 1,
                    "date_of_writing": 1, "normative_document": 1}
CASE_FIELDS = {"kind": 1, "filed_on": 1, "result": 1, "concluded_on": 1}


class ReportFigures(Aggregate):
    """第二十条第(五)(六)(八)项 of one year, as staff entered them, every version kept."""

    year: int
    versions: list[FiguresVersion] = []


class ReviewCase(Aggregate):
    """A 行政复议 or 行政诉讼 case about the office's disclosure work."""

    kind: ReviewKind
    case_number: str
    filed_on: date
    request_id: str | None = None
    result: ReviewResult = ReviewResult.pending
    concluded_on: date | None = None
    remarks: str | None = None
    department: str | None = None
    history: list[ReviewCaseChange] = []


def _figures_repo(ctx: ServiceContext) -> AggregateRepository[ReportFigures]:
    return ctx.repository(REPORT_FIGURES, ReportFigures)


def _cases_repo(ctx: ServiceContext) -> AggregateRepository[ReviewCase]:
    return ctx.repository(REVIEW_CASES, ReviewCase)


def figures_id(year: int) -> str:
    return f"figures-{year}"


def case_id(kind: ReviewKind, case_number: str) -> str:
    return deterministic_id("disclosure", "review-case", kind.name, case_number.strip())


# --- 第二部分 figures -------------------------------------------------------------------------


@service.command(RECORD_REPORT_FIGURES)
async def record_report_figures(cmd: RecordReportFigures, ctx: CommandContext
                                ) -> ReportFiguresReply:
    act_as(ctx.principal, Role.officer, step="填报年度报告数字")
    if all(v is None for v in (cmd.licensing_decisions, cmd.punishment_decisions,
                               cmd.enforcement_decisions, cmd.fees_amount)):
        raise GovbusError(ErrorCode.validation_failed, "请至少填报一项数字")
    now = ctx.now()

    def decide(current: ReportFigures | None) -> Outcome[ReportFigures, ReportFiguresReply]:
        state = current or ReportFigures(id=figures_id(cmd.year), year=cmd.year)
        previous = state.versions[-1] if state.versions else None
        if previous is not None and not (cmd.reason or "").strip():
            raise GovbusError(ErrorCode.validation_failed, "修改已填报的数字须说明理由",
                              year=cmd.year, version=previous.number)
        # A field left out keeps what the previous version said: staff may fill in the
        # figures as they arrive from the departments.
        def keep(name: str) -> Any:
            value = getattr(cmd, name)
            return value if value is not None or previous is None else getattr(previous, name)

        version = FiguresVersion(
            number=len(state.versions) + 1,
            licensing_decisions=keep("licensing_decisions"),
            punishment_decisions=keep("punishment_decisions"),
            enforcement_decisions=keep("enforcement_decisions"),
            fees_amount=keep("fees_amount"),
            recorded_by=ctx.principal.subject, recorded_by_name=ctx.principal.name,
            recorded_at=now, reason=cmd.reason)
        new = state.model_copy(update={"versions": [*state.versions, version]})
        reply = ReportFiguresReply(year=cmd.year, version=state.version + 1, current=version,
                                   versions=new.versions)
        event = ReportFiguresRecorded(
            year=cmd.year, version_number=version.number,
            licensing_decisions=version.licensing_decisions,
            punishment_decisions=version.punishment_decisions,
            enforcement_decisions=version.enforcement_decisions,
            fees_amount=version.fees_amount, recorded_by=ctx.principal.subject,
            reason=cmd.reason)
        return Outcome(new, reply, [Emit(REPORT_FIGURES_RECORDED, event)])

    return await ctx.execute(_figures_repo(ctx.service), figures_id(cmd.year), decide)


async def entered_figures(ctx: ServiceContext, year: int) -> EnteredFigures:
    stored = await _figures_repo(ctx).get(figures_id(year))
    if stored is None or not stored.versions:
        return EnteredFigures()
    v = stored.versions[-1]
    return EnteredFigures(
        version=v.number, licensing_decisions=v.licensing_decisions,
        punishment_decisions=v.punishment_decisions,
        enforcement_decisions=v.enforcement_decisions, fees_amount=v.fees_amount)


# --- 第四部分 review cases --------------------------------------------------------------------


def _case_reply(case: ReviewCase) -> ReviewCaseReply:
    return ReviewCaseReply(
        id=case.id, version=case.version, kind=case.kind, case_number=case.case_number,
        filed_on=case.filed_on, request_id=case.request_id, result=case.result,
        concluded_on=case.concluded_on, remarks=case.remarks, history=case.history)


@service.command(RECORD_REVIEW_CASE)
async def record_review_case(cmd: RecordReviewCase, ctx: CommandContext) -> ReviewCaseReply:
    act_as(ctx.principal, Role.officer, step="登记复议诉讼案件")
    new_id = case_id(cmd.kind, cmd.case_number)
    now = ctx.now()

    def decide(current: ReviewCase | None) -> Outcome[ReviewCase, ReviewCaseReply]:
        if current is not None:
            raise GovbusError(ErrorCode.conflict, f"案号 {cmd.case_number} 已登记",
                              case_id=new_id)
        change = ReviewCaseChange(
            action="登记", by=ctx.principal.subject, by_name=ctx.principal.name, at=now,
            result=cmd.result, concluded_on=cmd.concluded_on)
        case = ReviewCase(
            id=new_id, kind=cmd.kind, case_number=cmd.case_number.strip(),
            filed_on=cmd.filed_on, request_id=cmd.request_id, result=cmd.result,
            concluded_on=cmd.concluded_on, remarks=cmd.remarks,
            department=ctx.principal.department, history=[change])
        event = ReviewCaseRecorded(
            case_id=new_id, kind=cmd.kind, case_number=case.case_number,
            filed_on=cmd.filed_on, request_id=cmd.request_id, result=cmd.result,
            concluded_on=cmd.concluded_on)
        return Outcome(case, _case_reply(case.model_copy(update={"version": 1})),
                       [Emit(REVIEW_CASE_RECORDED, event)])

    return await ctx.execute(_cases_repo(ctx.service), new_id, decide)


@service.command(UPDATE_REVIEW_CASE)
async def update_review_case(cmd: UpdateReviewCase, ctx: CommandContext) -> ReviewCaseReply:
    act_as(ctx.principal, Role.officer, step="更新复议诉讼案件")
    now = ctx.now()

    def decide(current: ReviewCase | None) -> Outcome[ReviewCase, ReviewCaseReply]:
        if current is None:
            raise GovbusError(ErrorCode.not_found, f"复议诉讼案件 {cmd.case_id} 不存在",
                              id=cmd.case_id)
        concluded = current.result is not ReviewResult.pending
        if concluded and cmd.result is ReviewResult.pending:
            raise GovbusError(ErrorCode.invalid_transition, "已审结的案件不能改回尚未审结",
                              result=current.result.value)
        if concluded and not (cmd.reason or "").strip():
            raise GovbusError(ErrorCode.validation_failed, "更正已审结案件的结果须说明理由")
        try:
            check_conclusion(current.filed_on, cmd.result, cmd.concluded_on)
        except ValueError as exc:
            raise GovbusError(ErrorCode.validation_failed, str(exc)) from None
        unchanged = (cmd.result is current.result and cmd.concluded_on == current.concluded_on
                     and cmd.remarks in (None, current.remarks))
        if unchanged:
            return Outcome(None, _case_reply(current))
        action = "更正" if concluded else (
            "审结" if cmd.result is not ReviewResult.pending else "更新")
        change = ReviewCaseChange(
            action=action, by=ctx.principal.subject, by_name=ctx.principal.name, at=now,
            result=cmd.result, concluded_on=cmd.concluded_on, reason=cmd.reason)
        case = current.model_copy(update={
            "result": cmd.result, "concluded_on": cmd.concluded_on,
            "remarks": cmd.remarks if cmd.remarks is not None else current.remarks,
            "history": [*current.history, change]})
        event = ReviewCaseUpdated(
            case_id=current.id, kind=current.kind, case_number=current.case_number,
            request_id=current.request_id, previous_result=current.result, result=cmd.result,
            concluded_on=cmd.concluded_on, reason=cmd.reason)
        return Outcome(case, _case_reply(case.model_copy(update={"version": current.version + 1})),
                       [Emit(REVIEW_CASE_UPDATED, event)])

    return await ctx.execute(_cases_repo(ctx.service), cmd.case_id, decide)


@service.query(LIST_REVIEW_CASES)
async def list_review_cases(query: ListReviewCases, ctx: QueryContext) -> ReviewCaseList:
    act_as(ctx.principal, *STAFF, step="查看复议诉讼案件")
    clauses: list[dict[str, Any]] = []
    if query.kind is not None:
        clauses.append({"kind": query.kind.value})
    if query.result is not None:
        clauses.append({"result": query.result.value})
    if query.year is not None:
        span = {"$gte": f"{query.year}-01-01", "$lte": f"{query.year}-12-31"}
        clauses.append({"$or": [{"filed_on": span}, {"concluded_on": span}]})
    where: dict[str, Any] = {"$and": clauses} if len(clauses) > 1 else (
        clauses[0] if clauses else {})
    repo = _cases_repo(ctx.service)
    # scan: review cases (行政复议 and 行政诉讼 about the office's disclosure work) come a
    # handful a year; the collection stays tiny, so its list reads it whole.
    found = await repo.find(where, sort=[("filed_on", -1), ("_id", 1)], skip=query.offset,
                            limit=query.limit)
    total = await repo.collection.count_documents(where)
    return ReviewCaseList(items=[_case_reply(c) for c in found], total=total,
                          offset=query.offset, limit=query.limit)


# --- 第一、五、六部分 and the report's deadline (第四十九条) -------------------------------------


def _records_repo(ctx: ServiceContext) -> AggregateRepository[AnnualReportRecord]:
    return ctx.repository(ANNUAL_REPORTS, AnnualReportRecord)


def _remind_before(ctx: ServiceContext, year: int) -> int:
    """第四十九条's reminder for the report of ``year``, as in force when its period began."""
    level = ctx.own_settings(DisclosureSettings).report_level
    name = ("annual_report_government" if level is ReportLevel.government
            else "annual_report_department")
    return office_period(ctx, name, date(year, 12, 31)).remind_before


def _new_record(ctx: ServiceContext, year: int) -> AnnualReportRecord:
    level = ctx.own_settings(DisclosureSettings).report_level
    return report_record.new_record(year, level, ctx.calendar, _remind_before(ctx, year))


async def _report_step(ctx: CommandContext, year: int, step: str,
                       rule: Callable[[AnnualReportRecord, datetime], RecordChange]
                       ) -> ReportRecordReply:
    """One step by staff on the report of ``year`` (put on record by its first step if the
    sweep has not done so yet)."""
    act_as(ctx.principal, Role.officer, step=step)
    now = ctx.now()
    records = Workflow(ANNUAL_REPORTS, AnnualReportRecord, ReportRecordReply,
                       ack=report_record.record_reply,
                       visible=lambda _, record, __: record or _new_record(ctx.service, year))
    return await records.step(ctx, report_record.record_id(year),
                              lambda record: rule(record, now))


@service.command(EDIT_REPORT_SECTION)
async def edit_report_section(cmd: EditReportSection, ctx: CommandContext
                              ) -> ReportRecordReply:
    return await _report_step(ctx, cmd.year, "编辑年度报告", lambda record, now: (
        report_record.edit_section(record, cmd, ctx.principal.subject, ctx.principal.name, now)))


@service.command(PUBLISH_ANNUAL_REPORT)
async def publish_annual_report(cmd: PublishAnnualReport, ctx: CommandContext
                                ) -> ReportRecordReply:
    return await _report_step(ctx, cmd.year, "公布年度报告", lambda record, now: (
        report_record.publish(record, cmd.published_on or office_date(now), cmd.where, now,
                              ctx.service.calendar, _remind_before(ctx.service, cmd.year))))


async def sweep_report_deadlines(ctx: ServiceContext) -> int:
    """第四十九条: make sure last year's report is on record (its deadline runs from 1 January),
    then remind and announce overdue like every other deadline; safe on many replicas."""
    now = ctx.clock.now()
    today = office_date(now)
    repo = _records_repo(ctx)
    last_year = today.year - 1

    def ensure(current: AnnualReportRecord | None) -> Outcome[AnnualReportRecord, int]:
        if current is not None:
            return Outcome(None, 0)
        return Outcome(_new_record(ctx, last_year), 0)

    # Put on record while its period runs. A database first started after the deadline does
    # not know whether the report was published (before govbus, say): it is not announced
    # overdue on a guess; staff put it on record by editing or publishing it.
    level = ctx.own_settings(DisclosureSettings).report_level
    if today <= report_record.report_due(last_year, level):
        await repo.execute(report_record.record_id(last_year), ensure)
    return await due_index(ctx, ANNUAL_REPORTS).sweep_due(
        repo,
        lambda record: report_record.due_alerts(record, now, ctx.calendar,
                                                _remind_before(ctx, record.year)),
        today=today, what="年度报告")


def report_due(doc: Mapping[str, Any]) -> Due:
    """What the report's deadline sweep watches: an unpublished report on its next alert day."""
    return Due(on=day(doc.get("next_alert_on")) if doc.get("published_on") is None else None)


@service.on_startup
async def report_due_index(ctx: ServiceContext) -> None:
    track_due(ctx, ANNUAL_REPORTS, report_due)


@service.every(sweep_seconds, name="report_deadlines")
async def report_deadlines(ctx: ServiceContext) -> None:
    await sweep_report_deadlines(ctx)


# --- the report -------------------------------------------------------------------------------


async def compute_report(ctx: ServiceContext, year: int) -> AnnualReport:
    """Read the records the report counts (their counted fields only) and compute it."""
    db = ctx.db
    problems: list[RecordProblem] = []
    # Every record, not only the year's: a record whose dates cannot be read must show up as
    # a problem rather than silently fall out of a filter.
    # scan: the annual report (第四十九条) is compiled when staff open or export it, a few
    # times a year, never by a command, an event or a sweep; it must count every record.
    stored_requests, stored_catalogue, stored_cases = await asyncio.gather(
        db[REQUESTS].find({}, REQUEST_FIELDS).to_list(None),
        db[CATALOGUE].find({}, CATALOGUE_FIELDS).to_list(None),
        db[REVIEW_CASES].find({}, CASE_FIELDS).to_list(None))
    requests = read_records(REQUESTS, stored_requests, request_record, problems)
    catalogue = read_records(CATALOGUE, stored_catalogue, catalogue_record, problems)
    cases = read_records(REVIEW_CASES, stored_cases, review_case_record, problems)
    record = await _records_repo(ctx).get(report_record.record_id(year))
    settings = ctx.own_settings(DisclosureSettings)
    return annual_report(
        year, requests=requests, catalogue=catalogue, review_cases=cases,
        figures=await entered_figures(ctx, year), generated_at=ctx.clock.now(),
        category_order=settings.catalogue_categories, problems=problems,
        edits=record.edits if record else (),
        due_on=record.due_on if record else report_record.report_due(year, settings.report_level),
        published_on=record.published_on if record else None,
        overdue_since=record.overdue_since if record else None)


@service.query(ANNUAL_REPORT)
async def get_annual_report(query: AnnualReportQuery, ctx: QueryContext) -> AnnualReport:
    act_as(ctx.principal, *STAFF, step="查看年度报告")
    return await compute_report(ctx.service, query.year)


@service.query(EXPORT_ANNUAL_REPORT)
async def export_annual_report(query: ExportAnnualReport, ctx: QueryContext
                               ) -> AnnualReportFile:
    act_as(ctx.principal, *STAFF, step="导出年度报告")
    report = await compute_report(ctx.service, query.year)
    settings = ctx.service.own_settings(DisclosureSettings)
    content = workbook_bytes(report, settings.report_office_name)
    return AnnualReportFile(
        year=query.year, filename=report_filename(query.year, settings.report_office_name),
        media_type=XLSX_MEDIA_TYPE, content_base64=base64.b64encode(content).decode(),
        size=len(content), sha256=hashlib.sha256(content).hexdigest(),
        consistent=report.consistent)


__all__ = ["ReportFigures", "ReviewCase", "case_id", "compute_report", "figures_id"]
