"""The 督办通知书 loop over the bus.

An item escalated to 督办通知书 (by the sweep or by hand) asks the documents service, as the
supervision service itself, for an outgoing 督办通知书 addressed to the lead department
(``draft_requested_outgoing``), and records the draft's id on the item. The office's staff
review, sign, number and dispatch it in documents; when documents announces it dispatched,
its 发文字号 is recorded on the item (``item.notice_recorded``).

Nothing is lost and nothing is done twice: the ask's message id is derived from the
escalation fact's id, so a redelivered fact (or a retry after the documents service did not
answer: the handler fails, the kit redelivers it later with back-off) finds the draft made
the first time instead of a second one; each fact is applied to the item once.
"""

from __future__ import annotations

from govbus_contracts.envelope import deterministic_id
from govbus_contracts.services.documents.outgoing import (
    DRAFT_REQUESTED_OUTGOING,
    OUTGOING_DISPATCHED,
    OutgoingDispatched,
    OutgoingState,
)
from govbus_contracts.services.supervision.common import SERVICE, EscalationLevel
from govbus_contracts.services.supervision.items import ITEM_ESCALATED, ItemEscalated
from govbus_kit.clock import office_date
from govbus_kit.domain import Outcome
from govbus_kit.logging import get_logger
from govbus_kit.service import EventContext
from govbus_supervision.domain import deadlines, notices
from govbus_supervision.domain.record import SupervisionItem
from govbus_supervision.handlers.items import ITEMS, office_periods, settings
from govbus_supervision.service import service

log = get_logger("govbus.supervision.notices")


def notice_message_id(escalation_event_id: str) -> str:
    """The ask's id, the same for every delivery of the escalation fact."""
    return deterministic_id(SERVICE, "notice", escalation_event_id)


@service.subscribe(ITEM_ESCALATED, durable="supervision-notices")
async def notice_for_escalation(event: ItemEscalated, ctx: EventContext) -> None:
    """督办通知书 level reached: the documents service drafts the notice (once)."""
    if event.level is not EscalationLevel.notice or event.due_on is None:
        return
    repo = ITEMS.repository(ctx.service)
    item = await repo.get(event.id)
    notice = notices.pending_notice(item, event.due_on) if item is not None else None
    if item is None or notice is None:
        return  # drafted already (the fact delivered again), or no notice waits for it
    options = settings(ctx.service)
    draft = notices.notice_draft(item, notice, office_periods(ctx.service),
                                 issuer_code=options.notice_issuer_code,
                                 office_name=options.office_name)
    # A failure here (documents away, not answering in time) fails the delivery: the kit
    # redelivers the fact later, and the same message id finds the draft made once.
    answer = OutgoingState.model_validate(await ctx.service.ask(
        DRAFT_REQUESTED_OUTGOING, draft, message_id=notice_message_id(ctx.envelope.id)))
    now = ctx.now()

    def decide(current: SupervisionItem | None) -> Outcome[SupervisionItem, bool]:
        if current is None:
            return Outcome(None, False)
        new = deadlines.notice_requested(current, answer.document_id, now)
        return Outcome(None if new is current else new, new is not current)

    if await ctx.execute(repo, item.id, decide):
        log.info("notice_drafted", item_id=item.id, document_id=answer.document_id)


@service.subscribe(OUTGOING_DISPATCHED, durable="supervision-dispatched")
async def notice_dispatched(event: OutgoingDispatched, ctx: EventContext) -> None:
    """A 督办通知书 dispatched by documents: its 发文字号 on the item (once)."""
    if not notices.is_own_notice(event.requested_by):
        return
    assert event.requested_by is not None
    now = ctx.now()
    dispatched_on = office_date(event.dispatched_at)

    def decide(current: SupervisionItem | None) -> Outcome[SupervisionItem, bool]:
        change = (deadlines.record_notice(current, event.document_id, event.doc_number,
                                          dispatched_on, now) if current is not None else None)
        if change is None:
            return Outcome(None, False)
        return Outcome(change.state, True, change.events)

    if await ctx.execute(ITEMS.repository(ctx.service), event.requested_by.reference, decide):
        log.info("notice_recorded", item_id=event.requested_by.reference,
                 doc_number=event.doc_number)
