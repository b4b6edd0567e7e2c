"""依申请公开 rules without servers: the statutory clock on the 2026 working-day calendar
(春节, 国庆 and their 调休 Saturdays), 补正, consultation, extension, Art. 36 replies, fees,
and that no event can carry the applicant's personal data."""

from __future__ import annotations

import typing
from datetime import date, datetime
from typing import Any

import pytest
from pydantic import BaseModel

from govbus_contracts.envelope import Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.disclosure.common import CONTRACT, ReplyType
from govbus_contracts.services.disclosure.requests import (
    EndConsultation,
    ExtendRequest,
    ReplyToRequest,
    RequestCorrection,
    RequestStatus,
    StartConsultation,
    SubmitRequest,
)
from govbus_disclosure.domain.fees import FeeSchedule, applicant_key, fee_for, month_total
from govbus_disclosure.domain.requests import codes, reply, steps, sweep, views
from govbus_disclosure.domain.requests.periods import (
    Periods,
    consultation_lapsed_event_id,
    correction_allowed_until,
    overdue_event_id,
    reminder_event_id,
)
from govbus_disclosure.domain.requests.record import InformationRequest
from govbus_disclosure.domain.requests.submission import (
    confirm_receipt,
    submit,
    validate_submission,
)
from govbus_kit.calendar import WorkingCalendar
from govbus_kit.clock import OFFICE_TZ
from govbus_kit.domain import Actor

CALENDAR = WorkingCalendar()
PERIODS = Periods(calendar=CALENDAR)
#: An office whose local rules take a non-working-day receipt as received the next working day.
NEXT_WORKING_DAY = Periods(calendar=CALENDAR, receipt_next_working_day=True)
#: An office whose online platform does not confirm by itself.
NO_AUTO_CONFIRM = Periods(calendar=CALENDAR, online_confirmed_at_once=False)
OFFICER = Actor("u-chen", "陈公开", "disclosure_officer")
APPROVER = Actor("u-zhou", "周主任", "disclosure_approver")
CITIZEN = Principal.anonymous()
CLERK = Principal(subject="u-chen", name="陈公开", roles=frozenset({"disclosure_officer"}))


def at(d: date, hour: int = 10) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=OFFICE_TZ)


def submission(**overrides: Any) -> SubmitRequest:
    data: dict[str, Any] = {
        "applicant_type": "自然人",
        "applicant": {"name": "张三", "id_document_type": "居民身份证",
                      "id_document_number": "360902199001011234"},
        "contact": {"phone": "13907950000", "email": "zhangsan@example.cn",
                    "address": "江西省宜春市袁州区明月北路1号"},
        "information": {"description": "2025年度宜春市本级老旧小区改造项目清单及资金安排",
                        "document_name": "关于下达2025年城镇老旧小区改造计划的通知"},
        "form": "电子", "delivery": "电子邮件",
    }
    data.update(overrides)
    return SubmitRequest.model_validate(data)


def submitted(on: date, principal: Principal = CITIZEN, periods: Periods = PERIODS,
              **overrides: Any) -> InformationRequest:
    cmd = submission(**overrides)
    validate_submission(cmd, principal, on)
    change = submit(cmd, request_id="r-1", year=on.year, serial=1,
                          code_hash=codes.tracking_hash("ABCD-EFGH-JKMN-PQRS-TUVW"),
                          applicant_key="k", monthly_position=1, principal=principal,
                          now=at(on), periods=periods)
    return change.state


def correction(items: list[str] | None = None) -> RequestCorrection:
    return RequestCorrection(request_id="r-1", items=items or ["请明确所需信息的年度和项目名称"])


# --- the reply period (第三十一条, 第三十三条) -----------------------------------------


def test_twenty_working_days_across_the_2026_spring_festival_and_its_adjusted_saturdays():
    # Received Tuesday 10 February: 14 Feb (Sat) and 28 Feb (Sat) are 调休 working days,
    # 15–23 February are off.
    req = submitted(date(2026, 2, 10))
    assert req.received_on == date(2026, 2, 10)
    assert req.due_on == date(2026, 3, 16)


def test_twenty_working_days_across_national_day_2026_and_the_10_october_saturday():
    # Received Wednesday 23 September: 25 Sep (中秋) and 1–7 October are off, Saturday
    # 10 October is worked (调休) and counts.
    req = submitted(date(2026, 9, 23))
    assert req.due_on == date(2026, 10, 28)


