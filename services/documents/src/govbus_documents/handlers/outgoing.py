"""Handlers of outgoing documents (发文办理) and numbering (发文字号).

Thin: a step of the workflow (``OUTGOING``: load what the principal may see, ask the rules
in ``domain.outgoing``, write through ``ctx.execute``: compare-and-set, embedded outbox,
command idempotency); numbers through ``domain.numbering`` and its register.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from govbus_contracts.envelope import deterministic_id
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.documents.common import Classification
from govbus_contracts.services.documents.outgoing import (
    DISPATCH_OUTGOING,
    DRAFT_OUTGOING,
    DRAFT_REQUESTED_OUTGOING,
    GET_NUMBER_REGISTER,
    GET_OUTGOING,
    LIST_OUTGOING,
    NUMBER_RESERVED,
    NUMBER_VOIDED,
    PRINT_OUTGOING,
    RECHECK_OUTGOING,
    REGISTER_OUTGOING,
    RESERVE_NUMBER,
    REVIEW_OUTGOING,
    REVISE_OUTGOING,
    SIGN_OFF_OUTGOING,
    VOID_NUMBER,
    AttachmentDigest,
    DispatchOutgoing,
    DraftOutgoing,
    DraftRequestedOutgoing,
    GetNumberRegister,
    GetOutgoing,
    ListOutgoing,
    NumberEntry,
    NumberRegisterView,
    NumberReply,
    NumberReserved,
    NumberVoided,
    OutgoingList,
    OutgoingListItem,
    OutgoingState,
    OutgoingView,
    PrintOutgoing,
    RecheckOutgoing,
    RegisterOutgoing,
    ReserveNumber,
    ReviewOutgoing,
    ReviseOutgoing,
    SignOffOutgoing,
    VoidNumber,
)
from govbus_documents import numbers
from govbus_documents.domain import numbering, outgoing
from govbus_documents.domain.access import may_read, require_visible
from govbus_documents.domain.numbering import NumberRegister
from govbus_documents.domain.outgoing import OutgoingDocument
from govbus_documents.handlers.incoming import INCOMING
from govbus_documents.handlers.lists import seen_by, visible_page
from govbus_documents.service import service
from govbus_documents.settings import office
from govbus_kit import listing
from govbus_kit.clock import office_date
from govbus_kit.domain import Change, Emit, Outcome
from govbus_kit.listing import ListSpec, aggregate_fields, facet, newest_first
from govbus_kit.service import CommandContext, QueryContext, ServiceContext
from govbus_kit.workflow import Workflow


def list_item_of(d: OutgoingDocument) -> OutgoingListItem:
    return OutgoingListItem(
        document_id=d.id, status=d.status, doc_type=d.doc_type, title=d.title,
        doc_number=d.doc_number, issuer_code=d.issuer_code,
        classification_level=d.classification_level, urgency=d.urgency,
        disclosure=d.disclosure, drafting_department=d.drafting_department,
        drafted_at=d.drafted_at, date_of_writing=d.date_of_writing)


def _list_facets(doc: listing.Document) -> list[str]:
    # What a list is filtered by (status, 文种, 发文机关代字) and seen by.
    return [facet("status", doc.get("status")), facet("doc_type", doc.get("doc_type")),
            facet("issuer_code", doc.get("issuer_code")), *seen_by(doc)]


OUTGOING_LIST = listing.declare(service, ListSpec(
    collection=outgoing.COLLECTION, fields=tuple(OutgoingListItem.model_fields),
    order=lambda doc: newest_first(doc.get("drafted_at")), facets=_list_facets,
    summary=lambda doc: list_item_of(OutgoingDocument.model_validate(aggregate_fields(doc)))
    .model_dump(mode="json"),
    pairs=(("departments", "status"),),
    unread=("revisions", "history")))


@service.on_startup
async def outgoing_indexes(ctx: ServiceContext) -> None:
    collection = ctx.db[outgoing.COLLECTION]
    # The archive check's query by status. Lists are served by OUTGOING_LIST: the indexes
    # that served them once go.
    await collection.create_index([("status", 1), ("drafted_at", -1)])
    await listing.drop_indexes(collection, "drafted_at_-1", "departments_1", "issuer_code_1")


def state_of(doc: OutgoingDocument) -> OutgoingState:
    return OutgoingState(document_id=doc.id, status=doc.status, revision=doc.current_revision,
                         signed_revision=doc.signed_revision, doc_number=doc.doc_number,
                         signer=doc.signer, date_of_writing=doc.date_of_writing)


#: 发文 as their handlers reach them: whoever may not read one is not told that it exists,
#: before any other refusal.
OUTGOING = Workflow(outgoing.COLLECTION, OutgoingDocument, OutgoingState,
                    ack=lambda doc, _version: state_of(doc),
                    visible=lambda principal, doc, doc_id: require_visible(
                        principal, doc, "发文", doc_id))


# --- the workflow ---------------------------------------------------------------------------


@service.command(DRAFT_OUTGOING)
async def draft_outgoing(cmd: DraftOutgoing, ctx: CommandContext) -> OutgoingState:
    request = await answered_request(ctx, cmd.replies_to)
    return await create(ctx, lambda document_id, now: outgoing.draft(
        document_id, cmd, ctx.principal, now, request))


@service.command(DRAFT_REQUESTED_OUTGOING)
async def draft_requested_outgoing(cmd: DraftRequestedOutgoing,
                                   ctx: CommandContext) -> OutgoingState:
    return await create(ctx, lambda document_id, now: outgoing.draft_requested(
        document_id, cmd, ctx.principal, now, office(ctx.service).draft_requesters))


async def create(ctx: CommandContext,
                 rule: Callable[[str, datetime], Change[OutgoingDocument]]) -> OutgoingState:
    """A new 发文 by ``rule``, its id derived from the command id: a retried draft lands on
    the same document (and the command's ledger answers it with the first reply)."""
    document_id = deterministic_id("documents", "outgoing", ctx.command_id)
    now = ctx.now()

    def decide(current: OutgoingDocument | None) -> Outcome[OutgoingDocument, OutgoingState]:
        if current is not None:
            raise GovbusError(ErrorCode.conflict, "该发文已存在", id=document_id)
        change = rule(document_id, now)
        return Outcome(change.state, state_of(change.state), change.events)

    return await ctx.execute(OUTGOING.repository(ctx.service), document_id, decide,
                             reply=OutgoingState)


async def answered_request(ctx: CommandContext,
                           replies_to: str | None) -> outgoing.AnsweredRequest | None:
    """The 请示 (a 收文) a 批复 names, as the rules need it; None when there is none."""
    if replies_to is None:
        return None
    found = await INCOMING.repository(ctx.service).get(replies_to)
    if found is None or not may_read(ctx.principal, found.classification_level,
                                     found.departments):
        # A 请示 the drafter may not read is answered as one that does not exist.
        return None
    return outgoing.AnsweredRequest(id=found.id, doc_type=found.doc_type, issuer=found.issuer,
                                    issuer_doc_number=found.issuer_doc_number)


@service.command(REVISE_OUTGOING)
async def revise_outgoing(cmd: ReviseOutgoing, ctx: CommandContext) -> OutgoingState:
    return await OUTGOING.step(ctx, cmd.document_id, lambda doc: outgoing.revise(
        doc, cmd, ctx.principal, ctx.now()))


@service.command(REVIEW_OUTGOING)
async def review_outgoing(cmd: ReviewOutgoing, ctx: CommandContext) -> OutgoingState:
    return await OUTGOING.step(ctx, cmd.document_id, lambda doc: outgoing.review(
        doc, cmd, ctx.principal, ctx.now()))


@service.command(SIGN_OFF_OUTGOING)
async def sign_off_outgoing(cmd: SignOffOutgoing, ctx: CommandContext) -> OutgoingState:
    now = ctx.now()
    return await OUTGOING.step(ctx, cmd.document_id, lambda doc: outgoing.sign_off(
        doc, cmd, ctx.principal, now, office_date(now)))


@service.command(RECHECK_OUTGOING)
async def recheck_outgoing(cmd: RecheckOutgoing, ctx: CommandContext) -> OutgoingState:
    return await OUTGOING.step(ctx, cmd.document_id, lambda doc: outgoing.recheck(
        doc, cmd, ctx.principal, ctx.now()))


@service.command(REGISTER_OUTGOING)
async def register_outgoing(cmd: RegisterOutgoing, ctx: CommandContext) -> OutgoingState:
    """Two writes: the number is taken in the register with the document's id, then the
    document records it. The step is checked before a number is taken, so no serial is spent
    on a refusal; a crash between the writes is repaired by a retry, which finds the number
    already taken for this document instead of taking another."""
    now = ctx.now()

    def check(doc: OutgoingDocument) -> None:
        outgoing.check_registrable(doc, ctx.principal)
        outgoing.plan_distribution(doc, list(cmd.distribution), cmd.copies)

    async def take(doc: OutgoingDocument) -> NumberEntry:
        year, series = outgoing.number_year(doc), outgoing.number_series(doc)

        def decide(current: NumberRegister | None) -> Outcome[NumberRegister, NumberEntry]:
            register = current or numbering.new_register(doc.issuer_code, year, series)
            changed, entry = numbering.take_number(register, doc.id, now, ctx.principal,
                                                   cmd.reserved_serial)
            return Outcome(changed, entry)

        register_id = numbering.register_id(doc.issuer_code, year, series)
        return await numbers.execute(ctx, register_id, decide, reply=NumberEntry,
                                     serial=doc.number_serial or cmd.reserved_serial)

    return await OUTGOING.numbered_step(
        ctx, cmd.document_id, check=check, take=take,
        rule=lambda doc, entry: outgoing.register(doc, entry, cmd, ctx.principal, now))


@service.command(PRINT_OUTGOING)
async def print_outgoing(cmd: PrintOutgoing, ctx: CommandContext) -> OutgoingState:
    now = ctx.now()
    return await OUTGOING.step(ctx, cmd.document_id, lambda doc: outgoing.print_document(
        doc, cmd, ctx.principal, now, office_date(now)))


@service.command(DISPATCH_OUTGOING)
async def dispatch_outgoing(cmd: DispatchOutgoing, ctx: CommandContext) -> OutgoingState:
    return await OUTGOING.step(ctx, cmd.document_id, lambda doc: outgoing.dispatch(
        doc, cmd, ctx.principal, ctx.now()))


# --- numbers -----------------------------------------------------------------------------------


def number_reply(register: NumberRegister, entry: NumberEntry) -> NumberReply:
    return NumberReply(register_id=register.id, issuer_code=register.issuer_code,
                       year=register.year, series=register.series, entry=entry)


@service.command(RESERVE_NUMBER)
async def reserve_number(cmd: ReserveNumber, ctx: CommandContext) -> NumberReply:
    now = ctx.now()
    numbering.require_registrar(ctx.principal)
    numbering.validate_issuer_code(cmd.issuer_code)
    year = cmd.year or office_date(now).year
    if cmd.document_id is not None:
        doc = await OUTGOING.load(ctx, cmd.document_id)
        if doc.issuer_code != cmd.issuer_code:
            raise GovbusError(ErrorCode.validation_failed,
                              f"该公文的机关代字是 {doc.issuer_code}, 不是 {cmd.issuer_code}",
                              issuer_code=doc.issuer_code)
        if doc.doc_number is not None:
            raise GovbusError(ErrorCode.conflict, f"该公文已编号 {doc.doc_number}",
                              doc_number=doc.doc_number)
        if outgoing.number_series(doc) is not cmd.series:
            raise GovbusError(ErrorCode.validation_failed,
                              f"{doc.doc_type.value}编{outgoing.number_series(doc).value}, "
                              f"不在{cmd.series.value}序列", series=cmd.series.value)

    def decide(current: NumberRegister | None) -> Outcome[NumberRegister, NumberReply]:
        register = current or numbering.new_register(cmd.issuer_code, year, cmd.series)
        new, entry = numbering.reserve_number(register, now, ctx.principal,
                                              document_id=cmd.document_id, purpose=cmd.purpose)
        fact = NumberReserved(issuer_code=new.issuer_code, year=new.year, serial=entry.serial,
                              doc_number=entry.doc_number, series=new.series,
                              document_id=entry.document_id,
                              purpose=entry.purpose, reserved_by=ctx.principal.subject,
                              reserved_at=now)
        return Outcome(new, number_reply(new, entry), [Emit(NUMBER_RESERVED, fact)])

    return await numbers.execute(ctx, numbering.register_id(cmd.issuer_code, year, cmd.series),
                                 decide, reply=NumberReply)


@service.command(VOID_NUMBER)
async def void_number(cmd: VoidNumber, ctx: CommandContext) -> NumberReply:
    now = ctx.now()
    numbering.require_registrar(ctx.principal)
    register_id = numbering.register_id(cmd.issuer_code, cmd.year, cmd.series)

    def decide(current: NumberRegister | None) -> Outcome[NumberRegister, NumberReply]:
        if current is None:
            raise GovbusError(ErrorCode.not_found, f"{register_id} 没有编号登记",
                              register_id=register_id)
        new, entry = numbering.void_number(current, cmd.serial, cmd.reason, now, ctx.principal)
        fact = NumberVoided(issuer_code=new.issuer_code, year=new.year, serial=entry.serial,
                            doc_number=entry.doc_number, series=new.series, reason=cmd.reason,
                            voided_by=ctx.principal.subject, voided_at=now)
        return Outcome(new, number_reply(new, entry), [Emit(NUMBER_VOIDED, fact)])

    return await numbers.execute(ctx, register_id, decide, reply=NumberReply, serial=cmd.serial)


# --- queries -----------------------------------------------------------------------------------


def view_of(doc: OutgoingDocument) -> OutgoingView:
    data = doc.model_dump(mode="json")
    data["document_id"] = doc.id
    # Content stays in the service; readers get the attachments by name and digest.
    data["attachments"] = [AttachmentDigest(name=a.name, sha256=a.sha256,
                                            media_type=a.media_type, size=a.size)
                           for a in doc.attachments]
    return OutgoingView.model_validate(data)


@service.query(GET_OUTGOING)
async def get_outgoing(query: GetOutgoing, ctx: QueryContext) -> OutgoingView:
    return view_of(await OUTGOING.load(ctx, query.document_id))


@service.query(LIST_OUTGOING)
async def list_outgoing(query: ListOutgoing, ctx: QueryContext) -> OutgoingList:
    items, total = await visible_page(
        OUTGOING_LIST, ctx, offset=query.offset, limit=query.limit,
        status=query.status.value if query.status else None,
        doc_type=query.doc_type.value if query.doc_type else None,
        issuer_code=query.issuer_code)
    return OutgoingList(items=[OutgoingListItem.model_validate(item) for item in items],
                        total=total, offset=query.offset, limit=query.limit)


@service.query(GET_NUMBER_REGISTER)
async def get_number_register(query: GetNumberRegister, ctx: QueryContext) -> NumberRegisterView:
    if not may_read(ctx.principal, Classification.none, []):
        raise GovbusError(ErrorCode.forbidden, "无权查阅发文字号登记簿")
    register_id = numbering.register_id(query.issuer_code, query.year, query.series)
    register = await numbers.registers(ctx.service).get(register_id)
    if register is None:
        # A register nobody has numbered from yet: empty, and its first serial is 1.
        register = numbering.new_register(query.issuer_code, query.year, query.series)
    return NumberRegisterView(register_id=register.id, issuer_code=register.issuer_code,
                              year=register.year, series=register.series,
                              next_serial=register.next_serial,
                              entries=await numbers.entries(ctx.service, register))
