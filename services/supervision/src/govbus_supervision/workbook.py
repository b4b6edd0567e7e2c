"""The 台账 as a workbook a 督查室 files (.xlsx): one sheet, the office's title over the
filters, a header row in the office's words, one row per item in the ledger's order, and a
合计 and 说明 line; A4 landscape with the header on every printed page.

The rows are the ledger's rows (``domain.ledger.ledger_row``): the file shows what the JSON
ledger shows, and what the rates count. No deputy's contact details are in a row, so none
can be in the file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime

from openpyxl.styles import Font, PatternFill  # type: ignore[import-untyped]

from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.supervision.common import (
    RESULT_CODE_MEANINGS,
    EscalationLevel,
    ItemStatus,
)
from govbus_contracts.services.supervision.ledger import MAX_EXPORT_ROWS, LedgerFilter, LedgerRow
from govbus_kit.workbook import (
    Workbook,
    Worksheet,
    cell,
    merge,
    print_layout,
    safe_name,
    widths,
    workbook_bytes,
)

TITLE = "督查督办事项台账"
SHEET = "督查督办台账"
#: The header row, in the order of the columns.
COLUMNS: tuple[tuple[str, float], ...] = (
    ("序号", 6), ("督查编号", 14), ("来源", 26), ("督查事项", 30), ("主办单位", 14),
    ("协办单位", 16), ("交办日期", 12), ("办理期限", 12), ("进展情况", 30), ("催办情况", 30),
    ("办理结果", 34), ("办结日期", 12), ("是否按期", 8), ("满意度", 9), ("状态", 9),
    ("备注", 18))
HEADERS = tuple(name for name, _ in COLUMNS)
TITLE_ROW, FILTER_ROW, HEADER_ROW = 1, 2, 3
FIRST_ROW = HEADER_ROW + 1
DATE_FORMAT = "yyyy-mm-dd"
ALL = "全部"
NOTES = (
    "说明：1. 办理期限含批准的延期、中止顺延和审结退回后的重办期限；"
    "2. 是否按期：被采纳的反馈在办理期限内提交的为“是”；"
    "3. 满意度为最近一次答复的评价，联名建议（提案）以各联名人中最低的评价计；"
    "4. 催办情况列出对现行办理期限发出的各级催办，督办通知书附其发文字号；"
    "5. 进展情况列出各次应报、实报日期，逾期或未报的注明。")

_TITLE_FONT = Font(bold=True, size=16)
_HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")


def refuse_oversized(total: int, limit: int = MAX_EXPORT_ROWS) -> None:
    """More items than one workbook holds: refused with a stable code before anything is
    built (the office narrows the export by year, source, department or status)."""
    if total > limit:
        raise GovbusError(
            ErrorCode.payload_too_large,
            f"台账共{total}项，超过单个工作簿上限{limit}项，请按年度、来源、单位或状态筛选后分别导出",
            rows=total, max_rows=limit)


def refuse_too_large(size: int, limit: int, rows: int) -> None:
    """A file larger than one bus reply carries (``export_max_bytes``): refused with the same
    code, and the same advice, as too many rows."""
    if size > limit:
        raise GovbusError(
            ErrorCode.payload_too_large,
            f"台账文件{size / 1e6:.1f}MB（{rows}项），超过单次导出上限{limit / 1e6:.1f}MB，"
            "请按年度、来源、单位或状态筛选后分别导出",
            bytes=size, max_bytes=limit, rows=rows)


def filter_line(filters: LedgerFilter, scope: str | None) -> str:
    """The filters the file was made with, as the title's second line says them."""
    department = filters.department or scope
    return "　".join((
        f"年度：{f'{filters.year}年' if filters.year else ALL}",
        f"来源：{filters.source.value if filters.source else ALL}",
        f"单位（主办或协办）：{department or ALL}",
        f"状态：{filters.status.value if filters.status else ALL}"))


def filename(office: str, filters: LedgerFilter, scope: str | None, today: date) -> str:
    """``2026年督查督办台账.xlsx``, after the office's name when one is set, the department
    when the file holds one department's items; without a year, the day of the export."""
    year = f"{filters.year}年" if filters.year else ""
    department = filters.department or scope
    tail = f"（{department}）" if department else ""
    day = "" if filters.year else f"（{today.isoformat()}导出）"
    return safe_name(f"{office.strip()}{year}督查督办台账{tail}{day}")


def progress_text(row: LedgerRow) -> str:
    lines = []
    for i, p in enumerate(row.progress, start=1):
        due = f"应报{p.due_on.isoformat()}" if p.due_on else "不定期"
        if p.submitted_on is None:
            lines.append(f"{i}. {due}，未报（逾期）")
        else:
            late = "（逾期）" if p.late else ""
            lines.append(f"{i}. {due}，{p.submitted_on.isoformat()}报送{late}")
    return "\n".join(lines)


def escalation_text(row: LedgerRow) -> str:
    lines = []
    for e in row.escalations:
        line = f"{e.issued_on.isoformat()} {e.level.value}"
        if e.level is EscalationLevel.notice:
            line += f"（{e.doc_number}）" if e.doc_number else "（文号待核发）"
        lines.append(line)
    return "\n".join(lines)


