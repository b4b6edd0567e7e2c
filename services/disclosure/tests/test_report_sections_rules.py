"""The annual report's text parts (第一、五、六部分, 国办公开办函〔2021〕30号) and its own deadline
(第四十九条), without servers: drafts from the figures the service holds (信息处理费 from the fee
records), edits kept with their reasons, the 31 January / 31 March deadline reminded and
announced overdue once, and the parts in the workbook."""

from __future__ import annotations

from datetime import UTC, date, datetime
from io import BytesIO

import pytest
from openpyxl import load_workbook

from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.disclosure.common import ApplicantType, Outcome
from govbus_contracts.services.disclosure.report import (
    EditReportSection,
    ReportLevel,
    ReportSectionKey,
)
from govbus_disclosure.domain import report_record as rules
from govbus_disclosure.domain.report import (
    EnteredFigures,
    RequestRecord,
    annual_report,
    request_record,
)
from govbus_disclosure.spreadsheet import workbook_bytes
from govbus_kit.calendar import WorkingCalendar
from govbus_kit.clock import OFFICE_TZ

CAL = WorkingCalendar()
NOW = datetime(2027, 1, 15, 2, 0, tzinfo=UTC)


def at(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 10, tzinfo=OFFICE_TZ)


def paying(n: int, received: str, amount: int, notice: str, paid: str | None
           ) -> RequestRecord:
    d = date.fromisoformat
    return RequestRecord(
        id=f"r{n}", applicant_type=ApplicantType.natural_person.value,
        received_on=d(received), closed_on=d(paid) if paid else None,
        outcome=Outcome.released.value if paid else None, outcome_reason=None,
        fee_amount=amount, fee_notice_on=d(notice), fee_paid_on=d(paid) if paid else None)


def section(report: object, key: ReportSectionKey) -> object:
    return next(s for s in report.sections if s.key is key)  # type: ignore[attr-defined]


def test_part_six_is_drafted_with_the_fees_collected_from_the_fee_records():
    requests = [
        paying(1, "2026-03-02", 100, "2026-03-03", "2026-03-10"),
        paying(2, "2026-03-02", 200, "2026-03-03", "2026-03-12"),
        paying(3, "2026-12-28", 100, "2026-12-29", "2027-01-04"),  # paid next year
        paying(4, "2026-05-06", 100, "2026-05-07", None),  # unpaid
    ]
    r = annual_report(2026, requests=requests, catalogue=[], review_cases=[],
                      figures=EnteredFigures(), generated_at=NOW)
    assert [s.key for s in r.sections] == list(ReportSectionKey)
    six = r.sections[2]
    figures = {f.key: f.value for f in six.figures}
    assert figures == {"fee_notices": 4, "fees_collected": 2, "fees_collected_amount": 300}
    assert not six.edited and "收取信息处理费2件, 共计300元" in six.text
    one = {f.key: f.value for f in r.sections[0].figures}
    assert (one["requests_new"], one["requests_closed"], one["requests_carried_forward"]) == (
        4, 2, 2)


def test_the_request_record_reads_the_fee_and_the_overdue_day():
    record = request_record({
        "_id": "r1", "applicant_type": "自然人", "received_on": "2026-03-02",
        "overdue_since": "2026-04-01",
        "fee": {"amount": 100, "notice_on": "2026-03-03", "paid_on": "2026-03-10",
                "monthly_position": 11, "due_on": "2026-03-31"}})
    assert (record.fee_amount, record.fee_paid_on, record.overdue_since) == (
        100, date(2026, 3, 10), date(2026, 4, 1))


