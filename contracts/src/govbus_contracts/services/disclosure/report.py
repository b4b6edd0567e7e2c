"""Contracts of the disclosure service: the annual report (政府信息公开工作年度报告).

[政府信息公开条例 2019 第四十九条、第五十条; 国办公开办函〔2021〕30号《中华人民共和国政府信息
公开工作年度报告格式》]. The report's statutory tables are computed from the service's own
records — the catalogue (第二部分), the requests (第三部分) and the 行政复议/行政诉讼 cases staff
record here (第四部分) — plus the few figures no record holds, which staff enter for the year
(第二部分 第二十条第(五)(六)(八)项). Every consistency rule of the template is checked and
reported with the numbers that disagree.

Nothing here carries an applicant's personal data: the report holds counts only; review cases
refer to a request by its id.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from govbus_contracts.base import Command, Event, Limit, Offset, Query, Reply
from govbus_contracts.services.disclosure.common import CONTRACT, ReviewKind, ReviewResult

Year = int
#: 2008: the regulation in force; 2199: the last year the working-day calendar counts (a later
#: one made the report's deadlines fail with a 500, issue 9)
YEAR_FIELD = Field(ge=2008, le=2199, description="年度 (条例 2008年施行)")

# --- 第二部分: figures staff enter for the year -----------------------------------------------


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class RecordReportFigures(Command):
    """填报 the year's figures that no record of this service holds (第二十条第(五)(六)(八)项).

    Each recording is a new version of the year's figures; a change to figures already
    recorded needs a reason (留痕).
    """

    year: Year = YEAR_FIELD
    licensing_decisions: int | None = Field(
        default=None, ge=0, le=100_000_000, description="行政许可 本年处理决定数量")
    punishment_decisions: int | None = Field(
        default=None, ge=0, le=100_000_000, description="行政处罚 本年处理决定数量")
    enforcement_decisions: int | None = Field(
        default=None, ge=0, le=100_000_000, description="行政强制 本年处理决定数量")
    fees_amount: Decimal | None = Field(
        default=None, ge=0, le=Decimal("100000000"), max_digits=14, decimal_places=4,
        description="行政事业性收费 本年收费金额(单位:万元)")
    reason: str | None = Field(default=None, max_length=500, description="修改理由")


class FiguresVersion(_Record):
    """One version of the year's figures, with who recorded it and why."""

    number: int = Field(description="版本号")
    licensing_decisions: int | None = None
    punishment_decisions: int | None = None
    enforcement_decisions: int | None = None
    fees_amount: Decimal | None = Field(default=None, description="万元")
    recorded_by: str = Field(description="subject of the member of staff")
    recorded_by_name: str | None = None
    recorded_at: datetime
    reason: str | None = Field(default=None, description="修改理由")


class ReportFiguresReply(Reply):
    year: int
    version: int = Field(description="the aggregate's version")
    current: FiguresVersion
    versions: list[FiguresVersion] = Field(description="every version, oldest first")


class ReportFiguresRecorded(Event):
    """The year's entered figures changed (a new version)."""

    year: int
    version_number: int
    licensing_decisions: int | None = None
    punishment_decisions: int | None = None
    enforcement_decisions: int | None = None
    fees_amount: Decimal | None = Field(default=None, description="万元")
    recorded_by: str
    reason: str | None = None


# --- 第四部分: 行政复议 and 行政诉讼 cases ----------------------------------------------------


class RecordReviewCase(Command):
    """登记 a 行政复议 or 行政诉讼 case about this office's disclosure work."""

    kind: ReviewKind = Field(
        description="行政复议 / 行政诉讼(未经复议直接起诉) / 行政诉讼(复议后起诉)")
    case_number: str = Field(min_length=1, max_length=100, description="案号")
    filed_on: date = Field(description="申请复议或起诉的日期 (立案日期)")
    request_id: str | None = Field(
        default=None, max_length=100, description="the 依申请公开 request the case concerns")
    result: ReviewResult = Field(default=ReviewResult.pending, description="结果")
    concluded_on: date | None = Field(default=None, description="审结日期")
    remarks: str | None = Field(default=None, max_length=1000, description="备注")

    @model_validator(mode="after")
    def _concluded_iff_result(self) -> RecordReviewCase:
        check_conclusion(self.filed_on, self.result, self.concluded_on)
        return self


