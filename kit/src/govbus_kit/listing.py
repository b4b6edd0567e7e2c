"""List pages without scans: an in-memory projection of one collection, per process.

A list query (a department's 收文, the requests of one status …) used to ``find`` with a
filter, sort and skip, and ``count_documents`` the same filter: two full scans and a sort in
memory on the local FerretDB, which uses no secondary index (3.9 s at 1 000 documents, 109 s
at 50 000). Instead each process keeps, per listed collection, one small entry per aggregate:

- its sort key (``order``: a number, smallest first, e.g. ``newest_first(registered_at)``;
  ties by ``_id``), its facets (the small strings a list is filtered or seen by: status,
  departments, 密级, year …) and its summary (the fields of a list item, as JSON values);
- one ordered list of keys over everything, and one per facet value.

A page is a conjunction of clauses, each clause one facet value or a disjunction of several
(the visibility rule "非密, or my department's"). The clause with the fewest entries is walked
in order and the others are checked on each entry, so a department's page costs that
department's list (and only the page when it is the only clause), never the collection.

Kept current:
- in this process by an ``after_write`` hook on the collection (the repository calls it with
  the document as written);
- across replicas by reading the ``_touched`` markers (one small document per aggregate
  written in the last minutes, ``{_id: "<collection>/<id>", collection, aggregate, at,
  version}``, upserted by the repository before each write) every ``listing_refresh_seconds``
  and reading by ``_id`` each aggregate whose marker is newer than its entry;
- loaded by one scan of the collection when the service starts, in the background (the
  first run of the projection's periodic task); a list query meanwhile waits for it, up to
  ``listing_load_wait_seconds``, rather than answering a partial list. Markers written
  during the load are read after it, so nothing written meanwhile is missed.

Every change goes through ``_put``, which keeps the newer version: the scan, the hook and the
markers may deliver the same aggregate in any order.
"""

from __future__ import annotations

import asyncio
import heapq
import math
import sys
import time
from bisect import bisect_left, insort
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pymongo.errors import PyMongoError

from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_kit.logging import get_logger
from govbus_kit.outbox import TOUCHED
from govbus_kit.repository import META

if TYPE_CHECKING:
    from pymongo.asynchronous.collection import AsyncCollection
    from pymongo.asynchronous.database import AsyncDatabase

    from govbus_kit.service import Service, ServiceContext

log = get_logger("govbus.listing")

#: The aggregate's bookkeeping (outbox, ledgers): never read for a list entry.
_META_FIELDS = {k: 0 for k in META}
#: Strings up to this length are shared between entries (statuses, departments, codes).
_INTERN_CHARS = 40
_LOAD_YIELD_EVERY = 200
#: What a list query asked during the start-up load tells the client to wait (Retry-After).
LOADING_RETRY_AFTER_SECONDS = 5

Key = tuple[float, str]
Document = Mapping[str, Any]


def newest_first(value: Any) -> float:
    """A sort number that puts the latest date or time first and a missing one last.

    Dates and times are stored as ISO strings (the repository writes JSON-mode dumps) or
    as BSON dates; both compare by the moment they name, not by their spelling.
    """
    if value is None:
        return math.inf
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return math.inf
    if isinstance(value, datetime):
        return -value.timestamp()
    if isinstance(value, date):
        return -float(value.toordinal())
    return math.inf


def facet(name: str, value: Any) -> str:
    """The token of one facet value: ``facet("status", "办理中")``."""
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"{name}={value}"


def any_of(*tokens: str) -> frozenset[str]:
    """A clause that holds when any of ``tokens`` does (a disjunction)."""
    return frozenset(tokens)


Clause = str | Collection[str]


