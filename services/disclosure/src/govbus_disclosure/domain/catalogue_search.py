"""The public search of the 公开目录: what an entry gives the index, and how a query answers.

Terms and ranking are the office-neutral ones of ``govbus_kit.textsearch`` (character
bigrams, 文号 kept whole, number > title > issuing organ > body, every term first, any term
if no entry holds them all). The catalogue's own rules are here: only 已公开 and 已废止
entries are ever searchable (已废止 ones marked), filters by category and by the information
or publication date, newest first when scores tie or no words are given.

Pure: no I/O. ``search`` is the rule over a plain index (entries and postings); the service
answers the same over the kit's stored index (``govbus_disclosure.catalogue_index``), with
what an entry shows as stored (``shown``, ``entry_shown``) and its order on equal scores
(``tie_order``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from govbus_contracts.services.disclosure.catalogue import (
    CatalogueHit,
    CatalogueSearchResults,
    CatalogueStatus,
    SearchCatalogue,
)
from govbus_disclosure.domain.catalogue import PUBLIC_STATUSES
from govbus_kit.textsearch import field_terms, query_terms, rank_visible, snippet

EXCERPT_CHARS = 600  # the beginning of the text kept in memory for snippets


@dataclass(frozen=True)
class IndexedEntry:
    """What the index keeps of one searchable entry."""

    id: str
    version: int
    status: CatalogueStatus
    category: str
    title: str
    doc_number: str | None
    issuing_organ: str | None
    information_date: date
    published_on: date | None
    excerpt: str
    terms: Mapping[str, float] = field(default_factory=dict)


def searchable(status: CatalogueStatus | str) -> bool:
    """Never anything but 已公开 and 已废止: 待公开 and 已撤回 entries are not public."""
    return CatalogueStatus(status) in PUBLIC_STATUSES


def entry_text(summary: str | None, body: str | None) -> str:
    return "\n".join(t for t in (summary, body) if t)


def index_entry(*, id: str, version: int, status: CatalogueStatus | str, category: str,
                title: str, doc_number: str | None, issuing_organ: str | None,
                information_date: date, published_on: date | None, summary: str | None,
                body: str | None, body_chars: int) -> IndexedEntry:
    """Terms over 文号, 标题, 发布机构 and the beginning of 概述 + 正文."""
    text = entry_text(summary, body)
    terms = field_terms([doc_number] if doc_number else [], title, issuing_organ,
                        text[:body_chars])
    return IndexedEntry(
        id=id, version=version, status=CatalogueStatus(status), category=category, title=title,
        doc_number=doc_number, issuing_organ=issuing_organ, information_date=information_date,
        published_on=published_on, excerpt=text[:EXCERPT_CHARS], terms=terms)


def _within(value: date | None, start: date | None, end: date | None) -> bool:
    if start is None and end is None:
        return True
    if value is None:
        return False
    return (start is None or value >= start) and (end is None or value <= end)


def matches_filters(entry: IndexedEntry, query: SearchCatalogue) -> bool:
    return (searchable(entry.status)
            and (query.category is None or entry.category == query.category)
            and _within(entry.information_date, query.information_from, query.information_to)
            and _within(entry.published_on, query.published_from, query.published_to))


def _recency(entry: IndexedEntry) -> tuple[int, int]:
    return ((entry.published_on or entry.information_date).toordinal(),
            entry.information_date.toordinal())


def tie_order(entry: IndexedEntry) -> int:
    """Equal scores: what is in force before what was repealed, then the newer first."""
    repealed = entry.status is CatalogueStatus.repealed
    return _recency(entry)[0] - (10**7 if repealed else 0)


def newest_first(entry: IndexedEntry) -> tuple[int, int, str]:
    """The order without words (reversed): by publication, then information date, then id."""
    return (*_recency(entry), entry.id)


def shown(entry: IndexedEntry) -> dict[str, Any]:
    """What a hit shows and a query filters by, as an index stores it (dates as ISO text)."""
    return {"status": entry.status.value, "category": entry.category, "title": entry.title,
            "doc_number": entry.doc_number, "issuing_organ": entry.issuing_organ,
            "information_date": entry.information_date.isoformat(),
            "published_on": entry.published_on.isoformat() if entry.published_on else None}


def entry_shown(id: str, version: int, stored: Mapping[str, Any], excerpt: str = ""
                ) -> IndexedEntry:
    """The entry back from what an index stored of it (its terms are the index's)."""
    published = stored.get("published_on")
    return IndexedEntry(
        id=id, version=version, status=CatalogueStatus(stored["status"]),
        category=stored.get("category") or "", title=stored.get("title") or "",
        doc_number=stored.get("doc_number"), issuing_organ=stored.get("issuing_organ"),
        information_date=date.fromisoformat(stored["information_date"]),
        published_on=date.fromisoformat(published) if published else None, excerpt=excerpt)


def filtered(query: SearchCatalogue) -> bool:
    """Whether the query filters by category or dates (beyond what is public)."""
    return any(v is not None for v in (query.category, query.information_from,
                                       query.information_to, query.published_from,
                                       query.published_to))


def search(entries: Mapping[str, IndexedEntry], postings: Mapping[str, Mapping[str, float]],
           query: SearchCatalogue, *, snippet_chars: int = 80) -> CatalogueSearchResults:
    """Answer a public search from an index (entries by id, term → {entry id: weight})."""
    terms = query_terms(query.q) if query.q and query.q.strip() else []
    matched_all = True
    if terms:
        ranking = rank_visible(terms, entries, postings,
                               lambda entry: matches_filters(entry, query), tie_order)
        ranked = ranking.ranked
        matched_all = ranking.matched_all_terms
    else:
        chosen = [eid for eid, e in entries.items() if matches_filters(e, query)]
        ordered = sorted(chosen, key=lambda eid: newest_first(entries[eid]), reverse=True)
        ranked = [(eid, 0.0) for eid in ordered]
    page = ranked[query.offset:query.offset + query.limit]
    hits = [hit(entries[eid], score, terms, snippet_chars) for eid, score in page]
    return CatalogueSearchResults(total=len(ranked), matched_all_terms=matched_all,
                                  offset=query.offset, limit=query.limit, hits=hits)


def hit(entry: IndexedEntry, score: float, terms: Iterable[str],
        snippet_chars: int) -> CatalogueHit:
    return CatalogueHit(
        entry_id=entry.id, category=entry.category, title=entry.title,
        doc_number=entry.doc_number, issuing_organ=entry.issuing_organ,
        information_date=entry.information_date, published_on=entry.published_on,
        status=entry.status, repealed=entry.status is CatalogueStatus.repealed, score=score,
        snippet=snippet(entry.excerpt, list(terms), snippet_chars) if entry.excerpt else None)