def test_an_edited_part_replaces_the_draft_and_keeps_its_figures():
    record = rules.new_record(2026, ReportLevel.department, CAL, 3)
    edit = EditReportSection(year=2026, section=ReportSectionKey.problems,
                             text="一是部分栏目更新不及时; 二是依申请公开答复质量有待提高。")
    change = rules.edit_section(record, edit, "u-chen", "陈公开", NOW)
    assert [e.spec.fact for e in change.events] == ["section_edited"]
    r = annual_report(2026, requests=[], catalogue=[], review_cases=[],
                      figures=EnteredFigures(), generated_at=NOW, edits=change.state.edits)
    five = r.sections[1]
    assert (five.edited, five.version, five.edited_by) == (True, 1, "陈公开")
    assert five.text.startswith("一是部分栏目") and five.figures
    with pytest.raises(GovbusError) as no_reason:
        rules.edit_section(change.state, edit, "u-chen", "陈公开", NOW)
    assert no_reason.value.details["field"] == "reason"
    again = rules.edit_section(change.state, edit.model_copy(update={"reason": "补充"}),
                               "u-chen", "陈公开", NOW).state
    assert [e.version for e in again.edits] == [1, 2]


def test_the_deadline_is_31_january_for_a_department_and_31_march_for_the_government():
    assert rules.report_due(2026, ReportLevel.department) == date(2027, 1, 31)
    assert rules.report_due(2026, ReportLevel.government) == date(2027, 3, 31)


def test_the_report_is_reminded_before_its_deadline_and_overdue_after_it_each_once():
    record = rules.new_record(2026, ReportLevel.department, CAL, 3)
    # 31 January 2027 is a Sunday; 3 working days before it: Wednesday 27 January.
    assert record.next_alert_on == date(2027, 1, 27)
    assert rules.due_alerts(record, at(date(2027, 1, 26)), CAL, 3) is None
    reminded = rules.due_alerts(record, at(date(2027, 1, 27)), CAL, 3)
    assert reminded is not None
    assert [e.event_id for e in reminded.events] == [
        rules.reminder_event_id(2026, date(2027, 1, 31))]
    assert rules.due_alerts(reminded.state, at(date(2027, 1, 29)), CAL, 3) is None
    overdue = rules.due_alerts(reminded.state, at(date(2027, 2, 1)), CAL, 3)
    assert overdue is not None
    assert [e.event_id for e in overdue.events] == [
        rules.overdue_event_id(2026, date(2027, 1, 31))]
    assert overdue.state.overdue_since == date(2027, 2, 1)
    assert overdue.state.next_alert_on is None
    assert rules.due_alerts(overdue.state, at(date(2027, 2, 2)), CAL, 3) is None


def test_a_published_report_is_no_longer_swept_and_says_whether_it_was_on_time():
    record = rules.new_record(2026, ReportLevel.government, CAL, 3)
    change = rules.publish(record, date(2027, 3, 30), "市政府门户网站政府信息公开专栏",
                           at(date(2027, 3, 30)), CAL, 3)
    assert change.events[0].body.on_time is True  # type: ignore[attr-defined]
    assert change.state.next_alert_on is None
    assert rules.due_alerts(change.state, at(date(2027, 4, 2)), CAL, 3) is None
    with pytest.raises(GovbusError) as twice:
        rules.publish(change.state, date(2027, 3, 30), "x", at(date(2027, 3, 30)), CAL, 3)
    assert twice.value.code is ErrorCode.conflict
    with pytest.raises(GovbusError) as same_year:
        rules.publish(record, date(2026, 12, 30), "x", at(date(2027, 3, 30)), CAL, 3)
    assert same_year.value.code is ErrorCode.validation_failed


def test_the_workbook_has_the_text_parts_in_the_templates_order():
    r = annual_report(2026, requests=[paying(1, "2026-03-02", 100, "2026-03-03", "2026-03-10")],
                      catalogue=[], review_cases=[], figures=EnteredFigures(),
                      generated_at=NOW)
    wb = load_workbook(BytesIO(workbook_bytes(r)))
    assert [name[:2] for name in wb.sheetnames[:6]] == [
        "一、", "二、", "三、", "四、", "五、", "六、"]
    six = wb["六、其他需要报告的事项"]
    assert "共计100元" in six["A2"].value
    assert [six["A8"].value, six["B8"].value, six["C8"].value] == ["收取信息处理费金额", 100, "元"]