def test_an_online_request_confirmed_at_once_on_a_saturday_is_received_that_saturday():
    # 第三十一条: online, the day both sides confirm; the platform confirms at once. Submitted
    # Saturday 7 March 2026, received that Saturday; day 1 is Monday 9 March:
    # 9–13 March days 1–5, 16–20 days 6–10, 23–27 days 11–15, 30 March–3 April days 16–20.
    req = submitted(date(2026, 3, 7))
    assert (req.submitted_on, req.received_on) == (date(2026, 3, 7), date(2026, 3, 7))
    assert req.status is RequestStatus.handling and req.due_on == date(2026, 4, 3)
    assert req.receipt_confirmation is not None
    assert req.receipt_confirmation.confirmed_by == "system"


def test_local_rules_may_move_a_weekend_receipt_to_the_next_working_day():
    # The office's setting (not the national rule): received Monday 9 March; day 1 is
    # 10 March: 10–13 March days 1–4, 16–20 → 9, 23–27 → 14, 30 March–3 April → 19;
    # 4–6 April (清明) are off, so 7 April is day 20.
    req = submitted(date(2026, 3, 7), periods=NEXT_WORKING_DAY)
    assert (req.submitted_on, req.received_on) == (date(2026, 3, 7), date(2026, 3, 9))
    assert req.due_on == date(2026, 4, 7)
    assert submitted(date(2026, 3, 9)).due_on == date(2026, 4, 7)
    assert submitted(date(2026, 10, 3), periods=NEXT_WORKING_DAY).received_on == date(2026, 10, 8)
    assert submitted(date(2026, 10, 3)).received_on == date(2026, 10, 3)


@pytest.mark.parametrize("channel", ["平常信函", "传真"])
def test_a_letter_or_fax_waits_unclocked_until_the_office_confirms_it(channel: str):
    # 第三十一条: 平常信函 — the day the office confirms with the applicant; 传真 — the day both
    # sides confirm. Until then: 待确认, no due date, no sweep alert.
    req = submitted(date(2026, 3, 6), CLERK, channel=channel)
    assert (req.status, req.due_on, req.next_alert_on) == (
        RequestStatus.awaiting_confirmation, None, None)
    assert sweep.due_alerts(req, at(date(2026, 6, 1)), PERIODS) is None
    with pytest.raises(GovbusError) as early:
        reply.reply(req, VALID_REPLIES[ReplyType.provided], OFFICER, at(date(2026, 3, 9)),
                    PERIODS)
    assert early.value.code is ErrorCode.invalid_transition
    change = confirm_receipt(req, date(2026, 3, 9), "电话与申请人确认", OFFICER,
                                   at(date(2026, 3, 9)), PERIODS)
    confirmed = change.state
    assert (confirmed.status, confirmed.received_on, confirmed.due_on) == (
        RequestStatus.handling, date(2026, 3, 9), date(2026, 4, 7))
    assert [e.spec.fact for e in change.events] == ["receipt_confirmed"]
    assert confirmed.notices[-1].kind == "受理回执"
    with pytest.raises(GovbusError) as twice:
        confirm_receipt(confirmed, date(2026, 3, 9), None, OFFICER, at(date(2026, 3, 9)),
                              PERIODS)
    assert twice.value.code is ErrorCode.invalid_transition
    with pytest.raises(GovbusError) as before:
        confirm_receipt(req, date(2026, 3, 5), None, OFFICER, at(date(2026, 3, 9)),
                              PERIODS)
    assert before.value.code is ErrorCode.validation_failed


def test_an_online_platform_that_does_not_confirm_by_itself_leaves_the_request_to_confirm():
    req = submitted(date(2026, 3, 7), periods=NO_AUTO_CONFIRM)
    assert (req.status, req.due_on) == (RequestStatus.awaiting_confirmation, None)
    confirmed = confirm_receipt(req, date(2026, 3, 9), None, OFFICER,
                                      at(date(2026, 3, 9)), NO_AUTO_CONFIRM).state
    assert (confirmed.received_on, confirmed.due_on) == (date(2026, 3, 9), date(2026, 4, 7))


def test_staff_may_enter_a_letter_already_confirmed_but_not_confirm_a_handed_in_one():
    req = submitted(date(2026, 3, 10), CLERK, channel="平常信函", submitted_on="2026-03-05",
                    confirmed_on="2026-03-06")
    assert (req.status, req.received_on) == (RequestStatus.handling, date(2026, 3, 6))
    with pytest.raises(GovbusError) as handed_in:
        validate_submission(submission(channel="当面", confirmed_on="2026-03-06"), CLERK,
                                  date(2026, 3, 10))
    assert handed_in.value.details["field"] == "confirmed_on"
    with pytest.raises(GovbusError) as citizen:
        validate_submission(submission(confirmed_on="2026-03-06"), CITIZEN,
                                  date(2026, 3, 10))
    assert citizen.value.code is ErrorCode.forbidden


