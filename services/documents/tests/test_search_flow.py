"""Full-text search through the bus with real servers, over ~2,000 documents built from
sentences of the tests' own office vocabulary (``govbus_testing.office_corpus``, the same for a
seed): ranking, visibility before ranking, filters, and catching up.

Timings are printed (run with ``-s``), never asserted.
"""

from __future__ import annotations

import random
import time
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

from govbus_contracts.envelope import Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.documents.archive import SEARCH_DOCUMENTS
from govbus_documents import indexing
from govbus_documents.handlers import search as _handlers  # noqa: F401  (binds the handlers)
from govbus_documents.service import service
from govbus_documents.settings import DocumentsSettings
from govbus_kit.bus import request
from govbus_kit.runtime import Host
from govbus_kit.settings import Settings
from govbus_kit.storedindex import StoredIndex
from govbus_testing import (
    isolated,
    office_corpus,
)

LEADER = Principal(subject="u-leader", roles=frozenset({"leader"}))
REVIEWER = Principal(subject="u-reviewer", roles=frozenset({"reviewer"}))
ADMIN = Principal(subject="u-admin", roles=frozenset({"admin"}))  # reads no classified one
EDUCATION = Principal(subject="u-edu", roles=frozenset({"handler"}), department="教育局")
FINANCE = Principal(subject="u-fin", roles=frozenset({"handler"}), department="财政局")
PUBLIC = Principal.anonymous()
PHRASE = "数字档案馆建设"
NUMBER = "宜府办发〔2026〕71号"


def documents_service(settings: Settings, label: str, **own: Any
                      ) -> AbstractAsyncContextManager[tuple[Host, Any]]:
    """The service on a database of its own; ``own``: its settings that differ."""
    return isolated(settings, service, label,
                    service_settings={service.name: DocumentsSettings(**own)})


def search_index(host: Host) -> StoredIndex:
    """The index of the service the host runs, as its settings configured it."""
    return indexing.index_of(host.contexts[service.name])


def office_sentences() -> list[str]:
    """The corpus's sentences: generated in the repository, none mentioning the phrase."""
    return [s for s in office_corpus.sentences(seed=20260302) if PHRASE not in s]


def generated(n: int, rng: random.Random) -> list[tuple[str, dict[str, Any]]]:
    """(collection, document) pairs shaped like the incoming and outgoing aggregates."""
    sentences = office_sentences()
    agencies = ["宜府办发", "宜府发", "宜府办函", "宜发", "宜府办电"]
    departments = ["办公室", "教育局", "财政局", "发改委", "住建局", "人社局"]
    out: list[tuple[str, dict[str, Any]]] = []
    for i in range(n):
        year = 2024 + i % 3
        body = "。".join(rng.sample(sentences, rng.randint(6, 16))) + "。"
        title = "关于" + rng.choice(sentences)[:rng.randint(8, 20)] + rng.choice(
            ["的通知", "的意见", "的报告", "的请示", "的函"])
        number = f"{rng.choice(agencies)}〔{year}〕{i + 100}号"
        level = "秘密" if i % 20 == 0 else "非密"
        common: dict[str, Any] = {
            "_id": f"g-{i:05d}", "version": 3, "title": title, "body": body,
            "classification_level": level, "departments": rng.sample(departments, 2),
            "date_of_writing": f"{year}-0{1 + i % 9}-1{i % 10}", "attachments": [],
            "history": [], "_outbox": [], "_commands": [], "_applied": []}
        if i % 2:
            out.append(("outgoing", {**common, "status": "已核发", "doc_number": number,
                                     "issuer": "宜昌市人民政府办公室"}))
        else:
            out.append(("incoming", {**common, "status": "承办中", "issuer_doc_number": number,
                                     "issuer": rng.choice(["中共宜昌市委办公室",
                                                           "湖北省人民政府办公厅",
                                                           "宜昌市财政局"])}))
    return out


