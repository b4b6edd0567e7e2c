"""The kit's search index (``storedindex``): what a service gives it, what it holds, and how
it answers; in memory, then against the real store (two indexes on one database, a write
another replica made, the full pass)."""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest

from govbus_contracts.envelope import Principal
from govbus_kit import storedindex, textsearch
from govbus_kit.outbox import TOUCHED
from govbus_kit.storedindex import IndexItem, IndexSpec, MemoryIndex, StoredIndex
from govbus_kit.textsearch import field_terms, query_terms

ANYONE = Principal.anonymous()


@dataclass
class Notices(MemoryIndex):
    """An office's notices: a posted one is seen by anyone, a draft by nobody."""

    hidden_level: str = "draft"

    def sees(self, principal: Principal, level: str, owners: tuple[str, ...]) -> bool:
        return level == "posted"


@dataclass
class ExactNotices(Notices):
    weight_type: ClassVar[str] = "d"


def notice(kind: str, doc: Mapping[str, Any], body_chars: int) -> IndexItem | None:
    """Drafts give no item: nothing of them may be held."""
    if doc.get("status") != "posted":
        return None
    return IndexItem(
        key=storedindex.item_key(kind, str(doc["_id"])), kind=kind, id=str(doc["_id"]),
        version=int(doc["version"]), year=None, level="posted", owners=(),
        display={"title": doc["title"], "board": doc.get("board")}, body=doc.get("body"),
        terms=field_terms([], doc["title"], None, (doc.get("body") or "")[:body_chars]),
        order=doc.get("day"))


def spec(name: str = "search", index_type: type[MemoryIndex] = Notices,
         markers_on_refresh: bool = False) -> IndexSpec:
    return IndexSpec(sources={"notice": "notices"}, item=notice, index_type=index_type,
                     hidden_level="draft", name=name, markers_on_refresh=markers_on_refresh)


def doc(i: int, title: str, *, version: int = 1, status: str = "posted", day: int = 0,
        board: str = "front") -> dict[str, Any]:
    return {"_id": f"n{i}", "version": version, "status": status, "title": title,
            "body": title + "。", "day": day, "board": board}


def ranked(index: MemoryIndex, q: str, **kwargs: Any) -> list[str]:
    ranking = storedindex.rank_rows(index, query_terms(q), ANYONE, wanted=10, max_results=100,
                                    **kwargs)
    return [index.rows[row].id for row, _ in ranking.page]


def test_a_document_that_may_never_be_found_keeps_its_version_and_nothing_else() -> None:
    stored, index = StoredIndex(spec()), Notices()
    index.apply(stored.entry_of("notice", doc(1, "停水通知")))
    assert ranked(index, "停水") == ["n1"]
    # Back to a draft: its text is gone from memory, its version stays.
    draft = stored.entry_of("notice", doc(1, "停水通知", version=2, status="draft"))
    assert (draft["t"], draft["x"], draft["d"], draft["hidden"]) == (None, None, {}, True)
    index.apply(draft)
    assert (ranked(index, "停水"), index.live, index.version_of("notice:n1")) == ([], 0, 2)
    # Posted again: found again.
    index.apply(stored.entry_of("notice", doc(1, "停水通知", version=3)))
    assert ranked(index, "停水") == ["n1"]


def test_equal_scores_go_to_the_higher_order_then_the_key() -> None:
    stored, index = StoredIndex(spec()), Notices()
    for i, day in [(1, 5), (2, 9), (3, 5)]:
        index.apply(stored.entry_of("notice", doc(i, "停电通知", day=day)))
    assert ranked(index, "停电") == ["n2", "n1", "n3"]


def test_a_row_filter_keeps_only_what_the_query_asks_for() -> None:
    stored, index = StoredIndex(spec()), Notices()
    for i, board in enumerate(["front", "back", "front"]):
        index.apply(stored.entry_of("notice", doc(i, "停电通知", board=board)))
    front = ranked(index, "停电", row_filter=lambda row: index.rows[row].display["board"]
                   == "front")
    assert front == ["n0", "n2"]


