"""代拟: a draft another service asks for (issue 13's 督办通知书), the rules without servers.

Only a service the office allows, as its own system principal, may ask; a user of any role
or another service is refused and nothing is drafted. The draft is then an ordinary 发文 of
the asking office's department, and its facts carry what it was asked for.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from govbus_contracts.envelope import Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.documents.common import DisclosureAttribute, DocType
from govbus_contracts.services.documents.outgoing import (
    DispatchOutgoing,
    DraftRequestedOutgoing,
    NumberEntry,
    NumberStatus,
    OutgoingDispatched,
    OutgoingDrafted,
    OutgoingNumbered,
    OutgoingStatus,
    PrintOutgoing,
    RecheckOutgoing,
    RegisterOutgoing,
    RequestedBy,
    ReviewDecision,
    ReviewOutgoing,
    ReviseOutgoing,
    SignOffOutgoing,
)
from govbus_documents.domain import outgoing as rules
from govbus_documents.domain.access import require_visible
from govbus_documents.domain.outgoing import OutgoingDocument
from govbus_documents.settings import DocumentsSettings
from govbus_testing.office import REGISTRAR, REVIEWER, SIGNER

AT = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
TODAY = date(2026, 3, 2)
SUPERVISION = Principal.system("supervision")
ALLOWED = ["supervision"]
#: a drafter of the asking office (督查室), and one of another department
DUCHA = Principal(subject="u-ducha-zhou", name="周敏", roles=frozenset({"drafter"}),
                  department="督查室")
OTHER_DRAFTER = Principal(subject="u-mishu-li", name="李明", roles=frozenset({"drafter"}),
                          department="秘书科")

ITEM = RequestedBy(service="supervision", service_name="督查督办", kind="督办事项",
                   reference="item-12", label="督〔2026〕12号")
TITLE = "关于督促办理市政府常务会议议定事项的督办通知书"
BODY = ("市交通运输局:\n市政府第12次常务会议议定的城区公交线网优化事项已逾办理期限, "
        "请于5个工作日内报送办理情况。")


def ask(**changes: Any) -> DraftRequestedOutgoing:
    fields: dict[str, Any] = dict(
        requested_by=ITEM, doc_type=DocType.notice, title=TITLE, body=BODY,
        main_recipients=["市交通运输局"], issuer_code="府督办", issuing_organ="市人民政府办公室",
        drafting_department="督查室", disclosure=DisclosureAttribute.not_public,
        disclosure_reason="内部督办事项")
    fields.update(changes)
    return DraftRequestedOutgoing(**fields)


def requested(**changes: Any) -> OutgoingDocument:
    return rules.draft_requested("doc-r", ask(**changes), SUPERVISION, AT, ALLOWED).state


def refused(code: ErrorCode, fn: Any, *args: Any) -> GovbusError:
    with pytest.raises(GovbusError) as caught:
        fn(*args)
    assert caught.value.code is code, caught.value.message
    return caught.value


def test_an_allowed_service_drafts_for_the_asking_office_in_its_name():
    step = rules.draft_requested("doc-r", ask(), SUPERVISION, AT, ALLOWED)
    doc = step.state
    assert doc.status is OutgoingStatus.drafted
    assert (doc.drafting_department, doc.issuer_code, doc.departments) == (
        "督查室", "府督办", ["督查室"])
    assert (doc.drafter, doc.drafter_name) == ("system:supervision", "督查室(督查督办)")
    assert doc.requested_by == ITEM
    first = doc.history[0]
    assert (first.action, first.actor, first.actor_name, first.role) == (
        "起草", "system:supervision", "督查室(督查督办)", "system")
    assert first.remarks == "代拟: 督办事项 督〔2026〕12号"
    fact = step.events[0].body
    assert isinstance(fact, OutgoingDrafted) and fact.requested_by == ITEM
    assert fact.drafting_department == "督查室"


def test_a_user_of_any_role_may_not_ask_for_a_draft():
    admin = Principal(subject="u-admin", roles=frozenset({"admin", "drafter", "registrar"}),
                      department="督查室")
    for who in (DUCHA, admin, REVIEWER, Principal.anonymous()):
        refused(ErrorCode.forbidden, rules.draft_requested, "doc-r", ask(), who, AT, ALLOWED)


def test_a_service_the_office_does_not_allow_may_not_ask():
    refused(ErrorCode.forbidden, rules.draft_requested, "doc-r", ask(),
            Principal.system("complaints"), AT, ALLOWED)
    # …nor the allowed one when the office allows nobody
    refused(ErrorCode.forbidden, rules.draft_requested, "doc-r", ask(), SUPERVISION, AT, [])


def test_only_the_services_own_system_principal_counts():
    # The subject alone is not the service: a token with more roles or a department is a
    # user's (the gateway refuses to carry either, and this rule does not rely on it).
    for who in (Principal(subject="system:supervision", roles=frozenset({"system", "admin"})),
                Principal(subject="system:supervision", roles=frozenset({"system"}),
                          department="督查室"),
                Principal(subject="system:supervision", roles=frozenset({"drafter"}))):
        refused(ErrorCode.forbidden, rules.draft_requested, "doc-r", ask(), who, AT, ALLOWED)


def test_the_asking_service_is_named_as_it_is():
    error = refused(ErrorCode.validation_failed, rules.draft_requested, "doc-r",
                    ask(requested_by=ITEM.model_copy(update={"service": "complaints"})),
                    SUPERVISION, AT, ALLOWED)
    assert error.details["requested_by"] == "complaints"


def test_a_requested_draft_keeps_the_rules_of_any_draft():
    # 不予公开须说明理由; a 请示 is no notice to a department (one 上级机关 only) etc.
    refused(ErrorCode.validation_failed, rules.draft_requested, "doc-r",
            ask(disclosure_reason=None), SUPERVISION, AT, ALLOWED)
    refused(ErrorCode.validation_failed, rules.draft_requested, "doc-r",
            ask(main_recipients=["市交通运输局", "市交通运输局"]), SUPERVISION, AT, ALLOWED)
    refused(ErrorCode.validation_failed, rules.draft_requested, "doc-r",
            ask(issuer_code="府督办〔2026〕"), SUPERVISION, AT, ALLOWED)


def test_a_returned_requested_draft_is_revised_by_the_drafting_departments_drafters():
    returned = rules.review(requested(), ReviewOutgoing(
        document_id="doc-r", decision=ReviewDecision.returned, comments="请写明报送期限"),
        REVIEWER, AT).state
    revise = ReviseOutgoing(document_id="doc-r", summary="写明期限", body=BODY + "(3月9日前)")
    refused(ErrorCode.forbidden, rules.revise, returned, revise, OTHER_DRAFTER, AT)
    # (the other department does not even see it: not_found before the rule is asked)
    refused(ErrorCode.not_found, require_visible, OTHER_DRAFTER, returned, "发文", "doc-r")
    assert require_visible(DUCHA, returned, "发文", "doc-r") is returned
    revised = rules.revise(returned, revise, DUCHA, AT).state
    assert (revised.status, revised.current_revision) == (OutgoingStatus.drafted, 2)
    assert revised.revisions[-1].author == "u-ducha-zhou"
    # The asking service itself does not revise: it is no drafter.
    refused(ErrorCode.forbidden, rules.revise, returned, revise, SUPERVISION, AT)


def test_an_ordinary_draft_is_still_revised_by_its_drafter_only():
    doc = requested().model_copy(update={"requested_by": None, "drafter": "u-mishu-li"})
    revise = ReviseOutgoing(document_id="doc-r", summary="改", body="改")
    refused(ErrorCode.forbidden, rules.revise, doc, revise, DUCHA, AT)


def test_the_number_and_the_dispatch_carry_what_was_asked_for():
    doc = rules.review(requested(), ReviewOutgoing(
        document_id="doc-r", decision=ReviewDecision.approved), REVIEWER, AT).state
    doc = rules.sign_off(doc, SignOffOutgoing(document_id="doc-r"), SIGNER, AT, TODAY).state
    doc = rules.recheck(doc, RecheckOutgoing(document_id="doc-r"), REGISTRAR, AT).state
    entry = NumberEntry(serial=3, doc_number="府督办〔2026〕3号", status=NumberStatus.used,
                        document_id="doc-r", taken_at=AT, taken_by=REGISTRAR.subject, used_at=AT)
    step = rules.register(doc, entry, RegisterOutgoing(document_id="doc-r"), REGISTRAR, AT)
    numbered = step.events[0].body
    assert isinstance(numbered, OutgoingNumbered)
    assert (numbered.doc_number, numbered.requested_by) == ("府督办〔2026〕3号", ITEM)
    doc = rules.print_document(step.state, PrintOutgoing(
        document_id="doc-r", printing_office="市人民政府办公室秘书科"), REGISTRAR, AT, TODAY).state
    step = rules.dispatch(doc, DispatchOutgoing(document_id="doc-r", dispatches=[
        {"recipient": "市交通运输局", "means": "电子公文传输"}]), REGISTRAR, AT)
    dispatched = step.events[0].body
    assert isinstance(dispatched, OutgoingDispatched)
    assert (dispatched.doc_number, dispatched.requested_by) == ("府督办〔2026〕3号", ITEM)
    # 不予公开: references only, the text stays in the documents service.
    assert dispatched.title is None and dispatched.body is None


def test_the_office_names_the_services_that_may_ask(monkeypatch):
    assert DocumentsSettings().draft_requesters == ["supervision"]
    monkeypatch.setenv("GOVBUS_DOCUMENTS_DRAFT_REQUESTERS", "supervision, complaints")
    assert DocumentsSettings().draft_requesters == ["supervision", "complaints"]
    monkeypatch.setenv("GOVBUS_DOCUMENTS_DRAFT_REQUESTERS", "")
    assert DocumentsSettings().draft_requesters == []
