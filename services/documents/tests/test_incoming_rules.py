"""收文办理 rules, without servers: the workflow's order, what registration checks, the
deadline by urgency on the working-day calendar, circulation, 催办 and 办结."""

from __future__ import annotations

import base64
import hashlib
from datetime import date, datetime, timedelta

import pytest

from govbus_contracts.envelope import Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.documents.common import (
    Attachment,
    Classification,
    ClassificationMark,
    DocType,
    Role,
    Urgency,
)
from govbus_contracts.services.documents.incoming import (
    INCOMING_INSTRUCTED,
    INCOMING_OVERDUE,
    INCOMING_REMINDED,
    AssignIncoming,
    CirculatedLeader,
    CirculateIncoming,
    CompleteIncoming,
    IncomingStatus,
    InstructIncoming,
    ProposeHandling,
    RegisterIncoming,
    ReminderKind,
    ReturnReason,
    ReviewDecision,
    ReviewIncoming,
)
from govbus_documents.domain import incoming as rules
from govbus_documents.domain.access import may_read, require_visible
from govbus_documents.domain.incoming import IncomingDocument
from govbus_kit.calendar import WorkingCalendar
from govbus_kit.clock import OFFICE_TZ
from govbus_kit.domain import Change, act_as
from govbus_kit.registers import next_serial
from govbus_testing.office import CLERK as REGISTRAR
from govbus_testing.office import LEADER, handler

S = IncomingStatus
CALENDAR = WorkingCalendar()
DAYS = {Urgency.very_urgent: 3, Urgency.urgent: 5, Urgency.normal: 15}

REG = act_as(REGISTRAR, Role.registrar, step="登记")


def at(d: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=OFFICE_TZ)


SEP28 = at(date(2026, 9, 28))
SEP30 = at(date(2026, 9, 30))


def registration(**overrides: object) -> RegisterIncoming:
    fields: dict[str, object] = {
        "issuer": "区委办公室",
        "issuer_doc_number": "区委办发〔2026〕12号",
        "doc_type": DocType.opinion,
        "received_on": date(2026, 9, 28),
        "title": "关于进一步加强自身建设的实施意见",
        "body": ("为全面提升区委办公室综合服务水平,推动区委决策更好更快贯彻落实,"
                 "经研究,制定本实施意见。"),
        "urgency": Urgency.very_urgent,
    }
    fields.update(overrides)
    return RegisterIncoming.model_validate(fields)


def registered(**overrides: object) -> IncomingDocument:
    return rules.register(registration(**overrides), document_id="doc-1", serial=15,
                          year=2026, actor=REG, now=SEP28).state


def accepted(**overrides: object) -> IncomingDocument:
    doc = registered(**overrides)
    return rules.review(doc, ReviewIncoming(id=doc.id, decision=ReviewDecision.accept),
                        REGISTRAR, SEP28).state


def proposed(needs_instruction: bool = True, **overrides: object) -> IncomingDocument:
    doc = accepted(**overrides)
    cmd = ProposeHandling(id=doc.id, opinion="拟请王副区长阅示, 由区委办综合科牵头办理",
                          lead_department="综合科", co_departments=["督查室"],
                          needs_instruction=needs_instruction)
    return rules.propose(doc, cmd, REGISTRAR, SEP28).state


def instructed(**overrides: object) -> IncomingDocument:
    doc = proposed(**overrides)
    cmd = InstructIncoming(id=doc.id, instruction="请综合科抓好落实, 督查室跟踪督办",
                           needs_supervision=True, supervision_deadline=date(2026, 10, 30))
    return rules.instruct(doc, cmd, LEADER, SEP28).state


def assigned(now: datetime = SEP30, deadline: date | None = None,
             **overrides: object) -> IncomingDocument:
    doc = instructed(**overrides)
    cmd = AssignIncoming(id=doc.id, lead_department="综合科", co_departments=["督查室"],
                         deadline=deadline)
    return rules.assign(doc, cmd, REGISTRAR, now, days_by_urgency=DAYS,
                        remind_working_days_before=2, calendar=CALENDAR).state


