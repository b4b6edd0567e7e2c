"""Handlers of the supervision service: 督查事项 from 立项 to 办结.

Thin by design: who acts, then one step of the workflow (``ITEMS``: load what the principal
may see, let the domain decide, write with the facts). The rules live in
``govbus_supervision.domain`` (opening, handling, closing; access for who sees what).
"""

from __future__ import annotations

from collections.abc import Callable

from govbus_contracts.envelope import deterministic_id
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.documents.incoming import INCOMING_INSTRUCTED, IncomingInstructed
from govbus_contracts.services.supervision.common import SERVICE
from govbus_contracts.services.supervision.items import (
    ASSIGN_ITEM,
    DRAFT_ANSWER,
    GET_ITEM,
    GIVE_OPINION,
    OPEN_ITEM,
    REGISTER_ITEM,
    REVIEW_ANSWER,
    SUBMIT_ANSWER,
    AssignItem,
    DraftAnswer,
    GetItem,
    GiveOpinion,
    ItemStep,
    ItemView,
    OpenItem,
    RegisterItem,
    ReviewAnswer,
    SubmitAnswer,
)
from govbus_kit.clock import office_date
from govbus_kit.domain import Change, Outcome
from govbus_kit.logging import get_logger
from govbus_kit.periods import periods
from govbus_kit.registers import SerialRegister
from govbus_kit.service import CommandContext, EventContext, QueryContext, ServiceContext
from govbus_kit.workflow import Workflow
from govbus_supervision.domain import access, closing, handling, opening
from govbus_supervision.domain.deadlines import SYSTEM
from govbus_supervision.domain.periods import PERIODS, Periods
from govbus_supervision.domain.record import SupervisionItem
from govbus_supervision.handlers import targets
from govbus_supervision.service import service
from govbus_supervision.settings import SupervisionSettings

log = get_logger("govbus.supervision.items")

COLLECTION = "items"


def _number(year: int, serial: int) -> str:
    # The register's own rendering; the step writes the number with the configured 代字.
    return opening.item_number("督", year, serial)


#: 督查事项登记簿: 督〔2026〕N号, serials per year without gaps.
NUMBERS = SerialRegister("item_register", _number)


def office_periods(ctx: ServiceContext) -> Periods:
    """The period table in force (shipped, or the operator's ``supervision.json``) and the
    working-day calendar the rules count with."""
    return Periods(periods(ctx, PERIODS), ctx.calendar)


def settings(ctx: ServiceContext) -> SupervisionSettings:
    return ctx.own_settings(SupervisionSettings)


def _ack(item: SupervisionItem, version: int) -> ItemStep:
    return ItemStep(id=item.id, number=item.number, status=item.status, version=version,
                    due_on=item.due_on, due_on_provisional=item.due_on_provisional)


#: 督查事项 as their handlers reach them: a department that is neither lead nor
#: co-department is not told that an item exists, before any other refusal.
ITEMS = Workflow(COLLECTION, SupervisionItem, ItemStep, ack=_ack, visible=access.visible)


# --- 立项 and 登记 ---------------------------------------------------------------------------


@service.command(OPEN_ITEM)
async def open_item(cmd: OpenItem, ctx: CommandContext) -> ItemStep:
    """立项 by the supervision office; a retried command lands on the same item."""
    item_id = deterministic_id(SERVICE, "item", ctx.command_id)
    parent = None
    if cmd.parent_id is not None:
        parent = await ITEMS.repository(ctx.service).get(cmd.parent_id)
    tasks = await targets.task_count(ctx.service, parent.id) if parent else 0
    now = ctx.now()

    def decide(current: SupervisionItem | None) -> Outcome[SupervisionItem, ItemStep]:
        if current is not None:
            raise GovbusError(ErrorCode.conflict, f"督查事项{item_id}已立项", id=item_id)
        change = opening.open_item(cmd, item_id, ctx.principal, now, parent, tasks)
        return Outcome(change.state, _ack(change.state, 1), change.events)

    return await ctx.execute(ITEMS.repository(ctx.service), item_id, decide, reply=ItemStep)