def special(rng: random.Random) -> list[tuple[str, dict[str, Any]]]:
    """Documents the tests look for, among the generated ones."""
    sentences = office_sentences()

    def body(*inserts: str) -> str:
        parts = rng.sample(sentences, 10)
        for k, text in enumerate(inserts):
            parts.insert(2 + 3 * k, text)
        return "。".join(parts) + "。"

    def doc(doc_id: str, **fields: Any) -> dict[str, Any]:
        base: dict[str, Any] = {
            "_id": doc_id, "version": 4, "status": "已核发", "classification_level": "非密",
            "departments": ["办公室", "教育局"], "date_of_writing": "2026-03-02",
            "issuer": "宜昌市人民政府办公室", "attachments": [], "history": [],
            "_outbox": [], "_commands": [], "_applied": []}
        base.update(fields)
        return base

    return [
        ("outgoing", doc("s-title", title=f"关于推进{PHRASE}的实施意见",
                         doc_number="宜府办发〔2026〕12号", body=body())),
        ("outgoing", doc("s-body", title="关于做好2026年政务信息工作的通知",
                         doc_number="宜府办发〔2026〕13号",
                         body=body(f"加快{PHRASE}", f"{PHRASE}要有专人负责",
                                   f"年底前完成{PHRASE}验收"))),
        ("outgoing", doc("s-number", title="关于进一步加强自身建设的实施意见",
                         doc_number=NUMBER, body=body())),
        ("outgoing", doc("s-cites", title="关于贯彻落实有关文件的通知",
                         doc_number="宜府办发〔2026〕80号",
                         body=body(f"根据{NUMBER}文件精神"))),
        ("outgoing", doc("s-2025", title="关于加强值班工作的通知",
                         doc_number="宜府办发〔2025〕71号", date_of_writing="2025-06-01",
                         body=body())),
        ("outgoing", doc("s-secret", title=f"关于{PHRASE}经费的请示",
                         doc_number="宜府办发〔2026〕14号", classification_level="秘密",
                         classification_period="10年", departments=["财政局"],
                         body=body(f"{PHRASE}专项经费"))),
        ("incoming", doc("s-finance", title=f"关于{PHRASE}资金安排的函", status="承办中",
                         issuer_doc_number="宜财函〔2026〕5号", issuer="宜昌市财政局",
                         departments=["财政局"], body=body(f"{PHRASE}资金"))),
    ]


async def search(host: Host, principal: Principal, q: str, **extra: Any) -> dict[str, Any]:
    return await request(host.broker, SEARCH_DOCUMENTS, {"q": q, **extra},
                         principal=principal, timeout=20)


def ids(result: dict[str, Any]) -> list[str]:
    return [hit["id"] for hit in result["hits"]]


@pytest.fixture(scope="module")
def rng() -> random.Random:
    return random.Random(20260302)