def refused(code: ErrorCode, fn: object, *args: object, **kwargs: object) -> GovbusError:
    with pytest.raises(GovbusError) as caught:
        fn(*args, **kwargs)  # type: ignore[operator]
    assert caught.value.code is code, caught.value.message
    return caught.value


# --- 签收 / 登记 --------------------------------------------------------------------------


def test_registration_number_runs_per_year_without_gaps():
    first = next_serial(None, 2026)
    second = next_serial(first, 2026)
    assert (first.last_serial, second.last_serial) == (1, 2)
    assert rules.registration_number(2026, 15) == "收〔2026〕15号"


def test_registered_document_awaits_initial_review_and_keeps_its_particulars():
    change = rules.register(registration(copies=3), document_id="doc-1", serial=15, year=2026,
                            actor=REG, now=SEP28)
    doc = change.state
    assert doc.status is S.registered
    assert doc.registration_number == "收〔2026〕15号"
    assert (doc.issuer, doc.issuer_doc_number, doc.copies) == (
        "区委办公室", "区委办发〔2026〕12号", 3)
    assert doc.custodian == "办公室" and doc.holders == [] and doc.departments == []
    assert [h.action for h in doc.history] == ["签收登记"]
    (event,) = rules.facts(change)
    assert event.title == "关于进一步加强自身建设的实施意见"  # type: ignore[attr-defined]
    assert "body" not in event.model_dump()


def test_classified_document_must_state_its_classification_period():
    mark = ClassificationMark(level=Classification.secret)
    error = refused(ErrorCode.validation_failed, rules.validate_registration,
                    registration(classification=mark), date(2026, 9, 28))
    assert error.details["problems"][0]["field"] == "classification.period"
    period = ClassificationMark(level=Classification.secret, period="10年")
    assert rules.validate_registration(registration(classification=period),
                                       date(2026, 9, 28)) == []


def test_unclassified_document_carries_no_classification_period():
    mark = ClassificationMark(level=Classification.none, period="10年")
    refused(ErrorCode.validation_failed, rules.validate_registration,
            registration(classification=mark), date(2026, 9, 28))


def test_received_date_may_not_be_in_the_future():
    error = refused(ErrorCode.validation_failed, rules.register,
                    registration(received_on=date(2026, 9, 29)), document_id="d", serial=1,
                    year=2026, actor=REG, now=SEP28)
    assert error.details["problems"][0]["field"] == "received_on"


def test_received_date_counts_in_beijing_time():
    # 00:30 on 1 October in Beijing is still 30 September in UTC: the office's date counts.
    just_after_midnight = at(date(2026, 10, 1), 0, 30)
    doc = rules.register(registration(received_on=date(2026, 10, 1)), document_id="d",
                         serial=1, year=2026, actor=REG, now=just_after_midnight).state
    assert doc.received_on == date(2026, 10, 1)


def test_at_least_one_copy_is_received():
    error = refused(ErrorCode.validation_failed, rules.validate_registration,
                    registration(copies=0), date(2026, 9, 28))
    assert error.details["problems"][0]["field"] == "copies"


def test_attachment_is_kept_by_its_sha256_and_a_wrong_digest_is_refused():
    content = "附件1: 任务分解表".encode()
    encoded = base64.b64encode(content).decode()
    sealed = rules.validate_registration(registration(attachments=[
        Attachment(name="任务分解表.pdf", content_base64=encoded)]), date(2026, 9, 28))
    assert sealed[0].sha256 == hashlib.sha256(content).hexdigest()
    assert sealed[0].size == len(content)
    refused(ErrorCode.validation_failed, rules.validate_registration, registration(attachments=[
        Attachment(name="任务分解表.pdf", content_base64=encoded, sha256="0" * 64)]),
        date(2026, 9, 28))


def test_registration_needs_a_registrar():
    refused(ErrorCode.forbidden, act_as, handler("综合科"), Role.registrar, step="签收登记")
    assert act_as(REGISTRAR, Role.registrar, step="签收登记").role == "registrar"


