"""Issue 9, item 3: public rate limits by what the caller is, and client addresses that a
client cannot choose.

- a token with only an identity provider's default roles (offline_access, ...) is limited
  like the public; a token carrying a staff role is not;
- X-Forwarded-For / Forwarded count only from the proxies in GOVBUS_TRUSTED_PROXIES.

Real servers (session fixture) with the test-only audit service answering the public route.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable

import httpx
import jwt
import pytest
from starlette.requests import Request

from govbus_gateway.app import create_app
from govbus_gateway.callers import ClientAddresses, parse_networks
from govbus_gateway.routing import route
from govbus_testing import running
from govbus_testplugins import audit, ledger

SECRET = "callers-test-secret-" + "c" * 32
ROUTES = [
    route(ledger.DEPOSIT, "POST", "/ledger/accounts/{account}/deposit", roles={"clerk"}),
    route(audit.TALLY, "GET", "/audit/public/tallies/{account}", public=True),
]
TALLY = "/api/v1/audit/public/tallies/nobody"
PROXY = "10.0.0.5"
LIMIT = 3


def bearer(*roles: str, sub: str = "u-1") -> dict[str, str]:
    claims = {"sub": sub, "roles": list(roles), "exp": int(time.time() + 600)}
    return {"Authorization": "Bearer " + jwt.encode(claims, SECRET, algorithm="HS256")}


Client = Callable[[str], httpx.AsyncClient]


@pytest.fixture
async def gateway(settings) -> AsyncIterator[Client]:
    """A client at a given peer address, against one gateway that trusts PROXY only."""
    limited = settings.model_copy(update={"public_rate_limit_per_minute": LIMIT})
    async with running(settings, ledger.service, audit.service):
        app = create_app(limited, secret=SECRET, routes=ROUTES,
                         contracts=[ledger.CONTRACT, audit.CONTRACT],
                         trusted_proxies=[PROXY, "fd00::/64"])
        async with app.router.lifespan_context(app):
            opened: list[httpx.AsyncClient] = []

            def at(peer: str) -> httpx.AsyncClient:
                c = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(peer, 4000)),
                                      base_url="http://gw")
                opened.append(c)
                return c

            yield at
            for c in opened:
                await c.aclose()


async def statuses(c: httpx.AsyncClient, n: int, headers: Callable[[int], dict[str, str]]
                   ) -> list[int]:
    return [(await c.get(TALLY, headers=headers(i))).status_code for i in range(n)]


@pytest.mark.parametrize("roles", [("offline_access",),
                                   ("offline_access", "uma_authorization",
                                    "default-roles-govbus"),
                                   ()])
async def test_a_token_without_a_staff_role_is_limited_like_the_public(gateway, roles):
    got = await statuses(gateway("203.0.113.20"), LIMIT + 1, lambda i: bearer(*roles))
    assert got == [200] * LIMIT + [429]


async def test_a_staff_token_is_not_limited(gateway):
    got = await statuses(gateway("203.0.113.21"), LIMIT + 3, lambda i: bearer("clerk"))
    assert got == [200] * (LIMIT + 3)


async def test_a_client_cannot_pick_its_bucket_with_x_forwarded_for(gateway):
    # Not from a trusted proxy: the header is ignored, the peer's address is the bucket.
    got = await statuses(gateway("203.0.113.22"), LIMIT + 1,
                         lambda i: {"X-Forwarded-For": f"198.51.100.{i + 1}"})
    assert got == [200] * LIMIT + [429]
    got = await statuses(gateway("203.0.113.23"), LIMIT + 1,
                         lambda i: {"Forwarded": f"for=198.51.100.{i + 1}"})
    assert got == [200] * LIMIT + [429]


async def test_behind_the_trusted_proxy_each_client_has_its_own_bucket(gateway):
    proxy = gateway(PROXY)
    first = await statuses(proxy, LIMIT + 1, lambda i: {"X-Forwarded-For": "198.51.100.77"})
    assert first == [200] * LIMIT + [429]
    # Another citizen behind the same proxy is not held up by the first.
    other = await statuses(proxy, 1, lambda i: {"X-Forwarded-For": "198.51.100.78"})
    assert other == [200]
    # A client prepending addresses of its own does not escape its bucket: the proxy
    # appends the address it saw, and that rightmost untrusted address counts.
    spoofed = await statuses(proxy, 2, lambda i: {
        "X-Forwarded-For": f"192.0.2.{i + 1}, 198.51.100.77"})
    assert spoofed == [429, 429]


def request(peer: str, **headers: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/", "client": (peer, 1),
                    "headers": [(k.lower().replace("_", "-").encode(), v.encode())
                                for k, v in headers.items()]})


def test_client_addresses_follow_the_chain_through_trusted_proxies_only():
    none = ClientAddresses(parse_networks(""))
    assert none(request("203.0.113.1", x_forwarded_for="1.2.3.4")) == "203.0.113.1"
    chain = ClientAddresses(parse_networks("10.0.0.0/8, 127.0.0.1"))
    assert chain(request("10.1.1.1", x_forwarded_for="1.2.3.4")) == "1.2.3.4"
    assert chain(request("10.1.1.1", x_forwarded_for="9.9.9.9, 1.2.3.4, 10.2.2.2")
                 ) == "1.2.3.4"
    assert chain(request("10.1.1.1")) == "10.1.1.1"
    assert chain(request("10.1.1.1", x_forwarded_for="not-an-address")) == "10.1.1.1"
    assert chain(request("10.1.1.1", x_forwarded_for="1.2.3.4:5678")) == "1.2.3.4"
    assert chain(request("127.0.0.1", x_forwarded_for="10.0.0.9")) == "10.0.0.9"
    forwarded = ClientAddresses(parse_networks("10.0.0.0/8"), "forwarded")
    assert forwarded(request("10.1.1.1", forwarded='for="[2001:db8::1]:4711";proto=https'
                             )) == "2001:db8::1"
    assert forwarded(request("10.1.1.1", forwarded="for=1.2.3.4, for=5.6.7.8",
                             x_forwarded_for="9.9.9.9")) == "5.6.7.8"
    with pytest.raises(ValueError, match="GOVBUS_TRUSTED_PROXIES"):
        parse_networks("10.0.0.0/8, ingress")


def test_an_idempotency_key_is_scoped_by_caller():
    from govbus_contracts.envelope import Principal
    from govbus_gateway.callers import Caller, caller_kind, scoped_command_id

    alice = Principal(subject="u-alice", roles=frozenset({"offline_access"}))
    bob = Principal(subject="u-bob", roles=frozenset({"clerk"}))
    key = "key-0000000001"
    ids = {scoped_command_id(key, alice, "198.51.100.1"),
           scoped_command_id(key, bob, "198.51.100.1"),
           scoped_command_id(key, None, "198.51.100.1"),
           scoped_command_id(key, None, "198.51.100.2")}
    assert len(ids) == 4
    # Stable for the same caller: a token holder's retry from another address included.
    assert scoped_command_id(key, alice, "198.51.100.1") == scoped_command_id(key, alice,
                                                                              "203.0.113.9")
    assert scoped_command_id(key, None, "198.51.100.1") == scoped_command_id(key, None,
                                                                             "198.51.100.1")
    staff = frozenset({"clerk"})
    assert caller_kind(None, staff) is Caller.anonymous
    assert caller_kind(alice, staff) is Caller.citizen
    assert caller_kind(bob, staff) is Caller.staff
