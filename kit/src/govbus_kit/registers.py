"""Yearly serial registers: gapless serials per (register, year[, key]), reached by ``_id``.

A service names its register (the collection), the key that splits it beside the year (a
机关代字, or none) and how a serial is written (its office's number format); the kit keeps
the serials:

- one small document per (year, key), ``_id`` = ``register_id(year, key)``, written by the
  repository's compare-and-set, so two takers never get the same serial and none is
  skipped;
- a serial is taken through ``ctx.execute`` under the command's id: a retried command, however
  many numbers were given since, is answered from the command ledger with its first serial
  and spends none;
- a workflow step that writes the serial on its aggregate (登记) is ``take_for``: the step is
  checked first, so a refusal spends no serial (``Workflow.numbered_step``).

A register that keeps an entry per serial (the 发文字号 register: reserved, used, voided)
keeps only its recent entries, and those it must find by something else than the serial, in
that document; older ones move to pages of ``PAGE_SIZE`` (``EntryPages``), each read and
written by ``_id``, so no document grows with the year. An entry is written to its page
before the register drops it (only as written there): a crash between the two leaves it in
both places, never in none, and where both hold it the register's copy is the newer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from govbus_kit.domain import Change
from govbus_kit.repository import Aggregate, Outcome
from govbus_kit.service import CommandContext
from govbus_kit.workflow import Workflow

Db = AsyncDatabase[dict[str, Any]]
A = TypeVar("A", bound=Aggregate)
R = TypeVar("R")

#: Entries per page document (one page holds serials k*PAGE_SIZE+1 … (k+1)*PAGE_SIZE).
PAGE_SIZE = 100
#: Final entries a register document keeps before older ones move to their pages.
WINDOW = 100


def register_id(year: int, key: str | None = None) -> str:
    """"2026" for a register split by year only, "宜府办发:2026" with a key."""
    return str(year) if key is None else f"{key}:{year}"


class Serials(Aggregate):
    """A yearly register's document: the last serial given."""

    year: int
    last_serial: int = 0


def next_serial(current: Serials | None, year: int, key: str | None = None) -> Serials:
    """The register with the next serial taken: serials run per year without gaps."""
    held = current or Serials(id=register_id(year, key), year=year)
    return held.model_copy(update={"last_serial": held.last_serial + 1})


class SerialRegister:
    """A register that gives serials only (收文编号, 申请编号): the service gives its
    collection and how a serial is written."""

    def __init__(self, collection: str, number: Callable[[int, int], str]) -> None:
        self.collection = collection
        self.number = number  # (year, serial) → the number as the office writes it

    async def take(self, ctx: CommandContext, year: int, key: str | None = None) -> int:
        """The next serial of ``year``; once per command id (a retry gets the same back)."""

        def decide(current: Serials | None) -> Outcome[Serials, int]:
            taken = next_serial(current, year, key)
            return Outcome(taken, taken.last_serial)

        repo = ctx.service.repository(self.collection, Serials)
        return await ctx.execute(repo, register_id(year, key), decide, reply=int)

    async def next_free(self, ctx: CommandContext, year: int, key: str | None = None) -> int:
        """The serial the next ``take`` would give (read, nothing taken)."""
        held = await ctx.service.repository(self.collection, Serials).get(
            register_id(year, key))
        return (held.last_serial if held else 0) + 1

    async def take_for(self, ctx: CommandContext, workflow: Workflow[A, R], aggregate_id: str,
                       rule: Callable[[A, int], Change[A]], *, year: int,
                       key: str | None = None) -> R:
        """The step ``rule`` of ``workflow`` on ``aggregate_id`` with the next serial of
        ``year``: the rule is first checked with the serial the register would give next
        (nothing taken: a refusal spends no serial), then the serial is taken, once per
        command id, and the step written with it; a retried command gets its first reply."""
        probe = await self.next_free(ctx, year, key)

        async def take(_: A) -> int:
            return await self.take(ctx, year, key)

        return await workflow.numbered_step(ctx, aggregate_id,
                                            check=lambda seen: rule(seen, probe),
                                            take=take, rule=rule)


def page_of(position: int) -> int:
    return (position - 1) // PAGE_SIZE


class EntryPages:
    """Final entries of a register beyond its window, by position (serial), in pages."""

    def __init__(self, collection: str) -> None:
        self.collection = collection

    def page_id(self, register: str, position: int) -> str:
        return f"{register}#{page_of(position)}"

    async def put(self, db: Db, register: str, entries: Mapping[int, dict[str, Any]]) -> None:
        """Write entries (JSON) at their positions; writing one again changes nothing."""
        by_page: dict[str, dict[str, Any]] = {}
        for position, entry in entries.items():
            by_page.setdefault(self.page_id(register, position), {})[
                f"entries.{position}"] = entry
        for page, fields in by_page.items():
            try:
                await db[self.collection].update_one({"_id": page}, {"$set": fields},
                                                     upsert=True)
            except DuplicateKeyError:
                # Two writers created the page at once: it exists now, so this one sets.
                await db[self.collection].update_one({"_id": page}, {"$set": fields})

    async def get(self, db: Db, register: str, position: int) -> dict[str, Any] | None:
        page = await db[self.collection].find_one({"_id": self.page_id(register, position)})
        found = ((page or {}).get("entries") or {}).get(str(position))
        return dict(found) if found is not None else None

    async def read(self, db: Db, register: str, upto: int) -> dict[int, dict[str, Any]]:
        """Every entry of positions 1 … ``upto`` held in pages (one read by ``_id`` a page)."""
        out: dict[int, dict[str, Any]] = {}
        for k in range(page_of(upto) + 1 if upto > 0 else 0):
            page = await db[self.collection].find_one({"_id": f"{register}#{k}"})
            for position, entry in ((page or {}).get("entries") or {}).items():
                out[int(position)] = dict(entry)
        return out


def overflow(positions: Sequence[int], movable: Iterable[bool], window: int = WINDOW
             ) -> list[int]:
    """The positions to move to pages: the oldest movable ones beyond ``window`` of them."""
    kept = sorted(p for p, ok in zip(positions, movable, strict=True) if ok)
    return kept[:max(len(kept) - window, 0)]


__all__ = [
    "PAGE_SIZE",
    "WINDOW",
    "EntryPages",
    "SerialRegister",
    "Serials",
    "next_serial",
    "overflow",
    "page_of",
    "register_id",
]
