"""The 台账 (ledger) and the rates, read from the kit's list projection of the items: one
entry per item (its ledger row), filtered by its facets, so that no query scans the
collection. A handler department sees only the items it leads or co-handles (the domain's
visibility rule, ``access``); the rates are the office's and the leaders'."""

from __future__ import annotations

from collections.abc import Sequence

from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.supervision.common import Role
from govbus_contracts.services.supervision.ledger import (
    LEDGER,
    RATES,
    Ledger,
    LedgerQuery,
    LedgerRow,
    Rates,
    RatesQuery,
)
from govbus_kit import listing
from govbus_kit.listing import Clause, ListSpec, aggregate_fields, any_of, facet
from govbus_kit.service import QueryContext
from govbus_supervision.domain import access
from govbus_supervision.domain.ledger import ledger_row
from govbus_supervision.domain.rates import ledger_rates
from govbus_supervision.domain.record import SupervisionItem
from govbus_supervision.handlers.items import COLLECTION
from govbus_supervision.service import service

#: Serials within a year stay below this (the ledger sorts by year, then 编号).
_SERIALS = 1_000_000
#: Every entry of the projection (the rates count all the items the clauses leave).
_ALL = 1 << 62


def _order(doc: listing.Document) -> float:
    """Newest year first, then by 督查编号; an item not yet registered after its year's."""
    year = doc.get("year") or int(str(doc["opened_on"])[:4])
    serial = doc.get("serial") or _SERIALS - 1
    return float(-year * _SERIALS + serial)


def _facets(doc: listing.Document) -> list[str]:
    row = _row_of(doc)
    tokens = [facet("source", row.source_kind.value), facet("year", row.year),
              facet("status", row.status.value)]
    if row.lead_department is not None:
        tokens.append(facet("lead", row.lead_department))
    tokens += [facet("department", d) for d in {row.lead_department, *row.co_departments}
               if d is not None]
    return tokens


def _row_of(doc: listing.Document) -> LedgerRow:
    return ledger_row(SupervisionItem.model_validate(aggregate_fields(doc)))


LEDGER_LIST = listing.declare(service, ListSpec(
    collection=COLLECTION, fields=tuple(LedgerRow.model_fields), order=_order,
    facets=_facets, summary=lambda doc: _row_of(doc).model_dump(mode="json"),
    pairs=(("department", "status"),)))


def _scope(ctx: QueryContext) -> list[Clause]:
    """What the asker may see: all for the office and the leaders, a handler its
    department's items (lead or co-department), anyone else nothing."""
    principal = ctx.principal
    if access.reads_all(principal):
        return []
    if Role.handler in principal.roles and principal.department is not None:
        return [facet("department", principal.department)]
    return [any_of()]


@service.query(LEDGER)
async def ledger(query: LedgerQuery, ctx: QueryContext) -> Ledger:
    where: list[Clause] = _scope(ctx)
    for name, value in (("source", query.source), ("year", query.year),
                        ("department", query.department), ("status", query.status)):
        if value is not None:
            where.append(facet(name, getattr(value, "value", value)))
    page = await LEDGER_LIST.of(ctx.service).page(where, offset=query.offset, limit=query.limit)
    return Ledger(rows=[LedgerRow.model_validate(row) for row in page.items],
                  total=page.total, offset=query.offset, limit=query.limit)


@service.query(RATES)
async def rates(query: RatesQuery, ctx: QueryContext) -> Rates:
    if not access.reads_all(ctx.principal):
        raise GovbusError(ErrorCode.forbidden, "只有督查室和领导可以查看办结率等比率")
    where: Sequence[Clause] = [facet(name, getattr(value, "value", value))
                               for name, value in (("lead", query.department),
                                                   ("source", query.source))
                               if value is not None]
    page = await LEDGER_LIST.of(ctx.service).page(where, offset=0, limit=_ALL)
    return ledger_rates((LedgerRow.model_validate(row) for row in page.items),
                        query.period_from, query.period_to, query.department, query.source)
