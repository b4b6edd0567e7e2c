"""The in-memory index of the public catalogue search, one per replica (``kit.searchindex``).

Built by one scan of the searchable entries at start-up (in the background, before the
first public search needs it), then kept by this replica's writes (the ``after_write``
hook) and the other replicas' ``_touched`` markers, read at most every ``refresh_seconds``.
The catalogue gives only what to index; who may find what is its domain's
(``domain.catalogue_search``): only 已公开 and 已废止 entries are ever held, so what is not
public cannot leak from the index.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from govbus_contracts.services.disclosure.catalogue import CatalogueSearchResults, SearchCatalogue
from govbus_disclosure.domain.catalogue import PUBLIC_STATUSES
from govbus_disclosure.domain.catalogue_search import IndexedEntry, index_entry, search
from govbus_kit.searchindex import LiveIndex

Db = AsyncDatabase[dict[str, Any]]
COLLECTION = "catalogue"
FIELDS = {"_id": 1, "version": 1, "status": 1, "category": 1, "title": 1, "doc_number": 1,
          "issuing_organ": 1, "information_date": 1, "published_on": 1, "summary": 1,
          "body": 1}
PUBLIC_VALUES = frozenset(s.value for s in PUBLIC_STATUSES)
SEARCHABLE = {"status": {"$in": sorted(PUBLIC_VALUES)}}


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


class CatalogueIndex(LiveIndex[IndexedEntry]):
    def __init__(self, db: Db, *, body_chars: int = 20000, snippet_chars: int = 80,
                 refresh_seconds: float = 1.0) -> None:
        super().__init__(db, COLLECTION, projection=FIELDS, scan_filter=SEARCHABLE,
                         searchable=lambda doc: doc.get("status") in PUBLIC_VALUES,
                         entry_of=self._entry_of, refresh_seconds=refresh_seconds,
                         name="catalogue_index")
        self.body_chars = body_chars
        self.snippet_chars = snippet_chars

    async def answer(self, query: SearchCatalogue) -> CatalogueSearchResults:
        await self.ensure_fresh()
        return search(self.entries, self.postings, query, snippet_chars=self.snippet_chars)

    def _entry_of(self, doc: dict[str, Any]) -> IndexedEntry | None:
        """Terms over 文号, 标题, 发布机构 and the beginning of 概述 + 正文; none without
        its 信息形成日期."""
        info = _date(doc.get("information_date"))
        if info is None:
            return None
        return index_entry(
            id=str(doc["_id"]), version=int(doc.get("version", 0)), status=doc["status"],
            category=doc.get("category") or "", title=doc.get("title") or "",
            doc_number=doc.get("doc_number"), issuing_organ=doc.get("issuing_organ"),
            information_date=info, published_on=_date(doc.get("published_on")),
            summary=doc.get("summary"), body=doc.get("body"), body_chars=self.body_chars)
