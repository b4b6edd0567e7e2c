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
    CANCEL_ITEM,
    DECIDE_EXTENSION,
    DRAFT_ANSWER,
    ESCALATE_ITEM,
    GET_ITEM,
    GIVE_OPINION,
    OPEN_ITEM,
    OPEN_MEETING_ITEMS,
    REASSIGN_ITEM,
    RECORD_SATISFACTION,
    REGISTER_ITEM,
    REPORT_PROGRESS,
    REQUEST_EXTENSION,
    RESUME_ITEM,
    RETURN_MISROUTED,
    REVIEW_ANSWER,
    SUBMIT_ANSWER,
    SUSPEND_ITEM,
    AssignItem,
    CancelItem,
    DecideExtension,
    DraftAnswer,
    EscalateItem,
    GetItem,
    GiveOpinion,
    ItemStep,
    ItemView,
    MeetingItemsOpened,
    OpenItem,
    OpenMeetingItems,
    ReassignItem,
    RecordSatisfaction,
    RegisterItem,
    ReportProgress,
    RequestExtension,
    ResumeItem,
    ReturnMisrouted,
    ReviewAnswer,
    SubmitAnswer,
    SuspendItem,
)
from govbus_kit.clock import office_date
from govbus_kit.domain import Outcome
from govbus_kit.logging import get_logger
from govbus_kit.periods import periods
from govbus_kit.registers import SerialRegister
from govbus_kit.service import CommandContext, EventContext, QueryContext, ServiceContext
from govbus_kit.workflow import Workflow
from govbus_supervision.domain import access, closing, deadlines, handling, opening
from govbus_supervision.domain.deadlines import SYSTEM
from govbus_supervision.domain.periods import PERIODS, Periods
from govbus_supervision.domain.record import ItemChange, SupervisionItem
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


def _new(item_id: str, planned: Callable[[], ItemChange]
         ) -> Callable[[SupervisionItem | None], Outcome[SupervisionItem, ItemStep]]:
    """Write a new item, the rule asked only when the command has not written it yet (a
    retry is answered from the command's ledger, whatever the rule would say today)."""
    def decide(current: SupervisionItem | None) -> Outcome[SupervisionItem, ItemStep]:
        if current is not None:
            raise GovbusError(ErrorCode.conflict, f"督查事项{item_id}已立项", id=item_id)
        change = planned()
        return Outcome(change.state, _ack(change.state, 1), change.events)
    return decide


@service.command(OPEN_ITEM)
async def open_item(cmd: OpenItem, ctx: CommandContext) -> ItemStep:
    """立项 by the supervision office; a retried command lands on the same item."""
    item_id = deterministic_id(SERVICE, "item", ctx.command_id)
    parent = None
    if cmd.parent_id is not None:
        parent = await ITEMS.repository(ctx.service).get(cmd.parent_id)
    tasks = await targets.task_count(ctx.service, parent.id) if parent else 0
    now = ctx.now()
    return await ctx.execute(ITEMS.repository(ctx.service), item_id, _new(
        item_id, lambda: opening.open_item(cmd, item_id, ctx.principal, now, parent, tasks)),
        reply=ItemStep)


@service.command(OPEN_MEETING_ITEMS)
async def open_meeting_items(cmd: OpenMeetingItems, ctx: CommandContext) -> MeetingItemsOpened:
    """立项 of a meeting's 议定事项, linked by its 纪要 number. Each item's id is derived from
    the 纪要 and its 序号, so a retry (after a crash half-way too) lands on the same items
    and opens the missing ones, and another request for the same decisions is refused
    (``conflict``); every decision is checked before the first is written."""
    ids = [opening.meeting_item_id(cmd.meeting_kind, cmd.minutes_number, d.item_no)
           for d in cmd.decisions]
    now = ctx.now()
    plan: list[list[ItemChange]] = []

    def planned(index: int) -> Callable[[], ItemChange]:
        def change() -> ItemChange:
            if not plan:
                plan.append(opening.open_meeting_items(cmd, ids, ctx.principal, now))
            return plan[0][index]
        return change

    repo = ITEMS.repository(ctx.service)
    steps = [await ctx.execute(repo, item_id, _new(item_id, planned(i)), reply=ItemStep)
             for i, item_id in enumerate(ids)]
    return MeetingItemsOpened(minutes_number=cmd.minutes_number, items=steps)


