"""In-memory search indexes kept fresh without scanning: the write hook and the markers.

The local FerretDB reads a whole collection for any query but one by ``_id``, so a replica
keeps its index in memory and learns of writes two ways:

- its own writes through the collection's ``after_write`` hook, with the document as
  written: searchable at once;
- the other replicas' writes through the ``_touched`` markers (one small document per
  aggregate written in the last minutes, ``govbus_kit.listing.TOUCHED``): each aggregate
  whose marker is newer than what the index saw is read by ``_id`` (``follow_markers``).

``LiveIndex`` is such an index over one collection, built by one scan at start-up: the
service gives what to index (the projection, which documents are searchable, and the entry
of a document with its term weights, ``textsearch.field_terms``); who may see a hit stays in
the service's domain, which ranks the postings (``textsearch.rank``). The documents service
keeps a larger index of the same kind, stored in generations (``govbus_documents.indexing``),
which follows the markers with ``follow_markers`` too.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Any, Generic, Protocol, TypeVar

from pymongo.asynchronous.database import AsyncDatabase

from govbus_kit.listing import TOUCHED
from govbus_kit.logging import get_logger

log = get_logger("govbus.searchindex")

Db = AsyncDatabase[dict[str, Any]]
#: Documents indexed between two yields to the other handlers during the start-up scan
#: (indexing is CPU work: about 2 ms per document of 1,500 characters).
FETCH_BATCH = 100


async def follow_markers(
    db: Db, collections: Collection[str], *,
    known: Callable[[str, str], int | None],
    take: Callable[[str, dict[str, Any]], Awaitable[bool]],
    projection: Mapping[str, Any] | None = None,
) -> tuple[int, dict[tuple[str, str], int]]:
    """Read by ``_id`` every aggregate of ``collections`` whose ``_touched`` marker is newer
    than the version ``known(collection, id)`` and hand it to ``take``. Returns how many
    were taken, and the version known after of every aggregate with a marker."""
    markers = await db[TOUCHED].find({"collection": {"$in": sorted(collections)}}).to_list(None)
    followed = 0
    seen: dict[tuple[str, str], int] = {}
    for marker in markers:
        collection = str(marker.get("collection"))
        aggregate = str(marker.get("aggregate") or "")
        if collection not in collections or not aggregate:
            continue
        held = known(collection, aggregate)
        if held is None or held < int(marker.get("version") or 0):
            doc = await db[collection].find_one({"_id": aggregate}, projection)
            # Not there yet (the marker precedes the write): the next run looks again.
            if doc is not None and await take(collection, doc):
                followed += 1
            held = known(collection, aggregate)
        if held is not None:
            seen[(collection, aggregate)] = held
    return followed, seen


class Indexed(Protocol):
    """What the index needs of an entry: its version and its term weights."""

    @property
    def version(self) -> int: ...

    @property
    def terms(self) -> Mapping[str, float]: ...


E = TypeVar("E", bound=Indexed)


class LiveIndex(Generic[E]):
    """One collection's searchable documents in memory, inverted (term → {id: weight}).

    ``searchable(doc)``: whether a stored document may be held at all (what may never be
    found is never in memory); ``entry_of(doc)``: its entry, or None to hold nothing.
    """

    def __init__(self, db: Db, collection: str, *, projection: Mapping[str, Any],
                 scan_filter: Mapping[str, Any], searchable: Callable[[dict[str, Any]], bool],
                 entry_of: Callable[[dict[str, Any]], E | None],
                 refresh_seconds: float = 1.0, name: str = "search_index") -> None:
        self.db = db
        self.collection = collection
        self.projection = dict(projection)
        self.scan_filter = dict(scan_filter)
        self.searchable = searchable
        self.entry_of = entry_of
        self.refresh_seconds = refresh_seconds
        self.name = name
        self.entries: dict[str, E] = {}
        self.postings: dict[str, dict[str, float]] = {}
        self.loaded = False
        #: The version last seen of each document with a marker, searchable or not, so that
        #: a marker is followed once, not on every refresh while it stays.
        self._seen: dict[str, int] = {}
        self._checked_at = float("-inf")
        self._lock = asyncio.Lock()

    async def written(self, doc_id: str, doc: dict[str, Any]) -> None:
        """The ``after_write`` hook: this replica's write, searchable at once (or gone, when
        it is no longer searchable)."""
        self._take(doc)

    async def ensure_fresh(self) -> None:
        """Loaded, and the markers followed at most every ``refresh_seconds``."""
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
        """The one scan: every searchable document (start-up), then the markers of writes
        made meanwhile."""
        started = time.perf_counter()
        found = 0
        async for doc in self.db[self.collection].find(self.scan_filter, self.projection):
            found += 1
            self._take(doc)
            if found % FETCH_BATCH == 0:
                await asyncio.sleep(0)  # let the other handlers run between batches
        followed = await self._follow_markers()
        self.loaded = True
        log.info(f"{self.name}_loaded", scan=True, entries=len(self.entries),
                 followed=followed, ms=round((time.perf_counter() - started) * 1000, 1))

    async def _follow_markers(self) -> int:
        async def take(_: str, doc: dict[str, Any]) -> bool:
            self._take(doc)
            return True

        followed, seen = await follow_markers(
            self.db, {self.collection}, known=lambda _, i: self._known_version(i), take=take,
            projection=self.projection)
        self._seen = {i: v for (_, i), v in seen.items()}  # only what has a marker: small
        return followed

    def _known_version(self, doc_id: str) -> int | None:
        held = self.entries.get(doc_id)
        if held is not None:
            return max(held.version, self._seen.get(doc_id, 0))
        return self._seen.get(doc_id)

    def _take(self, doc: dict[str, Any]) -> None:
        """A document as stored: indexed if searchable and newer than what the index saw."""
        doc_id, version = str(doc["_id"]), int(doc.get("version", 0))
        known = self._known_version(doc_id)
        if known is not None and known >= version:
            return
        self._seen[doc_id] = version
        self._remove(doc_id)
        entry = self.entry_of(doc) if self.searchable(doc) else None
        if entry is None:
            return
        self.entries[doc_id] = entry
        for term, weight in entry.terms.items():
            self.postings.setdefault(term, {})[doc_id] = weight

    def _remove(self, doc_id: str) -> None:
        old = self.entries.pop(doc_id, None)
        if old is None:
            return
        for term in old.terms:
            docs = self.postings.get(term)
            if docs is not None:
                docs.pop(doc_id, None)
                if not docs:
                    del self.postings[term]


__all__ = ["FETCH_BATCH", "Indexed", "LiveIndex", "follow_markers"]
