"""Handlers of the catalogue (主动公开, 公开目录).

Thin by design: who acts, load, let ``domain.catalogue`` decide, write with the facts, tell
the search index: a step is one line over ``ENTRIES`` (the kit's Workflow). The rules live
in ``govbus_disclosure.domain.catalogue``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from govbus_contracts.envelope import deterministic_id
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.disclosure.catalogue import (
    CATALOGUE_REFUSED,
    CORRECT_CATALOGUE_ENTRY,
    GET_CATALOGUE_ENTRY,
    LIST_CATALOGUE,
    PUBLISH_CATALOGUE_ENTRY,
    REGISTER_CATALOGUE_ENTRY,
    REPEAL_CATALOGUE_ENTRY,
    SEARCH_CATALOGUE,
    WITHDRAW_CATALOGUE_ENTRY,
    CatalogueEntryView,
    CatalogueList,
    CatalogueRefused,
    CatalogueSearchResults,
    CatalogueStatus,
    CatalogueStepReply,
    CatalogueSummary,
    CorrectCatalogueEntry,
    GetCatalogueEntry,
    ListCatalogue,
    PublishCatalogueEntry,
    RegisterCatalogueEntry,
    RepealCatalogueEntry,
    SearchCatalogue,
    WithdrawCatalogueEntry,
)
from govbus_contracts.services.disclosure.common import SERVICE
from govbus_contracts.services.documents.common import DisclosureAttribute
from govbus_contracts.services.documents.outgoing import OUTGOING_DISPATCHED, OutgoingDispatched
from govbus_disclosure.catalogue_index import CatalogueIndex
from govbus_disclosure.domain import catalogue as rules
from govbus_disclosure.domain.catalogue import CatalogueEntry, EntryChange, Refusal
from govbus_disclosure.handlers.lists import office_list
from govbus_disclosure.handlers.periods import period as office_period
from govbus_disclosure.service import service, sweep_seconds
from govbus_disclosure.settings import DisclosureSettings
from govbus_kit import listing
from govbus_kit.calendar import CalendarError
from govbus_kit.clock import office_date
from govbus_kit.domain import Actor
from govbus_kit.due import Due, day, due_index, track_due
from govbus_kit.listing import facet
from govbus_kit.logging import get_logger
from govbus_kit.periods import PeriodVersion
from govbus_kit.repository import Aggregate, AggregateRepository, Emit, Outcome
from govbus_kit.service import CommandContext, EventContext, QueryContext, ServiceContext
from govbus_kit.workflow import Workflow

COLLECTION = "catalogue"
REFUSALS = "catalogue_refusals"
INDEX_STATE = "catalogue_index"
#: The named set of entries whose 公开期限 was computed on a provisional calendar year.
PROVISIONAL = "provisional"


def publication(ctx: ServiceContext, information_date: date) -> PeriodVersion:
    """第二十六条's period in force on the information's date (the day its period began)."""
    return office_period(ctx, "publication", information_date)


log = get_logger("govbus.disclosure.catalogue")


class CatalogueRefusal(Aggregate):
    """A 主动公开 公文 that was refused: a reference and the reason, never its title or body."""

    document_id: str
    classification_level: str
    disclosure: DisclosureAttribute
    reason: str
    refused_on: str
    event_id: str


def entries(ctx: ServiceContext) -> AggregateRepository[CatalogueEntry]:
    return ENTRIES.repository(ctx)


def index(ctx: ServiceContext) -> CatalogueIndex:
    found = ctx.state.get(INDEX_STATE)
    if found is None:
        settings = ctx.own_settings(DisclosureSettings)
        found = CatalogueIndex(
            ctx.db, body_chars=settings.catalogue_body_chars,
            snippet_chars=settings.catalogue_snippet_chars,
            refresh_seconds=settings.catalogue_refresh_seconds)
        ctx.state[INDEX_STATE] = found
    assert isinstance(found, CatalogueIndex)
    return found


def category_of(event: OutgoingDispatched, s: DisclosureSettings) -> str:
    return s.catalogue_doc_type_categories.get(event.doc_type.value,
                                               s.catalogue_default_category)


def _ack(entry: CatalogueEntry, version: int) -> CatalogueStepReply:
    return CatalogueStepReply(
        entry_id=entry.id, status=entry.status, version=version, due_on=entry.due_on,
        due_on_provisional=entry.due_on_provisional,
        published_on=entry.published_on, late=entry.late,
        working_days_late=entry.working_days_late)


def _calendar_error(exc: CalendarError) -> GovbusError:
    return GovbusError(ErrorCode.validation_failed, f"无法计算公开期限: {exc}")


#: The catalogue's entries as staff reach them: whoever may not see one is told what an
#: unknown id gets (``require_visible``), before any other refusal.
ENTRIES = Workflow(COLLECTION, CatalogueEntry, CatalogueStepReply, ack=_ack,
                   visible=rules.require_visible)


async def _officer_step(ctx: CommandContext, entry_id: str, step: str,
                        rule: Callable[[CatalogueEntry, Actor, datetime], EntryChange]
                        ) -> CatalogueStepReply:
    """One step by staff of disclosure (or ``forbidden``) on a visible entry."""
    actor = rules.act_as_officer(ctx.principal, step)
    now = ctx.now()

    def counted(entry: CatalogueEntry) -> EntryChange:
        try:
            return rule(entry, actor, now)
        except CalendarError as exc:
            raise _calendar_error(exc) from exc

    return await ENTRIES.step(ctx, entry_id, counted)


def catalogue_due(doc: Mapping[str, Any]) -> Due:
    """What the 公开期限 sweep and the calendar revision watch: a 待公开 entry on its next
    alert day; any entry whose 公开期限 is provisional."""
    on = (day(doc.get("next_alert_on")) if doc.get("status") == CatalogueStatus.pending.value
          else None)
    return Due(on=on, sets=frozenset({PROVISIONAL}) if doc.get("due_on_provisional")
               else frozenset())


def summary_of(e: CatalogueEntry) -> CatalogueSummary:
    return CatalogueSummary(
        entry_id=e.id, status=e.status, source=e.source, category=e.category, title=e.title,
        doc_number=e.doc_number, department=e.department, information_date=e.information_date,
        due_on=e.due_on, published_on=e.published_on, late=e.late,
        working_days_late=e.working_days_late)


def _list_facets(doc: listing.Document) -> list[str]:
    # What the list is filtered by (status, late, category, source) besides the department
    # (the officer's scope).
    return [facet("status", doc.get("status")), facet("late", bool(doc.get("late"))),
            facet("category", doc.get("category")), facet("source", doc.get("source"))]


CATALOGUE_LIST = office_list(COLLECTION, CatalogueEntry, CatalogueSummary, summary_of,
                             newest="information_date", facets=_list_facets,
                             unread=("body", "audit", "versions"))


@service.on_startup
async def catalogue_indexes(ctx: ServiceContext) -> None:
    # The sweeps read the due index by _id (kit due), and a dispatched 公文's entry has an id
    # derived from the 公文's: no index of the collection serves either.
    track_due(ctx, COLLECTION, catalogue_due)
    collection = ctx.db[COLLECTION]
    # Lists are served by CATALOGUE_LIST: the index that served them once goes (and the
    # 公文's, which no query used).
    await listing.drop_indexes(collection, "department_1", "document_id_1")
    # The search index learns of this replica's writes as they are written.
    index(ctx).attach(ctx.hooks)
    # Build this replica's search index in the background: the first public search should
    # not pay for it (a few seconds for thousands of entries).
    ctx.state["catalogue_index_warmup"] = asyncio.get_running_loop().create_task(
        _warm_up(index(ctx)))


async def _warm_up(built: CatalogueIndex) -> None:
    try:
        await built.warm_up()
    except Exception as exc:  # the first search tries again
        log.warning("catalogue_index_warmup_failed", error=repr(exc))


# --- fed by the documents service ---------------------------------------------------------


@service.subscribe(OUTGOING_DISPATCHED, durable="disclosure-catalogue")
async def catalogue_dispatched(event: OutgoingDispatched, ctx: EventContext) -> None:
    """A dispatched 主动公开 非密 公文 becomes a published entry; a classified one is refused."""
    now = ctx.now()
    entry_id = rules.entry_id_for_document(event.document_id)
    calendar = ctx.service.calendar
    try:
        if event.date_of_writing is not None:
            calendar.is_working_day(event.date_of_writing)
        usable: Any = calendar
    except CalendarError as exc:
        log.warning("catalogue_calendar_unknown", document_id=event.document_id, error=str(exc))
        usable = None
    decision = rules.from_dispatched(
        event, entry_id=entry_id, now=now, calendar=usable,
        working_days=publication(
            ctx.service, event.date_of_writing or office_date(event.dispatched_at)).amount,
        category=category_of(event, ctx.service.own_settings(DisclosureSettings)))
    if decision is None:
        return  # 依申请公开 / 不予公开: not catalogued
    if isinstance(decision, Refusal):
        await _refuse(ctx, decision, now)
        return
    change = decision

    def decide(current: CatalogueEntry | None) -> Outcome[CatalogueEntry, bool]:
        if current is not None:
            return Outcome(None, False)  # catalogued already (a second dispatch notice)
        return Outcome(change.state, True, change.events)

    created = await ctx.execute(entries(ctx.service), entry_id, decide)
    if created:
        log.info("catalogue_entry_from_document", entry_id=entry_id,
                 document_id=event.document_id, late=change.state.late)


async def _refuse(ctx: EventContext, refusal: Refusal, now: datetime) -> None:
    # Nothing of the content is kept or said: the record is a reference and a reason.
    log.warning("catalogue_refused", document_id=refusal.document_id,
                classification_level=refusal.classification_level, reason=refusal.reason)
    refusal_id = deterministic_id(SERVICE, "catalogue", "refusal", refusal.document_id)
    today = office_date(now)

    def decide(current: CatalogueRefusal | None) -> Outcome[CatalogueRefusal, None]:
        if current is not None:
            return Outcome(None, None)
        record = CatalogueRefusal(
            id=refusal_id, document_id=refusal.document_id,
            classification_level=refusal.classification_level,
            disclosure=refusal.disclosure, reason=refusal.reason,
            refused_on=today.isoformat(), event_id=ctx.envelope.id)
        fact = CatalogueRefused(
            document_id=refusal.document_id, classification_level=refusal.classification_level,
            disclosure=refusal.disclosure, reason=refusal.reason, refused_on=today)
        return Outcome(record, None, [Emit(CATALOGUE_REFUSED, fact, refusal_id)])

    await ctx.execute(ctx.service.repository(REFUSALS, CatalogueRefusal), refusal_id, decide)


# --- commands -----------------------------------------------------------------------------


@service.command(REGISTER_CATALOGUE_ENTRY)
async def register_catalogue_entry(cmd: RegisterCatalogueEntry,
                                   ctx: CommandContext) -> CatalogueStepReply:
    actor = rules.act_as_officer(ctx.principal, "登记公开目录条目")
    now = ctx.now()
    entry_id = rules.entry_id_for_command(ctx.command_id)
    calendar = ctx.service.calendar
    period = publication(ctx.service, cmd.information_date)
    categories = ctx.service.own_settings(DisclosureSettings).catalogue_categories

    def decide(current: CatalogueEntry | None) -> Outcome[CatalogueEntry, CatalogueStepReply]:
        if current is not None:
            raise GovbusError(ErrorCode.conflict, f"公开目录条目 {entry_id} 已登记", id=entry_id)
        try:
            change = rules.register(
                cmd, entry_id=entry_id, actor=actor, now=now, calendar=calendar,
                working_days=period.amount, categories=categories,
                remind_working_days_before=period.remind_before)
        except CalendarError as exc:
            raise _calendar_error(exc) from exc
        return Outcome(change.state, _ack(change.state, 1), change.events)

    return await ctx.execute(entries(ctx.service), entry_id, decide)


@service.command(PUBLISH_CATALOGUE_ENTRY)
async def publish_catalogue_entry(cmd: PublishCatalogueEntry,
                                  ctx: CommandContext) -> CatalogueStepReply:
    return await _officer_step(ctx, cmd.entry_id, "公开", lambda e, actor, now: rules.publish(
        e, actor, now, ctx.service.calendar))


@service.command(WITHDRAW_CATALOGUE_ENTRY)
async def withdraw_catalogue_entry(cmd: WithdrawCatalogueEntry,
                                   ctx: CommandContext) -> CatalogueStepReply:
    return await _officer_step(ctx, cmd.entry_id, "撤回", lambda e, actor, now: rules.withdraw(
        e, actor, cmd.reason, now))


@service.command(REPEAL_CATALOGUE_ENTRY)
async def repeal_catalogue_entry(cmd: RepealCatalogueEntry,
                                 ctx: CommandContext) -> CatalogueStepReply:
    return await _officer_step(ctx, cmd.entry_id, "废止", lambda e, actor, now: rules.repeal(
        e, actor, cmd.reason, now, cmd.repealed_on))


@service.command(CORRECT_CATALOGUE_ENTRY)
async def correct_catalogue_entry(cmd: CorrectCatalogueEntry,
                                  ctx: CommandContext) -> CatalogueStepReply:
    categories = ctx.service.own_settings(DisclosureSettings).catalogue_categories

    def correct(e: CatalogueEntry, actor: Actor, now: datetime) -> EntryChange:
        # A corrected information date starts the period again: the version of that day.
        period = publication(ctx.service, cmd.information_date or e.information_date)
        return rules.correct(e, cmd, actor, now, calendar=ctx.service.calendar,
                             working_days=period.amount, categories=categories,
                             remind_working_days_before=period.remind_before)

    return await _officer_step(ctx, cmd.entry_id, "更正", correct)


# --- queries ------------------------------------------------------------------------------


@service.query(SEARCH_CATALOGUE)
async def search_catalogue(query: SearchCatalogue, ctx: QueryContext) -> CatalogueSearchResults:
    """Public: anyone, no account; only 已公开 and 已废止 entries exist for it."""
    if (query.information_from and query.information_to
            and query.information_from > query.information_to) or (
            query.published_from and query.published_to
            and query.published_from > query.published_to):
        raise GovbusError(ErrorCode.validation_failed, "日期范围的起始日期晚于截止日期")
    return await index(ctx.service).answer(query)


def _view(entry: CatalogueEntry, staff: bool) -> CatalogueEntryView:
    data = entry.model_dump(exclude={"id", "versions", "audit"})
    view = CatalogueEntryView(entry_id=entry.id, **data)
    if staff:
        view = view.model_copy(update={"versions": list(entry.versions),
                                       "audit": list(entry.audit)})
    return view


@service.query(GET_CATALOGUE_ENTRY)
async def get_catalogue_entry(query: GetCatalogueEntry, ctx: QueryContext) -> CatalogueEntryView:
    # Whoever may not see it is not told that it exists.
    entry = await ENTRIES.load(ctx, query.entry_id)
    staff = rules.is_staff(ctx.principal) and rules.in_scope(
        rules.act_as_officer(ctx.principal, "查看"), entry.department)
    return _view(entry, staff)


@service.query(LIST_CATALOGUE)
async def list_catalogue(query: ListCatalogue, ctx: QueryContext) -> CatalogueList:
    actor = rules.act_as_officer(ctx.principal, "查看公开目录")
    where: list[listing.Clause] = []
    if actor.department is not None:
        where.append(facet("department", actor.department))
    if query.status is not None:
        where.append(facet("status", query.status.value))
    if query.late is not None:
        where.append(facet("late", query.late))
    if query.category is not None:
        where.append(facet("category", query.category))
    if query.source is not None:
        where.append(facet("source", query.source.value))
    page = await CATALOGUE_LIST.of(ctx.service).page(where, offset=query.offset,
                                                      limit=query.limit)
    items = [CatalogueSummary.model_validate(item) for item in page.items]
    return CatalogueList(items=items, total=page.total, offset=query.offset, limit=query.limit)


# --- 公开期限 sweep -------------------------------------------------------------------------


async def sweep_catalogue_deadlines(ctx: ServiceContext) -> int:
    """Send the reminders and overdue notices of 待公开 entries that are due; returns how
    many facts it wrote. Safe on many replicas and when run twice: each fact is recorded on
    the entry and has an id derived from the entry and its period."""
    now = ctx.clock.now()
    return await due_index(ctx, COLLECTION).sweep_due(
        entries(ctx),
        lambda entry: rules.due_alerts(entry, now, ctx.calendar, publication(
            ctx, entry.information_date).remind_before),
        today=office_date(now), what="公开目录")

@service.on_calendar_revision
async def catalogue_calendar_revision(ctx: ServiceContext) -> None:
    """The official calendar arrived: recompute the provisional 公开期限."""
    now = ctx.clock.now()

    def revise(entry: CatalogueEntry) -> EntryChange | None:
        period = publication(ctx, entry.information_date)  # the entry keeps its version
        return rules.revise_deadline(entry, now, ctx.calendar, period.amount,
                                     period.remind_before)

    await due_index(ctx, COLLECTION).sweep_set(
        entries(ctx), PROVISIONAL, revise,
        what="公开目录 期限重算")


@service.every(sweep_seconds, name="catalogue_deadlines")
async def catalogue_deadlines(ctx: ServiceContext) -> None:
    await sweep_catalogue_deadlines(ctx)