@pytest.fixture(autouse=True)
def no_periodic_sweep(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests sweep when they choose; the service's own sweep would race them."""
    monkeypatch.setattr(service, "periodic_tasks",
                        [p for p in service.periodic_tasks if p.name != "search_index_sweep"])


async def test_search_over_two_thousand_documents_ranks_filters_and_hides(settings, rng):
    async with documents_service(settings, "search") as (host, db):
        docs = generated(2000, rng) + special(rng)
        for collection in ("incoming", "outgoing"):
            await db[collection].insert_many([d for c, d in docs if c == collection])
        started = time.perf_counter()
        summary = await search_index(host).sweep(db)
        indexed_in = time.perf_counter() - started
        assert summary["stale"] == len(docs) and summary["generations_built"] == 1

        started = time.perf_counter()
        by_leader = await search(host, LEADER, PHRASE)
        first_query = time.perf_counter() - started
        # A title match outranks a body-only match, however often the body repeats it.
        assert ids(by_leader)[:1] == ["s-title"] or ids(by_leader)[0] in {"s-secret",
                                                                          "s-finance"}
        assert ids(by_leader).index("s-title") < ids(by_leader).index("s-body")
        assert by_leader["matched_all_terms"]
        assert {"s-secret", "s-finance"} <= set(ids(by_leader))

        # An exact 发文字号 finds its document first, before documents citing it.
        by_number = await search(host, REVIEWER, NUMBER)
        assert ids(by_number)[0] == "s-number"
        assert ids(by_number).index("s-cites") > 0
        assert by_number["hits"][0]["doc_number"] == NUMBER

        # Visibility applies before ranking and counting.
        by_admin = await search(host, ADMIN, PHRASE)
        assert "s-secret" not in ids(by_admin)
        assert by_admin["total"] == by_leader["total"] - 1
        by_education = await search(host, EDUCATION, PHRASE)
        assert set(ids(by_education)) == {"s-title", "s-body"}
        assert by_education["total"] == 2
        by_finance = await search(host, FINANCE, PHRASE)
        assert set(ids(by_finance)) == {"s-secret", "s-finance"}
        secret = next(h for h in by_finance["hits"] if h["id"] == "s-secret")
        assert secret["snippet"] is None and secret["classification_level"] == "秘密"
        finance = next(h for h in by_finance["hits"] if h["id"] == "s-finance")
        assert PHRASE in finance["snippet"]
        with pytest.raises(GovbusError) as refused:
            await search(host, PUBLIC, PHRASE)
        assert refused.value.code is ErrorCode.forbidden

        # Filters: year and kind.
        in_2025 = await search(host, REVIEWER, "71号", year=2025)
        assert ids(in_2025)[0] == "s-2025"
        assert all(h["year"] == 2025 for h in in_2025["hits"])
        incoming_only = await search(host, LEADER, PHRASE, kind="收文")
        assert ids(incoming_only) == ["s-finance"]

        # Pages follow the ranking.
        everything = await search(host, REVIEWER, "办公室", limit=50)
        second_page = await search(host, REVIEWER, "办公室", offset=10, limit=10)
        assert ids(second_page) == ids(everything)[10:20]

        timings = []
        for q in ["政务信息", "督查督办", "进一步加强自身建设", NUMBER, "宜府办发〔2025〕", "会议"]:
            started = time.perf_counter()
            await search(host, REVIEWER, q)
            timings.append(time.perf_counter() - started)
        print(f"\n[search] indexed {len(docs)} documents in {indexed_in:.2f}s; first query "
              f"{first_query * 1000:.0f} ms; further queries "
              + ", ".join(f"{t * 1000:.0f}" for t in timings) + " ms")


async def test_changes_become_searchable_at_once_or_by_the_sweep(settings, rng, monkeypatch):
    async with documents_service(settings, "catchup", search_recent_max_docs=50) as (host, db):
        docs = generated(300, rng)
        for collection in ("incoming", "outgoing"):
            await db[collection].insert_many([d for c, d in docs if c == collection])
        await search_index(host).sweep(db)
        assert not (await search(host, LEADER, PHRASE))["matched_all_terms"]

        # A handler that calls the index after its write: searchable at once.
        await db["outgoing"].update_one({"_id": "g-00001"},
                                        {"$set": {"title": f"关于{PHRASE}的通知"},
                                         "$inc": {"version": 1}})
        await search_index(host).mark_for_indexing(db, "发文", "g-00001")
        found = await search(host, LEADER, PHRASE)
        assert found["matched_all_terms"] and ids(found) == ["g-00001"]

        # A write that did not call it: the sweep catches up by comparing versions.
        await db["incoming"].update_one({"_id": "g-00002"},
                                        {"$set": {"title": f"关于{PHRASE}的报告"},
                                         "$inc": {"version": 1}})
        assert (await search_index(host).sweep(db))["stale"] == 1
        assert set(ids(await search(host, LEADER, PHRASE))) == {"g-00001", "g-00002"}

        # Many changed documents at once are merged into a new generation; what was
        # recent stays findable across the merge.
        await db["incoming"].update_many({}, {"$inc": {"version": 1}})
        summary = await search_index(host).sweep(db)
        assert summary["generations_built"] == 1
        assert set(ids(await search(host, LEADER, PHRASE))) == {"g-00001", "g-00002"}
        assert await db["search_recent"].count_documents({}) == 0

        # A document that became classified and moved leaves the others' results.
        await db["outgoing"].update_one({"_id": "g-00001"},
                                        {"$set": {"classification_level": "机密",
                                                  "classification_period": "20年",
                                                  "departments": ["财政局"]},
                                         "$inc": {"version": 1}})
        await search_index(host).reindex_document(db, "发文", "g-00001")
        assert ids(await search(host, ADMIN, PHRASE)) == ["g-00002"]
        assert "g-00001" in ids(await search(host, LEADER, PHRASE))