def test_public_may_submit_only_online_and_today():
    with pytest.raises(GovbusError) as refused:
        validate_submission(submission(channel="邮寄"), CITIZEN, date(2026, 3, 9))
    assert refused.value.code is ErrorCode.forbidden
    staff = submission(channel="邮寄", submitted_on="2026-03-06")
    validate_submission(staff, CLERK, date(2026, 3, 9))
    req = submitted(date(2026, 3, 9), CLERK, channel="邮寄", submitted_on="2026-03-06")
    assert req.received_on == date(2026, 3, 6)  # signed for on a Friday


def test_a_request_needs_a_contact_and_an_organisation_its_credit_code():
    with pytest.raises(GovbusError) as no_contact:
        validate_submission(submission(contact={}, delivery="在线查看"), CITIZEN,
                                  date(2026, 3, 9))
    assert no_contact.value.code is ErrorCode.validation_failed
    with pytest.raises(GovbusError) as no_code:
        validate_submission(submission(
            applicant_type="商业企业", applicant={"name": "宜春某建材有限公司"}), CITIZEN,
            date(2026, 3, 9))
    assert no_code.value.details["field"] == "applicant.credit_code"
    validate_submission(submission(
        applicant_type="商业企业",
        applicant={"name": "宜春某建材有限公司", "credit_code": "91360902MA35XXXX0B",
                   "legal_representative": "李四"}), CITIZEN, date(2026, 3, 9))


# --- 补正 (第三十条) -------------------------------------------------------------------


def test_correction_notice_allowed_on_the_seventh_working_day_and_refused_on_the_eighth():
    # Received Monday 28 September: 29, 30 Sep, 8, 9, 10 (调休 Saturday), 12, 13 October.
    req = submitted(date(2026, 9, 28))
    assert correction_allowed_until(req.received_on, PERIODS) == date(2026, 10, 13)
    allowed = steps.request_correction(req, correction(), OFFICER, at(date(2026, 10, 13)),
                                       PERIODS).state
    assert allowed.status is RequestStatus.awaiting_correction
    assert allowed.due_on is None  # the clock stands still
    with pytest.raises(GovbusError) as late:
        steps.request_correction(req, correction(), OFFICER, at(date(2026, 10, 14)), PERIODS)
    assert late.value.code is ErrorCode.deadline_passed


def test_correction_notice_only_once():
    req = submitted(date(2026, 3, 9))
    noticed = steps.request_correction(req, correction(), OFFICER, at(date(2026, 3, 10)),
                                       PERIODS).state
    corrected = steps.correct(noticed, "所需信息为2025年度袁州区项目清单", date(2026, 3, 12),
                              OFFICER, at(date(2026, 3, 12)), PERIODS).state
    with pytest.raises(GovbusError) as again:
        steps.request_correction(corrected, correction(), OFFICER, at(date(2026, 3, 13)),
                                 PERIODS)
    assert again.value.code is ErrorCode.conflict


def test_the_clock_restarts_from_zero_when_the_completed_request_arrives():
    req = submitted(date(2026, 3, 9))
    noticed = steps.request_correction(req, correction(), OFFICER, at(date(2026, 3, 11)),
                                       PERIODS).state
    assert noticed.correction is not None
    assert noticed.correction.due_on == date(2026, 4, 1)  # 15 working days
    corrected = steps.correct(noticed, "补充: 袁州区", date(2026, 3, 20), OFFICER,
                              at(date(2026, 3, 20)), PERIODS).state
    assert corrected.status is RequestStatus.handling
    assert corrected.clock.started_on == date(2026, 3, 20)
    assert corrected.due_on == date(2026, 4, 20)  # 20 working days after 20 March
    assert corrected.received_on == date(2026, 3, 9)  # the report's date does not move
    assert [r.reason for r in corrected.clock.restarts] == ["收到补正后的申请, 答复期限重新计算"]
    # Completed on a Saturday: received that Saturday (第三十一条), day 1 the Monday after;
    # under local rules that move a weekend receipt, received the Monday.
    weekend = steps.correct(noticed, "补充", date(2026, 3, 21), OFFICER,
                            at(date(2026, 3, 21)), PERIODS).state
    assert (weekend.clock.started_on, weekend.due_on) == (date(2026, 3, 21), date(2026, 4, 20))
    local = steps.correct(noticed, "补充", date(2026, 3, 21), OFFICER,
                          at(date(2026, 3, 21)), NEXT_WORKING_DAY).state
    assert (local.clock.started_on, local.due_on) == (date(2026, 3, 23), date(2026, 4, 21))


