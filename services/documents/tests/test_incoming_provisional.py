"""A 收文 assigned in December, when next year's 调休 are not yet published: the 办理期限
is counted on the provisional year (the statutory holidays alone), marked provisional, and
recomputed — with one deadline-changed fact — when the official year arrives. Against the
real servers, with the office clock set to December 2026."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from govbus_contracts.services.documents.incoming import (
    ASSIGN_INCOMING,
    GET_INCOMING,
    INCOMING_ASSIGNED,
    INCOMING_DEADLINE_CHANGED,
    PROPOSE_HANDLING,
    REGISTER_INCOMING,
    REVIEW_INCOMING,
)
from govbus_documents.plugin import service
from govbus_kit.bus import request
from govbus_kit.calendar import WorkingCalendar
from govbus_kit.clock import OFFICE_TZ, ManualClock
from govbus_testing import IsolatedSettings, eventually, running, stream_messages
from govbus_testing.office import CLERK as REGISTRAR

pytestmark = pytest.mark.servers

#: Test data standing in for the State Council's 2027 notice: Saturday 9 January is a
#: working day (调休).
OFFICIAL_2027 = {"year": 2027, "source": "国办发明电〔2026〕x号 (test data)",
                 "holidays": ["2027-01-01"], "workdays": ["2027-01-09"],
                 "holiday_names": {"2027-01-01": "元旦"}}


def at(d: date, hour: int = 9) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=OFFICE_TZ)


async def test_assignment_in_december_gets_a_provisional_deadline_that_the_official_year_moves(
        servers: Any, settings: Any, tmp_path: Path) -> None:
    own = IsolatedSettings(**settings.model_dump(),
                           database=f"govbus_documents_prov_{uuid.uuid4().hex[:8]}")
    lead = f"综合科-{uuid.uuid4().hex[:6]}"
    clock = ManualClock(at(date(2026, 12, 21)))
    async with running(own, service, clock=clock, calendar=WorkingCalendar()) as host:
        async def ask(spec: Any, payload: dict[str, Any]) -> dict[str, Any]:
            return await request(host.broker, spec, payload, principal=REGISTRAR)

        doc = await ask(REGISTER_INCOMING, {
            "issuer": "市人民政府办公室", "issuer_doc_number": "市府办字〔2026〕88号",
            "doc_type": "通知", "urgency": "平件", "received_on": "2026-12-21", "copies": 1,
            "title": "关于做好2027年元旦春节期间有关工作的通知",
            "body": ("各县(市、区)人民政府, 市政府各部门: 元旦、春节将至, "
                     "为做好有关工作, 现通知如下。")})
        doc_id = doc["id"]
        await ask(REVIEW_INCOMING, {"id": doc_id, "decision": "受理"})
        await ask(PROPOSE_HANDLING, {"id": doc_id, "opinion": "拟由综合科办理",
                                     "lead_department": lead, "needs_instruction": False})
        step = await ask(ASSIGN_INCOMING, {"id": doc_id, "lead_department": lead})
        # 平件, 15 working days from Mon 21 Dec 2026: 22–25 Dec (4), 28–31 (8) | 1 Jan 元旦 |
        # 4–8 Jan (13), 11 (14), 12 (15) on the provisional 2027.
        assert step["due_on"] == "2027-01-12"
        assert step["due_on_provisional"] is True

    async def facts(spec: Any) -> list[dict[str, Any]]:
        return [m["data"] for m in await stream_messages(servers.nats_url, spec.subject,
                                                         "GOV_DOCUMENTS")
                if m["data"]["id"] == doc_id]

    assigned = await facts(INCOMING_ASSIGNED)
    assert assigned[0]["due_on_provisional"] is True

    (tmp_path / "2027.json").write_text(json.dumps(OFFICIAL_2027), encoding="utf-8")
    official = WorkingCalendar.from_directory(tmp_path)
    for _ in range(2):  # restarted (or a second replica): still one fact
        async with running(own, service, clock=clock, calendar=official) as host:
            await eventually(lambda: facts(INCOMING_DEADLINE_CHANGED), lambda got: len(got) == 1)
            view = await request(host.broker, GET_INCOMING, {"id": doc_id}, principal=REGISTRAR)
            # 9 Jan is now a working day (14), so the 15th is Mon 11 Jan.
            assert view["assignment"]["due_on"] == "2027-01-11"
            assert view["assignment"]["due_on_provisional"] is False
    changed = await facts(INCOMING_DEADLINE_CHANGED)
    assert len(changed) == 1
    assert (changed[0]["previous_due_on"], changed[0]["due_on"]) == ("2027-01-12", "2027-01-11")
    assert changed[0]["lead_department"] == lead