class UpdateReviewCase(Command):
    """The case concluded (结果维持 / 结果纠正 / 其他结果), or a correction of what was recorded."""

    case_id: str = Field(min_length=1, max_length=100)
    result: ReviewResult = Field(description="结果")
    concluded_on: date | None = Field(default=None, description="审结日期")
    reason: str | None = Field(
        default=None, max_length=500, description="理由 (required to correct a concluded case)")
    remarks: str | None = Field(default=None, max_length=1000, description="备注")

    @model_validator(mode="after")
    def _concluded_iff_result(self) -> UpdateReviewCase:
        check_conclusion(None, self.result, self.concluded_on)
        return self


def check_conclusion(filed_on: date | None, result: ReviewResult,
                     concluded_on: date | None) -> None:
    """A concluded case has a result and a date of conclusion; a pending one neither."""
    if result is ReviewResult.pending and concluded_on is not None:
        raise ValueError("尚未审结的案件不应有审结日期")
    if result is not ReviewResult.pending and concluded_on is None:
        raise ValueError("已审结的案件须填写审结日期")
    if filed_on is not None and concluded_on is not None and concluded_on < filed_on:
        raise ValueError("审结日期不能早于立案日期")


class ReviewCaseChange(_Record):
    """留痕 of one step of the case."""

    action: str = Field(description="登记 / 审结 / 更正")
    by: str
    by_name: str | None = None
    at: datetime
    result: ReviewResult
    concluded_on: date | None = None
    reason: str | None = None


class ReviewCaseReply(Reply):
    id: str
    version: int
    kind: ReviewKind
    case_number: str = Field(description="案号")
    filed_on: date
    request_id: str | None = None
    result: ReviewResult
    concluded_on: date | None = None
    remarks: str | None = None
    history: list[ReviewCaseChange] = Field(default_factory=list)


class ReviewCaseRecorded(Event):
    """A 行政复议 / 行政诉讼 case was recorded."""

    case_id: str
    kind: ReviewKind
    case_number: str
    filed_on: date
    request_id: str | None = None
    result: ReviewResult
    concluded_on: date | None = None


class ReviewCaseUpdated(Event):
    """A case concluded, or what was recorded of it was corrected."""

    case_id: str
    kind: ReviewKind
    case_number: str
    request_id: str | None = None
    previous_result: ReviewResult
    result: ReviewResult
    concluded_on: date | None = None
    reason: str | None = None


class ListReviewCases(Query):
    """Review cases, newest filing first; ``year``: filed in it, or concluded in it."""

    kind: ReviewKind | None = None
    result: ReviewResult | None = None
    year: int | None = Field(default=None, ge=2008, le=2999)
    offset: Offset = 0
    limit: Limit = 50


class ReviewCaseList(Reply):
    items: list[ReviewCaseReply]
    total: int
    offset: int
    limit: int


# --- 第一、五、六部分: text sections, and the report's own deadline (第四十九条) ------------------


class ReportSectionKey(StrEnum):
    """The report's text parts (国办公开办函〔2021〕30号); the tables are 第二、三、四部分."""

    overview = "一、总体情况"
    problems = "五、存在的主要问题及改进情况"
    other_matters = "六、其他需要报告的事项"


class ReportLevel(StrEnum):
    """Whose report it is, which fixes its deadline (第四十九条)."""

    department = "政府部门"  # 每年1月31日前 提交并向社会公布
    government = "本级人民政府"  # 每年3月31日前 向社会公布


