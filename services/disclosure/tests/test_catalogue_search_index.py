"""The public catalogue search on the kit's search index answers exactly as the rule does.

``domain.catalogue_search.search`` is the rule over the public entries (ranking, filters by
category and dates, newest first without words, snippets, pages). The service answers over
the kit's index (``catalogue_index``), which holds every entry's version but the text of
public ones only. Random entries with updates, withdrawals and repeals, random queries: the
same reply, hit for hit. No servers.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pytest

from govbus_contracts.services.disclosure.catalogue import SearchCatalogue
from govbus_disclosure.catalogue_index import KIND, SPEC, CatalogueRows, answer, item_of
from govbus_disclosure.domain.catalogue_search import IndexedEntry, index_entry, search
from govbus_kit import storedindex
from govbus_kit.storedindex import SearchConfig, StoredIndex

WORDS = ["政务公开", "部门预算", "决算", "统计数据", "森林防火", "采购意向", "人民防空",
         "宜春市", "工作要点", "通知"]
CATEGORIES = ["政府文件", "预决算", "统计信息", "规章"]
STATUSES = ["已公开", "已公开", "已公开", "已废止", "待公开", "已撤回"]
START = date(2026, 1, 1)


def stored_doc(rng: random.Random, entry_id: str, version: int) -> dict[str, Any]:
    info = START + timedelta(days=rng.randrange(60))
    published = info + timedelta(days=rng.randrange(20)) if rng.random() < 0.9 else None
    return {
        "_id": entry_id, "version": version, "status": rng.choice(STATUSES),
        "category": rng.choice(CATEGORIES), "title": "关于" + "".join(rng.sample(WORDS, 2)),
        "doc_number": f"宜府办发〔2026〕{rng.randrange(1, 9)}号" if rng.random() < 0.3 else None,
        "issuing_organ": "宜春市人民政府办公室", "information_date": info.isoformat(),
        "published_on": published.isoformat() if published else None,
        "summary": rng.choice([None, "".join(rng.sample(WORDS, 1))]),
        "body": "，".join(rng.sample(WORDS, rng.randint(1, 5))) + "。",
    }


def held(doc: dict[str, Any]) -> IndexedEntry | None:
    """What the index of before held of a stored entry: public ones only."""
    if item_of(KIND, doc, 20000) is None:
        return None
    return index_entry(
        id=doc["_id"], version=doc["version"], status=doc["status"], category=doc["category"],
        title=doc["title"], doc_number=doc["doc_number"], issuing_organ=doc["issuing_organ"],
        information_date=date.fromisoformat(doc["information_date"]),
        published_on=(date.fromisoformat(doc["published_on"]) if doc["published_on"]
                      else None),
        summary=doc["summary"], body=doc["body"], body_chars=20000)


def random_query(rng: random.Random) -> SearchCatalogue:
    words = rng.sample(WORDS, rng.randint(0, 3)) + (["不存在"] if rng.random() < 0.1 else [])
    fields: dict[str, Any] = {"q": " ".join(words) or None, "limit": rng.randint(1, 8),
                              "offset": rng.choice([0, 0, 1, 3, 10])}
    if rng.random() < 0.3:
        fields["category"] = rng.choice(CATEGORIES)
    if rng.random() < 0.3:
        fields["information_from"] = START + timedelta(days=rng.randrange(30))
    if rng.random() < 0.2:
        fields["published_to"] = START + timedelta(days=30 + rng.randrange(40))
    return SearchCatalogue(**fields)


@pytest.mark.parametrize("seed", range(6))
def test_the_index_answers_as_the_rule_over_the_public_entries(
        seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # Long postings kept by weight and order from a few rows on: one-word queries take
    # that path too.
    monkeypatch.setattr(storedindex, "BUCKET_MIN_POSTINGS", 10 if seed % 2 else 512)
    rng = random.Random(seed)
    stored = StoredIndex(SPEC, SearchConfig(body_chars=20000))
    rows = CatalogueRows()
    current: dict[str, dict[str, Any]] = {}
    for step in range(160):
        entry_id = f"e{rng.randrange(90):03d}"
        version = current[entry_id]["version"] + 1 if entry_id in current else 1
        doc = current[entry_id] = stored_doc(rng, entry_id, version)
        rows.apply({**stored.entry_of(KIND, doc), "_id": f"{entry_id}@{version}"})
        if step % 40 == 39:
            entries = {e.id: e for e in map(held, current.values()) if e is not None}
            postings: dict[str, dict[str, float]] = {}
            for e in entries.values():
                for term, weight in e.terms.items():
                    postings.setdefault(term, {})[e.id] = weight
            for _ in range(40):
                query = random_query(rng)
                assert answer(rows, query, snippet_chars=40) == search(
                    entries, postings, query, snippet_chars=40), query


def test_what_is_not_public_keeps_only_its_version() -> None:
    stored = StoredIndex(SPEC)
    doc = stored_doc(random.Random(1), "e1", 4) | {"status": "待公开"}
    entry = stored.entry_of(KIND, doc)
    assert (entry["v"], entry["hidden"], entry["d"], entry["t"], entry["x"]) == (4, True, {},
                                                                                None, None)
    rows = CatalogueRows()
    rows.apply(entry)
    assert (rows.version_of(f"{KIND}:e1"), rows.live, rows.postings) == (4, 0, {})
    assert answer(rows, SearchCatalogue(), snippet_chars=80).total == 0
