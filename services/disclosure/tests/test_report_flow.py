"""The annual report through the bus, on a year of generated activity, with real servers.

A few hundred ``requests`` and ``catalogue`` records are written straight into a database of
the test's own, exactly as the record contract between the slices says (the requests and
catalogue slices write them in production); review cases and the entered figures go through
the commands. Then the 2025 and 2026 reports: every check passes, 2026's 上年结转 is 2025's
结转下年度, every number equals a count made here with plain Python, and the workbook (also
downloaded through the gateway) holds the same numbers. No applicant's personal data, which
the stored requests hold, comes out anywhere.
"""

from __future__ import annotations

import base64
import json
import random
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import BytesIO
from typing import Any

import httpx
import jwt
import pytest
from openpyxl import load_workbook

from govbus_contracts.envelope import Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.disclosure.common import (
    NORMATIVE_DOCUMENT,
    OUTCOME_REASONS,
    REGULATION,
    ApplicantType,
    OtherReason,
    Outcome,
    ReviewKind,
)
from govbus_contracts.services.disclosure.report import (
    ANNUAL_REPORT,
    EXPORT_ANNUAL_REPORT,
    LIST_REVIEW_CASES,
    RECORD_REPORT_FIGURES,
    RECORD_REVIEW_CASE,
    REPORT_FIGURES_RECORDED,
    REVIEW_CASE_RECORDED,
    REVIEW_CASE_UPDATED,
    UPDATE_REVIEW_CASE,
    XLSX_MEDIA_TYPE,
)
from govbus_disclosure.spreadsheet import SHEET_PROACTIVE, SHEET_REQUESTS, SHEET_REVIEWS
from govbus_gateway.app import create_app
from govbus_kit.bus import request
from govbus_testing import eventually, stream_messages

pytestmark = pytest.mark.servers

OFFICER = Principal(subject="u-gk-sun", name="孙晓", roles=frozenset({"disclosure_officer"}),
                    department="办公室")
APPROVER = Principal(subject="u-gk-zhou", name="周主任",
                     roles=frozenset({"disclosure_approver"}))
SECRET = "report-flow-secret-" + "r" * 32
YEARS = (2025, 2026)
#: Personal data every generated request holds; none of it may leave the service.
SECRET_NAMES = ("欧阳申请人", "13912345678", "110101199001011234", "幸福路88号")
COLUMNS = {"natural_person": ApplicantType.natural_person, "business": ApplicantType.business,
           "research": ApplicantType.research, "public_interest": ApplicantType.public_interest,
           "legal_service": ApplicantType.legal_service, "other": ApplicantType.other}


# --- a year of generated activity -------------------------------------------------------------


def generated_requests(rng: random.Random, n: int) -> list[dict[str, Any]]:
    """Requests received from late 2024 to the end of 2026, most closed within two months
    with a random outcome and reason, some still open."""
    start = date(2024, 11, 1)
    span = (date(2026, 12, 31) - start).days
    weights = [50, 20, 8, 6, 6, 10]  # most applicants are natural persons
    out = []
    for i in range(n):
        received = start + timedelta(days=rng.randrange(span + 1))
        kind = rng.choices(list(ApplicantType), weights)[0]
        doc: dict[str, Any] = {
            "_id": f"req-{i:04d}", "version": 3, "applicant_type": kind.value,
            "received_on": received.isoformat(), "closed_on": None, "outcome": None,
            "outcome_reason": None, "reply_type": None, "status": "办理中",
            "tracking_code": f"GK{i:06d}",
            "applicant": {"name": SECRET_NAMES[0], "phone": SECRET_NAMES[1],
                          "id_number": SECRET_NAMES[2], "address": SECRET_NAMES[3]},
            "_outbox": [], "_commands": [], "_applied": [],
        }
        if rng.random() < 0.85:
            closed = received + timedelta(days=rng.randrange(0, 60))
            outcome = rng.choice(list(Outcome))
            reasons = OUTCOME_REASONS[outcome]
            doc.update(closed_on=closed.isoformat(), outcome=outcome.value,
                       outcome_reason=rng.choice(list(reasons)).value if reasons else None,
                       status="已答复")
        out.append(doc)
    # The cases the brief names: across the new year, and withdrawn by the applicant.
    out.append({**out[0], "_id": "req-span", "applicant_type": "自然人",
                "received_on": "2025-12-30", "closed_on": "2026-01-08", "outcome": "予以公开",
                "outcome_reason": None})
    out.append({**out[0], "_id": "req-withdrawn", "applicant_type": "法律服务机构",
                "received_on": "2026-03-02", "closed_on": "2026-03-05", "outcome": "其他处理",
                "outcome_reason": OtherReason.other.value, "status": "已撤回"})
    return out


