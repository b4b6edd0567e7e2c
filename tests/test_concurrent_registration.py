"""Twenty registrars register 收文 at the same moment, through the gateway (issue 10).

Every registration takes the next 收文编号 from one register (one aggregate per year, written
by compare-and-set), so twenty at once all contend for the same document. Each must still
be answered within the request timeout, with a number of its own, and the numbers taken
must leave no gap in the register. The office has stored 收文 before (a collection of some
thousands): on a store whose lookups scan, every step of every registration pays for them.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from govbus_documents.plugin import service
from govbus_gateway.app import create_app
from govbus_testing import IsolatedSettings, OfficeClock, bearer, running

pytestmark = pytest.mark.servers

SECRET = "concurrent-secret-" + "c" * 40
REGISTRARS = 20
STORED = 3_000  # 收文 already in the register: a few months of a small office's work


@pytest.fixture
async def api(settings) -> AsyncIterator[httpx.AsyncClient]:
    # A database of its own: a register that starts at 1.
    own = IsolatedSettings(**settings.model_dump(),
                           database=f"govbus_documents_concurrent_{uuid.uuid4().hex[:8]}")
    async with running(own, service, clock=OfficeClock()) as host:
        app = create_app(settings, secret=SECRET)
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                         base_url="http://gw", timeout=60) as client:
                await store_earlier_documents(client, host.contexts[service.name].db)
                yield client


async def store_earlier_documents(api: httpx.AsyncClient, db) -> None:
    """This year's first 收文 (收〔2026〕1号), and STORED of last year stored as the service
    stores that one, so that the register is contended in a collection that is not empty."""
    first = await register(api, 0)
    assert first.status_code == 201, first.text
    stored = await db["incoming"].find_one({"_id": first.json()["id"]})
    state = {k: v for k, v in stored.items() if not k.startswith("_")}
    for k in range(0, STORED, 1000):
        await db["incoming"].insert_many([
            {**state, "_id": f"earlier-{i:05d}", "version": 1, "_outbox": [],
             "registration_year": 2025, "registration_serial": i + 1,
             "registration_number": f"收〔2025〕{i + 1}号"}
            for i in range(k, min(k + 1000, STORED))])


async def register(api: httpx.AsyncClient, k: int) -> httpx.Response:
    registrar = bearer(SECRET, "registrar", f"u-reg{k}", f"登记员{k}", "办公室")
    return await api.post("/api/v1/documents/incoming", headers=registrar, json={
        "issuer": "区财政局", "issuer_doc_number": f"区财发〔2026〕{k + 1}号",
        "doc_type": "通知", "received_on": "2026-03-09",
        "title": f"关于做好第{k + 1}批专项资金申报工作的通知",
        "body": "各有关单位:现将专项资金申报有关事项通知如下。",
    })


async def test_twenty_at_once_each_answered_with_its_own_gapless_number(api, settings):
    answers = await asyncio.gather(*(register(api, k) for k in range(1, REGISTRARS + 1)))

    statuses = [r.status_code for r in answers]
    assert statuses == [201] * REGISTRARS, (
        f"{statuses.count(504)} of {REGISTRARS} answered 504 "
        f"(request timeout {settings.request_timeout_seconds} s): {statuses}")
    numbers = [r.json()["registration_number"] for r in answers]
    assert len(set(numbers)) == REGISTRARS, numbers
    serials = sorted(int(re.fullmatch(r"收〔2026〕(\d+)号", n)[1]) for n in numbers)
    assert serials == list(range(2, REGISTRARS + 2)), serials  # after 收〔2026〕1号
