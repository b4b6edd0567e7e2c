"""Issue 9: a stored reply belongs to the principal who caused it.

An ``Idempotency-Key`` is scoped by the caller: the same key and body from another caller
(another client address without a token, or another token's subject) is a distinct command
and never gets the first caller's reply; the first caller's retry gets its own first reply.
At the service level too, a command id seen before under another principal answers
``idempotency_key_reused``, never the stored reply.

Real servers (session fixture), the services in a Host, the gateway app over ASGI with
each client at an address of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest

from govbus_contracts.envelope import Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_disclosure.plugin import service as disclosure
from govbus_documents.plugin import service as documents
from govbus_gateway.app import create_app
from govbus_kit.bus import request as bus_request
from govbus_testing import IsolatedSettings, OfficeClock, bearer, running
from govbus_testplugins import ledger

SECRET = "idem-secret-" + "k" * 40
REQUESTS = "/api/v1/disclosure/requests"
OFFICER = bearer(SECRET, "disclosure_officer", "u-chen", "陈公开")
DRAFTER = bearer(SECRET, "drafter", "u-li", "李拟稿", "秘书科")
OTHER_DRAFTER = bearer(SECRET, "drafter", "u-he", "何拟稿", "秘书科")

APPLICATION = {
    "applicant_type": "自然人",
    "applicant": {"name": "张三"},
    "contact": {"phone": "13907950000"},
    "information": {"description": "2025年度老旧小区改造项目清单"},
    "form": "电子", "delivery": "在线查看",
}
DRAFT = {
    "doc_type": "通知", "title": "关于做好2026年春节期间值班工作的通知",
    "body": "各科室：现将春节期间值班安排通知如下。", "main_recipients": ["秘书科"],
    "recipient_departments": ["秘书科"], "disclosure": "主动公开",
    "issuer_code": "宜府办函", "issuing_organ": "宜春市人民政府办公室",
}


@pytest.fixture
async def clients(settings) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    suffix = uuid.uuid4().hex[:8]
    async with AsyncExitStack() as stack:
        for svc in (disclosure, documents):
            own = IsolatedSettings(**settings.model_dump(),
                                   database=f"govbus_{svc.name}_idem_{suffix}")
            await stack.enter_async_context(running(own, svc, clock=OfficeClock()))
        app = create_app(settings, secret=SECRET)
        await stack.enter_async_context(app.router.lifespan_context(app))
        out = {}
        for name, address in (("citizen", "198.51.100.1"), ("stranger", "198.51.100.2")):
            transport = httpx.ASGITransport(app=app, client=(address, 40000))
            out[name] = await stack.enter_async_context(
                httpx.AsyncClient(transport=transport, base_url="http://gw", timeout=30))
        yield out


async def test_a_citizens_key_gives_another_caller_a_request_of_its_own(clients):
    key = {"Idempotency-Key": "idem-" + uuid.uuid4().hex}
    citizen, stranger = clients["citizen"], clients["stranger"]
    first = await citizen.post(REQUESTS, json=APPLICATION, headers=key)
    assert first.status_code == 201, first.text
    mine = first.json()

    # Another client address, same key and body: a fresh submission, not the citizen's.
    theirs = await stranger.post(REQUESTS, json=APPLICATION, headers=key)
    assert theirs.status_code == 201, theirs.text
    assert theirs.json()["id"] != mine["id"]
    assert theirs.json()["tracking_code"] != mine["tracking_code"]
    assert mine["tracking_code"] not in theirs.text

    # A member of staff sending the key on the public route: likewise a request of its own.
    staff = await stranger.post(REQUESTS, json=APPLICATION, headers={**key, **OFFICER})
    assert staff.status_code == 201, staff.text
    assert staff.json()["id"] not in (mine["id"], theirs.json()["id"])
    assert mine["tracking_code"] not in staff.text

    # The citizen's own retry still gets the first reply.
    again = await citizen.post(REQUESTS, json=APPLICATION, headers=key)
    assert again.status_code == 201, again.text
    assert again.json() == mine


async def test_a_drafters_key_gives_another_drafter_a_draft_of_its_own(clients):
    key = {"Idempotency-Key": "idem-" + uuid.uuid4().hex}
    api = clients["citizen"]
    first = await api.post("/api/v1/documents/outgoing", json=DRAFT, headers={**key, **DRAFTER})
    assert first.status_code == 201, first.text
    other = await api.post("/api/v1/documents/outgoing", json=DRAFT,
                           headers={**key, **OTHER_DRAFTER})
    assert other.status_code == 201, other.text
    assert other.json()["document_id"] != first.json()["document_id"]
    again = await api.post("/api/v1/documents/outgoing", json=DRAFT,
                           headers={**key, **DRAFTER})
    assert again.status_code == 201, again.text
    assert again.json() == first.json()


async def test_a_service_never_returns_one_principals_reply_to_another(settings):
    # Acting as a service would (a compromised one, or a gateway bug): the same command id
    # and body under another principal is refused, not answered with the stored reply.
    account = "idem-" + uuid.uuid4().hex[:8]
    command_id = str(uuid.uuid4())
    alice = Principal(subject="u-alice", roles=frozenset({"clerk"}))
    mallory = Principal(subject="u-mallory", roles=frozenset({"clerk"}))
    async with running(settings, ledger.service) as host:
        first = await bus_request(host.broker, ledger.DEPOSIT, {"account": account, "amount": 7},
                                  principal=alice, message_id=command_id)
        assert first["balance"] == 7
        with pytest.raises(GovbusError) as refused:
            await bus_request(host.broker, ledger.DEPOSIT, {"account": account, "amount": 7},
                              principal=mallory, message_id=command_id)
        assert refused.value.code is ErrorCode.idempotency_key_reused
        assert "balance" not in refused.value.details
        again = await bus_request(host.broker, ledger.DEPOSIT,
                                  {"account": account, "amount": 7},
                                  principal=alice, message_id=command_id)
        assert again == first