def test_unanswered_correction_closes_the_request_as_abandoned():
    req = submitted(date(2026, 3, 9))
    noticed = steps.request_correction(req, correction(), OFFICER, at(date(2026, 3, 11)),
                                       PERIODS).state
    assert sweep.due_alerts(noticed, at(date(2026, 4, 1)), PERIODS) is None
    change = sweep.due_alerts(noticed, at(date(2026, 4, 2)), PERIODS)
    assert change is not None
    closed = change.state
    assert (closed.status, closed.closed_on, closed.outcome) == (
        RequestStatus.abandoned, date(2026, 4, 2), "其他处理")
    assert closed.outcome_reason == (
        "申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请")
    assert [e.spec.fact for e in change.events] == ["lapsed"]
    with pytest.raises(GovbusError) as late:
        steps.correct(noticed, "补充", date(2026, 4, 2), OFFICER, at(date(2026, 4, 2)),
                      PERIODS)
    assert late.value.code is ErrorCode.deadline_passed


# --- consultation (第三十二条) and extension (第三十三条) ------------------------------


def test_third_party_consultation_is_not_counted_across_national_day():
    req = submitted(date(2026, 9, 14))
    assert req.due_on == date(2026, 10, 16)
    consulting = steps.start_consultation(
        req, StartConsultation(request_id="r-1", third_party="宜春某建设工程有限公司",
                               matter="合同价款是否涉及商业秘密"),
        OFFICER, at(date(2026, 9, 24)), PERIODS).state
    assert consulting.status is RequestStatus.consulting and consulting.due_on is None
    assert consulting.consultations[0].answer_due_on == date(2026, 10, 22)  # 15 working days
    ended = steps.end_consultation(consulting, EndConsultation(
        request_id="r-1", answer="不同意公开", remarks="认为涉及商业秘密"), OFFICER,
        at(date(2026, 10, 9)), PERIODS).state
    # 9 working days used before the pause (14–24 Sep, Sunday 20 Sep worked); 11 left
    # from Saturday 10 October (调休).
    assert ended.due_on == date(2026, 10, 23)
    assert [p.kind for p in ended.clock.pauses] == ["征求第三方意见"]


def test_one_extension_only_of_at_most_twenty_working_days_by_the_approver():
    req = submitted(date(2026, 3, 9))
    with pytest.raises(GovbusError) as too_long:
        steps.extend(req, ExtendRequest(request_id="r-1", working_days=21, reason="需调取档案"),
                     APPROVER, at(date(2026, 3, 20)), PERIODS)
    assert too_long.value.code is ErrorCode.validation_failed
    change = steps.extend(req, ExtendRequest(request_id="r-1", working_days=20,
                                             reason="所需信息涉及多个部门, 需汇总"),
                          APPROVER, at(date(2026, 3, 20)), PERIODS)
    extended = change.state
    assert extended.due_on == CALENDAR.add_working_days(date(2026, 4, 7), 20)
    assert extended.extension is not None and extended.extension.approved_by == "周主任"
    assert extended.notices[-1].kind == "延长答复期限告知书"
    assert [e.spec.fact for e in change.events] == ["extended"]
    with pytest.raises(GovbusError) as twice:
        steps.extend(extended, ExtendRequest(request_id="r-1", working_days=1, reason="再延"),
                     APPROVER, at(date(2026, 3, 23)), PERIODS)
    assert twice.value.code is ErrorCode.conflict
    with pytest.raises(GovbusError) as after:
        steps.extend(req, ExtendRequest(request_id="r-1", working_days=5, reason="迟了"),
                     APPROVER, at(date(2026, 4, 8)), PERIODS)
    assert after.value.code is ErrorCode.deadline_passed


def test_reminder_before_and_overdue_after_the_deadline_each_once():
    req = submitted(date(2026, 3, 9))  # due 7 April
    early = sweep.due_alerts(req, at(date(2026, 3, 31)), PERIODS)
    assert early is None or not early.events
    # 3 working days before 7 April: 1 April (4–6 April are 清明).
    reminded = sweep.due_alerts(req, at(date(2026, 4, 1)), PERIODS)
    assert reminded is not None
    assert reminded.events[0].body.working_days_left == 3  # type: ignore[attr-defined]
    assert [e.event_id for e in reminded.events] == [
        reminder_event_id("r-1", date(2026, 4, 7))]
    again = sweep.due_alerts(reminded.state, at(date(2026, 4, 3)), PERIODS)
    assert again is None or not again.events
    overdue = sweep.due_alerts(reminded.state, at(date(2026, 4, 8)), PERIODS)
    assert overdue is not None
    assert [e.event_id for e in overdue.events] == [
        overdue_event_id("r-1", date(2026, 4, 7))]
    assert overdue.state.overdue_since == date(2026, 4, 8)
    assert sweep.due_alerts(overdue.state, at(date(2026, 4, 9)), PERIODS) is None


