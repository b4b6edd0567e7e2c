"""The annual report (政府信息公开工作年度报告), computed from the service's own records.

[政府信息公开条例 2019 第五十条; 国办公开办函〔2021〕30号 年度报告格式]. Pure: records in, tables
and their checks out; the handler reads the collections and passes the clock's time.

Which year a record counts in (``Y``; "by the year's end" = on or before 31 December of ``Y``):

第二部分 (catalogue: 规章 by category ``REGULATION``; 行政规范性文件 by category
``NORMATIVE_DOCUMENT`` or the 规范性文件 flag a 公文 carries, 第二十条第(一)项)
- 本年制发: made in ``Y`` — the 公文's 成文日期 (``date_of_writing``), else the date the
  information was made (``information_date``), not the day the catalogue published it — of an
  entry that has been published. 本年废止: ``repealed_on`` in ``Y``.
- 现行有效: made by the year's end, published, and neither withdrawn (撤回) nor repealed (废止)
  by then.
- the catalogue summary by category: published in ``Y``, of which ``late``; withdrawn in ``Y``;
  still unpublished at the year's end after its ``due_on`` (and not withdrawn by then).
- 第(五)(六)(八)项: the figures staff entered for ``Y`` (no record here holds them).

第三部分 (requests; a request is closed when ``closed_on`` is set)
- 一、新收: ``received_on`` in ``Y``.
- 二、上年结转: received before ``Y`` and not closed before ``Y`` (still open, or closed in or
  after ``Y``).
- 三、办理结果: closed in ``Y``, by ``outcome`` and ``outcome_reason``.
- 四、结转下年度: received by the year's end and not closed by then.
So a request received 2025-12-30 and closed 2026-01-08 is 结转下年度 in 2025, 上年结转 and
办结 in 2026; and for every column 一 + 二 = (七)总计 + 四, by construction of these sets.

第四部分 (行政复议 / 行政诉讼 cases staff record)
- a case counts under its result (维持 / 纠正 / 其他) in the year it concluded (``concluded_on``);
- it counts as 尚未审结 in every year by whose end it was filed and not yet concluded, the way
  the template asks for cases pending at the time of reporting;
- 总计 is the number of cases counted in the year.

第一、五、六部分 (text the office writes, 国办公开办函〔2021〕30号)
- until staff write one, each part is a draft from the figures the service holds: 第一部分 the
  year's catalogue and requests, 第五部分 what was late or overdue, 第六部分 the 信息处理费
  (fee notices issued and fees paid in ``Y``, 国办函〔2020〕109号); the figures stay beside the
  text once it is written.

Every total is counted on its own from the records (not summed from its parts), so that the
checks mean something: a record the report cannot place (an unknown applicant type, an outcome
without its reason) shows up as a failed check with the numbers, and in ``problems`` by id.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from govbus_contracts.services.disclosure.common import (
    NORMATIVE_DOCUMENT,
    OUTCOME_REASONS,
    REGULATION,
    ApplicantType,
    Outcome,
    ReviewKind,
    ReviewResult,
)
from govbus_contracts.services.disclosure.report import (
    AnnualReport,
    ApplicantCounts,
    CategoryRow,
    ConsistencyCheck,
    DecisionRow,
    Disagreement,
    FeeRow,
    ProactiveDisclosure,
    RecordProblem,
    RegulationRow,
    ReportSectionKey,
    ReportTextSection,
    RequestRow,
    ReviewRow,
    SectionEdit,
    SectionFigure,
)
from govbus_kit.workbook import safe_name

T = TypeVar("T")
REQUESTS = "requests"
CATALOGUE = "catalogue"
REVIEW_CASES = "review_cases"
#: Problems listed in a report (all are counted): the reply must stay well within a message.
MAX_PROBLEMS = 100

# --- records as the report reads them ---------------------------------------------------------


@dataclass(frozen=True)
class RequestRecord:
    id: str
    applicant_type: str  # an ApplicantType value, or whatever is stored (then a problem)
    received_on: date
    closed_on: date | None
    outcome: str | None
    outcome_reason: str | None
    overdue_since: date | None = None
    fee_amount: int | None = None  # 信息处理费 (元) of the fee notice
    fee_notice_on: date | None = None
    fee_paid_on: date | None = None


@dataclass(frozen=True)
class CatalogueRecord:
    id: str
    category: str
    published_on: date | None
    late: bool
    due_on: date | None
    withdrawn_on: date | None
    repealed_on: date | None
    issued_on: date | None = None  # 成文日期, else the information's date (本年制发)
    normative: bool = False  # a 公文 flagged 行政规范性文件

    @property
    def made_on(self) -> date | None:
        """The day the 规章/规范性文件 was made (制发); the publication day for an old record
        that has neither 成文日期 nor information date."""
        return self.issued_on or self.published_on


@dataclass(frozen=True)
class ReviewCaseRecord:
    id: str
    kind: ReviewKind
    filed_on: date
    result: ReviewResult
    concluded_on: date | None


@dataclass(frozen=True)
class EnteredFigures:
    """第二十条第(五)(六)(八)项 as entered for the year (None: not entered)."""

    version: int | None = None
    licensing_decisions: int | None = None
    punishment_decisions: int | None = None
    enforcement_decisions: int | None = None
    fees_amount: Decimal | None = None


class BadRecord(ValueError):
    """A stored record lacks what the report needs to place it."""


def as_date(value: Any) -> date | None:
    """A stored date: ISO ``YYYY-MM-DD`` (what ``model_dump(mode="json")`` writes), or a BSON
    datetime / ISO datetime (taken as its own date), or None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            pass
    raise BadRecord(f"日期无法识别: {value!r}")


