"""A search index stored by inserts and served from memory, for collections of any size.

A service gives what to index and who may see it (``IndexSpec``): its source collections by
kind, the ``IndexItem`` of a stored document (its visibility label, owners, year, display
fields, the beginning of its body and its term weights, ``textsearch.field_terms``) and a
``MemoryIndex`` whose ``sees`` is its access rule. The kit keeps the rest (``StoredIndex``):

- every write to a source collection through a repository is indexed as written (the
  ``after_write`` hook, ``attach``): searchable at once;
- a write whose process died before its hook ran is caught by ``catch_up`` (the periodic
  task), which follows the ``_touched`` markers (``follow_markers``);
- ``sweep`` is the full pass: it compares every document's ``version`` with the version
  indexed (a scan of the sources) and withdraws documents that are gone; once when a
  process starts (the periodic task's first run, off the request path) and on request.

Layout. The local FerretDB (v1, SQLite) uses no index for any filter, not even ``_id``, so a
posting list per term on disk cannot answer quickly there. The index is *stored* by inserts
only and *served* from memory:

- ``<name>_g<stamp>``: an immutable generation, one entry per document (compressed terms;
  a document that may never be found keeps only its version);
- ``<name>_recent``: entries written since that generation (``_id`` = key@version);
- ``<name>_meta``: which generation is current, and a lease so that one replica at a time
  merges the recent entries into the next generation (when there are more than
  ``recent_max_docs``); the generation before the previous one is dropped.

Every replica loads the current generation into an inverted index in memory and applies
recent entries as they appear (at most every ``refresh_seconds``; its own writes at once;
with ``markers_on_refresh`` the markers too). A query filters postings by visibility, kind
and year (and a service's filter on what rows display), then ranks (AND, rarest term first; OR
if nothing holds every term) and pages. Its cost follows the page, not the number of matching
documents, where it can: visibility is decided once per group of alike rows (kind, level,
owners, year) and postings are filtered by C-level ``map``; a one-term query reads a long
posting list by weight and order (the year), best first, and stops once the page is full and
``max_results`` are counted. ``rank_rows`` answers exactly as ``textsearch.rank`` over every
visible row. On MongoDB the same layout works unchanged.
"""

from __future__ import annotations

import asyncio
import bisect
import heapq
import os
import re
import time
import zlib
from array import array
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import compress, repeat
from operator import add, attrgetter, neg
from typing import Any, ClassVar

from bson import Binary
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from govbus_contracts.envelope import Principal
from govbus_kit.logging import get_logger
from govbus_kit.outbox import TOUCHED
from govbus_kit.repository import CollectionHooks
from govbus_kit.textsearch import idf

log = get_logger("govbus.search")

Db = AsyncDatabase[dict[str, Any]]

#: The collections of an index are named from its ``IndexSpec.name``: ``<name>_meta``,
#: ``<name>_recent`` and the generations ``<name>_g<stamp>`` (the documents' is "search").
DEFAULT_NAME = "search"
STATE_ID = "state"
INSERT_BATCH = 500
TERM_SEPARATOR = "\x1f"  # never inside a term: terms are word characters and 〔〕
DELETED_VERSION = 2**53  # a withdrawal outranks every version of the document
#: Entries of other replicas may carry a clock a little behind ours.
CLOCK_MARGIN_NS = 10 * 10**9
AGGREGATE_META = {"_outbox": 0, "_commands": 0, "_applied": 0}
#: From this many postings a term is also kept by weight and year (see ``Bucket``).
BUCKET_MIN_POSTINGS = 512



@dataclass(frozen=True)
class SearchConfig:
    """How much the index keeps and when it merges (a service's settings may override)."""

    body_chars: int = 3000  # the indexed beginning of a body
    excerpt_chars: int = 600  # the beginning kept for snippets
    snippet_chars: int = 80
    recent_max_docs: int = 200
    max_results: int = 200
    refresh_seconds: float = 1.0
    lease_seconds: float = 600.0


def config_from(settings: object | None) -> SearchConfig:
    """Read ``search_*`` settings where the service's settings have them; defaults
    otherwise."""
    base = SearchConfig()
    if settings is None:
        return base
    values = {name: type(getattr(base, name))(getattr(settings, f"search_{name}"))
              for name in base.__dataclass_fields__ if hasattr(settings, f"search_{name}")}
    return SearchConfig(**values)


# --- what a document gives the index --------------------------------------------------------------


def item_key(kind: str, doc_id: str) -> str:
    return f"{kind}:{doc_id}"


@dataclass(frozen=True)
class IndexItem:
    """What the index keeps of one document: visibility, filters, display, term weights."""

    key: str
    kind: str
    id: str
    version: int
    year: int | None  # the filter by year
    level: str  # the visibility label the service's rule reads (a 密级, a status)
    owners: tuple[str, ...]  # who holds it (departments), for the same rule
    display: Mapping[str, Any]  # the fields a hit shows and a query filters by (BSON values)
    body: str | None  # the beginning kept for snippets; None where none may be shown
    terms: Mapping[str, float] = field(default_factory=dict)
    #: Equal scores: the higher first (then the key); the year where None.
    order: int | None = None


