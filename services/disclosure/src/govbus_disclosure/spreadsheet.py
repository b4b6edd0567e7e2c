"""The annual report as a workbook an office can file (.xlsx, openpyxl).

One sheet per part of the template (国办公开办函〔2021〕30号), in its order: 第一部分 (text),
第二部分, 第三部分, 第四部分 (tables, with the template's labels and merged header cells, numbers
as numbers), 第五部分 and 第六部分 (text, each with the figures it rests on); and a sheet of the
consistency checks. The 第三部分 sheet follows the template's rows: 不予公开 … 其他处理 appear
through their reasons (the template has no subtotal rows; the JSON report carries them).
Counts only: no applicant's personal data is in the report, so none can be in the file.
"""

from __future__ import annotations

from typing import Any

from govbus_contracts.services.disclosure.common import OUTCOME_REASONS, Outcome
from govbus_contracts.services.disclosure.report import (
    AnnualReport,
    ApplicantCounts,
    Disagreement,
    ReportSectionKey,
)
from govbus_disclosure.domain.report import (
    CATALOGUE_TOTAL,
    COLUMN_FIELDS,
    COLUMNS,
    LEGAL_PERSONS,
    OUTCOME_LABELS,
    ROW_CARRIED_FORWARD,
    ROW_CARRIED_OVER,
    ROW_NEW,
    ROW_RESULTS,
    ROW_TOTAL,
    reason_key,
    report_title,
)
from govbus_kit.clock import OFFICE_TZ
from govbus_kit.workbook import Workbook, Worksheet
from govbus_kit.workbook import cell as _cell
from govbus_kit.workbook import merge as _merge
from govbus_kit.workbook import widths as _widths
from govbus_kit.workbook import workbook_bytes as _saved

SHEET_PROACTIVE = "二、主动公开政府信息情况"
SHEET_REQUESTS = "三、收到和处理申请情况"
SHEET_REVIEWS = "四、行政复议行政诉讼情况"
SHEET_CHECKS = "勾稽关系校验"
SHEET_SECTIONS = {key: key.value for key in ReportSectionKey}
TITLE_PROACTIVE = "二、主动公开政府信息情况"
TITLE_REQUESTS = "三、收到和处理政府信息公开申请情况"
TITLE_REVIEWS = "四、政府信息公开行政复议、行政诉讼情况"
BALANCE_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
REVIEW_RESULTS = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")

# --- 第二部分 ---------------------------------------------------------------------------------


def _proactive(ws: Worksheet, report: AnnualReport) -> None:
    part = report.proactive
    _widths(ws, (22, 18, 18, 18, 18))
    _merge(ws, 1, 1, 1, 4, TITLE_PROACTIVE, bold=True)
    row = 2
    _merge(ws, row, 1, row, 4, "第二十条第（一）项", bold=True)
    row += 1
    for col, label in enumerate(("信息内容", "本年制发件数", "本年废止件数", "现行有效件数"), 1):
        _cell(ws, row, col, label, bold=True)
    for reg in part.regulations:
        row += 1
        _cell(ws, row, 1, reg.content)
        for col, value in enumerate((reg.issued, reg.repealed, reg.in_force), 2):
            _cell(ws, row, col, value)
    item = None
    for decision in part.decisions:
        if decision.item != item:
            item = decision.item
            row += 1
            _merge(ws, row, 1, row, 4, item, bold=True)
            row += 1
            _cell(ws, row, 1, "信息内容", bold=True)
            _merge(ws, row, 2, row, 4, "本年处理决定数量", bold=True)
        row += 1
        _cell(ws, row, 1, decision.content)
        _merge(ws, row, 2, row, 4, decision.decisions)
    for fee in part.fees:
        row += 1
        _merge(ws, row, 1, row, 4, fee.item, bold=True)
        row += 1
        _cell(ws, row, 1, "信息内容", bold=True)
        _merge(ws, row, 2, row, 4, "本年收费金额（单位：万元）", bold=True)
        row += 1
        _cell(ws, row, 1, fee.content)
        _merge(ws, row, 2, row, 4, fee.amount)
        if fee.amount is not None:
            ws.cell(row=row, column=2).number_format = "0.0000"
    # The catalogue by category: beside the template, for the office's own account.
    row += 2
    _merge(ws, row, 1, row, 5, "公开目录分类统计", bold=True)
    row += 1
    for col, label in enumerate(
            ("类别", "本年公开条数", "其中逾期公开", "本年撤回条数", "年末逾期未公开条数"), 1):
        _cell(ws, row, col, label, bold=True)
    for cat in part.catalogue:
        row += 1
        _cell(ws, row, 1, cat.category, bold=cat.category == CATALOGUE_TOTAL)
        for col, value in enumerate(
                (cat.published, cat.late, cat.withdrawn, cat.overdue_unpublished), 2):
            _cell(ws, row, col, value)