def request_record(doc: Mapping[str, Any]) -> RequestRecord:
    """The report's view of one stored request (the record contract between the slices)."""
    received = as_date(doc.get("received_on"))
    if received is None:
        raise BadRecord("缺少收到日期 received_on")
    closed = as_date(doc.get("closed_on"))
    if closed is not None and closed < received:
        raise BadRecord("办结日期早于收到日期")
    fee = doc.get("fee")
    fee = fee if isinstance(fee, Mapping) else {}
    amount = fee.get("amount")
    return RequestRecord(
        id=str(doc.get("_id", doc.get("id", ""))), applicant_type=str(doc.get("applicant_type")),
        received_on=received, closed_on=closed,
        outcome=_text(doc.get("outcome")), outcome_reason=_text(doc.get("outcome_reason")),
        overdue_since=as_date(doc.get("overdue_since")),
        fee_amount=amount if isinstance(amount, int) else None,
        fee_notice_on=as_date(fee.get("notice_on")), fee_paid_on=as_date(fee.get("paid_on")))


def catalogue_record(doc: Mapping[str, Any]) -> CatalogueRecord:
    category = _text(doc.get("category"))
    if category is None:
        raise BadRecord("缺少类别 category")
    published = as_date(doc.get("published_on"))
    due = as_date(doc.get("due_on"))
    late = doc.get("late")
    if not isinstance(late, bool):  # not stored: the rule itself (第二十六条)
        late = published is not None and due is not None and published > due
    return CatalogueRecord(
        id=str(doc.get("_id", doc.get("id", ""))), category=category, published_on=published,
        late=late, due_on=due, withdrawn_on=as_date(doc.get("withdrawn_on")),
        repealed_on=as_date(doc.get("repealed_on")),
        issued_on=as_date(doc.get("date_of_writing")) or as_date(doc.get("information_date")),
        normative=doc.get("normative_document") is True)


def review_case_record(doc: Mapping[str, Any]) -> ReviewCaseRecord:
    filed = as_date(doc.get("filed_on"))
    if filed is None:
        raise BadRecord("缺少立案日期 filed_on")
    try:
        kind, result = ReviewKind(str(doc.get("kind"))), ReviewResult(str(doc.get("result")))
    except ValueError as exc:
        raise BadRecord(str(exc)) from None
    return ReviewCaseRecord(id=str(doc.get("_id", doc.get("id", ""))), kind=kind, filed_on=filed,
                            result=result, concluded_on=as_date(doc.get("concluded_on")))


