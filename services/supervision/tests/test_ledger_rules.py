"""The ledger without servers: its workbook, its list entries and the rates read from them.

The workbook (the 台账 a 督查室 files): the title over the filters, the header in the office's
words, one row per item with its number, departments, dates, progress, 催办 levels with the
督办通知书's 文号, result, on time, satisfaction and status; merged title and 合计 cells,
widths, wrapping, a frozen header, A4 landscape with the header on every page; the file's
name; more items than one workbook holds refused with a stable code.

The entries: a packed entry gives back the ledger row; the rates read from the entries equal
the rates of the rows, and walk only the items of the months the period touches.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from io import BytesIO
from typing import Any

import pytest
from openpyxl import load_workbook

from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.supervision.common import (
    EscalationLevel,
    ItemStatus,
    ResultCode,
    Satisfaction,
    SourceKind,
)
from govbus_contracts.services.supervision.items import (
    AnswerRecord,
    Appraisal,
    AssignmentRecord,
    EscalationRecord,
    HistoryEntry,
    MotionSource,
    ProgressReport,
    SatisfactionRecord,
    Signer,
    SignerContact,
    Source,
    SupervisionNotice,
)
from govbus_contracts.services.supervision.ledger import (
    MAX_EXPORT_ROWS,
    ExportLedger,
    RatesQuery,
)
from govbus_kit.clock import OFFICE_TZ
from govbus_kit.listing import ListProjection, aggregate_fields
from govbus_supervision.domain.ledger import ledger_row
from govbus_supervision.domain.rates import ledger_rates
from govbus_supervision.domain.record import SupervisionItem
from govbus_supervision.handlers.ledger import LEDGER_LIST, rates_of, row_of
from govbus_supervision.settings import SupervisionSettings
from govbus_supervision.workbook import (
    HEADERS,
    filename,
    ledger_workbook,
    refuse_oversized,
    refuse_too_large,
)

NOW = datetime(2026, 12, 2, 9, 30, tzinfo=OFFICE_TZ)
OFFICE = "某市人民政府办公室"

# --- realistic stored items -------------------------------------------------------------------

DEPARTMENTS = ("市住建局", "市财政局", "市教育局", "市交通运输局", "市生态环境局", "市卫健委",
               "市民政局", "市自然资源局", "市市场监管局", "市城管局")
ANSWER = ("关于加快老旧小区加装电梯的建议收悉。我局高度重视, 会同市财政局、各区政府研究办理: "
          "一是完善政策, 出台加装电梯财政补助办法, 每部补助20万元; 二是简化审批, 实行联合审查"
          "一站式办理; 三是加强协调, 建立业主协商调解机制。截至目前已加装电梯320部, 其余纳入"
          "明年计划分批实施。感谢您对住房城乡建设工作的关心和支持。") * 2


def stored_item(n: int, assigned_on: date = date(2026, 3, 2), *,
                lead: str | None = None, completed: bool = True,
                kind: SourceKind = SourceKind.deputy_suggestion) -> dict[str, Any]:
    """The ``n``-th item as the repository stores it (JSON values, ``_id``, ``version``): a
    人大代表建议 assigned on ``assigned_on`` to ``lead`` (by default the ``n``-th department)
    with two co-departments, due three months later; four progress reports due (one late, one
    missed), 提醒 → 催办通知 → 督办通知书 with its 文号; when ``completed``, a 300-character
    answer (B), rated 基本满意 by each of three signers, completed late."""
    lead = lead or DEPARTMENTS[n % len(DEPARTMENTS)]
    co = [d for d in DEPARTMENTS[(n + 1) % len(DEPARTMENTS):][:2] if d != lead]
    due = assigned_on + timedelta(days=91)
    signers = [Signer(name=f"代表{n}-{i}", group="城区代表团", leading=i == 0,
                      contact=SignerContact(phone=f"1380000{i:04d}", address="城区人民路1号"))
               for i in range(3)]
    history = [HistoryEntry(at=f"{assigned_on}T09:00:00+08:00", action=a, by="du-zhou",
                            by_name="周督查", role="supervisor", department="督查室",
                            remarks="按期办理")
               for a in ("立项", "登记", "交办", "进展", "进展", "进展", "催办", "催办",
                         "督办通知书", "协办意见", "反馈", "评价", "审结")]
    item = SupervisionItem(
        id=f"item-{n:06d}", version=14, title=f"关于加快推进老旧小区加装电梯的建议（第{n}号）",
        content="建议加大财政补助力度, 简化审批流程, 建立协商机制。" * 10,
        source=Source(kind=kind, motion=MotionSource(
            session="市十七届人大五次会议", motion_number=str(n), signers=signers)),
        opened_on=assigned_on - timedelta(days=3), number=f"督〔{assigned_on.year}〕{n}号",
        year=assigned_on.year, serial=n, lead_department=lead, co_departments=co,
        assignments=[AssignmentRecord.model_validate({
            "lead_department": lead, "co_departments": co, "assigned_on": assigned_on,
            "assigned_by": "du-zhou", "due_on": due, "period": "3个月",
            "misroute_until": assigned_on + timedelta(days=10), "progress_schedule": "每季度",
            "report_day": 25})],
        due_on=due, due_set_on=assigned_on,
        status=ItemStatus.completed if completed else ItemStatus.handling,
        missed_reports=[assigned_on + timedelta(days=60)],
        progress_reports=[ProgressReport(
            due_on=assigned_on + timedelta(days=30 * k),
            submitted_on=assigned_on + timedelta(days=30 * k + 2 * (k == 2)),
            submitted_by="h-lead", text="已完成加装电梯100部。" * 5, percent=25 * k, late=k == 2)
            for k in (1, 2, 3)],
        escalations=[EscalationRecord(level=level, issued_on=due + timedelta(days=d), due_on=due,
                                      by="system:supervision")
                     for level, d in ((EscalationLevel.reminder, -3),
                                      (EscalationLevel.urging, 1),
                                      (EscalationLevel.notice, 5))],
        notices=[SupervisionNotice(level_issued_on=due + timedelta(days=5), due_on=due,
                                   document_id="doc-1", doc_number=f"督查室〔2026〕{n}号",
                                   dispatched_on=due + timedelta(days=6))],
        answers=[AnswerRecord.model_validate({
            "round": 1, "department": lead, "text": ANSWER, "result_code": ResultCode.being_solved,
            "replies_to": [s.name for s in signers], "submitted_on": due + timedelta(days=7),
            "submitted_by": "h-lead", "due_on": due})] if completed else [],
        satisfaction=[SatisfactionRecord(
            round=1, signer=s.name, satisfaction=Satisfaction.basically_satisfied,
            recorded_on=due + timedelta(days=20), recorded_by="du-zhou")
            for s in signers] if completed else [],
        appraisal=Appraisal(completed_on=due + timedelta(days=8), due_on=due, on_time=False,
                            working_days_late=5, times_returned=0,
                            satisfaction=Satisfaction.basically_satisfied) if completed else None,
        history=history)
    doc = item.model_dump(mode="json")
    doc["_id"] = doc.pop("id")
    return doc


def item_of(doc: dict[str, Any]) -> SupervisionItem:
    return SupervisionItem.model_validate(aggregate_fields(doc))


# --- the workbook -----------------------------------------------------------------------------


def rows_and_sheet(walk, filters: ExportLedger | None = None):
    done = ledger_row(item_of(stored_item(7, date(2026, 3, 2), lead="市住建局")))
    waiting = ledger_row(walk.registered())
    content = ledger_workbook([done, waiting], office=OFFICE, filters=filters or ExportLedger(),
                              scope=None, generated_at=NOW)
    return done, waiting, load_workbook(BytesIO(content)).active


def test_the_sheet_has_the_offices_title_the_filters_and_the_header(walk):
    _, _, ws = rows_and_sheet(walk, ExportLedger(year=2026, status=ItemStatus.completed))
    assert ws.title == "督查督办台账"
    assert ws["A1"].value == "某市人民政府办公室督查督办事项台账"
    assert ws["A1"].font.bold and ws["A1"].font.size == 16
    assert ws["A2"].value == "年度：2026年　来源：全部　单位（主办或协办）：全部　状态：已办结"
    assert ws["N2"].value == "导出日期：2026-12-02"
    assert [c.value for c in ws[3]] == list(HEADERS) == [
        "序号", "督查编号", "来源", "督查事项", "主办单位", "协办单位", "交办日期", "办理期限",
        "进展情况", "催办情况", "办理结果", "办结日期", "是否按期", "满意度", "状态", "备注"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A1:P1", "A2:M2", "N2:P2", "A6:P6", "A7:P7"} <= merged


def test_a_row_files_what_the_ledger_shows_of_the_item(walk):
    done, waiting, ws = rows_and_sheet(walk)
    row = {h: c.value for h, c in zip(HEADERS, ws[4], strict=True)}
    assert row["序号"] == 1 and row["督查编号"] == "督〔2026〕7号"
    assert row["来源"] == f"人大代表建议\n{done.source}"
    assert row["督查事项"] == done.title
    assert (row["主办单位"], row["协办单位"]) == ("市住建局", "市市场监管局、市城管局")
    assert row["交办日期"] == datetime(2026, 3, 2) and row["办理期限"] == datetime(2026, 6, 1)
    assert ws.cell(4, 7).number_format == "yyyy-mm-dd"
    assert row["进展情况"].splitlines() == [
        "1. 应报2026-04-01，2026-04-01报送", "2. 应报2026-05-01，2026-05-03报送（逾期）",
        "3. 应报2026-05-01，未报（逾期）", "4. 应报2026-05-31，2026-05-31报送"]
    assert row["催办情况"].splitlines() == [
        "2026-05-29 提醒", "2026-06-02 催办通知", "2026-06-06 督办通知书（督查室〔2026〕7号）"]
    assert row["办理结果"].startswith("B类（正在解决或列入计划）：关于加快老旧小区加装电梯")
    assert (row["办结日期"], row["是否按期"], row["满意度"], row["状态"]) == (
        datetime(2026, 6, 9), "否", "基本满意", "已办结")
    assert row["备注"] == "进展未报1次"
    assert ws.cell(4, 9).alignment.wrap_text and ws.cell(4, 9).alignment.horizontal == "left"
    # An item only registered: its number and status, nothing it does not have yet.
    second = {h: c.value for h, c in zip(HEADERS, ws[5], strict=True)}
    assert (second["序号"], second["督查编号"], second["状态"]) == (2, waiting.number, "已登记")
    assert second["主办单位"] is second["交办日期"] is second["办理结果"] is None


def test_the_total_line_the_notes_and_the_print_layout(walk):
    _, _, ws = rows_and_sheet(walk)
    assert ws["A6"].value == "合计：共2项（已登记1项，已办结1项）；已办结1项，其中按期办结0项。"
    assert ws["A7"].value.startswith("说明：1. 办理期限含批准的延期")
    assert ws.freeze_panes == "A4"
    assert ws.print_title_rows == "$3:$3"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9  # A4
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.column_dimensions["D"].width == 30 and ws.column_dimensions["A"].width == 6


def test_an_open_item_past_its_deadline_is_noted_overdue():
    late = ledger_row(item_of(stored_item(3, date(2026, 3, 2), completed=False)))
    content = ledger_workbook([late], office="", filters=ExportLedger(), scope=None,
                              generated_at=NOW)
    ws = load_workbook(BytesIO(content)).active
    assert ws["A1"].value == "督查督办事项台账"
    assert ws.cell(4, 16).value == "已逾期184天；进展未报1次"  # due 1 Jun, exported 2 Dec
    assert ws.cell(4, 13).value is None  # 是否按期: not completed


def test_the_same_rows_at_the_same_time_give_the_same_bytes(walk):
    rows = [ledger_row(walk.registered())]
    first, second = (ledger_workbook(rows, office=OFFICE, filters=ExportLedger(), scope=None,
                                     generated_at=NOW) for _ in range(2))
    assert first == second


def test_a_departments_file_says_its_department():
    filters = ExportLedger(year=2026)
    assert filename(OFFICE, filters, None, NOW.date()) == f"{OFFICE}2026年督查督办台账.xlsx"
    assert filename("", filters, "市住建局", NOW.date()) == "2026年督查督办台账（市住建局）.xlsx"
    assert filename("", ExportLedger(source=SourceKind.cppcc_proposal), None,
                    NOW.date()) == "督查督办台账（2026-12-02导出）.xlsx"
    assert filename("a/b:c", filters, None, NOW.date()) == "abc2026年督查督办台账.xlsx"


def test_more_items_than_a_workbook_holds_are_refused_with_a_stable_code():
    refuse_oversized(MAX_EXPORT_ROWS)
    with pytest.raises(GovbusError) as raised:
        refuse_oversized(MAX_EXPORT_ROWS + 1)
    assert raised.value.code is ErrorCode.payload_too_large
    assert raised.value.details == {"rows": MAX_EXPORT_ROWS + 1, "max_rows": MAX_EXPORT_ROWS}
    assert "请按年度、来源、单位或状态筛选后分别导出" in raised.value.message


def test_a_file_larger_than_one_bus_reply_carries_is_refused_with_the_same_code():
    refuse_too_large(1_400_000, 1_400_000, rows=9000)
    with pytest.raises(GovbusError) as raised:
        refuse_too_large(1_500_000, 1_400_000, rows=9500)
    assert raised.value.code is ErrorCode.payload_too_large
    assert raised.value.details == {"bytes": 1_500_000, "max_bytes": 1_400_000, "rows": 9500}
    assert raised.value.message.startswith("台账文件1.5MB（9500项），超过单次导出上限1.4MB")
    # The default leaves the base64 reply below the bus's 2 MB (deploy/nats).
    assert SupervisionSettings().export_max_bytes * 4 / 3 < 2_000_000


# --- the entries and the rates ----------------------------------------------------------------


def projection_of(docs: list[dict[str, Any]]) -> ListProjection:
    projection = ListProjection(LEDGER_LIST.spec)
    projection.fill(docs)
    return projection


def office_items(count: int, first: date = date(2025, 1, 1), every: int = 3,
                 start: int = 0) -> list[dict[str, Any]]:
    """``count`` items assigned every ``every`` days from ``first``, to the ten departments in
    turn, every third a 政协提案, every seventh still in handling, every eleventh 撤销."""
    docs = []
    for i in range(start, start + count):
        kind = SourceKind.cppcc_proposal if i % 3 == 0 else SourceKind.deputy_suggestion
        doc = stored_item(i, first + timedelta(days=every * (i - start)), kind=kind,
                          completed=i % 7 != 0)
        if i % 11 == 0:
            doc["status"] = ItemStatus.cancelled.value
        docs.append(doc)
    return docs


def test_an_entry_gives_back_the_ledger_row():
    doc = stored_item(5)
    page = projection_of([doc]).page_now([], offset=0, limit=10)
    assert [row_of(values) for values in page.items] == [ledger_row(item_of(doc))]
    # Its progress and 催办 levels are kept as tuples of their values, not one dict each.
    entry = projection_of([doc])._entries[doc["_id"]]
    progress = entry.values[LEDGER_LIST.spec.fields.index("progress")]
    assert progress[0] == ("2026-04-01", "2026-04-01", False)


def test_the_load_leaves_the_audit_trail_and_other_unread_fields_in_the_store():
    unread = {name for name, flag in LEDGER_LIST.spec.projection.items() if flag == 0}
    assert {"history", "co_opinions", "answer_draft", "reviews"} <= unread
    doc = {k: v for k, v in stored_item(5).items() if k not in unread}
    assert row_of(projection_of([doc]).page_now([], offset=0, limit=1).items[0]) == ledger_row(
        item_of(stored_item(5)))


QUERIES = [
    RatesQuery(period_from=date(2026, 6, 1), period_to=date(2026, 6, 30)),
    RatesQuery(period_from=date(2026, 4, 1), period_to=date(2026, 6, 30), department="市财政局"),
    RatesQuery(period_from=date(2025, 1, 1), period_to=date(2025, 12, 31),
               source=SourceKind.cppcc_proposal),
    RatesQuery(period_from=date(2025, 11, 15), period_to=date(2026, 2, 10), department="市住建局",
               source=SourceKind.deputy_suggestion),
    RatesQuery(period_from=date(2026, 6, 17), period_to=date(2026, 6, 17)),
    RatesQuery(period_from=date(2030, 1, 1), period_to=date(2030, 3, 31)),
]


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: f"{q.period_from}..{q.period_to}")
def test_the_rates_from_the_entries_equal_the_rates_of_the_ledger_rows(query):
    docs = office_items(240)
    expected = ledger_rates([ledger_row(item_of(d)) for d in docs], query.period_from,
                            query.period_to, query.department, query.source)
    assert rates_of(projection_of(docs), query)[0] == expected


def test_the_rates_walk_only_the_items_of_the_months_of_the_period():
    june = RatesQuery(period_from=date(2026, 6, 1), period_to=date(2026, 6, 30))
    lead = RatesQuery(period_from=date(2026, 6, 1), period_to=date(2026, 6, 30),
                      department="市财政局", source=SourceKind.deputy_suggestion)
    docs = office_items(240)

    def assigned(q: RatesQuery) -> int:
        return sum(1 for d in docs if d["status"] != ItemStatus.cancelled.value
                   and q.period_from.isoformat() <= d["assignments"][0]["assigned_on"]
                   <= q.period_to.isoformat()
                   and d["lead_department"] == (q.department or d["lead_department"])
                   and d["source"]["kind"] == (q.source or d["source"]["kind"]))

    # A period of whole months: exactly the items it counts (撤销 ones are not even walked).
    rates, page = rates_of(projection_of(docs), june)
    assert page.examined == rates.total.assigned == assigned(june) == 9
    rates, page = rates_of(projection_of(docs), lead)
    assert page.examined == rates.total.assigned == assigned(lead) >= 1
    # A thousand more items in other months, departments and sources cost nothing more.
    more = docs + office_items(1000, first=date(2021, 1, 1), every=1, start=1000)
    more += [stored_item(5000 + i, date(2026, 6, 3), lead="市教育局",
                         kind=SourceKind.cppcc_proposal) for i in range(20)]
    assert rates_of(projection_of(more), lead)[1].examined == assigned(lead)
    # A period that starts or ends within a month walks that month's items of the asked
    # department and source, and counts only its days.
    part = RatesQuery(period_from=date(2026, 6, 10), period_to=date(2026, 6, 20))
    rates, page = rates_of(projection_of(docs), part)
    assert (rates.total.assigned, page.examined) == (assigned(part), assigned(june))
    assert 0 < assigned(part) < assigned(june)
