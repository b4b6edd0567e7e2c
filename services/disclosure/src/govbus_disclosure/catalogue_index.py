"""The public catalogue search on the kit's search index (``govbus_kit.storedindex``).

The catalogue gives what to index and who may see it: its source collection, the item of an
entry (terms over 文号, 标题, 发布机构 and the beginning of 概述 + 正文, what a hit shows,
its order on equal scores) and its rule: only 已公开 and 已废止 entries are ever findable, by
anyone, no account needed. Any other entry gives no item: the index keeps its version and
nothing of its text, so what is not public can neither be found nor leak from the index.

The kit keeps the rest: this replica's writes indexed as written (the ``after_write``
hook), the other replicas' by their index entries and their ``_touched`` markers (followed
at most every ``refresh_seconds``), the full pass when a replica starts (in the background,
before the first public search needs it), generations merged under a lease. The answer is
the domain's rule (``domain.catalogue_search.search``) over the index's rows: filters by
category and dates, ranking, newest first without words, snippets.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

from pymongo.asynchronous.database import AsyncDatabase

from govbus_contracts.envelope import Principal
from govbus_contracts.services.disclosure.catalogue import (
    CatalogueSearchResults,
    CatalogueStatus,
    SearchCatalogue,
)
from govbus_disclosure.domain.catalogue import PUBLIC_STATUSES
from govbus_disclosure.domain.catalogue_search import (
    EXCERPT_CHARS,
    IndexedEntry,
    entry_shown,
    filtered,
    hit,
    index_entry,
    matches_filters,
    newest_first,
    shown,
    tie_order,
)
from govbus_kit.repository import CollectionHooks
from govbus_kit.storedindex import (
    IndexItem,
    IndexSpec,
    MemoryIndex,
    SearchConfig,
    StoredIndex,
    item_key,
    rank_rows,
)
from govbus_kit.textsearch import query_terms

Db = AsyncDatabase[dict[str, Any]]
COLLECTION = "catalogue"
KIND = "catalogue"
PUBLIC_VALUES = frozenset(s.value for s in PUBLIC_STATUSES)
#: The public search counts and pages every match (the page is bounded by the query).
ALL_RESULTS = 10**9
ANYONE = Principal.anonymous()


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def item_of(kind: str, doc: Mapping[str, Any], body_chars: int) -> IndexItem | None:
    """A public entry's item; none for any other (or one without its 信息形成日期)."""
    info = _date(doc.get("information_date"))
    if doc.get("status") not in PUBLIC_VALUES or info is None:
        return None
    entry = index_entry(
        id=str(doc["_id"]), version=int(doc.get("version") or 0), status=doc["status"],
        category=doc.get("category") or "", title=doc.get("title") or "",
        doc_number=doc.get("doc_number"), issuing_organ=doc.get("issuing_organ"),
        information_date=info, published_on=_date(doc.get("published_on")),
        summary=doc.get("summary"), body=doc.get("body"), body_chars=body_chars)
    return IndexItem(
        key=item_key(kind, entry.id), kind=kind, id=entry.id, version=entry.version,
        year=None, level=entry.status.value, owners=(), display=shown(entry),
        body=entry.excerpt or None, terms=entry.terms, order=tie_order(entry))


@dataclass
class CatalogueRows(MemoryIndex):
    """The kit's index in memory, with the catalogue's rule: public entries, for anyone."""

    hidden_level: str = CatalogueStatus.withdrawn.value
    #: Scores exactly as the rule's (``CatalogueHit.score`` to the last digit).
    weight_type: ClassVar[str] = "d"
    #: A row's entry as the domain reads it (without its excerpt), made once when asked.
    entries: dict[int, IndexedEntry] = field(default_factory=dict)

    def sees(self, principal: Principal, level: str, owners: tuple[str, ...]) -> bool:
        return level in PUBLIC_VALUES

    def entry(self, row: int) -> IndexedEntry:
        found = self.entries.get(row)
        if found is None:
            r = self.rows[row]
            found = self.entries[row] = entry_shown(r.id, r.version, r.display)
        return found

    def with_excerpt(self, row: int) -> IndexedEntry:
        excerpt = self.rows[row].excerpt
        return dataclasses.replace(
            self.entry(row), excerpt=zlib.decompress(excerpt).decode() if excerpt else "")


SPEC = IndexSpec(sources={KIND: COLLECTION}, item=item_of, index_type=CatalogueRows,
                 hidden_level=CatalogueStatus.withdrawn.value, name="catalogue_search",
                 markers_on_refresh=True)


def answer(rows: CatalogueRows, query: SearchCatalogue, *, snippet_chars: int
           ) -> CatalogueSearchResults:
    """``domain.catalogue_search.search`` over the index's rows."""
    terms = query_terms(query.q) if query.q and query.q.strip() else []
    keep: Callable[[int], bool] | None = None
    if filtered(query):
        def keep(row: int) -> bool:
            return matches_filters(rows.entry(row), query)
    end = query.offset + query.limit
    if terms:
        ranking = rank_rows(rows, terms, ANYONE, wanted=end, max_results=ALL_RESULTS,
                            row_filter=keep)
        page, total, matched_all = ranking.page[query.offset:end], ranking.total, \
            ranking.matched_all_terms
    else:
        seen = rows.seen_groups(ANYONE, None, None)
        chosen = [row for row, group in enumerate(rows.row_group)
                  if seen[group] and (keep is None or keep(row))]
        chosen.sort(key=lambda row: newest_first(rows.entry(row)), reverse=True)
        page, total, matched_all = [(row, 0.0) for row in chosen[query.offset:end]], \
            len(chosen), True
    return CatalogueSearchResults(
        total=total, matched_all_terms=matched_all, offset=query.offset, limit=query.limit,
        hits=[hit(rows.with_excerpt(row), score, terms, snippet_chars) for row, score in page])


class CatalogueIndex:
    """One replica's catalogue search over one database."""

    def __init__(self, db: Db, *, body_chars: int = 20000, snippet_chars: int = 80,
                 refresh_seconds: float = 1.0) -> None:
        self.db = db
        self.snippet_chars = snippet_chars
        self.stored = StoredIndex(SPEC, SearchConfig(
            body_chars=body_chars, excerpt_chars=EXCERPT_CHARS, snippet_chars=snippet_chars,
            max_results=ALL_RESULTS, refresh_seconds=refresh_seconds))

    def attach(self, hooks_of: Callable[[str], CollectionHooks]) -> None:
        """Every write to the catalogue indexed as it is written."""
        self.stored.attach(self.db, hooks_of)

    async def warm_up(self) -> None:
        """The full pass of a replica's start: loaded, and every entry at its version."""
        await self.stored.periodic(self.db)

    async def answer(self, query: SearchCatalogue) -> CatalogueSearchResults:
        rows = await self.stored.memory_index(self.db)
        assert isinstance(rows, CatalogueRows)
        return answer(rows, query, snippet_chars=self.snippet_chars)
