"""Test-only service ``audit``: tallies ``ledger`` credits, idempotently.

Accounts named ``poison-*`` make the handler fail until a "cure" is stored for them, which is
how the tests produce a poison message and later replay it successfully.
"""

from __future__ import annotations

from govbus_contracts import Query, Reply, ServiceContract
from govbus_kit.repository import Aggregate, Outcome
from govbus_kit.service import EventContext, QueryContext, Service
from govbus_testplugins.ledger import CREDITED, Credited

CONTRACT = ServiceContract("audit", "test-only: tallies the ledger's credits")


class GetTally(Query):
    account: str


class Tally(Reply):
    account: str
    credits: int
    total: int


TALLY = CONTRACT.query("tally", GetTally, Tally)


class AccountTally(Aggregate):
    credits: int = 0
    total: int = 0


service = Service(CONTRACT)


@service.subscribe(CREDITED, durable="audit-credits")
async def on_credited(event: Credited, ctx: EventContext) -> None:
    if event.account.startswith("poison"):
        if await ctx.service.db["cures"].find_one({"_id": event.account}) is None:
            raise RuntimeError(f"cannot tally {event.account}: no cure stored")
    repo = ctx.service.repository("tallies", AccountTally)

    def apply(tally: AccountTally | None) -> Outcome[AccountTally, None]:
        current = tally or AccountTally(id=event.account)
        return Outcome(current.model_copy(update={
            "credits": current.credits + 1, "total": current.total + event.amount}), None)

    await ctx.execute(repo, event.account, apply)


@service.query(TALLY)
async def tally(query: GetTally, ctx: QueryContext) -> Tally:
    found = await ctx.service.repository("tallies", AccountTally).get(query.account)
    return Tally(account=query.account, credits=found.credits if found else 0,
                 total=found.total if found else 0)
