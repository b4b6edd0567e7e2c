"""The local FerretDB is built with the project's patch (infra/ferretdb/sqlite-id-index.patch).

Unpatched, FerretDB 1.24.2 on SQLite scans the whole table for every lookup, update and delete
by ``_id`` (issue 10): the ``_id`` expression of its queries is not the one of its unique
index, and a filter is pushed down only when it is exactly ``{_id: v}``, so a compare-and-set
on ``{_id, version}`` read every document. These rules hold the patch in place: the binary
says it is the patched build, SQLite's own plan of the statement searches the ``_id`` index,
and a compare-and-set costs the same in a large collection as in a small one.
"""

from __future__ import annotations

import re
import statistics
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient
from pymongo.database import Database

pytestmark = pytest.mark.servers

ROOT = Path(__file__).resolve().parents[1]


def patched_build() -> str:
    """The version the Makefile gives the patched build (FERRETDB_BUILD)."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    version = re.search(r"^FERRETDB_VERSION\s*:=\s*(\S+)", makefile, re.M)
    build = re.search(r"^FERRETDB_BUILD\s*:=\s*(\S+)", makefile, re.M)
    assert version and build, "the Makefile names FERRETDB_VERSION and FERRETDB_BUILD"
    return build.group(1).replace("$(FERRETDB_VERSION)", version.group(1))


@pytest.fixture
def db(servers: Any) -> Iterator[Database[Any]]:
    if servers.kind != "local":
        pytest.skip("the patch is to the local FerretDB; this server is not it")
    client: MongoClient[Any] = MongoClient(servers.mongo_url)
    name = "patch_" + uuid.uuid4().hex[:8]
    try:
        yield client[name]
    finally:
        client.drop_database(name)
        client.close()


def fill(db: Database[Any], start: int, stop: int) -> None:
    """Aggregates shaped like the repository's (an id, a version, some state), 1 000 a batch."""
    for lo in range(start, stop, 1000):
        db.things.insert_many(
            [{"_id": f"thing-{i:06d}", "version": 1, "state": {"title": "公文" * 40}}
             for i in range(lo, min(lo + 1000, stop))],
            ordered=False,
        )


def plan_of(db: Database[Any], filter_: dict[str, Any]) -> dict[str, Any]:
    """FerretDB's explain: its own SQLite's EXPLAIN QUERY PLAN of the statement it issues."""
    return db.command("explain", {"find": "things", "filter": filter_})


def test_the_local_ferretdb_is_the_patched_build(db: Database[Any]) -> None:
    info = db.command("buildInfo")
    assert info["ferretdbVersion"] == patched_build()
    assert "-govbus." in info["ferretdbVersion"]


@pytest.mark.parametrize(
    "filter_",
    [
        {"_id": "thing-000042"},
        {"_id": "thing-000042", "version": 1},  # the repository's compare-and-set
        {"_id": "thing-000042", "state.title": {"$exists": True}, "version": {"$gte": 1}},
    ],
    ids=["id", "id+version", "id+more"],
)
def test_a_filter_with_an_id_equality_searches_the_unique_id_index(
    db: Database[Any], filter_: dict[str, Any]
) -> None:
    fill(db, 0, 1000)
    explained = plan_of(db, filter_)
    assert explained["filterPushdown"] is True
    plan = " ".join(explained["queryPlanner"]["Plan"])
    assert re.search(r"SEARCH \S+ USING INDEX \S+__id_ ", plan), plan
    assert "SCAN" not in plan, plan


def test_a_filter_without_an_id_equality_is_not_narrowed(db: Database[Any]) -> None:
    fill(db, 0, 10)
    for filter_ in ({"version": 1}, {"_id": {"$in": ["thing-000001"]}}):
        assert plan_of(db, filter_)["filterPushdown"] is False


def test_the_whole_filter_still_decides_what_matches(db: Database[Any]) -> None:
    fill(db, 0, 10)
    things = db.things
    assert things.count_documents({"_id": "thing-000003", "version": 1}) == 1
    assert things.count_documents({"_id": "thing-000003", "version": 2}) == 0
    assert things.update_one({"_id": "thing-000003", "version": 2},
                             {"$set": {"version": 3}}).matched_count == 0
    assert things.update_one({"_id": "thing-000003", "version": 1},
                             {"$set": {"version": 2}}).modified_count == 1
    assert things.find_one_and_update({"_id": "thing-000003", "version": 1},
                                      {"$set": {"version": 9}}) is None
    assert things.delete_one({"_id": "thing-000004", "version": 7}).deleted_count == 0
    assert things.delete_one({"_id": "thing-000004", "version": 1}).deleted_count == 1
    assert things.count_documents({}) == 9
    # An integer _id is pushed down too, and still finds its equal stored as a double.
    things.insert_many([{"_id": 7.0, "version": 1}, {"_id": -0.0, "version": 1}])
    assert things.find_one({"_id": 7, "version": 1}) == {"_id": 7.0, "version": 1}
    assert things.find_one({"_id": 0}) is not None


def median_seconds(action: Any, times: int) -> float:
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        action()
        spent.append(time.perf_counter() - started)
    return statistics.median(spent)


def test_a_lookup_and_a_compare_and_set_cost_the_same_at_20_000_as_at_500(
    db: Database[Any],
) -> None:
    things = db.things

    def measure(n: int) -> tuple[float, float]:
        newest = f"thing-{n - 1:06d}"  # unpatched, a scan pays most for the newest
        version = [1]

        def cas() -> None:
            result = things.update_one({"_id": newest, "version": version[0]},
                                       {"$set": {"version": version[0] + 1}})
            assert result.modified_count == 1
            version[0] += 1

        return (median_seconds(lambda: things.find_one({"_id": newest}), 15),
                median_seconds(cas, 15))

    fill(db, 0, 500)
    find_small, cas_small = measure(500)
    fill(db, 500, 20_000)
    find_large, cas_large = measure(20_000)
    # Unpatched, both grow with the table (seconds at 20 000); 2 ms absorbs the noise of
    # a shared machine on timings of a few milliseconds.
    assert find_large <= 2 * find_small + 0.002, (find_small, find_large)
    assert cas_large <= 2 * cas_small + 0.002, (cas_small, cas_large)