def read_records(collection: str, docs: Iterable[Mapping[str, Any]],
                    parse: Callable[[Mapping[str, Any]], T],
                    problems: list[RecordProblem]) -> list[T]:
    """Parse every stored record; those the report cannot place go to ``problems``."""
    out: list[T] = []
    for doc in docs:
        try:
            out.append(parse(doc))
        except BadRecord as exc:
            problems.append(RecordProblem(collection=collection,
                                          record_id=str(doc.get("_id", "")), problem=str(exc)))
    return out


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


# --- the year ---------------------------------------------------------------------------------


def year_start(year: int) -> date:
    return date(year, 1, 1)


def year_end(year: int) -> date:
    return date(year, 12, 31)


def _in(d: date | None, year: int) -> bool:
    return d is not None and d.year == year


def _by(d: date | None, year: int) -> bool:
    """On or before the year's end."""
    return d is not None and d <= year_end(year)


# --- 第三部分: requests -----------------------------------------------------------------------

#: The applicant columns in the template's order; 法人或其他组织 are the five after 自然人.
COLUMNS: tuple[ApplicantType, ...] = tuple(ApplicantType)
LEGAL_PERSONS: tuple[ApplicantType, ...] = COLUMNS[1:]
COLUMN_FIELDS: dict[ApplicantType, str] = {
    ApplicantType.natural_person: "natural_person", ApplicantType.business: "business",
    ApplicantType.research: "research", ApplicantType.public_interest: "public_interest",
    ApplicantType.legal_service: "legal_service", ApplicantType.other: "other"}
TOTAL, LEGAL = "总计", "法人或其他组织"

OUTCOME_LABELS: dict[Outcome, str] = {
    Outcome.released: "（一）予以公开",
    Outcome.partly_released: "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    Outcome.withheld: "（三）不予公开",
    Outcome.unable: "（四）无法提供",
    Outcome.not_processed: "（五）不予处理",
    Outcome.other: "（六）其他处理",
}
ROW_NEW = ("new", "一、本年新收政府信息公开申请数量")
ROW_CARRIED_OVER = ("carried_over", "二、上年结转政府信息公开申请数量")
ROW_RESULTS = "三、本年度办理结果"
ROW_TOTAL = ("total", "（七）总计")
ROW_CARRIED_FORWARD = ("carried_forward", "四、结转下年度继续办理")


def reason_key(outcome: Outcome, reason: StrEnum) -> str:
    return f"{outcome.name}.{reason.name}"


class Tally:
    """Counts of one row: by applicant type, the five together, and all, each on its own."""

    def __init__(self) -> None:
        self.by_type: Counter[str] = Counter()
        self.legal_persons = 0
        self.total = 0

    def add(self, record: RequestRecord) -> None:
        self.by_type[record.applicant_type] += 1
        if record.applicant_type != ApplicantType.natural_person.value:
            # Everyone who is not a natural person is a 法人或其他组织 (an unknown type too:
            # then the five columns do not add up to it, and the check says so).
            self.legal_persons += 1
        self.total += 1

    def counts(self) -> ApplicantCounts:
        fields = {COLUMN_FIELDS[t]: self.by_type[t.value] for t in COLUMNS}
        return ApplicantCounts(**fields, legal_persons=self.legal_persons, total=self.total)


@dataclass(frozen=True)
class RequestTable:
    rows: list[RequestRow]

    def row(self, key: str) -> ApplicantCounts:
        return next(r.counts for r in self.rows if r.key == key)