class SectionFigure(_Record):
    """A figure the service holds, shown beside a text section (e.g. 信息处理费 collected)."""

    key: str = Field(description="stable key, e.g. fees_collected_amount")
    label: str = Field(description="the figure in the office's words")
    value: int
    unit: str = Field(description="条 / 件 / 元")


class ReportTextSection(_Record):
    """第一、五、六部分: the text staff wrote (or, until then, a draft from the figures)."""

    key: ReportSectionKey
    text: str = Field(description="正文 (the edited text, or the prefilled draft)")
    edited: bool = Field(description="staff wrote or approved the text (False: the draft)")
    version: int = Field(default=0, description="edit number (0: the draft)")
    edited_by: str | None = None
    edited_at: datetime | None = None
    figures: list[SectionFigure] = Field(default_factory=list,
                                         description="the figures the service holds")


class SectionEdit(_Record):
    """One edit of a text section, kept (留痕)."""

    key: ReportSectionKey
    version: int
    text: str
    edited_by: str
    edited_by_name: str | None = None
    edited_at: datetime
    reason: str | None = None


class EditReportSection(Command):
    """编辑 第一、五、六部分 of a year's report; every edit is kept, a re-edit needs a reason."""

    year: Year = YEAR_FIELD
    section: ReportSectionKey = Field(description="一、总体情况 / 五、… / 六、…")
    text: str = Field(min_length=1, max_length=20000, description="正文")
    reason: str | None = Field(default=None, max_length=500, description="修改理由")


class PublishAnnualReport(Command):
    """年度报告已向社会公布 (第四十九条): closes the report's deadline."""

    year: Year = YEAR_FIELD
    published_on: date | None = Field(default=None, description="公布日期 (default today)")
    where: str = Field(min_length=1, max_length=500,
                       description="公布途径, e.g. 政府门户网站政府信息公开专栏")


class ReportRecordReply(Reply):
    """The year's report record: its text sections as edited, its deadline and publication."""

    year: int
    version: int
    level: ReportLevel
    due_on: date = Field(description="第四十九条: 1月31日前 (部门) / 3月31日前 (本级政府)")
    published_on: date | None = None
    published_where: str | None = None
    on_time: bool | None = Field(default=None, description="公布 within the deadline")
    overdue_since: date | None = None
    edits: list[SectionEdit] = Field(default_factory=list, description="every edit, oldest first")


class _ReportFact(Event):
    year: int
    level: ReportLevel
    due_on: date


class ReportSectionEdited(_ReportFact):
    section: ReportSectionKey
    version: int
    edited_by: str


class ReportPublished(_ReportFact):
    published_on: date
    on_time: bool


class ReportReminded(_ReportFact):
    reminded_on: date
    working_days_left: int


class ReportOverdue(_ReportFact):
    overdue_since: date = Field(description="the first day after the deadline")


# --- the report -------------------------------------------------------------------------------


class AnnualReportQuery(Query):
    """年度报告 of a year, computed now from the service's records."""

    year: Year = YEAR_FIELD


class RegulationRow(_Record):
    """第二十条第(一)项: 规章 / 行政规范性文件."""

    content: str = Field(description="信息内容")
    issued: int = Field(description="本年制发件数")
    repealed: int = Field(description="本年废止件数")
    in_force: int = Field(description="现行有效件数")


class DecisionRow(_Record):
    """第二十条第(五)(六)项: 本年处理决定数量, as entered by staff (None: not entered)."""

    item: str = Field(description="第二十条第(五)项 / 第(六)项")
    content: str = Field(description="信息内容")
    decisions: int | None = Field(description="本年处理决定数量")


class FeeRow(_Record):
    """第二十条第(八)项."""

    item: str
    content: str = Field(description="信息内容")
    amount: Decimal | None = Field(description="本年收费金额(单位:万元)")


