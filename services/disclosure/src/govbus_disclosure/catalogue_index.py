"""The in-memory index of the public catalogue search, one per replica.

The local FerretDB reads a whole collection for any query but one by ``_id``, so each replica
keeps an inverted index in memory, built from the ``catalogue`` collection:

- at start-up (in the background, before the first public search needs it) one scan of the
  searchable entries builds it, logged with its duration;
- afterwards nothing scans: this replica's own writes reach it through the collection's
  ``after_write`` hook (``written``), with the entry as written, so they are searchable at
  once; the other replicas' writes through the ``_touched`` markers (one small document per
  aggregate written in the last minutes), read at most every ``refresh_seconds`` before an
  answer: each entry whose marker is newer than what the index saw is read by ``_id``.

Only 已公开 and 已废止 entries are ever held: what is not public cannot leak from the index.
"""

from __future__ import annotations

import asyncio
import time
from datetime import date
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from govbus_contracts.services.disclosure.catalogue import CatalogueSearchResults, SearchCatalogue
from govbus_disclosure.domain.catalogue import PUBLIC_STATUSES
from govbus_disclosure.domain.catalogue_search import IndexedEntry, index_entry, search
from govbus_kit.listing import TOUCHED as TOUCHED_COLLECTION
from govbus_kit.logging import get_logger

log = get_logger("govbus.disclosure.catalogue_index")

Db = AsyncDatabase[dict[str, Any]]
COLLECTION = "catalogue"
FETCH_BATCH = 100
FIELDS = {"_id": 1, "version": 1, "status": 1, "category": 1, "title": 1, "doc_number": 1,
          "issuing_organ": 1, "information_date": 1, "published_on": 1, "summary": 1,
          "body": 1}
PUBLIC_VALUES = frozenset(s.value for s in PUBLIC_STATUSES)
SEARCHABLE = {"status": {"$in": sorted(PUBLIC_VALUES)}}
#: The marker set the repository keeps (govbus_kit.listing.TOUCHED).
TOUCHED = TOUCHED_COLLECTION


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


class CatalogueIndex:
    def __init__(self, db: Db, *, body_chars: int = 20000, snippet_chars: int = 80,
                 refresh_seconds: float = 1.0) -> None:
        self.db = db
        self.body_chars = body_chars
        self.snippet_chars = snippet_chars
        self.refresh_seconds = refresh_seconds
        self.entries: dict[str, IndexedEntry] = {}
        self.postings: dict[str, dict[str, float]] = {}
        self.loaded = False
        #: The version last seen of each entry with a marker, searchable or not, so that a
        #: marker is followed once, not on every refresh while it stays.
        self._seen: dict[str, int] = {}
        self._checked_at = float("-inf")
        self._lock = asyncio.Lock()

    async def written(self, entry_id: str, doc: dict[str, Any]) -> None:
        """The ``after_write`` hook on ``catalogue``: this replica's write, searchable at
        once (or gone, when it is no longer public)."""
        self._take(doc)

    async def answer(self, query: SearchCatalogue) -> CatalogueSearchResults:
        await self.ensure_fresh()
        return search(self.entries, self.postings, query, snippet_chars=self.snippet_chars)

    async def ensure_fresh(self) -> None:
        if self.loaded and time.monotonic() - self._checked_at < self.refresh_seconds:
            return
        async with self._lock:
            now = time.monotonic()
            if not self.loaded:
                await self._load()
            elif now - self._checked_at < self.refresh_seconds:
                return
            else:
                await self._follow_markers()
            self._checked_at = now

    async def _load(self) -> None:
        """The one scan: every searchable entry (start-up), then the markers of writes made
        meanwhile."""
        started = time.perf_counter()
        found = 0
        async for doc in self.db[COLLECTION].find(SEARCHABLE, FIELDS):
            found += 1
            self._take(doc)
            if found % FETCH_BATCH == 0:
                # Indexing is CPU work (about 2 ms per entry of 1,500 characters): let the
                # other handlers run between batches.
                await asyncio.sleep(0)
        followed = await self._follow_markers()
        self.loaded = True
        log.info("catalogue_index_loaded", scan=True, entries=len(self.entries),
                 followed=followed, ms=round((time.perf_counter() - started) * 1000, 1))

    async def _follow_markers(self) -> int:
        markers = await self.db[TOUCHED].find({"collection": COLLECTION}).to_list(None)
        followed = 0
        seen: dict[str, int] = {}
        for marker in markers:
            entry_id, version = str(marker.get("aggregate") or ""), int(marker.get("version") or 0)
            if not entry_id:
                continue
            known = self._known_version(entry_id)
            if known is not None and known >= version:
                seen[entry_id] = known
                continue
            doc = await self.db[COLLECTION].find_one({"_id": entry_id}, FIELDS)
            # Not there yet (the marker precedes the write): looked at again next time.
            if doc is not None:
                self._take(doc)
                followed += 1
            known = self._known_version(entry_id)
            if known is not None:
                seen[entry_id] = known
        self._seen = seen  # only what still has a marker: the memo stays small
        return followed

    def _known_version(self, entry_id: str) -> int | None:
        held = self.entries.get(entry_id)
        if held is not None:
            return max(held.version, self._seen.get(entry_id, 0))
        return self._seen.get(entry_id)

    def _take(self, doc: dict[str, Any]) -> None:
        """An entry as stored: indexed if public and newer than what the index saw."""
        entry_id, version = str(doc["_id"]), int(doc.get("version", 0))
        known = self._known_version(entry_id)
        if known is not None and known >= version:
            return
        self._seen[entry_id] = version
        if doc.get("status") in PUBLIC_VALUES:
            self._put(doc)
        else:
            self._remove(entry_id)

    def _put(self, doc: dict[str, Any]) -> None:
        eid = doc["_id"]
        self._remove(eid)
        info = _date(doc.get("information_date"))
        if info is None:
            return
        entry = index_entry(
            id=eid, version=int(doc.get("version", 0)), status=doc["status"],
            category=doc.get("category") or "", title=doc.get("title") or "",
            doc_number=doc.get("doc_number"), issuing_organ=doc.get("issuing_organ"),
            information_date=info, published_on=_date(doc.get("published_on")),
            summary=doc.get("summary"), body=doc.get("body"), body_chars=self.body_chars)
        self.entries[eid] = entry
        for term, weight in entry.terms.items():
            self.postings.setdefault(term, {})[eid] = weight

    def _remove(self, eid: str) -> None:
        old = self.entries.pop(eid, None)
        if old is None:
            return
        for term in old.terms:
            docs = self.postings.get(term)
            if docs is not None:
                docs.pop(eid, None)
                if not docs:
                    del self.postings[term]