def test_weights_of_eight_bytes_score_exactly_as_the_rule() -> None:
    rng = random.Random(4)
    titles = ["".join(rng.sample("停电停水通知关于调整公告", 6)) for _ in range(40)]
    for index_type, exact in [(ExactNotices, True), (Notices, False)]:
        stored, index = StoredIndex(spec(index_type=index_type)), index_type()
        postings: dict[str, dict[str, float]] = {}
        for i, title in enumerate(titles):
            d = doc(i, title)
            index.apply(stored.entry_of("notice", d))
            item = notice("notice", d, 3000)
            assert item is not None
            for term, weight in item.terms.items():
                postings.setdefault(term, {})[item.key] = weight
        terms = query_terms("停电 通知 公告")
        rule = textsearch.rank(terms, postings, {t: len(p) for t, p in postings.items()},
                               len(titles))
        ranking = storedindex.rank_rows(index, terms, ANYONE, wanted=100, max_results=100)
        scores, expected = [s for _, s in ranking.page], [s for _, s in rule.ranked]
        if exact:
            assert scores == expected
        else:  # 4-byte weights: the same to about the sixth digit
            assert scores == pytest.approx(expected, abs=1e-4)


def test_office_text_is_normalized_as_nfkc_by_the_quick_path() -> None:
    plain = [chr(c) for c in range(0x20, 0x30000)
             if not 0xD800 <= c <= 0xDFFF and not textsearch._NOT_PLAIN.search(chr(c))]
    assert len(plain) > 27000  # ASCII, CJK ideographs and punctuation, full-width forms
    for char in plain:
        assert textsearch.normalize(char) == unicodedata.normalize("NFKC", char).lower()
    rng = random.Random(7)
    anything = [chr(c) for c in range(0x20, 0x3000)]
    for _ in range(5000):
        text = "".join(rng.choice(plain if rng.random() < 0.9 else anything)
                       for _ in range(rng.randint(1, 16)))
        assert textsearch.normalize(text) == unicodedata.normalize("NFKC", text).lower()


# --- against the real store ------------------------------------------------------------------


@pytest.mark.servers
async def test_two_indexes_on_one_database_stay_apart(scratch_db) -> None:
    first, second = StoredIndex(spec("search")), StoredIndex(spec("notice_search"))
    await scratch_db["notices"].insert_one(doc(1, "停水通知"))
    for index in (first, second):
        await index.sweep(scratch_db)
    await first.index_written(scratch_db, "notice", doc(1, "停水通知", version=2))
    names = set(await scratch_db.list_collection_names())
    assert {"search_recent", "notice_search_recent"} <= names
    assert await scratch_db["search_recent"].count_documents({}) == 2
    assert await scratch_db["notice_search_recent"].count_documents({}) == 1


@pytest.mark.servers
async def test_a_write_another_replica_made_is_found_within_the_refresh(scratch_db) -> None:
    index = StoredIndex(spec(markers_on_refresh=True),
                        storedindex.SearchConfig(refresh_seconds=0.0))
    await scratch_db["notices"].insert_many([doc(1, "停水通知"), doc(2, "草稿", status="draft")])
    await index.periodic(scratch_db)  # the full pass of a start
    rows = await index.memory_index(scratch_db)
    assert (rows.live, rows.version_of("notice:n2")) == (1, 1)

    # Another replica wrote and died before its hook ran: only its marker tells.
    posted = doc(2, "停电通知", version=2)
    await scratch_db[TOUCHED].update_one(
        {"_id": "notices/n2"}, {"$set": {"collection": "notices", "aggregate": "n2",
                                         "at": datetime.now(UTC), "version": 2}},
        upsert=True)
    await scratch_db["notices"].replace_one({"_id": "n2"}, posted)
    rows = await index.memory_index(scratch_db)
    assert ranked(rows, "停电") == ["n2"]
