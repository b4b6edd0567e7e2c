"""Test-only service ``slow``: a command that takes the time it is told, and an event
consumer that waits until the test lets it go.

What its handlers did is kept in this module (the tests run the service in their own
process): how many run at once, the most that ever ran at once, and which ran at all.
"""

from __future__ import annotations

import asyncio

from pydantic import Field

from govbus_contracts import Command, Event, Reply, ServiceContract
from govbus_kit.repository import Aggregate, Emit, Outcome
from govbus_kit.service import CommandContext, EventContext, Service

CONTRACT = ServiceContract("slow", "test-only: handlers that take their time")


class Work(Command):
    tag: str = Field(min_length=1, max_length=64)
    seconds: float = Field(default=0.0, ge=0, le=30)


class Note(Command):
    tag: str = Field(min_length=1, max_length=64)


class Done(Reply):
    tag: str


class Noted(Event):
    tag: str


WORK = CONTRACT.command("work", Work, Done)
NOTE = CONTRACT.command("note", Note, Done)
NOTED = CONTRACT.event("item", "noted", Noted)


class Item(Aggregate):
    tag: str = ""


class Record:
    """What the handlers did since the last ``reset``."""

    def __init__(self) -> None:
        self.executing = 0
        self.most = 0
        self.executed: list[str] = []
        self.gate = asyncio.Event()  # the event consumer waits for it
        self.handled: list[str] = []


record = Record()


def reset() -> Record:
    global record
    record = Record()
    return record


service = Service(CONTRACT)


@service.command(WORK)
async def work(cmd: Work, ctx: CommandContext) -> Done:
    record.executing += 1
    record.most = max(record.most, record.executing)
    record.executed.append(cmd.tag)
    try:
        await asyncio.sleep(cmd.seconds)
    finally:
        record.executing -= 1
    return Done(tag=cmd.tag)


@service.command(NOTE)
async def note(cmd: Note, ctx: CommandContext) -> Done:
    def decide(item: Item | None) -> Outcome[Item, Done]:
        return Outcome(Item(id=cmd.tag, tag=cmd.tag), Done(tag=cmd.tag),
                       [Emit(NOTED, Noted(tag=cmd.tag))])

    reply: Done = await ctx.execute(ctx.service.repository("items", Item), cmd.tag, decide)
    return reply


@service.subscribe(NOTED, durable="slow-noted")
async def on_noted(event: Noted, ctx: EventContext) -> None:
    await record.gate.wait()
    record.handled.append(event.tag)
