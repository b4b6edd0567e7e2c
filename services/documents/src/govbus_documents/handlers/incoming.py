"""Handlers of the documents service: incoming documents (收文办理).

Thin by design: who acts, then one step of the workflow (``INCOMING``: load what the
principal may see, let ``domain.incoming`` decide, write with the facts). The rules live in
``govbus_documents.domain.incoming``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from govbus_contracts.envelope import deterministic_id
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.documents.common import SERVICE, Role, Urgency
from govbus_contracts.services.documents.incoming import (
    ASSIGN_INCOMING,
    CIRCULATE_INCOMING,
    COMPLETE_INCOMING,
    CONFIRM_READING,
    GET_INCOMING,
    INSTRUCT_INCOMING,
    LIST_INCOMING,
    PROPOSE_HANDLING,
    REGISTER_INCOMING,
    REMIND_INCOMING,
    REVIEW_INCOMING,
    WHO_HOLDS,
    AssignIncoming,
    CirculateIncoming,
    CompleteIncoming,
    ConfirmReading,
    GetIncoming,
    HeldCopy,
    IncomingHolders,
    IncomingList,
    IncomingStatus,
    IncomingStepReply,
    IncomingSummary,
    IncomingView,
    InstructIncoming,
    ListIncoming,
    ProposeHandling,
    RegisterIncoming,
    RemindIncoming,
    ReviewIncoming,
    WhoHolds,
)
from govbus_documents.domain import incoming as rules
from govbus_documents.domain.access import require_visible
from govbus_documents.domain.incoming import IncomingDocument
from govbus_documents.domain.periods import HANDLING, PERIODS
from govbus_documents.handlers.lists import seen_by, visible_page
from govbus_documents.service import service
from govbus_documents.settings import office
from govbus_kit import listing
from govbus_kit.clock import office_date
from govbus_kit.domain import Outcome, act_as
from govbus_kit.due import Due, day, due_index, track_due
from govbus_kit.listing import ListSpec, aggregate_fields, facet, newest_first
from govbus_kit.periods import PeriodTable, PeriodVersion, periods
from govbus_kit.registers import SerialRegister
from govbus_kit.service import CommandContext, QueryContext, ServiceContext
from govbus_kit.workflow import Workflow

COLLECTION = "incoming"
#: 收文登记簿: 收〔2026〕N号, serials per year without gaps.
NUMBERS = SerialRegister("incoming_register", rules.registration_number)
#: The named set of 收文 whose 办理期限 was computed on a provisional calendar year.
PROVISIONAL = "provisional"



def office_periods(ctx: ServiceContext) -> PeriodTable:
    return periods(ctx, PERIODS, office(ctx).deprecated_periods())


def handling_period(ctx: ServiceContext, urgency: Urgency, on: date) -> PeriodVersion:
    """The 承办 period of ``urgency`` in force on ``on`` (a 收文 keeps the one of the day it
    was assigned)."""
    return office_periods(ctx).in_force(HANDLING[urgency], on)


def days_by_urgency(ctx: ServiceContext, on: date) -> dict[Urgency, int]:
    return {urgency: handling_period(ctx, urgency, on).amount for urgency in HANDLING}


def remind_before(ctx: ServiceContext, doc: IncomingDocument) -> int:
    started = doc.assignment.assigned_on if doc.assignment else office_date(ctx.clock.now())
    return handling_period(ctx, doc.urgency, started).remind_before


def _ack(doc: IncomingDocument, version: int) -> IncomingStepReply:
    return IncomingStepReply(
        id=doc.id, registration_number=doc.registration_number, status=doc.status,
        version=version, due_on=doc.assignment.due_on if doc.assignment else None,
        due_on_provisional=bool(doc.assignment and doc.assignment.due_on_provisional),
        holders=list(doc.holders), archivable=doc.archivable,
    )


#: 收文 as their handlers reach them: whoever may not read one is not told that it exists,
#: before any other refusal.
INCOMING = Workflow(COLLECTION, IncomingDocument, IncomingStepReply, ack=_ack,
                    visible=lambda principal, doc, doc_id: require_visible(
                        principal, doc, "收文", doc_id))


def incoming_due(doc: Mapping[str, Any]) -> Due:
    """What the 催办 sweep and the calendar revision watch: a 收文 in handling, on its next
    alert day, and in the provisional set while its 办理期限 is provisional."""
    if doc.get("status") != IncomingStatus.in_handling.value:
        return Due()
    assignment = doc.get("assignment") or {}
    return Due(on=day(doc.get("next_alert_on")),
               sets=frozenset({PROVISIONAL}) if assignment.get("due_on_provisional")
               else frozenset())


def summary_of(d: IncomingDocument) -> IncomingSummary:
    return IncomingSummary(
        id=d.id, registration_number=d.registration_number, status=d.status, title=d.title,
        doc_type=d.doc_type, issuer=d.issuer, issuer_doc_number=d.issuer_doc_number,
        classification_level=d.classification_level, urgency=d.urgency,
        received_on=d.received_on,
        lead_department=d.assignment.lead_department if d.assignment else None,
        due_on=d.assignment.due_on if d.assignment else None,
        due_on_provisional=bool(d.assignment and d.assignment.due_on_provisional),
        holders=list(d.holders),
    )


def _list_facets(doc: listing.Document) -> list[str]:
    # What a list is filtered by (status, department) and seen by.
    return [facet("status", doc.get("status")), *seen_by(doc)]


INCOMING_LIST = listing.declare(service, ListSpec(
    collection=COLLECTION, fields=tuple(IncomingSummary.model_fields),
    order=lambda doc: newest_first(doc.get("registered_at")), facets=_list_facets,
    summary=lambda doc: summary_of(IncomingDocument.model_validate(aggregate_fields(doc)))
    .model_dump(mode="json"),
    pairs=(("departments", "status"),),
    unread=("body", "circulation", "history")))


@service.on_startup
async def incoming_indexes(ctx: ServiceContext) -> None:
    # The sweeps read the due index by _id (kit due): no index of the collection serves them.
    track_due(ctx, COLLECTION, incoming_due)
    collection = ctx.db[COLLECTION]
    # Lists are served by INCOMING_LIST: the indexes that served them once go.
    await listing.drop_indexes(collection, "departments_1", "registered_at_-1")


# --- commands ----------------------------------------------------------------------------


@service.command(REGISTER_INCOMING)
async def register_incoming(cmd: RegisterIncoming, ctx: CommandContext) -> IncomingStepReply:
    actor = act_as(ctx.principal, Role.registrar, step="签收登记")
    now = ctx.now()
    # Refuse bad input before a 收文编号 is taken, so that no number is spent on it.
    rules.validate_registration(cmd, office_date(now))
    year = office_date(now).year

    # Once per command id: a retried registration gets the same number back.
    serial = await NUMBERS.take(ctx, year)
    document_id = deterministic_id(SERVICE, "incoming", ctx.command_id)

    def decide(current: IncomingDocument | None) -> Outcome[IncomingDocument, IncomingStepReply]:
        if current is not None:
            raise GovbusError(ErrorCode.conflict, f"收文 {document_id} 已登记", id=document_id)
        change = rules.register(cmd, document_id=document_id, serial=serial, year=year,
                                actor=actor, now=now)
        return Outcome(change.state, _ack(change.state, 1), change.events)

    return await ctx.execute(INCOMING.repository(ctx.service), document_id, decide,
                             reply=IncomingStepReply)


@service.command(REVIEW_INCOMING)
async def review_incoming(cmd: ReviewIncoming, ctx: CommandContext) -> IncomingStepReply:
    return await INCOMING.step(ctx, cmd.id, lambda d: rules.review(
        d, cmd, ctx.principal, ctx.now()))


@service.command(PROPOSE_HANDLING)
async def propose_handling(cmd: ProposeHandling, ctx: CommandContext) -> IncomingStepReply:
    return await INCOMING.step(ctx, cmd.id, lambda d: rules.propose(
        d, cmd, ctx.principal, ctx.now()))


@service.command(INSTRUCT_INCOMING)
async def instruct_incoming(cmd: InstructIncoming, ctx: CommandContext) -> IncomingStepReply:
    return await INCOMING.step(ctx, cmd.id, lambda d: rules.instruct(
        d, cmd, ctx.principal, ctx.now()))


@service.command(ASSIGN_INCOMING)
async def assign_incoming(cmd: AssignIncoming, ctx: CommandContext) -> IncomingStepReply:
    now = ctx.now()
    calendar = ctx.service.calendar
    by_urgency = days_by_urgency(ctx.service, office_date(now))
    return await INCOMING.step(ctx, cmd.id, lambda d: rules.assign(
        d, cmd, ctx.principal, now, days_by_urgency=by_urgency,
        remind_working_days_before=handling_period(
            ctx.service, d.urgency, office_date(now)).remind_before, calendar=calendar))


@service.command(CIRCULATE_INCOMING)
async def circulate_incoming(cmd: CirculateIncoming, ctx: CommandContext) -> IncomingStepReply:
    return await INCOMING.step(ctx, cmd.id, lambda d: rules.circulate(
        d, cmd, ctx.principal, ctx.now()))


@service.command(CONFIRM_READING)
async def confirm_reading(cmd: ConfirmReading, ctx: CommandContext) -> IncomingStepReply:
    return await INCOMING.step(ctx, cmd.id, lambda d: rules.confirm_reading(
        d, ctx.principal, cmd.comment, ctx.now()))


@service.command(REMIND_INCOMING)
async def remind_incoming(cmd: RemindIncoming, ctx: CommandContext) -> IncomingStepReply:
    now = ctx.now()
    calendar = ctx.service.calendar
    return await INCOMING.step(ctx, cmd.id, lambda d: rules.remind(
        d, ctx.principal, cmd.remarks, now, calendar))


@service.command(COMPLETE_INCOMING)
async def complete_incoming(cmd: CompleteIncoming, ctx: CommandContext) -> IncomingStepReply:
    return await INCOMING.step(ctx, cmd.id, lambda d: rules.complete(
        d, cmd, ctx.principal, ctx.now()))


# --- queries -----------------------------------------------------------------------------


@service.query(GET_INCOMING)
async def get_incoming(query: GetIncoming, ctx: QueryContext) -> IncomingView:
    doc = await INCOMING.load(ctx, query.id)
    return IncomingView.model_validate(doc.model_dump())


@service.query(WHO_HOLDS)
async def who_holds(query: WhoHolds, ctx: QueryContext) -> IncomingHolders:
    doc = await INCOMING.load(ctx, query.id)
    held = [HeldCopy(holder=e.holder, kind=e.kind, holder_name=e.holder_name, since=e.sent_at,
                     sent_by=e.sent_by)
            for e in doc.circulation if e.read_at is None]
    return IncomingHolders(
        id=doc.id, registration_number=doc.registration_number, status=doc.status,
        custodian=doc.custodian,
        lead_department=doc.assignment.lead_department if doc.assignment else None,
        co_departments=list(doc.assignment.co_departments) if doc.assignment else [],
        holders=held,
    )


@service.query(LIST_INCOMING)
async def list_incoming(query: ListIncoming, ctx: QueryContext) -> IncomingList:
    items, total = await visible_page(
        INCOMING_LIST, ctx, offset=query.offset, limit=query.limit,
        status=query.status.value if query.status else None, departments=query.department)
    return IncomingList(items=[IncomingSummary.model_validate(item) for item in items],
                        total=total, offset=query.offset, limit=query.limit)


# --- 催办 sweep ---------------------------------------------------------------------------


async def sweep_incoming_deadlines(ctx: ServiceContext) -> int:
    """Send the reminders and overdue notices that are due; returns how many facts it wrote.

    Safe on many replicas and when run twice: each fact is recorded on the document and has
    an id derived from the document and its deadline.
    """
    now = ctx.clock.now()
    return await due_index(ctx, COLLECTION).sweep_due(
        INCOMING.repository(ctx),
        lambda doc: rules.due_alerts(doc, now, ctx.calendar, remind_before(ctx, doc)),
        today=office_date(now), what="收文")

@service.on_calendar_revision
async def incoming_calendar_revision(ctx: ServiceContext) -> None:
    """The official calendar arrived: recompute the provisional 办理期限."""
    now = ctx.clock.now()
    await due_index(ctx, COLLECTION).sweep_set(
        INCOMING.repository(ctx), PROVISIONAL,
        lambda doc: rules.revise_deadline(doc, now, ctx.calendar, remind_before(ctx, doc)),
        what="收文 期限重算")


@service.every(lambda ctx: office(ctx).sweep_seconds, name="incoming_deadlines")
async def incoming_deadlines(ctx: ServiceContext) -> None:
    await sweep_incoming_deadlines(ctx)
