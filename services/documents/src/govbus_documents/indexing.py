"""The search index of the documents service: what a 收文/发文 gives it, and who sees a hit.

The index itself is the kit's (``govbus_kit.storedindex``: stored by inserts in generations,
served from memory, kept by the write hook and the ``_touched`` markers, a full pass at
start-up). The documents give it their two source collections, the entry of a document
(numbers, title, issuer and the beginning of the body, weighed by ``textsearch.field_terms``;
its 密级, departments and year) and their access rule (``domain.access.may_read``), decided
once per group of alike rows. Snippets are kept only of non-classified documents.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from govbus_contracts.envelope import Principal
from govbus_contracts.services.documents.archive import SearchHit, SearchResults
from govbus_contracts.services.documents.common import Classification, DocumentKind
from govbus_documents.domain.access import may_read
from govbus_documents.domain.archive import classification_level, document_year
from govbus_documents.domain.search import (
    IndexedDocument,
    document_key,
    field_terms,
    query_terms,
    snippet,
)
from govbus_documents.settings import office
from govbus_kit import storedindex
from govbus_kit.service import ServiceContext
from govbus_kit.storedindex import (
    IndexItem,
    IndexSpec,
    RowRanking,
    StoredIndex,
    config_from,
    rank_rows,
    stored_entry,
    withdrawal,
)

SOURCES: Mapping[DocumentKind, str] = {
    DocumentKind.incoming: "incoming",
    DocumentKind.outgoing: "outgoing",
}


# --- what a document gives the index ------------------------------------------------------


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _level(doc: Mapping[str, Any]) -> Classification:
    raw = classification_level(doc)
    try:
        return Classification(raw) if raw is not None else Classification.none
    except ValueError:
        # An unknown 密级 is treated as the highest, not as 非密.
        return Classification.top_secret


def indexed_document(kind: DocumentKind, doc: Mapping[str, Any], body_chars: int
                     ) -> IndexedDocument:
    """The index entry of a stored 收文/发文 document."""
    level = _level(doc)
    numbers = [n for n in (_text(doc.get(k)) for k in
                           ("doc_number", "issuer_doc_number", "registration_number",
                            "archival_code")) if n]
    issuer = next((v for v in (_text(doc.get(k)) for k in
                               ("issuer", "issuing_organ", "issuer_signature",
                                "issuer_mark")) if v), None)
    body = (_text(doc.get("body")) or "")[:body_chars]
    title = _text(doc.get("title"))
    return IndexedDocument(
        key=document_key(kind, str(doc["_id"])), kind=kind, id=str(doc["_id"]),
        version=int(doc.get("version") or 0), year=document_year(doc),
        classification_level=level,
        departments=tuple(str(d) for d in doc.get("departments") or [] if d),
        doc_number=numbers[0] if numbers else None, title=title, issuer=issuer,
        status=_text(doc.get("status")),
        body=body or None if level is Classification.none else None,
        terms=field_terms(numbers, title, issuer, body),
    )


def _item(doc: IndexedDocument) -> IndexItem:
    return IndexItem(
        key=doc.key, kind=doc.kind.value, id=doc.id, version=doc.version, year=doc.year,
        level=doc.classification_level.value, owners=doc.departments,
        display={"doc_number": doc.doc_number, "title": doc.title, "issuer": doc.issuer,
                 "status": doc.status},
        body=doc.body, terms=doc.terms)


def _entry(doc: IndexedDocument, excerpt_chars: int) -> dict[str, Any]:
    """The stored form of an index entry."""
    return stored_entry(_item(doc), excerpt_chars)


def _withdrawal(kind: DocumentKind, doc_id: str) -> dict[str, Any]:
    return withdrawal(DocumentKind(kind).value, doc_id, Classification.top_secret.value)


@dataclass
class MemoryIndex(storedindex.MemoryIndex):
    """The kit's index in memory, with the documents' access rule."""

    hidden_level: str = Classification.top_secret.value

    def sees(self, principal: Principal, level: str, owners: tuple[str, ...]) -> bool:
        return may_read(principal, Classification(level), owners)


SPEC = IndexSpec(
    sources={kind.value: collection for kind, collection in SOURCES.items()},
    item=lambda kind, doc, body_chars: _item(indexed_document(DocumentKind(kind), doc,
                                                              body_chars)),
    index_type=MemoryIndex, hidden_level=Classification.top_secret.value)


def index_of(ctx: ServiceContext) -> StoredIndex:
    """The service's index in this process, configured from its own settings (``search_*``)
    when it starts; a tool without a service makes its own: ``StoredIndex(SPEC)``."""
    index: StoredIndex | None = ctx.state.get("documents.search_index")
    if index is None:
        index = ctx.state["documents.search_index"] = StoredIndex(SPEC,
                                                                  config_from(office(ctx)))
    return index


async def search(
    ctx: ServiceContext, principal: Principal, q: str, *, kind: DocumentKind | None = None,
    year: int | None = None, offset: int = 0, limit: int = 20,
) -> SearchResults:
    """Ranked hits the principal may read; visibility and filters apply before ranking."""
    terms = query_terms(q)
    if not terms:
        return SearchResults(total=0, matched_all_terms=True, hits=[])
    stored = index_of(ctx)
    index, ranking = await stored.ranked(ctx.db, principal, terms,
                                         kind=kind.value if kind is not None else None,
                                         year=year, offset=offset, limit=limit)
    hits_out: list[SearchHit] = []
    for idx, score in ranking.page[offset:offset + limit]:
        row = index.rows[idx]
        level = Classification(row.level)
        excerpt = (zlib.decompress(row.excerpt).decode()
                   if row.excerpt and level is Classification.none else None)
        hits_out.append(SearchHit(
            id=row.id, kind=DocumentKind(row.kind), doc_number=row.display.get("doc_number"),
            title=row.display.get("title"), issuer=row.display.get("issuer"),
            status=row.display.get("status"), year=row.year, classification_level=level,
            score=round(score, 4),
            snippet=snippet(excerpt, terms, stored.config.snippet_chars) if excerpt else None))
    return SearchResults(total=ranking.total, matched_all_terms=ranking.matched_all_terms,
                         hits=hits_out)


__all__ = [
    "SOURCES",
    "SPEC",
    "MemoryIndex",
    "RowRanking",
    "config_from",
    "index_of",
    "indexed_document",
    "rank_rows",
    "search",
]