def result_text(row: LedgerRow) -> str | None:
    if row.result_code is None:
        return row.result
    code = f"{row.result_code.value}类（{RESULT_CODE_MEANINGS[row.result_code]}）"
    return f"{code}：{row.result}" if row.result else code


def on_time_text(row: LedgerRow) -> str | None:
    return None if row.on_time is None else ("是" if row.on_time else "否")


def remarks(row: LedgerRow, today: date) -> str | None:
    """What the office notes beside an item: overdue and still open, reports missed."""
    notes = []
    open_ = row.status not in (ItemStatus.completed, ItemStatus.cancelled)
    if open_ and row.due_on is not None and today > row.due_on:
        notes.append(f"已逾期{(today - row.due_on).days}天")
    missed = sum(1 for p in row.progress if p.submitted_on is None)
    if missed:
        notes.append(f"进展未报{missed}次")
    return "；".join(notes) or None


def _values(n: int, row: LedgerRow, today: date) -> tuple[object, ...]:
    return (n, row.number, f"{row.source_kind.value}\n{row.source}", row.title,
            row.lead_department, "、".join(row.co_departments), row.assigned_on, row.due_on,
            progress_text(row), escalation_text(row), result_text(row), row.completed_on,
            on_time_text(row), row.satisfaction.value if row.satisfaction else None,
            row.status.value, remarks(row, today))


#: Columns written left-aligned (text), the others centred.
_LEFT_COLUMNS = frozenset(HEADERS.index(h) + 1 for h in (
    "来源", "督查事项", "进展情况", "催办情况", "办理结果", "备注"))
_DATE_COLUMNS = frozenset(HEADERS.index(h) + 1 for h in ("交办日期", "办理期限", "办结日期"))


def total_line(rows: Sequence[LedgerRow]) -> str:
    by_status = Counter(r.status for r in rows)
    completed = [r for r in rows if r.status is ItemStatus.completed]
    on_time = sum(1 for r in completed if r.on_time)
    parts = "，".join(f"{s.value}{by_status[s]}项" for s in ItemStatus if by_status[s])
    return (f"合计：共{len(rows)}项" + (f"（{parts}）" if parts else "")
            + f"；已办结{len(completed)}项，其中按期办结{on_time}项。")


def _sheet(ws: Worksheet, rows: Sequence[LedgerRow], *, office: str, filters: LedgerFilter,
           scope: str | None, generated_at: datetime) -> None:
    last = len(COLUMNS)
    today = generated_at.date()
    widths(ws, [w for _, w in COLUMNS])
    merge(ws, TITLE_ROW, 1, TITLE_ROW, last, f"{office.strip()}{TITLE}", font=_TITLE_FONT)
    ws.row_dimensions[TITLE_ROW].height = 30
    merge(ws, FILTER_ROW, 1, FILTER_ROW, last - 3, filter_line(filters, scope), left=True)
    merge(ws, FILTER_ROW, last - 2, FILTER_ROW, last,
          f"导出日期：{today.isoformat()}", left=True)
    for col, name in enumerate(HEADERS, start=1):
        cell(ws, HEADER_ROW, col, name, bold=True).fill = _HEADER_FILL
    for n, row in enumerate(rows, start=1):
        for col, value in enumerate(_values(n, row, today), start=1):
            cell(ws, FIRST_ROW + n - 1, col, value, left=col in _LEFT_COLUMNS,
                 number_format=DATE_FORMAT if col in _DATE_COLUMNS else None)
    end = FIRST_ROW + len(rows)
    merge(ws, end, 1, end, last, total_line(rows), bold=True, left=True)
    merge(ws, end + 1, 1, end + 1, last, NOTES, left=True)
    ws.row_dimensions[end + 1].height = 45
    ws.freeze_panes = ws.cell(row=FIRST_ROW, column=1)
    ws.auto_filter.ref = f"A{HEADER_ROW}:{ws.cell(row=HEADER_ROW, column=last).column_letter}" \
                         f"{max(HEADER_ROW, end - 1)}"
    print_layout(ws, landscape=True, repeat_rows=f"{HEADER_ROW}:{HEADER_ROW}")


def ledger_workbook(rows: Sequence[LedgerRow], *, office: str, filters: LedgerFilter,
                    scope: str | None, generated_at: datetime) -> bytes:
    """The rows as the 台账's .xlsx bytes; the same rows at the same time, the same bytes.
    ``scope``: the asker's department when the file holds only its items."""
    refuse_oversized(len(rows))
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEET
    _sheet(ws, rows, office=office, filters=filters, scope=scope, generated_at=generated_at)
    return workbook_bytes(wb, title=f"{office.strip()}{TITLE}", creator="govbus supervision",
                          at=generated_at)


__all__ = ["COLUMNS", "HEADERS", "TITLE", "filename", "ledger_workbook", "refuse_oversized",
           "refuse_too_large"]
