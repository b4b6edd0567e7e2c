"""Rules of the catalogue (主动公开): the 20-working-day period, lateness, 密级, 撤回/废止/更正,
and the public search's terms and ranking. No servers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from govbus_contracts.envelope import Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.disclosure.catalogue import (
    CATALOGUE_OVERDUE,
    CATALOGUE_PUBLISHED,
    CATALOGUE_REMINDED,
    CatalogueStatus,
    CorrectCatalogueEntry,
    RegisterCatalogueEntry,
    SearchCatalogue,
)
from govbus_contracts.services.documents.common import Classification, DisclosureAttribute, DocType
from govbus_contracts.services.documents.outgoing import AttachmentDigest, OutgoingDispatched
from govbus_disclosure.domain import catalogue as rules
from govbus_disclosure.domain.catalogue import Refusal
from govbus_disclosure.domain.catalogue_search import index_entry, search
from govbus_kit.calendar import WorkingCalendar
from govbus_kit.domain import Actor, Change
from govbus_kit.textsearch import query_terms, tokenize

CAL = WorkingCalendar()
CATEGORIES = ["政府文件", "规章", "行政规范性文件", "预决算", "规划计划", "统计信息"]
OFFICER = Principal(subject="u-gk-zhao", name="赵敏", roles=frozenset({"disclosure_officer"}))
FINANCE_OFFICER = Principal(subject="u-gk-qian", name="钱进",
                            roles=frozenset({"disclosure_officer"}), department="财政局")
CITIZEN = Principal.anonymous()


def at(d: date, hour: int = 2) -> datetime:
    """10:00 Beijing time on ``d``."""
    return datetime(d.year, d.month, d.day, hour, tzinfo=UTC)


def budget(**changes: object) -> RegisterCatalogueEntry:
    data: dict[str, object] = {
        "category": "预决算", "title": "2026年市本级部门预算公开", "summary": "市本级部门预算",
        "body": "根据《预算法》规定, 现将2026年市本级部门预算予以公开。",
        "information_date": date(2026, 9, 25), "issuing_organ": "宜春市财政局",
        "department": "财政局"}
    data.update(changes)
    return RegisterCatalogueEntry.model_validate(data)


def registered(cmd: RegisterCatalogueEntry | None = None, *, now: datetime | None = None,
               actor: Actor | None = None) -> Change:
    return rules.register(
        cmd or budget(), entry_id="e-1", actor=actor or rules.act_as_officer(OFFICER, "登记"),
        now=now or at(date(2026, 9, 28)), calendar=CAL, working_days=20, categories=CATEGORIES,
        remind_working_days_before=3)


def dispatched(**changes: object) -> OutgoingDispatched:
    data: dict[str, object] = {
        "document_id": "doc-1", "doc_number": "宜府办发〔2026〕12号", "doc_type": DocType.notice,
        "disclosure": DisclosureAttribute.proactive,
        "classification_level": Classification.none,
        "dispatched_at": at(date(2026, 3, 2)), "recipients": 3,
        "title": "关于做好2026年政务公开工作的通知",
        "body": "各县(市、区)人民政府: 现就政务公开工作通知如下。",
        "issuing_organ": "宜春市人民政府办公室", "date_of_writing": date(2026, 3, 2),
        "attachments": [AttachmentDigest(name="要点.pdf", sha256="a" * 64)]}
    data.update(changes)
    return OutgoingDispatched.model_validate(data)


# --- the 20-working-day period (第二十六条) ------------------------------------------------


def test_the_period_of_information_dated_on_mid_autumn_2026_skips_both_holidays():
    # 2026-09-25 is 中秋 (25-27 off); 国庆 1-7 October off; Saturday 10 October is 调休 (on).
    due = rules.publication_due(date(2026, 9, 25), CAL, 20)
    assert due == date(2026, 10, 29)
    assert date(2026, 9, 25) + timedelta(days=28) < due  # naive weekday counting: 23 Oct
    assert CAL.is_working_day(date(2026, 10, 10))  # the 调休 Saturday counts


def test_the_period_before_the_spring_festival_2026_counts_the_adjusted_saturdays():
    # Friday 13 Feb: Saturday 14 Feb is a 调休 working day, 15-23 Feb are 春节, 28 Feb (Sat)
    # works too.
    assert rules.publication_due(date(2026, 2, 13), CAL, 20) == date(2026, 3, 19)
    assert rules.publication_due(date(2026, 2, 13), CAL, 1) == date(2026, 2, 14)
    assert rules.publication_due(date(2026, 2, 14), CAL, 1) == date(2026, 2, 24)


def test_published_on_the_last_day_is_in_time_and_the_day_after_is_late():
    due = date(2026, 10, 29)
    assert rules.lateness(due, due, CAL) == (False, 0)
    assert rules.lateness(date(2026, 10, 30), due, CAL) == (True, 1)
    assert rules.lateness(date(2026, 11, 2), due, CAL) == (True, 2)  # across a weekend


def test_a_manual_entry_published_at_once_within_its_period_is_not_late():
    change = registered()
    entry = change.state
    assert (entry.status, entry.due_on, entry.published_on, entry.late) == (
        CatalogueStatus.published, date(2026, 10, 29), date(2026, 9, 28), False)
    assert [e.spec for e in change.events] == [CATALOGUE_PUBLISHED]
    assert [a.action for a in entry.audit] == ["登记", "公开"]
    assert [v.number for v in entry.versions] == [1]


def test_publication_after_the_period_is_late_and_says_so_in_its_event():
    pending = registered(budget(publish=False)).state
    assert pending.status is CatalogueStatus.pending
    change = rules.publish(pending, rules.act_as_officer(OFFICER, "公开"),
                           at(date(2026, 11, 3)), CAL)
    assert (change.state.late, change.state.working_days_late) == (True, 3)
    event = change.events[0].body
    assert (event.late, event.working_days_late, event.due_on) == (  # type: ignore[attr-defined]
        True, 3, date(2026, 10, 29))


def test_a_dispatched_proactive_document_becomes_a_published_entry():
    change = rules.from_dispatched(dispatched(), entry_id="e-doc", now=at(date(2026, 3, 3)),
                                   calendar=CAL, working_days=20, category="政府文件")
    assert isinstance(change, Change)
    entry = change.state
    assert (entry.source.value, entry.title, entry.doc_number, entry.document_id,
            entry.information_date, entry.published_on, entry.late) == (
        "公文", "关于做好2026年政务公开工作的通知", "宜府办发〔2026〕12号", "doc-1",
        date(2026, 3, 2), date(2026, 3, 3), False)
    assert [a.sha256 for a in entry.attachments] == ["a" * 64]


def test_a_dispatched_normative_document_is_catalogued_as_one_with_its_registration_number():
    change = rules.from_dispatched(
        dispatched(normative_document=True, normative_registration_number="YCDR-2026-0001003"),
        entry_id="e-doc", now=at(date(2026, 3, 3)), calendar=CAL, working_days=20,
        category="政府文件")
    assert isinstance(change, Change)
    entry = change.state
    assert (entry.category, entry.normative_document, entry.normative_registration_number,
            entry.date_of_writing) == ("行政规范性文件", True, "YCDR-2026-0001003",
                                       date(2026, 3, 2))
    published = change.events[0].body
    assert published.normative_document is True  # type: ignore[attr-defined]
    assert published.date_of_writing == date(2026, 3, 2)  # type: ignore[attr-defined]


def test_correcting_a_normative_entry_keeps_the_flag_and_the_date_of_writing_in_step():
    entry = rules.from_dispatched(
        dispatched(normative_document=True), entry_id="e-doc", now=at(date(2026, 3, 3)),
        calendar=CAL, working_days=20, category="政府文件")
    assert isinstance(entry, Change)
    corrected = rules.correct(
        entry.state, CorrectCatalogueEntry(entry_id="e-doc", category="政府文件",
                                           information_date=date(2026, 2, 27),
                                           reason="经核实不属于行政规范性文件, 成文日期有误"),
        officer(), at(date(2026, 3, 4)), calendar=CAL, working_days=20,
        categories=CATEGORIES, remind_working_days_before=3).state
    assert (corrected.category, corrected.normative_document, corrected.date_of_writing) == (
        "政府文件", False, date(2026, 2, 27))


def test_a_document_dispatched_long_after_it_was_written_is_late():
    change = rules.from_dispatched(
        dispatched(date_of_writing=date(2026, 2, 13)), entry_id="e", now=at(date(2026, 3, 20)),
        calendar=CAL, working_days=20, category="政府文件")
    assert isinstance(change, Change)
    assert (change.state.due_on, change.state.late, change.state.working_days_late) == (
        date(2026, 3, 19), True, 1)


# --- 密级: only 非密 (第十四条) -------------------------------------------------------------


@pytest.mark.parametrize("level", [Classification.secret, Classification.confidential,
                                   Classification.top_secret])
def test_a_classified_document_claiming_proactive_disclosure_is_refused(level):
    decision = rules.from_dispatched(dispatched(classification_level=level), entry_id="e",
                                     now=at(date(2026, 3, 3)), calendar=CAL, working_days=20,
                                     category="政府文件")
    assert isinstance(decision, Refusal)
    assert decision.classification_level == level.value
    assert "关于" not in decision.reason  # no title in the refusal


def test_documents_disclosed_on_request_or_not_at_all_are_not_catalogued():
    for attribute in (DisclosureAttribute.on_request, DisclosureAttribute.not_public):
        assert rules.from_dispatched(dispatched(disclosure=attribute), entry_id="e",
                                     now=at(date(2026, 3, 3)), calendar=CAL, working_days=20,
                                     category="政府文件") is None


def test_a_manual_entry_that_is_not_unclassified_is_refused():
    with pytest.raises(GovbusError) as refused:
        registered(budget(classification="秘密"))
    assert refused.value.code is ErrorCode.validation_failed
    assert "秘密" in refused.value.message


def test_an_unknown_category_is_refused():
    with pytest.raises(GovbusError) as unknown:
        registered(budget(category="小道消息"))
    assert unknown.value.code is ErrorCode.validation_failed


def test_only_disclosure_staff_act_and_a_department_officer_only_for_their_department():
    with pytest.raises(GovbusError) as citizen:
        rules.act_as_officer(CITIZEN, "登记")
    assert citizen.value.code is ErrorCode.forbidden
    finance = rules.act_as_officer(FINANCE_OFFICER, "登记")
    assert registered(budget(department=None), actor=finance).state.department == "财政局"
    with pytest.raises(GovbusError) as other:
        registered(budget(department="教育局"), actor=finance)
    assert other.value.code is ErrorCode.forbidden
    education = registered(budget(department="教育局")).state  # central staff: any
    with pytest.raises(GovbusError) as scoped:
        rules.withdraw(education, finance, "错误登记", at(date(2026, 9, 29)))
    assert scoped.value.code is ErrorCode.forbidden


# --- 撤回, 废止, 更正 -----------------------------------------------------------------------


def officer() -> Actor:
    return rules.act_as_officer(OFFICER, "x")


def test_withdrawal_needs_a_reason_and_happens_once():
    entry = registered().state
    with pytest.raises(GovbusError) as no_reason:
        rules.withdraw(entry, officer(), "  ", at(date(2026, 9, 29)))
    assert no_reason.value.code is ErrorCode.validation_failed
    gone = rules.withdraw(entry, officer(), "数据有误, 重新编制", at(date(2026, 9, 29))).state
    assert (gone.status, gone.withdrawn_on) == (CatalogueStatus.withdrawn, date(2026, 9, 29))
    assert (gone.audit[-1].action, gone.audit[-1].reason, gone.audit[-1].by) == (
        "撤回", "数据有误, 重新编制", "u-gk-zhao")
    with pytest.raises(GovbusError) as twice:
        rules.withdraw(gone, officer(), "再次", at(date(2026, 9, 29)))
    assert twice.value.code is ErrorCode.invalid_transition
    with pytest.raises(GovbusError) as republish:
        rules.publish(gone, officer(), at(date(2026, 9, 29)), CAL)
    assert republish.value.code is ErrorCode.invalid_transition
    with pytest.raises(GovbusError) as corrected:
        rules.correct(gone, CorrectCatalogueEntry(entry_id="e-1", reason="r", title="新"),
                      officer(), at(date(2026, 9, 29)), calendar=CAL, working_days=20,
                      categories=CATEGORIES, remind_working_days_before=3)
    assert corrected.value.code is ErrorCode.invalid_transition


def test_only_regulations_and_normative_documents_are_repealed_and_stay_listed():
    with pytest.raises(GovbusError) as budget_repeal:
        rules.repeal(registered().state, officer(), "失效", at(date(2026, 9, 29)))
    assert budget_repeal.value.code is ErrorCode.validation_failed
    normative = registered(budget(category="行政规范性文件",
                                  title="宜春市政府信息公开管理办法")).state
    with pytest.raises(GovbusError) as no_reason:
        rules.repeal(normative, officer(), "", at(date(2026, 9, 29)))
    assert no_reason.value.code is ErrorCode.validation_failed
    repealed = rules.repeal(normative, officer(), "被宜府发〔2026〕9号废止",
                            at(date(2026, 9, 29))).state
    assert (repealed.status, repealed.repealed_on) == (CatalogueStatus.repealed,
                                                       date(2026, 9, 29))
    assert rules.visible_to(CITIZEN, repealed)
    with pytest.raises(GovbusError) as twice:
        rules.repeal(repealed, officer(), "再次", at(date(2026, 9, 29)))
    assert twice.value.code is ErrorCode.invalid_transition
    pending = registered(budget(category="规章", publish=False)).state
    with pytest.raises(GovbusError) as unpublished:
        rules.repeal(pending, officer(), "未公开即废止", at(date(2026, 9, 29)))
    assert unpublished.value.code is ErrorCode.invalid_transition


def test_a_correction_records_what_changed_and_keeps_every_version():
    entry = registered().state
    cmd = CorrectCatalogueEntry(entry_id="e-1", reason="标题年份错误",
                                title="2026年市本级部门预算公开(更正)", body=entry.body)
    change = rules.correct(entry, cmd, officer(), at(date(2026, 9, 30)), calendar=CAL,
                           working_days=20, categories=CATEGORIES, remind_working_days_before=3)
    new = change.state
    assert new.title == "2026年市本级部门预算公开(更正)"
    assert [(v.number, v.title, v.reason) for v in new.versions] == [
        (1, "2026年市本级部门预算公开", None),
        (2, "2026年市本级部门预算公开(更正)", "标题年份错误")]
    record = new.audit[-1]
    assert (record.action, record.reason, [(c.field, c.before, c.after) for c in record.changes]) \
        == ("更正", "标题年份错误", [("title", "2026年市本级部门预算公开",
                                    "2026年市本级部门预算公开(更正)")])
    assert change.events[0].body.changed_fields == ["title"]  # type: ignore[attr-defined]
    with pytest.raises(GovbusError) as nothing:
        rules.correct(new, CorrectCatalogueEntry(entry_id="e-1", reason="r", title=new.title),
                      officer(), at(date(2026, 9, 30)), calendar=CAL, working_days=20,
                      categories=CATEGORIES, remind_working_days_before=3)
    assert nothing.value.code is ErrorCode.validation_failed
    with pytest.raises(ValidationError):
        CorrectCatalogueEntry(entry_id="e-1", reason="", title="x")  # reason required


def test_correcting_a_pending_entrys_date_moves_its_period():
    pending = registered(budget(publish=False)).state
    moved = rules.correct(pending, CorrectCatalogueEntry(
        entry_id="e-1", reason="信息变更日期有误", information_date=date(2026, 2, 13)),
        officer(), at(date(2026, 9, 30)), calendar=CAL, working_days=20,
        categories=CATEGORIES, remind_working_days_before=3).state
    assert moved.due_on == date(2026, 3, 19)


# --- the sweep ----------------------------------------------------------------------------


def test_the_sweep_reminds_then_notices_overdue_once_with_deterministic_ids():
    pending = registered(budget(publish=False)).state  # due 2026-10-29
    assert pending.next_alert_on == date(2026, 10, 26)
    assert rules.due_alerts(pending, at(date(2026, 10, 23)), CAL, 3) is None
    reminded = rules.due_alerts(pending, at(date(2026, 10, 26)), CAL, 3)
    assert reminded is not None and [e.spec for e in reminded.events] == [CATALOGUE_REMINDED]
    assert reminded.events[0].event_id == rules.reminder_event_id("e-1", date(2026, 10, 29))
    assert reminded.events[0].body.working_days_left == 3  # type: ignore[attr-defined]
    assert rules.due_alerts(reminded.state, at(date(2026, 10, 27)), CAL, 3) is None
    overdue = rules.due_alerts(reminded.state, at(date(2026, 10, 30)), CAL, 3)
    assert overdue is not None and [e.spec for e in overdue.events] == [CATALOGUE_OVERDUE]
    assert overdue.events[0].event_id == rules.overdue_event_id("e-1", date(2026, 10, 29))
    assert (overdue.state.late, overdue.state.overdue_since) == (True, date(2026, 10, 30))
    assert rules.due_alerts(overdue.state, at(date(2026, 11, 2)), CAL, 3) is None
    # Published at last: late, and it says by how much.
    published = rules.publish(overdue.state, officer(), at(date(2026, 11, 2)), CAL).state
    assert (published.late, published.working_days_late) == (True, 2)


# --- search -------------------------------------------------------------------------------


def indexed(eid: str, title: str, body: str, *, status: str = "已公开", category: str = "政府文件",
            published: date = date(2026, 3, 3), number: str | None = None):
    return index_entry(id=eid, version=1, status=status, category=category, title=title,
                       doc_number=number, issuing_organ="宜春市人民政府办公室",
                       information_date=published, published_on=published, summary=None,
                       body=body, body_chars=5000)


def build(*items):
    entries = {i.id: i for i in items}
    postings: dict[str, dict[str, float]] = {}
    for i in items:
        for t, w in i.terms.items():
            postings.setdefault(t, {})[i.id] = w
    return entries, postings


def test_chinese_text_is_searched_by_bigrams_and_document_numbers_whole():
    assert tokenize("政务公开") == ["政务", "务公", "公开"]
    assert query_terms("宜府办发〔2026〕12号")[-1] == "宜府办发〔2026〕12号"


def test_a_title_match_outranks_a_body_mention_and_only_public_entries_are_found():
    entries, postings = build(
        indexed("title", "关于做好政务公开工作的通知", "各单位。"),
        indexed("body", "关于召开会议的通知", "会上将部署政务公开工作。"),
        indexed("pending", "政务公开工作方案", "待公开", status="待公开"),
        indexed("gone", "政务公开工作要点", "已撤回", status="已撤回"),
        indexed("old", "政务公开规定", "已废止的规定", status="已废止", category="规章"))
    found = search(entries, postings, SearchCatalogue(q="政务公开"))
    ids = [h.entry_id for h in found.hits]
    # Title matches first (in force before repealed on equal scores), the body mention last.
    assert ids == ["title", "old", "body"]
    assert [h.repealed for h in found.hits if h.entry_id == "old"] == [True]
    assert found.total == 3


def test_filters_and_pagination():
    items = [indexed(f"e{i}", f"2026年第{i}季度统计数据", "统计数据发布", category="统计信息",
                     published=date(2026, 3, 1) + timedelta(days=i)) for i in range(1, 6)]
    entries, postings = build(*items, indexed("x", "统计工作通知", "统计"))
    page = search(entries, postings, SearchCatalogue(q="统计", category="统计信息", limit=2,
                                                     offset=2))
    assert (page.total, len(page.hits)) == (5, 2)
    ranged = search(entries, postings, SearchCatalogue(
        category="统计信息", published_from=date(2026, 3, 3), published_to=date(2026, 3, 4)))
    assert [h.entry_id for h in ranged.hits] == ["e3", "e2"]  # newest first without words
    assert search(entries, postings, SearchCatalogue(q="不存在的词语")).total == 0


def test_an_unpublished_entry_is_answered_like_an_unknown_id_to_whoever_may_not_see_it():
    pending = registered(budget(publish=False),
                         actor=rules.act_as_officer(FINANCE_OFFICER, "登记")).state
    other = Principal(subject="u-gk-sun", name="钱进", roles=frozenset({"disclosure_officer"}),
                      department="审计局")
    for outsider in (other, CITIZEN):
        with pytest.raises(GovbusError) as hidden:
            rules.require_visible(outsider, pending, pending.id)
        with pytest.raises(GovbusError) as unknown:
            rules.require_visible(outsider, None, pending.id)
        assert hidden.value.code is ErrorCode.not_found
        assert (hidden.value.message, hidden.value.details) == (
            unknown.value.message, unknown.value.details)
    assert rules.require_visible(FINANCE_OFFICER, pending, pending.id) is pending
    assert rules.require_visible(OFFICER, pending, pending.id) is pending  # central staff


def test_a_published_entry_is_public_and_another_department_may_not_manage_it():
    published = registered(actor=rules.act_as_officer(FINANCE_OFFICER, "登记")).state
    other = Principal(subject="u-gk-sun", name="钱进", roles=frozenset({"disclosure_officer"}),
                      department="审计局")
    assert rules.require_visible(CITIZEN, published, published.id) is published
    assert rules.require_visible(other, published, published.id) is published
    with pytest.raises(GovbusError) as refused:
        rules.withdraw(published, rules.act_as_officer(other, "撤回"), "信息有误",
                       at(date(2026, 10, 9)))
    assert refused.value.code is ErrorCode.forbidden
    assert refused.value.details == {"entry_id": published.id}  # not its department