def generated_catalogue(rng: random.Random, n: int) -> list[dict[str, Any]]:
    categories = ["政府文件", REGULATION, NORMATIVE_DOCUMENT, "通知公告", "预决算", "统计信息"]
    out = []
    for i in range(n):
        made = date(2024, 6, 1) + timedelta(days=rng.randrange(900))
        due = made + timedelta(days=28)
        doc: dict[str, Any] = {
            "_id": f"cat-{i:04d}", "version": 2, "category": rng.choice(categories),
            "title": f"第{i}号公开信息", "information_date": made.isoformat(),
            "due_on": due.isoformat(), "status": "待公开", "published_on": None,
            "late": False, "withdrawn_on": None, "repealed_on": None,
            "source": rng.choice(["公文", "手工"]),
        }
        if rng.random() < 0.9:
            published = made + timedelta(days=rng.randrange(0, 40))
            doc.update(status="已公开", published_on=published.isoformat(),
                       late=published > due)
            if rng.random() < 0.1:
                doc.update(status="已撤回", withdrawn_on=(
                    published + timedelta(days=rng.randrange(1, 200))).isoformat())
            elif doc["category"] in (REGULATION, NORMATIVE_DOCUMENT) and rng.random() < 0.2:
                doc.update(status="已废止", repealed_on=(
                    published + timedelta(days=rng.randrange(1, 300))).isoformat())
        else:
            doc["late"] = due < date(2026, 11, 22)
        out.append(doc)
    return out


# --- independent counts -----------------------------------------------------------------------


def d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def expected_requests(records: list[dict[str, Any]], year: int) -> dict[str, Counter[str]]:
    """第三部分 counted the plain way: row key → applicant type value → count."""
    rows: dict[str, Counter[str]] = {}

    def add(key: str, r: dict[str, Any]) -> None:
        rows.setdefault(key, Counter())[r["applicant_type"]] += 1

    first, last = date(year, 1, 1), date(year, 12, 31)
    for r in records:
        received, closed = d(r["received_on"]), d(r["closed_on"])
        assert received is not None
        if received.year == year:
            add("new", r)
        if received < first and (closed is None or closed >= first):
            add("carried_over", r)
        if received <= last and (closed is None or closed > last):
            add("carried_forward", r)
        if closed is not None and closed.year == year:
            add("total", r)
            outcome = Outcome(r["outcome"])
            add(outcome.name, r)
            reasons = OUTCOME_REASONS[outcome]
            if reasons:
                add(f"{outcome.name}.{reasons(r['outcome_reason']).name}", r)
    return rows


def expected_regulations(entries: list[dict[str, Any]], year: int) -> list[tuple[int, int, int]]:
    last = date(year, 12, 31)
    out = []
    for category in (REGULATION, NORMATIVE_DOCUMENT):
        mine = [e for e in entries if e["category"] == category]

        def gone(e: dict[str, Any]) -> bool:
            return any(v is not None and v <= last
                       for v in (d(e["withdrawn_on"]), d(e["repealed_on"])))

        # 本年制发 by the day the information was made (成文日期), of published entries.
        def made(e: dict[str, Any]) -> date | None:
            return d(e["information_date"]) if e["published_on"] else None

        issued = sum(1 for e in mine if (m := made(e)) and m.year == year)
        repealed = sum(1 for e in mine if (r := d(e["repealed_on"])) and r.year == year)
        in_force = sum(1 for e in mine if (m := made(e)) and m <= last and not gone(e))
        out.append((issued, repealed, in_force))
    return out


