"""The public catalogue search and the staff list when another replica writes: what it
publishes is found within the refresh, what it withdraws leaves, from its ``_touched`` marker
and without reading the catalogue whole. The other replica is simulated: its entry and marker
are written directly, from another client, as its repository writes them."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from govbus_contracts.envelope import Principal
from govbus_contracts.services.disclosure.catalogue import (
    LIST_CATALOGUE,
    REGISTER_CATALOGUE_ENTRY,
    SEARCH_CATALOGUE,
)
from govbus_kit.bus import request
from govbus_testing import eventually, write_as_another_replica

pytestmark = pytest.mark.servers

FINANCE = Principal(subject="u-gk-qian", name="钱进", roles=frozenset({"disclosure_officer"}),
                    department="财政局")
PUBLIC = Principal.anonymous()


async def ask(host: Any, spec: Any, payload: dict[str, Any], who: Principal) -> dict[str, Any]:
    return await request(host.broker, spec, payload, principal=who, timeout=15)


async def test_what_another_replica_publishes_is_searchable_and_listed_within_the_refresh(
        settings, disclosure):
    async with disclosure("cat_replicas") as (host, db):
        mine = await ask(host, REGISTER_CATALOGUE_ENTRY, {
            "category": "预决算", "title": "宜春市2026年市本级部门预算公开",
            "summary": "市本级一般公共预算", "body": "现将宜春市2026年市本级部门预算公开如下。",
            "information_date": "2026-09-25", "issuing_organ": "宜春市财政局",
            "department": "财政局"}, FINANCE)
        assert (await ask(host, SEARCH_CATALOGUE, {"q": "部门预算"}, PUBLIC))["total"] == 1

        stored = await db["catalogue"].find_one({"_id": mine["entry_id"]},
                                                {"_outbox": 0, "_commands": 0, "_applied": 0})
        theirs = {**stored, "_id": f"other-{uuid.uuid4().hex}", "version": 1,
                  "title": "宜春市2026年政府采购意向公开", "summary": "政府采购意向",
                  "body": "为便于供应商及时了解政府采购信息, 现将采购意向公开如下。",
                  "information_date": "2026-09-26"}
        written = time.monotonic()
        await write_as_another_replica(settings.mongo_url, db.name, "catalogue", theirs)
        found = await eventually(lambda: ask(host, SEARCH_CATALOGUE, {"q": "采购意向"}, PUBLIC),
                                 lambda r: r["total"] == 1, timeout=10)
        after = time.monotonic() - written
        print(f"\n[lists] another replica's catalogue entry searchable after {after:.2f}s")
        assert found["hits"][0]["entry_id"] == theirs["_id"]
        assert after < 3
        listed = await eventually(lambda: ask(host, LIST_CATALOGUE, {}, FINANCE),
                                  lambda r: r["total"] == 2, timeout=10)
        assert [i["entry_id"] for i in listed["items"]] == [theirs["_id"], mine["entry_id"]]

        # Withdrawn by the other replica: out of the search, 已撤回 in the list.
        withdrawn = {**theirs, "version": 2, "status": "已撤回", "withdrawn_on": "2026-09-28"}
        await write_as_another_replica(settings.mongo_url, db.name, "catalogue", withdrawn)
        await eventually(lambda: ask(host, SEARCH_CATALOGUE, {"q": "采购意向"}, PUBLIC),
                         lambda r: r["total"] == 0, timeout=10)
        gone = await eventually(lambda: ask(host, LIST_CATALOGUE, {"status": "已撤回"}, FINANCE),
                                lambda r: r["total"] == 1, timeout=10)
        assert gone["items"][0]["entry_id"] == theirs["_id"]
