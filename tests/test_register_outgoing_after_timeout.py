"""登记 of 发文 through a gateway that gives up before the documents service answers: each
caller gets 504 saying the command may have completed, repeats it with the key the 504
names, and learns the 发文字号 that was taken for it. No second number is taken.

Issue 8 item 6: concurrent 登记 took numbers 1..N correctly, but callers answered 504 did
not know that their number was taken. Real servers, the documents service in a Host, the
gateway over ASGI; the impatient gateway waits 1 ms for each command.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from govbus_documents.plugin import service
from govbus_gateway.app import create_app
from govbus_testing import IsolatedSettings, OfficeClock, bearer, running

SECRET = "e2e-timeout-secret-" + "r" * 40
DRAFTER = bearer(SECRET, "drafter", "u-li", "李拟稿", "秘书科")
REVIEWER = bearer(SECRET, "reviewer", "u-fang", "王芳")
SIGNER = bearer(SECRET, "signer", "u-zhang", "张秘书长")
REGISTRAR = bearer(SECRET, "registrar", "u-liu", "刘文书", "办公室")
ISSUER = "宜府办字"
DOCUMENTS = 4


@pytest.fixture
async def gateways(settings) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """(impatient, patient) gateways on one documents service with a database of its own."""
    own = IsolatedSettings(**settings.model_dump(),
                           database=f"govbus_documents_timeout_{uuid.uuid4().hex[:8]}")
    async with running(own, service, clock=OfficeClock()):
        hurried_app = create_app(settings.model_copy(update={"request_timeout_seconds": 0.001}),
                                 secret=SECRET)
        calm_app = create_app(settings, secret=SECRET)
        async with hurried_app.router.lifespan_context(hurried_app), \
                calm_app.router.lifespan_context(calm_app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=hurried_app),
                                         base_url="http://gw", timeout=30) as hurried, \
                    httpx.AsyncClient(transport=httpx.ASGITransport(app=calm_app),
                                      base_url="http://gw", timeout=30) as calm:
                yield hurried, calm


async def step(api: httpx.AsyncClient, path: str, body: dict, who: dict[str, str],
               status: int = 200) -> dict:
    r = await api.post(f"/api/v1/documents{path}", json=body, headers=who)
    assert r.status_code == status, r.text
    return r.json()


async def rechecked(api: httpx.AsyncClient, n: int) -> str:
    draft = await step(api, "/outgoing", {
        "doc_type": "通知", "title": f"关于做好第{n}批政务公开工作的通知",
        "body": "各县(市、区)人民政府:\n现将有关事项通知如下。",
        "main_recipients": ["各县(市、区)人民政府"],
        "disclosure": "主动公开", "issuer_code": ISSUER, "issuing_organ": "宜春市人民政府办公室",
    }, DRAFTER, status=201)
    doc_id: str = draft["document_id"]
    await step(api, f"/outgoing/{doc_id}/review", {"decision": "通过"}, REVIEWER)
    await step(api, f"/outgoing/{doc_id}/sign-off", {"opinion": "同意印发"}, SIGNER)
    await step(api, f"/outgoing/{doc_id}/recheck", {"remarks": "手续完备"}, REGISTRAR)
    return doc_id


async def test_a_registrar_answered_504_learns_the_number_taken_for_the_document(gateways):
    hurried, calm = gateways
    ids = [await rechecked(calm, n) for n in range(1, DOCUMENTS + 1)]

    first = await asyncio.gather(*(
        hurried.post(f"/api/v1/documents/outgoing/{doc_id}/register", json={},
                     headers=REGISTRAR) for doc_id in ids))
    assert [r.status_code for r in first] == [504] * DOCUMENTS
    for r in first:
        error = r.json()["error"]
        assert error["code"] == "timeout"
        assert "may have completed" in error["message"]
        assert int(r.headers["Retry-After"]) >= 1

    again = await asyncio.gather(*(
        calm.post(f"/api/v1/documents/outgoing/{doc_id}/register", json={},
                  headers={**REGISTRAR, "Idempotency-Key": r.headers["Idempotency-Key"]})
        for doc_id, r in zip(ids, first, strict=True)))
    assert [r.status_code for r in again] == [200] * DOCUMENTS, [r.text for r in again]
    numbers = sorted(r.json()["doc_number"] for r in again)
    assert numbers == sorted(f"{ISSUER}〔2026〕{n}号" for n in range(1, DOCUMENTS + 1))

    register = (await calm.get(f"/api/v1/documents/numbers/{ISSUER}/2026",
                               headers=REGISTRAR)).json()
    assert sorted(e["serial"] for e in register["entries"]) == list(range(1, DOCUMENTS + 1))
