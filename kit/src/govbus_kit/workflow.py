"""One kind of aggregate as its handlers reach it, so that a workflow handler is one line.

    INCOMING = Workflow("incoming", IncomingDocument, IncomingStepReply, ack=_ack,
                        visible=lambda p, doc, id: require_visible(p, doc, "收文", id))

    @service.command(REVIEW_INCOMING)
    async def review_incoming(cmd: ReviewIncoming, ctx: CommandContext) -> IncomingStepReply:
        return await INCOMING.step(ctx, cmd.id, lambda doc: rules.review(doc, cmd, ...))

A step loads the aggregate, refuses whoever may not see it exactly as an unknown id
(``visible`` raises ``not_found`` for both, before any other refusal), lets the rule decide
(a :class:`~govbus_kit.domain.Change`, or a ``GovbusError`` that changes nothing), and
writes the new state with its facts in one compare-and-set, once per command id; the reply
is ``ack`` of the new state and version, of type ``reply`` on a retry too.

A step that needs a number from a register (登记: 督〔2026〕12号, 宜府办发〔2026〕7号) is
``numbered_step``: check the step, then take the number, then write, so that a refusal
spends no number and a retried command gets its first reply.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from govbus_contracts.envelope import Principal
from govbus_contracts.errors import GovbusError
from govbus_kit.domain import Aggregate, Change, Outcome
from govbus_kit.repository import AggregateRepository
from govbus_kit.service import CommandContext, QueryContext, ServiceContext

A = TypeVar("A", bound=Aggregate)
R = TypeVar("R")
N = TypeVar("N")

#: Who may see an aggregate: the aggregate, or ``not_found`` for an unknown id and for one
#: the principal may not see alike (arguments: principal, loaded aggregate or None, its id).
Visible = Callable[[Principal, A | None, str], A]


@dataclass(frozen=True)
class Workflow(Generic[A, R]):
    """Where one kind of aggregate is stored, who may see one, and what a step answers."""

    collection: str
    model: type[A]
    reply: type[R]
    ack: Callable[[A, int], R]
    visible: Visible[A]

    def repository(self, ctx: ServiceContext) -> AggregateRepository[A]:
        return ctx.repository(self.collection, self.model)

    async def load(self, ctx: CommandContext | QueryContext, aggregate_id: str) -> A:
        """The aggregate as the principal may see it, or ``not_found``."""
        current = await self.repository(ctx.service).get(aggregate_id)
        return self.visible(ctx.principal, current, aggregate_id)

    async def step(self, ctx: CommandContext, aggregate_id: str,
                   rule: Callable[[A], Change[A]]) -> R:
        """One step of the workflow on ``aggregate_id``, by the rule of the office."""

        def decide(current: A | None) -> Outcome[A, R]:
            seen = self.visible(ctx.principal, current, aggregate_id)
            change = rule(seen)
            version = seen.version + 1
            return Outcome(change.state, self.ack(change.state, version), change.events)

        return await ctx.execute(self.repository(ctx.service), aggregate_id, decide,
                                 reply=self.reply)

    async def numbered_step(self, ctx: CommandContext, aggregate_id: str, *,
                            check: Callable[[A], object],
                            take: Callable[[A], Awaitable[N]],
                            rule: Callable[[A, N], Change[A]]) -> R:
        """A step that writes a number taken from a register (a second aggregate): check the
        step, then take the number, then write the step with it.

        - ``check`` raises what the step would (on the aggregate as the principal sees it):
          a refusal is answered before ``take`` runs, so no number is spent on it;
        - a retried command whose first delivery went through is refused by ``check`` now
          (the step is done): it is answered from the aggregate's command ledger with its
          first reply instead;
        - ``take`` takes the number once per command id (e.g. ``SerialRegister.take`` or a
          register's own ``ctx.execute``): a retry after a crash between the two writes gets
          the number it took, and ``rule`` then writes it.
        """
        current = await self.repository(ctx.service).get(aggregate_id)
        try:
            seen = self.visible(ctx.principal, current, aggregate_id)
            check(seen)
        except GovbusError as refused:
            # The command's ledger answers a retry of a step that went through; anything
            # else is refused as the check said, before a number is taken.
            return await self.step(ctx, aggregate_id, _refusing(refused))
        number = await take(seen)
        return await self.step(ctx, aggregate_id, lambda fresh: rule(fresh, number))


def _refusing(refused: GovbusError) -> Callable[[A], Change[A]]:
    def rule(_: A) -> Change[A]:
        raise refused
    return rule


__all__ = ["Visible", "Workflow"]