# --- 初审 --------------------------------------------------------------------------------


def test_initial_review_accepts_into_proposal():
    doc = accepted()
    assert doc.status is S.awaiting_proposal
    assert doc.review is not None and doc.review.decision is ReviewDecision.accept


def test_document_returned_at_initial_review_is_closed_with_its_reasons():
    doc = registered()
    cmd = ReviewIncoming(id=doc.id, decision=ReviewDecision.return_to_sender,
                         reasons=[ReturnReason.jurisdiction], remarks="请径送区发改委办理")
    change = rules.review(doc, cmd, REGISTRAR, SEP28)
    assert change.state.status is S.returned
    (event,) = rules.facts(change)
    assert event.reasons == [ReturnReason.jurisdiction]  # type: ignore[attr-defined]
    assert event.status is S.returned  # type: ignore[attr-defined]
    # A returned document is closed: nothing further happens to it.
    refused(ErrorCode.invalid_transition, rules.propose, change.state,
            ProposeHandling(id=doc.id, opinion="拟办"), REGISTRAR, SEP28)
    refused(ErrorCode.invalid_transition, rules.circulate, change.state,
            CirculateIncoming(id=doc.id, departments=["综合科"]), REGISTRAR, SEP28)


def test_returning_a_document_needs_reasons_and_accepting_one_has_none():
    doc = registered()
    refused(ErrorCode.validation_failed, rules.review, doc,
            ReviewIncoming(id=doc.id, decision=ReviewDecision.return_to_sender), REGISTRAR, SEP28)
    refused(ErrorCode.validation_failed, rules.review, doc,
            ReviewIncoming(id=doc.id, decision=ReviewDecision.accept,
                           reasons=[ReturnReason.layout]), REGISTRAR, SEP28)


# --- the order of the steps --------------------------------------------------------------


def test_steps_out_of_order_are_invalid_transitions():
    doc = registered()
    refused(ErrorCode.invalid_transition, rules.propose, doc,
            ProposeHandling(id=doc.id, opinion="拟办"), REGISTRAR, SEP28)
    refused(ErrorCode.invalid_transition, rules.assign, doc,
            AssignIncoming(id=doc.id, lead_department="综合科"), REGISTRAR, SEP28,
            days_by_urgency=DAYS, remind_working_days_before=2, calendar=CALENDAR)
    refused(ErrorCode.invalid_transition, rules.complete, doc,
            CompleteIncoming(id=doc.id, result="已办"), REGISTRAR, SEP28)
    refused(ErrorCode.invalid_transition, rules.review, accepted(),
            ReviewIncoming(id=doc.id, decision=ReviewDecision.accept), REGISTRAR, SEP28)
    # 拟办 asked for a 批示: 承办 must wait for it.
    waiting = proposed(needs_instruction=True)
    assert waiting.status is S.awaiting_instruction
    error = refused(ErrorCode.invalid_transition, rules.assign, waiting,
                    AssignIncoming(id=doc.id, lead_department="综合科"), REGISTRAR, SEP28,
                    days_by_urgency=DAYS, remind_working_days_before=2, calendar=CALENDAR)
    assert error.details["status"] == "待批示"


def test_proposal_without_instruction_goes_straight_to_assignment():
    doc = proposed(needs_instruction=False)
    assert doc.status is S.awaiting_assignment
    refused(ErrorCode.invalid_transition, rules.instruct, doc,
            InstructIncoming(id=doc.id, instruction="同意"), LEADER, SEP28)
    handled = rules.assign(doc, AssignIncoming(id=doc.id, lead_department="综合科"), REGISTRAR,
                           SEP28, days_by_urgency=DAYS, remind_working_days_before=2,
                           calendar=CALENDAR).state
    assert handled.status is S.in_handling


# --- 批示 --------------------------------------------------------------------------------