class CategoryRow(_Record):
    """The catalogue by category (公开目录), a summary beside the template's table."""

    category: str = Field(description="类别 (合计 for the total row)")
    published: int = Field(description="本年公开条数")
    late: int = Field(description="其中逾期公开 (超过20个工作日)")
    withdrawn: int = Field(description="本年撤回条数")
    overdue_unpublished: int = Field(description="年末逾期未公开条数")


class ProactiveDisclosure(_Record):
    """第二部分 主动公开政府信息情况."""

    regulations: list[RegulationRow]
    decisions: list[DecisionRow]
    fees: list[FeeRow]
    catalogue: list[CategoryRow]
    figures_version: int | None = Field(
        default=None, description="version of the entered figures used (None: none entered)")


class ApplicantCounts(_Record):
    """One row of 第三部分 by 申请人情况; ``legal_persons`` = 法人或其他组织 (the five)."""

    natural_person: int = Field(description="自然人")
    business: int = Field(description="商业企业")
    research: int = Field(description="科研机构")
    public_interest: int = Field(description="社会公益组织")
    legal_service: int = Field(description="法律服务机构")
    other: int = Field(description="其他")
    legal_persons: int = Field(description="法人或其他组织 小计")
    total: int = Field(description="总计")


class RequestRow(_Record):
    """A row of 第三部分: ``key`` stable (``new``, ``withheld``, ``withheld.state_secret``…)."""

    key: str
    label: str = Field(description="the template's row label")
    level: int = Field(description="0: 一、二、三、四; 1: (一)…(七); 2: 1. 2. …")
    counts: ApplicantCounts


class ReviewRow(_Record):
    """第四部分: one kind of case, by result."""

    kind: ReviewKind
    upheld: int = Field(description="结果维持")
    corrected: int = Field(description="结果纠正")
    other: int = Field(description="其他结果")
    pending: int = Field(description="尚未审结")
    total: int = Field(description="总计")


class Disagreement(_Record):
    """Where a rule does not hold: the cell, the value the rule expects, the value found."""

    where: str = Field(description="row and column, in the template's labels")
    expected: int = Field(description="what the rule computes (e.g. the sum of the parts)")
    actual: int = Field(description="what the table holds")


class ConsistencyCheck(_Record):
    """One rule of the template's 勾稽关系: passed, or the numbers that disagree."""

    rule: str = Field(description="stable key of the rule")
    description: str = Field(description="the rule in the office's words")
    passed: bool
    disagreements: list[Disagreement] = Field(default_factory=list)


class RecordProblem(_Record):
    """A stored record the report could not place (never with personal data: its id only)."""

    collection: str
    record_id: str
    problem: str


class AnnualReport(Reply):
    year: int
    generated_at: datetime
    proactive: ProactiveDisclosure = Field(description="第二部分 主动公开政府信息情况")
    requests: list[RequestRow] = Field(description="第三部分 收到和处理政府信息公开申请情况")
    reviews: list[ReviewRow] = Field(description="第四部分 政府信息公开行政复议、行政诉讼情况")
    checks: list[ConsistencyCheck]
    consistent: bool = Field(description="every check passed")
    carried_over_matches_previous_year: bool = Field(
        description="本年 二、上年结转 equals 上年 四、结转下年度继续办理, computed, every column")
    previous_year_carried_forward: ApplicantCounts
    problems: list[RecordProblem] = Field(
        default_factory=list, description="records the report could not place (the first 100)")
    problem_count: int = Field(default=0, description="how many records it could not place")
    missing_figures: list[str] = Field(
        default_factory=list, description="entered figures not yet recorded for the year")
    sections: list[ReportTextSection] = Field(
        default_factory=list, description="第一、五、六部分 (text, with the figures held)")
    due_on: date | None = Field(default=None, description="第四十九条: the report's deadline")
    published_on: date | None = Field(default=None, description="公布日期")
    overdue_since: date | None = None


class ExportAnnualReport(Query):
    """年度报告 of a year as a spreadsheet (.xlsx) an office can file."""

    year: Year = YEAR_FIELD