def stored_entry(item: IndexItem, excerpt_chars: int, weight_type: str = "f"
                 ) -> dict[str, Any]:
    """The stored form of an index entry (both in a generation and among the recent);
    weights as 4-byte floats ("f") or, where scores must be exact to the last digit, 8 ("d")."""
    names = TERM_SEPARATOR.join(item.terms).encode()
    weights = array(weight_type, item.terms.values()).tobytes()
    excerpt = item.body[:excerpt_chars].encode() if item.body else None
    return {
        "key": item.key, "kind": item.kind, "id": item.id, "v": item.version,
        "y": item.year, "o": item.order, "c": item.level, "p": list(item.owners),
        "d": dict(item.display),
        "x": Binary(zlib.compress(excerpt)) if excerpt else None,
        "t": Binary(zlib.compress(names)), "w": Binary(zlib.compress(weights)),
        "deleted": False, "at": time.time_ns(),
    }


def withdrawal(kind: str, doc_id: str, level: str) -> dict[str, Any]:
    """The entry of a document that is gone: it outranks every version of it, and a merge
    leaves it out."""
    return {**hidden_entry(kind, doc_id, DELETED_VERSION, level), "deleted": True}


def hidden_entry(kind: str, doc_id: str, version: int, level: str) -> dict[str, Any]:
    """The entry of a document that exists but may never be found (the service's ``item``
    gave none): its version only, so that nothing of it is held, and a later version that
    may be found replaces it."""
    return {"key": item_key(kind, doc_id), "kind": kind, "id": doc_id,
            "v": version, "y": None, "c": level, "p": [], "d": {}, "x": None,
            "t": None, "w": None, "deleted": False, "hidden": True, "at": time.time_ns()}


def _terms_of(entry: Mapping[str, Any]) -> tuple[list[str], array[float]]:
    if not entry.get("t"):
        return [], array("f")
    names = zlib.decompress(entry["t"]).decode().split(TERM_SEPARATOR)
    raw = zlib.decompress(entry["w"])
    # 8 bytes a weight or 4: the entry says which by its length.
    weights = array("d" if len(raw) == 8 * len(names) else "f")
    weights.frombytes(raw)
    return (names if names != [""] else []), weights


# --- the index in memory --------------------------------------------------------------------------


@dataclass(slots=True)
class Row:
    key: str
    kind: str
    id: str
    version: int
    year: int | None
    level: str
    departments: tuple[str, ...]
    display: dict[str, Any]
    excerpt: bytes | None
    alive: bool = True
    order: int = 0  # ties: the higher first


#: What decides whether a row is seen by a query: (kind, 密级, departments, year).
GroupKey = tuple[str, str, tuple[str, ...], int | None]
DEAD_GROUP = 0  # rows superseded or withdrawn: never seen, not counted in a term's df


@dataclass(slots=True)
class Bucket:
    """The rows holding a term with one weight and one order (the year): a one-term query's
    order within it is the key's, so it reads the first rows it needs and stops."""

    rows: array[int] = field(default_factory=lambda: array("i"))
    sorted_upto: int = 0