# --- 第三部分 ---------------------------------------------------------------------------------

#: Numeric columns D… of 第三部分: 自然人, the five 法人或其他组织, 总计.
FIRST_NUMBER_COLUMN = 4
REQUEST_COLUMNS = (*(COLUMN_FIELDS[t] for t in COLUMNS), "total")


def _numbers(ws: Worksheet, row: int, counts: ApplicantCounts) -> None:
    for i, name in enumerate(REQUEST_COLUMNS):
        _cell(ws, row, FIRST_NUMBER_COLUMN + i, getattr(counts, name))


def _requests(ws: Worksheet, report: AnnualReport) -> None:
    rows = {r.key: r for r in report.requests}
    last = FIRST_NUMBER_COLUMN + len(REQUEST_COLUMNS) - 1
    _widths(ws, (14, 22, 40, *([12] * len(REQUEST_COLUMNS))))
    _merge(ws, 1, 1, 1, last, TITLE_REQUESTS, bold=True)
    _merge(ws, 2, 1, 4, 3, BALANCE_NOTE)
    _merge(ws, 2, FIRST_NUMBER_COLUMN, 2, last, "申请人情况", bold=True)
    _merge(ws, 3, FIRST_NUMBER_COLUMN, 4, FIRST_NUMBER_COLUMN, COLUMNS[0].value, bold=True)
    _merge(ws, 3, FIRST_NUMBER_COLUMN + 1, 3, FIRST_NUMBER_COLUMN + len(LEGAL_PERSONS),
           "法人或其他组织", bold=True)
    for i, t in enumerate(LEGAL_PERSONS, start=1):
        _cell(ws, 4, FIRST_NUMBER_COLUMN + i, t.value, bold=True)
    _merge(ws, 3, last, 4, last, "总计", bold=True)
    row = 5
    for key, label in (ROW_NEW, ROW_CARRIED_OVER):
        _merge(ws, row, 1, row, 3, label, left=True)
        _numbers(ws, row, rows[key].counts)
        row += 1
    first_result = row
    for outcome in Outcome:
        reasons = OUTCOME_REASONS[outcome]
        if reasons is None:
            _merge(ws, row, 2, row, 3, OUTCOME_LABELS[outcome], left=True)
            _numbers(ws, row, rows[outcome.name].counts)
            row += 1
            continue
        members = list(reasons)
        _merge(ws, row, 2, row + len(members) - 1, 2, OUTCOME_LABELS[outcome], left=True)
        for reason in members:
            key = reason_key(outcome, reason)
            _cell(ws, row, 3, rows[key].label, left=True)
            _numbers(ws, row, rows[key].counts)
            row += 1
    _merge(ws, row, 2, row, 3, ROW_TOTAL[1], left=True)
    _numbers(ws, row, rows[ROW_TOTAL[0]].counts)
    _merge(ws, first_result, 1, row, 1, ROW_RESULTS)
    row += 1
    _merge(ws, row, 1, row, 3, ROW_CARRIED_FORWARD[1], left=True)
    _numbers(ws, row, rows[ROW_CARRIED_FORWARD[0]].counts)


# --- 第四部分 ---------------------------------------------------------------------------------


def _reviews(ws: Worksheet, report: AnnualReport) -> None:
    width = len(REVIEW_RESULTS)
    _widths(ws, [11] * width * 3)
    _merge(ws, 1, 1, 1, width * 3, TITLE_REVIEWS, bold=True)
    _merge(ws, 2, 1, 3, width, "行政复议", bold=True)
    _merge(ws, 2, width + 1, 2, width * 3, "行政诉讼", bold=True)
    _merge(ws, 3, width + 1, 3, width * 2, "未经复议直接起诉", bold=True)
    _merge(ws, 3, width * 2 + 1, 3, width * 3, "复议后起诉", bold=True)
    for block, review in enumerate(report.reviews):
        for i, (label, value) in enumerate(zip(REVIEW_RESULTS, (
                review.upheld, review.corrected, review.other, review.pending, review.total),
                strict=True)):
            _cell(ws, 4, block * width + i + 1, label, bold=True)
            _cell(ws, 5, block * width + i + 1, value)