def test_instruction_to_be_supervised_carries_what_supervision_needs():
    doc = proposed()
    cmd = InstructIncoming(id=doc.id, instruction="请综合科抓好落实, 督查室跟踪督办",
                           needs_supervision=True, supervision_deadline=date(2026, 10, 30))
    change = rules.instruct(doc, cmd, LEADER, SEP28)
    assert change.state.status is S.awaiting_assignment
    (emit,) = change.events
    assert emit.spec is INCOMING_INSTRUCTED
    event = emit.body.model_dump()
    assert event["id"] == "doc-1"
    assert event["issuer_doc_number"] == "区委办发〔2026〕12号"
    assert event["leader"] == "王副区长" and event["leader_subject"] == "wang-fqz"
    assert event["instructed_on"] == date(2026, 9, 28)
    assert event["needs_supervision"] is True
    assert event["supervision_deadline"] == date(2026, 10, 30)
    assert event["lead_department"] == "综合科"  # known from the 拟办
    assert event["instruction"] == "请综合科抓好落实, 督查室跟踪督办"


def test_supervised_instruction_needs_a_deadline_after_the_instruction():
    doc = proposed()
    refused(ErrorCode.validation_failed, rules.instruct, doc,
            InstructIncoming(id=doc.id, instruction="督办", needs_supervision=True), LEADER, SEP28)
    refused(ErrorCode.validation_failed, rules.instruct, doc,
            InstructIncoming(id=doc.id, instruction="督办", needs_supervision=True,
                             supervision_deadline=date(2026, 9, 28)), LEADER, SEP28)
    refused(ErrorCode.validation_failed, rules.instruct, doc,
            InstructIncoming(id=doc.id, instruction="阅", supervision_deadline=date(2026, 10, 9)),
            LEADER, SEP28)


def test_only_a_leader_instructs():
    refused(ErrorCode.forbidden, act_as, REGISTRAR, Role.leader, step="批示")


def test_facts_of_a_classified_document_carry_no_title_body_or_text():
    mark = ClassificationMark(level=Classification.confidential, period="20年")
    doc = proposed(classification=mark)
    change = rules.instruct(doc, InstructIncoming(
        id=doc.id, instruction="请综合科抓好落实", needs_supervision=True,
        supervision_deadline=date(2026, 10, 30)), LEADER, SEP28)
    event = change.events[0].body
    assert event.title is None and event.instruction is None  # type: ignore[attr-defined]
    assert event.supervision_deadline == date(2026, 10, 30)  # type: ignore[attr-defined]
    assert event.classification_level is Classification.confidential  # type: ignore[attr-defined]
    serialised = event.model_dump_json()
    assert "自身建设" not in serialised and "抓好落实" not in serialised


# --- 承办 --------------------------------------------------------------------------------


def test_very_urgent_deadline_counts_working_days_across_the_national_day_holiday():
    # Assigned on 30 September 2026, 特急 = 3 working days: 1–7 October are 国庆 holidays,
    # 8, 9 and the 调休 Saturday 10 October are working days.
    doc = assigned(now=SEP30)
    assert doc.status is S.in_handling
    assert doc.assignment is not None
    assert doc.assignment.due_on == date(2026, 10, 10)
    assert doc.assignment.working_days == 3
    assert CALENDAR.holiday_name(date(2026, 10, 5)) == "国庆节"


@pytest.mark.parametrize(("urgency", "due_on"), [
    (Urgency.urgent, date(2026, 10, 13)),
    (Urgency.normal, date(2026, 10, 27)),
])
def test_deadline_follows_the_urgency(urgency: Urgency, due_on: date):
    doc = assigned(now=SEP30, urgency=urgency)
    assert doc.assignment is not None and doc.assignment.due_on == due_on


def test_explicit_deadline_prevails_but_not_in_the_past():
    doc = assigned(now=SEP30, deadline=date(2026, 10, 20))
    assert doc.assignment is not None
    assert (doc.assignment.due_on, doc.assignment.working_days) == (date(2026, 10, 20), None)
    refused(ErrorCode.validation_failed, assigned, now=SEP30, deadline=date(2026, 9, 29))


