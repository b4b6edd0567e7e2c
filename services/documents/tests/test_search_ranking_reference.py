"""The search's fast ranking answers exactly as the plain rule does.

``indexing.rank_rows`` filters postings by groups of alike rows, scores them with C-level
``map``, and reads a one-term query's long postings best first, stopping at the page.
Whatever it does, it must answer what ``textsearch.rank`` answers over every current row the
principal may read (the rule the search had before): the same page in the same order with
the same scores, the same total and the same AND/OR outcome. Random documents with many
tied weights, years, 密级, departments, updates and withdrawals, in random key order.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from govbus_contracts.envelope import Principal
from govbus_contracts.services.documents.common import Classification, DocumentKind
from govbus_documents import indexing
from govbus_documents.domain.access import may_read
from govbus_documents.domain.search import IndexedDocument, document_key, rank
from govbus_kit import storedindex

TERMS = ["通知", "财政", "资金", "审计", "督办", "教育", "卫生", "招标"]
# Many ties; 1.0000001 and 1.0 are different weights that a score rounds alike.
WEIGHTS = [1.0, 1.0, 1.0, 1.0000001, 1.6931, 2.0986, 3.0, 5.0, 6.0, 10.0]
YEARS = [None, 2024, 2025, 2026, 2026]
DEPARTMENTS = ["教育局", "财政局", "审计局"]
PRINCIPALS = [
    Principal(subject="h", roles=frozenset({"handler"}), department="教育局"),
    Principal(subject="d", roles=frozenset({"drafter"}), department="财政局"),
    Principal(subject="l", roles=frozenset({"leader"})),
    Principal(subject="a", roles=frozenset({"admin"})),
    Principal(subject="n", roles=frozenset()),
]


def random_entry(rng: random.Random, doc_id: str, version: int) -> dict[str, Any]:
    level = Classification.secret if rng.random() < 0.2 else Classification.none
    terms = {t: rng.choice(WEIGHTS) for t in rng.sample(TERMS, rng.randint(1, 5))}
    kind = DocumentKind.incoming if doc_id < "m" else DocumentKind.outgoing
    doc = IndexedDocument(
        key=document_key(kind, doc_id), kind=kind, id=doc_id, version=version,
        year=rng.choice(YEARS), classification_level=level,
        departments=tuple(rng.sample(DEPARTMENTS, rng.randint(0, 2))), doc_number=None,
        title=f"标题{doc_id}", issuer=None, status=None, body=None, terms=terms)
    return indexing._entry(doc, 100)


def reference(index: indexing.MemoryIndex, terms: list[str], principal: Principal,
              kind: DocumentKind | None, year: int | None, max_results: int
              ) -> tuple[list[tuple[str, float]], int, bool]:
    """The search as it was: every posting checked, ``rank`` over keys, then cut."""
    postings: dict[str, dict[str, float]] = {}
    frequency: dict[str, int] = {}
    years: dict[str, int] = {}
    for term in terms:
        hits: dict[str, float] = {}
        df = 0
        slot = index.postings.get(term)
        for i, weight in zip(*(slot or ((), ())), strict=True):
            row = index.rows[i]
            if not row.alive:
                continue
            df += 1
            if ((kind is None or row.kind == kind.value) and (year is None or row.year == year)
                    and may_read(principal, Classification(row.level), row.departments)):
                hits[row.key] = weight
                years[row.key] = row.year or 0
        postings[term], frequency[term] = hits, df
    ranking = rank(terms, postings, frequency, max(index.live, 1), tie_break=years,
                   limit=max_results)
    ranked = ranking.ranked[:max_results]
    return ranked, len(ranked), ranking.matched_all_terms


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_fast_ranking_answers_exactly_as_the_rule_over_every_readable_row(
        seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # Long postings are kept by weight and year from a few rows on, so that a one-term
    # query takes that path here too.
    monkeypatch.setattr(storedindex, "BUCKET_MIN_POSTINGS", 20)
    rng = random.Random(seed)
    index = indexing.MemoryIndex()
    ids = [f"{rng.choice('az')}{rng.randrange(10**6):06d}" for _ in range(600)]
    versions = dict.fromkeys(ids, 0)
    queries = [[t] for t in TERMS] + [["不在"], ["通知", "财政"], ["审计", "不在"],
                                      ["督办", "教育", "卫生"]]
    compared = 0
    # Few writes between queries as well as many: a term's df is then kept by looking up
    # the rows that died since, else recounted.
    for round_ in range(20):
        for doc_id in rng.sample(ids, 300 if round_ == 0 else rng.choice([3, 60])):
            versions[doc_id] += 1
            if round_ and rng.random() < 0.15:
                kind = DocumentKind.incoming if doc_id < "m" else DocumentKind.outgoing
                index.apply(indexing._withdrawal(kind, doc_id))
            else:
                index.apply(random_entry(rng, doc_id, versions[doc_id]))
        for _ in range(12):
            terms = rng.choice(queries)
            principal = rng.choice(PRINCIPALS)
            kind = rng.choice([None, None, DocumentKind.incoming])
            year = rng.choice([None, None, 2026, 2025])
            max_results = rng.choice([30, 200])
            offset, limit = rng.choice([(0, 20), (0, 5), (20, 20), (25, 20), (300, 20)])
            ranked, total, matched_all = reference(index, terms, principal, kind, year,
                                                   max_results)
            got = indexing.rank_rows(index, terms, principal, kind=kind, year=year,
                                     wanted=min(offset + limit, max_results),
                                     max_results=max_results)
            page = [(index.rows[i].key, score) for i, score in got.page[offset:offset + limit]]
            assert page == ranked[offset:offset + limit], (terms, principal.subject, kind, year)
            assert (got.total, got.matched_all_terms) == (total, matched_all)
            compared += 1
    assert compared == 240
    assert any(len(index.postings[t][0]) >= 20 and t in index.buckets for t in TERMS)
