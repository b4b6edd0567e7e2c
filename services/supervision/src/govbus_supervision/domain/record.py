"""The supervision item as the office keeps it, and what every fact about it carries.

Pure: no I/O, the time and the calendar are passed in.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from pydantic import Field

from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.supervision.common import (
    MOTION_KINDS,
    EscalationLevel,
    ItemStatus,
    Satisfaction,
)
from govbus_contracts.services.supervision.items import (
    AnswerDraft,
    AnswerRecord,
    Appraisal,
    AssignmentRecord,
    CoOpinion,
    EscalationRecord,
    ExtensionRecord,
    HistoryEntry,
    Milestone,
    MisrouteRecord,
    ProgressReport,
    ReviewRecord,
    SatisfactionRecord,
    Source,
    SupervisionNotice,
    SuspensionRecord,
)
from govbus_kit.domain import Actor, Aggregate, Change, require_status

S = ItemStatus


class SupervisionItem(Aggregate):
    """One 督查事项 (collection ``items``)."""

    status: ItemStatus = S.opened
    title: str
    content: str
    source: Source
    parent_id: str | None = None
    opened_on: date
    requested_due_on: date | None = None
    proposed_lead_department: str | None = None
    proposed_co_departments: list[str] = Field(default_factory=list)
    number: str | None = None
    year: int | None = None
    serial: int | None = None
    lead_department: str | None = None
    co_departments: list[str] = Field(default_factory=list)
    assignments: list[AssignmentRecord] = Field(default_factory=list)
    # The deadline in force and the day it was set (the period versions and the 催办
    # intervals are those in force that day).
    due_on: date | None = None
    due_set_on: date | None = None
    due_on_provisional: bool = False
    next_report_due_on: date | None = None
    report_reminded: bool = False
    missed_reports: list[date] = Field(default_factory=list)
    milestones: list[Milestone] = Field(default_factory=list)
    misroutes: list[MisrouteRecord] = Field(default_factory=list)
    co_opinions: list[CoOpinion] = Field(default_factory=list)
    progress_reports: list[ProgressReport] = Field(default_factory=list)
    answer_draft: AnswerDraft | None = None
    answers: list[AnswerRecord] = Field(default_factory=list)
    reviews: list[ReviewRecord] = Field(default_factory=list)
    extensions: list[ExtensionRecord] = Field(default_factory=list)
    suspensions: list[SuspensionRecord] = Field(default_factory=list)
    suspended_from: ItemStatus | None = None
    escalations: list[EscalationRecord] = Field(default_factory=list)
    notices: list[SupervisionNotice] = Field(default_factory=list)
    satisfaction: list[SatisfactionRecord] = Field(default_factory=list)
    rehandling_rounds: int = 0
    times_returned: int = 0
    appraisal: Appraisal | None = None
    overdue_since: date | None = None
    cancelled_reason: str | None = None
    history: list[HistoryEntry] = Field(default_factory=list)

    @property
    def is_motion(self) -> bool:
        """人大代表建议 or 政协提案: months, result codes, the deputies' satisfaction."""
        return self.source.kind in MOTION_KINDS

    @property
    def signers(self) -> list[str]:
        return [s.name for s in self.source.motion.signers] if self.source.motion else []

    @property
    def departments(self) -> list[str]:
        """The departments the item is addressed to (lead first)."""
        lead = [self.lead_department] if self.lead_department else []
        return lead + [d for d in self.co_departments if d != self.lead_department]

    def issued_levels(self) -> dict[EscalationLevel, date]:
        """The 催办 levels issued for the deadline in force, with their days."""
        return {e.level: e.issued_on for e in self.escalations if e.due_on == self.due_on}

    def current_satisfaction(self) -> Satisfaction | None:
        """The latest answer's satisfaction: the lowest any signer gave it (one 不满意 among
        the signers is a 不满意 of the item)."""
        if not self.answers:
            return None
        latest = self.answers[-1].round
        given = [r.satisfaction for r in self.satisfaction if r.round == latest]
        order = list(Satisfaction)
        return max(given, key=order.index) if given else None


#: What a rule of an item returns: the new state and the facts to publish with it.
ItemChange = Change[SupervisionItem]


def fact_of(item: SupervisionItem) -> dict[str, Any]:
    """The part of every fact: ids, the number, the departments it is addressed to."""
    return {"id": item.id, "number": item.number, "source_kind": item.source.kind,
            "title": item.title, "status": item.status, "lead_department": item.lead_department,
            "co_departments": item.co_departments, "due_on": item.due_on,
            "parent_id": item.parent_id}


def what(item: SupervisionItem) -> str:
    return f"督查事项{item.number or item.title}"


def require_step(item: SupervisionItem, step: str, allowed: Iterable[ItemStatus]) -> None:
    """A step the item's status does not allow changes nothing (``invalid_transition``)."""
    require_status(item.status, allowed, step=step, what=what(item), id=item.id)


def history_entry(actor: Actor, now: datetime, action: str,
                  remarks: str | None = None) -> HistoryEntry:
    return HistoryEntry(at=now, action=action, by=actor.subject, by_name=actor.name,
                        role=actor.role, department=actor.department, remarks=remarks)


def logged(item: SupervisionItem, actor: Actor, now: datetime, action: str,
           remarks: str | None = None, **changes: Any) -> SupervisionItem:
    """``item`` with ``changes`` and one more line of its audit trail."""
    return item.model_copy(update={
        **changes, "history": [*item.history, history_entry(actor, now, action, remarks)]})


def not_found(item_id: str) -> GovbusError:
    """What an unknown item and an invisible one both answer."""
    return GovbusError(ErrorCode.not_found, f"督查事项{item_id}不存在", id=item_id)


def departments_of(lead: str, co: Iterable[str]) -> list[str]:
    """Co-departments without duplicates and without the lead (the order given)."""
    seen: list[str] = []
    for d in co:
        if d != lead and d not in seen:
            seen.append(d)
    return seen
