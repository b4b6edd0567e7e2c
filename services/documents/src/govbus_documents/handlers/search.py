"""Handler of the documents service's search (检索) over 收文 and 发文, and the wiring of its
index (``govbus_documents.indexing``) to the writes."""

from __future__ import annotations

from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.documents.archive import (
    SEARCH_DOCUMENTS,
    SearchDocuments,
    SearchResults,
)
from govbus_documents import indexing
from govbus_documents.domain.access import visibility_filter
from govbus_documents.service import service
from govbus_documents.settings import office
from govbus_kit.service import QueryContext, ServiceContext


@service.query(SEARCH_DOCUMENTS)
async def search_documents(query: SearchDocuments, ctx: QueryContext) -> SearchResults:
    if visibility_filter(ctx.principal) is None:
        raise GovbusError(ErrorCode.forbidden, "无权检索公文")
    return await indexing.search(ctx.service, ctx.principal, query.q, kind=query.kind,
                                 year=query.year, offset=query.offset, limit=query.limit)


@service.on_startup
async def search_index_hooks(ctx: ServiceContext) -> None:
    # Every write to 收文 and 发文 is searchable as soon as it is written; the index is
    # configured from the service's settings here, as it starts.
    indexing.index_of(ctx).attach(ctx.db, ctx.hooks)


@service.every(lambda ctx: office(ctx).sweep_seconds, name="search_index_sweep")
async def search_index_sweep(ctx: ServiceContext) -> None:
    # The full pass once at start-up, then only what the markers name.
    await indexing.index_of(ctx).periodic(ctx.db)