def test_one_lead_department_and_co_departments_distinct_from_it():
    doc = instructed()
    for co in (["综合科", "督查室"], ["督查室", "督查室"]):
        refused(ErrorCode.validation_failed, rules.assign, doc,
                AssignIncoming(id=doc.id, lead_department="综合科", co_departments=co), REGISTRAR,
                SEP30, days_by_urgency=DAYS, remind_working_days_before=2, calendar=CALENDAR)


def test_assigned_departments_may_read_it_and_others_may_not():
    doc = assigned()
    assert doc.departments == ["综合科", "督查室"]
    assert may_read(handler("综合科"), doc.classification_level, doc.departments)
    assert not may_read(handler("财务科"), doc.classification_level, doc.departments)


# --- 传阅 --------------------------------------------------------------------------------


def test_circulation_knows_who_holds_the_document_until_it_is_read():
    doc = assigned()
    change = rules.circulate(doc, CirculateIncoming(
        id=doc.id, departments=["信息科"], remarks="请阅",
        leader_readers=[CirculatedLeader(subject="wang-fqz", name="王副区长")]), REGISTRAR, SEP30)
    held = change.state
    assert held.holders == ["信息科", "wang-fqz"]
    assert held.circulation[1].holder_name == "王副区长"
    assert "信息科" in held.departments and "wang-fqz" not in held.departments
    assert held.status is S.in_handling  # circulation while 办理中

    read = rules.confirm_reading(held, handler("信息科", "赵科长"), "已阅, 按要求落实",
                                 SEP30 + timedelta(hours=2))
    assert read.state.holders == ["wang-fqz"]
    entry = next(e for e in read.state.circulation if e.holder == "信息科")
    assert entry.read_by == "赵科长" and entry.comment == "已阅, 按要求落实"
    assert [e.body.holder for e in read.events] == ["信息科"]  # type: ignore[attr-defined]

    by_leader = rules.confirm_reading(read.state, LEADER, "阅", SEP30 + timedelta(hours=3))
    assert by_leader.state.holders == []


def test_a_leader_holds_a_circulated_copy_by_user_id_never_by_display_name():
    doc = assigned()
    held = rules.circulate(doc, CirculateIncoming(
        id=doc.id, leader_readers=[CirculatedLeader(subject="wang-fqz", name="王副区长")]),
        REGISTRAR, SEP30)
    event = rules.facts(held)[0]
    assert event.leaders == ["王副区长"]  # type: ignore[attr-defined]
    assert event.leader_subjects == ["wang-fqz"]  # type: ignore[attr-defined]
    # Somebody else whose token says 王副区长 is not the holder.
    impostor = Principal(subject="d-li", name="王副区长", roles=frozenset({"leader"}))
    refused(ErrorCode.forbidden, rules.confirm_reading, held.state, impostor, None, SEP30)
    assert not rules.holds(held.state.circulation[0], impostor)
    assert rules.holds(held.state.circulation[0], LEADER)
    read = rules.confirm_reading(held.state, LEADER, None, SEP30)
    assert read.state.holders == []


def test_a_copy_recorded_under_a_leader_name_is_not_held_by_whoever_bears_that_name():
    # Copies circulated before leaders were named by user id hold the name: nobody can
    # claim them by setting the same display name in a token.
    doc = assigned()
    held = rules.circulate(doc, CirculateIncoming(id=doc.id, leaders=["王副区长"]), REGISTRAR,
                           SEP30).state
    assert held.holders == ["王副区长"]
    refused(ErrorCode.forbidden, rules.confirm_reading, held, LEADER, None, SEP30)
    namesake = Principal(subject="u-other", name="王副区长", roles=frozenset({"drafter"}),
                         department="财务科")
    assert not rules.holds(held.circulation[0], namesake)