@dataclass
class MemoryIndex:
    """One generation and the recent entries applied to it, inverted.

    Every row belongs to a *group* of rows alike for visibility and the filters (kind,
    密级, departments, year; a few dozen in an office); a row no longer current is moved to
    ``DEAD_GROUP``. A query decides visibility once per group, and filters a term's
    postings through ``row_group`` with C-level ``map``/``compress``, instead of a Python
    check per posting (the cost that grew with the number of matching documents).
    """

    generation: str | None = None
    #: The level of a row whose entry names none: the highest, seen by the fewest.
    hidden_level: str = ""
    #: How weights are held ("f": 4 bytes; "d": 8, scores exact as ``textsearch.rank``'s).
    weight_type: ClassVar[str] = "f"
    rows: list[Row] = field(default_factory=list)
    by_key: dict[str, int] = field(default_factory=dict)
    postings: dict[str, tuple[array[int], array[float]]] = field(default_factory=dict)
    applied: set[str] = field(default_factory=set)
    last_at: int = 0
    refreshed: float = 0.0
    live: int = 0
    row_group: array[int] = field(default_factory=lambda: array("i"))
    groups: dict[GroupKey, int] = field(default_factory=dict)
    group_keys: list[GroupKey | None] = field(default_factory=lambda: [None])
    row_keys: list[str] = field(default_factory=list)
    #: Rows that stopped being current, in the order they did: a term's df is its postings
    #: less those among them (postings are in row order, so each is a bisection).
    dead_rows: array[int] = field(default_factory=lambda: array("i"))
    #: Long postings also by (weight, order): a one-term query reads them best first.
    buckets: dict[str, dict[tuple[float, int], Bucket]] = field(default_factory=dict)
    _df: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    _seen: dict[tuple[Any, ...], bytes] = field(default_factory=dict)
    #: Per set of groups seen: (rows, dead rows) when made, and per row whether it is seen.
    _seen_rows: dict[bytes, tuple[int, int, bytes]] = field(default_factory=dict)

    def version_of(self, key: str) -> int | None:
        idx = self.by_key.get(key)
        return None if idx is None else self.rows[idx].version

    def _group(self, row: Row) -> int:
        key: GroupKey = (row.kind, row.level, row.departments, row.year)
        gid = self.groups.get(key)
        if gid is None:
            gid = self.groups[key] = len(self.group_keys)
            self.group_keys.append(key)
        return gid

    def apply(self, entry: Mapping[str, Any]) -> bool:
        """Take an entry unless the index holds this or a later version already."""
        key, version = str(entry["key"]), int(entry["v"])
        self.last_at = max(self.last_at, int(entry.get("at") or 0))
        current = self.by_key.get(key)
        if current is not None:
            if self.rows[current].version >= version:
                return False
            if self.rows[current].alive:
                self.rows[current].alive = False
                self.row_group[current] = DEAD_GROUP
                self.dead_rows.append(current)
                self.live -= 1
        deleted = bool(entry.get("deleted") or entry.get("hidden"))
        idx = len(self.rows)
        year = entry.get("y")
        order = entry.get("o")
        row = Row(
            key=key, kind=str(entry["kind"]), id=str(entry["id"]), version=version,
            year=year, level=str(entry.get("c") or self.hidden_level),
            departments=tuple(entry.get("p") or ()), display=dict(entry.get("d") or {}),
            excerpt=bytes(entry["x"]) if entry.get("x") else None, alive=not deleted,
            order=int(order if order is not None else year or 0))
        self.rows.append(row)
        self.row_keys.append(key)
        self.row_group.append(DEAD_GROUP if deleted else self._group(row))
        self.by_key[key] = idx
        if deleted:
            return True
        self.live += 1
        order0 = row.order
        names, weights = _terms_of(entry)
        postings, buckets = self.postings, self.buckets  # the loop runs per term: locals
        for name, weight in zip(names, weights, strict=True):
            slot = postings.get(name)
            if slot is None:
                slot = postings[name] = (array("i"), array(self.weight_type))
            slot[0].append(idx)
            slot[1].append(weight)
            by_weight = buckets.get(name)
            if by_weight is not None:
                bucket = by_weight.get((weight, order0))
                if bucket is None:
                    bucket = by_weight[(weight, order0)] = Bucket()
                bucket.rows.append(idx)
            elif len(slot[0]) >= BUCKET_MIN_POSTINGS:
                self._bucket(name)
        return True

    def _bucket(self, term: str) -> None:
        by_weight: dict[tuple[float, int], Bucket] = {}
        rows, weights = self.postings[term]
        for idx, weight in zip(rows, weights, strict=True):
            key = (weight, self.rows[idx].order)
            bucket = by_weight.get(key)
            if bucket is None:
                bucket = by_weight[key] = Bucket()
            bucket.rows.append(idx)
        self.buckets[term] = by_weight

    def sorted_bucket(self, bucket: Bucket) -> array[int]:
        """The bucket's rows in key order (rows mostly arrive in that order already: the
        sort is then one pass)."""
        if bucket.sorted_upto < len(bucket.rows):
            ordered = sorted(bucket.rows, key=self.row_keys.__getitem__)
            bucket.rows = array("i", ordered)
            bucket.sorted_upto = len(ordered)
        return bucket.rows

    def df(self, term: str) -> int:
        """How many current rows hold ``term``."""
        rows = self.postings[term][0]
        n, d = len(rows), len(self.dead_rows)
        held = self._df.get(term)
        if held is not None and held[0] == n and held[1] == d:
            return held[2]
        # Rows added since are current when added; rows that died since are taken off.
        value, since = (n, 0) if held is None else (held[2] + (n - held[0]), held[1])
        if (d - since) * 16 < n:  # few died (a loaded generation has none): bisections
            for dead in self.dead_rows[since:]:
                at = bisect.bisect_left(rows, dead)
                if at < n and rows[at] == dead:
                    value -= 1
        else:
            groups = array("i", map(self.row_group.__getitem__, rows))
            value = n - groups.count(DEAD_GROUP)
        self._df[term] = (n, d, value)
        return value

    def seen_rows(self, seen: bytes) -> bytes:
        """Per row, 1 if it belongs to a group seen (``seen_groups``): a posting is then
        filtered by one lookup, not two. Kept while the rows stay; rows added since are
        appended (a row changes group only when it dies, which makes it again)."""
        n, d = len(self.rows), len(self.dead_rows)
        held = self._seen_rows.get(seen)
        if held is not None and held[:2] == (n, d):
            return held[2]
        if held is not None and held[1] == d:
            value = held[2] + bytes(map(seen.__getitem__, self.row_group[held[0]:]))
        else:
            value = bytes(map(seen.__getitem__, self.row_group))
        if held is None and len(self._seen_rows) >= 64:
            self._seen_rows.clear()
        self._seen_rows[seen] = (n, d, value)
        return value

    def seen_groups(self, principal: Principal, kind: str | None,
                    year: int | None) -> bytes:
        """Per group, 1 if a query of ``principal`` with these filters sees its rows."""
        memo = (principal.roles, principal.department, kind, year, len(self.group_keys))
        held = self._seen.get(memo)
        if held is None:
            if len(self._seen) > 256:
                self._seen.clear()
            held = self._seen[memo] = self._seen_groups(principal, kind, year)
        return held

    def sees(self, principal: Principal, level: str, owners: tuple[str, ...]) -> bool:
        """Whether ``principal`` may see a row of this level and these owners: the
        service's rule (a service's index overrides it); nobody, here."""
        return False

    def _seen_groups(self, principal: Principal, kind: str | None,
                     year: int | None) -> bytes:
        out = bytearray(len(self.group_keys))
        for gid, key in enumerate(self.group_keys):
            if key is None:
                continue
            g_kind, level, departments, g_year = key
            out[gid] = ((kind is None or g_kind == kind)
                        and (year is None or g_year == year)
                        and self.sees(principal, level, departments))
        return bytes(out)