# --- the service ------------------------------------------------------------------------------


@pytest.fixture
async def busy_office(disclosure) -> AsyncIterator[tuple[Any, dict[str, list[dict[str, Any]]]]]:
    rng = random.Random(20261122)
    async with disclosure("report") as (host, db):
        records = {"requests": generated_requests(rng, 400),
                   "catalogue": generated_catalogue(rng, 160)}
        await db["requests"].insert_many(records["requests"])
        await db["catalogue"].insert_many(records["catalogue"])
        yield host, records


def ask(host: Any, spec: Any, payload: dict[str, Any], who: Principal = OFFICER,
        message_id: str | None = None) -> Any:
    return request(host.broker, spec, payload, principal=who, message_id=message_id,
                   timeout=30)


CASES = [
    # (kind, 案号, filed, result when recorded, concluded when recorded, update to)
    (ReviewKind.administrative_review, "市府复〔2025〕11号", "2025-04-01", "结果维持",
     "2025-06-20", None),
    (ReviewKind.administrative_review, "市府复〔2025〕37号", "2025-11-10", "尚未审结", None,
     ("结果纠正", "2026-01-15")),
    (ReviewKind.administrative_review, "市府复〔2026〕5号", "2026-03-02", "尚未审结", None,
     ("其他结果", "2026-05-11")),
    (ReviewKind.administrative_review, "市府复〔2026〕40号", "2026-11-03", "尚未审结", None,
     None),
    (ReviewKind.litigation_direct, "（2025）鄂0502行初88号", "2025-09-01", "尚未审结", None,
     ("结果维持", "2026-02-20")),
    (ReviewKind.litigation_after_review, "（2026）鄂0502行初12号", "2026-02-01", "尚未审结",
     None, None),
]


async def record_cases(host: Any) -> dict[str, str]:
    ids = {}
    for kind, number, filed, result, concluded, update in CASES:
        recorded = await ask(host, RECORD_REVIEW_CASE, {
            "kind": kind.value, "case_number": number, "filed_on": filed, "result": result,
            "concluded_on": concluded, "request_id": "req-0001"})
        ids[number] = recorded["id"]
        if update:
            updated = await ask(host, UPDATE_REVIEW_CASE, {
                "case_id": recorded["id"], "result": update[0], "concluded_on": update[1]})
            assert updated["result"] == update[0]
            assert [h["action"] for h in updated["history"]] == ["登记", "审结"]
    return ids


def counts_of(report: dict[str, Any]) -> dict[str, dict[str, int]]:
    return {row["key"]: row["counts"] for row in report["requests"]}