def request_table(records: Sequence[RequestRecord], year: int,
                  problems: list[RecordProblem] | None = None) -> RequestTable:
    """第三部分 for ``year``; records closed in the year that cannot be placed in an outcome
    row are reported in ``problems`` (when given)."""
    start, end = year_start(year), year_end(year)
    new, carried_over, total, carried_forward = Tally(), Tally(), Tally(), Tally()
    by_outcome: dict[Outcome, Tally] = {o: Tally() for o in Outcome}
    by_reason: dict[str, Tally] = {
        reason_key(o, r): Tally()
        for o, reasons in OUTCOME_REASONS.items() if reasons for r in reasons}
    for r in records:
        if r.received_on.year == year:
            new.add(r)
        if r.received_on < start and (r.closed_on is None or r.closed_on >= start):
            carried_over.add(r)
        if r.received_on <= end and (r.closed_on is None or r.closed_on > end):
            carried_forward.add(r)
        if r.closed_on is None or r.closed_on.year != year:
            continue
        total.add(r)
        problem = _place(r, by_outcome, by_reason)
        if problem and problems is not None:
            problems.append(RecordProblem(collection=REQUESTS, record_id=r.id, problem=problem))
        if r.applicant_type not in {t.value for t in COLUMNS} and problems is not None:
            problems.append(RecordProblem(collection=REQUESTS, record_id=r.id,
                                          problem=f"申请人类型无法识别: {r.applicant_type}"))
    rows = [RequestRow(key=ROW_NEW[0], label=ROW_NEW[1], level=0, counts=new.counts()),
            RequestRow(key=ROW_CARRIED_OVER[0], label=ROW_CARRIED_OVER[1], level=0,
                       counts=carried_over.counts())]
    for outcome in Outcome:
        rows.append(RequestRow(key=outcome.name, label=OUTCOME_LABELS[outcome], level=1,
                               counts=by_outcome[outcome].counts()))
        for n, reason in enumerate(OUTCOME_REASONS[outcome] or (), start=1):
            key = reason_key(outcome, reason)
            rows.append(RequestRow(key=key, label=f"{n}.{reason.value}", level=2,
                                   counts=by_reason[key].counts()))
    rows.append(RequestRow(key=ROW_TOTAL[0], label=ROW_TOTAL[1], level=1, counts=total.counts()))
    rows.append(RequestRow(key=ROW_CARRIED_FORWARD[0], label=ROW_CARRIED_FORWARD[1], level=0,
                           counts=carried_forward.counts()))
    return RequestTable(rows)


def _place(r: RequestRecord, by_outcome: dict[Outcome, Tally],
           by_reason: dict[str, Tally]) -> str | None:
    """Count a closed request under its outcome and reason; the problem if it cannot be."""
    try:
        outcome = Outcome(str(r.outcome))
    except ValueError:
        return f"已办结但办理结果无法识别: {r.outcome}"
    by_outcome[outcome].add(r)
    reasons = OUTCOME_REASONS[outcome]
    if reasons is None:
        return None
    try:
        reason = reasons(str(r.outcome_reason))
    except ValueError:
        return f"{outcome.value}的理由无法识别: {r.outcome_reason}"
    by_reason[reason_key(outcome, reason)].add(r)
    return None


# --- 第二部分: proactive disclosure -----------------------------------------------------------

FIGURE_ITEMS = (
    ("第二十条第（五）项", "行政许可", "licensing_decisions"),
    ("第二十条第（六）项", "行政处罚", "punishment_decisions"),
    ("第二十条第（六）项", "行政强制", "enforcement_decisions"),
)
FEE_ITEM = ("第二十条第（八）项", "行政事业性收费", "fees_amount")
REGULATION_ITEM = "第二十条第（一）项"
CATALOGUE_TOTAL = "合计"


def regulation_kind(e: CatalogueRecord) -> str | None:
    """规章, 行政规范性文件 (by category, or a 公文 flagged 规范性文件), or neither."""
    if e.category == REGULATION:
        return REGULATION
    if e.category == NORMATIVE_DOCUMENT or e.normative:
        return NORMATIVE_DOCUMENT
    return None