def consulting_from(on: date, request: InformationRequest | None = None
                    ) -> InformationRequest:
    req = request or submitted(date(2026, 3, 9))
    return steps.start_consultation(req, StartConsultation(
        request_id="r-1", third_party="宜春某建设工程有限公司", matter="合同价款是否涉及商业秘密"),
        OFFICER, at(on), PERIODS).state


def test_an_unanswered_consultation_resumes_the_clock_by_itself_and_goes_overdue():
    # Received 9 March (due 7 April). Consultation from Friday 13 March: 4 working days used
    # (10–13 March), 16 left. The third party's 15 working days end 3 April.
    consulting = consulting_from(date(2026, 3, 13))
    assert consulting.consultations[0].answer_due_on == date(2026, 4, 3)
    assert consulting.next_alert_on == date(2026, 4, 4)
    assert sweep.due_alerts(consulting, at(date(2026, 4, 3)), PERIODS) is None
    # The day after: the consultation ends as 逾期未答复 (system), the clock runs from 4 April;
    # 16 working days: 7–10 April → 4, 13–17 → 9, 20–24 → 14, 27, 28 April → 16.
    change = sweep.due_alerts(consulting, at(date(2026, 4, 7)), PERIODS)
    assert change is not None
    resumed = change.state
    assert resumed.status is RequestStatus.handling and resumed.due_on == date(2026, 4, 28)
    last = resumed.consultations[-1]
    assert (last.answer, last.ended_on) == ("逾期未答复", date(2026, 4, 3))
    assert [e.spec.fact for e in change.events] == ["consultation_ended"]
    assert change.events[0].event_id == consultation_lapsed_event_id(
        "r-1", date(2026, 4, 3))
    assert change.events[0].body.by_system is True  # type: ignore[attr-defined]
    assert resumed.history[-1].by == "system"
    # From now on like any other request: reminded 3 working days before, then overdue.
    reminded = sweep.due_alerts(resumed, at(date(2026, 4, 23)), PERIODS)
    assert reminded is not None and [e.spec.fact for e in reminded.events] == ["reminded"]
    overdue = sweep.due_alerts(reminded.state, at(date(2026, 4, 29)), PERIODS)
    assert overdue is not None and [e.spec.fact for e in overdue.events] == ["overdue"]
    assert overdue.state.overdue_since == date(2026, 4, 29)


def test_a_consultation_found_lapsed_late_is_reminded_and_overdue_in_the_same_pass():
    consulting = consulting_from(date(2026, 3, 13))
    change = sweep.due_alerts(consulting, at(date(2026, 5, 6)), PERIODS)
    assert change is not None
    assert [e.spec.fact for e in change.events] == ["consultation_ended", "overdue"]
    assert change.state.overdue_since == date(2026, 4, 29)


def test_staff_recording_no_answer_resume_from_the_end_of_the_third_partys_period():
    consulting = consulting_from(date(2026, 3, 13))
    ended = steps.end_consultation(consulting, EndConsultation(
        request_id="r-1", answer="逾期未答复"), OFFICER, at(date(2026, 4, 8)), PERIODS).state
    assert ended.due_on == date(2026, 4, 28)


def test_withholding_for_a_third_party_needs_a_consultation_or_a_reason_why_none():
    req = submitted(date(2026, 3, 9))
    withheld = answer("不予公开", "不予公开", "保护第三方合法权益",
                      reason="涉及第三方商业秘密 (第十五条)")
    with pytest.raises(GovbusError) as unconsulted:
        reply.reply(req, withheld, OFFICER, at(date(2026, 3, 20)), PERIODS)
    assert unconsulted.value.details["field"] == "no_consultation_reason"
    excused = answer("不予公开", "不予公开", "保护第三方合法权益", reason="涉及第三方商业秘密",
                     no_consultation_reason="第三方已注销, 无法联系")
    closed = reply.reply(req, excused, OFFICER, at(date(2026, 3, 20)), PERIODS).state
    assert closed.reply is not None
    assert closed.reply.no_consultation_reason == "第三方已注销, 无法联系"
    consulted = steps.end_consultation(consulting_from(date(2026, 3, 13), req), EndConsultation(
        request_id="r-1", answer="不同意公开"), OFFICER, at(date(2026, 3, 18)), PERIODS).state
    assert reply.reply(consulted, withheld, OFFICER, at(date(2026, 3, 20)),
                       PERIODS).state.status is RequestStatus.replied


