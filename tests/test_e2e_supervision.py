"""End to end through the gateway: a 督查事项 from 立项 to 办结, each member of staff on their
own token and role (issue 13, "the gateway's routes for every role").

- 督查室 (supervisor): 立项 a manual item (专项督查), 登记, 交办 to 住建局 with 财政局, 审结.
- 住建局, the lead: reads the item, saves a draft, answers (反馈).
- 财政局, the co-department: gives its opinion; reads the lead's answer once submitted, never
  the draft.
- 教育局, neither: told on GET and on every POST step what an unknown id tells.
- A leader: reads the item, the 台账 and the rates; may not open or assign (403).
- A handler: the 台账 of its department's items only; the rates are not its (403).
- Bad bodies: 422 ``validation_failed``, nothing changed. An ``Idempotency-Key`` replay
  returns the first result and acts once.

Who may call which route at all (401/403 per route) is tests/test_route_role_matrix.py's;
this walk checks what each role sees and does on real servers (the supervision service in a
Host, the gateway app over ASGI). New step routes: add a valid body to ``STEP_BODIES`` and the
outsider's probe covers them.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from govbus_supervision.plugin import service
from govbus_supervision.routes import ROUTES
from govbus_testing import bearer, office_gateway

pytestmark = pytest.mark.servers

SECRET = "e2e-secret-" + "s" * 40
API = "/api/v1"
P = f"{API}/supervision/items"
UNKNOWN = "00000000-0000-4000-8000-00000000beef"
LEAD, CO, OUTSIDER = "住建局", "财政局", "教育局"


def staff(role: str, sub: str, name: str, department: str | None = None) -> dict[str, str]:
    return bearer(SECRET, role, sub, name, department)


SUPERVISOR = staff("supervisor", "u-zhou", "周督查", "督查室")
LEADER = staff("leader", "u-wang", "王副市长")
LEAD_H = staff("handler", "u-lin", "林主办", LEAD)
CO_H = staff("handler", "u-qian", "钱协办", CO)
OUTSIDER_H = staff("handler", "u-sun", "孙科长", OUTSIDER)

#: A valid body of each step on an item (POST /supervision/items/{id}/<step>), by operation
#: id: the outsider's probe sends it to the item and to an unknown id.
STEP_BODIES: dict[str, dict[str, Any]] = {
    "register_item": {},
    "assign_item": {"lead_department": OUTSIDER, "due_on": "2026-04-30"},
    "give_opinion": {"opinion": "同意。"},
    "draft_answer": {"text": "已办理。"},
    "submit_answer": {"text": "已办理。"},
    "review_answer": {"decision": "审结通过"},
    "return_misrouted": {"reason": "不属于本单位职责。"},
    "reassign_item": {"lead_department": OUTSIDER},
    "report_progress": {"text": "已完成摸排。", "percent": 30},
    "request_extension": {"reason": "需协调资金。", "requested_due_on": "2026-05-29"},
    "decide_extension": {"decision": "同意延期"},
    "suspend_item": {"reason": "等待上级政策。", "approved_by": "王副市长"},
    "resume_item": {},
    "escalate_item": {"level": "提醒"},
    "record_satisfaction": {"satisfaction": "满意"},
    "cancel_item": {"reason": "已纳入专项整治。"},
}

#: The office's ledger of this test's items (see the 台账 below).
MANUAL = {"source": "其他督查事项"}

OPENING: dict[str, Any] = {
    "title": "关于城区老旧小区改造进度滞后问题的督办",
    "content": "宜春日报反映部分老旧小区改造进度滞后, 请核实情况, 限期整改并报送结果。",
    "source": {"kind": "其他督查事项", "manual": {
        "manual_kind": "媒体报道", "origin": "宜春日报2026年3月6日第4版"}},
}


@pytest.fixture
async def api(settings) -> AsyncIterator[httpx.AsyncClient]:
    async with office_gateway(settings, service, SECRET) as client:
        yield client


async def post(api: httpx.AsyncClient, path: str, body: dict[str, Any], who: dict[str, str],
               status: int = 200, **headers: str) -> dict[str, Any]:
    r = await api.post(f"{P}{path}", json=body, headers={**who, **headers})
    assert r.status_code == status, r.text
    return dict(r.json())


async def get(api: httpx.AsyncClient, path: str, who: dict[str, str],
              **params: Any) -> dict[str, Any]:
    r = await api.get(f"{API}{path}", headers=who, params=params)
    assert r.status_code == 200, r.text
    return dict(r.json())


def told(response: httpx.Response, item_id: str) -> tuple[int, Any]:
    """What a caller learns: status and body, with the id it sent written alike."""
    body = response.json()
    if isinstance(body.get("error"), dict):
        body["error"] = {k: v for k, v in body["error"].items()
                         if k not in {"request_id", "correlation_id", "trace_id",
                                      "message_id"}}
    return response.status_code, _scrub(body, item_id)


def _scrub(value: Any, item_id: str) -> Any:
    if isinstance(value, dict):
        return {k: _scrub(v, item_id) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, item_id) for v in value]
    if isinstance(value, str):
        return value.replace(item_id, "<id>")
    return value


async def outsider_learns_nothing(api: httpx.AsyncClient, item_id: str) -> None:
    """GET and every POST step: the same status and body as for an unknown id; a 404 on
    what a handler may call at all."""
    existing = await api.get(f"{P}/{item_id}", headers=OUTSIDER_H)
    unknown = await api.get(f"{P}/{UNKNOWN}", headers=OUTSIDER_H)
    assert existing.status_code == 404, existing.text
    assert told(existing, item_id) == told(unknown, UNKNOWN)
    steps = [r for r in ROUTES if r.method == "POST" and r.path.startswith(
        "/supervision/items/{id}/")]
    assert {r.spec.name for r in steps} >= set(STEP_BODIES)
    for route in steps:
        body = STEP_BODIES.get(route.spec.name)
        assert body is not None, f"{route.path}: add a valid body to STEP_BODIES"
        step = route.path.rsplit("/", 1)[1]
        answers = [await api.post(f"{P}/{some}/{step}", json=body, headers={
            **OUTSIDER_H, "Idempotency-Key": uuid.uuid4().hex}) for some in (item_id, UNKNOWN)]
        assert told(answers[0], item_id) == told(answers[1], UNKNOWN), (step, answers[0].text)
        if "handler" in route.roles:
            assert answers[0].status_code == 404, (step, answers[0].text)


async def test_an_item_through_the_gateway_for_every_role(api):
    # 立项: the office; a retry with the same Idempotency-Key is the same item, opened once.
    key = "e2e-" + uuid.uuid4().hex
    opened = await post(api, "", OPENING, SUPERVISOR, status=201, **{"Idempotency-Key": key})
    again = await post(api, "", OPENING, SUPERVISOR, status=201, **{"Idempotency-Key": key})
    assert again == opened
    item_id = opened["id"]
    assert opened["status"] == "已立项"
    assert (await get(api, "/supervision/ledger", SUPERVISOR, **MANUAL))["total"] == 1

    # A leader reads but does not open or assign.
    for path, body in (("", OPENING), (f"/{item_id}/assign",
                                       {"lead_department": LEAD, "due_on": "2026-04-30"})):
        r = await api.post(f"{P}{path}", json=body, headers=LEADER)
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", r.text
    assert (await get(api, f"/supervision/items/{item_id}", LEADER))["status"] == "已立项"

    # Bad bodies: refused with the field named, nothing changed.
    before = await get(api, f"/supervision/items/{item_id}", SUPERVISOR)
    for path, body in (("", {**OPENING, "title": ""}),
                       ("", {k: v for k, v in OPENING.items() if k != "source"}),
                       (f"/{item_id}/register", {"unexpected": 1}),
                       (f"/{item_id}/assign", {"lead_department": LEAD, "due_on": "4月底"}),
                       (f"/{item_id}/assign", {"due_on": "2026-04-30"})):
        r = await api.post(f"{P}{path}", json=body, headers=SUPERVISOR)
        assert r.status_code == 422, (path, body, r.text)
        assert r.json()["error"]["code"] == "validation_failed", r.text
    assert await get(api, f"/supervision/items/{item_id}", SUPERVISOR) == before
    assert (await get(api, "/supervision/ledger", SUPERVISOR, **MANUAL))["total"] == 1

    # 登记 (a replay of it: the first reply, the register's serial taken once), 交办.
    key = "e2e-" + uuid.uuid4().hex
    registered = await post(api, f"/{item_id}/register", {}, SUPERVISOR,
                            **{"Idempotency-Key": key})
    assert await post(api, f"/{item_id}/register", {}, SUPERVISOR,
                      **{"Idempotency-Key": key}) == registered
    assert (registered["number"], registered["status"]) == ("督〔2026〕1号", "已登记")
    assigned = await post(api, f"/{item_id}/assign", {
        "lead_department": LEAD, "co_departments": [CO], "due_on": "2026-04-30",
        "remarks": "请于4月底前报送整改结果"}, SUPERVISOR)
    assert (assigned["status"], assigned["due_on"]) == ("办理中", "2026-04-30")
    # A second item, 教育局's alone: the handlers' 台账 tell the two apart.
    theirs = (await post(api, "", {**OPENING, "title": "关于学校周边交通秩序整治的督办"},
                         SUPERVISOR, status=201))["id"]
    await post(api, f"/{theirs}/register", {}, SUPERVISOR)
    await post(api, f"/{theirs}/assign", {"lead_department": OUTSIDER,
                                          "due_on": "2026-04-30"}, SUPERVISOR)

    # The lead and the co-department read it; 教育局 learns nothing, reading or acting.
    assert (await get(api, f"/supervision/items/{item_id}", LEAD_H))["lead_department"] == LEAD
    assert (await get(api, f"/supervision/items/{item_id}", CO_H))["co_departments"] == [CO]
    await outsider_learns_nothing(api, item_id)

    # The lead's draft: the lead's and the office's, not the co-department's.
    await post(api, f"/{item_id}/answer-draft",
               {"text": "初稿: 已完成改造小区12个, 其余3个5月底前完工。"}, LEAD_H)
    assert (await get(api, f"/supervision/items/{item_id}", LEAD_H))["answer_draft"][
        "text"].startswith("初稿")
    assert (await get(api, f"/supervision/items/{item_id}", SUPERVISOR))["answer_draft"] \
        is not None
    seen = await get(api, f"/supervision/items/{item_id}", CO_H)
    assert seen["answer_draft"] is None and seen["answers"] == []
    assert "初稿" not in str(seen)

    # The co-department's opinion, then the lead's answer (a replay of it: the first reply).
    await post(api, f"/{item_id}/opinion", {"opinion": "改造资金已列入2026年预算。"}, CO_H)
    key = "e2e-" + uuid.uuid4().hex
    answer = {"text": "已完成改造小区12个, 其余3个5月底前完工, 资金已落实。"}
    answered = await post(api, f"/{item_id}/answer", answer, LEAD_H, **{"Idempotency-Key": key})
    assert answered["status"] == "已反馈"
    assert await post(api, f"/{item_id}/answer", answer, LEAD_H,
                      **{"Idempotency-Key": key}) == answered
    seen = await get(api, f"/supervision/items/{item_id}", CO_H)
    assert [a["text"] for a in seen["answers"]] == [answer["text"]]
    assert seen["answer_draft"] is None and "初稿" not in str(seen)

    # 审结: a return without reasons is refused (nothing changed); accepted: 已办结.
    before = await get(api, f"/supervision/items/{item_id}", SUPERVISOR)
    r = await api.post(f"{P}/{item_id}/review", json={"decision": "退回重办"},
                       headers=SUPERVISOR)
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_failed", r.text
    assert await get(api, f"/supervision/items/{item_id}", SUPERVISOR) == before
    done = await post(api, f"/{item_id}/review", {"decision": "审结通过", "satisfaction": "满意"},
                      SUPERVISOR)
    assert done["status"] == "已办结"
    await outsider_learns_nothing(api, item_id)

    # 台账: the office and a leader see both items; 办结 in its row. (Filtered by the source:
    # the servers are the session's, and the service's durable consumers may open 领导批示
    # items from other tests' 收文 in this database, unassigned: no handler sees them.)
    for who in (SUPERVISOR, LEADER):
        rows = {r["id"]: r for r in (await get(api, "/supervision/ledger", who, **MANUAL))["rows"]}
        assert set(rows) == {item_id, theirs}
        # The replayed 登记 took no serial: the next item has the next number.
        assert rows[theirs]["number"] == "督〔2026〕2号"
        assert (rows[item_id]["status"], rows[item_id]["number"],
                rows[item_id]["lead_department"], rows[item_id]["co_departments"],
                rows[item_id]["satisfaction"], rows[item_id]["on_time"]) == (
            "已办结", "督〔2026〕1号", LEAD, [CO], "满意", True)
    assert [r["id"] for r in (await get(api, "/supervision/ledger", LEADER,
                                        status="已办结"))["rows"]] == [item_id]
    # A handler: its department's items only, whatever it asks for.
    for who, mine in ((LEAD_H, [item_id]), (CO_H, [item_id]), (OUTSIDER_H, [theirs])):
        page = await get(api, "/supervision/ledger", who)
        assert ([r["id"] for r in page["rows"]], page["total"]) == (mine, 1)
    assert (await get(api, "/supervision/ledger", OUTSIDER_H, department=LEAD))["rows"] == []

    # Rates: the office's and the leaders'; a handler is refused.
    period = {"period_from": "2026-03-01", "period_to": "2026-03-31"}
    rates = await get(api, "/supervision/rates", LEADER, **period)
    figures = {r["department"]: (r["assigned"], r["completed"], r["completion_rate"])
               for r in [*rates["rows"], rates["total"]]}
    assert figures == {LEAD: (1, 1, 1.0), OUTSIDER: (1, 0, 0.0), "合计": (2, 1, 0.5)}
    assert (await get(api, "/supervision/rates", SUPERVISOR, **period)) == rates
    for who in (LEAD_H, OUTSIDER_H):
        r = await api.get(f"{API}/supervision/rates", headers=who, params=period)
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", r.text
