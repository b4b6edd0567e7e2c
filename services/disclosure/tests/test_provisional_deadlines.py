"""A request received in December, when next year's 调休 are not yet published: the reply
deadline is computed on the provisional year (the statutory holidays alone), said to be
provisional everywhere, and recomputed — with one deadline-changed fact — when the official
year arrives. Against the real servers, with the office clock set to December 2026."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from govbus_contracts.envelope import Principal
from govbus_contracts.services.disclosure import requests as q
from govbus_contracts.services.disclosure.catalogue import (
    RegisterCatalogueEntry,
)
from govbus_disclosure.domain import catalogue
from govbus_disclosure.domain.requests import codes, record, steps, submission, sweep
from govbus_disclosure.domain.requests.periods import Periods, reply_clock, reply_due_on
from govbus_disclosure.plugin import service
from govbus_kit.bus import request
from govbus_kit.calendar import WorkingCalendar
from govbus_kit.clock import OFFICE_TZ, ManualClock
from govbus_kit.domain import Actor
from govbus_testing import IsolatedSettings, eventually, running, stream_messages

STREAM = "GOV_DISCLOSURE"
CITIZEN = Principal.anonymous()
OFFICER = Principal(subject="u-chen", name="陈公开", roles=frozenset({"disclosure_officer"}))

#: Test data standing in for the State Council's 2027 notice: 元旦 on Friday 1 January
#: and Saturday 9 January declared a working day (调休).
OFFICIAL_2027 = {"year": 2027, "source": "国办发明电〔2026〕x号 (test data)",
                 "holidays": ["2027-01-01"], "workdays": ["2027-01-09"],
                 "holiday_names": {"2027-01-01": "元旦"}}


def at(d: date, hour: int = 10) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=OFFICE_TZ)


def application() -> dict[str, Any]:
    return {"applicant_type": "自然人", "applicant": {"name": "李四"},
            "contact": {"phone": "13907950001"},
            "information": {"description": "2026年度城区道路改造工程竣工验收情况"},
            "form": "电子", "delivery": "在线查看"}


# -- the rule, without servers -----------------------------------------------------------


def test_a_request_received_in_december_gets_a_provisional_deadline_in_january() -> None:
    periods = Periods(calendar=WorkingCalendar())
    # From Mon 14 Dec 2026, 20 working days: 15–18 Dec (4), 21–25 (9), 28–31 (13) | 1 Jan
    # 元旦 | 4–8 Jan (18), 11 (19), 12 (20).
    assert reply_due_on(date(2026, 12, 14), periods) == date(2027, 1, 12)
    assert reply_clock(date(2026, 12, 14), periods).due_is_provisional(periods.calendar)
    # Received 1 Dec, due 29 Dec 2026: the official 2026 alone, nothing provisional.
    assert not reply_clock(date(2026, 12, 1), periods).due_is_provisional(
        periods.calendar)


def test_a_catalogue_period_into_next_year_is_provisional_and_moves_with_the_official_year(
        tmp_path: Path) -> None:
    provisional_cal = WorkingCalendar()
    cmd = RegisterCatalogueEntry.model_validate({
        "category": "规划计划", "title": "2027年市本级重点项目投资计划",
        "summary": "重点项目投资计划", "information_date": "2026-12-14",
        "issuing_organ": "市发展和改革委员会", "department": "发改委", "publish": False})
    actor = catalogue.act_as_officer(
        Principal(subject="u-gk", name="赵敏", roles=frozenset({"disclosure_officer"})), "登记")
    entry = catalogue.register(cmd, entry_id="e-prov", actor=actor, now=at(date(2026, 12, 14)),
                               calendar=provisional_cal, working_days=20,
                               categories=["规划计划"], remind_working_days_before=3).state
    # 20 working days from 14 Dec 2026, as for a request: Tue 12 Jan 2027, provisionally.
    assert (entry.due_on, entry.due_on_provisional) == (date(2027, 1, 12), True)
    (tmp_path / "2027.json").write_text(json.dumps(OFFICIAL_2027), encoding="utf-8")
    official = WorkingCalendar.from_directory(tmp_path)
    change = catalogue.revise_deadline(entry, at(date(2026, 12, 16)), official, 20, 3)
    assert change is not None
    assert (change.state.due_on, change.state.due_on_provisional) == (date(2027, 1, 11), False)
    [fact] = change.events
    assert fact.body.previous_due_on == date(2027, 1, 12)  # type: ignore[attr-defined]
    # Applied again (a second replica): nothing more to do.
    assert catalogue.revise_deadline(change.state, at(date(2026, 12, 16)), official, 20, 3) \
        is None


#: Test data of an official 2027 that gives more time in January: Monday 4 January off.
LONGER_2027 = {"year": 2027, "source": "国办发明电〔2026〕x号 (test data)",
               "holidays": ["2027-01-01", "2027-01-04"], "holiday_names": {"2027-01-01": "元旦"}}


def _request_awaiting_correction(calendar: WorkingCalendar) -> record.InformationRequest:
    periods = Periods(calendar=calendar)
    cmd = q.SubmitRequest.model_validate(application())
    req = submission.submit(cmd, request_id="r-prov", year=2026, serial=9,
                       code_hash=codes.tracking_hash("ABCD-EFGH-JKMN-PQRS-TUVW"),
                       applicant_key="k", monthly_position=1, principal=CITIZEN,
                       now=at(date(2026, 12, 18)), periods=periods).state
    officer = Actor("u-chen", "陈公开", "disclosure_officer")
    return steps.request_correction(
        req, q.RequestCorrection(request_id=req.id, items=["请明确所需工程的路段"]), officer,
        at(date(2026, 12, 21)), periods).state


def _official(tmp_path: Path, content: dict[str, Any]) -> WorkingCalendar:
    (tmp_path / "2027.json").write_text(json.dumps(content), encoding="utf-8")
    return WorkingCalendar.from_directory(tmp_path)


def test_a_correction_period_told_to_the_applicant_is_lengthened_never_shortened(
        tmp_path: Path) -> None:
    req = _request_awaiting_correction(WorkingCalendar())
    # 补正 within 15 working days from Mon 21 Dec 2026: 22–25 Dec (4), 28–31 (8) | 1 Jan |
    # 4–8 Jan (13), 11 (14), 12 (15): Tue 12 Jan 2027, provisionally.
    assert req.correction is not None
    assert (req.correction.due_on, req.correction.due_on_provisional) == (date(2027, 1, 12),
                                                                          True)
    assert req.provisional_periods and not req.due_on_provisional  # the reply clock stands

    # Officially 9 January is worked: 11 January would be the 15th day, but the applicant
    # was told 12 January, which stands; only the provisional mark goes.
    shorter = sweep.revise_deadline(req, at(date(2026, 12, 22)),
                                    Periods(calendar=_official(tmp_path, OFFICIAL_2027)))
    assert shorter is not None and not shorter.events
    assert shorter.state.correction is not None
    assert shorter.state.correction.due_on == date(2027, 1, 12)
    assert not shorter.state.correction.due_on_provisional
    assert not shorter.state.provisional_periods

    # Officially 4 January is off as well: the 15th day is Wed 13 January, so the
    # applicant gets the extra day, with a notice and one fact.
    longer = sweep.revise_deadline(req, at(date(2026, 12, 22)),
                                   Periods(calendar=_official(tmp_path, LONGER_2027)))
    assert longer is not None
    assert longer.state.correction is not None
    assert longer.state.correction.due_on == date(2027, 1, 13)
    assert longer.state.notices[-1].kind is q.NoticeKind.deadline_change
    assert longer.state.notices[-1].answer_by == date(2027, 1, 13)
    [fact] = longer.events
    assert fact.body.period is q.DeadlinePeriod.correction  # type: ignore[attr-defined]
    assert (fact.body.previous_due_on, fact.body.new_due_on) == (  # type: ignore[attr-defined]
        date(2027, 1, 12), date(2027, 1, 13))
    # The sweep then waits for the new date before closing the request as 视为放弃.
    assert longer.state.next_alert_on == date(2027, 1, 14)


# -- through the bus ---------------------------------------------------------------------


async def test_the_official_year_moves_a_provisional_deadline_with_one_fact(
        servers: Any, settings: Any, tmp_path: Path) -> None:
    own = IsolatedSettings(**settings.model_dump(),
                           database=f"govbus_disclosure_prov_{uuid.uuid4().hex[:8]}")
    clock = ManualClock(at(date(2026, 12, 14)))
    async with running(own, service, clock=clock, calendar=WorkingCalendar()) as host:
        submitted = await request(host.broker, q.SUBMIT_REQUEST, application(),
                                  principal=CITIZEN)
        assert submitted["received_on"] == "2026-12-14"
        assert submitted["due_on"] == "2027-01-12"  # the hand count above
        assert submitted["due_on_provisional"] is True
        tracked = await request(host.broker, q.TRACK_REQUEST,
                                {"tracking_code": submitted["tracking_code"]},
                                principal=CITIZEN)
        assert tracked["due_on_provisional"] is True
        assert "按法定节假日推算" in tracked["notices"][0]["text"]
    request_id = submitted["id"]

    async def facts(fact: str) -> list[dict[str, Any]]:
        return [m for m in await stream_messages(servers.nats_url,
                                                 f"gov.disclosure.evt.request.{fact}.v1",
                                                 STREAM)
                if m["data"]["id"] == request_id]

    received = await facts("received")
    assert received[0]["data"]["due_on_provisional"] is True

    # The State Council's notice arrives: the operator puts 2027.json in place.
    (tmp_path / "2027.json").write_text(json.dumps(OFFICIAL_2027), encoding="utf-8")
    official = WorkingCalendar.from_directory(tmp_path)
    clock.set(at(date(2026, 12, 16)))
    for _ in range(2):  # a restart (or a second replica) recomputes nothing twice
        async with running(own, service, clock=clock, calendar=official) as host:
            await eventually(lambda: facts("deadline_changed"), lambda got: len(got) == 1)
            view = await request(host.broker, q.GET_REQUEST, {"request_id": request_id},
                                 principal=OFFICER)
            # 9 Jan is now a working day (19), so the 20th is Mon 11 Jan.
            assert view["due_on"] == "2027-01-11"
            assert view["due_on_provisional"] is False
            assert view["history"][-1]["action"] == "答复期限调整"
    changed = await facts("deadline_changed")
    assert len(changed) == 1
    assert changed[0]["data"]["period"] == "答复期限"
    assert changed[0]["data"]["previous_due_on"] == "2027-01-12"
    assert changed[0]["data"]["new_due_on"] == changed[0]["data"]["due_on"] == "2027-01-11"
    assert changed[0]["data"]["due_on_provisional"] is False
    assert "applicant" not in changed[0]["data"]


pytestmark = pytest.mark.servers