async def test_a_year_of_activity_gives_consistent_reports(busy_office):
    host, records = busy_office
    await record_cases(host)
    for year, figures in ((2025, {"licensing_decisions": 812, "punishment_decisions": 45,
                                  "enforcement_decisions": 3, "fees_amount": "0"}),
                          (2026, {"licensing_decisions": 1200, "punishment_decisions": 51,
                                  "enforcement_decisions": 6, "fees_amount": "12.3456"})):
        await ask(host, RECORD_REPORT_FIGURES, {"year": year, **figures})
    revised = await ask(host, RECORD_REPORT_FIGURES, {
        "year": 2026, "licensing_decisions": 1235, "reason": "市场监管局补报二季度数据"})
    assert [v["number"] for v in revised["versions"]] == [1, 2]
    assert revised["current"]["punishment_decisions"] == 51  # kept from version 1

    started = time.perf_counter()
    reports = {y: await ask(host, ANNUAL_REPORT, {"year": y}, APPROVER) for y in YEARS}
    elapsed = (time.perf_counter() - started) / len(YEARS)
    print(f"\nannual_report over {len(records['requests'])} requests and "
          f"{len(records['catalogue'])} entries: {elapsed * 1000:.0f} ms per report")

    for year, report in reports.items():
        failed = [c for c in report["checks"] if not c["passed"]]
        assert report["consistent"] and not failed, failed
        assert report["problems"] == []
        counted = counts_of(report)
        expected = expected_requests(records["requests"], year)
        for key, row in counted.items():
            want = expected.get(key, Counter())
            for field, kind in COLUMNS.items():
                assert row[field] == want[kind.value], (year, key, field)
            assert row["total"] == sum(want.values()), (year, key)
            assert row["legal_persons"] == row["total"] - want[ApplicantType.natural_person]
        regulations = [(r["issued"], r["repealed"], r["in_force"])
                       for r in report["proactive"]["regulations"]]
        assert regulations == expected_regulations(records["catalogue"], year)
    # The generated year is not trivial: every kind of row has something in it.
    r2026 = counts_of(reports[2026])
    assert all(r2026[o.name]["total"] > 0 for o in Outcome)
    assert r2026["carried_over"]["total"] > 0 and r2026["carried_forward"]["total"] > 0
    assert reports[2026]["carried_over_matches_previous_year"]
    assert r2026["carried_over"] == counts_of(reports[2025])["carried_forward"]
    assert reports[2026]["previous_year_carried_forward"] == r2026["carried_over"]

    # 第四部分 from the recorded cases.
    reviews = {r["kind"]: r for r in reports[2026]["reviews"]}
    assert reviews["行政复议"] | {"kind": None} == {
        "kind": None, "upheld": 0, "corrected": 1, "other": 1, "pending": 1, "total": 3}
    assert (reviews["行政诉讼(未经复议直接起诉)"]["upheld"],
            reviews["行政诉讼(复议后起诉)"]["pending"]) == (1, 1)
    r2025 = {r["kind"]: r for r in reports[2025]["reviews"]}
    assert (r2025["行政复议"]["upheld"], r2025["行政复议"]["pending"],
            r2025["行政诉讼(未经复议直接起诉)"]["pending"]) == (1, 1, 1)
    decisions = [x["decisions"] for x in reports[2026]["proactive"]["decisions"]]
    assert decisions == [1235, 51, 6]
    assert Decimal(reports[2026]["proactive"]["fees"][0]["amount"]) == Decimal("12.3456")
    assert reports[2026]["missing_figures"] == []
    text = json.dumps(reports, ensure_ascii=False)
    assert not any(secret in text for secret in SECRET_NAMES)

    # The workbook holds the same numbers.
    exported = await ask(host, EXPORT_ANNUAL_REPORT, {"year": 2026}, APPROVER)
    assert exported["filename"] == "2026年政府信息公开工作年度报告.xlsx"
    assert exported["consistent"]
    content = base64.b64decode(exported["content_base64"])
    assert len(content) == exported["size"]
    assert_workbook_matches(content, reports[2026])


def assert_workbook_matches(content: bytes, report: dict[str, Any]) -> None:
    wb = load_workbook(BytesIO(content))
    for values in (v for ws in wb.worksheets for row in ws.iter_rows(values_only=True)
                   for v in row if isinstance(v, str)):
        assert not any(secret in values for secret in SECRET_NAMES)
    ws = wb[SHEET_REQUESTS]
    rows = {row["label"]: row["counts"] for row in report["requests"]}
    seen = 0
    for values in ws.iter_rows(min_row=5, values_only=True):
        label = values[2] or values[1] or values[0]
        if label not in rows:
            continue
        c = rows[label]
        assert list(values[3:10]) == [c["natural_person"], c["business"], c["research"],
                                      c["public_interest"], c["legal_service"], c["other"],
                                      c["total"]], label
        assert all(isinstance(v, int) for v in values[3:10])
        seen += 1
    # Every row of the template: 一、二、(一)(二), the 20 reasons, (七), 四.
    assert seen == 2 + 2 + 8 + 3 + 5 + 3 + 1 + 1
    reviews = [c.value for c in wb[SHEET_REVIEWS][5]]
    assert reviews == [v for r in report["reviews"] for v in (
        r["upheld"], r["corrected"], r["other"], r["pending"], r["total"])]
    proactive = wb[SHEET_PROACTIVE]
    regs = [[c.value for c in proactive[i]][:4] for i in (4, 5)]
    assert regs == [[r["content"], r["issued"], r["repealed"], r["in_force"]]
                    for r in report["proactive"]["regulations"]]


