"""While the broker is away, the gateway says so at once (issue 11, item 4).

It knows its own NATS connection is down: every bus route answers 503 ``unavailable`` with
``Retry-After`` at once, not 504 after the request timeout; a command already waiting when
the connection drops is answered so too, naming the Idempotency-Key to repeat it with; and
``/healthz`` says degraded, ``bus: down``, without asking anyone. Real nats-server, stopped
and started again; a test-only service whose command takes a while.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import jwt
import pytest
from pydantic import Field

from govbus_contracts import Command, Query, Reply, ServiceContract
from govbus_gateway.app import create_app
from govbus_gateway.routing import route
from govbus_kit.repository import Aggregate, Outcome
from govbus_kit.service import CommandContext, QueryContext, Service
from govbus_testing import eventually, running

pytestmark = pytest.mark.servers

SECRET = "outage-test-secret-" + "o" * 32
CONTRACT = ServiceContract("lagging", "test-only: a command that takes a while")
#: how long the command takes; the gateway would wait far longer (TIMEOUT)
WORK_SECONDS = 1.5
TIMEOUT = 20.0


class Count(Command):
    counter: str = Field(min_length=1, max_length=64)


class GetCounter(Query):
    counter: str = Field(min_length=1, max_length=64)


class Counted(Reply):
    counter: str
    value: int


class Counter(Aggregate):
    value: int = 0


COUNT = CONTRACT.command("count", Count, Counted)
GET = CONTRACT.query("get_counter", GetCounter, Counted)
service = Service(CONTRACT)


@service.command(COUNT)
async def count(cmd: Count, ctx: CommandContext) -> Counted:
    await asyncio.sleep(WORK_SECONDS)

    def decide(current: Counter | None) -> Outcome[Counter, Counted]:
        counter = current or Counter(id=cmd.counter)
        value = counter.value + 1
        return Outcome(counter.model_copy(update={"value": value}),
                       Counted(counter=cmd.counter, value=value))

    reply: Counted = await ctx.execute(ctx.service.repository("counters", Counter),
                                       cmd.counter, decide)
    return reply


@service.query(GET)
async def get_counter(query: GetCounter, ctx: QueryContext) -> Counted:
    counter = await ctx.service.repository("counters", Counter).require(query.counter)
    return Counted(counter=counter.id, value=counter.value)


ROUTES = [route(COUNT, "POST", "/lagging/{counter}/count", roles={"clerk"}, timeout=TIMEOUT),
          route(GET, "GET", "/lagging/{counter}", roles={"clerk"})]


def bearer() -> dict[str, str]:
    claims = {"sub": "u-1", "roles": ["clerk"], "exp": int(time.time()) + 600}
    return {"Authorization": f"Bearer {jwt.encode(claims, SECRET, algorithm='HS256')}"}


@pytest.fixture
async def api(servers, settings) -> AsyncIterator[httpx.AsyncClient]:
    if servers.local is None:
        pytest.skip("needs the local nats-server to stop it")
    async with running(settings, service):
        app = create_app(settings, secret=SECRET, routes=ROUTES, contracts=[CONTRACT])
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                         base_url="http://gw", timeout=60) as client:
                try:
                    yield client
                finally:
                    servers.start_nats()  # a no-op unless a test failed while it was away


def unavailable_at_once(r: httpx.Response) -> None:
    assert r.status_code == 503, r.text
    assert r.json()["error"]["code"] == "unavailable"
    assert 1 <= int(r.headers["Retry-After"]) <= 5


async def test_while_the_broker_is_down_every_route_answers_503_with_retry_after(
        api, servers, settings):
    await asyncio.to_thread(servers.stop_nats)
    try:
        started = time.monotonic()
        command = await api.post("/api/v1/lagging/c-down/count", json={},
                                 headers={**bearer(), "Idempotency-Key": "outage-key-000001"})
        query = await api.get("/api/v1/lagging/c-down", headers=bearer())
        health = await api.get("/healthz")
        waited = time.monotonic() - started
    finally:
        await asyncio.to_thread(servers.start_nats)
    unavailable_at_once(command)
    unavailable_at_once(query)
    # Not one of them waited for a reply that could not come (the command's would be 20 s).
    assert waited < settings.request_timeout_seconds
    assert health.status_code == 503
    body = health.json()
    assert (body["status"], body["bus"]) == ("degraded", "down")
    assert body["services"]["lagging"]["status"] == "down"

    # Back: the same command goes through, once.
    async def counted() -> httpx.Response:
        return await api.post("/api/v1/lagging/c-down/count", json={},
                              headers={**bearer(), "Idempotency-Key": "outage-key-000001"})

    done = await eventually(counted, lambda r: r.status_code == 200, timeout=30, interval=0.5)
    assert done.json() == {"counter": "c-down", "value": 1}
    health = await eventually(lambda: api.get("/healthz"),
                              lambda r: r.json()["bus"] == "ok", timeout=30)
    # The service's own reply, passed through: its checks and the figures behind them.
    lagging = health.json()["services"]["lagging"]
    assert lagging["status"] == "ok"
    assert lagging["checks"]["nats"] == "ok" and "figures" in lagging


async def test_a_command_waiting_when_the_connection_drops_is_answered_503_at_once(
        api, servers):
    key = "outage-key-000002"
    waiting = asyncio.create_task(api.post(
        "/api/v1/lagging/c-drop/count", json={},
        headers={**bearer(), "Idempotency-Key": key}))
    await asyncio.sleep(WORK_SECONDS / 3)  # the service has taken it and works on it
    assert not waiting.done()
    started = time.monotonic()
    await asyncio.to_thread(servers.stop_nats)
    try:
        first = await asyncio.wait_for(waiting, TIMEOUT)
        waited = time.monotonic() - started
    finally:
        await asyncio.to_thread(servers.start_nats)
    unavailable_at_once(first)
    assert waited < TIMEOUT / 2  # answered at the drop, not at the gateway's timeout
    error = first.json()["error"]
    assert "may have completed" in error["message"]
    assert first.headers["Idempotency-Key"] == key

    # Repeated with its key once the bus is back: one count, whichever try applied it.
    async def repeated() -> httpx.Response:
        return await api.post("/api/v1/lagging/c-drop/count", json={},
                              headers={**bearer(), "Idempotency-Key": key})

    again = await eventually(repeated, lambda r: r.status_code == 200, timeout=30,
                             interval=0.5)
    assert again.json() == {"counter": "c-drop", "value": 1}
    assert (await api.get("/api/v1/lagging/c-drop", headers=bearer())).json()["value"] == 1