def clauses(where: Mapping[str, Any]) -> list[Clause]:
    """The clauses of a simple MongoDB filter (``{field: value}``, ``$and``, and ``$or`` of
    single equalities), so that a rule written once as a filter (who may see what) serves
    the projection too. Anything else is refused: a list must not silently ignore a rule."""
    out: list[Clause] = []
    for name, value in where.items():
        if name == "$and":
            for part in value:
                out.extend(clauses(part))
        elif name == "$or":
            alternatives: set[str] = set()
            for part in value:
                inner = clauses(part)
                if len(inner) != 1 or not isinstance(inner[0], str):
                    raise ValueError(f"unsupported $or alternative for a list: {part!r}")
                alternatives.add(inner[0])
            out.append(frozenset(alternatives))
        elif name.startswith("$") or isinstance(value, Mapping):
            raise ValueError(f"unsupported filter for a list: {name}: {value!r}")
        else:
            out.append(facet(name, value))
    return out


def aggregate_fields(doc: Document) -> dict[str, Any]:
    """A stored document as an aggregate model reads it: ``id`` for ``_id``, no
    bookkeeping (``Model.model_validate(aggregate_fields(doc))``)."""
    data = {k: v for k, v in doc.items() if k not in _META_FIELDS and k != "_id"}
    data["id"] = doc["_id"]
    return data


@dataclass(frozen=True)
class ListSpec:
    """How a stored document of ``collection`` becomes a list entry.

    ``order``: the document's sort number (smallest first; ties by ``_id``); ``facets``: the
    tokens it can be filtered or seen by (``facet(name, value)``); ``summary``: the list
    item as JSON values (keys in ``fields`` order). All three get the stored document
    (``_id``, ``version`` and the state's fields).
    """

    collection: str
    fields: tuple[str, ...]
    order: Callable[[Document], float]
    facets: Callable[[Document], Iterable[str]]
    summary: Callable[[Document], Mapping[str, Any]]
    #: Facets asked together often (a department's list of one status): each pair gets
    #: lists of its own, so that such a page, too, costs the page alone.
    pairs: tuple[tuple[str, str], ...] = ()
    #: Large fields neither the summary nor the facets need (a body, a history): the load
    #: and the marker reads leave them in the store. They must have defaults in the model
    #: the summary is made with.
    unread: tuple[str, ...] = ()
    #: The summary and the facets from one reading of the document, for a record costly to
    #: read (a service validates its aggregate once for both); given, an entry is made with
    #: it instead of ``summary`` and ``facets`` apart.
    entry: Callable[[Document], tuple[Mapping[str, Any], Iterable[str]]] | None = None

    @property
    def projection(self) -> dict[str, int]:
        return {**_META_FIELDS, **{name: 0 for name in self.unread}}

    def read(self, doc: Document) -> tuple[Mapping[str, Any], list[str]]:
        """The document's summary and facet tokens, with those of the declared pairs."""
        if self.entry is not None:
            summary, facets = self.entry(doc)
        else:
            summary, facets = self.summary(doc), self.facets(doc)
        return summary, self._with_pairs(list(facets))

    def _with_pairs(self, tokens: list[str]) -> list[str]:
        if self.pairs:
            by_name: dict[str, list[str]] = {}
            for token in tokens:
                by_name.setdefault(token.split("=", 1)[0], []).append(token)
            tokens += [_pair(a, b) for first, second in self.pairs
                       for a in by_name.get(first, ()) for b in by_name.get(second, ())]
        return tokens


def _pair(first: str, second: str) -> str:
    return f"{first}&{second}"


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    total: int
    #: How many entries this answer looked at: the page's cost, for tests and benchmarks.
    examined: int


@dataclass(slots=True)
class _Entry:
    key: Key
    version: int
    facets: tuple[str, ...]
    values: tuple[Any, ...]


def _compact(value: Any) -> Any:
    # Tuples instead of lists, short strings shared: 100 000 entries stay small.
    if isinstance(value, str):
        return sys.intern(value) if len(value) <= _INTERN_CHARS else value
    if isinstance(value, list | tuple):
        return tuple(_compact(v) for v in value)
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items()}
    return value


def _expand(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_expand(v) for v in value]
    if isinstance(value, dict):
        return {k: _expand(v) for k, v in value.items()}
    return value