def test_disclosing_over_an_objection_records_the_written_notice_to_the_third_party():
    req = submitted(date(2026, 3, 9))
    objected = steps.end_consultation(consulting_from(date(2026, 3, 13), req), EndConsultation(
        request_id="r-1", answer="不同意公开", remarks="认为涉及商业秘密"), OFFICER,
        at(date(2026, 3, 18)), PERIODS).state
    released = answer("予以提供", "予以公开")
    with pytest.raises(GovbusError) as no_notice:
        reply.reply(objected, released, OFFICER, at(date(2026, 3, 20)), PERIODS)
    assert no_notice.value.details["field"] == "third_party_notice"
    notice = {"sent_on": "2026-03-20",
              "text": "经审查, 合同价款不属于商业秘密, 不公开会对公共利益造成重大影响, "
                      "决定予以公开。"}
    change = reply.reply(objected, answer("予以提供", "予以公开", third_party_notice=notice),
                         OFFICER, at(date(2026, 3, 20)), PERIODS)
    assert change.state.reply is not None
    assert change.state.reply.third_party_notice is not None
    assert change.state.reply.third_party_notice.sent_on == date(2026, 3, 20)
    replied = change.events[0].body
    assert replied.third_party_notice.text.startswith("经审查")  # type: ignore[attr-defined]
    # Withholding the objected part (第三十七条) honours the objection: no notice needed.
    reply.reply(objected, VALID_REPLIES[ReplyType.provided], OFFICER, at(date(2026, 3, 20)),
                PERIODS)
    with pytest.raises(GovbusError) as stray:
        reply.check_reply(answer("政府信息不存在", "无法提供", "本机关不掌握相关政府信息",
                                 reason="x", third_party_notice=notice))
    assert stray.value.details["field"] == "third_party_notice"


# --- the reply (第三十六条, 第三十七条, 第三十九条) ------------------------------------


def answer(reply_type: str, outcome: str, outcome_reason: str | None = None, **extra: Any
           ) -> ReplyToRequest:
    return ReplyToRequest.model_validate({
        "request_id": "r-1", "reply_type": reply_type, "outcome": outcome,
        "outcome_reason": outcome_reason, "text": "经检索, 现答复如下……", **extra})


VALID_REPLIES = {
    ReplyType.already_public: answer(
        "已主动公开", "予以公开",
        published_at="宜春市人民政府门户网站 政府信息公开 专栏 2026-02-01"),
    ReplyType.provided: answer("予以提供", "部分公开", withheld=[{
        "part": "项目承建单位的银行账户信息", "reason": "保护第三方合法权益",
        "legal_basis": "第十五条"}]),
    ReplyType.not_provided: answer("不予公开", "不予公开", "属于四类过程性信息",
                                   reason="所申请信息为讨论中的方案, 属于过程性信息"),
    ReplyType.not_exist: answer("政府信息不存在", "无法提供", "本机关不掌握相关政府信息",
                                reason="经检索, 本机关未制作或获取该信息"),
    ReplyType.not_held: answer("非本机关掌握", "无法提供", "本机关不掌握相关政府信息",
                               reason="该信息由市住房和城乡建设局制作",
                               holder_name="宜春市住房和城乡建设局",
                               holder_contact="0795-3999999"),
    ReplyType.repeat: answer("重复申请", "不予处理", "重复申请", reason="已于2026年3月答复"),
    ReplyType.special_procedure: answer("按其他法律法规办理", "其他处理", "其他",
                                        other_law="不动产登记暂行条例"),
    ReplyType.not_processed: answer("不予处理", "不予处理", "信访举报投诉类申请",
                                    reason="所提事项属于投诉", matter_kind="投诉"),
}


@pytest.mark.parametrize("reply_type", list(ReplyType))
def test_every_reply_type_has_a_valid_form(reply_type: ReplyType):
    reply.check_reply(VALID_REPLIES[reply_type])


