"""依申请公开: the request as the office keeps it, and an applicant's month (the count the
fee rests on). ``received_on``, ``closed_on``, ``outcome``, ``outcome_reason``, ``reply_type``
and ``status`` are read by the annual report; events carry ``fact_of`` — no personal data.

Pure: no I/O, the time and the calendar are passed in.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from pydantic import Field

from govbus_contracts.services.disclosure.common import ApplicantType, Outcome, ReplyType
from govbus_contracts.services.disclosure.requests import (
    CLOSED_STATUSES,
    Applicant,
    ApplicantNotice,
    ConsultationRecord,
    Contact,
    CorrectionRecord,
    DeliveryMethod,
    ExtensionRecord,
    FeeRecord,
    HistoryEntry,
    InformationForm,
    InformationSought,
    ReceiptChannel,
    ReceiptConfirmation,
    ReferralRecord,
    ReminderRecord,
    ReplyRecord,
    RequestStatus,
)
from govbus_kit.deadlines import DeadlineClock
from govbus_kit.domain import Actor, Aggregate, Change, require_status

S = RequestStatus
OPEN_STATUSES = frozenset(set(S) - CLOSED_STATUSES)
PAUSE_CORRECTION = "补正"
PAUSE_CONSULTATION = "征求第三方意见"
PAUSE_FEE = "缴费"
#: 第三十一条: a request that is not yet confirmed has no running clock.
PAUSE_CONFIRMATION = "待确认收到"


class InformationRequest(Aggregate):
    """One request (collection ``requests``). ``received_on``, ``closed_on``, ``outcome``,
    ``outcome_reason``, ``reply_type`` and ``status`` are read by the annual report."""

    request_number: str
    year: int
    serial: int
    applicant_type: ApplicantType
    applicant: Applicant
    contact: Contact
    applicant_key: str  # sha256 of who the applicant is, for the monthly count (fees)
    information: InformationSought
    form: InformationForm
    delivery: DeliveryMethod
    channel: ReceiptChannel
    fee_waiver_requested: bool = False
    submitted_at: datetime
    submitted_on: date  # handed in / signed for / submitted online / letter or fax arrived
    # 第三十一条: the reply period counts from the day after. While 待确认: the day submitted
    # (no clock runs); the confirmation sets it.
    received_on: date
    receipt_confirmation: ReceiptConfirmation | None = None
    tracking_hash: str  # sha256 of the tracking code; the code itself is never stored
    status: RequestStatus = S.handling
    department: str | None = None
    clock: DeadlineClock
    due_on: date | None = None
    # The due date counts days of a year whose official calendar (调休) is not out yet.
    due_on_provisional: bool = False
    # Some period of the request is provisional (the reply's, or an open 补正, fee or
    # consultation period): what the calendar revision looks for.
    provisional_periods: bool = False
    overdue_since: date | None = None
    next_alert_on: date | None = None
    correction: CorrectionRecord | None = None
    consultations: list[ConsultationRecord] = Field(default_factory=list)
    extension: ExtensionRecord | None = None
    monthly_position: int = 1
    fee: FeeRecord | None = None
    reply: ReplyRecord | None = None
    referral: ReferralRecord | None = None
    reminders: list[ReminderRecord] = Field(default_factory=list)
    notices: list[ApplicantNotice] = Field(default_factory=list)
    history: list[HistoryEntry] = Field(default_factory=list)
    closed_on: date | None = None
    outcome: Outcome | None = None
    outcome_reason: str | None = None
    reply_type: ReplyType | None = None


#: What a rule of a request returns: the new state and the facts to publish with it.
RequestChange = Change[InformationRequest]


class ApplicantMonth(Aggregate):
    """How many requests one applicant made in one calendar month (collection
    ``request_months``, id ``<applicant_key>:<YYYY-MM>``): the count the fee rests on,
    taken once per submission, without scanning the requests."""

    count: int = 0


def next_in_month(month: ApplicantMonth | None, month_id: str) -> ApplicantMonth:
    current = month or ApplicantMonth(id=month_id)
    return current.model_copy(update={"count": current.count + 1})


#: Who acts for the public: the applicant, by the tracking code.
APPLICANT = Actor("applicant", "申请人", "applicant")
#: The service acting by itself (the sweep); its subject is the one the records show.
SYSTEM = Actor("system", "系统", "system")


def fact_of(req: InformationRequest) -> dict[str, Any]:
    """The part of every event: ids, the applicant's type, dates — no personal data."""
    return {"id": req.id, "request_number": req.request_number,
            "applicant_type": req.applicant_type, "status": req.status,
            "received_on": req.received_on, "due_on": req.due_on,
            "due_on_provisional": req.due_on_provisional, "department": req.department}


def require_step(req: InformationRequest, step: str, allowed: Iterable[RequestStatus]) -> None:
    """A step the request's status does not allow changes nothing: the kit's
    ``invalid_transition``, naming the request by its number."""
    require_status(req.status, allowed, step=step, what=f"申请{req.request_number}", id=req.id)


def history_entry(actor: Actor, now: datetime, action: str, remarks: str | None) -> HistoryEntry:
    return HistoryEntry(at=now, action=action, by=actor.subject, by_name=actor.name,
                        remarks=remarks)
