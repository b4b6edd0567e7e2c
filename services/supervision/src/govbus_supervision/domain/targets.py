"""政府工作报告: a target (目标) and its tasks per department (项目化、时间表、责任人).

A task is an item whose ``parent_id`` is its target (opening.check_source). The target's
progress is derived from its tasks (ledger.children_progress); to read them without a scan
the service keeps, per target, the ids of its tasks in one small document keyed by the
target's id (collection ``target_tasks``), added once per task from the service's own
``item.opened`` fact. The list is bounded: a target takes at most ``MAX_TASKS`` tasks.

The target's view counts every task; it lists each task (its department, deadline,
milestones and quarterly reports) only to whom may see that task: a department its own.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from pydantic import Field

from govbus_contracts.envelope import Principal
from govbus_contracts.services.supervision.common import ItemStatus, SourceKind
from govbus_contracts.services.supervision.items import ChildrenProgress, TaskProgress
from govbus_kit.domain import Aggregate
from govbus_supervision.domain.access import may_see
from govbus_supervision.domain.ledger import children_progress, task_overdue, task_percent
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


def task_progress(task: SupervisionItem, today: date) -> TaskProgress:
    """One task as its target's view lists it."""
    report = task.source.work_report
    return TaskProgress(
        id=task.id, number=task.number, reference=report.reference if report else None,
        title=task.title, lead_department=task.lead_department or task.proposed_lead_department,
        status=task.status, due_on=task.due_on, overdue=task_overdue(task, today),
        percent=task_percent(task), milestones=task.milestones,
        last_reported_on=task.progress_reports[-1].submitted_on if task.progress_reports
        else None,
        next_report_due_on=task.next_report_due_on, missed_reports=task.missed_reports)


def children(tasks: Iterable[SupervisionItem], today: date,
             principal: Principal) -> ChildrenProgress:
    """A target's progress from all its tasks, with the tasks ``principal`` may see."""
    tasks = list(tasks)
    listed = [task_progress(t, today) for t in tasks
              if t.status is not ItemStatus.cancelled and may_see(principal, t)]
    return children_progress(tasks, today).model_copy(update={"items": listed})
