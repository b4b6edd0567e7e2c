"""Items opened from other services' overdue cases: disclosure's overdue requests today, the
complaints service's overdue complaints when it arrives (the same two functions).

The overdue fact starts a watch (domain/cases.py) due on the day the case has been overdue
the configured working days; the facts that end a case end its watch; the sweep opens the
item of each watch whose day has come (the id derived from the case: twice is once) and
closes the watch. Nothing is scanned (the kit's due index) and nothing is lost: the item is
written before the watch is closed, so a crash between the two opens it again, once.

Adding the complaints service: subscribe to its overdue fact and call ``case_went_overdue``
with ``SourceKind.complaint_overdue`` and the case's fields, and to its facts that close a
complaint with ``case_ended`` (see ``request_overdue`` and ``request_replied`` below).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from govbus_contracts.services.disclosure.requests import (
    REQUEST_LAPSED,
    REQUEST_OVERDUE,
    REQUEST_REPLIED,
    REQUEST_WITHDRAWN,
    RequestLapsed,
    RequestOverdue,
    RequestReplied,
    RequestWithdrawn,
)
from govbus_contracts.services.supervision.common import SourceKind
from govbus_contracts.services.supervision.items import OverdueCaseSource
from govbus_kit.clock import office_date
from govbus_kit.domain import Outcome
from govbus_kit.due import Due, day, due_index, track_due
from govbus_kit.logging import get_logger
from govbus_kit.repository import AggregateRepository
from govbus_kit.service import EventContext, ServiceContext
from govbus_supervision.domain import cases, opening
from govbus_supervision.domain.cases import COLLECTION, CaseWatch, WatchStatus
from govbus_supervision.domain.deadlines import SYSTEM
from govbus_supervision.domain.record import SupervisionItem
from govbus_supervision.handlers.items import ITEMS, office_periods
from govbus_supervision.service import service, sweep_seconds

log = get_logger("govbus.supervision.cases")


def watches(ctx: ServiceContext) -> AggregateRepository[CaseWatch]:
    return ctx.repository(COLLECTION, CaseWatch)


def watch_due(doc: Mapping[str, Any]) -> Due:
    """A watch is swept on the day its case opens an item, while it still watches."""
    if doc.get("status") != WatchStatus.watching.value:
        return Due()
    return Due(on=day(doc.get("opens_on")))


@service.on_startup
async def prepare_case_watches(ctx: ServiceContext) -> None:
    track_due(ctx, COLLECTION, watch_due)


# --- generic: any service's overdue case --------------------------------------------------


async def case_went_overdue(ctx: EventContext, kind: SourceKind,
                            case: OverdueCaseSource) -> None:
    """An overdue fact of ``kind``: watch the case until the threshold's day (once)."""
    periods = office_periods(ctx.service)
    watch_id = cases.watch_id(kind, case.case_id)

    def decide(current: CaseWatch | None) -> Outcome[CaseWatch, bool]:
        new = cases.watch(current, kind, case, periods)
        return Outcome(new, new is not None)

    if await ctx.execute(watches(ctx.service), watch_id, decide):
        log.info("case_watched", kind=kind.value, case_id=case.case_id,
                 overdue_since=str(case.overdue_since))


async def case_ended(ctx: EventContext, kind: SourceKind, case_id: str, reason: str,
                     on: date, late: bool) -> None:
    """A fact that the case was answered or closed: its watch ends, no item opens."""
    def decide(current: CaseWatch | None) -> Outcome[CaseWatch, bool]:
        new = cases.end(current, kind, case_id, reason, on, late)
        return Outcome(new, new is not None)

    if await ctx.execute(watches(ctx.service), cases.watch_id(kind, case_id), decide):
        log.info("case_watch_ended", kind=kind.value, case_id=case_id, reason=reason)