@dataclass(frozen=True)
class RowRanking:
    page: list[tuple[int, float]]  # (row, score), best first: the first ``wanted`` only
    total: int  # how many rank, at most ``max_results``
    matched_all_terms: bool


def rank_rows(index: MemoryIndex, terms: Sequence[str], principal: Principal, *,
              kind: str | None = None, year: int | None = None, wanted: int,
              max_results: int, row_filter: Callable[[int], bool] | None = None
              ) -> RowRanking:
    """``textsearch.rank`` over the rows the principal sees, with its results exactly (AND
    then OR, score = the terms' weight × idf summed in the query's order and rounded, ties
    to the higher order (the later year), then the key), but without a Python step per
    matching posting: postings are filtered, scored and summed by C-level
    ``map``/``compress``/``zip``, and only the ``wanted`` best are ordered in full (a
    threshold first, then the few at or above it); the total is a count.

    ``row_filter`` (a row's index → whether the query keeps it) is a service's filter on
    what its rows display (a category, a date range): asked once per posting of the query's
    terms, for the rows the principal sees."""
    seen = index.seen_groups(principal, kind, year)
    if row_filter is None and len(terms) == 1 and terms[0] in index.buckets:
        return _rank_one_term(index, terms[0], seen, wanted=wanted, max_results=max_results)
    # Every row current and every group seen (a leader's query on a merged generation):
    # the postings are the hits as they are, nothing to filter.
    everything = row_filter is None and not index.dead_rows and seen.count(0) == 1
    row_seen = b"" if everything else index.seen_rows(seen)
    if row_filter is not None:
        def kept(row: int, seen_row: Callable[[int], int] = row_seen.__getitem__,
                 keep: Callable[[int], bool] = row_filter) -> int:
            return 1 if seen_row(row) and keep(row) else 0
    hits: dict[str, tuple[Sequence[int], Sequence[float]]] = {}
    frequency: dict[str, int] = {}
    for term in terms:
        slot = index.postings.get(term)
        if slot is None:
            hits[term], frequency[term] = ([], []), 0
            continue
        rows, weights = slot
        frequency[term] = index.df(term)  # current rows, seen or not
        if everything:
            hits[term] = slot
            continue
        visible = (bytes(map(row_seen.__getitem__, rows)) if row_filter is None
                   else bytes(map(kept, rows)))
        hits[term] = (list(compress(rows, visible)), list(compress(weights, visible)))
    present = [t for t in terms if hits[t][0]]
    found: set[int] | None = None
    if len(present) == len(terms):
        for term in sorted(terms, key=lambda t: len(hits[t][0])):
            found = (set(hits[term][0]) if found is None
                     else found.intersection(hits[term][0]))
            if not found:
                break
    matched_all = bool(found)
    cands: Sequence[int]
    if len(present) == 1:
        cands = hits[present[0]][0]  # AND and OR alike: every row holding the term
    elif matched_all:
        cands = list(found or ())
    else:
        cands = list(set().union(*(hits[t][0] for t in present)))
    if not cands:
        return RowRanking([], 0, matched_all)
    total_documents = max(index.live, 1)
    # Summed term by term in the order of ``present`` as ``rank`` does: s + 0.0 is s, so a
    # row without the term adds exactly nothing.
    sums: list[float] = [0.0] * len(cands)
    for term in present:
        w = idf(frequency[term], total_documents)
        term_rows, term_weights = hits[term]
        if term_rows is cands:
            contrib: Iterable[float] = map(w.__mul__, term_weights)
        else:
            by_row = dict(zip(term_rows, map(w.__mul__, term_weights), strict=True))
            contrib = map(by_row.get, cands, repeat(0.0))
        sums = list(map(add, sums, contrib))
    scores = list(map(round, sums, repeat(6)))
    total = min(len(cands), max_results)
    if wanted <= 0:
        return RowRanking([], total, matched_all)
    if wanted < len(cands):
        # Only rows scoring at least the ``wanted``-th best score can be on the page.
        threshold = heapq.nlargest(wanted, scores)[-1]
        keep = list(map(threshold.__le__, scores))
        cands, scores = list(compress(cands, keep)), list(compress(scores, keep))
    rows_of = list(map(index.rows.__getitem__, cands))
    orders = map(neg, map(_order_of, rows_of))
    ordered = sorted(zip(map(neg, scores), orders, map(_key_of, rows_of), cands,
                         strict=True))
    return RowRanking([(idx, -score) for score, _, _, idx in ordered[:wanted]],
                      total, matched_all)


