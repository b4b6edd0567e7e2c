"""A command the gateway gave up on may still complete: the 504 says so, and a retry with the
same Idempotency-Key returns the first result instead of acting twice.

A test-only service ``slowbox`` answers on the real bus, slower than the gateway waits: the
first call through a gateway that waits 0.3 s answers 504 while the service completes the
command; the retry goes through a gateway that waits long enough (a quieter moment).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest
from pydantic import Field

from govbus_contracts import Command, Query, Reply, ServiceContract
from govbus_gateway.app import create_app
from govbus_gateway.routing import Route, route
from govbus_kit.repository import Aggregate, Outcome
from govbus_kit.service import CommandContext, QueryContext, Service
from govbus_testing import running

pytestmark = pytest.mark.servers

SECRET = "timeout-test-secret-" + "t" * 32
CONTRACT = ServiceContract("slowbox", "test-only: commands slower than the gateway waits")
#: how long the service takes over a command; the impatient gateway waits less
SERVICE_SECONDS = 1.0
IMPATIENT = 0.3


class Deposit(Command):
    account: str = Field(min_length=1, max_length=64)
    amount: int = Field(gt=0, le=1000)


class GetBalance(Query):
    account: str = Field(min_length=1, max_length=64)


class Balance(Reply):
    account: str
    balance: int
    deposits: int
    version: int


class Account(Aggregate):
    balance: int = 0
    deposits: int = 0


DEPOSIT = CONTRACT.command("slow_deposit", Deposit, Balance)
BALANCE = CONTRACT.query("slow_balance", GetBalance, Balance)
service = Service(CONTRACT)


@service.command(DEPOSIT)
async def deposit(cmd: Deposit, ctx: CommandContext) -> Balance:
    await asyncio.sleep(SERVICE_SECONDS)  # a busy service: the work queued before this one

    def decide(account: Account | None) -> Outcome[Account, Balance]:
        current = account or Account(id=cmd.account)
        changed = current.model_copy(update={"balance": current.balance + cmd.amount,
                                             "deposits": current.deposits + 1})
        return Outcome(changed, Balance(account=cmd.account, balance=changed.balance,
                                        deposits=changed.deposits, version=current.version + 1))

    reply: Balance = await ctx.execute(ctx.service.repository("accounts", Account),
                                       cmd.account, decide)
    return reply


@service.query(BALANCE)
async def balance(query: GetBalance, ctx: QueryContext) -> Balance:
    account = await ctx.service.repository("accounts", Account).require(query.account)
    return Balance(account=account.id, balance=account.balance, deposits=account.deposits,
                   version=account.version)


def routes(timeout: float | None) -> list[Route]:
    return [
        route(DEPOSIT, "POST", "/slowbox/accounts/{account}/deposit", roles={"clerk"},
              timeout=timeout),
        route(BALANCE, "GET", "/slowbox/accounts/{account}", roles={"clerk"}),
    ]


def bearer() -> dict[str, str]:
    claims = {"sub": "u-1", "roles": ["clerk"], "exp": int(time.time()) + 600}
    return {"Authorization": f"Bearer {jwt.encode(claims, SECRET, algorithm='HS256')}"}


@pytest.fixture
async def gateways(settings) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """(impatient, patient): two gateways on one bus, waiting 0.3 s and 5 s."""
    async with running(settings, service):
        impatient = create_app(settings, secret=SECRET, routes=routes(IMPATIENT),
                               contracts=[CONTRACT])
        patient = create_app(settings, secret=SECRET, routes=routes(None), contracts=[CONTRACT])
        async with impatient.router.lifespan_context(impatient), \
                patient.router.lifespan_context(patient):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=impatient),
                                         base_url="http://gw") as hurried, \
                    httpx.AsyncClient(transport=httpx.ASGITransport(app=patient),
                                      base_url="http://gw") as calm:
                yield hurried, calm


async def completed(client: httpx.AsyncClient, account: str) -> dict[str, Any] | None:
    """The account once the command the gateway gave up on has completed in the service;
    None if it did not within a few seconds (it reached the service after its deadline and
    was dropped unstarted, ``expired``: the repeat with its key then carries it out)."""
    for _ in range(50):
        r = await client.get(f"/api/v1/slowbox/accounts/{account}", headers=bearer())
        if r.status_code == 200:
            return dict(r.json())
        await asyncio.sleep(0.1)
    return None


async def test_a_command_that_timed_out_says_it_may_have_completed_and_how_to_learn_its_result(
        gateways):
    hurried, calm = gateways
    key = "timeout-key-0000001"
    path = "/api/v1/slowbox/accounts/t-1/deposit"
    first = await hurried.post(path, json={"amount": 5},
                               headers={**bearer(), "Idempotency-Key": key})
    assert first.status_code == 504
    error = first.json()["error"]
    assert error["code"] == "timeout"
    assert "may have completed" in error["message"]
    assert f"Idempotency-Key ({key})" in error["message"]
    assert error["details"]["idempotency_key"] == key
    assert 1 <= int(first.headers["Retry-After"]) <= 10
    assert first.headers["Idempotency-Key"] == key

    # The service completes the command the gateway gave up on (unless, on a busy machine,
    # it reached the service after its deadline and was never started: then the repeat runs it).
    await completed(calm, "t-1")
    again = await calm.post(path, json={"amount": 5},
                            headers={**bearer(), "Idempotency-Key": key})
    assert again.status_code == 200, again.text
    assert again.json() == {"account": "t-1", "balance": 5, "deposits": 1, "version": 1}
    after = await calm.get("/api/v1/slowbox/accounts/t-1", headers=bearer())
    assert after.json()["deposits"] == 1, "the retry did not act a second time"


async def test_without_a_key_the_504_names_the_one_to_repeat_the_command_with(gateways):
    hurried, calm = gateways
    path = "/api/v1/slowbox/accounts/t-2/deposit"
    first = await hurried.post(path, json={"amount": 7}, headers=bearer())
    assert first.status_code == 504
    key = first.headers["Idempotency-Key"]
    error = first.json()["error"]
    assert error["details"]["idempotency_key"] == key
    assert "Retry-After" in first.headers

    if error["code"] == "expired":
        # On a busy machine the service may get it after its deadline: never started, and
        # named with its key all the same.
        assert f"Idempotency-Key ({key})" in error["message"]
    await completed(calm, "t-2")
    again = await calm.post(path, json={"amount": 7},
                            headers={**bearer(), "Idempotency-Key": key})
    assert again.status_code == 200, again.text
    assert again.json()["deposits"] == 1
    assert (await calm.get("/api/v1/slowbox/accounts/t-2", headers=bearer())
            ).json()["balance"] == 7


async def test_a_retry_while_the_first_is_still_running_returns_its_result(gateways):
    """The retry may reach the service before the first call has completed: it waits for
    it and answers the same result, one deposit."""
    hurried, calm = gateways
    key = "timeout-key-0000003"
    path = "/api/v1/slowbox/accounts/t-3/deposit"
    first = await hurried.post(path, json={"amount": 2},
                               headers={**bearer(), "Idempotency-Key": key})
    assert first.status_code == 504
    again = await calm.post(path, json={"amount": 2},
                            headers={**bearer(), "Idempotency-Key": key})
    assert again.status_code == 200, again.text
    assert again.json() == {"account": "t-3", "balance": 2, "deposits": 1, "version": 1}
