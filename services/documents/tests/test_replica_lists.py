"""收文 lists and search when another replica writes: what it writes is listed within the
refresh and found by the search index, from its ``_touched`` marker, without a scan. The other
replica is simulated: its document and marker are written directly, from another client, as
its repository writes them."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from govbus_contracts.envelope import Principal
from govbus_contracts.services.documents import outgoing as out
from govbus_contracts.services.documents.archive import SEARCH_DOCUMENTS
from govbus_contracts.services.documents.incoming import (
    ASSIGN_INCOMING,
    LIST_INCOMING,
    PROPOSE_HANDLING,
    REGISTER_INCOMING,
    REVIEW_INCOMING,
)
from govbus_documents import indexing
from govbus_documents.plugin import service
from govbus_testing import IsolatedSettings, eventually, isolated, running, write_as_another_replica
from govbus_testing.office import CLERK as REGISTRAR
from govbus_testing.office import LEADER, ask, handler

pytestmark = pytest.mark.servers


async def register(host: Any, title: str) -> dict[str, Any]:
    return await ask(host, REGISTER_INCOMING, {
        "issuer": "区委办公室", "issuer_doc_number": "区委办发〔2026〕12号", "doc_type": "意见",
        "urgency": "平件", "received_on": "2026-09-30", "copies": 1, "title": title,
        "body": "经研究, 制定本意见。"}, REGISTRAR)


async def test_a_document_another_replica_registers_is_listed_within_the_refresh(settings):
    department = f"审计局-{uuid.uuid4().hex[:6]}"
    async with isolated(settings, service, "replicas") as (host, db):
        mine = await register(host, "关于做好年度审计整改工作的意见")
        listed = await ask(host, LIST_INCOMING, {}, LEADER)
        assert [i["id"] for i in listed["items"]] == [mine["id"]]

        stored = await db["incoming"].find_one({"_id": mine["id"]},
                                               {"_outbox": 0, "_commands": 0, "_applied": 0})
        theirs = {**stored, "_id": f"other-{uuid.uuid4().hex}", "version": 1,
                  "registration_number": "收〔2026〕9001号", "title": "关于审计发现问题移送的函",
                  "registered_at": datetime.now(UTC).isoformat(), "departments": [department]}
        written = time.monotonic()
        await write_as_another_replica(settings.mongo_url, db.name, "incoming", theirs)

        seen = await eventually(
            lambda: ask(host, LIST_INCOMING, {"department": department}, handler(department)),
            lambda page: page["total"] == 1, timeout=10)
        after = time.monotonic() - written
        print(f"\n[lists] another replica's 收文 listed after {after:.2f}s "
              f"(refresh every {settings.listing_refresh_seconds}s)")
        assert seen["items"][0]["title"] == "关于审计发现问题移送的函"
        assert after < settings.listing_refresh_seconds + 2
        everything = await ask(host, LIST_INCOMING, {}, LEADER)
        assert [i["id"] for i in everything["items"]] == [theirs["_id"], mine["id"]]

        # Its next step, written by the other replica too: the list follows the status.
        moved = {**theirs, "version": 2, "status": "待拟办"}
        await write_as_another_replica(settings.mongo_url, db.name, "incoming", moved)
        await eventually(
            lambda: ask(host, LIST_INCOMING, {"status": "待拟办"}, LEADER),
            lambda page: [i["id"] for i in page["items"]] == [theirs["_id"]], timeout=10)


async def test_the_search_index_catches_up_on_another_replicas_write_by_its_marker(settings):
    async with isolated(settings, service, "replica_search") as (host, db):
        search_index = indexing.index_of(host.contexts[service.name])
        mine = await register(host, "关于加强机关节能降耗管理的意见")
        await search_index.periodic(db)  # the start-up pass
        stored = await db["incoming"].find_one({"_id": mine["id"]},
                                               {"_outbox": 0, "_commands": 0, "_applied": 0})
        # Written by a replica that died before indexing it.
        theirs = {**stored, "_id": f"other-{uuid.uuid4().hex}", "version": 1,
                  "title": "关于开展古树名木普查登记的意见"}
        await write_as_another_replica(settings.mongo_url, db.name, "incoming", theirs)
        assert (await ask(host, SEARCH_DOCUMENTS, {"q": "古树名木"}, LEADER))["total"] == 0

        caught = await search_index.periodic(db)  # after the start-up pass: the markers only
        assert caught["stale"] == 1
        found = await ask(host, SEARCH_DOCUMENTS, {"q": "古树名木"}, LEADER)
        assert [h["id"] for h in found["hits"]] == [theirs["_id"]]
        # Nothing new: nothing read again.
        assert (await search_index.periodic(db))["stale"] == 0


async def test_a_list_answers_alike_from_its_writes_and_from_its_load_after_a_restart(settings):
    lead = f"财政局-{uuid.uuid4().hex[:6]}"
    async with isolated(settings, service, "restart") as (host, db):
        first = await register(host, "关于下达年度预算指标的通知")
        await register(host, "关于开展财政资金专项检查的通知")
        await ask(host, REVIEW_INCOMING, {"id": first["id"], "decision": "受理"}, REGISTRAR)
        await ask(host, PROPOSE_HANDLING, {"id": first["id"], "opinion": "拟请财政局办理",
                                           "lead_department": lead,
                                           "needs_instruction": False}, REGISTRAR)
        await ask(host, ASSIGN_INCOMING, {"id": first["id"], "lead_department": lead},
                  REGISTRAR)
        drafter = Principal(subject="u-drafter", name="李明", roles=frozenset({"drafter"}),
                            department="秘书科")
        await ask(host, out.DRAFT_OUTGOING, {
            "doc_type": "通知", "title": "关于做好秋冬季森林防灭火工作的通知",
            "body": "现将有关事项通知如下。", "main_recipients": ["市应急管理局"],
            "cc_recipients": [], "recipient_departments": [], "disclosure": "主动公开",
            "issuer_code": "宜府办发", "issuing_organ": "宜春市人民政府办公室"}, drafter)
        written = await ask(host, LIST_INCOMING, {}, LEADER)
        assert written["items"][1]["lead_department"] == lead
        assert written["items"][1]["due_on"] is not None
        drafts = await ask(host, out.LIST_OUTGOING, {}, LEADER)
        assert drafts["total"] == 1
    # Another life of the service on the same database: the lists come from the load.
    again = IsolatedSettings(**settings.model_dump(), database=db.name)
    async with running(again, service) as restarted:
        assert await ask(restarted, LIST_INCOMING, {}, LEADER) == written
        assert await ask(restarted, out.LIST_OUTGOING, {}, LEADER) == drafts