@pytest.mark.parametrize("bad, field", [
    (answer("予以提供", "不予公开", "属于国家秘密", reason="x"), "outcome"),
    (answer("予以提供", "部分公开"), "withheld"),
    (answer("予以提供", "予以公开", "属于国家秘密"), "outcome_reason"),
    (answer("予以提供", "予以公开", withheld=[{"part": "x", "reason": "属于国家秘密",
                                          "legal_basis": "第十四条"}]), "withheld"),
    (answer("予以提供", "部分公开", withheld=[{"part": "个人住址", "reason": "保护第三方合法权益",
                                          "legal_basis": "第十四条"}]), "withheld.0.legal_basis"),
    (answer("不予公开", "不予公开", reason="涉密"), "outcome_reason"),
    (answer("不予公开", "不予公开", "属于国家秘密"), "reason"),
    (answer("已主动公开", "予以公开"), "published_at"),
    (answer("非本机关掌握", "无法提供", "本机关不掌握相关政府信息", reason="x"), "holder_name"),
    (answer("政府信息不存在", "不予处理", "重复申请", reason="x"), "outcome"),
    (answer("按其他法律法规办理", "其他处理", "其他"), "other_law"),
    (answer("不予处理", "不予处理", "信访举报投诉类申请", reason="投诉"), "matter_kind"),
    (answer("不予处理", "不予处理", "重复申请", reason="x"), "outcome_reason"),
    (answer("不予处理", "不予处理", "要求提供公开出版物", reason="x", matter_kind="信访"),
     "matter_kind"),
])
def test_inconsistent_replies_are_refused(bad: ReplyToRequest, field: str):
    with pytest.raises(GovbusError) as refused:
        reply.check_reply(bad)
    assert refused.value.code is ErrorCode.validation_failed
    assert refused.value.details["field"] == field


def test_not_held_without_a_determinable_holder_needs_no_name():
    reply.check_reply(answer("非本机关掌握", "无法提供", "本机关不掌握相关政府信息",
                             reason="无法确定负责公开的机关", holder_determinable=False))


def test_partial_release_closes_the_request_with_the_report_fields():
    req = submitted(date(2026, 3, 9))
    change = reply.reply(req, VALID_REPLIES[ReplyType.provided], OFFICER,
                         at(date(2026, 3, 27)), PERIODS)
    closed = change.state
    stored = closed.model_dump(mode="json")
    assert {k: stored[k] for k in ("status", "closed_on", "outcome", "outcome_reason",
                                   "reply_type", "received_on", "applicant_type")} == {
        "status": "已答复", "closed_on": "2026-03-27", "outcome": "部分公开",
        "outcome_reason": None, "reply_type": "予以提供", "received_on": "2026-03-09",
        "applicant_type": "自然人"}
    assert closed.reply is not None and closed.reply.on_time
    view = views.tracking(closed)
    assert view.reply is not None and view.reply.withheld[0].legal_basis == "第十五条"
    with pytest.raises(GovbusError) as twice:
        reply.reply(closed, VALID_REPLIES[ReplyType.provided], OFFICER, at(date(2026, 3, 27)),
                    PERIODS)
    assert twice.value.code is ErrorCode.invalid_transition


def test_a_complaint_is_answered_not_processed_and_referred_without_the_applicant():
    req = submitted(date(2026, 3, 9))
    change = reply.reply(req, VALID_REPLIES[ReplyType.not_processed], OFFICER,
                         at(date(2026, 3, 10)), PERIODS)
    assert [e.spec.fact for e in change.events] == ["replied", "referred"]
    referred = change.events[1].body.model_dump_json()
    assert "老旧小区" in referred  # the matter as described
    for personal in ("张三", "13907950000", "zhangsan@example.cn", "360902199001011234",
                     "明月北路"):
        assert personal not in referred


def test_a_step_while_the_clock_is_paused_is_out_of_order():
    req = submitted(date(2026, 3, 9))
    noticed = steps.request_correction(req, correction(), OFFICER, at(date(2026, 3, 10)),
                                       PERIODS).state
    with pytest.raises(GovbusError) as refused:
        reply.reply(noticed, VALID_REPLIES[ReplyType.provided], OFFICER, at(date(2026, 3, 11)),
                    PERIODS)
    assert refused.value.code is ErrorCode.invalid_transition


# --- fees (国办函〔2020〕109号) --------------------------------------------------------


def test_fee_tiers_ten_free_then_100_then_rising_by_band():
    assert [fee_for(n) for n in (1, 10)] == [0, 0]
    assert [fee_for(n) for n in (11, 20, 30)] == [100, 100, 100]
    assert [fee_for(n) for n in (31, 40, 41, 50, 51)] == [200, 200, 300, 300, 400]
    assert month_total(10) == 0
    assert month_total(30) == 2000
    assert month_total(35) == 3000
    assert fee_for(12, FeeSchedule(free_per_month=15)) == 0


