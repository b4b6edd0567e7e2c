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
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from govbus_contracts.envelope import Principal
from govbus_kit.domain import Aggregate, Change, Outcome
from govbus_kit.repository import AggregateRepository
from govbus_kit.service import CommandContext, QueryContext, ServiceContext

A = TypeVar("A", bound=Aggregate)
R = TypeVar("R")

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


__all__ = ["Visible", "Workflow"]
