"""What the 收文 and 发文 lists share: who sees an entry, and a page of what a principal may
see filtered by the query's facets."""

from __future__ import annotations

from typing import Any

from govbus_documents.domain.access import visibility_filter
from govbus_kit import listing
from govbus_kit.listing import DeclaredList, facet
from govbus_kit.service import QueryContext


def seen_by(doc: listing.Document) -> list[str]:
    """The facets a list entry is seen by: the fields of ``visibility_filter`` (密级,
    departments)."""
    return [facet("classification_level", doc.get("classification_level")),
            *(facet("departments", d) for d in doc.get("departments") or [])]


async def visible_page(declared: DeclaredList, ctx: QueryContext, *, offset: int, limit: int,
                       **filters: str | None) -> tuple[list[dict[str, Any]], int]:
    """The page of entries the principal may see, filtered by every facet given (None: not
    filtered), and how many match in all; nothing for whoever may see no document."""
    visible = visibility_filter(ctx.principal)
    if visible is None:
        return [], 0
    where = listing.clauses(visible)
    where += [facet(name, value) for name, value in filters.items() if value is not None]
    page = await declared.of(ctx.service).page(where, offset=offset, limit=limit)
    return page.items, page.total
