"""Documents → disclosure over the bus: a 主动公开 通知 walked from draft to dispatch by the
documents service's own commands appears in the disclosure catalogue (公开目录) with its
title, 发文字号 and body, and the public find it through the gateway without an account.

Real servers (session fixture), both services in one Host, the gateway app over ASGI.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from govbus_contracts.envelope import Principal
from govbus_contracts.registry import CommandSpec, QuerySpec
from govbus_contracts.services.disclosure.catalogue import GET_CATALOGUE_ENTRY
from govbus_contracts.services.documents.outgoing import (
    DISPATCH_OUTGOING,
    DRAFT_OUTGOING,
    PRINT_OUTGOING,
    RECHECK_OUTGOING,
    REGISTER_OUTGOING,
    REVIEW_OUTGOING,
    SIGN_OFF_OUTGOING,
)
from govbus_disclosure.domain.catalogue import entry_id_for_document
from govbus_disclosure.plugin import service as disclosure_service
from govbus_documents.plugin import service as documents_service
from govbus_gateway.app import create_app
from govbus_kit.bus import request
from govbus_testing import OfficeClock, eventually, running

pytestmark = pytest.mark.servers

SECRET = "d2d-secret-" + "c" * 40
DRAFTER = Principal(subject="u-drafter-li", name="李明", roles=frozenset({"drafter"}),
                    department="秘书科")
REVIEWER = Principal(subject="u-reviewer-wang", name="王芳", roles=frozenset({"reviewer"}))
SIGNER = Principal(subject="u-signer-zhang", name="张伟", roles=frozenset({"signer"}))
REGISTRAR = Principal(subject="u-registrar-liu", name="刘洋", roles=frozenset({"registrar"}))
OFFICER = Principal(subject="u-gk-zhao", name="赵敏", roles=frozenset({"disclosure_officer"}))

TITLE = "关于做好2026年秋冬季森林防灭火工作的通知"
BODY = ("各县(市、区)人民政府, 市直各单位:\n当前已进入秋冬季森林防灭火关键期, 为切实做好"
        "森林防灭火工作, 确保人民群众生命财产安全, 现将有关事项通知如下。")


#: 09:30 on Monday 2 March 2026, Beijing time.
MONDAY_MORNING = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


async def ask(host: Any, spec: CommandSpec | QuerySpec, payload: dict[str, Any],
              who: Principal) -> dict[str, Any]:
    return await request(host.broker, spec, payload, principal=who, timeout=15)


async def dispatch_notice(host: Any) -> dict[str, Any]:
    """起草 → 审核 → 签发 → 复核 → 登记 → 印制 → 核发, as in the documents' own flow test."""
    recipients = ["市应急管理局", "市林业局"]
    doc_id = (await ask(host, DRAFT_OUTGOING, {
        "doc_type": "通知", "title": TITLE, "body": BODY, "main_recipients": recipients,
        "cc_recipients": [], "recipient_departments": [], "disclosure": "主动公开",
        "issuer_code": "宜府办发", "issuing_organ": "宜春市人民政府办公室"},
        DRAFTER))["document_id"]
    await ask(host, REVIEW_OUTGOING, {"document_id": doc_id, "decision": "通过"}, REVIEWER)
    await ask(host, SIGN_OFF_OUTGOING, {"document_id": doc_id, "opinion": "同意"}, SIGNER)
    await ask(host, RECHECK_OUTGOING, {"document_id": doc_id}, REGISTRAR)
    await ask(host, REGISTER_OUTGOING, {"document_id": doc_id}, REGISTRAR)
    await ask(host, PRINT_OUTGOING, {"document_id": doc_id, "printing_office": "秘书科"},
              REGISTRAR)
    return await ask(host, DISPATCH_OUTGOING, {"document_id": doc_id, "dispatches": [
        {"recipient": r, "means": "电子公文传输"} for r in recipients]}, REGISTRAR)


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
