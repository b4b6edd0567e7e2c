"""List projections (govbus_kit.listing): pages and totals from memory, as a MongoDB filter
with sort and skip would answer them; kept current by the hook, the markers and the load."""

from __future__ import annotations

import asyncio
import gc
import random
import time
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_kit.listing import (
    LOADING_RETRY_AFTER_SECONDS,
    TOUCHED,
    ListProjection,
    ListSpec,
    any_of,
    clauses,
    facet,
    newest_first,
)

STATUSES = ["已登记", "待拟办", "待批示", "待承办", "办理中", "已办结"]
LEVELS = ["非密"] * 9 + ["秘密"]
#: The fields of a 收文 list item (IncomingSummary).
FIELDS = ("id", "registration_number", "status", "title", "doc_type", "issuer",
          "issuer_doc_number", "classification_level", "urgency", "received_on",
          "lead_department", "due_on", "due_on_provisional", "holders")


def spec(collection: str = "incoming", pairs: tuple[tuple[str, str], ...] = (
        ("departments", "status"),)) -> ListSpec:
    def facets(doc: dict[str, Any]) -> list[str]:
        return [facet("status", doc["status"]),
                facet("classification_level", doc["classification_level"]),
                *(facet("departments", d) for d in doc.get("departments") or [])]

    return ListSpec(
        collection=collection, fields=FIELDS,
        order=lambda doc: newest_first(doc.get("registered_at")), facets=facets,
        summary=lambda doc: {"id": doc["_id"], **{k: doc.get(k) for k in FIELDS[1:]}},
        pairs=pairs)


