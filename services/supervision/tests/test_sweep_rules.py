"""When the sweep looks at an item, and the 督办通知书 it asks for, without servers.

The sweep reaches an item only on its next check day (domain/watch.py, kept in the due
index): swept only on those days an item gets exactly the facts, on exactly the days, that
a sweep looking at every item every day would give it (催办 levels, progress reports
reminded and late), through a new deadline, a suspension and an answer. The 督办通知书 is
addressed to the lead department under the office's 机关代字, in its wording, and names
what supervision asked for."""

from __future__ import annotations

from datetime import date, timedelta

from govbus_contracts.services.documents.common import DisclosureAttribute, DocType
from govbus_contracts.services.documents.outgoing import RequestedBy
from govbus_contracts.services.supervision.common import EscalationLevel, ProgressSchedule
from govbus_contracts.services.supervision.items import (
    DecideExtension,
    RequestExtension,
    SuspendItem,
)
from govbus_supervision.domain import deadlines, notices
from govbus_supervision.domain.watch import next_check_on
from services.supervision.tests.test_escalation_rules import SEP30, swept

L = EscalationLevel


def every_day(walk, item, start: date, end: date):
    """The sweep looking at the item every day (twice, as replicas would): the facts' ids."""
    item, facts = swept(walk, item, start, end)
    return item, [(day, e.event_id) for day, e in facts]


def on_check_days(walk, item, start: date, end: date):
    """The sweep through the due index: the item only on (or after) its next check day;
    also the days on which the sweep looked at it and found nothing to do."""
    facts, idle = [], []
    day = start
    while day <= end:
        check = next_check_on(item, walk.periods)
        if check is not None and check <= day:
            change = deadlines.sweep(item, walk.at(day), walk.periods)
            if change is None:
                idle.append(day)
            else:
                item = change.state
                facts += [(day, e.event_id) for e in change.events]
        day += timedelta(days=1)
    return item, facts, idle


def test_swept_on_its_check_days_an_item_gets_every_fact_on_its_day(walk):
    item = walk.assigned(on=date(2026, 6, 1), due_on=SEP30,
                         progress_schedule=ProgressSchedule.monthly)
    daily_item, daily = every_day(walk, item, date(2026, 6, 1), date(2026, 12, 31))
    checked_item, checked, idle = on_check_days(walk, item, date(2026, 6, 1),
                                                date(2026, 12, 31))
    assert checked == daily
    assert len(daily) == 4 + 2 * 7  # 4 levels; the reports of June to December, each twice
    assert checked_item.issued_levels() == daily_item.issued_levels()
    # Every level issued and no report left before the deadline: nothing more to watch
    # but the monthly reports.
    assert next_check_on(checked_item, walk.periods) == date(2027, 1, 20)
    # Never looked at for nothing: each check day is a day something falls due (国庆 and
    # 中秋 included).
    assert idle == []


def test_a_deadline_set_short_is_reminded_at_once_and_an_old_one_urged(walk):
    # 交办 two working days before the deadline: the 提醒 day is already past.
    item = walk.assigned(on=date(2026, 9, 28), due_on=SEP30)
    assert next_check_on(item, walk.periods) <= date(2026, 9, 28)
    change = deadlines.sweep(item, walk.at(date(2026, 9, 28)), walk.periods)
    assert [e.body.level for e in change.events] == [L.reminder]
    # Reminded: looked at again the first working day after the deadline (国庆 1–7 Oct).
    assert next_check_on(change.state, walk.periods) == date(2026, 10, 8)


def test_a_new_deadline_moves_the_check_day_and_suspended_or_answered_items_are_not_watched(
        walk):
    item = walk.assigned(on=date(2026, 9, 1), due_on=SEP30)
    assert next_check_on(item, walk.periods) == date(2026, 9, 24)  # 提醒 (中秋 not counted)
    asked = deadlines.request_extension(item, RequestExtension(
        id=item.id, reason="待市政府常务会议研究", requested_due_on=date(2026, 10, 20)),
        walk.lead_handler, walk.at(date(2026, 9, 10)), walk.periods).state
    extended = deadlines.decide_extension(asked, DecideExtension(
        id=item.id, decision="同意延期"), walk.supervisor, walk.at(date(2026, 9, 11)),
        walk.periods).state
    assert next_check_on(extended, walk.periods) == date(2026, 10, 15)
    suspended = deadlines.suspend(extended, SuspendItem(
        id=item.id, reason="等待上级政策出台", approved_by="王副市长"), walk.supervisor,
        walk.at(date(2026, 9, 14))).state
    assert next_check_on(suspended, walk.periods) is None
    resumed = deadlines.resume(suspended, None, walk.supervisor, walk.at(date(2026, 9, 16)),
                               walk.periods).state
    assert next_check_on(resumed, walk.periods) == walk.calendar.add_working_days(
        resumed.due_on, -3)
    answered = walk.answered(walk.opinion_given(item, on=date(2026, 9, 10)),
                             on=date(2026, 9, 20))
    assert next_check_on(answered, walk.periods) is None
    assert next_check_on(walk.registered(), walk.periods) is None


