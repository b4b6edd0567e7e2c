"""Contracts of the supervision service: the ledger (台账) and the rates.

The ledger lists every item with its source, lead and co-departments, deadline, status, each
progress report, each 催办 level reached, result and satisfaction; filterable by source, year,
department (lead or co-department) and status; as JSON pages and as an .xlsx workbook in the
layout a 督查室 files. The rates (办结率, 按期办结率, 满意率) are computed per lead department
and period from the same records; each reply states their definitions.
"""

from __future__ import annotations

from datetime import date

from pydantic import Field

from govbus_contracts.base import DepartmentName, Limit, Offset, Query, Reply, Year
from govbus_contracts.services.supervision.common import (
    CONTRACT,
    EscalationLevel,
    ItemStatus,
    ResultCode,
    Satisfaction,
    SourceKind,
)
from govbus_contracts.services.supervision.items import Record

#: The media type of the ledger's workbook (as disclosure's annual report).
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Rows of one exported workbook: a year of a large city's items, with room.
MAX_EXPORT_ROWS = 20_000


class LedgerFilter(Query):
    """Filters of the 台账 (all optional; a department sees only its own items anyway)."""

    source: SourceKind | None = Field(default=None, description="立项来源")
    year: Year | None = Field(default=None, description="登记 (立项) 年度")
    department: DepartmentName | None = Field(default=None,
                                              description="主办或协办部门")
    status: ItemStatus | None = Field(default=None, description="状态")


class LedgerQuery(LedgerFilter):
    """台账, by number (newest year first), a page at a time."""

    offset: Offset = 0
    limit: Limit = 50


class LedgerProgress(Record):
    due_on: date | None = Field(default=None, description="报送期限")
    submitted_on: date | None = Field(default=None, description="报送日期 (None: 未报)")
    late: bool = Field(description="逾期")


class LedgerEscalation(Record):
    level: EscalationLevel = Field(description="催办级别")
    issued_on: date = Field(description="催办日期")
    doc_number: str | None = Field(default=None, description="督办通知书发文字号")


class LedgerRow(Record):
    """One line of the 台账."""

    id: str
    number: str | None = Field(default=None, description="督查编号")
    year: int | None = Field(default=None, description="年度")
    source_kind: SourceKind = Field(description="立项来源")
    source: str = Field(description="来源摘要, e.g. 市政府第12次常务会议纪要〔2026〕12号第3项")
    title: str = Field(description="督查事项")
    lead_department: str | None = Field(default=None, description="主办部门")
    co_departments: list[str] = Field(default_factory=list, description="协办部门")
    assigned_on: date | None = Field(default=None, description="交办日期")
    due_on: date | None = Field(default=None, description="办理期限")
    status: ItemStatus = Field(description="状态")
    progress: list[LedgerProgress] = Field(default_factory=list, description="进展报告")
    escalations: list[LedgerEscalation] = Field(default_factory=list, description="催办")
    result_code: ResultCode | None = Field(default=None, description="办理结果类别")
    result: str | None = Field(default=None, description="办理结果 (最后一次反馈摘要)")
    completed_on: date | None = Field(default=None, description="办结日期")
    on_time: bool | None = Field(default=None, description="按期办结")
    satisfaction: Satisfaction | None = Field(default=None, description="满意度")


class Ledger(Reply):
    rows: list[LedgerRow]
    total: int = Field(description="matching items the asker may see")
    offset: int
    limit: int


class ExportLedger(LedgerFilter):
    """台账 as a workbook (.xlsx) in the 督查室's layout."""


class LedgerFile(Reply):
    filename: str = Field(description="e.g. 2026年督查督办台账.xlsx")
    media_type: str
    content_base64: str
    size: int
    sha256: str
    rows: int = Field(description="事项数")


class RatesQuery(Query):
    """办结率, 按期办结率, 满意率 per lead department for items assigned in the period."""

    period_from: date = Field(description="统计期间起 (交办日期)")
    period_to: date = Field(description="统计期间止 (含)")
    department: DepartmentName | None = Field(default=None, description="主办部门 (default: all)")
    source: SourceKind | None = Field(default=None, description="立项来源")


class RateDefinition(Record):
    name: str = Field(description="指标")
    definition: str = Field(description="口径")


class RateRow(Record):
    """One department's figures (the total row has ``department`` 合计)."""

    department: str = Field(description="主办部门")
    assigned: int = Field(description="交办数")
    completed: int = Field(description="办结数")
    completed_on_time: int = Field(description="按期办结数")
    rated: int = Field(description="有评价的办结数")
    satisfied: int = Field(description="满意及基本满意数")
    completion_rate: float | None = Field(default=None, description="办结率 (None: 无交办)")
    on_time_rate: float | None = Field(default=None, description="按期办结率 (None: 无办结)")
    satisfaction_rate: float | None = Field(default=None, description="满意率 (None: 无评价)")


class Rates(Reply):
    period_from: date
    period_to: date
    rows: list[RateRow]
    total: RateRow
    definitions: list[RateDefinition] = Field(description="各项比率的口径")


LEDGER = CONTRACT.query("ledger", LedgerQuery, Ledger)
EXPORT_LEDGER = CONTRACT.query("export_ledger", ExportLedger, LedgerFile)
RATES = CONTRACT.query("rates", RatesQuery, Rates)
