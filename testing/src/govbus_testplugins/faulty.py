"""Test-only service ``faulty``: a command and a query whose handlers fail unexpectedly,
with internals in the exception (a class name, a path, a secret) that must reach no client."""

from __future__ import annotations

from pydantic import Field

from govbus_contracts import Command, Query, Reply, ServiceContract
from govbus_kit.service import CommandContext, QueryContext, Service

CONTRACT = ServiceContract("faulty", "test-only: handlers that raise")
#: what the exceptions carry; none of it may appear in an answer
SECRET = "mongodb://admin:s3cret@db-internal:27017"


class Break(Command):
    what: str = Field(default="x", max_length=16)


class Peek(Query):
    what: str = Field(default="x", max_length=16)


class Nothing(Reply):
    ok: bool = True


BREAK = CONTRACT.command("break_things", Break, Nothing)
PEEK = CONTRACT.query("peek", Peek, Nothing)

service = Service(CONTRACT)


class StoreExplodedError(RuntimeError):
    pass


@service.command(BREAK)
async def break_things(cmd: Break, ctx: CommandContext) -> Nothing:
    raise StoreExplodedError(f"cannot reach {SECRET}")


@service.query(PEEK)
async def peek(query: Peek, ctx: QueryContext) -> Nothing:
    raise KeyError(SECRET)