@service.command(REGISTER_ITEM)
async def register_item(cmd: RegisterItem, ctx: CommandContext) -> ItemStep:
    """登记: the next serial of the year's register, taken once per command id and only
    after the step is known to pass, so that no number is spent on a refusal."""
    now = ctx.now()
    year = office_date(now).year
    prefix = settings(ctx.service).number_prefix
    current = await ITEMS.repository(ctx.service).get(cmd.id)
    try:
        opening.register(access.visible(ctx.principal, current, cmd.id), prefix, year, 1,
                         ctx.principal, now)
    except GovbusError as refused:
        # A retry of a registration that went through gets its first reply back; anything
        # else is refused as the rule said, and no serial is taken.
        return await ITEMS.step(ctx, cmd.id, _refusing(refused))
    serial = await NUMBERS.take(ctx, year)
    return await ITEMS.step(ctx, cmd.id, lambda item: opening.register(
        item, prefix, year, serial, ctx.principal, now))


def _refusing(refused: GovbusError) -> Callable[[SupervisionItem], Change[SupervisionItem]]:
    def rule(_: SupervisionItem) -> Change[SupervisionItem]:
        raise refused
    return rule


# --- 交办, 协办意见, 答复稿, 反馈, 审结 -----------------------------------------------------


@service.command(ASSIGN_ITEM)
async def assign_item(cmd: AssignItem, ctx: CommandContext) -> ItemStep:
    table = office_periods(ctx.service)
    return await ITEMS.step(ctx, cmd.id, lambda item: handling.assign(
        item, cmd, ctx.principal, ctx.now(), table))


@service.command(GIVE_OPINION)
async def give_opinion(cmd: GiveOpinion, ctx: CommandContext) -> ItemStep:
    return await ITEMS.step(ctx, cmd.id, lambda item: handling.give_opinion(
        item, cmd.opinion, ctx.principal, ctx.now()))


@service.command(DRAFT_ANSWER)
async def draft_answer(cmd: DraftAnswer, ctx: CommandContext) -> ItemStep:
    return await ITEMS.step(ctx, cmd.id, lambda item: handling.draft_answer(
        item, cmd, ctx.principal, ctx.now()))


@service.command(SUBMIT_ANSWER)
async def submit_answer(cmd: SubmitAnswer, ctx: CommandContext) -> ItemStep:
    return await ITEMS.step(ctx, cmd.id, lambda item: handling.submit_answer(
        item, cmd, ctx.principal, ctx.now()))


@service.command(REVIEW_ANSWER)
async def review_answer(cmd: ReviewAnswer, ctx: CommandContext) -> ItemStep:
    table = office_periods(ctx.service)
    return await ITEMS.step(ctx, cmd.id, lambda item: closing.review(
        item, cmd, ctx.principal, ctx.now(), table))


# --- queries -------------------------------------------------------------------------------


@service.query(GET_ITEM)
async def get_item(query: GetItem, ctx: QueryContext) -> ItemView:
    item = await ITEMS.load(ctx, query.id)
    children = await targets.children_of(ctx.service, item, ITEMS.repository(ctx.service),
                                         ctx.principal)
    return access.view(item, ctx.principal, children)


# --- fed by the documents service ----------------------------------------------------------


@service.subscribe(INCOMING_INSTRUCTED, durable="supervision-instructions")
async def instruction_opens_item(event: IncomingInstructed, ctx: EventContext) -> None:
    """A 领导批示 with 督办 opens its 领导批示 item linked to the 收文: once however often the
    fact is delivered (the item id derived from the 收文 and the 批示's day, the event
    applied once)."""
    if not event.needs_supervision:
        return
    item_id = opening.instruction_item_id(event.id, event.instructed_on)
    # Never refused for a reason of ours: a 督办期限 already past opens the item overdue.
    change = opening.open_from_instruction(event, item_id, SYSTEM, ctx.now(),
                                           office_periods(ctx.service))

    def decide(current: SupervisionItem | None) -> Outcome[SupervisionItem, bool]:
        if current is not None:
            return Outcome(None, False)  # opened already (the same 批示 delivered again)
        return Outcome(change.state, True, change.events)

    if await ctx.execute(ITEMS.repository(ctx.service), item_id, decide):
        log.info("item_from_instruction", item_id=item_id, document_id=event.id)