def test_a_fee_notice_stops_the_clock_until_payment_and_only_beyond_the_free_volume():
    req = submitted(date(2026, 3, 9))
    with pytest.raises(GovbusError) as free:
        steps.issue_fee(req, 10, None, OFFICER, at(date(2026, 3, 10)), PERIODS)
    assert free.value.code is ErrorCode.validation_failed
    noticed = steps.issue_fee(req, 11, None, OFFICER, at(date(2026, 3, 10)), PERIODS).state
    assert noticed.status is RequestStatus.awaiting_fee and noticed.fee is not None
    assert (noticed.fee.amount, noticed.due_on) == (100, None)
    paid = steps.pay_fee(noticed, date(2026, 3, 17), OFFICER, at(date(2026, 3, 17)),
                         PERIODS).state
    # 1 working day used (10 March), 19 left after 17 March.
    assert paid.due_on == CALENDAR.add_working_days(date(2026, 3, 17), 19)
    unpaid = sweep.due_alerts(noticed, at(CALENDAR.add_working_days(noticed.fee.due_on, 1)),
                              PERIODS)
    assert unpaid is not None and unpaid.state.status is RequestStatus.fee_unpaid
    assert unpaid.state.outcome_reason == (
        "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请")


def test_the_same_applicant_is_recognised_by_id_number_whatever_the_contact():
    a = applicant_key("自然人", id_number="360902199001011234", credit_code=None,
                      email="a@x.cn", phone=None, name="张三")
    b = applicant_key("自然人", id_number=" 360902199001011234 ", credit_code=None,
                      email="b@y.cn", phone="139", name="张三")
    assert a == b and "360902" not in a


# --- tracking codes and personal data --------------------------------------------------


def test_tracking_code_is_long_stable_per_request_and_stored_only_as_a_hash():
    key = b"k" * 32
    code = codes.tracking_code(key, "r-1")
    assert len(codes.normalise_code(code)) == 20
    assert code == codes.tracking_code(key, "r-1") != codes.tracking_code(key, "r-2")
    assert codes.tracking_code(b"other" * 8, "r-1") != code
    assert codes.tracking_hash(code.lower().replace("-", " ")) == codes.tracking_hash(code)
    req = submitted(date(2026, 3, 9))
    assert "ABCD" not in str(req.model_dump(mode="json")["tracking_hash"])


PERSONAL = {"name", "applicant", "contact", "phone", "email", "address", "postal_code",
            "id_document_type", "id_document_number", "credit_code", "legal_representative",
            "contact_person", "tracking_code", "tracking_hash", "applicant_key"}


def _field_names(model: type[BaseModel]) -> set[str]:
    names: set[str] = set()
    for name, info in model.model_fields.items():
        names.add(name)
        for arg in [info.annotation, *typing.get_args(info.annotation)]:
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                names |= _field_names(arg)
    return names


def test_no_request_event_has_a_field_for_personal_data():
    specs = [e for e in CONTRACT.events if e.entity == "request"]
    assert {e.fact for e in specs} >= {
        "received", "correction_requested", "corrected", "consultation_started",
        "consultation_ended", "extended", "fee_requested", "fee_paid", "replied", "withdrawn",
        "reminded", "overdue", "referred", "lapsed"}
    for spec in specs:
        assert not (_field_names(spec.model) & PERSONAL), spec.subject


def test_events_of_a_whole_walk_carry_no_personal_values():
    req = submitted(date(2026, 9, 14))
    events = []
    for step in (
        lambda r: steps.request_correction(r, correction(), OFFICER, at(date(2026, 9, 15)),
                                           PERIODS),
        lambda r: steps.correct(r, "补充", date(2026, 9, 16), OFFICER, at(date(2026, 9, 16)),
                                PERIODS),
        lambda r: steps.start_consultation(r, StartConsultation(
            request_id="r-1", third_party="某公司", matter="是否同意公开"), OFFICER,
            at(date(2026, 9, 17)), PERIODS),
        lambda r: steps.end_consultation(r, EndConsultation(request_id="r-1", answer="同意公开"),
                                         OFFICER, at(date(2026, 9, 18)), PERIODS),
        lambda r: steps.extend(r, ExtendRequest(request_id="r-1", working_days=10,
                                                reason="需汇总"), APPROVER,
                               at(date(2026, 9, 21)), PERIODS),
        lambda r: reply.reply(r, VALID_REPLIES[ReplyType.provided], OFFICER,
                              at(date(2026, 9, 22)), PERIODS),
    ):
        change = step(req)
        req = change.state
        events += change.events
    assert [e.spec.fact for e in events] == [
        "correction_requested", "corrected", "consultation_started", "consultation_ended",
        "extended", "replied"]
    for e in events:
        body = e.body.model_dump_json()
        for personal in ("张三", "13907950000", "zhangsan@example.cn", "360902199001011234",
                         "明月北路"):
            assert personal not in body, (e.spec.fact, body)
