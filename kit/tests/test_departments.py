"""Departments as subscribers (govbus_kit.departments): their codes, the operator's file,
and the copies of the facts addressed to them, written with the fact (no servers, except the
de-duplication of a republished copy, which is JetStream's)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from govbus_contracts.base import Event
from govbus_contracts.registry import ServiceContract, all_contracts
from govbus_contracts.subjects import (
    DEPARTMENTS_STREAM,
    department_subject,
    department_wildcard,
)
from govbus_kit.bus import make_broker, publish_entry
from govbus_kit.clock import OFFICE_TZ, ManualClock
from govbus_kit.departments import (
    DepartmentDirectory,
    DepartmentsFileError,
    copy_message_id,
    derived_code,
)
from govbus_kit.domain import Aggregate, Emit, Outcome
from govbus_kit.memory import MemoryDatabase, MemoryRepository, memory_context
from govbus_kit.service import Service
from govbus_kit.settings import Settings
from govbus_kit.streams import stream_configs
from govbus_testing import provision, stream_messages

# --- codes ---------------------------------------------------------------------------------


def test_a_department_not_in_the_file_gets_a_stable_derived_code():
    assert derived_code("财政局") == "dzdln7l66ad"  # the same in every process and release
    assert derived_code(" 财政局 ") == derived_code("财政局")
    assert derived_code("财政局") != derived_code("发展和改革委员会")
    directory = DepartmentDirectory()
    for name in ("财政局", "市场监督管理局", "x"):
        code = directory.code(name)
        assert code == derived_code(name)
        assert department_wildcard(code) == f"gov.dept.{code}.>"  # a valid subject token


def test_the_operators_file_names_codes(tmp_path: Path):
    path = tmp_path / "departments.json"
    path.write_text(json.dumps({"财政局": "czj", "发展和改革委员会": "fgw"}, ensure_ascii=False),
                    encoding="utf-8")
    directory = DepartmentDirectory.from_file(path)
    assert (directory.code("财政局"), directory.code("发展和改革委员会")) == ("czj", "fgw")
    assert directory.code("教育局") == derived_code("教育局")
    # a name given twice (lead and co-department), or two names on one code: one copy
    assert directory.codes_of(["财政局", "财政局", "发展和改革委员会"]) == ["czj", "fgw"]


@pytest.mark.parametrize(("codes", "problem"), [
    ({"财政局": "CZJ"}, "must match"),
    ({"财政局": "c.zj"}, "must match"),
    ({"财政局": "x" * 33}, "must match"),
    ({"财政局": "cmd"}, "reserved"),
    ({"财政局": "czj", "发改委": "czj"}, "share code"),
    ({"财政局": "a-b", "发改委": "a_b"}, "share code"),  # one password variable
    ({"财政局": derived_code("教育局")}, "derived code of another"),
    ({" 财政局": "czj"}, "surrounding spaces"),
])
def test_a_file_that_would_mix_up_departments_is_refused(tmp_path: Path, codes: dict[str, str],
                                                        problem: str):
    path = tmp_path / "departments.json"
    path.write_text(json.dumps(codes, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(DepartmentsFileError, match=problem):
        DepartmentDirectory.from_file(path)


def test_a_file_may_pin_a_departments_own_derived_code(tmp_path: Path):
    path = tmp_path / "departments.json"
    path.write_text(json.dumps({"教育局": derived_code("教育局")}, ensure_ascii=False))
    assert DepartmentDirectory.from_file(path).code("教育局") == derived_code("教育局")


@pytest.mark.parametrize("content", ["not json", '["财政局"]', '{"财政局": 1}'])
def test_an_unreadable_file_stops_the_service(tmp_path: Path, content: str):
    path = tmp_path / "departments.json"
    path.write_text(content)
    with pytest.raises(DepartmentsFileError):
        memory_context(Service(SEALS), settings=Settings(departments_file=path))
    with pytest.raises(DepartmentsFileError):
        DepartmentDirectory.from_file(tmp_path / "missing.json")


# --- subjects, contracts, streams ------------------------------------------------------


def test_a_copy_subject_puts_the_code_first_and_names_the_fact():
    assert department_subject("czj", "gov.documents.evt.incoming.assigned.v1") == (
        "gov.dept.czj.documents.incoming.assigned.v1")
    with pytest.raises(ValueError):
        department_subject("czj", "gov.documents.cmd.assign_incoming.v1")
    with pytest.raises(ValueError):
        department_subject("c.zj", "gov.documents.evt.incoming.assigned.v1")


def test_no_service_may_take_a_name_of_the_buss_own_subject_trees():
    for name in ("dept", "dlq"):
        with pytest.raises(ValueError, match="not a service"):
            ServiceContract(name)


def test_the_departments_stream_is_provisioned_like_the_others():
    settings = Settings(stream_replicas=3)
    configs = {c.name: c for c in stream_configs(all_contracts(), settings)}
    copies, facts = configs[DEPARTMENTS_STREAM], configs["GOV_DOCUMENTS"]
    assert copies.subjects == ["gov.dept.>"]
    for setting in ("storage", "retention", "num_replicas", "max_age", "duplicate_window",
                    "discard"):
        assert getattr(copies, setting) == getattr(facts, setting), setting


# --- copies, written with the fact ---------------------------------------------------------

SEALS = ServiceContract("seals", "用印 (this test's own)")


class SealApproved(Event):
    id: str
    department: str
    co_departments: list[str] = []

    def addressed_to(self) -> list[str]:
        return [self.department, *self.co_departments]


class SealNumbered(Event):
    id: str
    department: str


SEAL_APPROVED = SEALS.event("request", "approved", SealApproved)
SEAL_NUMBERED = SEALS.event("request", "numbered", SealNumbered)


class Seal(Aggregate):
    department: str


def seals(directory: DepartmentDirectory) -> MemoryRepository[Seal]:
    return MemoryRepository(MemoryDatabase(), "seal_requests", Seal, service="seals",
                            clock=ManualClock(datetime(2026, 9, 28, 9, tzinfo=OFFICE_TZ)),
                            departments=directory)


def approve(seal_id: str, department: str, co: list[str]) -> Any:
    def decide(current: Seal | None) -> Outcome[Seal, str]:
        state = Seal(id=seal_id, department=department)
        return Outcome(state, "ok", [
            Emit(SEAL_NUMBERED, SealNumbered(id=seal_id, department=department)),
            Emit(SEAL_APPROVED, SealApproved(id=seal_id, department=department,
                                             co_departments=co))])
    return decide


async def test_each_department_of_a_fact_gets_one_copy_in_the_same_write():
    repo = seals(DepartmentDirectory({"财政局": "czj"}))
    await repo.execute("s1", approve("s1", "财政局", ["发展和改革委员会", "财政局"]), reply=str)
    numbered, fact, *copies = repo.database.events
    planning = derived_code("发展和改革委员会")
    # the fact not addressed to anybody has no copy; the other one copy per department
    assert numbered.subject == SEAL_NUMBERED.subject and fact.subject == SEAL_APPROVED.subject
    assert [c.subject for c in copies] == ["gov.dept.czj.seals.request.approved.v1",
                                           f"gov.dept.{planning}.seals.request.approved.v1"]
    for copy, code in zip(copies, ["czj", planning], strict=True):
        assert copy.id == fact.id and copy.data == fact.data
        assert copy.headers == {**fact.headers, "Nats-Msg-Id": copy_message_id(fact.id, code)}


async def test_a_republished_copy_is_stored_once(servers, settings):
    """A crash between publishing and removing the outbox entries republishes them: the
    copy's own Nats-Msg-Id lets JetStream drop the second one, as it drops the fact's."""
    await provision(settings)
    repo = seals(DepartmentDirectory({"财政局": "czj-dedup"}))
    seal_id = f"s-{uuid.uuid4().hex}"
    await repo.execute(seal_id, approve(seal_id, "财政局", []), reply=str)
    (copy,) = [e for e in repo.database.events if e.subject.startswith("gov.dept.")]
    broker = make_broker(settings)
    await broker.connect()
    try:
        for _ in range(2):
            await publish_entry(broker, {"subject": copy.subject, "stream": DEPARTMENTS_STREAM,
                                         "headers": copy.headers,
                                         "data": json.dumps(copy.data, ensure_ascii=False)})
    finally:
        await broker.stop()
    stored = [m for m in await stream_messages(servers.nats_url,
                                               department_wildcard("czj-dedup"),
                                               DEPARTMENTS_STREAM)
              if m["data"].get("id") == seal_id]
    assert [m["data"] for m in stored] == [copy.data]
