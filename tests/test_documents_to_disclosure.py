"""Documents → disclosure over the bus: a 主动公开 通知 walked from draft to dispatch by the
documents service's own commands appears in the disclosure catalogue (公开目录) with its
title, 发文字号 and body, and the public find it through the gateway without an account.

Real servers (session fixture), both services in one Host, the gateway app over ASGI.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from govbus_contracts.services.disclosure.catalogue import GET_CATALOGUE_ENTRY
from govbus_disclosure.domain.catalogue import entry_id_for_document
from govbus_disclosure.plugin import service as disclosure_service
from govbus_documents.plugin import service as documents_service
from govbus_gateway.app import create_app
from govbus_testing import OfficeClock, eventually, running
from govbus_testing.office import BODY, MONDAY_MORNING, OFFICER, TITLE, ask, dispatch_notice

pytestmark = pytest.mark.servers

SECRET = "d2d-secret-" + "c" * 40

async def test_a_dispatched_proactive_notice_reaches_the_public_catalogue(settings):
    async with running(settings, documents_service, disclosure_service,
                       clock=OfficeClock(MONDAY_MORNING)) as host:
        state = await dispatch_notice(host)
        assert state["status"] == "已核发"
        doc_id, doc_number = state["document_id"], state["doc_number"]
        entry_id = entry_id_for_document(doc_id)

        async def catalogued() -> dict[str, Any] | None:
            try:
                return await ask(host, GET_CATALOGUE_ENTRY, {"entry_id": entry_id}, OFFICER)
            except Exception:
                return None

        entry = await eventually(catalogued, lambda e: e is not None)
        assert entry is not None
        assert (entry["title"], entry["doc_number"], entry["body"], entry["source"],
                entry["status"], entry["document_id"], entry["information_date"],
                entry["published_on"], entry["late"], entry["category"]) == (
            TITLE, doc_number, BODY, "公文", "已公开", doc_id, "2026-03-02", "2026-03-02",
            False, "政府文件")
        assert entry["due_on"] == "2026-03-30"  # 20 working days after 成文日期

        # The public, without an account, through the gateway.
        app = create_app(settings, secret=SECRET)
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                         base_url="http://gw", timeout=30) as api:
                r = await api.get("/api/v1/disclosure/catalogue/search",
                                  params={"q": "森林防灭火", "category": "政府文件"})
                assert r.status_code == 200, r.text
                hits = r.json()["hits"]
                assert entry_id in [h["entry_id"] for h in hits]
                r = await api.get("/api/v1/disclosure/catalogue/search",
                                  params={"q": doc_number})
                assert r.json()["hits"][0]["entry_id"] == entry_id  # by its 发文字号
                r = await api.get(f"/api/v1/disclosure/catalogue/{entry_id}")
                assert r.status_code == 200, r.text
                public = r.json()
                assert (public["title"], public["doc_number"], public["body"],
                        public["audit"]) == (TITLE, doc_number, BODY, [])
                r = await api.post("/api/v1/disclosure/catalogue", json={
                    "category": "预决算", "title": "x", "information_date": "2026-03-02",
                    "issuing_organ": "y", "summary": "z"})
                assert r.status_code == 401  # staff routes need a token