async def open_watched_case(ctx: ServiceContext, watch: CaseWatch) -> bool:
    """The item of a watch whose day has come (once, whoever sweeps), then the watch closed;
    True if this call opened the item."""
    assert watch.case is not None
    case = watch.case
    now = ctx.clock.now()

    def open_item(current: SupervisionItem | None) -> Outcome[SupervisionItem, bool]:
        if current is not None:
            return Outcome(None, False)  # opened already (another replica, a rerun)
        change = opening.open_from_overdue_case(watch.kind, case, watch.item_id, SYSTEM, now)
        return Outcome(change.state, True, change.events)

    created = await ITEMS.repository(ctx).execute(watch.item_id, open_item)

    def close(current: CaseWatch | None) -> Outcome[CaseWatch, None]:
        return Outcome(cases.opened(current) if current is not None else None, None)

    await watches(ctx).execute(watch.id, close)
    if created:
        log.info("item_from_overdue_case", item_id=watch.item_id, kind=watch.kind.value,
                 case_id=case.case_id)
    return created


async def sweep_overdue_cases(ctx: ServiceContext) -> int:
    """Open the items of the watches whose day has come; returns how many it opened. Safe on
    many replicas and when run twice (the item's id is the case's)."""
    today = office_date(ctx.clock.now())
    due: list[CaseWatch] = []

    def collect(watch: CaseWatch) -> None:
        # Read only: the item is another aggregate, written below in its own write.
        if cases.opens_today(watch, today):
            due.append(watch)

    await due_index(ctx, COLLECTION).sweep_due(
        watches(ctx), collect, today=today, what="逾期案件立项")
    opened = 0
    for watch_id in dict.fromkeys(w.id for w in due):
        try:
            # Read again: an answer may have ended it since the sweep read it.
            watch = await watches(ctx).get(watch_id)
            if watch is not None and cases.opens_today(watch, today):
                opened += await open_watched_case(ctx, watch)
        except Exception as exc:  # one unreadable case must not stop the others
            log.warning("overdue_case_not_opened", watch_id=watch_id, error=repr(exc))
    return opened


@service.every(sweep_seconds, name="overdue_cases")
async def overdue_cases(ctx: ServiceContext) -> None:
    await sweep_overdue_cases(ctx)


# --- disclosure: 依申请公开 overdue (政府信息公开条例 第三十三条) -----------------------------

DISCLOSURE = SourceKind.disclosure_overdue


@service.subscribe(REQUEST_OVERDUE, durable="supervision-overdue-requests")
async def request_overdue(event: RequestOverdue, ctx: EventContext) -> None:
    await case_went_overdue(ctx, DISCLOSURE, OverdueCaseSource(
        case_id=event.id, case_number=event.request_number, department=event.department,
        due_on=event.due_on or event.overdue_since, overdue_since=event.overdue_since))


# The facts that end a request (its status then one of disclosure's CLOSED_STATUSES).


@service.subscribe(REQUEST_REPLIED, durable="supervision-replied-requests")
async def request_replied(event: RequestReplied, ctx: EventContext) -> None:
    await case_ended(ctx, DISCLOSURE, event.id, "已答复", event.replied_on,
                     late=not event.on_time)


@service.subscribe(REQUEST_WITHDRAWN, durable="supervision-withdrawn-requests")
async def request_withdrawn(event: RequestWithdrawn, ctx: EventContext) -> None:
    await case_ended(ctx, DISCLOSURE, event.id, "申请人撤回", event.withdrawn_on,
                     late=_after(event.withdrawn_on, event.due_on))


@service.subscribe(REQUEST_LAPSED, durable="supervision-lapsed-requests")
async def request_lapsed(event: RequestLapsed, ctx: EventContext) -> None:
    await case_ended(ctx, DISCLOSURE, event.id, event.status.value, event.closed_on,
                     late=_after(event.closed_on, event.due_on))


def _after(on: date, due_on: date | None) -> bool:
    # A request closed while its clock stood still (due_on None) may have gone overdue
    # before: keep the ended watch.
    return due_on is None or on > due_on