def _rank_one_term(index: MemoryIndex, term: str, seen: bytes, *, wanted: int,
                   max_results: int) -> RowRanking:
    """``rank_rows`` for one term with long postings, reading them best first.

    A row's score is round(weight × idf, 6): never higher for a lower weight. So the
    buckets are read by score (buckets whose weights round to the same score together),
    then order, higher first; within one (score, order) by key, in which each bucket keeps
    its rows. Reading stops once the page is full and ``max_results`` rows were counted.
    """
    w = idf(index.df(term), max(index.live, 1))
    by_score: dict[float, dict[int, list[Bucket]]] = {}
    for (weight, order), bucket in index.buckets[term].items():
        score = round(0.0 + weight * w, 6)  # as ``rank_rows`` sums: from 0.0
        by_score.setdefault(score, {}).setdefault(order, []).append(bucket)
    row_seen = index.seen_rows(seen)
    page: list[tuple[int, float]] = []
    counted = 0
    for score in sorted(by_score, reverse=True):
        for order in sorted(by_score[score], reverse=True):
            if len(page) >= wanted and counted >= max_results:
                break
            want = wanted - len(page)
            firsts: list[int] = []
            for bucket in by_score[score][order]:
                rows = index.sorted_bucket(bucket)
                first, seen_count = _first_seen(rows, row_seen, want,
                                                max_results - counted)
                firsts.extend(first)
                counted += seen_count
            if want > 0 and firsts:
                # Each bucket's first ``want`` in key order hold the first ``want`` of all.
                firsts.sort(key=index.row_keys.__getitem__)
                page.extend((idx, score) for idx in firsts[:want])
    return RowRanking(page, min(counted, max_results), counted > 0)


def _first_seen(rows: array[int], row_seen: bytes, want: int,
                count_up_to: int) -> tuple[list[int], int]:
    """The first ``want`` rows seen, and how many are seen (counted until ``count_up_to``,
    at least; C-level ``map`` over chunks that grow)."""
    first: list[int] = []
    counted = 0
    start, chunk = 0, 256
    while start < len(rows) and (len(first) < want or counted < count_up_to):
        part = rows[start:start + chunk]
        flags = bytes(map(row_seen.__getitem__, part))
        found = flags.count(1)
        if found and len(first) < want:
            first.extend(list(compress(part, flags))[:want - len(first)])
        counted += found
        start += chunk
        chunk = min(chunk * 2, 16384)
    return first, counted


_key_of = attrgetter("key")
_order_of = attrgetter("order")


# --- the markers of writes ---------------------------------------------------------------------


async def follow_markers(
    db: Db, collections: Collection[str], *,
    known: Callable[[str, str], int | None],
    take: Callable[[str, dict[str, Any]], Awaitable[bool]],
    projection: Mapping[str, Any] | None = None,
) -> int:
    """Read by ``_id`` every aggregate of ``collections`` whose ``_touched`` marker (one small
    document per aggregate written in the last minutes) is newer than the version
    ``known(collection, id)`` and hand it to ``take``; returns how many were taken."""
    markers = await db[TOUCHED].find({"collection": {"$in": sorted(collections)}}).to_list(None)
    followed = 0
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
    return followed


# --- writing, merging, catching up ----------------------------------------------------------------

_OWNER = f"{os.uname().nodename}:{os.getpid()}:{os.urandom(4).hex()}"


@dataclass(frozen=True)
class IndexSpec:
    """What a service gives its index."""

    sources: Mapping[str, str]  # kind → source collection
    #: (kind, stored doc, body chars) → its item, or None: a document that may never be
    #: found (nothing of it is held; its version is, so that it is not read again).
    item: Callable[[str, Mapping[str, Any], int], IndexItem | None]
    index_type: type[MemoryIndex]  # with the service's ``sees``
    hidden_level: str  # the level of a withdrawn or unreadable entry
    #: The index's collections are ``<name>_meta``, ``<name>_recent``, ``<name>_g<stamp>``:
    #: two services' indexes on one database stay apart.
    name: str = DEFAULT_NAME
    #: Whether a query's refresh (every ``refresh_seconds``) also follows the ``_touched``
    #: markers of the sources, so that a write whose writer died before its hook ran is
    #: searchable within the refresh, not only after the periodic ``catch_up``.
    markers_on_refresh: bool = False

    @property
    def meta(self) -> str:
        return f"{self.name}_meta"

    @property
    def recent(self) -> str:
        return f"{self.name}_recent"

    @property
    def generation_prefix(self) -> str:
        return f"{self.name}_g"