@service.command(REGISTER_ITEM)
async def register_item(cmd: RegisterItem, ctx: CommandContext) -> ItemStep:
    """登记: the next serial of the year's register, taken once per command id and only
    after the step is known to pass, so that no number is spent on a refusal."""
    now = ctx.now()
    year = office_date(now).year
    prefix = settings(ctx.service).number_prefix
    return await NUMBERS.take_for(ctx, ITEMS, cmd.id, lambda item, serial: opening.register(
        item, prefix, year, serial, ctx.principal, now), year=year)


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


@service.command(RETURN_MISROUTED)
async def return_misrouted(cmd: ReturnMisrouted, ctx: CommandContext) -> ItemStep:
    return await ITEMS.step(ctx, cmd.id, lambda item: handling.return_misrouted(
        item, cmd, ctx.principal, ctx.now()))


@service.command(REASSIGN_ITEM)
async def reassign_item(cmd: ReassignItem, ctx: CommandContext) -> ItemStep:
    table = office_periods(ctx.service)
    return await ITEMS.step(ctx, cmd.id, lambda item: handling.reassign(
        item, cmd, ctx.principal, ctx.now(), table))


@service.command(REPORT_PROGRESS)
async def report_progress(cmd: ReportProgress, ctx: CommandContext) -> ItemStep:
    table = office_periods(ctx.service)
    return await ITEMS.step(ctx, cmd.id, lambda item: handling.report_progress(
        item, cmd, ctx.principal, ctx.now(), table))


@service.command(RECORD_SATISFACTION)
async def record_satisfaction(cmd: RecordSatisfaction, ctx: CommandContext) -> ItemStep:
    table = office_periods(ctx.service)
    return await ITEMS.step(ctx, cmd.id, lambda item: closing.record_satisfaction(
        item, cmd, ctx.principal, ctx.now(), table))


@service.command(CANCEL_ITEM)
async def cancel_item(cmd: CancelItem, ctx: CommandContext) -> ItemStep:
    return await ITEMS.step(ctx, cmd.id, lambda item: opening.cancel(
        item, cmd.reason, ctx.principal, ctx.now()))


# --- the deadline: 延期, 中止 and 恢复, 催办 by hand ---------------------------------------


@service.command(REQUEST_EXTENSION)
async def request_extension(cmd: RequestExtension, ctx: CommandContext) -> ItemStep:
    table = office_periods(ctx.service)
    return await ITEMS.step(ctx, cmd.id, lambda item: deadlines.request_extension(
        item, cmd, ctx.principal, ctx.now(), table))


@service.command(DECIDE_EXTENSION)
async def decide_extension(cmd: DecideExtension, ctx: CommandContext) -> ItemStep:
    table = office_periods(ctx.service)
    return await ITEMS.step(ctx, cmd.id, lambda item: deadlines.decide_extension(
        item, cmd, ctx.principal, ctx.now(), table))


@service.command(SUSPEND_ITEM)
async def suspend_item(cmd: SuspendItem, ctx: CommandContext) -> ItemStep:
    return await ITEMS.step(ctx, cmd.id, lambda item: deadlines.suspend(
        item, cmd, ctx.principal, ctx.now()))


@service.command(RESUME_ITEM)
async def resume_item(cmd: ResumeItem, ctx: CommandContext) -> ItemStep:
    table = office_periods(ctx.service)
    return await ITEMS.step(ctx, cmd.id, lambda item: deadlines.resume(
        item, cmd.remarks, ctx.principal, ctx.now(), table))


@service.command(ESCALATE_ITEM)
async def escalate_item(cmd: EscalateItem, ctx: CommandContext) -> ItemStep:
    """催办 by hand: the level recorded (and its fact published); a 督办通知书 is asked of the
    documents service by the subscription to that fact (handlers/notices.py)."""
    table = office_periods(ctx.service)
    return await ITEMS.step(ctx, cmd.id, lambda item: deadlines.escalate(
        item, cmd.level, cmd.remarks, ctx.principal, ctx.now(), table))


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
