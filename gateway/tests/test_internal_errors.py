"""Issue 9, item 5: an unexpected error answers 500 ``internal`` with a generic message and
the request (correlation) id, and nothing else — no exception class name, no internals —
and is logged with its stack.

The test-only ``faulty`` service (real servers, in a Host) raises in its handlers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import structlog

import govbus_gateway.app as gateway_app
from govbus_gateway.app import create_app
from govbus_gateway.routing import route
from govbus_testing import running
from govbus_testplugins import faulty

SECRET = "internal-errors-secret-" + "z" * 32
ROUTES = [
    route(faulty.BREAK, "POST", "/faulty/things/break", public=True),
    route(faulty.PEEK, "GET", "/faulty/things/peek", public=True),
]
LEAKS = ("StoreExplodedError", "KeyError", "RuntimeError", "ZeroDivisionError",
         faulty.SECRET, "s3cret", "Traceback")


@pytest.fixture
async def client(settings) -> AsyncIterator[httpx.AsyncClient]:
    async with running(settings, faulty.service):
        app = create_app(settings, secret=SECRET, routes=ROUTES, contracts=[faulty.CONTRACT])
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://gw") as c:
                yield c


def assert_sealed(r: httpx.Response, request_id: str) -> None:
    assert r.status_code == 500, r.text
    for leak in LEAKS:
        assert leak not in r.text, leak
    assert r.json() == {"error": {"code": "internal", "message": gateway_app.INTERNAL_MESSAGE,
                                  "details": {"request_id": request_id}}}
    assert r.headers["X-Request-Id"] == request_id


@pytest.mark.parametrize(("method", "path"), [("POST", "/api/v1/faulty/things/break"),
                                              ("GET", "/api/v1/faulty/things/peek")])
async def test_a_failing_handler_answers_internal_with_the_request_id_only(client, method,
                                                                          path):
    with structlog.testing.capture_logs() as logs:
        r = await client.request(method, path, json={} if method == "POST" else None,
                                 headers={"X-Request-Id": "req-fault-1"})
    assert_sealed(r, "req-fault-1")
    # The office finds the cause in the log: the failure with its stack, under the same id.
    failed = [e for e in logs if e["event"] in ("command_failed", "query_failed")]
    assert failed and failed[0].get("exc_info"), logs
    assert failed[0].get("correlation_id") in (None, "req-fault-1")


async def test_an_unexpected_error_in_the_gateway_is_sealed_and_logged(client, monkeypatch):
    async def broken(*args: object, **kwargs: object) -> dict[str, object]:
        raise ZeroDivisionError(faulty.SECRET)

    monkeypatch.setattr(gateway_app, "bus_request", broken)
    with structlog.testing.capture_logs() as logs:
        r = await client.get("/api/v1/faulty/things/peek", headers={"X-Request-Id": "req-gw-2"})
    assert_sealed(r, "req-gw-2")
    failed = [e for e in logs if e["event"] == "gateway_failed"]
    assert failed and isinstance(failed[0].get("exc_info"), ZeroDivisionError), logs


async def test_the_service_itself_answers_no_exception_name_on_the_bus(settings):
    from govbus_contracts.errors import ErrorCode, GovbusError
    from govbus_kit.bus import request as bus_request

    async with running(settings, faulty.service) as host:
        for spec in (faulty.BREAK, faulty.PEEK):
            with pytest.raises(GovbusError) as failed:
                await bus_request(host.broker, spec, {})
            assert failed.value.code is ErrorCode.internal
            said = f"{failed.value.message} {failed.value.details}"
            for leak in LEAKS:
                assert leak not in said, leak


async def test_a_lost_bus_answers_503_without_the_drivers_exception(settings):
    app = create_app(settings, secret=SECRET, routes=ROUTES, contracts=[faulty.CONTRACT])
    # The connection is closed under the gateway (its stop at the end copes with that).
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as c:
            await app.state.bus._connection.close()
            r = await c.get("/api/v1/faulty/things/peek")
    assert r.status_code == 503, r.text
    assert r.json()["error"]["code"] == "unavailable"
    assert "Error" not in r.json()["error"]["message"], r.text