def test_the_completer_is_matched_by_role_and_department_never_by_name():
    doc = assigned()
    lead = doc.assignment.lead_department if doc.assignment else ""
    namesake = Principal(subject="u-x", name=doc.assignment.assigned_by if doc.assignment
                         else "x", roles=frozenset({"handler"}), department="财务科")
    error = refused(ErrorCode.forbidden, rules.completer, doc, namesake)
    # A refusal after visibility names nothing beyond the document itself.
    assert error.details == {"id": doc.id}
    assert rules.completer(doc, handler(lead)).subject == f"h-{lead}"


def test_who_may_not_read_a_document_gets_exactly_the_unknown_id_answer():
    doc = assigned(classification=ClassificationMark(level=Classification.secret,
                                                     period="10年"))
    outsider = Principal(subject="d-x", name="王副区长", roles=frozenset({"drafter"}),
                         department="财务科")
    hidden = refused(ErrorCode.not_found, require_visible, outsider, doc, "收文", doc.id)
    unknown = refused(ErrorCode.not_found, require_visible, outsider, None, "收文", doc.id)
    assert (hidden.code, hidden.message, hidden.details) == (
        unknown.code, unknown.message, unknown.details)
    assert require_visible(LEADER, doc, "收文", doc.id) is doc


def test_only_a_holder_confirms_reading_and_only_once():
    doc = assigned()
    held = rules.circulate(doc, CirculateIncoming(id=doc.id, departments=["信息科"]), REGISTRAR,
                           SEP30).state
    refused(ErrorCode.forbidden, rules.confirm_reading, held, handler("财务科"), None, SEP30)
    read = rules.confirm_reading(held, handler("信息科"), None, SEP30).state
    refused(ErrorCode.conflict, rules.confirm_reading, read, handler("信息科"), None, SEP30)


def test_a_holder_is_not_sent_the_same_document_twice():
    doc = assigned()
    held = rules.circulate(doc, CirculateIncoming(id=doc.id, departments=["信息科"]), REGISTRAR,
                           SEP30).state
    refused(ErrorCode.conflict, rules.circulate, held,
            CirculateIncoming(id=doc.id, departments=["信息科"]), REGISTRAR, SEP30)
    refused(ErrorCode.validation_failed, rules.circulate, doc,
            CirculateIncoming(id=doc.id), REGISTRAR, SEP30)


def test_circulation_waits_for_initial_review():
    refused(ErrorCode.invalid_transition, rules.circulate, registered(),
            CirculateIncoming(id="doc-1", departments=["信息科"]), REGISTRAR, SEP28)


# --- 催办 --------------------------------------------------------------------------------


def test_reminder_two_working_days_before_and_overdue_the_first_working_day_after():
    doc = assigned(now=SEP30)  # due 2026-10-10 (调休 Saturday)
    assert rules.reminder_date(date(2026, 10, 10), 2, CALENDAR) == date(2026, 10, 8)
    assert rules.overdue_date(date(2026, 10, 10), CALENDAR) == date(2026, 10, 12)
    assert doc.next_alert_on == date(2026, 10, 8)

    def sweep(d: date) -> Change[IncomingDocument] | None:
        return rules.due_alerts(doc, at(d), CALENDAR, 2)

    assert sweep(date(2026, 10, 7)) is None  # a holiday, before the reminder date

    reminder = sweep(date(2026, 10, 8))
    assert reminder is not None
    (emit,) = reminder.events
    assert emit.spec is INCOMING_REMINDED
    assert emit.event_id == rules.reminder_event_id(doc.id, date(2026, 10, 10))
    assert emit.body.kind is ReminderKind.automatic  # type: ignore[attr-defined]
    assert emit.body.working_days_left == 2  # type: ignore[attr-defined]
    doc = reminder.state
    assert doc.next_alert_on == date(2026, 10, 12)
    # Swept again the same day or the next: the reminder went out once.
    assert sweep(date(2026, 10, 8)) is None
    assert sweep(date(2026, 10, 11)) is None  # Sunday after the deadline: not yet overdue

    overdue = sweep(date(2026, 10, 12))
    assert overdue is not None
    (emit,) = overdue.events
    assert emit.spec is INCOMING_OVERDUE
    assert emit.event_id == rules.overdue_event_id(doc.id, date(2026, 10, 10))
    assert emit.body.overdue_since == date(2026, 10, 12)  # type: ignore[attr-defined]
    doc = overdue.state
    assert doc.overdue_since == date(2026, 10, 12) and doc.next_alert_on is None
    assert sweep(date(2026, 10, 13)) is None