@dataclass
class ListProjection:
    """The entries of one collection in this process; see the module docstring."""

    spec: ListSpec
    db: AsyncDatabase[dict[str, Any]] | None = None
    load_wait_seconds: float = 4.5
    _entries: dict[str, _Entry] = field(default_factory=dict)
    _all: list[Key] = field(default_factory=list)
    _lists: dict[str, list[Key]] = field(default_factory=dict)
    _loaded: asyncio.Event = field(default_factory=asyncio.Event)
    _loading: asyncio.Task[None] | None = None
    #: While loading, only the entries are kept; the ordered lists are built once at the
    #: end (a sort), not by an insertion per document (which moves the lists each time).
    _bulk: bool = False

    # --- keeping it current ----------------------------------------------------------

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def loaded(self) -> bool:
        return self._loaded.is_set()

    def version_of(self, aggregate_id: str) -> int | None:
        entry = self._entries.get(aggregate_id)
        return None if entry is None else entry.version

    def put(self, doc: Document) -> bool:
        """Take the document's entry unless a newer (or the same) version is held."""
        aggregate_id = str(doc["_id"])
        version = int(doc.get("version") or 0)
        held = self._entries.get(aggregate_id)
        if held is not None and held.version >= version:
            return False
        summary, tokens = self.spec.read(doc)
        # A tuple, not a set: a third of the memory, and a handful of tokens is searched as
        # fast. The tokens themselves are shared between entries.
        facets = tuple(sorted({sys.intern(t) for t in tokens}))
        entry = _Entry(
            key=(float(self.spec.order(doc)), sys.intern(aggregate_id)), version=version,
            facets=facets,
            values=tuple(_compact(summary.get(name)) for name in self.spec.fields))
        if held is not None and not self._bulk:
            self._unlink(held)
        self._entries[aggregate_id] = entry
        if self._bulk:
            return True
        insort(self._all, entry.key)
        for token in entry.facets:
            insort(self._lists.setdefault(token, []), entry.key)
        return True

    def remove(self, aggregate_id: str) -> None:
        held = self._entries.pop(aggregate_id, None)
        if held is not None and not self._bulk:
            self._unlink(held)

    def fill(self, docs: Iterable[Document]) -> int:
        """Take many documents at once (the load; a benchmark's fill): one sort at the end."""
        self._begin_bulk()
        try:
            return sum(1 for doc in docs if self._put_or_skip(doc))
        finally:
            self._end_bulk()

    def _begin_bulk(self) -> None:
        self._bulk = True

    def _end_bulk(self) -> None:
        self._bulk = False
        by_token: dict[str, list[Key]] = {}
        for entry in self._entries.values():
            for token in entry.facets:
                by_token.setdefault(token, []).append(entry.key)
        for keys in by_token.values():
            keys.sort()
        self._all = sorted(entry.key for entry in self._entries.values())
        self._lists = by_token

    def _unlink(self, entry: _Entry) -> None:
        _discard(self._all, entry.key)
        for token in entry.facets:
            keys = self._lists.get(token)
            if keys is not None:
                _discard(keys, entry.key)
                if not keys:
                    del self._lists[token]

    async def written(self, aggregate_id: str, doc: dict[str, Any]) -> None:
        """The ``after_write`` hook: this process's own write is listed at once."""
        self.put(doc)

    async def load(self) -> None:
        """One scan of the collection (the start-up load), then the markers of writes made
        meanwhile by other replicas."""
        db = self._db()
        started = time.perf_counter()
        count = 0
        self._begin_bulk()
        try:
            async for doc in db[self.spec.collection].find({}, self.spec.projection):
                self._put_or_skip(doc)
                count += 1
                if count % _LOAD_YIELD_EVERY == 0:
                    await asyncio.sleep(0)  # the handlers run between batches
        finally:
            self._end_bulk()
        refreshed = await self.refresh()
        self._loaded.set()
        log.info("list_projection_loaded", collection=self.spec.collection, scan=True,
                 documents=count, entries=len(self._entries), refreshed=refreshed,
                 seconds=round(time.perf_counter() - started, 3))

    async def refresh(self) -> int:
        """Read by ``_id`` every aggregate whose marker is newer than its entry; returns how
        many entries changed. The marker set is small: only what changed in the last
        minutes."""
        db = self._db()
        markers = await db[TOUCHED].find({"collection": self.spec.collection}).to_list(None)
        changed = 0
        for marker in markers:
            aggregate_id = str(marker.get("aggregate") or "")
            held = self.version_of(aggregate_id)
            if not aggregate_id or (held is not None
                                    and held >= int(marker.get("version") or 0)):
                continue
            doc = await db[self.spec.collection].find_one({"_id": aggregate_id},
                                                          self.spec.projection)
            # Not there yet (the marker precedes the write) or an older version: the next
            # refresh looks again while the marker stays.
            if doc is not None and self._put_or_skip(doc):
                changed += 1
        return changed

    def _put_or_skip(self, doc: Document) -> bool:
        # A document the list cannot read (written by hand, or by an older shape) is left
        # out and said so; it must not keep every other document out of the list.
        try:
            return self.put(doc)
        except Exception as exc:
            log.warning("list_entry_unreadable", collection=self.spec.collection,
                        id=str(doc.get("_id")), error=repr(exc)[:500])
            return False

    async def tick(self) -> None:
        """The periodic task: the load on its first run, then the markers."""
        if not self.loaded:
            await self.ensure_loading()
            return
        await self.refresh()

    async def ensure_loading(self) -> None:
        if self._loading is None or (self._loading.done() and not self.loaded):
            self._loading = asyncio.get_running_loop().create_task(self.load())
        # Not shielded: when the service stops, the load stops with its periodic task.
        await self._loading

    def _db(self) -> AsyncDatabase[dict[str, Any]]:
        if self.db is None:
            raise RuntimeError(f"list projection {self.spec.collection} has no database")
        return self.db

    # --- answering ---------------------------------------------------------------------

    async def page(self, where: Sequence[Clause], *, offset: int, limit: int) -> Page:
        """The entries matching every clause of ``where``, in order: ``limit`` of them from
        ``offset``, and how many match in all. Waits for the start-up load (bounded)."""
        if not self.loaded:
            if self._loading is None or self._loading.done():
                # Asked before the periodic task started the load (or after it failed).
                self._loading = asyncio.get_running_loop().create_task(self.load())
            try:
                await asyncio.wait_for(self._loaded.wait(), timeout=self.load_wait_seconds)
            except TimeoutError:
                raise GovbusError(ErrorCode.unavailable, "列表正在加载，请稍后再试",
                                  collection=self.spec.collection,
                                  retry_after=LOADING_RETRY_AFTER_SECONDS) from None
        return self.page_now(where, offset=offset, limit=limit)

    def page_now(self, where: Sequence[Clause], *, offset: int, limit: int) -> Page:
        """``page`` from what is held now (no waiting)."""
        offset, limit = max(0, offset), max(0, limit)
        clauses = list(dict.fromkeys(
            frozenset((c,)) if isinstance(c, str) else frozenset(c) for c in where))
        if any(not c for c in clauses):
            return Page([], 0, 0)  # an empty disjunction holds for nothing
        clauses = self._paired(clauses)
        if not clauses:
            return self._slice(self._all, offset, limit)
        sizes = [sum(len(self._lists.get(t, ())) for t in c) for c in clauses]
        best = min(range(len(clauses)), key=sizes.__getitem__)
        walked, rest = clauses[best], [c for i, c in enumerate(clauses) if i != best]
        if len(walked) == 1 and not rest:
            (token,) = walked
            return self._slice(self._lists.get(token, []), offset, limit)
        total = examined = 0
        items: list[dict[str, Any]] = []
        for key in self._walk(walked):
            examined += 1
            entry = self._entries[key[1]]
            if all(not c.isdisjoint(entry.facets) for c in rest):
                if offset <= total < offset + limit:
                    items.append(self._item(entry))
                total += 1
        return Page(items, total, examined)

    def _paired(self, clauses: list[frozenset[str]]) -> list[frozenset[str]]:
        # Two single-value clauses of a declared pair become one clause on the pair's list.
        for first, second in self.spec.pairs:
            singles = {next(iter(c)).split("=", 1)[0]: c for c in clauses if len(c) == 1}
            a, b = singles.get(first), singles.get(second)
            if a is not None and b is not None and a != b:
                clauses = [c for c in clauses if c not in (a, b)]
                clauses.append(frozenset((_pair(next(iter(a)), next(iter(b))),)))
        return clauses

    def _walk(self, tokens: frozenset[str]) -> Iterator[Key]:
        lists = [self._lists[t] for t in tokens if t in self._lists]
        if len(lists) == 1:
            yield from lists[0]
            return
        previous: Key | None = None
        for key in heapq.merge(*lists):
            if key != previous:  # an entry under two of the tokens comes once
                yield key
            previous = key

    def _slice(self, keys: list[Key], offset: int, limit: int) -> Page:
        chosen = keys[offset:offset + limit]
        return Page([self._item(self._entries[k[1]]) for k in chosen], len(keys), len(chosen))

    def _item(self, entry: _Entry) -> dict[str, Any]:
        return {name: _expand(v) for name, v in zip(self.spec.fields, entry.values,
                                                     strict=True)}


