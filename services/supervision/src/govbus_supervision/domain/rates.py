"""办结率, 按期办结率, 满意率 per lead department and period, from the items' records.

The definitions below are the ones every reply states (``DEFINITIONS``) and the README
repeats; the ledger shows the same records, so the figures can be checked line by line.
An item counts for the department that leads it now (a misrouted item for the department it
was re-assigned to) and for the period in which it was first assigned (交办).

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import NamedTuple, Protocol

from govbus_contracts.services.supervision.common import ItemStatus, Satisfaction, SourceKind
from govbus_contracts.services.supervision.ledger import (
    RateDefinition,
    RateRow,
    Rates,
)
from govbus_kit.domain import refuse
from govbus_supervision.domain.ledger import ledger_row
from govbus_supervision.domain.record import SupervisionItem

COMPLETION = "办结率"
ON_TIME = "按期办结率"
SATISFACTION = "满意率"
TOTAL = "合计"

DEFINITIONS: tuple[RateDefinition, ...] = (
    RateDefinition(name=COMPLETION, definition=(
        "统计期间内交办的事项中, 截至统计期末已办结的件数 ÷ 统计期间内交办的件数")),
    RateDefinition(name=ON_TIME, definition=(
        "已办结事项中, 被采纳的反馈在办理期限 (含批准的延期、中止顺延和审结退回后的重办期限) "
        "内提交的件数 ÷ 已办结件数")),
    RateDefinition(name=SATISFACTION, definition=(
        "已办结并有评价的事项中, 评价为满意或基本满意的件数 ÷ 有评价的已办结件数; 联名建议"
        " (提案) 以各联名人中最低的评价计")),
)
SATISFIED = frozenset({Satisfaction.satisfied, Satisfaction.basically_satisfied})


class Counted(Protocol):
    """What the rates read of a ledger row (a ``LedgerRow`` is one)."""

    @property
    def lead_department(self) -> str | None: ...
    @property
    def assigned_on(self) -> date | None: ...
    @property
    def status(self) -> ItemStatus: ...
    @property
    def source_kind(self) -> SourceKind: ...
    @property
    def completed_on(self) -> date | None: ...
    @property
    def on_time(self) -> bool | None: ...
    @property
    def satisfaction(self) -> Satisfaction | None: ...


class CountedRow(NamedTuple):
    """The counted columns of a ledger row alone (what the rates query reads from the
    ledger's list entries)."""

    lead_department: str | None
    assigned_on: date | None
    status: ItemStatus
    source_kind: SourceKind
    completed_on: date | None
    on_time: bool | None
    satisfaction: Satisfaction | None


def counts(row: Counted) -> bool:
    """Whether the rates count the row at all: assigned to a lead, not 撤销 (an item counts
    for the period of its first 交办, see ``ledger_rates``)."""
    return (row.assigned_on is not None and row.lead_department is not None
            and row.status is not ItemStatus.cancelled)


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _row(department: str, rows: list[Counted], period_to: date) -> RateRow:
    completed = [r for r in rows if r.status is ItemStatus.completed
                 and r.completed_on is not None and r.completed_on <= period_to]
    on_time = [r for r in completed if r.on_time]
    rated = [r for r in completed if r.satisfaction is not None]
    satisfied = [r for r in rated if r.satisfaction in SATISFIED]
    return RateRow(department=department, assigned=len(rows), completed=len(completed),
                   completed_on_time=len(on_time), rated=len(rated), satisfied=len(satisfied),
                   completion_rate=_ratio(len(completed), len(rows)),
                   on_time_rate=_ratio(len(on_time), len(completed)),
                   satisfaction_rate=_ratio(len(satisfied), len(rated)))


def first_assigned_on(item: SupervisionItem) -> date | None:
    return item.assignments[0].assigned_on if item.assignments else None


def rates(items: Iterable[SupervisionItem], period_from: date, period_to: date,
          department: str | None = None, source: SourceKind | None = None) -> Rates:
    """The three rates per lead department for the items first assigned in the period."""
    return ledger_rates((ledger_row(i) for i in items), period_from, period_to,
                       department, source)


def ledger_rates(rows: Iterable[Counted], period_from: date, period_to: date,
                 department: str | None = None, source: SourceKind | None = None) -> Rates:
    """``rates`` from the items' ledger rows (what the ledger shows is what is counted: the
    row's 交办日期 is the first assignment's, its 满意度 the item's current one)."""
    if period_to < period_from:
        raise refuse(f"统计期间止 {period_to} 早于起 {period_from}", field="period_to")
    counted: dict[str, list[Counted]] = {}
    for row in rows:
        if not counts(row):
            continue
        assigned, lead = row.assigned_on, row.lead_department
        assert assigned is not None and lead is not None  # counts() holds
        if (not period_from <= assigned <= period_to
                or (department is not None and lead != department)
                or (source is not None and row.source_kind is not source)):
            continue
        counted.setdefault(lead, []).append(row)
    rows_out = [_row(name, counted[name], period_to) for name in sorted(counted)]
    every = [r for name in sorted(counted) for r in counted[name]]
    return Rates(period_from=period_from, period_to=period_to, rows=rows_out,
                 total=_row(TOTAL, every, period_to), definitions=list(DEFINITIONS))