def document(i: int, rng: random.Random, departments: list[str], *, version: int = 1,
             start: datetime = datetime(2026, 1, 5, tzinfo=UTC)) -> dict[str, Any]:
    """A stored 收文 as the repository writes it (times as ISO strings); every tenth shares
    its registration time with the one before, so that ties (by ``_id``) are exercised."""
    lead = rng.choice(departments)
    return {
        "_id": f"doc-{uuid.UUID(int=rng.getrandbits(128))}", "version": version,
        "registration_number": f"收〔2026〕{i + 1}号", "status": rng.choice(STATUSES),
        "title": f"关于做好第{i}批重点项目资金拨付工作的通知", "doc_type": "通知",
        "issuer": "市财政局", "issuer_doc_number": f"宜财发〔2026〕{i + 1}号",
        "classification_level": rng.choice(LEVELS), "urgency": "平件",
        "received_on": "2026-03-02", "due_on": "2026-03-20", "due_on_provisional": False,
        "registered_at": (start + timedelta(seconds=i - i % 10 // 9)).isoformat(),
        "departments": sorted({lead, rng.choice(departments)}), "lead_department": lead,
        "holders": [lead],
    }


def reference(docs: list[dict[str, Any]], where: list[Any], offset: int, limit: int
              ) -> tuple[list[str], int]:
    """What MongoDB answers: filter, sort by time newest first then ``_id``, skip, limit."""
    def holds(doc: dict[str, Any]) -> bool:
        tokens = set(spec().facets(doc))
        return all((c in tokens) if isinstance(c, str) else bool(tokens & set(c))
                   for c in where)

    matching = sorted((d for d in docs if holds(d)),
                      key=lambda d: (-datetime.fromisoformat(d["registered_at"]).timestamp(),
                                     d["_id"]))
    return [d["_id"] for d in matching[offset:offset + limit]], len(matching)


def generated(n: int, seed: int = 7, departments: int = 40) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    names = [f"部门{k:02d}" for k in range(departments)]
    return [document(i, rng, names) for i in range(n)]


def filled(n: int, seed: int = 7, departments: int = 40, pairs: bool = True
           ) -> tuple[ListProjection, list[dict[str, Any]]]:
    docs = generated(n, seed, departments)
    projection = ListProjection(spec(pairs=(("departments", "status"),) if pairs else ()))
    projection.fill(docs)
    return projection, docs


def test_a_page_is_newest_first_ties_by_id_and_the_total_counts_every_match():
    projection, docs = filled(500)
    page = projection.page_now([], offset=30, limit=20)
    expected, total = reference(docs, [], 30, 20)
    assert [i["id"] for i in page.items] == expected
    assert page.total == total == 500
    assert page.items[0] == {"id": expected[0], **{
        k: (v if not isinstance(v, list) else list(v))
        for k, v in next(d for d in docs if d["_id"] == expected[0]).items() if k in FIELDS}}


@pytest.mark.parametrize("pairs", [True, False], ids=["with pairs", "without"])
def test_every_conjunction_of_facets_and_visibility_pages_as_the_filter_would(pairs):
    projection, docs = filled(2000, seed=11, pairs=pairs)
    rng = random.Random(3)
    departments = sorted({d for doc in docs for d in doc["departments"]})
    visibilities: list[list[Any]] = [
        [],  # cleared roles see everything
        [facet("classification_level", "非密")],  # the office's other staff
        [facet("departments", departments[0])],  # a department's handler
        [any_of(facet("classification_level", "非密"), facet("departments", departments[1]))],
    ]
    for _ in range(60):
        where = list(rng.choice(visibilities))
        if rng.random() < 0.6:
            where.append(facet("status", rng.choice(STATUSES)))
        if rng.random() < 0.5:
            where.append(facet("departments", rng.choice(departments)))
        offset, limit = rng.choice([0, 0, 5, 40]), rng.choice([1, 20, 200])
        page = projection.page_now(where, offset=offset, limit=limit)
        expected, total = reference(docs, where, offset, limit)
        assert ([i["id"] for i in page.items], page.total) == (expected, total), where


def test_an_entry_read_once_gives_the_same_entry_as_summary_and_facets_apart():
    """``entry``: a record costly to read is read once per write, for its summary and its
    facets (pairs included), and pages exactly as with the two functions."""
    base = spec()
    reads: list[str] = []

    def entry(doc: dict[str, Any]) -> tuple[Any, list[str]]:
        reads.append(doc["_id"])
        return base.summary(doc), list(base.facets(doc))

    def never(doc: dict[str, Any]) -> Any:
        raise AssertionError("summary or facets called beside entry")

    once = ListProjection(ListSpec(collection="incoming", fields=FIELDS, order=base.order,
                                   facets=never, summary=never, pairs=base.pairs,
                                   entry=entry))
    apart, docs = filled(40)
    for doc in docs:
        assert once.put(doc)
    assert reads == [doc["_id"] for doc in docs]
    department = docs[0]["departments"][0]
    for where in ([], [facet("departments", department)],
                  [facet("departments", department), facet("status", docs[0]["status"])]):
        assert once.page_now(where, offset=0, limit=100).items == apart.page_now(
            where, offset=0, limit=100).items


def test_a_newer_version_moves_the_entry_and_an_older_one_changes_nothing():
    projection, docs = filled(50)
    doc = docs[0]
    moved = {**doc, "version": 2, "status": "已办结", "departments": ["新部门"]}
    assert projection.put(moved)
    assert not projection.put(doc)  # the scan's older copy, arriving late
    assert [i["id"] for i in projection.page_now([facet("departments", "新部门")], offset=0,
                                                 limit=10).items] == [doc["_id"]]
    for gone in doc["departments"]:
        ids = [i["id"] for i in projection.page_now([facet("departments", gone)], offset=0,
                                                    limit=100).items]
        assert doc["_id"] not in ids
    assert projection.page_now([], offset=0, limit=100).total == 50


def test_simple_filters_become_clauses_and_anything_else_is_refused():
    assert clauses({}) == []
    assert clauses({"classification_level": "非密"}) == ["classification_level=非密"]
    assert clauses({"$or": [{"classification_level": "非密"}, {"departments": "财政局"}]}) == [
        frozenset({"classification_level=非密", "departments=财政局"})]
    assert clauses({"$and": [{"department": "财政局"}, {"late": True}]}) == [
        "department=财政局", "late=true"]
    with pytest.raises(ValueError):
        clauses({"received_on": {"$gte": "2026-01-01"}})


def test_newest_first_orders_by_the_moment_not_the_spelling():
    utc = "2026-03-02T01:00:00.500000+00:00"
    beijing = "2026-03-02T09:00:00+08:00"  # half a second earlier, spelled later
    assert newest_first(utc) < newest_first(beijing)
    assert newest_first("2026-03-02") < newest_first("2026-03-01") < newest_first(None)


def test_a_departments_page_at_100_000_entries_costs_the_page_not_the_collection():
    ratios = {}
    for n in (1_000, 100_000):
        projection, docs = filled(n, departments=50)
        department = docs[0]["departments"][0]
        started = time.perf_counter()
        handler = projection.page_now([facet("departments", department)], offset=0, limit=20)
        middle = time.perf_counter()
        with_status = projection.page_now(
            [facet("departments", department), facet("status", "办理中")], offset=0, limit=20)
        seconds = (middle - started, time.perf_counter() - middle)
        in_department = handler.total
        # A handler's own department, and one status of it (a declared pair): the page alone.
        assert handler.examined == len(handler.items) == 20
        assert with_status.examined == len(with_status.items)
        assert in_department < n
        ratios[n] = (handler.examined, with_status.examined, seconds)
        print(f"\n[listing] {n} entries: a department's page examined {handler.examined}, "
              f"in {seconds[0] * 1000:.2f} ms; with a status {with_status.examined} "
              f"(department {in_department}) in {seconds[1] * 1000:.2f} ms")
    small, large = ratios[1_000], ratios[100_000]
    print(f"[listing] 100 000 / 1 000: a department's page examined "
          f"{large[0] / small[0]:.1f}× (time {large[2][0] / small[2][0]:.1f}×); with a status "
          f"{large[1] / small[1]:.1f}× (time {large[2][1] / small[2][1]:.1f}×)")
    assert large[0] == small[0] and large[1] <= 20


def test_without_a_pair_a_status_within_a_department_costs_the_department_at_most():
    projection, docs = filled(5000, departments=50, pairs=False)
    department = docs[0]["departments"][0]
    page = projection.page_now([facet("departments", department), facet("status", "办理中")],
                               offset=0, limit=20)
    in_department = projection.page_now([facet("departments", department)], offset=0,
                                        limit=1).total
    assert page.examined <= in_department < len(docs)


def test_an_entry_of_a_list_of_100_000_takes_about_a_kilobyte():
    # Measured on 10 000 (tracemalloc slows the fill eightfold); per entry it is the same
    # at 100 000 (measured once: 105 MB, 1.1 KB per entry).
    n = 10_000
    tracemalloc.start()
    docs = generated(n, departments=50)
    projection = ListProjection(spec())
    projection.fill(docs)
    del docs  # what stays is the projection's own, its strings included
    gc.collect()
    size, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(projection) == n
    print(f"\n[listing] {n} 收文 list entries: {size / 2**20:.1f} MB, {size / n:.0f} B per "
          f"entry; at 100 000: about {size / n * 100_000 / 2**20:.0f} MB")
    assert size / n < 1536


# --- against the real store ------------------------------------------------------------------


@pytest.fixture
async def store(scratch_db):
    return scratch_db


async def write_as_a_replica(db, doc: dict[str, Any]) -> None:
    """What another replica's repository does: the marker first, then the document."""
    await db[TOUCHED].update_one(
        {"_id": f"incoming/{doc['_id']}"},
        {"$set": {"collection": "incoming", "aggregate": doc["_id"],
                  "at": datetime.now(UTC), "version": doc["version"]}}, upsert=True)
    await db["incoming"].replace_one({"_id": doc["_id"]}, doc, upsert=True)


@pytest.mark.servers
async def test_a_list_asked_during_the_load_waits_for_the_whole_collection(store):
    rng = random.Random(5)
    docs = [document(i, rng, ["财政局", "教育局"]) for i in range(1500)]
    await store["incoming"].insert_many(docs)
    projection = ListProjection(spec(), store, load_wait_seconds=60)
    loading = asyncio.create_task(projection.tick())  # the periodic task's first run
    await asyncio.sleep(0.01)
    # Written by another replica while the load runs: found after it, by its marker.
    during = document(2000, rng, ["审计局"])
    await write_as_a_replica(store, during)
    page = await projection.page([], offset=0, limit=10)
    await loading
    assert page.total in (1500, 1501)  # never a partial list
    listed = await projection.page([facet("departments", "审计局")], offset=0, limit=10)
    assert [i["id"] for i in listed.items] == [during["_id"]]


@pytest.mark.servers
async def test_a_list_not_loaded_in_time_answers_unavailable_with_when_to_retry(store):
    rng = random.Random(6)
    await store["incoming"].insert_many([document(i, rng, ["财政局"]) for i in range(3000)])
    projection = ListProjection(spec(), store, load_wait_seconds=0.001)
    with pytest.raises(GovbusError) as refused:
        await projection.page([], offset=0, limit=10)
    assert refused.value.code is ErrorCode.unavailable
    assert refused.value.details["retry_after"] == LOADING_RETRY_AFTER_SECONDS
    await projection.ensure_loading()
    assert (await projection.page([], offset=0, limit=10)).total == 3000


@pytest.mark.servers
async def test_a_write_by_another_replica_appears_at_the_next_refresh(store):
    rng = random.Random(9)
    first = document(0, rng, ["财政局"])
    await store["incoming"].insert_one(first)
    projection = ListProjection(spec(), store)
    await projection.tick()
    assert projection.page_now([], offset=0, limit=10).total == 1

    changed = {**first, "version": 2, "status": "已办结"}
    await write_as_a_replica(store, changed)
    added = document(1, rng, ["财政局"])
    await write_as_a_replica(store, added)
    await projection.tick()  # every listing_refresh_seconds
    done = projection.page_now([facet("status", "已办结")], offset=0, limit=10)
    assert [i["id"] for i in done.items] == [first["_id"]]
    assert projection.page_now([], offset=0, limit=10).total == 2

    # A marker ahead of its write (the write still to come) is followed when it lands.
    ahead = {**added, "version": 2, "title": "关于调整第1批重点项目资金的通知"}
    await store[TOUCHED].update_one({"_id": f"incoming/{added['_id']}"},
                                    {"$set": {"version": 2}})
    await projection.tick()
    assert projection.version_of(added["_id"]) == 1
    await store["incoming"].replace_one({"_id": added["_id"]}, ahead)
    await projection.tick()
    assert projection.version_of(added["_id"]) == 2
