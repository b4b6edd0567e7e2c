"""台账, rates and the 台账's workbook through the bus (the workbook also through the gateway),
against the real servers.

Four items opened and registered (督〔2026〕1–4号): two assigned to one department (the first
with a co-department, completed on time and rated 满意; the other still 办理中), one to a
second department completed after its deadline and rated 不满意, one only registered. The
ledger filtered by department, status, year and source shows exactly them, a page at a
time; the rates equal the hand-computed 办结率, 按期办结率, 满意率 with their definitions; a
handler sees its department's items only (lead or co-department), a handler of another
department none, and no handler sees the rates.

The workbook: three items registered (督〔2026〕1–3号): one assigned to 市住建局 with 市财政局
as co-department, answered and completed on time (满意); one assigned to 市教育局, still
in handling; one only registered. The office's file holds all three under the
office's title, with the filters and the 合计 line; a 市财政局 handler's file holds only
the item it co-handles; the download route answers the file with its Chinese name in
the Content-Disposition (RFC 5987); more items than one workbook holds, or a file
larger than one bus reply carries, are refused with ``payload_too_large`` (HTTP
413), not a 500.
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from datetime import datetime
from io import BytesIO
from typing import Any
from urllib.parse import unquote

import httpx
import jwt
import pytest
from openpyxl import load_workbook

from govbus_contracts.envelope import Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.supervision.items import (
    ASSIGN_ITEM,
    GIVE_OPINION,
    OPEN_ITEM,
    REGISTER_ITEM,
    REVIEW_ANSWER,
    SUBMIT_ANSWER,
)
from govbus_contracts.services.supervision.ledger import (
    EXPORT_LEDGER,
    LEDGER,
    RATES,
    XLSX_MEDIA_TYPE,
)
from govbus_gateway.app import create_app
from govbus_kit.clock import OFFICE_TZ, ManualClock
from govbus_supervision.domain.rates import DEFINITIONS
from govbus_supervision.handlers import ledger as ledger_handlers
from govbus_supervision.plugin import service as supervision
from govbus_supervision.settings import SupervisionSettings
from govbus_supervision.workbook import HEADERS
from govbus_testing import IsolatedSettings, running
from govbus_testing.office import LEADER, ask, handler
from govbus_testing.supervision import SUPERVISOR

pytestmark = pytest.mark.servers



def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 10, tzinfo=OFFICE_TZ)


def opening(title: str) -> dict[str, Any]:
    return {"title": title, "content": "请于期限内报送办理情况。",
            "source": {"kind": "其他督查事项", "manual": {
                "manual_kind": "媒体报道", "origin": "某日报2026年6月1日第4版报道"}}}


async def test_the_ledger_and_the_rates_show_exactly_the_items(servers, settings):
    first, second, other = "市住建局", "市财政局", "市教育局"
    first_h, second_h, other_h = handler(first, "林主办"), handler(second), handler(other)
    own = IsolatedSettings(**settings.model_dump(),
                           database=f"govbus_supervision_ledger_{uuid.uuid4().hex[:8]}")
    clock = ManualClock(at(6, 1))
    async with running(own, supervision, clock=clock) as host:

        async def item(title: str) -> str:
            opened = await ask(host, OPEN_ITEM, opening(title), SUPERVISOR)
            await ask(host, REGISTER_ITEM, {"id": opened["id"]}, SUPERVISOR)
            return str(opened["id"])

        on_time, open_, late, registered = [await item(t) for t in (
            "加快推进老旧小区加装电梯", "背街小巷路灯修复", "拖欠中小企业账款清理",
            "学校周边交通整治")]
        await ask(host, ASSIGN_ITEM, {"id": on_time, "lead_department": first,
                                      "co_departments": [second], "due_on": "2026-06-20"},
                  SUPERVISOR)
        await ask(host, ASSIGN_ITEM, {"id": open_, "lead_department": first,
                                      "due_on": "2026-06-30"}, SUPERVISOR)
        await ask(host, ASSIGN_ITEM, {"id": late, "lead_department": second,
                                      "due_on": "2026-06-15"}, SUPERVISOR)

        # 按期: answered 10 Jun for a 20 Jun deadline; 逾期: answered 22 Jun for 15 Jun.
        await ask(host, GIVE_OPINION, {"id": on_time, "opinion": "资金按程序安排。"}, second_h)
        clock.set(at(6, 10))
        await ask(host, SUBMIT_ANSWER, {"id": on_time, "text": "已加装电梯32部。"}, first_h)
        await ask(host, REVIEW_ANSWER, {"id": on_time, "decision": "审结通过",
                                        "satisfaction": "满意"}, SUPERVISOR)
        clock.set(at(6, 22))
        await ask(host, SUBMIT_ANSWER, {"id": late, "text": "已清理账款1.2亿元。"}, second_h)
        await ask(host, REVIEW_ANSWER, {"id": late, "decision": "审结通过",
                                        "satisfaction": "不满意"}, SUPERVISOR)

        async def ids(who: Principal, **filters: Any) -> list[str]:
            page = await ask(host, LEDGER, filters, who)
            assert page["total"] == len(page["rows"]), page
            return [row["id"] for row in page["rows"]]

        # By number (督〔2026〕1号 first); the filters one by one and together.
        assert await ids(SUPERVISOR) == [on_time, open_, late, registered]
        assert await ids(SUPERVISOR, year=2026) == [on_time, open_, late, registered]
        assert await ids(SUPERVISOR, year=2025) == []
        assert await ids(SUPERVISOR, source="其他督查事项") == [on_time, open_, late,
                                                            registered]
        assert await ids(SUPERVISOR, source="领导批示") == []
        assert await ids(SUPERVISOR, department=first) == [on_time, open_]
        assert await ids(SUPERVISOR, department=second) == [on_time, late]  # co and lead
        assert await ids(SUPERVISOR, status="已办结") == [on_time, late]
        assert await ids(SUPERVISOR, status="已登记") == [registered]
        assert await ids(SUPERVISOR, department=first, status="已办结", year=2026) == [on_time]
        assert await ids(SUPERVISOR, department=first, status="办理中") == [open_]
        assert await ids(LEADER, department=second, status="已办结") == [on_time, late]

        # A page at a time; the total counts every match.
        page = await ask(host, LEDGER, {"offset": 1, "limit": 2}, SUPERVISOR)
        assert ([r["id"] for r in page["rows"]], page["total"]) == ([open_, late], 4)

        # The rows: what the 台账 files for each item.
        rows = {r["id"]: r for r in (await ask(host, LEDGER, {}, SUPERVISOR))["rows"]}
        assert [rows[i]["number"] for i in (on_time, open_, late, registered)] == [
            "督〔2026〕1号", "督〔2026〕2号", "督〔2026〕3号", "督〔2026〕4号"]
        done = rows[on_time]
        assert (done["lead_department"], done["co_departments"], done["assigned_on"],
                done["due_on"], done["completed_on"], done["on_time"], done["satisfaction"],
                done["result"]) == (first, [second], "2026-06-01", "2026-06-20", "2026-06-10",
                                    True, "满意", "已加装电梯32部。")
        assert (rows[late]["on_time"], rows[late]["completed_on"],
                rows[late]["satisfaction"]) == (False, "2026-06-22", "不满意")
        assert (rows[registered]["status"], rows[registered]["lead_department"],
                rows[registered]["assigned_on"]) == ("已登记", None, None)

        # A handler: its department's items only, whatever it filters by.
        assert await ids(first_h) == [on_time, open_]
        assert await ids(second_h) == [on_time, late]
        assert await ids(second_h, department=first) == [on_time]
        assert await ids(first_h, status="已办结") == [on_time]
        assert await ids(other_h) == []
        assert await ids(other_h, department=first) == []

        # 办结率, 按期办结率, 满意率 of the items assigned in June, by lead department:
        # 住建局 2 assigned, 1 completed on time (满意); 财政局 1, completed late (不满意).
        rates = await ask(host, RATES, {"period_from": "2026-06-01",
                                        "period_to": "2026-06-30"}, LEADER)
        figures = {r["department"]: (r["assigned"], r["completed"], r["completed_on_time"],
                                     r["rated"], r["satisfied"], r["completion_rate"],
                                     r["on_time_rate"], r["satisfaction_rate"])
                   for r in [*rates["rows"], rates["total"]]}
        assert figures == {first: (2, 1, 1, 1, 1, 0.5, 1.0, 1.0),
                           second: (1, 1, 0, 1, 0, 1.0, 0.0, 0.0),
                           "合计": (3, 2, 1, 2, 1, 0.6667, 0.5, 0.5)}
        assert rates["definitions"] == [d.model_dump() for d in DEFINITIONS]
        # Counted at the period's end: 财政局's item was completed on 22 Jun.
        before = await ask(host, RATES, {"period_from": "2026-06-01",
                                         "period_to": "2026-06-20", "department": second},
                           SUPERVISOR)
        assert [(r["department"], r["assigned"], r["completed"], r["completion_rate"])
                for r in before["rows"]] == [(second, 1, 0, 0.0)]
        none = await ask(host, RATES, {"period_from": "2026-07-01",
                                       "period_to": "2026-07-31"}, SUPERVISOR)
        assert none["rows"] == [] and none["total"]["completion_rate"] is None

        for who in (first_h, other_h):
            with pytest.raises(GovbusError) as raised:
                await ask(host, RATES, {"period_from": "2026-06-01",
                                        "period_to": "2026-06-30"}, who)
            assert raised.value.code is ErrorCode.forbidden


# --- the workbook -----------------------------------------------------------------------------

SECRET = "ledger-export-secret-" + "x" * 32
OFFICE = "某市人民政府办公室"
LEAD, CO, OTHER = "市住建局", "市财政局", "市教育局"


def sheet(content: bytes) -> Any:
    return load_workbook(BytesIO(content)).active


def rows_of(ws: Any) -> list[dict[str, Any]]:
    """The item rows (below the header, above the 合计 line)."""
    out = []
    for cells in ws.iter_rows(min_row=4):
        if isinstance(cells[0].value, int):
            out.append({h: c.value for h, c in zip(HEADERS, cells, strict=True)})
    return out


def staff(role: str, department: str | None = None) -> dict[str, str]:
    claims: dict[str, Any] = {"sub": f"u-{role}", "name": "督查", "roles": [role],
                              "exp": int(time.time()) + 600}
    if department:
        claims["department"] = department
    return {"Authorization": "Bearer " + jwt.encode(claims, SECRET, algorithm="HS256")}


async def test_the_ledger_is_exported_as_the_offices_workbook(servers, settings, monkeypatch):
    own = IsolatedSettings(**settings.model_dump(),
                           database=f"govbus_supervision_export_{uuid.uuid4().hex[:8]}")
    clock = ManualClock(at(6, 1))
    options = {supervision.name: SupervisionSettings(office_name=OFFICE)}
    async with running(own, supervision, clock=clock, service_settings=options) as host:

        async def item(title: str) -> str:
            opened = await ask(host, OPEN_ITEM, opening(title), SUPERVISOR)
            await ask(host, REGISTER_ITEM, {"id": opened["id"]}, SUPERVISOR)
            return str(opened["id"])

        done, open_, registered = [await item(t) for t in (
            "加快推进老旧小区加装电梯", "学校周边交通整治", "背街小巷路灯修复")]
        await ask(host, ASSIGN_ITEM, {"id": done, "lead_department": LEAD,
                                      "co_departments": [CO], "due_on": "2026-06-20"},
                  SUPERVISOR)
        await ask(host, ASSIGN_ITEM, {"id": open_, "lead_department": OTHER,
                                      "due_on": "2026-06-30"}, SUPERVISOR)
        await ask(host, GIVE_OPINION, {"id": done, "opinion": "资金按程序安排。"}, handler(CO))
        clock.set(at(6, 10))
        await ask(host, SUBMIT_ANSWER, {"id": done, "text": "已加装电梯32部。"},
                  handler(LEAD, "林主办"))
        await ask(host, REVIEW_ANSWER, {"id": done, "decision": "审结通过",
                                        "satisfaction": "满意"}, SUPERVISOR)

        # The office's file: every item, in the ledger's order, under the office's title.
        reply = await ask(host, EXPORT_LEDGER, {"year": 2026}, SUPERVISOR)
        content = base64.b64decode(reply["content_base64"])
        assert (reply["filename"], reply["media_type"], reply["rows"], reply["size"]) == (
            f"{OFFICE}2026年督查督办台账.xlsx", XLSX_MEDIA_TYPE, 3, len(content))
        assert reply["sha256"] == hashlib.sha256(content).hexdigest()
        ws = sheet(content)
        assert ws["A1"].value == f"{OFFICE}督查督办事项台账"
        assert ws["A2"].value.startswith("年度：2026年　来源：全部")
        assert [c.value for c in ws[3]] == list(HEADERS)
        rows = rows_of(ws)
        assert [r["督查编号"] for r in rows] == ["督〔2026〕1号", "督〔2026〕2号", "督〔2026〕3号"]
        first = rows[0]
        assert (first["主办单位"], first["协办单位"], first["交办日期"], first["办理期限"],
                first["办理结果"], first["办结日期"], first["是否按期"], first["满意度"],
                first["状态"]) == (LEAD, CO, datetime(2026, 6, 1), datetime(2026, 6, 20),
                                   "已加装电梯32部。", datetime(2026, 6, 10), "是", "满意",
                                   "已办结")
        assert first["来源"].startswith("其他督查事项\n媒体报道")
        assert (rows[1]["主办单位"], rows[1]["状态"]) == (OTHER, "办理中")
        assert (rows[2]["主办单位"], rows[2]["状态"]) == (None, "已登记")
        assert ws["A7"].value == ("合计：共3项（已登记1项，办理中1项，已办结1项）；"
                                  "已办结1项，其中按期办结1项。")
        assert "A1:P1" in {str(r) for r in ws.merged_cells.ranges}
        # Filtered, and the leaders read all as the office does.
        completed = await ask(host, EXPORT_LEDGER, {"status": "已办结"}, LEADER)
        assert [r["督查编号"] for r in rows_of(sheet(base64.b64decode(
            completed["content_base64"])))] == ["督〔2026〕1号"]

        # A handler's file: only its department's items (here as co-department).
        mine = await ask(host, EXPORT_LEDGER, {"year": 2026}, handler(CO))
        assert (mine["filename"], mine["rows"]) == (f"{OFFICE}2026年督查督办台账（{CO}）.xlsx", 1)
        ws = sheet(base64.b64decode(mine["content_base64"]))
        assert [r["督查编号"] for r in rows_of(ws)] == ["督〔2026〕1号"]
        assert f"单位（主办或协办）：{CO}" in ws["A2"].value
        none = await ask(host, EXPORT_LEDGER, {}, handler("市民政局"))
        assert none["rows"] == 0 and rows_of(sheet(base64.b64decode(none["content_base64"]))) == []

        # Through the gateway: the file itself, its name RFC 5987-encoded; roles as the ledger's.
        app = create_app(own, secret=SECRET)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gw",
                                         timeout=30) as api:
                r = await api.get("/api/v1/supervision/ledger.xlsx", params={"year": 2026},
                                  headers=staff("supervisor", "督查室"))
                assert r.status_code == 200, r.text
                assert r.headers["content-type"] == XLSX_MEDIA_TYPE
                name = r.headers["content-disposition"].split("filename*=UTF-8''")[1]
                assert unquote(name) == f"{OFFICE}2026年督查督办台账.xlsx"
                assert len(rows_of(sheet(r.content))) == 3
                r = await api.get("/api/v1/supervision/ledger.xlsx",
                                  headers=staff("handler", LEAD))
                assert r.status_code == 200 and len(rows_of(sheet(r.content))) == 1
                assert (await api.get("/api/v1/supervision/ledger.xlsx")).status_code == 401
                assert (await api.get("/api/v1/supervision/ledger.xlsx",
                                      headers=staff("registrar"))).status_code == 403

                # More items than one workbook holds: a clear refusal, never a 500.
                monkeypatch.setattr(ledger_handlers, "MAX_EXPORT_ROWS", 2)
                r = await api.get("/api/v1/supervision/ledger.xlsx",
                                  headers=staff("supervisor", "督查室"))
                assert r.status_code == 413, r.text
                error = r.json()["error"]
                assert error["code"] == "payload_too_large"
                assert error["details"] == {"rows": 3, "max_rows": 2}
                # Narrowed by a filter, the same office gets its file.
                r = await api.get("/api/v1/supervision/ledger.xlsx", params={"status": "已登记"},
                                  headers=staff("supervisor", "督查室"))
                assert r.status_code == 200 and len(rows_of(sheet(r.content))) == 1
        with pytest.raises(GovbusError) as raised:
            await ask(host, EXPORT_LEDGER, {}, SUPERVISOR)
        assert raised.value.code is ErrorCode.payload_too_large
        # A file larger than one bus reply carries: refused alike, whatever its rows.
        options[supervision.name].export_max_bytes = 1_000
        with pytest.raises(GovbusError) as raised:
            await ask(host, EXPORT_LEDGER, {"status": "已登记"}, SUPERVISOR)
        assert raised.value.code is ErrorCode.payload_too_large
        assert raised.value.details["max_bytes"] == 1_000 and raised.value.details["rows"] == 1