class StoredIndex:
    """One service's index: the spec, the configuration, and this process's state (an index
    in memory per database)."""

    def __init__(self, spec: IndexSpec, config: SearchConfig | None = None) -> None:
        self.spec = spec
        self.config = config or SearchConfig()
        self.indexes: dict[str, MemoryIndex] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._loading: dict[str, asyncio.Task[None]] = {}
        self._merging: dict[str, asyncio.Task[None]] = {}
        self._swept: set[str] = set()
        self._stamp = re.compile(rf"^{re.escape(spec.generation_prefix)}(\d{{13}})_[0-9a-f]+$")

    def _withdrawal(self, kind: str, doc_id: str) -> dict[str, Any]:
        return withdrawal(kind, doc_id, self.spec.hidden_level)

    async def ranked(self, db: Db, principal: Principal, terms: Sequence[str], *,
                     kind: str | None, year: int | None, offset: int, limit: int,
                     row_filter: Callable[[MemoryIndex], Callable[[int], bool] | None]
                     = lambda _: None) -> tuple[MemoryIndex, RowRanking]:
        """The page of rows ``principal`` sees (visibility and filters before ranking);
        ``row_filter`` gives the query's filter on the rows of the index in memory."""
        index = await self.memory_index(db)
        ranking = rank_rows(index, terms, principal, kind=kind, year=year,
                            wanted=min(offset + limit, self.config.max_results),
                            max_results=self.config.max_results,
                            row_filter=row_filter(index))
        return index, ranking



    def _lock(self, db: Db) -> asyncio.Lock:
        lock = self._locks.get(db.name)
        if lock is None:
            lock = self._locks[db.name] = asyncio.Lock()
        return lock


    async def _state(self, db: Db) -> dict[str, Any]:
        found = await db[self.spec.meta].find_one({"_id": STATE_ID})
        return found or {"_id": STATE_ID, "generation": None}


    async def _load(self, db: Db, generation: str | None) -> MemoryIndex:
        started = time.perf_counter()
        index = self.spec.index_type(generation=generation)
        if generation is not None:
            async for entry in db[generation].find({}):
                index.apply(entry)
        index.last_at = 0  # recent entries are read from the start
        await self._refresh(db, index)
        log.info("search_index_loaded", generation=generation, documents=index.live,
                 terms=len(index.postings), seconds=round(time.perf_counter() - started, 2))
        return index


    async def _refresh(self, db: Db, index: MemoryIndex) -> None:
        since = index.last_at - CLOCK_MARGIN_NS
        entries = await db[self.spec.recent].find({"at": {"$gte": since}}).to_list(None)
        for entry in sorted(entries, key=lambda e: int(e.get("at") or 0)):
            if entry["_id"] not in index.applied:
                index.applied.add(entry["_id"])
                index.apply(entry)
        index.refreshed = time.monotonic()


    async def _switch(self, db: Db, generation: str | None) -> None:
        loaded = await self._load(db, generation)
        async with self._lock(db):
            self.indexes[db.name] = loaded


    async def memory_index(self, db: Db, *, fresh: bool = False) -> MemoryIndex:
        """This replica's index of ``db``: loaded on first use; a new generation is loaded in
        the background while the one in memory keeps answering; recent entries are applied
        at most every ``refresh_seconds`` (or now, with ``fresh``)."""
        index = self.indexes.get(db.name)
        if index is None:
            async with self._lock(db):
                index = self.indexes.get(db.name)
                if index is None:
                    generation = (await self._state(db)).get("generation")
                    index = self.indexes[db.name] = await self._load(db, generation)
                    return index
        if fresh or time.monotonic() - index.refreshed >= self.config.refresh_seconds:
            generation = (await self._state(db)).get("generation")
            if generation != index.generation:
                task = self._loading.get(db.name)
                if fresh:
                    await self._switch(db, generation)
                elif task is None or task.done():
                    self._loading[db.name] = asyncio.create_task(self._switch(db, generation))
            async with self._lock(db):
                index = self.indexes[db.name]
                await self._refresh(db, index)
            if self.spec.markers_on_refresh and not fresh:
                await self._follow_markers(db, index)
                if len(index.applied) > self.config.recent_max_docs:
                    self._merge_soon(db)
        return self.indexes[db.name]


    def _merge_soon(self, db: Db) -> None:
        """Merge the recent entries into a new generation in the background (an index
        without a periodic ``catch_up`` to do so)."""
        task = self._merging.get(db.name)
        if task is None or task.done():
            self._merging[db.name] = asyncio.create_task(self._merge(db))


    async def _merge(self, db: Db) -> None:
        try:
            await self.compact(db)
        except Exception as exc:  # the next refresh tries again
            log.warning("search_merge_failed", index=self.spec.name, error=repr(exc))


    # --- writing ----------------------------------------------------------------------------------


    async def _put_recent(self, db: Db, entry: dict[str, Any]) -> None:
        ident = f"{entry['key']}@{entry['v']}"
        try:
            await db[self.spec.recent].insert_one({"_id": ident, **entry})
        except DuplicateKeyError:
            return  # this version is recorded already
        index = self.indexes.get(db.name)
        if index is not None:  # this replica's own write is searchable at once
            index.applied.add(ident)
            index.apply(entry)


    async def reindex_document(self, db: Db, kind: str, doc_id: str) -> bool:
        """Read the document as stored and index it at once. False: it does not exist (any
        earlier entry of it is withdrawn)."""
        doc = await db[self.spec.sources[kind]].find_one({"_id": doc_id}, AGGREGATE_META)
        if doc is None:
            await self._put_recent(db, self._withdrawal(kind, doc_id))
            return False
        await self.index_written(db, kind, doc)
        return True


    async def index_written(self, db: Db, kind: str, doc: Mapping[str, Any]) -> bool:
        """Index a document as just written (no read); False if that version is indexed."""
        index = self.indexes.get(db.name)
        key, version = item_key(kind, str(doc["_id"])), int(doc.get("version") or 0)
        if index is not None and (index.version_of(key) or -1) >= version:
            return False
        await self._put_recent(db, self.entry_of(kind, doc))
        return True


    def attach(self, db: Db, hooks_of: Callable[[str], CollectionHooks]) -> None:
        """Index every write to the source collections as it is written."""
        for kind, collection in self.spec.sources.items():
            async def written(doc_id: str, doc: dict[str, Any], kind: str = kind) -> None:
                await self.index_written(db, kind, doc)

            hooks_of(collection).after_write.append(written)


    async def mark_for_indexing(self, db: Db, kind: str, doc_id: str) -> None:
        """``reindex_document`` for callers that must not fail because of the index: a failure
        is logged, and the sweep indexes the document later."""
        try:
            await self.reindex_document(db, kind, doc_id)
        except Exception as exc:  # the caller's write has succeeded; the sweep catches up
            log.warning("search_reindex_deferred", kind=str(kind), id=doc_id, error=repr(exc))




    async def _take_lease(self, db: Db, seconds: float) -> bool:
        now = time.time()
        await db[self.spec.meta].update_one(
            {"_id": STATE_ID}, {"$setOnInsert": {"generation": None}}, upsert=True)
        taken = await db[self.spec.meta].update_one(
            {"_id": STATE_ID, "$or": [{"lease_until": {"$lt": now}},
                                      {"lease_until": {"$exists": False}},
                                      {"lease_owner": _OWNER}]},
            {"$set": {"lease_owner": _OWNER, "lease_until": now + seconds}})
        if taken.modified_count != 1:
            return False
        # FerretDB's update is a read then a write: read back who holds the lease.
        return bool((await self._state(db)).get("lease_owner") == _OWNER)


    async def _release_lease(self, db: Db) -> None:
        await db[self.spec.meta].update_one({"_id": STATE_ID, "lease_owner": _OWNER},
                                  {"$set": {"lease_until": 0.0, "lease_owner": None}})


    async def compact(self, db: Db, fresh: Sequence[Mapping[str, Any]] = (),
                      withdrawn: Iterable[tuple[str, str]] = ()) -> bool:
        """Write a new generation: the current one, the recent entries, ``fresh`` entries (as
        ``entry_of`` makes them) and withdrawals; switch to it. False if another replica holds
        the lease or switched first."""
        if not await self._take_lease(db, self.config.lease_seconds):
            return False
        try:
            generation = await self._compact(db, fresh, withdrawn)
        finally:
            await self._release_lease(db)
        if generation is None:
            return False
        await self._switch(db, generation)
        return True


    async def _compact(self, db: Db, fresh: Sequence[Mapping[str, Any]],
                       withdrawn: Iterable[tuple[str, str]]) -> str | None:
        started = time.perf_counter()
        old = (await self._state(db)).get("generation")
        recent = await db[self.spec.recent].find({}).to_list(None)
        latest: dict[str, Mapping[str, Any]] = {}
        for entry in [*recent, *fresh, *(self._withdrawal(k, i) for k, i in withdrawn)]:
            held = latest.get(entry["key"])
            if held is None or int(entry["v"]) >= int(held["v"]):
                latest[entry["key"]] = entry

        name = (f"{self.spec.generation_prefix}{int(time.time() * 1000):013d}_"
                f"{os.urandom(3).hex()}")
        batch: list[dict[str, Any]] = []
        written = 0

        async def put(entry: Mapping[str, Any]) -> None:
            nonlocal written
            batch.append({**{k: v for k, v in entry.items() if k != "_id"}, "_id": entry["key"]})
            written += 1
            if len(batch) >= INSERT_BATCH:
                await db[name].insert_many(batch, ordered=False)
                batch.clear()

        if old is not None:
            async for entry in db[old].find({}):
                newer = latest.get(entry["key"])
                if newer is not None and int(newer["v"]) >= int(entry["v"]):
                    continue
                latest.pop(entry["key"], None)  # an older recent entry than the generation's
                await put(entry)
        for entry in latest.values():
            if not entry.get("deleted"):
                await put(entry)
        if batch:
            await db[name].insert_many(batch, ordered=False)
        switched = await db[self.spec.meta].update_one(
            {"_id": STATE_ID, "generation": old, "lease_owner": _OWNER},
            {"$set": {"generation": name, "previous": old, "switched_at": time.time()}})
        if switched.modified_count != 1:
            await db[name].drop()
            return None
        merged = [e["_id"] for e in recent]
        for start in range(0, len(merged), 500):
            await db[self.spec.recent].delete_many({"_id": {"$in": merged[start:start + 500]}})
        await self._drop_old_generations(db, name, old)
        log.info("search_generation_written", generation=name, documents=written,
                 merged_recent=len(recent), fresh=len(fresh),
                 seconds=round(time.perf_counter() - started, 2))
        return name


    async def _drop_old_generations(self, db: Db, current: str, previous: str | None) -> None:
        """Generations older than the previous one go; the previous one stays for replicas
        still loading or reading it."""
        m = self._stamp.match(previous or "")
        if m is None:
            return
        for coll in await db.list_collection_names():
            other = self._stamp.match(coll)
            if other and coll not in (current, previous) and other.group(1) < m.group(1):
                await db[coll].drop()




    def full_pass_done(self, db: Db) -> bool:
        """Whether this process made its start-up full pass over ``db``."""
        return db.name in self._swept


    async def periodic(self, db: Db) -> dict[str, int]:
        """The periodic task: the full pass once per process and database (at start-up), then
        only what the markers name."""
        if db.name not in self._swept:
            started = time.perf_counter()
            summary = await self.sweep(db)
            self._swept.add(db.name)
            log.info("search_index_full_pass", scan=True, **summary,
                     seconds=round(time.perf_counter() - started, 2))
            return summary
        return await self.catch_up(db)


    async def catch_up(self, db: Db) -> dict[str, int]:
        """Index the documents whose ``_touched`` marker is newer than their entry (a writer
        that died before its hook ran), reading each by ``_id``; merge into a new generation
        when the recent entries grow too many. Reads no source collection whole."""
        index = await self.memory_index(db, fresh=True)
        indexed = await self._follow_markers(db, index)
        built = 0
        if indexed and await db[self.spec.recent].count_documents({}) > self.config.recent_max_docs:
            built = int(await self.compact(db))
        return {"stale": indexed, "withdrawn": 0, "generations_built": built}


    async def sweep(self, db: Db) -> dict[str, int]:
        """The full pass: index every document whose version differs from the one indexed,
        withdraw those that are gone, and merge into a new generation when the recent entries
        grow too many. Scans both source collections: at start-up and on request only."""
        index = await self.memory_index(db, fresh=True)
        stale: list[tuple[str, str]] = []
        present: set[str] = set()
        for kind, collection in self.spec.sources.items():
            async for doc in db[collection].find({}, {"_id": 1, "version": 1}):
                key = item_key(kind, str(doc["_id"]))
                present.add(key)
                if index.version_of(key) != int(doc.get("version") or 0):
                    stale.append((kind, str(doc["_id"])))
        withdrawn = [(r.kind, r.id) for r in index.rows
                     if r.alive and r.key not in present]
        recent = await db[self.spec.recent].count_documents({})
        built = 0
        if len(stale) + len(withdrawn) + recent > self.config.recent_max_docs:
            built += int(await self.compact(db, await self._read_sources(db, stale), withdrawn))
        else:
            for kind, doc_id in stale:
                await self.reindex_document(db, kind, doc_id)
            for kind, doc_id in withdrawn:
                await self._put_recent(db, self._withdrawal(kind, doc_id))
        return {"stale": len(stale), "withdrawn": len(withdrawn), "generations_built": built}


    async def _read_sources(self, db: Db, wanted: Sequence[tuple[str, str]]
                            ) -> list[dict[str, Any]]:
        """Index entries of the wanted documents, compact (terms compressed) so that tens of
        thousands fit in memory for one merge."""
        out: list[dict[str, Any]] = []
        by_kind: dict[str, set[str]] = {}
        for kind, doc_id in wanted:
            by_kind.setdefault(kind, set()).add(doc_id)
        for kind, ids in by_kind.items():
            source = db[self.spec.sources[kind]]
            if len(ids) <= 20:
                docs = [await source.find_one({"_id": i}, AGGREGATE_META) for i in ids]
                out.extend(self.entry_of(kind, d) for d in docs if d)
                continue
            # One pass over the collection, filtered here: FerretDB scans for any filter, and
            # evaluates a long $in against every document.
            async for doc in source.find({}, AGGREGATE_META):
                if str(doc["_id"]) in ids:
                    out.append(self.entry_of(kind, doc))
        return out


    async def _follow_markers(self, db: Db, index: MemoryIndex) -> int:
        """Index the documents whose ``_touched`` marker is newer than their entry."""
        kinds = {collection: kind for kind, collection in self.spec.sources.items()}

        async def take(collection: str, doc: dict[str, Any]) -> bool:
            # Never a withdrawal here: a document is withdrawn only by the full pass.
            return await self.index_written(db, kinds[collection], doc)

        return await follow_markers(
            db, kinds, known=lambda c, i: index.version_of(item_key(kinds[c], i)),
            take=take, projection=AGGREGATE_META)


    def entry_of(self, kind: str, doc: Mapping[str, Any]) -> dict[str, Any]:
        """The stored index entry of a stored document (only its version where it may never
        be found)."""
        item = self.spec.item(kind, doc, self.config.body_chars)
        if item is None:
            return hidden_entry(kind, str(doc["_id"]), int(doc.get("version") or 0),
                                self.spec.hidden_level)
        return stored_entry(item, self.config.excerpt_chars, self.spec.index_type.weight_type)
