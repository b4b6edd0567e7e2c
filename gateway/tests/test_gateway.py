"""The gateway against real servers: auth, roles, validation, errors, limits, health.

The test-only ledger plugin answers on the bus; the gateway gets route tables for it.
The identity provider (JWKS over HTTP) is the one thing that cannot run here as the real
product: a small JWKS endpoint on loopback stands in for it, serving a real RSA key.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from govbus_gateway.app import create_app
from govbus_gateway.routing import route
from govbus_testing import running
from govbus_testplugins import audit, ledger

SECRET = "gateway-test-secret-" + "y" * 32
ROUTES = [
    route(ledger.DEPOSIT, "POST", "/ledger/accounts/{account}/deposit", roles={"clerk"}),
    route(ledger.BALANCE, "GET", "/ledger/accounts/{account}", roles={"clerk", "auditor"}),
    route(audit.TALLY, "GET", "/audit/public/tallies/{account}", public=True),
]


def token(*roles: str, department: str | None = "办公室", secret: str = SECRET,
          exp: float | None = None) -> str:
    claims = {"sub": "u-1", "name": "张三", "roles": list(roles),
              "exp": int(exp if exp is not None else time.time() + 600)}
    if department:
        claims["department"] = department
    return jwt.encode(claims, secret, algorithm="HS256")


def bearer(*roles: str, **kw) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(*roles, **kw)}"}


@pytest.fixture
async def client(settings) -> AsyncIterator[httpx.AsyncClient]:
    limited = settings.model_copy(update={"public_rate_limit_per_minute": 3,
                                          "max_body_bytes": 2048})
    async with running(settings, ledger.service, audit.service):
        app = create_app(limited, secret=SECRET, routes=ROUTES,
                         contracts=[ledger.CONTRACT, audit.CONTRACT])
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 5000))
            async with httpx.AsyncClient(transport=transport, base_url="http://gw") as c:
                yield c


async def test_routes_are_named_after_their_commands(client):
    spec = (await client.get("/openapi.json")).json()
    ops = {op["operationId"] for path in spec["paths"].values() for op in path.values()}
    assert {"deposit", "balance", "tally", "healthz"} <= ops
    body = spec["paths"]["/api/v1/ledger/accounts/{account}/deposit"]["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"]
    schema = spec["components"]["schemas"][ref.removeprefix("#/components/schemas/")]
    assert "amount" in schema["properties"]
    assert "account" not in schema["properties"]  # it travels in the path


async def test_a_command_goes_through_with_a_request_id(client):
    r = await client.post("/api/v1/ledger/accounts/gw-1/deposit", json={"amount": 5},
                          headers={**bearer("clerk"), "X-Request-Id": "req-123"})
    assert r.status_code == 200, r.text
    assert r.json() == {"account": "gw-1", "balance": 5, "version": 1}
    assert r.headers["X-Request-Id"] == "req-123"
    assert (await client.get("/api/v1/ledger/accounts/gw-1", headers=bearer("auditor"))
            ).json()["balance"] == 5


@pytest.mark.parametrize("given", ["x" * 129, "两个字", "has space"])
async def test_a_request_id_that_is_not_a_short_token_is_replaced(client, given):
    r = await client.get("/api/v1/ledger/accounts/gw-1",
                         headers={**bearer("clerk"), "X-Request-Id": given.encode()})
    assert r.status_code in (200, 404)
    answered = dict(r.headers.raw)[b"x-request-id"]
    assert answered != given.encode()
    assert 1 <= len(answered) <= 128


async def test_idempotency_key_makes_a_retry_return_the_first_result(client):
    headers = {**bearer("clerk"), "Idempotency-Key": "gw-key-00000001"}
    first = await client.post("/api/v1/ledger/accounts/gw-2/deposit", json={"amount": 3},
                              headers=headers)
    again = await client.post("/api/v1/ledger/accounts/gw-2/deposit", json={"amount": 3},
                              headers=headers)
    assert first.json() == again.json() == {"account": "gw-2", "balance": 3, "version": 1}
    other = await client.post("/api/v1/ledger/accounts/gw-2/deposit", json={"amount": 4},
                              headers=headers)
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"


async def test_without_a_token_staff_routes_answer_401(client):
    r = await client.post("/api/v1/ledger/accounts/gw-3/deposit", json={"amount": 1})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize("bad", [
    token("clerk", secret="another-secret-" + "z" * 32),
    token("clerk", exp=time.time() - 3600),
    "not-a-jwt",
])
async def test_invalid_tokens_answer_401(client, bad):
    r = await client.get("/api/v1/ledger/accounts/x", headers={"Authorization": f"Bearer {bad}"})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthenticated"


async def test_a_role_that_may_not_act_gets_403_and_nothing_changes(client):
    r = await client.post("/api/v1/ledger/accounts/gw-4/deposit", json={"amount": 1},
                          headers=bearer("auditor"))
    assert r.status_code == 403
    assert r.json()["error"] == {"code": "forbidden", "message": "your role may not do this",
                                 "details": {"needs": ["clerk"]}}
    missing = await client.get("/api/v1/ledger/accounts/gw-4", headers=bearer("auditor"))
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(("body", "field"), [
    ({"amount": -1}, "amount"),
    ({"amount": "many"}, "amount"),
    ({"amount": 1, "unexpected": True}, "unexpected"),
    ({}, "amount"),
])
async def test_bad_input_answers_422_with_the_field(client, body, field):
    r = await client.post("/api/v1/ledger/accounts/gw-5/deposit", json=body,
                          headers=bearer("clerk"))
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "validation_failed"
    assert field in [p["field"] for p in error["details"]["problems"]]
    assert (await client.get("/api/v1/ledger/accounts/gw-5", headers=bearer("clerk"))
            ).status_code == 404


@pytest.mark.parametrize(("method", "path", "body", "said"), [
    ("POST", "/ledger/accounts/gw-5/deposit", {}, "body.amount: Field required"),
    ("POST", "/ledger/accounts/gw-5/deposit", {"amount": -1},
     "body.amount: Input should be greater than 0"),
    ("POST", "/ledger/accounts/gw-5/deposit", {"amount": 1, "unexpected": True},
     "body.unexpected: Extra inputs are not permitted"),
    ("POST", "/ledger/accounts/" + "a" * 65 + "/deposit", {"amount": 1},
     "path.account: String should have at most 64 characters"),
    ("GET", "/ledger/accounts/gw-5?bogus=1", None, "query.bogus: Extra inputs are not permitted"),
])
async def test_a_refusal_says_which_field_and_why(client, method, path, body, said):
    r = await client.request(method, "/api/v1" + path, json=body, headers=bearer("clerk"))
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "validation_failed"
    assert said in error["message"]
    assert error["details"]["problems"], "the details stay"


async def test_body_that_is_not_json_answers_422(client):
    r = await client.post("/api/v1/ledger/accounts/gw-6/deposit", content=b"{amount: 1",
                          headers={**bearer("clerk"), "content-type": "application/json"})
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "validation_failed"


async def test_bodies_over_the_limit_answer_413(client):
    r = await client.post("/api/v1/ledger/accounts/gw-7/deposit",
                          content=json.dumps({"amount": 1, "pad": "x" * 5000}),
                          headers={**bearer("clerk"), "content-type": "application/json"})
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "payload_too_large"


async def test_public_routes_need_no_account_and_are_rate_limited(client):
    answers = [await client.get("/api/v1/audit/public/tallies/nobody") for _ in range(4)]
    assert [a.status_code for a in answers[:3]] == [200, 200, 200]
    assert answers[3].status_code == 429
    assert answers[3].json()["error"]["code"] == "rate_limited"
    assert int(answers[3].headers["Retry-After"]) >= 1


async def test_healthz_reports_the_bus_and_each_service(client):
    r = await client.get("/healthz")
    body = r.json()
    assert body["bus"] == "ok"
    assert body["services"]["ledger"]["status"] == "ok"
    assert body["services"]["audit"]["status"] == "ok"
    # The office's own services are not running in this test: the gateway says so.
    assert r.status_code == (200 if all(
        s["status"] == "ok" for s in body["services"].values()) else 503)


async def test_a_service_that_is_down_answers_503(settings):
    app = create_app(settings, secret=SECRET, routes=ROUTES, contracts=[ledger.CONTRACT])
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://gw") as c:
            r = await c.get("/api/v1/ledger/accounts/x", headers=bearer("clerk"))
            health = await c.get("/healthz")
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "unavailable"
    assert health.status_code == 503
    assert health.json()["services"]["ledger"]["status"] == "down"


# --- RS256 with a JWKS URL (an identity provider) --------------------------------------


@pytest.fixture
def identity_provider():
    """A JWKS endpoint on loopback serving a real RSA public key (stand-in for the IdP)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": "idp-1", "use": "sig", "alg": "RS256"})
    payload = json.dumps({"keys": [jwk]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield key, f"http://127.0.0.1:{server.server_port}/jwks.json"
    server.shutdown()


async def test_rs256_tokens_of_the_identity_provider_are_accepted(settings, identity_provider):
    key, url = identity_provider
    idp = settings.model_copy(update={"jwt_secret": None, "jwt_jwks_url": url,
                                      "jwt_issuer": "https://idp.example.gov.cn/realms/office",
                                      "jwt_audience": "govbus"})
    claims = {"sub": "u-9", "iss": idp.jwt_issuer, "aud": "govbus", "exp": int(time.time()) + 60,
              "realm_access": {"roles": ["clerk"]}, "department": "政务公开科"}
    good = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "idp-1"})
    wrong_aud = jwt.encode({**claims, "aud": "other"}, key, algorithm="RS256",
                           headers={"kid": "idp-1"})
    async with running(settings, ledger.service):
        app = create_app(idp, secret=None, routes=ROUTES, contracts=[ledger.CONTRACT])
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                         base_url="http://gw") as c:
                ok = await c.post("/api/v1/ledger/accounts/gw-rs/deposit", json={"amount": 2},
                                  headers={"Authorization": f"Bearer {good}"})
                bad = await c.post("/api/v1/ledger/accounts/gw-rs/deposit", json={"amount": 2},
                                   headers={"Authorization": f"Bearer {wrong_aud}"})
                hs = await c.post("/api/v1/ledger/accounts/gw-rs/deposit", json={"amount": 2},
                                  headers=bearer("clerk"))
    assert ok.status_code == 200, ok.text
    assert bad.status_code == 401
    assert hs.status_code == 401  # no local secret: only the identity provider's tokens
