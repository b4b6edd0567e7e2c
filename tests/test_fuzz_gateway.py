"""A fuzz run of the gateway from its own OpenAPI document (issue 9): every operation gets a few
requests schemathesis makes from the document, valid ones and deliberately invalid ones, as a
member of staff holding every role and as an anonymous caller. No answer may be a 5xx, none
may hang.

Real servers (session fixture), the documents and disclosure services in a Host on a database
of their own, the gateway app over ASGI in the test's event loop. Hypothesis runs in a worker
thread and hands each request to that loop. Bounded in time: a few examples per operation and
mode, a time budget for the whole run (operations past it are reported, not silently skipped).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode

from govbus_gateway.app import create_app
from govbus_gateway.routes import all_routes
from govbus_kit.plugins import load_all
from govbus_testing import IsolatedSettings, OfficeClock, running

SECRET = "fuzz-secret-" + "f" * 40
EVERY_ROLE = sorted({role for r in all_routes() for role in r.roles})
EXAMPLES = 3  # per operation, mode and caller
BUDGET_SECONDS = 150.0  # the whole run; about a minute on a quiet machine
REQUEST_SECONDS = 20.0  # one request: longer is a hang


def staff() -> dict[str, str]:
    claims = {"sub": "u-fuzz", "name": "模糊测试", "roles": EVERY_ROLE, "department": "办公室",
              "exp": int(time.time()) + 3600}
    return {"Authorization": "Bearer " + jwt.encode(claims, SECRET, algorithm="HS256")}


@pytest.fixture(scope="module")
async def gateway(settings) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, Any]]]:
    own = IsolatedSettings(**settings.model_dump(), database=f"govbus_fuzz_{uuid.uuid4().hex[:8]}")
    roomy = settings.model_copy(update={"public_rate_limit_per_minute": 1_000_000,
                                        "request_timeout_seconds": 10.0})
    # Every installed service runs: /healthz asks each of them, and every route is fuzzed.
    async with running(own, *load_all(), clock=OfficeClock()):
        app = create_app(roomy, secret=SECRET)
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                         base_url="http://gw", timeout=REQUEST_SECONDS) as c:
                yield c, app.openapi()


def request_of(case: Any, identity: dict[str, str]) -> dict[str, Any]:
    """The case as httpx arguments: path, query, headers and body as schemathesis made them."""
    kwargs = case.as_transport_kwargs(base_url="http://gw")
    headers = {k: v for k, v in (kwargs.get("headers") or {}).items()
               if k.lower() != "authorization"}
    out: dict[str, Any] = {"method": kwargs["method"], "url": kwargs["url"],
                           "params": kwargs.get("params"), "headers": {**headers, **identity}}
    if "json" in kwargs:
        out["json"] = kwargs["json"]
    elif kwargs.get("data") is not None:
        out["content"] = kwargs["data"]
    return out


async def test_no_operation_answers_5xx_or_hangs(gateway):
    client, spec = gateway
    schema = schemathesis.openapi.from_dict(spec)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= len(all_routes())
    loop = asyncio.get_running_loop()
    failures: list[str] = []
    sent: dict[str, int] = {}
    started = time.monotonic()

    def fuzz(operation: Any, mode: GenerationMode, identity: dict[str, str]) -> None:
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(operation.as_strategy(generation_mode=mode))
        def check(case: Any) -> None:
            request = request_of(case, identity)
            future = asyncio.run_coroutine_threadsafe(client.request(**request), loop)
            try:
                answer = future.result(timeout=REQUEST_SECONDS + 5)
            except TimeoutError:
                future.cancel()
                failures.append(f"{request['method']} {request['url']}: no answer (hang)")
                return
            sent[operation.label] = sent.get(operation.label, 0) + 1
            if answer.status_code >= 500:
                failures.append(f"{request['method']} {request['url']} "
                                f"{request.get('params')}: {answer.status_code} "
                                f"{answer.text[:300]}")

        try:
            check()
        except Unsatisfiable:
            # Nothing to make invalid (no parameters, no body: /livez): nothing to send.
            assert mode is GenerationMode.NEGATIVE, operation.label

    def run() -> list[str]:
        late: list[str] = []
        for operation in operations:
            if time.monotonic() - started > BUDGET_SECONDS:
                late.append(operation.label)
                continue
            for identity in (staff(), {}):
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                    fuzz(operation, mode, identity)
        return late

    late = await asyncio.to_thread(run)
    assert failures == [], "\n".join(failures)
    # The budget is for a slow machine; it must not hide operations that were never tried.
    assert len(late) <= len(operations) // 4, f"not fuzzed within the budget: {late}"
    assert len(sent) >= len(operations) - len(late)