class AnnualReportFile(Reply):
    year: int
    filename: str = Field(description="e.g. 2026年政府信息公开工作年度报告.xlsx")
    media_type: str
    content_base64: str
    size: int
    sha256: str
    consistent: bool = Field(description="every check of the report passed")


XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

RECORD_REPORT_FIGURES = CONTRACT.command(
    "record_report_figures", RecordReportFigures, ReportFiguresReply)
RECORD_REVIEW_CASE = CONTRACT.command("record_review_case", RecordReviewCase, ReviewCaseReply)
UPDATE_REVIEW_CASE = CONTRACT.command("update_review_case", UpdateReviewCase, ReviewCaseReply)
LIST_REVIEW_CASES = CONTRACT.query("list_review_cases", ListReviewCases, ReviewCaseList)
ANNUAL_REPORT = CONTRACT.query("annual_report", AnnualReportQuery, AnnualReport)
EXPORT_ANNUAL_REPORT = CONTRACT.query(
    "export_annual_report", ExportAnnualReport, AnnualReportFile)
EDIT_REPORT_SECTION = CONTRACT.command("edit_report_section", EditReportSection,
                                       ReportRecordReply)
PUBLISH_ANNUAL_REPORT = CONTRACT.command("publish_annual_report", PublishAnnualReport,
                                         ReportRecordReply)
REPORT_FIGURES_RECORDED = CONTRACT.event("report", "figures_recorded", ReportFiguresRecorded)
REPORT_SECTION_EDITED = CONTRACT.event("report", "section_edited", ReportSectionEdited)
REPORT_PUBLISHED = CONTRACT.event("report", "published", ReportPublished)
REPORT_REMINDED = CONTRACT.event("report", "reminded", ReportReminded)
REPORT_OVERDUE = CONTRACT.event("report", "overdue", ReportOverdue)
REVIEW_CASE_RECORDED = CONTRACT.event("review_case", "recorded", ReviewCaseRecorded)
REVIEW_CASE_UPDATED = CONTRACT.event("review_case", "updated", ReviewCaseUpdated)

__all__ = [
    "EDIT_REPORT_SECTION",
    "PUBLISH_ANNUAL_REPORT",
    "REPORT_OVERDUE",
    "REPORT_PUBLISHED",
    "REPORT_REMINDED",
    "REPORT_SECTION_EDITED",
    "EditReportSection",
    "PublishAnnualReport",
    "ReportLevel",
    "ReportOverdue",
    "ReportPublished",
    "ReportRecordReply",
    "ReportReminded",
    "ReportSectionEdited",
    "ReportSectionKey",
    "ReportTextSection",
    "SectionEdit",
    "SectionFigure",
    "ANNUAL_REPORT",
    "EXPORT_ANNUAL_REPORT",
    "LIST_REVIEW_CASES",
    "RECORD_REPORT_FIGURES",
    "RECORD_REVIEW_CASE",
    "REPORT_FIGURES_RECORDED",
    "REVIEW_CASE_RECORDED",
    "REVIEW_CASE_UPDATED",
    "UPDATE_REVIEW_CASE",
    "XLSX_MEDIA_TYPE",
    "AnnualReport",
    "AnnualReportFile",
    "AnnualReportQuery",
    "ApplicantCounts",
    "CategoryRow",
    "ConsistencyCheck",
    "DecisionRow",
    "Disagreement",
    "ExportAnnualReport",
    "FeeRow",
    "FiguresVersion",
    "ListReviewCases",
    "ProactiveDisclosure",
    "RecordProblem",
    "RecordReportFigures",
    "RecordReviewCase",
    "RegulationRow",
    "ReportFiguresRecorded",
    "ReportFiguresReply",
    "RequestRow",
    "ReviewCaseChange",
    "ReviewCaseList",
    "ReviewCaseRecorded",
    "ReviewCaseReply",
    "ReviewCaseUpdated",
    "ReviewRow",
    "UpdateReviewCase",
    "check_conclusion",
]
