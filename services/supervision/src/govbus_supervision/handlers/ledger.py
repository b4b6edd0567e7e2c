"""The 台账 (ledger), its workbook and the rates, read from the kit's list projection of the
items: one entry per item (its ledger row), filtered by its facets, so that no query scans the
collection. A handler department sees (and exports) only the items it leads or co-handles
(the domain's visibility rule, ``access``); the rates are the office's and the leaders'.

The entry is the ledger row packed: progress reports and 催办 levels as tuples in their
fields' order rather than one dict each, dates as the shared ISO strings. Besides the
ledger's filters, an item the rates count carries the month of its first 交办 as facets
(alone, after its lead, its source, both: tokens shared by every item of that month, so an
entry pays a few slots, not strings of its own). The rates of a period walk the items of the
asked department and source assigned in the months the period touches (``Page.examined``):
for a period of whole months (月报, 季报, 年报) exactly the items they count, otherwise at
most the rest of its first and last month besides; never the items of other months, other
departments or other sources.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.supervision.common import (
    ItemStatus,
    Role,
    Satisfaction,
    SourceKind,
)
from govbus_contracts.services.supervision.ledger import (
    EXPORT_LEDGER,
    LEDGER,
    MAX_EXPORT_ROWS,
    RATES,
    XLSX_MEDIA_TYPE,
    ExportLedger,
    Ledger,
    LedgerEscalation,
    LedgerFile,
    LedgerFilter,
    LedgerProgress,
    LedgerQuery,
    LedgerRow,
    Rates,
    RatesQuery,
)
from govbus_kit import listing
from govbus_kit.clock import OFFICE_TZ
from govbus_kit.listing import (
    Clause,
    ListProjection,
    ListSpec,
    Page,
    aggregate_fields,
    any_of,
    facet,
)
from govbus_kit.service import QueryContext
from govbus_supervision.domain import access
from govbus_supervision.domain.ledger import ledger_row
from govbus_supervision.domain.rates import CountedRow, counts, ledger_rates
from govbus_supervision.domain.record import SupervisionItem
from govbus_supervision.handlers.items import COLLECTION
from govbus_supervision.service import service
from govbus_supervision.settings import SupervisionSettings
from govbus_supervision.workbook import (
    filename,
    ledger_workbook,
    refuse_oversized,
    refuse_too_large,
)

#: Serials within a year stay below this (the ledger sorts by year, then 编号).
_SERIALS = 1_000_000
#: Every entry the clauses leave (the rates count all of them).
_ALL = 1 << 62
#: The facet of the rates: an item's first 交办 month, alone or after its lead and source.
ASSIGNED = "assigned"
#: Fields of the item the ledger row does not read: the load and the refresh leave them in
#: the store (the audit trail grows with every step).
_UNREAD = ("history", "co_opinions", "answer_draft", "reviews", "extensions", "suspensions",
           "milestones", "misroutes")
_PROGRESS = tuple(LedgerProgress.model_fields)
_ESCALATION = tuple(LedgerEscalation.model_fields)


def _order(doc: listing.Document) -> float:
    """Newest year first, then by 督查编号; an item not yet registered after its year's."""
    year = doc.get("year") or int(str(doc["opened_on"])[:4])
    serial = doc.get("serial") or _SERIALS - 1
    return float(-year * _SERIALS + serial)


def _row(doc: listing.Document) -> LedgerRow:
    return ledger_row(SupervisionItem.model_validate(aggregate_fields(doc)))


def assigned_token(day: date, lead: str | None = None, source: str | None = None) -> str:
    """The rates' facet of the month of a 交办 day (after the lead and the source when
    given): ``assigned=市住建局/2026-06``."""
    return facet(ASSIGNED, "/".join(v for v in (lead, source, f"{day:%Y-%m}") if v))


def _facets_of(row: LedgerRow) -> list[str]:
    tokens = [facet("source", row.source_kind.value), facet("year", row.year),
              facet("status", row.status.value)]
    tokens += [facet("department", d) for d in {row.lead_department, *row.co_departments}
               if d is not None]
    if counts(row):
        assert row.assigned_on is not None
        kind = row.source_kind.value
        tokens += [assigned_token(row.assigned_on, lead, source)
                   for lead in (None, row.lead_department) for source in (None, kind)]
    return tokens


def _summary_of(row: LedgerRow) -> dict[str, Any]:
    """The row as the entry keeps it: a progress report or a 催办 level as a list of its
    values in their fields' order (one dict each would be most of an entry)."""
    data = row.model_dump(mode="json")
    data["progress"] = [[p[k] for k in _PROGRESS] for p in data["progress"]]
    data["escalations"] = [[e[k] for k in _ESCALATION] for e in data["escalations"]]
    return data


def _entry(doc: listing.Document) -> tuple[dict[str, Any], list[str]]:
    """The entry's summary and facets from one reading of the item (validating it is most of
    an entry's cost)."""
    row = _row(doc)
    return _summary_of(row), _facets_of(row)


def _unpacked(values: Mapping[str, Any]) -> dict[str, Any]:
    data = dict(values)
    data["progress"] = [dict(zip(_PROGRESS, p, strict=True)) for p in data["progress"]]
    data["escalations"] = [dict(zip(_ESCALATION, e, strict=True)) for e in data["escalations"]]
    return data