async def test_review_cases_are_recorded_once_listed_and_announced(busy_office, settings):
    host, _ = busy_office
    since = datetime.now(UTC)
    ids = await record_cases(host)
    number = "市府复〔2025〕11号"
    # The same case again (another command) is a conflict; a retried command is answered alike.
    with pytest.raises(GovbusError) as refused:
        await ask(host, RECORD_REVIEW_CASE, {
            "kind": "行政复议", "case_number": number, "filed_on": "2025-04-01"})
    assert refused.value.code is ErrorCode.conflict
    payload = {"kind": "行政诉讼(复议后起诉)", "case_number": "（2026）鄂05行终3号",
               "filed_on": "2026-06-01"}
    first = await ask(host, RECORD_REVIEW_CASE, payload, message_id="cmd-review-once-1")
    again = await ask(host, RECORD_REVIEW_CASE, payload, message_id="cmd-review-once-1")
    assert first == again
    # A concluded case does not go back to pending; a correction needs its reason.
    concluded = ids[number]
    with pytest.raises(GovbusError) as back:
        await ask(host, UPDATE_REVIEW_CASE, {"case_id": concluded, "result": "尚未审结"})
    assert back.value.code is ErrorCode.invalid_transition
    with pytest.raises(GovbusError) as no_reason:
        await ask(host, UPDATE_REVIEW_CASE, {"case_id": concluded, "result": "结果纠正",
                                             "concluded_on": "2025-06-20"})
    assert no_reason.value.code is ErrorCode.validation_failed
    with pytest.raises(GovbusError) as early:
        await ask(host, UPDATE_REVIEW_CASE, {"case_id": first["id"], "result": "结果维持",
                                             "concluded_on": "2026-05-01"})
    assert early.value.code is ErrorCode.validation_failed
    corrected = await ask(host, UPDATE_REVIEW_CASE, {
        "case_id": concluded, "result": "结果纠正", "concluded_on": "2025-06-20",
        "reason": "登记错误: 复议决定书为撤销原答复"})
    assert corrected["history"][-1]["action"] == "更正"
    with pytest.raises(GovbusError) as missing:
        await ask(host, UPDATE_REVIEW_CASE, {"case_id": "nope", "result": "结果维持",
                                             "concluded_on": "2026-05-01"})
    assert missing.value.code is ErrorCode.not_found
    # Lists.
    listed = await ask(host, LIST_REVIEW_CASES, {"kind": "行政复议"}, APPROVER)
    assert listed["total"] == 4
    assert [c["filed_on"] for c in listed["items"]] == sorted(
        (c["filed_on"] for c in listed["items"]), reverse=True)
    in_2026 = await ask(host, LIST_REVIEW_CASES, {"year": 2026, "kind": "行政复议"}, APPROVER)
    assert {c["case_number"] for c in in_2026["items"]} == {
        "市府复〔2025〕37号", "市府复〔2026〕5号", "市府复〔2026〕40号"}
    # Staff only; and only an officer records.
    for spec, body, who in (
            (LIST_REVIEW_CASES, {}, Principal.anonymous()),
            (ANNUAL_REPORT, {"year": 2026}, Principal.anonymous()),
            (RECORD_REVIEW_CASE, {**payload, "case_number": "x"}, APPROVER),
            (RECORD_REPORT_FIGURES, {"year": 2026, "licensing_decisions": 1}, APPROVER)):
        with pytest.raises(GovbusError) as forbidden:
            await ask(host, spec, body, who)
        assert forbidden.value.code is ErrorCode.forbidden
    # A change of recorded figures needs its reason; it changes nothing without one.
    await ask(host, RECORD_REPORT_FIGURES, {"year": 2024, "licensing_decisions": 9})
    with pytest.raises(GovbusError) as unexplained:
        await ask(host, RECORD_REPORT_FIGURES, {"year": 2024, "licensing_decisions": 10})
    assert unexplained.value.code is ErrorCode.validation_failed
    report = await ask(host, ANNUAL_REPORT, {"year": 2024})
    assert report["proactive"]["decisions"][0]["decisions"] == 9
    assert report["proactive"]["figures_version"] == 1

    # Events: each case recorded, each conclusion and the correction, the figures.
    # (Case ids derive from kind and 案号, so other tests' cases share them: this test's
    # events are those since it started.)
    case_ids = {*ids.values(), first["id"]}

    async def ours(subject: str) -> list[dict[str, Any]]:
        found = await stream_messages(settings.nats_url, subject, "GOV_DISCLOSURE")
        return [m for m in found
                if datetime.fromisoformat(m["headers"]["ce-time"].replace("Z", "+00:00"))
                >= since
                and (m["data"].get("case_id") in case_ids or m["data"].get("year") == 2024)]

    recorded = await eventually(lambda: ours(REVIEW_CASE_RECORDED.subject),
                                lambda found: len(found) == 7)
    assert {m["data"]["case_number"] for m in recorded} >= {number}
    updated = await eventually(lambda: ours(REVIEW_CASE_UPDATED.subject),
                               lambda found: len(found) == 4)
    assert updated[-1]["data"]["previous_result"] == "结果维持"
    assert updated[-1]["data"]["reason"].startswith("登记错误")
    figures = await eventually(lambda: ours(REPORT_FIGURES_RECORDED.subject),
                               lambda found: len(found) == 1)
    assert figures[0]["data"]["licensing_decisions"] == 9


