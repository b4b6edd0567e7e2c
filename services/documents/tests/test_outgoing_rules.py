"""发文办理: the rules of each step, without servers."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from govbus_contracts.envelope import Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.documents.common import (
    Classification,
    ClassificationMark,
    Direction,
    DisclosureAttribute,
    DispatchChannel,
    DocType,
)
from govbus_contracts.services.documents.outgoing import (
    DispatchOutgoing,
    DraftOutgoing,
    NumberEntry,
    NumberSeries,
    NumberStatus,
    OutgoingDispatched,
    OutgoingDrafted,
    OutgoingReturned,
    OutgoingSigned,
    OutgoingStatus,
    PrintOutgoing,
    RecheckOutgoing,
    RegisterOutgoing,
    ReviewDecision,
    ReviewOutgoing,
    ReviseOutgoing,
    SignOffOutgoing,
)
from govbus_documents.domain import outgoing as rules
from govbus_documents.domain.access import require_visible
from govbus_documents.domain.outgoing import OutgoingDocument

AT = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
TODAY = date(2026, 3, 2)
DRAFTER = Principal(subject="u-drafter", name="李明", roles=frozenset({"drafter"}),
                    department="秘书科")
OTHER_DRAFTER = Principal(subject="u-drafter-2", name="陈静", roles=frozenset({"drafter"}),
                          department="综合科")
REVIEWER = Principal(subject="u-reviewer", name="王芳", roles=frozenset({"reviewer"}))
SIGNER = Principal(subject="u-signer", name="张伟", roles=frozenset({"signer"}))
REGISTRAR = Principal(subject="u-registrar", name="刘洋", roles=frozenset({"registrar"}))

TITLE = "关于印发《宜春市政府办公室关于贯彻宜发〔2008〕13号文件的实施意见》的通知"
BODY = ("经研究,现将《宜春市政府办公室关于贯彻宜发〔2008〕13号文件的实施意见》印发给你们,"
        "请认真贯彻执行。")
RECIPIENTS = ["秘书科", "综合科", "督查科"]


def draft_command(**changes: Any) -> DraftOutgoing:
    fields: dict[str, Any] = dict(
        doc_type=DocType.notice, title=TITLE, body=BODY, main_recipients=RECIPIENTS,
        cc_recipients=["市政府领导"], recipient_departments=["综合科", "督查科"],
        disclosure=DisclosureAttribute.proactive, issuer_code="宜府办发",
        issuing_organ="宜春市人民政府办公室")
    fields.update(changes)
    return DraftOutgoing(**fields)


def drafted(**changes: Any) -> OutgoingDocument:
    return rules.draft("doc-1", draft_command(**changes), DRAFTER, AT).state


def approved(**changes: Any) -> OutgoingDocument:
    return rules.review(drafted(**changes), ReviewOutgoing(
        document_id="doc-1", decision=ReviewDecision.approved), REVIEWER, AT).state


def signed(**changes: Any) -> OutgoingDocument:
    return rules.sign_off(approved(**changes), SignOffOutgoing(document_id="doc-1"), SIGNER,
                          AT, TODAY).state


def rechecked(**changes: Any) -> OutgoingDocument:
    return rules.recheck(signed(**changes), RecheckOutgoing(document_id="doc-1"), REGISTRAR,
                         AT).state


def entry(doc_number: str = "宜府办发〔2026〕71号", document_id: str = "doc-1") -> NumberEntry:
    return NumberEntry(serial=71, doc_number=doc_number, status=NumberStatus.used,
                       document_id=document_id, taken_at=AT, taken_by="u-registrar")


def registered(**changes: Any) -> OutgoingDocument:
    return rules.register(rechecked(**changes), entry(), RegisterOutgoing(document_id="doc-1"),
                          REGISTRAR, AT).state


def printed(**changes: Any) -> OutgoingDocument:
    return rules.print_document(registered(**changes), PrintOutgoing(
        document_id="doc-1", printing_office="宜春市人民政府办公室秘书科"), REGISTRAR, AT,
        TODAY).state


def everyone(doc: OutgoingDocument) -> DispatchOutgoing:
    return DispatchOutgoing(document_id=doc.id, dispatches=[
        {"recipient": r, "means": "电子公文传输"} for r, _ in doc.recipients])


def refused(code: ErrorCode, fn: Any, *args: Any) -> GovbusError:
    with pytest.raises(GovbusError) as caught:
        fn(*args)
    assert caught.value.code is code, caught.value.message
    return caught.value


# --- 起草 ------------------------------------------------------------------------------------


def test_a_draft_is_kept_as_its_first_revision_for_its_drafting_department():
    step = rules.draft("doc-1", draft_command(), DRAFTER, AT)
    doc = step.state
    assert doc.status is OutgoingStatus.drafted
    assert doc.drafting_department == "秘书科" and doc.drafter == "u-drafter"
    assert [(r.number, r.body, r.author, r.summary) for r in doc.revisions] == [
        (1, BODY, "u-drafter", "初稿")]
    assert doc.departments == ["秘书科", "综合科", "督查科"]
    assert doc.history[0].action == "起草" and doc.history[0].role == "drafter"
    assert isinstance(step.events[0].body, OutgoingDrafted) and step.events[0].body.title == TITLE


def test_only_a_drafter_with_a_department_drafts():
    refused(ErrorCode.forbidden, rules.draft, "doc-1", draft_command(), REVIEWER, AT)
    homeless = Principal(subject="u-x", roles=frozenset({"drafter"}))
    refused(ErrorCode.validation_failed, rules.draft, "doc-1", draft_command(), homeless, AT)


def test_request_for_instruction_has_exactly_one_main_recipient():
    request = dict(doc_type=DocType.request_for_instruction,
                   title="关于召开全市政府系统办公室工作会议的请示", recipient_departments=[])
    refused(ErrorCode.validation_failed, rules.draft, "doc-1", draft_command(
        **request, main_recipients=["市人民政府", "市委办公室"]), DRAFTER, AT)
    refused(ErrorCode.validation_failed, rules.draft, "doc-1", draft_command(
        **request, main_recipients=[]), DRAFTER, AT)
    doc = drafted(**request, main_recipients=["市人民政府"])
    assert doc.main_recipients == ["市人民政府"]


def test_a_recipient_is_named_once_either_main_or_cc():
    refused(ErrorCode.validation_failed, rules.draft, "doc-1", draft_command(
        cc_recipients=["秘书科"]), DRAFTER, AT)


def test_departments_that_may_read_are_among_the_recipients():
    refused(ErrorCode.validation_failed, rules.draft, "doc-1", draft_command(
        recipient_departments=["财务科"]), DRAFTER, AT)


SECRET = dict(disclosure=DisclosureAttribute.not_public, disclosure_reason="涉及国家秘密")


def mark(level: Classification, period: str | None = None) -> ClassificationMark:
    return ClassificationMark(level=level, period=period)


def test_a_classified_document_records_its_classification_period():
    doc = drafted(classification=mark(Classification.secret, "5年"), **SECRET)
    assert doc.classification_level is Classification.secret
    assert doc.classification.period == "5年"


@pytest.mark.parametrize(("level", "limit"), [
    (Classification.top_secret, "30年"), (Classification.confidential, "20年"),
    (Classification.secret, "10年")])
def test_a_classified_document_that_states_no_period_is_held_for_the_limit(level, limit):
    assert drafted(classification=mark(level), **SECRET).classification.period == limit


@pytest.mark.parametrize(("level", "period"), [
    (Classification.secret, "99年"), (Classification.secret, "11年"),
    (Classification.confidential, "21年"), (Classification.top_secret, "31年"),
    (Classification.secret, "永久"), (Classification.secret, "十年"),
    (Classification.secret, "0年")])
def test_the_classification_period_stays_within_the_limit_of_its_level(level, period):
    error = refused(ErrorCode.validation_failed, rules.draft, "doc-1", draft_command(
        classification=mark(level, period), **SECRET), DRAFTER, AT)
    assert error.details["classification_period"] == period


@pytest.mark.parametrize(("level", "period"), [
    (Classification.top_secret, "30年"), (Classification.confidential, "20年"),
    (Classification.secret, "10年"), (Classification.secret, "6个月")])
def test_a_period_within_the_limit_is_accepted(level, period):
    assert drafted(classification=mark(level, period), **SECRET).classification.period == period


def test_a_document_that_is_not_classified_has_no_classification_period():
    refused(ErrorCode.validation_failed, rules.draft, "doc-1", draft_command(
        classification=ClassificationMark(period="10年")), DRAFTER, AT)


def test_not_public_needs_a_reason():
    refused(ErrorCode.validation_failed, rules.draft, "doc-1", draft_command(
        disclosure=DisclosureAttribute.not_public), DRAFTER, AT)
    doc = drafted(disclosure=DisclosureAttribute.not_public, disclosure_reason="内部事务信息")
    assert doc.disclosure_reason == "内部事务信息"


def test_a_classified_document_cannot_be_proactively_disclosed():
    refused(ErrorCode.validation_failed, rules.draft, "doc-1", draft_command(
        classification=ClassificationMark(level=Classification.confidential, period="20年"),
        disclosure=DisclosureAttribute.proactive), DRAFTER, AT)


def test_attachments_are_kept_with_their_sha256_computed_from_the_content():
    content = "宜春市政府办公室关于贯彻宜发〔2008〕13号文件的实施意见".encode()
    encoded = base64.b64encode(content).decode()
    doc = drafted(attachments=[{"name": "实施意见.pdf", "content_base64": encoded}],
                  attachment_notes=["宜春市政府办公室关于贯彻宜发〔2008〕13号文件的实施意见"])
    assert doc.attachments[0].sha256 == hashlib.sha256(content).hexdigest()
    assert doc.attachments[0].size == len(content)
    assert doc.revisions[0].attachments[0].content_base64 is None  # the text is kept once
    refused(ErrorCode.validation_failed, rules.draft, "doc-1", draft_command(
        attachments=[{"name": "a.pdf", "content_base64": "不是base64"}]), DRAFTER, AT)
    refused(ErrorCode.validation_failed, rules.draft, "doc-1", draft_command(
        attachments=[{"name": "a.pdf", "content_base64": encoded, "sha256": "0" * 64}]),
        DRAFTER, AT)
    refused(ErrorCode.validation_failed, rules.draft, "doc-1", draft_command(
        attachments=[{"name": "a.pdf"}]), DRAFTER, AT)


# --- 审核 and 修改 -----------------------------------------------------------------------------


def test_attachment_notes_match_the_attachments_one_for_one():
    two_notes = ["1.宜春市政府办公室关于贯彻宜发〔2008〕13号文件的实施意见", "2.任务分解表"]
    error = refused(ErrorCode.validation_failed, rules.draft, "doc-1", draft_command(
        attachment_notes=two_notes), DRAFTER, AT)
    assert (error.details["attachment_notes"], error.details["attachments"]) == (2, 0)
    one = [{"name": "实施意见.pdf", "sha256": "a" * 64}]
    refused(ErrorCode.validation_failed, rules.draft, "doc-1", draft_command(
        attachments=one, attachment_notes=two_notes), DRAFTER, AT)
    two = [*one, {"name": "任务分解表.xlsx", "sha256": "b" * 64}]
    assert drafted(attachments=two, attachment_notes=two_notes).attachment_notes == two_notes
    out_of_order = list(reversed(two_notes))
    refused(ErrorCode.validation_failed, rules.draft, "doc-1", draft_command(
        attachments=two, attachment_notes=out_of_order), DRAFTER, AT)


def test_attachments_without_notes_are_noted_by_their_names():
    doc = drafted(attachments=[{"name": "实施意见.pdf", "sha256": "a" * 64}])
    assert doc.attachment_notes == ["实施意见"]
    step = rules.revise(doc, ReviseOutgoing(document_id="doc-1", summary="删去附件", body=BODY,
                                            attachments=[]), DRAFTER, AT)
    assert step.state.attachment_notes == []
    refused(ErrorCode.validation_failed, rules.revise, doc, ReviseOutgoing(
        document_id="doc-1", summary="补充说明", body=BODY, attachment_notes=["甲", "乙"]),
        DRAFTER, AT)


# --- 行文方向 and 行文规则 ----------------------------------------------------------------------

UPWARD = dict(main_recipients=["市人民政府"], cc_recipients=[], recipient_departments=[])


@pytest.mark.parametrize(("doc_type", "direction"), [
    (DocType.request_for_instruction, Direction.upward), (DocType.report, Direction.upward),
    (DocType.notice, Direction.downward), (DocType.letter, Direction.parallel),
    (DocType.decision, Direction.downward)])
def test_the_direction_is_the_one_the_type_fixes_when_not_stated(doc_type, direction):
    doc = drafted(doc_type=doc_type, **UPWARD)
    assert doc.direction is direction


def test_a_type_that_may_go_up_states_its_direction_and_a_type_takes_only_its_own():
    refused(ErrorCode.validation_failed, rules.draft, "doc-1", draft_command(
        doc_type=DocType.opinion, **UPWARD), DRAFTER, AT)
    assert drafted(doc_type=DocType.opinion, direction=Direction.upward,
                   **UPWARD).direction is Direction.upward
    refused(ErrorCode.validation_failed, rules.draft, "doc-1", draft_command(
        doc_type=DocType.request_for_instruction, direction=Direction.downward, **UPWARD),
        DRAFTER, AT)


def test_every_upward_document_records_its_signer_whatever_its_type():
    doc = signed(doc_type=DocType.opinion, direction=Direction.upward,
                 title="关于加强政务公开工作的意见", **UPWARD)
    assert doc.header_signer == "张伟"
    stripped = rules.recheck(doc, RecheckOutgoing(document_id="doc-1"), REGISTRAR,
                             AT).state.model_copy(update={"header_signer": None})
    refused(ErrorCode.invalid_transition, rules.check_registrable, stripped, REGISTRAR)
    across = signed(doc_type=DocType.opinion, direction=Direction.parallel, **UPWARD)
    assert across.header_signer is None


def test_an_upward_document_has_one_main_recipient_whatever_its_type():
    error = refused(ErrorCode.validation_failed, rules.draft, "doc-1", draft_command(
        doc_type=DocType.report, title="关于2026年政务公开工作情况的报告",
        main_recipients=["市人民政府", "市委办公室", "市人大常委会办公室"], cc_recipients=[],
        recipient_departments=[]), DRAFTER, AT)
    assert len(error.details["main_recipients"]) == 3


def test_an_upward_document_is_not_copied_to_lower_organs():
    report = dict(doc_type=DocType.report, title="关于2026年政务公开工作情况的报告",
                  main_recipients=["市人民政府"], recipient_departments=[])
    error = refused(ErrorCode.validation_failed, rules.draft, "doc-1", draft_command(
        **report, cc_recipients=["省政府办公厅", "袁州区人民政府"],
        lower_level_recipients=["袁州区人民政府"]), DRAFTER, AT)
    assert error.details["lower_level"] == ["袁州区人民政府"]
    doc = drafted(**report, cc_recipients=["省政府办公厅"])
    assert doc.cc_recipients == ["省政府办公厅"]
    # a 下行文 may be copied to lower organs
    assert drafted(lower_level_recipients=["综合科"]).lower_level_recipients == ["综合科"]


REQUEST = rules.AnsweredRequest(id="in-1", doc_type=DocType.request_for_instruction,
                                issuer="袁州区人民政府", issuer_doc_number="袁府发〔2026〕5号")
REPLY = dict(doc_type=DocType.reply_to_request, title="关于同意袁州区设立街道的批复",
             main_recipients=["袁州区人民政府"], cc_recipients=[], recipient_departments=[])


def test_a_reply_names_the_request_it_answers():
    doc = rules.draft("doc-1", draft_command(**REPLY, replies_to="in-1"), DRAFTER, AT,
                      REQUEST).state
    assert (doc.replies_to, doc.replies_to_doc_number, doc.direction) == (
        "in-1", "袁府发〔2026〕5号", Direction.downward)
    refused(ErrorCode.validation_failed, rules.draft, "doc-1", draft_command(**REPLY),
            DRAFTER, AT, REQUEST)
    refused(ErrorCode.validation_failed, rules.draft, "doc-1", draft_command(
        **REPLY, replies_to="in-2"), DRAFTER, AT, None)
    report = rules.AnsweredRequest(id="in-1", doc_type=DocType.report, issuer="袁州区人民政府")
    refused(ErrorCode.validation_failed, rules.draft, "doc-1", draft_command(
        **REPLY, replies_to="in-1"), DRAFTER, AT, report)
    refused(ErrorCode.validation_failed, rules.draft, "doc-1", draft_command(
        replies_to="in-1"), DRAFTER, AT, REQUEST)


def test_a_reply_is_addressed_to_the_organ_that_asked():
    error = refused(ErrorCode.validation_failed, rules.draft, "doc-1", draft_command(
        **{**REPLY, "main_recipients": ["分宜县人民政府"]}, replies_to="in-1"), DRAFTER, AT,
        REQUEST)
    assert error.details["requested_by"] == "袁州区人民政府"


def test_minutes_have_no_main_recipient():
    minutes = dict(doc_type=DocType.minutes, title="市政府第12次常务会议纪要",
                   recipient_departments=[])
    refused(ErrorCode.validation_failed, rules.draft, "doc-1", draft_command(**minutes),
            DRAFTER, AT)
    doc = drafted(**minutes, main_recipients=[], cc_recipients=["各县(市、区)人民政府"])
    assert doc.main_recipients == [] and doc.direction is Direction.downward


# --- 修改 ------------------------------------------------------------------------------------


def test_a_returned_draft_is_revised_by_its_drafter_and_every_revision_is_kept():
    step = rules.review(drafted(), ReviewOutgoing(
        document_id="doc-1", decision=ReviewDecision.returned, comments="请补充落实责任分工"),
        REVIEWER, AT)
    assert step.state.status is OutgoingStatus.returned
    assert isinstance(step.events[0].body, OutgoingReturned)
    assert step.events[0].body.comments == "请补充落实责任分工"
    later = AT + timedelta(hours=2)
    revised = rules.revise(step.state, ReviseOutgoing(
        document_id="doc-1", summary="补充责任分工", body=BODY + "各科室按职责分工落实。"),
        DRAFTER, later).state
    assert revised.status is OutgoingStatus.drafted
    assert revised.current_revision == 2
    assert [(r.number, r.author, r.at, r.summary) for r in revised.revisions] == [
        (1, "u-drafter", AT, "初稿"), (2, "u-drafter", later, "补充责任分工")]
    assert revised.revisions[0].body == BODY
    assert revised.body == revised.revisions[1].body == BODY + "各科室按职责分工落实。"


def test_returning_a_draft_needs_comments():
    refused(ErrorCode.validation_failed, rules.review, drafted(), ReviewOutgoing(
        document_id="doc-1", decision=ReviewDecision.returned), REVIEWER, AT)


def test_only_a_reviewer_reviews():
    refused(ErrorCode.forbidden, rules.review, drafted(), ReviewOutgoing(
        document_id="doc-1", decision=ReviewDecision.approved), SIGNER, AT)


def test_a_reviewer_approves_only_the_revision_they_read():
    refused(ErrorCode.conflict, rules.review, drafted(), ReviewOutgoing(
        document_id="doc-1", decision=ReviewDecision.approved, revision=2), REVIEWER, AT)


def test_a_drafter_revises_only_their_own_draft():
    revision = ReviseOutgoing(document_id="doc-1", summary="改", body="新正文")
    refused(ErrorCode.forbidden, rules.revise, drafted(), revision, OTHER_DRAFTER, AT)


def test_a_draft_cannot_be_revised_once_approved():
    revision = ReviseOutgoing(document_id="doc-1", summary="改", body="新正文")
    refused(ErrorCode.invalid_transition, rules.revise, approved(), revision, DRAFTER, AT)
    refused(ErrorCode.invalid_transition, rules.revise, signed(), revision, DRAFTER, AT)


# --- 签发 --------------------------------------------------------------------------------------


def test_only_a_signer_signs_off():
    for someone in (REVIEWER, REGISTRAR, DRAFTER):
        refused(ErrorCode.forbidden, rules.sign_off, approved(),
                SignOffOutgoing(document_id="doc-1"), someone, AT, TODAY)


def test_signing_records_the_signer_and_the_date_of_writing():
    step = rules.sign_off(approved(), SignOffOutgoing(document_id="doc-1", opinion="同意印发"),
                          SIGNER, AT, TODAY)
    doc = step.state
    assert (doc.status, doc.signer, doc.date_of_writing, doc.signed_revision) == (
        OutgoingStatus.signed, "张伟", TODAY, 1)
    assert doc.header_signer is None  # a 通知 goes down: no 签发人 in its header
    assert isinstance(step.events[0].body, OutgoingSigned) and not step.events[0].body.re_signed


@pytest.mark.parametrize("doc_type", [DocType.request_for_instruction, DocType.report])
def test_upward_documents_record_the_signer_in_their_header(doc_type):
    doc = signed(doc_type=doc_type, title="关于2026年政务公开工作情况的" + doc_type.value,
                 main_recipients=["市人民政府"], cc_recipients=[], recipient_departments=[])
    assert doc.header_signer == "张伟"


def test_an_upward_document_without_its_signer_element_cannot_be_registered():
    doc = rechecked(doc_type=DocType.request_for_instruction, title="关于增加办公用房的请示",
                    main_recipients=["市人民政府"], cc_recipients=[], recipient_departments=[])
    stripped = doc.model_copy(update={"header_signer": None})
    refused(ErrorCode.invalid_transition, rules.check_registrable, stripped, REGISTRAR)


def test_an_unsigned_document_cannot_be_registered():
    unsigned = drafted().model_copy(update={"status": OutgoingStatus.rechecked})
    refused(ErrorCode.invalid_transition, rules.check_registrable, unsigned, REGISTRAR)


# --- steps out of order --------------------------------------------------------------------


def test_a_step_out_of_order_is_refused_as_an_invalid_transition():
    refused(ErrorCode.invalid_transition, rules.sign_off, drafted(),
            SignOffOutgoing(document_id="doc-1"), SIGNER, AT, TODAY)
    refused(ErrorCode.invalid_transition, rules.review, approved(), ReviewOutgoing(
        document_id="doc-1", decision=ReviewDecision.approved), REVIEWER, AT)
    refused(ErrorCode.invalid_transition, rules.register, signed(), entry(),
            RegisterOutgoing(document_id="doc-1"), REGISTRAR, AT)
    refused(ErrorCode.invalid_transition, rules.print_document, rechecked(), PrintOutgoing(
        document_id="doc-1", printing_office="秘书科"), REGISTRAR, AT, TODAY)
    doc = registered()
    refused(ErrorCode.invalid_transition, rules.dispatch, doc, everyone(doc), REGISTRAR, AT)


# --- 复核 --------------------------------------------------------------------------------------


def test_a_substantive_change_at_recheck_goes_back_to_the_signer_who_signs_again():
    changed = BODY + "本意见自印发之日起施行。"
    back = rules.recheck(signed(), RecheckOutgoing(
        document_id="doc-1", substantive_change=True, changed_body=changed,
        change_summary="增加施行日期"), REGISTRAR, AT).state
    assert back.status is OutgoingStatus.awaiting_re_signature
    assert back.current_revision == 2 and back.signed_revision == 1
    assert back.revisions[-1].author == "u-registrar" and back.revisions[-1].body == changed
    refused(ErrorCode.invalid_transition, rules.check_registrable, back, REGISTRAR)

    later = TODAY + timedelta(days=1)
    step = rules.sign_off(back, SignOffOutgoing(document_id="doc-1"), SIGNER, AT, later)
    again = step.state
    assert (again.status, again.signed_revision, again.date_of_writing) == (
        OutgoingStatus.signed, 2, later)
    assert [s.re_signed for s in again.sign_offs] == [False, True]
    assert step.events[0].body.re_signed is True
    final = rules.recheck(again, RecheckOutgoing(document_id="doc-1"), REGISTRAR, AT).state
    assert final.status is OutgoingStatus.rechecked and final.body == changed


def test_a_change_after_sign_off_must_be_reported_as_substantive():
    refused(ErrorCode.validation_failed, rules.recheck, signed(), RecheckOutgoing(
        document_id="doc-1", changed_body="改动后的正文"), REGISTRAR, AT)


def test_a_substantive_change_brings_the_changed_text_and_says_what_changed():
    refused(ErrorCode.validation_failed, rules.recheck, signed(), RecheckOutgoing(
        document_id="doc-1", substantive_change=True, change_summary="改"), REGISTRAR, AT)
    refused(ErrorCode.validation_failed, rules.recheck, signed(), RecheckOutgoing(
        document_id="doc-1", substantive_change=True, changed_body="新正文"), REGISTRAR, AT)
    refused(ErrorCode.validation_failed, rules.recheck, signed(), RecheckOutgoing(
        document_id="doc-1", substantive_change=True, changed_body=BODY, change_summary="无"),
        REGISTRAR, AT)


def test_a_registrar_or_reviewer_rechecks():
    assert rules.recheck(signed(), RecheckOutgoing(document_id="doc-1"), REVIEWER,
                         AT).state.status is OutgoingStatus.rechecked
    refused(ErrorCode.forbidden, rules.recheck, signed(), RecheckOutgoing(document_id="doc-1"),
            DRAFTER, AT)


# --- 登记, 印制, 核发 ----------------------------------------------------------------------------


def test_registration_records_the_number_the_distribution_and_the_copies():
    step = rules.register(rechecked(), entry(), RegisterOutgoing(document_id="doc-1"),
                          REGISTRAR, AT)
    doc = step.state
    assert (doc.status, doc.doc_number, doc.number_year, doc.number_serial) == (
        OutgoingStatus.registered, "宜府办发〔2026〕71号", 2026, 71)
    assert [d.recipient for d in doc.distribution] == [*RECIPIENTS, "市政府领导"]
    assert doc.copies == 4
    assert step.events[0].body.doc_number == "宜府办发〔2026〕71号"


def test_only_the_registrar_registers():
    refused(ErrorCode.forbidden, rules.register, rechecked(), entry(),
            RegisterOutgoing(document_id="doc-1"), SIGNER, AT)


def test_an_order_is_numbered_by_its_order_number_and_minutes_by_their_issue():
    order = rechecked(doc_type=DocType.order, title="宜春市人民政府令", main_recipients=[],
                      cc_recipients=[], recipient_departments=[])
    entry_1 = entry(doc_number="第1号").model_copy(update={"serial": 1})
    doc = rules.register(order, entry_1, RegisterOutgoing(document_id="doc-1"), REGISTRAR,
                         AT).state
    assert (doc.doc_number, doc.number_series, doc.number_serial) == (
        "第1号", NumberSeries.order, 1)
    refused(ErrorCode.conflict, rules.register, order, entry(), RegisterOutgoing(
        document_id="doc-1"), REGISTRAR, AT)  # a 发文字号 is not a 令号
    minutes = rechecked(doc_type=DocType.minutes, title="市政府第12次常务会议纪要",
                        main_recipients=[], cc_recipients=["市直各部门"],
                        recipient_departments=[])
    issue = entry(doc_number="第12期").model_copy(update={"serial": 12})
    doc = rules.register(minutes, issue, RegisterOutgoing(document_id="doc-1"), REGISTRAR,
                         AT).state
    assert (doc.doc_number, doc.number_series) == ("第12期", NumberSeries.minutes)


def test_a_number_taken_for_another_document_is_refused_at_registration():
    refused(ErrorCode.conflict, rules.register, rechecked(), entry(document_id="doc-2"),
            RegisterOutgoing(document_id="doc-1"), REGISTRAR, AT)
    refused(ErrorCode.conflict, rules.register, rechecked(), entry("宜府发〔2026〕71号"),
            RegisterOutgoing(document_id="doc-1"), REGISTRAR, AT)


def test_the_distribution_serves_every_recipient_and_the_copies_suffice():
    short = RegisterOutgoing(document_id="doc-1", distribution=[
        {"recipient": "秘书科", "copies": 2}])
    refused(ErrorCode.validation_failed, rules.register, rechecked(), entry(), short,
            REGISTRAR, AT)
    few = RegisterOutgoing(document_id="doc-1", distribution=[
        *[{"recipient": r} for r in [*RECIPIENTS, "市政府领导"]],
        {"recipient": "存档", "copies": 2}],
        copies=5)
    refused(ErrorCode.validation_failed, rules.register, rechecked(), entry(), few,
            REGISTRAR, AT)
    few_enough = few.model_copy(update={"copies": 6})
    assert rules.register(rechecked(), entry(), few_enough, REGISTRAR, AT).state.copies == 6


def test_printing_records_office_date_and_copies_and_not_before_the_date_of_writing():
    doc = printed()
    assert (doc.status, doc.printing_office, doc.printing_date, doc.copies) == (
        OutgoingStatus.printed, "宜春市人民政府办公室秘书科", TODAY, 4)
    refused(ErrorCode.validation_failed, rules.print_document, registered(), PrintOutgoing(
        document_id="doc-1", printing_office="秘书科", printing_date=TODAY - timedelta(days=1)),
        REGISTRAR, AT, TODAY)
    refused(ErrorCode.validation_failed, rules.print_document, registered(), PrintOutgoing(
        document_id="doc-1", printing_office="秘书科", copies=2), REGISTRAR, AT, TODAY)


def test_dispatch_is_recorded_for_every_main_and_cc_recipient():
    doc = rules.dispatch(printed(), everyone(printed()), REGISTRAR, AT).state
    assert doc.status is OutgoingStatus.dispatched
    assert [(d.recipient, d.kind, d.at) for d in doc.dispatches] == [
        ("秘书科", "主送", AT), ("综合科", "主送", AT), ("督查科", "主送", AT),
        ("市政府领导", "抄送", AT)]


def test_the_dispatch_channel_comes_from_a_closed_list():
    doc = printed()
    done = rules.dispatch(doc, everyone(doc), REGISTRAR, AT).state
    assert {d.channel for d in done.dispatches} == {DispatchChannel.electronic}
    by_hand = DispatchOutgoing(document_id="doc-1", dispatches=[
        {"recipient": r, "channel": "专人送达"} for r, _ in doc.recipients])
    done = rules.dispatch(doc, by_hand, REGISTRAR, AT).state
    assert [(d.channel, d.means) for d in done.dispatches][0] == (
        DispatchChannel.courier, "专人送达")
    pigeons = DispatchOutgoing(document_id="doc-1", dispatches=[
        {"recipient": r, "means": "飞鸽传书"} for r, _ in doc.recipients])
    error = refused(ErrorCode.validation_failed, rules.dispatch, doc, pigeons, REGISTRAR, AT)
    assert "机要交通" in error.details["allowed"]
    disagree = DispatchOutgoing(document_id="doc-1", dispatches=[
        {"recipient": r, "means": "普通邮寄", "channel": "传真"} for r, _ in doc.recipients])
    refused(ErrorCode.validation_failed, rules.dispatch, doc, disagree, REGISTRAR, AT)


def test_a_classified_document_is_dispatched_only_through_confidential_channels():
    doc = printed(classification=mark(Classification.confidential, "20年"), **SECRET)
    error = refused(ErrorCode.validation_failed, rules.dispatch, doc, everyone(doc),
                    REGISTRAR, AT)
    assert error.details["recipients"] == [r for r, _ in doc.recipients]
    unsaid = DispatchOutgoing(document_id="doc-1", dispatches=[
        {"recipient": r} for r, _ in doc.recipients])
    refused(ErrorCode.validation_failed, rules.dispatch, doc, unsaid, REGISTRAR, AT)
    confidential = DispatchOutgoing(document_id="doc-1", dispatches=[
        {"recipient": r, "means": "机要交换"} for r, _ in doc.recipients])
    done = rules.dispatch(doc, confidential, REGISTRAR, AT).state
    assert {d.channel for d in done.dispatches} == {DispatchChannel.confidential_exchange}


def test_a_dispatch_that_leaves_out_a_recipient_is_refused():
    doc = printed()
    partial = DispatchOutgoing(document_id="doc-1", dispatches=[
        {"recipient": r} for r in RECIPIENTS])
    error = refused(ErrorCode.validation_failed, rules.dispatch, doc, partial, REGISTRAR, AT)
    assert error.details["missing"] == ["市政府领导"]
    stranger = DispatchOutgoing(document_id="doc-1", dispatches=[
        *everyone(doc).dispatches, {"recipient": "市财政局"}])
    refused(ErrorCode.validation_failed, rules.dispatch, doc, stranger, REGISTRAR, AT)
    twice = DispatchOutgoing(document_id="doc-1", dispatches=[
        *everyone(doc).dispatches, {"recipient": "秘书科"}])
    refused(ErrorCode.validation_failed, rules.dispatch, doc, twice, REGISTRAR, AT)


def test_the_dispatched_fact_of_a_proactive_document_carries_what_disclosure_publishes():
    content = b"%PDF-1.4 implementation opinion"
    doc = printed(attachments=[{"name": "实施意见.pdf",
                                "content_base64": base64.b64encode(content).decode()}])
    fact = rules.dispatch(doc, everyone(doc), REGISTRAR, AT).events[0].body
    assert isinstance(fact, OutgoingDispatched)
    assert (fact.doc_number, fact.title, fact.body, fact.issuing_organ, fact.date_of_writing,
            fact.disclosure, fact.classification_level, fact.dispatched_at) == (
        "宜府办发〔2026〕71号", TITLE, BODY, "宜春市人民政府办公室", TODAY,
        DisclosureAttribute.proactive, Classification.none, AT)
    assert [(a.name, a.sha256) for a in fact.attachments] == [
        ("实施意见.pdf", hashlib.sha256(content).hexdigest())]


def test_the_dispatched_fact_of_other_documents_carries_only_references():
    doc = printed(disclosure=DisclosureAttribute.on_request)
    fact = rules.dispatch(doc, everyone(doc), REGISTRAR, AT).events[0].body
    assert fact.doc_number == "宜府办发〔2026〕71号" and fact.document_id == "doc-1"
    assert (fact.title, fact.body, fact.issuing_organ, fact.attachments) == (None, None, None, [])


def test_no_fact_about_a_classified_document_carries_its_title_body_or_comments():
    secret = dict(classification=ClassificationMark(level=Classification.secret, period="10年"),
                  disclosure=DisclosureAttribute.not_public, disclosure_reason="涉密")
    facts = rules.draft("doc-1", draft_command(**secret), DRAFTER, AT).events
    doc = drafted(**secret)
    step = rules.review(doc, ReviewOutgoing(document_id="doc-1", decision=ReviewDecision.returned,
                                            comments="第三段涉及部署细节"), REVIEWER, AT)
    facts += step.events
    step = rules.revise(step.state, ReviseOutgoing(document_id="doc-1",
                                                      summary="删去部署细节", body="修改稿"),
                        DRAFTER, AT)
    facts += step.events
    doc = printed(**secret)
    facts += rules.dispatch(doc, DispatchOutgoing(document_id="doc-1", dispatches=[
        {"recipient": r, "channel": "机要交通"} for r, _ in doc.recipients]),
        REGISTRAR, AT).events
    assert len(facts) == 4
    for fact in (e.body for e in facts):
        text = fact.model_dump_json()
        for secret_text in (TITLE, BODY, "第三段涉及部署细节", "删去部署细节", "修改稿"):
            assert secret_text not in text, (type(fact).__name__, secret_text)


def test_the_drafter_is_recognised_by_user_id_never_by_name():
    doc = drafted()
    namesake = Principal(subject="u-drafter-3", name=DRAFTER.name,
                         roles=frozenset({"drafter"}), department=DRAFTER.department)
    error = refused(ErrorCode.forbidden, rules.revise, doc,
                    ReviseOutgoing(document_id=doc.id, summary="改", body="他人修改"),
                    namesake, AT)
    # Refused after it may see the draft: the refusal names the draft, not its drafter.
    assert error.details == {"id": doc.id}
    revised = rules.revise(doc, ReviseOutgoing(document_id=doc.id, summary="改",
                                                  body="本人修改"), DRAFTER, AT)
    assert revised.state.current_revision == 2


def test_who_may_not_read_a_draft_gets_exactly_the_unknown_id_answer():
    doc = drafted()
    outsider = Principal(subject="u-x", name=DRAFTER.name, roles=frozenset({"drafter"}),
                         department="财务科")
    hidden = refused(ErrorCode.not_found, require_visible, outsider, doc, "发文", doc.id)
    unknown = refused(ErrorCode.not_found, require_visible, outsider, None, "发文", doc.id)
    assert (hidden.message, hidden.details) == (unknown.message, unknown.details)
    assert require_visible(DRAFTER, doc, "发文", doc.id) is doc


# --- 行政规范性文件 (政府信息公开条例第二十条第(一)项, 第五十条): the flag and its 统一登记号
# travel from the draft to the dispatched fact disclosure counts them by.


def test_a_normative_document_carries_its_flag_and_registration_number_to_the_dispatch():
    doc = printed(normative_document=True, normative_registration_number="YCDR-2026-0001003")
    assert (doc.normative_document, doc.normative_registration_number) == (
        True, "YCDR-2026-0001003")
    fact = rules.dispatch(doc, everyone(doc), REGISTRAR, AT).events[0].body
    assert (fact.normative_document, fact.normative_registration_number) == (  # type: ignore[attr-defined]
        True, "YCDR-2026-0001003")
    assert fact.date_of_writing is not None  # type: ignore[attr-defined]


def test_an_ordinary_document_is_not_normative():
    doc = printed()
    fact = rules.dispatch(doc, everyone(doc), REGISTRAR, AT).events[0].body
    assert fact.normative_document is False  # type: ignore[attr-defined]


def test_a_registration_number_needs_the_flag_and_a_normative_document_is_proactive():
    refused(ErrorCode.validation_failed, rules.draft, "doc-1",
            draft_command(normative_registration_number="YCDR-2026-0001003"), DRAFTER, AT)
    refused(ErrorCode.validation_failed, rules.draft, "doc-1",
            draft_command(normative_document=True,
                          disclosure=DisclosureAttribute.on_request), DRAFTER, AT)
    # The 统一登记号 may be unknown when drafting (司法行政部门's registration comes later).
    assert rules.draft("doc-1", draft_command(normative_document=True), DRAFTER,
                       AT).state.normative_document
