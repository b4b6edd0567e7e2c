"""政府工作报告 targets: the ids of each target's tasks, kept from the service's own
``item.opened`` fact, and the target's progress derived from its tasks when it is read.

The tasks are read by ``_id`` from the target's list (domain/targets.py), never by a query on
``parent_id``; the list is written once per task however often the fact is delivered. A task
opened a moment ago appears once the fact has been read (within the consumer's delay).
"""

from __future__ import annotations

import asyncio

from govbus_contracts.envelope import Principal
from govbus_contracts.services.supervision.items import ITEM_OPENED, ChildrenProgress, ItemOpened
from govbus_kit.clock import office_date
from govbus_kit.domain import Outcome
from govbus_kit.logging import get_logger
from govbus_kit.repository import AggregateRepository
from govbus_kit.service import EventContext, ServiceContext
from govbus_supervision.domain import targets
from govbus_supervision.domain.record import SupervisionItem
from govbus_supervision.domain.targets import COLLECTION, TargetTasks
from govbus_supervision.service import service

log = get_logger("govbus.supervision.targets")


def target_tasks(ctx: ServiceContext) -> AggregateRepository[TargetTasks]:
    return ctx.repository(COLLECTION, TargetTasks)


async def task_count(ctx: ServiceContext, target_id: str) -> int:
    """How many tasks the target has (those whose opening was read)."""
    tasks = await target_tasks(ctx).get(target_id)
    return len(tasks.task_ids) if tasks else 0


async def children_of(ctx: ServiceContext, item: SupervisionItem,
                      items: AggregateRepository[SupervisionItem],
                      principal: Principal) -> ChildrenProgress | None:
    """A target's progress from its tasks, each read by ``_id``, with those ``principal``
    may see (None: not a target)."""
    if not targets.is_target(item):
        return None
    listed = await target_tasks(ctx).get(item.id)
    found = await asyncio.gather(*(items.get(task_id)
                                   for task_id in (listed.task_ids if listed else [])))
    tasks = [task for task in found if task is not None]
    return targets.children(tasks, office_date(ctx.clock.now()), principal)


@service.subscribe(ITEM_OPENED, durable="supervision-target-tasks")
async def task_joins_target(event: ItemOpened, ctx: EventContext) -> None:
    """A work-report task opened: its id on its target's list (once)."""
    if event.parent_id is None:
        return
    parent_id = event.parent_id

    def decide(current: TargetTasks | None) -> Outcome[TargetTasks, bool]:
        new = targets.with_task(current, parent_id, event.id)
        return Outcome(new, new is not None)

    if await ctx.execute(target_tasks(ctx.service), parent_id, decide):
        log.info("task_joined_target", target_id=parent_id, task_id=event.id)
