"""依申请公开 without servers: a request 受理 (received on submission) through 答复 on the
kit's in-memory repository (govbus_kit.memory), the same handlers the bus would call."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from govbus_contracts.envelope import Principal
from govbus_contracts.services.disclosure import requests as q
from govbus_disclosure.handlers.requests import load_tracking_key
from govbus_disclosure.plugin import service
from govbus_kit.clock import OFFICE_TZ, ManualClock
from govbus_kit.memory import MemoryHost

CITIZEN = Principal.anonymous()
OFFICER = Principal(subject="u-chen", name="陈公开", roles=frozenset({"disclosure_officer"}))
PERSONAL = ("张三", "13907950000", "zhangsan@example.cn", "360902199001011234", "明月北路")


def at(d: date, hour: int = 10) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=OFFICE_TZ)


APPLICATION: dict[str, Any] = {
    "applicant_type": "自然人",
    "applicant": {"name": "张三", "id_document_type": "居民身份证",
                  "id_document_number": "360902199001011234"},
    "contact": {"phone": "13907950000", "email": "zhangsan@example.cn",
                "address": "江西省宜春市袁州区明月北路1号"},
    "information": {"description": "2025年度市本级老旧小区改造项目清单及资金安排"},
    "form": "电子", "delivery": "电子邮件",
}


async def office(start: date) -> tuple[MemoryHost, ManualClock]:
    clock = ManualClock(at(start))
    host = MemoryHost(service, clock=clock)
    # What the service's start-up keeps for its handlers: the key of the tracking codes.
    host.ctx.state["disclosure.tracking_key"] = await load_tracking_key(host.ctx)
    return host, clock


async def test_a_request_is_received_and_answered_without_servers():
    host, clock = await office(date(2026, 9, 14))
    submitted = await host.command(q.SUBMIT_REQUEST, APPLICATION, CITIZEN,
                                   command_id="submit-1")
    request_id, code = submitted["id"], submitted["tracking_code"]
    assert submitted["request_number"] == "2026-0001"
    assert (submitted["received_on"], submitted["due_on"]) == ("2026-09-14", "2026-10-16")
    # A retried submission: the first reply and code, no second number.
    assert await host.command(q.SUBMIT_REQUEST, APPLICATION, CITIZEN,
                              command_id="submit-1") == submitted

    tracked = await host.query(q.TRACK_REQUEST, {"tracking_code": code}, CITIZEN)
    assert tracked["status"] == "办理中" and tracked["notices"][0]["kind"] == "受理回执"

    clock.set(at(date(2026, 10, 12)))
    step = await host.command(q.REPLY_REQUEST, {
        "request_id": request_id, "reply_type": "予以提供", "outcome": "予以公开",
        "text": "现提供2025年度市本级老旧小区改造项目清单及资金安排"}, OFFICER)
    assert (step["status"], step["closed_on"]) == ("已答复", "2026-10-12")

    tracked = await host.query(q.TRACK_REQUEST, {"tracking_code": code}, CITIZEN)
    assert [n["kind"] for n in tracked["notices"]] == ["受理回执", "政府信息公开申请答复书"]
    facts = host.memory.published(aggregate_id=request_id)
    assert [f.subject.split(".")[4] for f in facts] == ["received", "replied"]
    for fact in facts:
        assert not any(p in str(fact.data) for p in PERSONAL) and code not in str(fact.data)