def test_sweep_after_the_deadline_without_a_reminder_sends_only_the_overdue_notice():
    doc = assigned(now=SEP30)
    change = rules.due_alerts(doc, at(date(2026, 10, 14)), CALENDAR, 2)
    assert change is not None
    assert [e.spec for e in change.events] == [INCOMING_OVERDUE]


def test_completed_document_gets_no_reminders():
    doc = assigned(now=SEP30)
    done = rules.complete(doc, CompleteIncoming(id=doc.id, result="已按要求落实"), REGISTRAR,
                          at(date(2026, 10, 8), 8)).state
    assert done.next_alert_on is None
    assert rules.due_alerts(done, at(date(2026, 10, 12)), CALENDAR, 2) is None


def test_registrar_reminds_by_hand_while_in_handling():
    doc = assigned(now=SEP30)
    change = rules.remind(doc, REGISTRAR, "请抓紧办理", at(date(2026, 10, 9)), CALENDAR)
    (emit,) = change.events
    assert emit.body.kind is ReminderKind.manual  # type: ignore[attr-defined]
    assert emit.body.working_days_left == 1  # type: ignore[attr-defined]
    assert change.state.reminders[-1].remarks == "请抓紧办理"
    refused(ErrorCode.invalid_transition, rules.remind, registered(), REGISTRAR, None, SEP28,
            CALENDAR)


# --- 办结 --------------------------------------------------------------------------------


def test_lead_department_handler_or_registrar_completes_it():
    doc = assigned(now=SEP30)
    refused(ErrorCode.forbidden, rules.complete, doc,
            CompleteIncoming(id=doc.id, result="已办"), handler("督查室"), SEP30)
    refused(ErrorCode.forbidden, rules.complete, doc,
            CompleteIncoming(id=doc.id, result="已办"), LEADER, SEP30)
    change = rules.complete(doc, CompleteIncoming(id=doc.id, result="已制定任务分解表并落实"),
                            handler("综合科"), at(date(2026, 10, 9)))
    assert change.state.status is S.completed
    assert change.state.result == "已制定任务分解表并落实"
    assert change.events[0].body.on_time is True  # type: ignore[attr-defined]
    late = rules.complete(doc, CompleteIncoming(id=doc.id, result="已办"), REGISTRAR,
                          at(date(2026, 10, 12)))
    assert late.events[0].body.on_time is False  # type: ignore[attr-defined]


def test_completed_document_is_archivable_once_every_copy_is_back():
    doc = assigned(now=SEP30)
    held = rules.circulate(doc, CirculateIncoming(id=doc.id, departments=["信息科"]), REGISTRAR,
                           SEP30).state
    done = rules.complete(held, CompleteIncoming(id=doc.id, result="已办"), REGISTRAR,
                          SEP30).state
    assert done.status is S.completed and done.archivable is False
    back = rules.confirm_reading(done, handler("信息科"), None, SEP30).state
    assert back.archivable is True
    plain = rules.complete(doc, CompleteIncoming(id=doc.id, result="已办"), REGISTRAR,
                           SEP30).state
    assert plain.archivable is True


def test_archived_document_takes_no_more_steps():
    doc = assigned(now=SEP30)
    archived = doc.model_copy(update={"status": S.archived})
    refused(ErrorCode.invalid_transition, rules.complete, archived,
            CompleteIncoming(id=doc.id, result="已办"), REGISTRAR, SEP30)
    refused(ErrorCode.invalid_transition, rules.circulate, archived,
            CirculateIncoming(id=doc.id, departments=["信息科"]), REGISTRAR, SEP30)