def _issued_in(e: CatalogueRecord, year: int) -> bool:
    """第五十条 本年制发: made (成文) in the year, and published (not a mere draft entry)."""
    return e.published_on is not None and _in(e.made_on, year)


def _in_force(e: CatalogueRecord, year: int) -> bool:
    return (e.published_on is not None and _by(e.made_on, year)
            and not _by(e.withdrawn_on, year) and not _by(e.repealed_on, year))


def _ended_in(e: CatalogueRecord, year: int) -> bool:
    """Made by the year's end and out of force (撤回 or 废止, whichever first) in it."""
    ends = [d for d in (e.withdrawn_on, e.repealed_on) if d is not None]
    return (e.published_on is not None and _by(e.made_on, year) and bool(ends)
            and min(ends).year == year)


def regulation_rows(entries: Sequence[CatalogueRecord], year: int) -> list[RegulationRow]:
    rows = []
    for kind in (REGULATION, NORMATIVE_DOCUMENT):
        mine = [e for e in entries if regulation_kind(e) == kind]
        rows.append(RegulationRow(
            content=kind,
            issued=sum(_issued_in(e, year) for e in mine),
            repealed=sum(_in(e.repealed_on, year) for e in mine),
            in_force=sum(_in_force(e, year) for e in mine)))
    return rows


def catalogue_rows(entries: Sequence[CatalogueRecord], year: int,
                   category_order: Sequence[str] = ()) -> list[CategoryRow]:
    """The catalogue by category: the office's categories in order, then any others found,
    then 合计 (counted over all entries on its own)."""
    end = year_end(year)
    found = sorted({e.category for e in entries} - set(category_order))
    rows = []

    def row(category: str, mine: Sequence[CatalogueRecord]) -> CategoryRow:
        return CategoryRow(
            category=category,
            published=sum(_in(e.published_on, year) for e in mine),
            late=sum(e.late and _in(e.published_on, year) for e in mine),
            withdrawn=sum(_in(e.withdrawn_on, year) for e in mine),
            overdue_unpublished=sum(
                e.due_on is not None and e.due_on < end and not _by(e.published_on, year)
                and not _by(e.withdrawn_on, year) for e in mine))

    for category in [*category_order, *found]:
        rows.append(row(category, [e for e in entries if e.category == category]))
    rows.append(row(CATALOGUE_TOTAL, entries))
    return rows


def proactive_disclosure(entries: Sequence[CatalogueRecord], figures: EnteredFigures,
                         year: int, category_order: Sequence[str] = ()
                         ) -> ProactiveDisclosure:
    return ProactiveDisclosure(
        regulations=regulation_rows(entries, year),
        decisions=[DecisionRow(item=item, content=content, decisions=getattr(figures, name))
                   for item, content, name in FIGURE_ITEMS],
        fees=[FeeRow(item=FEE_ITEM[0], content=FEE_ITEM[1], amount=figures.fees_amount)],
        catalogue=catalogue_rows(entries, year, category_order),
        figures_version=figures.version)


def missing_figures(figures: EnteredFigures) -> list[str]:
    missing = [f"{item} {content}" for item, content, name in FIGURE_ITEMS
               if getattr(figures, name) is None]
    if figures.fees_amount is None:
        missing.append(f"{FEE_ITEM[0]} {FEE_ITEM[1]}")
    return missing


# --- 第四部分: 行政复议 and 行政诉讼 ----------------------------------------------------------


def review_rows(cases: Sequence[ReviewCaseRecord], year: int) -> list[ReviewRow]:
    rows = []
    end = year_end(year)
    for kind in ReviewKind:
        counts: Counter[ReviewResult] = Counter()
        total = 0
        for c in cases:
            if c.kind is not kind:
                continue
            if c.result is not ReviewResult.pending and _in(c.concluded_on, year):
                counts[c.result] += 1
                total += 1
            elif c.filed_on <= end and (c.concluded_on is None or c.concluded_on > end):
                counts[ReviewResult.pending] += 1
                total += 1
        rows.append(ReviewRow(
            kind=kind, upheld=counts[ReviewResult.upheld],
            corrected=counts[ReviewResult.corrected], other=counts[ReviewResult.other],
            pending=counts[ReviewResult.pending], total=total))
    return rows