def row_of(values: Mapping[str, Any]) -> LedgerRow:
    """A list entry's values as the ledger row."""
    return LedgerRow.model_validate(_unpacked(values))


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _counted(values: Mapping[str, Any]) -> CountedRow:
    """The counted columns of an entry, read without the whole row."""
    satisfaction = values["satisfaction"]
    return CountedRow(
        lead_department=values["lead_department"], assigned_on=_day(values["assigned_on"]),
        status=ItemStatus(values["status"]), source_kind=SourceKind(values["source_kind"]),
        completed_on=_day(values["completed_on"]), on_time=values["on_time"],
        satisfaction=Satisfaction(satisfaction) if satisfaction is not None else None)


LEDGER_LIST = listing.declare(service, ListSpec(
    collection=COLLECTION, fields=tuple(LedgerRow.model_fields), order=_order,
    facets=lambda doc: _facets_of(_row(doc)), summary=lambda doc: _summary_of(_row(doc)),
    entry=_entry, pairs=(("department", "status"),), unread=_UNREAD))


def _scope(ctx: QueryContext) -> list[Clause]:
    """What the asker may see: all for the office and the leaders, a handler its
    department's items (lead or co-department), anyone else nothing."""
    principal = ctx.principal
    if access.reads_all(principal):
        return []
    if Role.handler in principal.roles and principal.department is not None:
        return [facet("department", principal.department)]
    return [any_of()]


def _where(ctx: QueryContext, filters: LedgerFilter) -> list[Clause]:
    where = _scope(ctx)
    for name, value in (("source", filters.source), ("year", filters.year),
                        ("department", filters.department), ("status", filters.status)):
        if value is not None:
            where.append(facet(name, getattr(value, "value", value)))
    return where


@service.query(LEDGER)
async def ledger(query: LedgerQuery, ctx: QueryContext) -> Ledger:
    page = await LEDGER_LIST.of(ctx.service).page(_where(ctx, query), offset=query.offset,
                                                  limit=query.limit)
    return Ledger(rows=[row_of(row) for row in page.items], total=page.total,
                  offset=query.offset, limit=query.limit)


@service.query(EXPORT_LEDGER)
async def export_ledger(query: ExportLedger, ctx: QueryContext) -> LedgerFile:
    """The 台账 as the 督查室's workbook, with the ledger's filters and scope; more items than
    one workbook holds (``MAX_EXPORT_ROWS``), or a file larger than one bus reply carries
    (``export_max_bytes``), are refused (``payload_too_large``)."""
    page = await LEDGER_LIST.of(ctx.service).page(_where(ctx, query), offset=0,
                                                  limit=MAX_EXPORT_ROWS)
    refuse_oversized(page.total, MAX_EXPORT_ROWS)
    rows = [row_of(row) for row in page.items]
    settings = ctx.service.own_settings(SupervisionSettings)
    office = settings.office_name
    scope = None if access.reads_all(ctx.principal) else ctx.principal.department
    now = ctx.now().astimezone(OFFICE_TZ)
    # Thousands of rows take seconds to lay out: off the loop, so the service answers others.
    content = await asyncio.to_thread(ledger_workbook, rows, office=office, filters=query,
                                      scope=scope, generated_at=now)
    refuse_too_large(len(content), settings.export_max_bytes, len(rows))
    return LedgerFile(filename=filename(office, query, scope, now.date()),
                      media_type=XLSX_MEDIA_TYPE,
                      content_base64=base64.b64encode(content).decode(), size=len(content),
                      sha256=hashlib.sha256(content).hexdigest(), rows=len(rows))


def period_clause(query: RatesQuery) -> frozenset[str]:
    """The 交办 months the period touches (after the department and the source when asked);
    ``ledger_rates`` keeps the days of the period."""
    source = query.source.value if query.source is not None else None
    first, last = query.period_from.replace(day=1), query.period_to.replace(day=1)
    months = []
    while first <= last:
        months.append(assigned_token(first, query.department, source))
        first = (first + timedelta(days=31)).replace(day=1)
    return any_of(*months)


def rates_of(projection: ListProjection, query: RatesQuery) -> tuple[Rates, Page]:
    """The rates from the entries of the items assigned in the period (and the page walked,
    whose ``examined`` is what it cost)."""
    page = projection.page_now([period_clause(query)], offset=0, limit=_ALL)
    return ledger_rates((_counted(values) for values in page.items), query.period_from,
                        query.period_to, query.department, query.source), page


@service.query(RATES)
async def rates(query: RatesQuery, ctx: QueryContext) -> Rates:
    if not access.reads_all(ctx.principal):
        raise GovbusError(ErrorCode.forbidden, "只有督查室和领导可以查看办结率等比率")
    projection = LEDGER_LIST.of(ctx.service)
    # An empty page, for its bounded wait on the start-up load (or ``unavailable``).
    await projection.page([any_of()], offset=0, limit=0)
    return rates_of(projection, query)[0]


__all__ = ["LEDGER_LIST", "export_ledger", "ledger", "rates", "rates_of", "row_of"]
