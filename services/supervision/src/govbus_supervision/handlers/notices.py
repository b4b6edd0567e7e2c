"""The 督办通知书 loop over the bus.

An item escalated to 督办通知书 (by the sweep or by hand) asks the documents service, as the
supervision service itself, for an outgoing 督办通知书 addressed to the lead department
(``draft_requested_outgoing``), and records the draft's id on the item. The office's staff
review, sign, number and dispatch it in documents; when documents announces it dispatched,
its 发文字号 is recorded on the item (``item.notice_recorded``).

Nothing is lost and nothing is done twice: the ask's message id is derived from the
escalation fact's id, so a redelivered fact (or a retry after the documents service did not
answer: the handler fails, the kit redelivers it later with back-off) finds the draft made
the first time instead of a second one; a notice still without a draft the day after (the
fact dead-lettered after its last try) is asked again by a periodic task under the same id;
each fact is applied to the item once.
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
from govbus_contracts.services.supervision.items import (
    ITEM_ESCALATED,
    ItemEscalated,
    SupervisionNotice,
)
from govbus_kit.clock import office_date
from govbus_kit.domain import Outcome
from govbus_kit.due import due_index
from govbus_kit.logging import get_logger
from govbus_kit.service import EventContext, ServiceContext
from govbus_supervision.domain import deadlines, notices
from govbus_supervision.domain.escalation import escalation_event_id
from govbus_supervision.domain.record import SupervisionItem
from govbus_supervision.handlers.items import COLLECTION, ITEMS, office_periods, settings
from govbus_supervision.handlers.sweep import NOTICE_PENDING
from govbus_supervision.service import service, sweep_seconds

log = get_logger("govbus.supervision.notices")


def notice_message_id(escalation_id: str) -> str:
    """The ask's id, the same for every delivery of the escalation fact."""
    return deterministic_id(SERVICE, "notice", escalation_id)


@service.subscribe(ITEM_ESCALATED, durable="supervision-notices")
async def notice_for_escalation(event: ItemEscalated, ctx: EventContext) -> None:
    """督办通知书 level reached: the documents service drafts the notice (once)."""
    if event.level is not EscalationLevel.notice or event.due_on is None:
        return
    item = await ITEMS.repository(ctx.service).get(event.id)
    notice = notices.pending_notice(item, event.due_on) if item is not None else None
    if item is None or notice is None:
        return  # drafted already (the fact delivered again), or no notice waits for it
    # A failure here (documents away, not answering in time) fails the delivery: the kit
    # redelivers the fact later, and the same message id finds the draft made once.
    await draft_notice(ctx.service, item, notice, ctx.envelope.id)


async def draft_notice(ctx: ServiceContext, item: SupervisionItem, notice: SupervisionNotice,
                       escalation_id: str) -> str:
    """Ask documents for the notice's draft (under an id derived from the escalation fact's)
    and record its id on the item; returns the draft's id."""
    options = settings(ctx)
    draft = notices.notice_draft(item, notice, office_periods(ctx),
                                 issuer_code=options.notice_issuer_code,
                                 office_name=options.office_name,
                                 department=options.office_department)
    answer = OutgoingState.model_validate(await ctx.ask(
        DRAFT_REQUESTED_OUTGOING, draft, message_id=notice_message_id(escalation_id)))
    now = ctx.clock.now()

    def decide(current: SupervisionItem | None) -> Outcome[SupervisionItem, bool]:
        new = (deadlines.notice_requested(current, answer.document_id, notice.due_on, now)
               if current is not None else None)
        return Outcome(None if new is current else new, new is not current)

    if await ITEMS.repository(ctx).execute(item.id, decide):
        log.info("notice_drafted", item_id=item.id, document_id=answer.document_id)
    return answer.document_id


async def ask_pending_notices(ctx: ServiceContext) -> int:
    """The 督办通知书 still without a draft a day after their level was issued (the escalation
    fact dead-lettered after its last try while documents was away) asked again, under the
    same id as the first time: nothing is lost, nothing drafted twice. Returns how many were
    drafted."""
    today = office_date(ctx.clock.now())
    waiting: dict[str, SupervisionItem] = {}

    def collect(item: SupervisionItem) -> None:
        waiting[item.id] = item  # the set's members, read by _id; none is written here

    await due_index(ctx, COLLECTION).sweep_set(ITEMS.repository(ctx), NOTICE_PENDING,
                                               collect, what="督办通知书 待起草")
    drafted = 0
    for item in waiting.values():
        for notice in [n for n in item.notices
                       if n.level_issued_on < today and notices.pending_notice(item, n.due_on)]:
            escalation_id = escalation_event_id(item.id, EscalationLevel.notice, notice.due_on)
            try:
                await draft_notice(ctx, item, notice, escalation_id)
                drafted += 1
            except Exception as exc:  # documents still away: the next run asks again
                log.warning("notice_not_drafted", item_id=item.id, error=repr(exc))
    return drafted


@service.every(sweep_seconds, name="notice_drafts")
async def notice_drafts(ctx: ServiceContext) -> None:
    await ask_pending_notices(ctx)


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
