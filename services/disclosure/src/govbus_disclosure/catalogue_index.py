"""The in-memory index of the public catalogue search, one per replica.

The catalogue is small (thousands of entries) and the local FerretDB reads a whole
collection for any query, so each replica keeps an inverted index in memory, built from the
``catalogue`` collection:

- every writer bumps a change counter in ``catalogue_meta`` after writing an entry
  (``bump``), and marks its own replica's index stale, so its own writes are searchable
  at once;
- before answering, a replica looks at the counter at most every ``refresh_seconds``; when it
  moved (or every ``full_check_seconds`` regardless, in case a writer died between its write
  and its bump) it reads ``_id`` and ``version`` of every searchable entry and re-indexes only
  those whose version changed, dropping those no longer searchable.

Only 已公开 and 已废止 entries are ever loaded: what is not public cannot leak from the index.
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
from govbus_kit.logging import get_logger

log = get_logger("govbus.disclosure.catalogue_index")

Db = AsyncDatabase[dict[str, Any]]
COLLECTION = "catalogue"
META = "catalogue_meta"
COUNTER_ID = "changes"
FETCH_BATCH = 100
FIELDS = {"_id": 1, "version": 1, "status": 1, "category": 1, "title": 1, "doc_number": 1,
          "issuing_organ": 1, "information_date": 1, "published_on": 1, "summary": 1,
          "body": 1}
SEARCHABLE = {"status": {"$in": [s.value for s in PUBLIC_STATUSES]}}


async def bump(db: Db) -> None:
    """Tell every replica that the catalogue changed. Never raises: the periodic full check
    catches up if this fails."""
    try:
        await db[META].update_one({"_id": COUNTER_ID}, {"$inc": {"counter": 1}}, upsert=True)
    except Exception as exc:  # the write itself succeeded; searching catches up later
        log.warning("catalogue_bump_failed", error=repr(exc))


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


class CatalogueIndex:
    def __init__(self, db: Db, *, body_chars: int = 20000, snippet_chars: int = 80,
                 refresh_seconds: float = 1.0, full_check_seconds: float = 60.0) -> None:
        self.db = db
        self.body_chars = body_chars
        self.snippet_chars = snippet_chars
        self.refresh_seconds = refresh_seconds
        self.full_check_seconds = full_check_seconds
        self.entries: dict[str, IndexedEntry] = {}
        self.postings: dict[str, dict[str, float]] = {}
        self._stamp: int | None = None
        self._checked_at = float("-inf")
        self._full_at = float("-inf")
        self._stale = True
        self._lock = asyncio.Lock()

    def mark_stale(self) -> None:
        """This replica wrote: look again before the next answer."""
        self._stale = True

    async def answer(self, query: SearchCatalogue) -> CatalogueSearchResults:
        await self.ensure_fresh()
        return search(self.entries, self.postings, query, snippet_chars=self.snippet_chars)

    async def ensure_fresh(self) -> None:
        if not self._stale and time.monotonic() - self._checked_at < self.refresh_seconds:
            return
        async with self._lock:
            now = time.monotonic()
            if not self._stale and now - self._checked_at < self.refresh_seconds:
                return
            stale, self._stale = self._stale, False
            # The counter is read before the entries: a write after this read moves it
            # again, and the next look catches that write.
            meta = await self.db[META].find_one({"_id": COUNTER_ID})
            stamp = int((meta or {}).get("counter", 0))
            if stale or stamp != self._stamp or now - self._full_at >= self.full_check_seconds:
                try:
                    await self._sync()
                except Exception:
                    self._stale = True
                    raise
                self._stamp = stamp
                self._full_at = now
            self._checked_at = now

    async def _sync(self) -> None:
        started = time.perf_counter()
        found = await self.db[COLLECTION].find(SEARCHABLE, {"_id": 1, "version": 1}).to_list(None)
        current = {d["_id"]: int(d.get("version", 0)) for d in found}
        for gone in [eid for eid in self.entries if eid not in current]:
            self._remove(gone)
        changed = [eid for eid, v in current.items()
                   if eid not in self.entries or self.entries[eid].version != v]
        for i in range(0, len(changed), FETCH_BATCH):
            batch = changed[i:i + FETCH_BATCH]
            docs = await self.db[COLLECTION].find(
                {"_id": {"$in": batch}, **SEARCHABLE}, FIELDS).to_list(None)
            for doc in docs:
                self._put(doc)
            # Indexing is CPU work (about 2 ms per entry of 1,500 characters): let the
            # other handlers run between batches.
            await asyncio.sleep(0)
        if changed:
            log.info("catalogue_index_synced", entries=len(self.entries), reindexed=len(changed),
                     ms=round((time.perf_counter() - started) * 1000, 1))

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