# --- checks -----------------------------------------------------------------------------------

COLUMN_LABELS: dict[str, str] = {
    **{COLUMN_FIELDS[t]: t.value for t in COLUMNS}, "legal_persons": LEGAL, "total": TOTAL}
ALL_COLUMNS = tuple(COLUMN_LABELS)


def _check(rule: str, description: str,
           pairs: Iterable[tuple[str, int, int]]) -> ConsistencyCheck:
    """``pairs``: (where, expected, actual); the check passes when every pair agrees."""
    disagreements = [Disagreement(where=w, expected=e, actual=a)
                     for w, e, a in pairs if e != a]
    return ConsistencyCheck(rule=rule, description=description, passed=not disagreements,
                            disagreements=disagreements)


def _col(counts: ApplicantCounts, column: str) -> int:
    value: int = getattr(counts, column)
    return value


def request_checks(table: RequestTable, previous: RequestTable) -> list[ConsistencyCheck]:
    checks = []
    for outcome in Outcome:
        reasons = OUTCOME_REASONS[outcome]
        if reasons is None:
            continue
        label = OUTCOME_LABELS[outcome]
        sub = table.row(outcome.name)
        parts = [table.row(reason_key(outcome, r)) for r in reasons]
        checks.append(_check(
            f"reasons.{outcome.name}", f"{label} = 其各项理由之和",
            ((f"{label} / {COLUMN_LABELS[c]}", sum(_col(p, c) for p in parts), _col(sub, c))
             for c in ALL_COLUMNS)))
    outcomes = [table.row(o.name) for o in Outcome]
    total = table.row(ROW_TOTAL[0])
    checks.append(_check(
        "results_total", "（七）总计 = （一）至（六）之和",
        ((f"（七）总计 / {COLUMN_LABELS[c]}", sum(_col(o, c) for o in outcomes), _col(total, c))
         for c in ALL_COLUMNS)))
    new, over = table.row(ROW_NEW[0]), table.row(ROW_CARRIED_OVER[0])
    forward = table.row(ROW_CARRIED_FORWARD[0])
    checks.append(_check(
        "balance", "一、本年新收 + 二、上年结转 = 三（七）总计 + 四、结转下年度继续办理",
        ((COLUMN_LABELS[c], _col(new, c) + _col(over, c), _col(total, c) + _col(forward, c))
         for c in ALL_COLUMNS)))
    checks.append(_check(
        "legal_persons",
        "法人或其他组织 = 商业企业、科研机构、社会公益组织、法律服务机构、其他之和",
        ((f"{r.label} / {LEGAL}", sum(_col(r.counts, COLUMN_FIELDS[t]) for t in LEGAL_PERSONS),
          r.counts.legal_persons) for r in table.rows)))
    checks.append(_check(
        "total_column", "总计 = 自然人 + 法人或其他组织",
        ((f"{r.label} / {TOTAL}", r.counts.natural_person + r.counts.legal_persons,
          r.counts.total) for r in table.rows)))
    previous_forward = previous.row(ROW_CARRIED_FORWARD[0])
    checks.append(_check(
        "carried_over_previous_year", "二、上年结转 = 上年度 四、结转下年度继续办理",
        ((COLUMN_LABELS[c], _col(previous_forward, c), _col(over, c)) for c in ALL_COLUMNS)))
    return checks


