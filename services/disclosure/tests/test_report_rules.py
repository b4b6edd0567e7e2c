"""The annual report's rules on hand-built records (no servers): which year a request, an
entry or a case counts in, every row of 第三部分, and every consistency check."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from io import BytesIO
from typing import Any

import pytest
from openpyxl import load_workbook

from govbus_contracts.services.disclosure.common import (
    NORMATIVE_DOCUMENT,
    OUTCOME_REASONS,
    REGULATION,
    ApplicantType,
    NotProcessedReason,
    OtherReason,
    Outcome,
    ReviewKind,
    ReviewResult,
    UnableReason,
    WithholdReason,
)
from govbus_contracts.services.disclosure.report import (
    AnnualReport,
    RecordReviewCase,
    UpdateReviewCase,
)
from govbus_disclosure.domain.report import (
    BadRecord,
    CatalogueRecord,
    EnteredFigures,
    RequestRecord,
    ReviewCaseRecord,
    annual_report,
    catalogue_record,
    reason_key,
    report_filename,
    request_record,
    request_table,
)
from govbus_disclosure.spreadsheet import (
    SHEET_PROACTIVE,
    SHEET_REQUESTS,
    SHEET_REVIEWS,
    workbook_bytes,
)

NOW = datetime(2027, 1, 15, 2, 0, tzinfo=UTC)
P = ApplicantType.natural_person
B = ApplicantType.business
R = ApplicantType.research
L = ApplicantType.legal_service


def req(n: int, kind: ApplicantType | str, received: str, closed: str | None = None,
        outcome: Outcome | None = None, reason: Any = None) -> RequestRecord:
    return RequestRecord(
        id=f"r{n}", applicant_type=kind.value if isinstance(kind, ApplicantType) else kind,
        received_on=date.fromisoformat(received),
        closed_on=date.fromisoformat(closed) if closed else None,
        outcome=outcome.value if outcome else None,
        outcome_reason=reason.value if reason is not None else None)


def entry(n: int, category: str, published: str | None, *, late: bool = False,
          due: str | None = None, withdrawn: str | None = None,
          repealed: str | None = None, written: str | None = None,
          normative: bool = False) -> CatalogueRecord:
    d = date.fromisoformat
    return CatalogueRecord(
        id=f"e{n}", category=category, published_on=d(published) if published else None,
        late=late, due_on=d(due) if due else None, withdrawn_on=d(withdrawn) if withdrawn else None,
        repealed_on=d(repealed) if repealed else None,
        issued_on=d(written) if written else None, normative=normative)


def case(n: int, kind: ReviewKind, filed: str, result: ReviewResult = ReviewResult.pending,
         concluded: str | None = None) -> ReviewCaseRecord:
    return ReviewCaseRecord(id=f"c{n}", kind=kind, filed_on=date.fromisoformat(filed),
                            result=result,
                            concluded_on=date.fromisoformat(concluded) if concluded else None)


def report(year: int, requests: list[RequestRecord] = (), catalogue: list[CatalogueRecord] = (),
           cases: list[ReviewCaseRecord] = (), figures: EnteredFigures | None = None
           ) -> AnnualReport:
    return annual_report(year, requests=list(requests), catalogue=list(catalogue),
                         review_cases=list(cases), figures=figures or EnteredFigures(),
                         generated_at=NOW, category_order=["政府文件", REGULATION,
                                                           NORMATIVE_DOCUMENT])


def row(r: AnnualReport, key: str) -> dict[str, int]:
    return next(x.counts.model_dump() for x in r.requests if x.key == key)


def check(r: AnnualReport, rule: str) -> Any:
    return next(c for c in r.checks if c.rule == rule)


# --- 第三部分: which year a request counts in -------------------------------------------------


def test_request_spanning_new_year_is_carried_forward_then_carried_over():
    spanning = req(1, P, "2025-12-30", "2026-01-08", Outcome.released)
    r2025, r2026 = report(2025, [spanning]), report(2026, [spanning])
    assert row(r2025, "new")["natural_person"] == 1
    assert row(r2025, "total")["total"] == 0
    assert row(r2025, "carried_forward")["natural_person"] == 1
    assert row(r2026, "new")["total"] == 0
    assert row(r2026, "carried_over")["natural_person"] == 1
    assert row(r2026, "released")["natural_person"] == 1
    assert row(r2026, "carried_forward")["total"] == 0
    assert r2025.consistent and r2026.consistent
    assert r2026.carried_over_matches_previous_year
    assert r2026.previous_year_carried_forward.natural_person == 1


def test_request_closed_on_the_last_day_of_the_year_is_not_carried_forward():
    closed = req(1, B, "2026-12-01", "2026-12-31", Outcome.released)
    r = report(2026, [closed])
    assert row(r, "carried_forward")["total"] == 0
    assert row(r, "released")["business"] == 1
    assert report(2027, [closed]).requests[1].counts.total == 0  # not 上年结转 in 2027


def test_open_request_is_carried_forward_every_year_until_closed():
    open_request = req(1, R, "2025-06-02")
    for year in (2025, 2026, 2027):
        r = report(year, [open_request])
        assert row(r, "carried_forward")["research"] == 1
        assert row(r, "total")["total"] == 0
        assert r.consistent
    assert row(report(2025, [open_request]), "new")["research"] == 1
    assert row(report(2026, [open_request]), "carried_over")["research"] == 1
    assert row(report(2024, [open_request]), "carried_forward")["total"] == 0


def test_request_received_and_closed_before_the_year_does_not_count():
    old = req(1, P, "2024-03-01", "2024-03-20", Outcome.released)
    r = report(2026, [old])
    assert all(x.counts.total == 0 for x in r.requests)


@pytest.mark.parametrize(("outcome", "reason"), [
    (Outcome.released, None), (Outcome.partly_released, None),
    *[(o, m) for o, reasons in OUTCOME_REASONS.items() if reasons for m in reasons],
])
def test_each_outcome_and_reason_has_its_row(outcome, reason):
    r = report(2026, [req(1, L, "2026-03-02", "2026-03-20", outcome, reason)])
    assert row(r, outcome.name)["legal_service"] == 1
    assert row(r, outcome.name)["legal_persons"] == 1
    if reason is not None:
        assert row(r, reason_key(outcome, reason))["legal_service"] == 1
        others = [x for x in r.requests if x.level == 2 and x.key != reason_key(outcome, reason)]
        assert all(x.counts.total == 0 for x in others)
    assert row(r, "total")["total"] == 1
    assert r.consistent, [c for c in r.checks if not c.passed]


def test_rows_follow_the_template():
    r = report(2026)
    labels = [x.label for x in r.requests]
    assert labels[:4] == ["一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量",
                          "（一）予以公开",
                          "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"]
    assert labels[4:13] == ["（三）不予公开"] + [f"{i}.{m.value}" for i, m in
                                                 enumerate(WithholdReason, 1)]
    assert labels[13:17] == ["（四）无法提供"] + [f"{i}.{m.value}" for i, m in
                                                  enumerate(UnableReason, 1)]
    assert labels[17:23] == ["（五）不予处理"] + [f"{i}.{m.value}" for i, m in
                                                  enumerate(NotProcessedReason, 1)]
    assert labels[23:27] == ["（六）其他处理"] + [f"{i}.{m.value}" for i, m in
                                                  enumerate(OtherReason, 1)]
    assert labels[27:] == ["（七）总计", "四、结转下年度继续办理"]


def mixed_year() -> list[RequestRecord]:
    return [
        req(1, P, "2025-12-30", "2026-01-08", Outcome.released),
        req(2, B, "2025-11-03"),  # open through 2026
        req(3, R, "2026-02-02", "2026-02-27", Outcome.withheld, WithholdReason.third_party),
        req(4, ApplicantType.public_interest, "2026-04-01", "2026-04-29", Outcome.unable,
            UnableReason.not_held),
        req(5, L, "2026-05-06", "2026-05-07", Outcome.not_processed, NotProcessedReason.petition),
        req(6, ApplicantType.other, "2026-06-01", "2026-07-20", Outcome.other,
            OtherReason.no_correction),
        req(7, P, "2026-12-28"),  # carried forward
        req(8, P, "2026-12-29", "2027-01-05", Outcome.partly_released),
        req(9, B, "2026-03-03", "2026-03-30", Outcome.partly_released),
    ]


def test_legal_persons_are_the_five_and_total_is_all():
    r = report(2026, mixed_year())
    new = row(r, "new")
    assert new == {"natural_person": 2, "business": 1, "research": 1, "public_interest": 1,
                   "legal_service": 1, "other": 1, "legal_persons": 5, "total": 7}
    assert row(r, "carried_over") == {**dict.fromkeys(new, 0), "natural_person": 1,
                                      "business": 1, "legal_persons": 1, "total": 2}
    assert row(r, "total")["total"] == 6
    assert row(r, "carried_forward")["total"] == 3  # 2 (business), 7, 8
    assert row(r, "withheld") == row(r, reason_key(Outcome.withheld, WithholdReason.third_party))
    for rule in ("balance", "results_total", "legal_persons", "total_column",
                 "reasons.withheld", "reasons.unable", "reasons.not_processed",
                 "reasons.other", "carried_over_previous_year"):
        assert check(r, rule).passed, rule
    assert r.consistent and r.carried_over_matches_previous_year


def test_an_unknown_reason_fails_the_subtotal_check_with_its_numbers():
    bad = req(1, P, "2026-02-02", "2026-02-20", Outcome.withheld, None)
    r = report(2026, [bad])
    failed = check(r, "reasons.withheld")
    assert not failed.passed and not r.consistent
    cell = next(d for d in failed.disagreements if d.where.endswith("/ 自然人"))
    assert (cell.expected, cell.actual) == (0, 1)
    assert [p.record_id for p in r.problems] == ["r1"]
    assert check(r, "balance").passed  # it is still counted as closed


def test_an_unknown_applicant_type_fails_the_column_checks():
    r = report(2026, [req(1, "外国人", "2026-02-02")])
    assert not check(r, "legal_persons").passed  # counted as 法人或其他组织, in none of the five
    assert check(r, "total_column").passed
    assert not r.consistent


def test_a_closed_unknown_outcome_fails_the_results_total():
    r = report(2026, [RequestRecord("r1", P.value, date(2026, 2, 2), date(2026, 2, 3),
                                    "撤销", None)])
    assert not check(r, "results_total").passed
    assert r.problems[0].record_id == "r1"


def test_problems_are_counted_and_the_first_hundred_listed():
    closed = [RequestRecord(f"r{i}", P.value, date(2026, 2, 2), date(2026, 2, 3), "撤销", None)
              for i in range(150)]
    r = report(2026, closed)
    assert r.problem_count == 150 and len(r.problems) == 100


def test_request_record_reads_the_stored_contract():
    stored = {"_id": "q1", "applicant_type": "自然人", "received_on": "2026-03-02",
              "closed_on": None, "outcome": None, "outcome_reason": None, "status": "办理中",
              "applicant": {"name": "张三", "phone": "13800000000"}}
    record = request_record(stored)
    assert record == RequestRecord("q1", "自然人", date(2026, 3, 2), None, None, None)
    assert request_record({**stored, "received_on": datetime(2026, 3, 2, 1)}).received_on == \
        date(2026, 3, 2)
    with pytest.raises(BadRecord):
        request_record({**stored, "received_on": None})
    with pytest.raises(BadRecord):
        request_record({**stored, "closed_on": "2026-03-01"})


# --- 第二部分 ---------------------------------------------------------------------------------


def test_regulations_issued_repealed_and_in_force():
    entries = [
        entry(1, REGULATION, "2024-05-06"),
        entry(2, REGULATION, "2025-03-02", repealed="2026-06-01"),
        entry(3, REGULATION, "2026-02-02"),
        entry(4, REGULATION, "2026-02-03", withdrawn="2026-02-10"),
        entry(5, NORMATIVE_DOCUMENT, "2026-09-01", repealed="2026-12-01"),
        entry(6, NORMATIVE_DOCUMENT, "2025-09-01"),
        entry(7, NORMATIVE_DOCUMENT, None, due="2026-12-30"),  # 待公开
        entry(8, "政府文件", "2026-01-05"),
    ]
    r = report(2026, catalogue=entries)
    reg, norm = r.proactive.regulations
    assert (reg.content, reg.issued, reg.repealed, reg.in_force) == (REGULATION, 2, 1, 2)
    assert (norm.content, norm.issued, norm.repealed, norm.in_force) == (
        NORMATIVE_DOCUMENT, 1, 1, 1)
    assert check(r, "regulations_in_force").passed
    r2025 = report(2025, catalogue=entries)
    assert [x.in_force for x in r2025.proactive.regulations] == [2, 1]


def test_regulations_are_issued_in_the_year_of_their_date_of_writing_not_of_publication():
    # 第五十条 第二部分 本年制发: a 规范性文件 signed (成文) 29 December 2025 and catalogued
    # 5 January 2026 was made in 2025.
    entries = [
        entry(1, NORMATIVE_DOCUMENT, "2026-01-05", written="2025-12-29"),
        entry(2, REGULATION, "2026-01-04", written="2025-12-30"),
        entry(3, NORMATIVE_DOCUMENT, "2026-03-02", written="2026-03-02"),
    ]
    r2025, r2026 = report(2025, catalogue=entries), report(2026, catalogue=entries)
    assert [(x.issued, x.in_force) for x in r2025.proactive.regulations] == [(1, 1), (1, 1)]
    assert [(x.issued, x.in_force) for x in r2026.proactive.regulations] == [(0, 1), (1, 2)]
    assert check(r2026, "regulations_in_force").passed


def test_a_document_flagged_normative_is_counted_as_one_not_as_an_ordinary_document():
    entries = [entry(1, "政府文件", "2026-03-05", written="2026-03-02", normative=True),
               entry(2, "政府文件", "2026-03-05", written="2026-03-02")]
    reg, norm = report(2026, catalogue=entries).proactive.regulations
    assert (reg.issued, norm.issued, norm.in_force) == (0, 1, 1)


def test_the_catalogue_record_reads_date_of_writing_and_the_normative_flag():
    record = catalogue_record({
        "_id": "e1", "category": "政府文件", "published_on": "2026-01-05",
        "information_date": "2025-12-29", "date_of_writing": "2025-12-29",
        "normative_document": True})
    assert (record.issued_on, record.normative) == (date(2025, 12, 29), True)


def test_catalogue_by_category_counts_published_late_withdrawn_and_overdue():
    entries = [
        entry(1, "政府文件", "2026-03-02", late=True, due="2026-02-27"),
        entry(2, "政府文件", "2026-03-02", due="2026-03-20", withdrawn="2026-04-01"),
        entry(3, "政府文件", None, due="2026-11-30"),  # unpublished past its period
        entry(4, "政府文件", "2027-01-04", late=True, due="2026-12-30"),  # late, next year
        entry(5, "预决算", "2026-01-20"),
    ]
    r = report(2026, catalogue=entries)
    rows = {c.category: c for c in r.proactive.catalogue}
    gov = rows["政府文件"]
    assert (gov.published, gov.late, gov.withdrawn, gov.overdue_unpublished) == (2, 1, 1, 2)
    assert rows["预决算"].published == 1
    assert rows["合计"].published == 3
    assert [c.category for c in r.proactive.catalogue] == [
        "政府文件", REGULATION, NORMATIVE_DOCUMENT, "预决算", "合计"]
    assert check(r, "catalogue_total").passed and check(r, "catalogue_late").passed


def test_catalogue_record_computes_late_when_not_stored():
    e = catalogue_record({"_id": "e1", "category": "政府文件", "published_on": "2026-03-10",
                          "due_on": "2026-03-02", "status": "已公开"})
    assert e.late


def test_entered_figures_fill_items_five_six_eight_and_missing_ones_are_named():
    figures = EnteredFigures(version=2, licensing_decisions=1520, punishment_decisions=37,
                             enforcement_decisions=None, fees_amount=Decimal("12.5"))
    r = report(2026, figures=figures)
    assert [(d.content, d.decisions) for d in r.proactive.decisions] == [
        ("行政许可", 1520), ("行政处罚", 37), ("行政强制", None)]
    assert r.proactive.fees[0].amount == Decimal("12.5")
    assert r.missing_figures == ["第二十条第（六）项 行政强制"]
    assert r.proactive.figures_version == 2


# --- 第四部分 ---------------------------------------------------------------------------------


def test_review_cases_count_in_their_year_of_conclusion_or_as_pending():
    cases = [
        case(1, ReviewKind.administrative_review, "2025-11-01", ReviewResult.upheld,
             "2026-01-20"),
        case(2, ReviewKind.administrative_review, "2026-02-01", ReviewResult.corrected,
             "2026-05-20"),
        case(3, ReviewKind.administrative_review, "2026-10-01"),  # pending
        case(4, ReviewKind.litigation_direct, "2026-03-01", ReviewResult.other, "2027-02-01"),
        case(5, ReviewKind.litigation_after_review, "2027-01-10"),  # filed after the year
    ]
    r = report(2026, cases=cases)
    review, direct, after = r.reviews
    assert (review.upheld, review.corrected, review.other, review.pending, review.total) == (
        1, 1, 0, 1, 3)
    assert (direct.pending, direct.total) == (1, 1)  # concluded only in 2027
    assert after.total == 0
    assert check(r, "review_totals").passed
    r2025 = report(2025, cases=cases)
    assert (r2025.reviews[0].pending, r2025.reviews[0].total) == (1, 1)
    assert report(2027, cases=cases).reviews[1].other == 1


def test_a_concluded_case_needs_its_date_and_a_pending_one_none():
    with pytest.raises(ValueError, match="审结日期"):
        RecordReviewCase(kind=ReviewKind.administrative_review, case_number="复〔2026〕1号",
                         filed_on=date(2026, 1, 5), result=ReviewResult.upheld)
    with pytest.raises(ValueError, match="尚未审结"):
        UpdateReviewCase(case_id="x", result=ReviewResult.pending,
                         concluded_on=date(2026, 3, 1))
    with pytest.raises(ValueError, match="早于"):
        RecordReviewCase(kind=ReviewKind.administrative_review, case_number="复〔2026〕1号",
                         filed_on=date(2026, 1, 5), result=ReviewResult.upheld,
                         concluded_on=date(2026, 1, 4))


# --- carried over against last year -----------------------------------------------------------


def test_carried_over_check_compares_with_last_years_carried_forward():
    t2025 = request_table(mixed_year(), 2025)
    t2026 = request_table(mixed_year(), 2026)
    assert t2025.row("carried_forward") == t2026.row("carried_over")


# --- the workbook -----------------------------------------------------------------------------


def test_workbook_holds_the_reports_numbers_under_the_templates_labels():
    r = report(2026, mixed_year(), [entry(1, REGULATION, "2026-02-02")],
               [case(1, ReviewKind.litigation_after_review, "2026-02-01",
                     ReviewResult.corrected, "2026-08-01")],
               EnteredFigures(version=1, licensing_decisions=3, fees_amount=Decimal("1.25")))
    wb = load_workbook(BytesIO(workbook_bytes(r)))
    assert wb.sheetnames[:4] == ["一、总体情况", SHEET_PROACTIVE, SHEET_REQUESTS, SHEET_REVIEWS]
    ws = wb[SHEET_REQUESTS]
    by_label = {}
    for values in ws.iter_rows(min_row=5, values_only=True):
        label = values[2] or values[1] or values[0]
        by_label[label] = list(values[3:10])
    assert by_label["一、本年新收政府信息公开申请数量"] == [2, 1, 1, 1, 1, 1, 7]
    assert by_label["四、结转下年度继续办理"][-1] == 3
    assert by_label["1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"] == [
        0, 0, 0, 0, 0, 1, 1]
    assert by_label["3.其他"] == [0] * 7
    assert by_label["1.本机关不掌握相关政府信息"] == [0, 0, 0, 1, 0, 0, 1]
    assert "E3:I3" in {str(m) for m in ws.merged_cells.ranges}  # 法人或其他组织 over five
    assert ws["E3"].value == "法人或其他组织"
    reviews = wb[SHEET_REVIEWS]
    assert [c.value for c in reviews[5]][10:15] == [0, 1, 0, 0, 1]
    proactive = wb[SHEET_PROACTIVE]
    assert [c.value for c in proactive[4]][:4] == [REGULATION, 1, 0, 1]
    assert isinstance(proactive["B4"].value, int)


def test_filename_names_the_year_and_keeps_out_unsafe_characters():
    assert report_filename(2026) == "2026年政府信息公开工作年度报告.xlsx"
    assert report_filename(2026, "某市/人民政府办公室") == \
        "某市人民政府办公室2026年政府信息公开工作年度报告.xlsx"
