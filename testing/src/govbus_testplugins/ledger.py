"""Test-only service ``ledger``: deposits change a balance and publish ``credited``."""

from __future__ import annotations

from pydantic import Field

from govbus_contracts import Command, Event, Query, Reply, ServiceContract
from govbus_kit.repository import Aggregate, Emit, Outcome
from govbus_kit.service import CommandContext, QueryContext, Service

CONTRACT = ServiceContract("ledger", "test-only: a ledger of deposits")


class Deposit(Command):
    account: str = Field(min_length=1, max_length=64)
    amount: int = Field(gt=0, le=1_000_000)


class GetBalance(Query):
    account: str


class Balance(Reply):
    account: str
    balance: int
    version: int


class Credited(Event):
    account: str
    amount: int
    balance: int


DEPOSIT = CONTRACT.command("deposit", Deposit, Balance)
BALANCE = CONTRACT.query("balance", GetBalance, Balance)
CREDITED = CONTRACT.event("account", "credited", Credited)


class Account(Aggregate):
    balance: int = 0


service = Service(CONTRACT)


@service.command(DEPOSIT)
async def deposit(cmd: Deposit, ctx: CommandContext) -> Balance:
    repo = ctx.service.repository("accounts", Account)

    def decide(account: Account | None) -> Outcome[Account, Balance]:
        current = account or Account(id=cmd.account)
        balance = current.balance + cmd.amount
        return Outcome(
            current.model_copy(update={"balance": balance}),
            Balance(account=cmd.account, balance=balance, version=current.version + 1),
            [Emit(CREDITED, Credited(account=cmd.account, amount=cmd.amount, balance=balance))],
        )

    reply: Balance = await ctx.execute(repo, cmd.account, decide)
    return reply


@service.query(BALANCE)
async def balance(query: GetBalance, ctx: QueryContext) -> Balance:
    account = await ctx.service.repository("accounts", Account).require(query.account)
    return Balance(account=account.id, balance=account.balance, version=account.version)