def proactive_checks(entries: Sequence[CatalogueRecord], year: int,
                     part: ProactiveDisclosure) -> list[ConsistencyCheck]:
    previous = regulation_rows(entries, year - 1)
    ended = {c: sum(_ended_in(e, year) for e in entries if regulation_kind(e) == c)
             for c in (REGULATION, NORMATIVE_DOCUMENT)}
    categories = [r for r in part.catalogue if r.category != CATALOGUE_TOTAL]
    total = next(r for r in part.catalogue if r.category == CATALOGUE_TOTAL)
    return [
        _check("regulations_in_force",
               "现行有效件数 = 上年现行有效件数 + 本年制发件数 − 本年失效件数(废止或撤回)",
               ((row.content, before.in_force + row.issued - ended[row.content], row.in_force)
                for row, before in zip(part.regulations, previous, strict=True))),
        _check("catalogue_total", "公开目录 合计 = 各类别之和",
               ((f"{CATALOGUE_TOTAL} / {column}",
                 sum(getattr(r, column) for r in categories), getattr(total, column))
                for column in ("published", "late", "withdrawn", "overdue_unpublished"))),
        _check("catalogue_late", "逾期公开条数不超过本年公开条数",
               ((f"{r.category} / 逾期公开", min(r.late, r.published), r.late)
                for r in part.catalogue)),
    ]


def review_checks(rows: Sequence[ReviewRow]) -> list[ConsistencyCheck]:
    return [_check("review_totals", "总计 = 结果维持 + 结果纠正 + 其他结果 + 尚未审结",
                   ((f"{r.kind.value} / 总计", r.upheld + r.corrected + r.other + r.pending,
                     r.total) for r in rows))]


# --- 第一、五、六部分: text sections -------------------------------------------------------


def _figure(key: str, label: str, value: int, unit: str) -> SectionFigure:
    return SectionFigure(key=key, label=label, value=value, unit=unit)


def section_figures(year: int, requests: Sequence[RequestRecord], table: RequestTable,
                    proactive: ProactiveDisclosure, reviews: Sequence[ReviewRow]
                    ) -> dict[ReportSectionKey, list[SectionFigure]]:
    """The figures each text part is written from, all from the service's own records."""
    catalogue_total = next(r for r in proactive.catalogue if r.category == CATALOGUE_TOTAL)
    noticed = [r for r in requests if r.fee_amount and _in(r.fee_notice_on, year)]
    paid = [r for r in requests if r.fee_amount and _in(r.fee_paid_on, year)]
    return {
        ReportSectionKey.overview: [
            _figure("published", "本年主动公开政府信息", catalogue_total.published, "条"),
            _figure("requests_new", "本年新收政府信息公开申请", table.row(ROW_NEW[0]).total, "件"),
            _figure("requests_carried_over", "上年结转申请", table.row(ROW_CARRIED_OVER[0]).total,
                    "件"),
            _figure("requests_closed", "本年办结申请", table.row(ROW_TOTAL[0]).total, "件"),
            _figure("requests_carried_forward", "结转下年度继续办理",
                    table.row(ROW_CARRIED_FORWARD[0]).total, "件"),
            _figure("review_cases", "行政复议、行政诉讼案件", sum(r.total for r in reviews), "件"),
        ],
        ReportSectionKey.problems: [
            _figure("published_late", "逾期公开政府信息", catalogue_total.late, "条"),
            _figure("overdue_unpublished", "年末逾期未公开", catalogue_total.overdue_unpublished,
                    "条"),
            _figure("requests_overdue", "逾期未答复的申请 (本年逾期)",
                    sum(_in(r.overdue_since, year) for r in requests), "件"),
            _figure("review_corrected", "被复议、诉讼纠正",
                    sum(r.corrected for r in reviews), "件"),
        ],
        ReportSectionKey.other_matters: [
            _figure("fee_notices", "发出收费通知", len(noticed), "件"),
            _figure("fees_collected", "收取信息处理费", len(paid), "件"),
            _figure("fees_collected_amount", "收取信息处理费金额",
                    sum(r.fee_amount or 0 for r in paid), "元"),
        ],
    }


