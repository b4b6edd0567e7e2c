"""The 发文字号 register's store: the register document and its pages, below the handlers.

The register document (collection ``numbering``, ``_id`` = ``numbering.register_id``) is the
one compare-and-set point of a series; its older entries and history lines live in the
kit's pages (``numbering_entries``, ``numbering_history``), each read by ``_id``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from govbus_contracts.services.documents.outgoing import NumberEntry
from govbus_documents.domain import numbering
from govbus_documents.domain.numbering import NumberRegister
from govbus_kit.registers import EntryPages
from govbus_kit.repository import AggregateRepository, Outcome
from govbus_kit.service import CommandContext, ServiceContext

ENTRY_PAGES = EntryPages("numbering_entries")
HISTORY_PAGES = EntryPages("numbering_history")

R = TypeVar("R")


def registers(ctx: ServiceContext) -> AggregateRepository[NumberRegister]:
    return ctx.repository(numbering.COLLECTION, NumberRegister)


async def paged_entry(ctx: ServiceContext, register: NumberRegister, serial: int
                      ) -> NumberEntry | None:
    """The entry of ``serial`` from its page, where the register document does not hold it."""
    if any(e.serial == serial for e in register.entries):
        return None
    found = await ENTRY_PAGES.get(ctx.db, register.id, serial)
    return NumberEntry.model_validate(found) if found is not None else None


async def _move_old_lines(ctx: ServiceContext, register: NumberRegister | None
                          ) -> tuple[list[NumberEntry], int]:
    """Write the register's oldest movable entries and history lines to their pages; the
    next write of the register drops them where unchanged (written first: a crash between
    leaves them in both places, never in none)."""
    if register is None:
        return [], 0
    entries, history = numbering.to_move(register)
    if entries:
        await ENTRY_PAGES.put(ctx.db, register.id,
                              {e.serial: e.model_dump(mode="json") for e in entries})
    upto = 0
    if history:
        await HISTORY_PAGES.put(ctx.db, register.id, {
            register.history_moved + i + 1: h.model_dump(mode="json")
            for i, h in enumerate(history)})
        upto = register.history_moved + len(history)
    return entries, upto


async def execute(ctx: CommandContext, register_id: str,
                  decide: Callable[[NumberRegister | None], Outcome[NumberRegister, R]],
                  *, reply: type[R], serial: int | None = None) -> R:
    """``decide`` on the register by compare-and-set, once per command id. ``serial``: a
    serial the rule names, read back from its page where the register does not hold it."""
    repo = registers(ctx.service)
    moved, history_upto = await _move_old_lines(ctx.service, await repo.get(register_id))

    async def trimmed(held: NumberRegister | None) -> Outcome[NumberRegister, R]:
        paged: NumberEntry | None = None
        if held is not None:
            held = numbering.without_moved(held, moved, history_upto)
            if serial is not None:
                paged = await paged_entry(ctx.service, held, serial)
                if paged is not None:
                    held = numbering.with_paged(held, [paged])
        outcome = decide(held)
        if paged is not None and outcome.state is not None:
            # Unchanged, the entry stays in its page only; changed, the register holds it.
            outcome.state = numbering.without_moved(outcome.state, [paged], 0)
        return outcome

    # ``trimmed`` serves every rule of the register: its reply type is the rule's.
    return await ctx.execute(repo, register_id, trimmed, reply=reply)


async def entries(ctx: ServiceContext, register: NumberRegister) -> list[NumberEntry]:
    """Every entry of the register, from its pages and its document."""
    held = {e.serial: e for e in register.entries}
    paged = await ENTRY_PAGES.read(ctx.db, register.id, register.next_serial - 1)
    for serial, entry in paged.items():
        held.setdefault(serial, NumberEntry.model_validate(entry))
    return [held[s] for s in sorted(held)]

