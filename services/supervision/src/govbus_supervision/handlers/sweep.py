"""The deadline sweep of 督查事项: progress reports reminded and marked late, 催办 levels
(提醒 → 催办通知 → 督办通知书 → 通报) issued when due, by ``domain.deadlines.sweep``.

The items are reached by ``_id`` through the kit's due index (govbus_kit.due), never by a
scan: every write of an item (whatever step: 交办, 重新交办, 延期, 中止 and 恢复, 审结退回, 重办, a
progress report, the sweep's own) puts it, in the same write, on the day its next check falls
(``domain.watch.next_check_on``). Each fact has a deterministic id and each step is a
compare-and-set, so several replicas sweeping at once, or one sweeping twice, publish each
fact once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from govbus_kit.clock import office_date
from govbus_kit.due import Due, due_index, track_due
from govbus_kit.listing import aggregate_fields
from govbus_kit.service import ServiceContext
from govbus_supervision.domain import deadlines, notices
from govbus_supervision.domain.periods import Periods
from govbus_supervision.domain.record import S, SupervisionItem
from govbus_supervision.domain.watch import next_check_on
from govbus_supervision.handlers.items import COLLECTION, ITEMS, office_periods
from govbus_supervision.service import service, sweep_seconds

#: The items with a 督办通知书 still waiting for its draft in documents (notices.py).
NOTICE_PENDING = "notice_pending"


def item_due(doc: Mapping[str, Any], table: Periods) -> Due:
    """What the sweeps watch: an item in handling, on the next day it has something due; an
    item whose 督办通知书 is not drafted yet, in the set ``notice_pending``."""
    urged = doc.get("status") in {s.value for s in notices.URGED_STATUSES}
    pending = urged and any(n.get("document_id") is None for n in doc.get("notices") or [])
    sets = frozenset({NOTICE_PENDING}) if pending else frozenset()
    if doc.get("status") != S.handling.value or doc.get("due_on") is None:
        return Due(sets=sets)
    item = SupervisionItem.model_validate(aggregate_fields(dict(doc)))
    return Due(on=next_check_on(item, table), sets=sets)


@service.on_startup
async def item_due_index(ctx: ServiceContext) -> None:
    # The sweep reads the due index by _id (kit due): no index of the collection serves it.
    track_due(ctx, COLLECTION, lambda doc: item_due(doc, office_periods(ctx)))


async def sweep_item_deadlines(ctx: ServiceContext) -> int:
    """Issue what is due today; returns how many facts it wrote. Safe on many replicas and
    when run twice."""
    now = ctx.clock.now()
    table = office_periods(ctx)
    return await due_index(ctx, COLLECTION).sweep_due(
        ITEMS.repository(ctx), lambda item: deadlines.sweep(item, now, table),
        today=office_date(now), what="督查事项")


@service.every(sweep_seconds, name="item_deadlines")
async def item_deadlines(ctx: ServiceContext) -> None:
    await sweep_item_deadlines(ctx)
