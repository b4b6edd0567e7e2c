"""收文 facts addressed to departments (承办, 传阅, 催办, 逾期) get each department a copy on
its own subject (govbus_kit.departments), written with the fact; without servers, on the
kit's in-memory repository. On real servers with the deployed NATS permissions:
tests/test_department_subscribers.py."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from govbus_contracts.services.documents.incoming import (
    ASSIGN_INCOMING,
    CIRCULATE_INCOMING,
    INCOMING_ASSIGNED,
    INCOMING_CIRCULATED,
    INCOMING_REGISTERED,
    PROPOSE_HANDLING,
    REGISTER_INCOMING,
    REVIEW_INCOMING,
)
from govbus_documents.plugin import service
from govbus_kit.clock import OFFICE_TZ, ManualClock
from govbus_kit.departments import copy_message_id, derived_code
from govbus_kit.memory import MemoryHost
from govbus_kit.settings import Settings
from govbus_testing.office import CLERK as REGISTRAR

REGISTRATION: dict[str, Any] = {
    "issuer": "省财政厅", "issuer_doc_number": "赣财预〔2026〕8号", "doc_type": "通知",
    "urgency": "平件", "received_on": "2026-09-28", "copies": 1,
    "title": "关于做好2026年预算执行工作的通知", "body": "各设区市财政局: 现就有关事项通知如下。",
}


def office(tmp_path: Path) -> MemoryHost:
    path = tmp_path / "departments.json"
    path.write_text(json.dumps({"财政局": "czj"}, ensure_ascii=False), encoding="utf-8")
    return MemoryHost(service, clock=ManualClock(datetime(2026, 9, 28, 9, tzinfo=OFFICE_TZ)),
                      settings=Settings(departments_file=path))


async def assigned(host: MemoryHost, lead: str, co: list[str], **registration: Any) -> str:
    doc_id = (await host.command(REGISTER_INCOMING, {**REGISTRATION, **registration},
                                 REGISTRAR))["id"]
    await host.command(REVIEW_INCOMING, {"id": doc_id, "decision": "受理"}, REGISTRAR)
    await host.command(PROPOSE_HANDLING, {"id": doc_id, "opinion": f"拟由{lead}办理",
                                          "needs_instruction": False}, REGISTRAR)
    await host.command(ASSIGN_INCOMING, {"id": doc_id, "lead_department": lead,
                                         "co_departments": co}, REGISTRAR)
    return doc_id


async def test_the_lead_and_the_co_department_each_get_the_assignment(tmp_path: Path):
    host = office(tmp_path)
    doc_id = await assigned(host, "财政局", ["发展和改革委员会"])
    published = host.memory.published(aggregate_id=doc_id)
    (fact,) = host.memory.published(INCOMING_ASSIGNED.subject, doc_id)
    planning = derived_code("发展和改革委员会")
    at = published.index(fact)
    copies = published[at + 1:]
    assert [c.subject for c in copies] == [INCOMING_ASSIGNED.department_subject("czj"),
                                           INCOMING_ASSIGNED.department_subject(planning)]
    for copy, code in zip(copies, ["czj", planning], strict=True):
        assert (copy.id, copy.data) == (fact.id, fact.data)
        assert copy.headers == {**fact.headers, "Nats-Msg-Id": copy_message_id(fact.id, code)}
    # registered, accepted, proposed: addressed to no department, no copy
    assert not any(e.subject.startswith("gov.dept.") for e in published[:at])
    assert host.memory.published(INCOMING_REGISTERED.subject, doc_id)


async def test_circulation_goes_to_the_departments_not_the_leaders(tmp_path: Path):
    host = office(tmp_path)
    doc_id = await assigned(host, "发展和改革委员会", [])
    await host.command(CIRCULATE_INCOMING, {
        "id": doc_id, "departments": ["财政局"],
        "leader_readers": [{"subject": "wang-fqz", "name": "王副区长"}]}, REGISTRAR)
    assert [e.subject for e in host.memory.published(aggregate_id=doc_id)][-2:] == [
        INCOMING_CIRCULATED.subject, INCOMING_CIRCULATED.department_subject("czj")]


async def test_a_classified_documents_copy_is_its_fact_and_nothing_more(tmp_path: Path):
    """DESIGN: classified bodies never leave documents. The 承办 fact of a 机密 收文 carries
    no title; the department's copy carries exactly that fact."""
    host = office(tmp_path)
    doc_id = await assigned(host, "财政局", [], classification={"level": "机密",
                                                              "period": "20年"},
                            title="关于某项目的请示")
    (fact,) = host.memory.published(INCOMING_ASSIGNED.subject, doc_id)
    (copy,) = host.memory.published(INCOMING_ASSIGNED.department_subject("czj"), doc_id)
    assert copy.data == fact.data and fact.data["title"] is None
    assert "关于某项目的请示" not in json.dumps(copy.data, ensure_ascii=False)