# --- through the gateway ----------------------------------------------------------------------


def staff(role: str) -> dict[str, str]:
    claims = {"sub": f"u-{role}", "name": "公开办", "roles": [role],
              "exp": int(time.time()) + 600}
    return {"Authorization": "Bearer " + jwt.encode(claims, SECRET, algorithm="HS256")}


async def test_the_report_is_downloaded_as_a_spreadsheet_through_the_gateway(busy_office, settings):
    host, _ = busy_office
    app = create_app(settings, secret=SECRET)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw",
                                     timeout=30) as api:
            officer = staff("disclosure_officer")
            r = await api.post("/api/v1/disclosure/review-cases", headers=officer, json={
                "kind": "行政复议", "case_number": "市府复〔2026〕77号",
                "filed_on": "2026-07-01"})
            assert r.status_code == 201, r.text
            case_id = r.json()["id"]
            r = await api.post(f"/api/v1/disclosure/review-cases/{case_id}/update",
                               headers=officer, json={"result": "结果维持",
                                                      "concluded_on": "2026-09-30"})
            assert r.status_code == 200 and r.json()["result"] == "结果维持", r.text
            r = await api.post("/api/v1/disclosure/reports/2026/figures", headers=officer,
                               json={"licensing_decisions": 7, "fees_amount": "1.5"})
            assert r.status_code == 200, r.text
            listed = await api.get("/api/v1/disclosure/review-cases", headers=officer,
                                   params={"year": 2026})
            assert [c["id"] for c in listed.json()["items"]] == [case_id]
            report = await api.get("/api/v1/disclosure/reports/2026", headers=officer)
            assert report.status_code == 200, report.text
            body = report.json()
            assert body["consistent"] and body["reviews"][0]["upheld"] == 1
            download = await api.get("/api/v1/disclosure/reports/2026/xlsx", headers=officer)
            assert download.status_code == 200, download.text
            assert download.headers["content-type"] == XLSX_MEDIA_TYPE
            disposition = download.headers["content-disposition"]
            assert disposition.startswith("attachment;")
            assert "filename*=UTF-8''2026%E5%B9%B4" in disposition
            assert_workbook_matches(download.content, body)
            # The public and other roles do not get it.
            assert (await api.get("/api/v1/disclosure/reports/2026/xlsx")).status_code == 401
            assert (await api.get("/api/v1/disclosure/reports/2026",
                                  headers=staff("registrar"))).status_code == 403
            bad = await api.get("/api/v1/disclosure/reports/twenty", headers=officer)
            assert bad.status_code == 422
