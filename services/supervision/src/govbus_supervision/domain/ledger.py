"""台账: one line per item (what the ledger query, its export and the rates read), and a
target's progress derived from its tasks.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from govbus_contracts.services.supervision.common import ItemStatus
from govbus_contracts.services.supervision.items import ChildrenProgress, Source
from govbus_contracts.services.supervision.ledger import (
    LedgerEscalation,
    LedgerProgress,
    LedgerRow,
)
from govbus_supervision.domain.record import SupervisionItem

#: The ledger's summary of an answer: the beginning of its text.
RESULT_CHARS = 200


def chinese_date(day: date) -> str:
    """A date as office documents write it: 2026年9月30日."""
    return f"{day.year}年{day.month}月{day.day}日"


def source_summary(source: Source) -> str:
    """来源摘要 as the 台账's column and the 督办通知书 write it (office punctuation: it is
    printed in both)."""
    if source.instruction is not None:
        i = source.instruction
        return (f"{i.leader}{chinese_date(i.instructed_on)}批示"
                f"（收文{i.registration_number or i.document_id}）")
    if source.meeting is not None:
        meeting = source.meeting
        return f"{meeting.meeting_name}纪要{meeting.minutes_number}第{meeting.item_no}项"
    if source.motion is not None:
        motion = source.motion
        lead = next((s.name for s in motion.signers if s.leading), motion.signers[0].name)
        more = f"等{len(motion.signers)}人" if len(motion.signers) > 1 else ""
        return f"{motion.session}第{motion.motion_number}号（{lead}{more}）"
    if source.work_report is not None:
        return f"{source.work_report.year}年政府工作报告{source.work_report.reference}"
    if source.case is not None:
        c = source.case
        return f"{source.kind.value}{c.case_number}（{chinese_date(c.overdue_since)}起逾期）"
    assert source.manual is not None
    return f"{source.manual.manual_kind.value}：{source.manual.origin}"


def ledger_row(item: SupervisionItem) -> LedgerRow:
    notices = {n.level_issued_on: n.doc_number for n in item.notices}
    progress = [LedgerProgress(due_on=r.due_on, submitted_on=r.submitted_on, late=r.late)
                for r in item.progress_reports]
    progress += [LedgerProgress(due_on=d, late=True) for d in item.missed_reports]
    progress.sort(key=lambda p: p.due_on or p.submitted_on or date.min)
    last = item.answers[-1] if item.answers else None
    return LedgerRow(
        id=item.id, number=item.number, year=item.year or item.opened_on.year,
        source_kind=item.source.kind, source=source_summary(item.source), title=item.title,
        lead_department=item.lead_department, co_departments=item.co_departments,
        assigned_on=item.assignments[0].assigned_on if item.assignments else None,
        due_on=item.due_on, status=item.status, progress=progress,
        escalations=[LedgerEscalation(level=e.level, issued_on=e.issued_on,
                                      doc_number=notices.get(e.issued_on)
                                      if e.level.name == "notice" else None)
                     for e in item.escalations],
        result_code=last.result_code if last else None,
        result=last.text[:RESULT_CHARS] if last else None,
        completed_on=item.appraisal.completed_on if item.appraisal else None,
        on_time=item.appraisal.on_time if item.appraisal else None,
        satisfaction=item.current_satisfaction())


def task_percent(task: SupervisionItem) -> int:
    """A task's progress: 办结 counts 100 %, others their latest report."""
    if task.status is ItemStatus.completed:
        return 100
    return task.progress_reports[-1].percent if task.progress_reports else 0


def task_overdue(task: SupervisionItem, today: date) -> bool:
    """Past its deadline and not completed."""
    return (task.status is not ItemStatus.completed and task.due_on is not None
            and today > task.due_on)


def children_progress(tasks: Iterable[SupervisionItem], today: date) -> ChildrenProgress:
    """A target's progress from its tasks: 办结 counts 100 %, others their latest report."""
    counted = [t for t in tasks if t.status is not ItemStatus.cancelled]
    done = [t for t in counted if t.status is ItemStatus.completed]
    overdue = [t for t in counted if task_overdue(t, today)]
    average = round(sum(task_percent(t) for t in counted) / len(counted)) if counted else 0
    return ChildrenProgress(tasks=len(counted), completed=len(done), overdue=len(overdue),
                            percent=average)