# --- checks -----------------------------------------------------------------------------------


def _checks(ws: Worksheet, report: AnnualReport) -> None:
    _widths(ws, (26, 56, 10, 56, 10, 10))
    _merge(ws, 1, 1, 1, 6, f"{report.year}年度报告 勾稽关系校验", bold=True)
    _cell(ws, 2, 1, "生成时间", bold=True)
    generated = report.generated_at.astimezone(OFFICE_TZ).strftime("%Y-%m-%d %H:%M（北京时间）")
    _merge(ws, 2, 2, 2, 6, generated, left=True)
    _cell(ws, 3, 1, "上年结转与上年度结转下年度一致", bold=True)
    _merge(ws, 3, 2, 3, 6, "是" if report.carried_over_matches_previous_year else "否",
           left=True)
    _cell(ws, 4, 1, "尚未填报", bold=True)
    _merge(ws, 4, 2, 4, 6, "、".join(report.missing_figures) or "无", left=True)
    row = 6
    for col, label in enumerate(("规则", "说明", "结果", "不一致之处", "应为", "实为"), 1):
        _cell(ws, row, col, label, bold=True)
    for check in report.checks:
        found: list[Disagreement | None] = [*check.disagreements] or [None]
        for d in found:
            row += 1
            _cell(ws, row, 1, check.rule, left=True)
            _cell(ws, row, 2, check.description, left=True)
            _cell(ws, row, 3, "通过" if check.passed else "不通过")
            _cell(ws, row, 4, d.where if d else None, left=True)
            _cell(ws, row, 5, d.expected if d else None)
            _cell(ws, row, 6, d.actual if d else None)
    if report.problems:
        row += 2
        _merge(ws, row, 1, row, 6, "无法归类的记录", bold=True)
        for p in report.problems:
            row += 1
            _cell(ws, row, 1, p.collection, left=True)
            _cell(ws, row, 2, p.record_id, left=True)
            _merge(ws, row, 3, row, 6, p.problem, left=True)


def _section(key: ReportSectionKey) -> Any:
    def fill(ws: Worksheet, report: AnnualReport) -> None:
        _widths(ws, (40, 14, 8, 40))
        _merge(ws, 1, 1, 1, 4, key.value, bold=True)
        section = next((s for s in report.sections if s.key is key), None)
        if section is None:
            return
        _merge(ws, 2, 1, 2, 4, section.text, left=True)
        ws.row_dimensions[2].height = max(60, 15 * (len(section.text) // 40 + 1))
        _cell(ws, 3, 1, "状态", bold=True)
        _merge(ws, 3, 2, 3, 4, (f"已编辑 (第{section.version}稿, {section.edited_by})"
                                if section.edited else "草稿 (据本机关记录生成, 待编辑)"),
               left=True)
        for col, label in enumerate(("数据", "数值", "单位"), 1):
            _cell(ws, 5, col, label, bold=True)
        for row, figure in enumerate(section.figures, 6):
            _cell(ws, row, 1, figure.label, left=True)
            _cell(ws, row, 2, figure.value)
            _cell(ws, row, 3, figure.unit)
    return fill


def workbook_bytes(report: AnnualReport, office: str = "") -> bytes:
    """The report as .xlsx bytes; the same report gives the same bytes (fixed timestamps)."""
    wb = Workbook()
    sheets = ((SHEET_SECTIONS[ReportSectionKey.overview], _section(ReportSectionKey.overview)),
              (SHEET_PROACTIVE, _proactive), (SHEET_REQUESTS, _requests),
              (SHEET_REVIEWS, _reviews),
              (SHEET_SECTIONS[ReportSectionKey.problems], _section(ReportSectionKey.problems)),
              (SHEET_SECTIONS[ReportSectionKey.other_matters],
               _section(ReportSectionKey.other_matters)),
              (SHEET_CHECKS, _checks))
    for i, (title, fill) in enumerate(sheets):
        ws = wb.active if i == 0 else wb.create_sheet()
        assert ws is not None
        ws.title = title
        fill(ws, report)
    return _saved(wb, title=report_title(report.year, office), creator="govbus disclosure",
                  at=report.generated_at)


__all__ = ["SHEET_CHECKS", "SHEET_PROACTIVE", "SHEET_REQUESTS", "SHEET_REVIEWS",
           "SHEET_SECTIONS", "workbook_bytes"]