def notice_of(walk):
    item = walk.assigned(on=date(2026, 9, 1), due_on=SEP30)
    item, _ = every_day(walk, item, date(2026, 9, 1), date(2026, 10, 14))
    notice = notices.pending_notice(item, SEP30)
    assert notice is not None and notice.level_issued_on == date(2026, 10, 14)
    return item, notice


def test_the_notice_is_addressed_to_the_lead_under_the_office_code_in_its_words(walk):
    item, notice = notice_of(walk)
    draft = notices.notice_draft(item, notice, walk.periods, issuer_code="府督办",
                                 office_name="宜春市人民政府办公室")
    assert (draft.doc_type, draft.main_recipients, draft.cc_recipients) == (
        DocType.notice, [walk.lead], [walk.co])
    assert (draft.issuer_code, draft.issuing_organ, draft.drafting_department) == (
        "府督办", "宜春市人民政府办公室", "督查室")
    assert draft.requested_by == RequestedBy(service="supervision", service_name="督查督办",
                                             kind="督办通知书", reference=item.id,
                                             label="督〔2026〕12号")
    assert draft.title == "关于督促办理督〔2026〕12号督查事项的督办通知书"
    assert draft.body.startswith(f"{walk.lead}：\n2026年9月1日交由你单位牵头办理")
    # The deadline, the 催办通知 that came before, and the reply day: the working day before
    # the 通报 would fall (10 working days after 14 October).
    for words in ("办理期限为2026年9月30日", "经2026年10月8日催办，",
                  "于2026年10月27日前将办理情况及结果书面报送宜春市人民政府办公室督查室",
                  "逾期仍未报送的，将予以通报", "特此通知。"):
        assert words in draft.body
    assert draft.disclosure is DisclosureAttribute.not_public and draft.disclosure_reason


def test_a_notice_drafted_is_no_longer_pending_and_only_supervision_notices_are_its_own(walk):
    item, _ = notice_of(walk)
    drafted = deadlines.notice_requested(item, "out-88", SEP30, walk.at(date(2026, 10, 14)))
    assert notices.pending_notice(drafted, SEP30) is None
    assert notices.pending_notice(item, date(2026, 10, 30)) is None  # another deadline's
    mine = RequestedBy(service="supervision", kind="督办通知书", reference=item.id)
    assert notices.is_own_notice(mine)
    assert not notices.is_own_notice(mine.model_copy(update={"kind": "督办事项答复"}))
    assert not notices.is_own_notice(mine.model_copy(update={"service": "complaints"}))
    assert not notices.is_own_notice(None)


def test_a_notice_is_not_drafted_once_the_answer_came_in_or_the_deadline_moved(walk):
    item, _ = notice_of(walk)
    answered = walk.answered(item, on=date(2026, 10, 15))
    assert notices.pending_notice(answered, SEP30) is None  # answered before its draft
    # Suspended: still urged (the deadline stands still, it does not go away).
    suspended = deadlines.suspend(item, SuspendItem(id=item.id, reason="等待省厅批复",
                                                    approved_by="王副市长"),
                                  walk.supervisor, walk.at(date(2026, 10, 15))).state
    assert notices.pending_notice(suspended, SEP30) is not None


def test_the_notice_is_drafted_by_the_office_department_the_operator_names(walk):
    item, notice = notice_of(walk)
    draft = notices.notice_draft(item, notice, walk.periods, issuer_code="府督办",
                                 office_name="宜春市人民政府办公室", department="督查科")
    assert draft.drafting_department == "督查科"
    assert "书面报送宜春市人民政府办公室督查科；" in draft.body
