"""Issue 9: the route × identity matrix, generated from the gateway's route table, so a
route is covered the day it is added.

For every route and every identity — no token, broken tokens (not a JWT, expired, wrong
signature, alg "none", another scheme), a token with only an identity provider's default
roles, a citizen's token without roles, each staff role of the table — the gateway holds
the role model:

- a route requiring roles answers 401 ``unauthenticated`` without a valid token and 403
  ``forbidden`` for a valid token lacking its roles, before any object is looked up (the
  ids are unknown ones);
- the roles it names pass the gate (whatever the service then says of an unknown id or an
  empty body: 404, 409, 422 — never 401/403, never a 500);
- a public route takes anonymous callers and any valid token; a broken token is 401.

The office's services run in a Host (real servers), so an allowed cell is answered by the
service itself.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import jwt
import pytest

from govbus_disclosure.plugin import service as disclosure
from govbus_documents.plugin import service as documents
from govbus_gateway.app import API_PREFIX, create_app
from govbus_gateway.routes import all_routes
from govbus_gateway.routing import Route
from govbus_gateway.settings import GatewaySettings
from govbus_supervision.plugin import service as supervision
from govbus_testing import IsolatedSettings, running

SECRET = "matrix-secret-" + "m" * 40
TABLE = all_routes()
STAFF_ROLES = sorted({role for r in TABLE for role in r.roles})
#: what identity providers put in every token (Keycloak, and the like)
IDP_DEFAULTS = ["offline_access", "uma_authorization", "default-roles-govbus"]
UNKNOWN = "matrix-unknown-0001"


def _token(roles: list[str], *, secret: str = SECRET, exp: float | None = None,
           sub: str = "u-matrix", algorithm: str = "HS256") -> str:
    claims = {"sub": sub, "name": "矩阵", "roles": roles, "department": "办公室",
              "exp": int(exp if exp is not None else time.time() + 900)}
    return jwt.encode(claims, secret if algorithm != "none" else None,  # type: ignore[arg-type]
                      algorithm=algorithm)


#: identities that are no valid caller: 401 on every route that is not public, and on
#: public ones too (a client sending a broken token must hear it)
BROKEN = {
    "not a jwt": "Bearer not-a-jwt",
    "expired": "Bearer " + _token(["admin"], exp=time.time() - 3600),
    "wrong signature": "Bearer " + _token(["admin"], secret="another-secret-" + "x" * 40),
    "alg none": "Bearer " + _token(["admin"], algorithm="none"),
    "another scheme": "Basic YWRtaW46YWRtaW4=",
    "empty bearer": "Bearer ",
}
#: valid tokens: (roles, label)
VALID = {
    "idp defaults only": IDP_DEFAULTS,
    "citizen (no roles)": [],
    **{f"staff {role}": [role, *IDP_DEFAULTS] for role in STAFF_ROLES},
}


def url(r: Route) -> str:
    return API_PREFIX + re.sub(r"\{[^}]+\}", UNKNOWN, r.path)


@pytest.fixture
async def gateway(settings) -> AsyncIterator[httpx.AsyncClient]:
    suffix = uuid.uuid4().hex[:8]
    async with AsyncExitStack() as stack:
        for svc in (disclosure, documents, supervision):
            own = IsolatedSettings(**settings.model_dump(),
                                   database=f"govbus_{svc.name}_matrix_{suffix}")
            await stack.enter_async_context(running(own, svc))
        # Rate limits are not what this matrix tests.
        app = create_app(settings.model_copy(update={"public_rate_limit_per_minute": 1_000_000}),
                         secret=SECRET)
        await stack.enter_async_context(app.router.lifespan_context(app))
        yield await stack.enter_async_context(httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("203.0.113.99", 4000)),
            base_url="http://gw", timeout=30))


async def call(api: httpx.AsyncClient, r: Route, authorization: str | None) -> httpx.Response:
    headers = {"Authorization": authorization} if authorization is not None else {}
    if r.method == "GET":
        return await api.get(url(r), headers=headers)
    return await api.request(r.method, url(r), json={}, headers=headers)


def test_the_matrix_covers_every_route_the_gateway_serves():
    app = create_app(GatewaySettings(), secret=SECRET)
    served = {(m, route.path) for route in app.routes if route.path.startswith(API_PREFIX)
              for m in getattr(route, "methods", ())}
    assert served == {(r.method, API_PREFIX + r.path) for r in TABLE}
    assert len(TABLE) >= 60 and STAFF_ROLES


async def test_every_route_holds_the_role_model_for_every_identity(gateway):
    wrong: list[str] = []
    cells = 0
    for r in TABLE:
        where = f"{r.method} {r.path}"
        # No token.
        got = await call(gateway, r, None)
        cells += 1
        if r.public:
            if got.status_code in (401, 403, 429) or got.status_code >= 500:
                wrong.append(f"{where} anonymous: {got.status_code} {got.text[:200]}")
        elif got.status_code != 401 or got.json()["error"]["code"] != "unauthenticated":
            wrong.append(f"{where} anonymous: {got.status_code}, expected 401")
        # Broken tokens.
        for label, authorization in BROKEN.items():
            got = await call(gateway, r, authorization)
            cells += 1
            if got.status_code != 401 or got.json()["error"]["code"] != "unauthenticated":
                wrong.append(f"{where} {label}: {got.status_code}, expected 401")
        # Valid tokens.
        for label, roles in VALID.items():
            got = await call(gateway, r, "Bearer " + _token(roles))
            cells += 1
            allowed = r.public or bool(r.roles.intersection(roles))
            if allowed:
                if got.status_code in (401, 403, 429) or got.status_code >= 500:
                    wrong.append(f"{where} {label}: {got.status_code} {got.text[:200]}")
            elif got.status_code != 403 or got.json()["error"]["code"] != "forbidden":
                wrong.append(f"{where} {label}: {got.status_code}, expected 403")
            elif UNKNOWN in got.text:
                wrong.append(f"{where} {label}: 403 names the object")
    assert cells == len(TABLE) * (1 + len(BROKEN) + len(VALID))
    assert not wrong, f"{len(wrong)} of {cells} cells break the role model:\n" + "\n".join(wrong)
