"""政府工作报告: a target (目标) and its tasks per department (项目化、时间表、责任人).

A task is an item whose ``parent_id`` is its target (opening.check_source). The target's
progress is derived from its tasks (ledger.children_progress); to read them without a scan
the service keeps, per target, the ids of its tasks in one small document keyed by the
target's id (collection ``target_tasks``), added once per task from the service's own
``item.opened`` fact. The list is bounded: a target takes at most ``MAX_TASKS`` tasks.

Pure: no I/O.
"""

from __future__ import annotations

from pydantic import Field

from govbus_contracts.services.supervision.common import SourceKind
from govbus_kit.domain import Aggregate
from govbus_supervision.domain.record import SupervisionItem

COLLECTION = "target_tasks"
#: Tasks of one target: a target of the report is broken down into a few dozen at most.
MAX_TASKS = 200


class TargetTasks(Aggregate):
    """The tasks of one target (``id``: the target's id), in the order they were opened."""

    task_ids: list[str] = Field(default_factory=list)


def is_target(item: SupervisionItem) -> bool:
    """A work-report item without a parent: its tasks hang under it."""
    return item.source.kind is SourceKind.work_report and item.parent_id is None


def with_task(current: TargetTasks | None, target_id: str,
              task_id: str) -> TargetTasks | None:
    """The target's tasks with ``task_id`` (None: it is there already)."""
    tasks = current or TargetTasks(id=target_id)
    if task_id in tasks.task_ids:
        return None
    return tasks.model_copy(update={"task_ids": [*tasks.task_ids, task_id]})