def _draft(key: ReportSectionKey, year: int, f: dict[str, int]) -> str:
    """The prefilled draft of a text part, in the template's manner, from its figures."""
    if key is ReportSectionKey.overview:
        return (f"{year}年, 本机关认真贯彻落实《中华人民共和国政府信息公开条例》, 主动公开政府信息"
                f"{f['published']}条; 新收政府信息公开申请{f['requests_new']}件, 上年结转"
                f"{f['requests_carried_over']}件, 办结{f['requests_closed']}件, 结转下年度继续办理"
                f"{f['requests_carried_forward']}件; 发生政府信息公开行政复议、行政诉讼案件"
                f"{f['review_cases']}件。")
    if key is ReportSectionKey.problems:
        return (f"{year}年, 逾期公开政府信息{f['published_late']}条, 年末逾期未公开"
                f"{f['overdue_unpublished']}条, 逾期未答复的申请{f['requests_overdue']}件, 被复议、"
                f"诉讼纠正{f['review_corrected']}件。存在的主要问题及改进措施: (待填写)")
    return (f"依据《政府信息公开信息处理费管理办法》(国办函〔2020〕109号), {year}年本机关发出收费"
            f"通知{f['fee_notices']}件, 收取信息处理费{f['fees_collected']}件, 共计"
            f"{f['fees_collected_amount']}元。其他需要报告的事项: (待填写)")


def text_sections(year: int, figures: Mapping[ReportSectionKey, list[SectionFigure]],
                  edits: Sequence[SectionEdit] = ()) -> list[ReportTextSection]:
    """第一、五、六部分: the latest edit of each, else its draft; with its figures."""
    out = []
    for key in ReportSectionKey:
        mine = figures.get(key, [])
        latest = next((e for e in reversed(edits) if e.key is key), None)
        if latest is None:
            out.append(ReportTextSection(
                key=key, text=_draft(key, year, {x.key: x.value for x in mine}), edited=False,
                figures=mine))
        else:
            out.append(ReportTextSection(
                key=key, text=latest.text, edited=True, version=latest.version,
                edited_by=latest.edited_by_name or latest.edited_by, edited_at=latest.edited_at,
                figures=mine))
    return out


# --- the report -------------------------------------------------------------------------------


def annual_report(
    year: int,
    *,
    requests: Sequence[RequestRecord],
    catalogue: Sequence[CatalogueRecord],
    review_cases: Sequence[ReviewCaseRecord],
    figures: EnteredFigures,
    generated_at: datetime,
    category_order: Sequence[str] = (),
    problems: Sequence[RecordProblem] = (),
    edits: Sequence[SectionEdit] = (),
    due_on: date | None = None,
    published_on: date | None = None,
    overdue_since: date | None = None,
) -> AnnualReport:
    """The year's report with its checks; ``problems``: records already found unreadable."""
    found = list(problems)
    table = request_table(requests, year, found)
    previous = request_table(requests, year - 1)
    proactive = proactive_disclosure(catalogue, figures, year, category_order)
    reviews = review_rows(review_cases, year)
    checks = [*proactive_checks(catalogue, year, proactive), *request_checks(table, previous),
              *review_checks(reviews)]
    carried = next(c for c in checks if c.rule == "carried_over_previous_year")
    return AnnualReport(
        year=year, generated_at=generated_at, proactive=proactive, requests=table.rows,
        reviews=reviews, checks=checks, consistent=all(c.passed for c in checks),
        carried_over_matches_previous_year=carried.passed,
        previous_year_carried_forward=previous.row(ROW_CARRIED_FORWARD[0]),
        problems=found[:MAX_PROBLEMS], problem_count=len(found),
        missing_figures=missing_figures(figures),
        sections=text_sections(year, section_figures(year, requests, table, proactive, reviews),
                               edits),
        due_on=due_on, published_on=published_on, overdue_since=overdue_since)


def report_title(year: int, office: str = "") -> str:
    return f"{office.strip()}{year}年政府信息公开工作年度报告"


def report_filename(year: int, office: str = "") -> str:
    """``2026年政府信息公开工作年度报告.xlsx``, after the office's name when one is set; no
    character that a file system or a Content-Disposition header would trip on."""
    return safe_name(report_title(year, office))
