"""Every route × every identity (issue 9): each role of the route table, a token without roles,
no token, and bad tokens (malformed, another secret, expired, unsigned). Generated from the
route table, so a route added tomorrow is in the matrix the day it is added.

- a bad token: 401 ``unauthenticated`` everywhere, public routes included;
- no token: 401 on staff routes; public routes take the caller as the public;
- a role the route does not name (or none): 403 ``forbidden`` on staff routes;
- a role the route names, or anyone on a public route: the request reaches the service,
  which answers whatever it answers about the (empty) input, but never 401/403 and never 5xx.

Real servers (session fixture), the documents and disclosure services in a Host on a database
of their own, the gateway app over ASGI.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import jwt
import pytest

from govbus_disclosure.plugin import service as disclosure
from govbus_documents.plugin import service as documents
from govbus_gateway.app import API_PREFIX, create_app
from govbus_gateway.routes import all_routes
from govbus_gateway.routing import Route
from helpers import IsolatedSettings, OfficeClock, running

SECRET = "matrix-secret-" + "m" * 40
ROUTES = all_routes()
ROLES = sorted({role for r in ROUTES for role in r.roles})


def token(roles: list[str], *, secret: str = SECRET, exp: float | None = None,
          algorithm: str = "HS256") -> dict[str, str]:
    claims = {"sub": "u-matrix", "name": "矩阵", "roles": roles, "department": "办公室",
              "exp": int(exp if exp is not None else time.time() + 3600)}
    encoded = jwt.encode(claims, None if algorithm == "none" else secret, algorithm=algorithm)
    return {"Authorization": f"Bearer {encoded}"}


BAD_TOKENS = {
    "malformed": {"Authorization": "Bearer not.a.token"},
    "not bearer": {"Authorization": "Basic dXNlcjpwYXNz"},
    "other secret": token(["admin"], secret="another-secret-" + "o" * 40),
    "expired": token(["admin"], exp=time.time() - 3600),
    "unsigned": token(["admin"], algorithm="none"),
}


def concrete(r: Route) -> str:
    values = {"year": "2026", "serial": "1"}
    return API_PREFIX + re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "x-1"), r.path)


@pytest.fixture(scope="module")
async def api(settings) -> AsyncIterator[httpx.AsyncClient]:
    own = IsolatedSettings(**settings.model_dump(),
                           database=f"govbus_matrix_{uuid.uuid4().hex[:8]}")
    roomy = settings.model_copy(update={"public_rate_limit_per_minute": 1_000_000})
    async with running(own, documents, disclosure, clock=OfficeClock()):
        app = create_app(roomy, secret=SECRET)
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                         base_url="http://gw", timeout=30) as client:
                yield client


async def call(api: httpx.AsyncClient, r: Route, headers: dict[str, str]) -> httpx.Response:
    if r.method == "GET":
        return await api.get(concrete(r), headers=headers)
    return await api.request(r.method, concrete(r), json={}, headers=headers)


def expect(r: httpx.Response, status: int, code: str, cell: str) -> list[str]:
    if r.status_code != status or r.json().get("error", {}).get("code") != code:
        return [f"{cell}: {r.status_code} {r.text[:200]} (expected {status} {code})"]
    return []


async def test_every_route_with_every_identity(api):
    problems: list[str] = []
    cells = 0
    for r in ROUTES:
        where = f"{r.method} {r.path}"
        for name, headers in BAD_TOKENS.items():
            cells += 1
            problems += expect(await call(api, r, headers), 401, "unauthenticated",
                               f"{where} with a {name} token")
        identities: dict[str, dict[str, str]] = {"no token": {}, "no role": token([])}
        identities.update({f"role {role}": token([role]) for role in ROLES})
        for name, headers in identities.items():
            cells += 1
            answer = await call(api, r, headers)
            cell = f"{where} as {name}"
            allowed = r.public or (name.startswith("role ")
                                   and name.removeprefix("role ") in r.roles)
            if answer.status_code >= 500:
                problems.append(f"{cell}: {answer.status_code} {answer.text[:200]}")
            elif allowed:
                if answer.status_code in (401, 403):
                    problems.append(f"{cell}: refused {answer.status_code} {answer.text[:200]}")
            elif name == "no token":
                problems += expect(answer, 401, "unauthenticated", cell)
            else:
                problems += expect(answer, 403, "forbidden", cell)
    assert cells == len(ROUTES) * (len(BAD_TOKENS) + 2 + len(ROLES))
    assert problems == [], "\n".join(problems)
