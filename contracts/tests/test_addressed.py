"""Facts addressed to departments (``Event.addressed_to``): which ones, and to whom. Each
department gets its copy on ``gov.dept.<code>.<service>.<entity>.<fact>.v<N>``
(govbus_kit.departments)."""

from __future__ import annotations

from datetime import date

from govbus_contracts import Event, all_contracts
from govbus_contracts.services.disclosure.common import ApplicantType
from govbus_contracts.services.disclosure.requests import RequestAssigned, RequestStatus
from govbus_contracts.services.documents.common import Classification, DocType, Urgency
from govbus_contracts.services.documents.incoming import (
    IncomingAssigned,
    IncomingCirculated,
    IncomingStatus,
)


def test_the_documents_and_disclosure_facts_addressed_to_departments():
    """承办, 传阅, 催办, 逾期 and a moved deadline of a 收文; a request's 分办, 催办, 逾期 and a
    moved deadline. Nothing else (registered, returned, read, completed: the office's)."""
    addressed = {e.subject for c in all_contracts() if c.name in ("documents", "disclosure")
                 for e in c.events if e.addressed}
    assert addressed == {
        "gov.documents.evt.incoming.assigned.v1", "gov.documents.evt.incoming.circulated.v1",
        "gov.documents.evt.incoming.reminded.v1", "gov.documents.evt.incoming.overdue.v1",
        "gov.documents.evt.incoming.deadline_changed.v1",
        "gov.disclosure.evt.request.assigned.v1", "gov.disclosure.evt.request.reminded.v1",
        "gov.disclosure.evt.request.overdue.v1",
        "gov.disclosure.evt.request.deadline_changed.v1"}
    assert Event().addressed_to() == []


INCOMING = dict(id="d1", registration_number="收〔2026〕1号", status=IncomingStatus.in_handling,
                issuer="省财政厅", doc_type=DocType.notice,
                classification_level=Classification.none, urgency=Urgency.normal)


def test_an_assignment_goes_to_the_lead_and_each_co_department_once():
    fact = IncomingAssigned(**INCOMING, lead_department="财政局",
                            co_departments=["发改委", "财政局", "教育局"],
                            assigned_on=date(2026, 3, 2), due_on=date(2026, 3, 16))
    assert fact.addressed_to() == ["财政局", "发改委", "教育局"]


def test_a_circulation_goes_to_its_departments_not_its_leaders():
    fact = IncomingCirculated(**INCOMING, departments=["财政局"], leaders=["王副区长"],
                              leader_subjects=["wang-fqz"], circulated_at="2026-03-02T09:00:00Z",
                              holders=["财政局", "wang-fqz"])
    assert fact.addressed_to() == ["财政局"]


def test_a_request_not_yet_given_to_a_department_is_addressed_to_none():
    fact = dict(id="r1", request_number="2026-0001", applicant_type=ApplicantType.natural_person,
                status=RequestStatus.handling, received_on=date(2026, 3, 9),
                assigned_on=date(2026, 3, 9))
    assert RequestAssigned(**fact, department="财政局").addressed_to() == ["财政局"]
    assert RequestAssigned(**fact).addressed_to() == []


def test_the_supervision_facts_a_department_acts_on_are_addressed_to_it():
    """交办, 催办 at every level, 进展报送 reminded and late, 审结退回, 不满意重办, a deadline
    extended, moved, suspended or resumed, 撤销: the lead and the co-departments. What the
    office itself handles (立项, 登记, 退回 by the department, 反馈, 审结, 办结) is not."""
    addressed = {e.subject.split(".")[3:5][0] + "." + e.subject.split(".")[4]
                 for c in all_contracts() if c.name == "supervision" for e in c.events
                 if e.addressed}
    assert addressed == {
        "item.assigned", "item.escalated", "item.progress_reminded", "item.progress_late",
        "item.sent_back", "item.reopened", "item.extended", "item.deadline_changed",
        "item.suspended", "item.resumed", "item.cancelled"}