def _discard(keys: list[Key], key: Key) -> None:
    i = bisect_left(keys, key)
    if i < len(keys) and keys[i] == key:
        del keys[i]


async def drop_indexes(collection: AsyncCollection[dict[str, Any]], *names: str) -> None:
    """Drop indexes that served list queries before the projections did: on MongoDB every
    write pays for an index, and no query uses these any more. Best effort: an index that
    cannot be dropped now is dropped at a later start."""
    try:
        existing = set(await collection.index_information())
        for name in names:
            if name in existing:
                await collection.drop_index(name)
    except PyMongoError as exc:
        log.warning("obsolete_index_kept", collection=collection.name, error=repr(exc))


# --- wiring into a service -------------------------------------------------------------------


@dataclass(frozen=True)
class DeclaredList:
    """A list projection a service declared: ``.of(ctx)`` is this process's projection."""

    spec: ListSpec

    @property
    def state_key(self) -> str:
        return f"govbus.listing.{self.spec.collection}"

    def of(self, ctx: ServiceContext) -> ListProjection:
        found = ctx.state.get(self.state_key)
        if found is None:
            found = ListProjection(self.spec, ctx.db,
                                   load_wait_seconds=ctx.settings.listing_load_wait_seconds)
            ctx.state[self.state_key] = found
            ctx.hooks(self.spec.collection).after_write.append(found.written)
        assert isinstance(found, ListProjection)
        return found


def declare(service: Service, spec: ListSpec) -> DeclaredList:
    """Keep a list projection of ``spec.collection`` in every process running ``service``:
    its hook is registered at start-up, and a periodic task loads it (its first run, in the
    background) and then reads the markers every ``listing_refresh_seconds``."""
    declared = DeclaredList(spec)

    async def attach(ctx: ServiceContext) -> None:
        declared.of(ctx)  # the hook is in place before the service takes a command

    async def tick(ctx: ServiceContext) -> None:
        await declared.of(ctx).tick()

    service.on_startup(attach)
    # The interval is the running host's setting, read when it starts the service.
    service.every(lambda ctx: ctx.settings.listing_refresh_seconds,
                  name=f"list_{spec.collection}")(tick)
    return declared


__all__ = ["TOUCHED", "Clause", "DeclaredList", "Document", "ListProjection", "ListSpec", "Page",
           "aggregate_fields", "any_of", "clauses", "declare", "drop_indexes", "facet",
           "newest_first"]
