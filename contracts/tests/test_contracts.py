"""The contracts package: envelope, subjects, export, and schema compatibility."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import pytest
from pydantic import Field, ValidationError

from govbus_contracts import Command, Event, ServiceContract, all_contracts
from govbus_contracts.envelope import H_MSG_ID, Envelope, deterministic_id
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.export import compare, message_schema, stale_files, write_export
from govbus_contracts.subjects import command_subject, dlq_subject, event_subject, stream_name

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
SOURCE = Path(__file__).resolve().parents[1] / "src" / "govbus_contracts"


def test_committed_export_is_up_to_date():
    stale = stale_files(all_contracts(), SCHEMAS)
    assert stale == [], f"run `govbus contracts export` (make contracts); stale: {stale}"


def test_committed_schemas_are_not_broken_within_their_major_version():
    from govbus_contracts.export import check_against_committed

    assert check_against_committed(all_contracts(), SCHEMAS) == {}


def test_contracts_import_nothing_but_pydantic_and_the_standard_library():
    import sys

    allowed = {"pydantic", "govbus_contracts", "__future__"} | set(sys.stdlib_module_names)
    for path in SOURCE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level
                     else [])
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"


def test_subjects_follow_the_bus_conventions():
    assert command_subject("documents", "register_incoming") == \
        "gov.documents.cmd.register_incoming.v1"
    assert event_subject("documents", "document", "issued", 2) == \
        "gov.documents.evt.document.issued.v2"
    assert stream_name("documents") == "GOV_DOCUMENTS"
    assert dlq_subject("supervision", "supervision-instructions",
                       "gov.documents.evt.document.instructed.v1") == \
        "gov.dlq.supervision.supervision-instructions.gov.documents.evt.document.instructed.v1"
    with pytest.raises(ValueError):
        command_subject("Documents", "x")
    with pytest.raises(ValueError):
        event_subject("documents", "doc.ument", "issued")


def test_envelope_round_trips_through_cloudevents_headers():
    env = Envelope(source="/govbus/documents", type="gov.documents.evt.document.issued.v1",
                   subject="doc-1", correlation_id="corr-1", causation_id="cmd-1",
                   time=datetime(2026, 3, 2, 8, 30, tzinfo=UTC))
    headers = env.to_headers()
    assert headers["ce-specversion"] == "1.0"
    assert headers[H_MSG_ID] == headers["ce-id"] == env.id
    assert headers["ce-time"] == "2026-03-02T08:30:00Z"
    assert Envelope.from_headers(headers) == env.model_copy(update={"dataschema": None})


def test_envelope_without_required_attributes_is_refused():
    with pytest.raises(ValueError, match="ce-source"):
        Envelope.from_headers({"ce-id": "x", "ce-type": "t"})


def test_deterministic_ids_agree_across_replicas():
    a = deterministic_id("disclosure", "request-7", "reminder", "2026-03-20")
    assert a == deterministic_id("disclosure", "request-7", "reminder", "2026-03-20")
    assert a != deterministic_id("disclosure", "request-7", "overdue", "2026-03-20")


def test_error_reply_carries_a_stable_code():
    error = GovbusError(ErrorCode.invalid_transition, "已签发的公文不能再审核", state="signed")
    reply = error.to_reply()
    assert reply.model_dump(mode="json") == {"error": {
        "code": "invalid_transition", "message": "已签发的公文不能再审核",
        "details": {"state": "signed"}}}


def test_a_service_contract_always_answers_health():
    contract = ServiceContract("sample")
    assert contract.health.subject == "gov.sample.qry.health.v1"
    assert contract.stream == "GOV_SAMPLE"


# --- compatibility within a major version ---------------------------------------------


class Urgency(StrEnum):
    very_urgent = "特急"
    urgent = "加急"


class IssuedV1(Event):
    doc_number: str
    title: str
    urgency: Urgency | None = None


class Urgency2(StrEnum):
    very_urgent = "特急"
    urgent = "加急"
    normal = "平件"


class IssuedGrown(Event):
    doc_number: str
    title: str
    urgency: Urgency2 | None = None
    pages: int | None = Field(default=None, description="页数")


class IssuedFieldRemoved(Event):
    doc_number: str
    urgency: Urgency | None = None


class IssuedNewRequired(Event):
    doc_number: str
    title: str
    urgency: Urgency | None = None
    signer: str


class IssuedRetyped(Event):
    doc_number: int
    title: str
    urgency: Urgency | None = None


class UrgencyShrunk(StrEnum):
    very_urgent = "特急"


class IssuedEnumShrunk(Event):
    doc_number: str
    title: str
    urgency: UrgencyShrunk | None = None


def schema(model: type) -> dict:
    return message_schema("gov.t.evt.document.issued.v1", model)


def test_growth_is_compatible():
    assert compare(schema(IssuedV1), schema(IssuedGrown)) == []


@pytest.mark.parametrize(("model", "problem"), [
    (IssuedFieldRemoved, "$.title: field removed"),
    (IssuedNewRequired, "$.signer: field became required"),
    (IssuedRetyped, "$.doc_number: type changed"),
    (IssuedEnumShrunk, "$.urgency: enum members removed ['加急']"),
])
def test_breaking_changes_are_found(model, problem):
    problems = compare(schema(IssuedV1), schema(model))
    assert any(p.startswith(problem) for p in problems), problems


def test_export_refuses_to_overwrite_a_schema_with_a_breaking_change(tmp_path):
    contract = ServiceContract("sample")
    spec = contract.event("document", "issued", IssuedV1)
    write_export([contract], tmp_path)
    path = tmp_path / "sample" / f"{spec.subject}.json"
    before = path.read_text(encoding="utf-8")

    broken = ServiceContract("sample")
    broken.event("document", "issued", IssuedFieldRemoved)
    with pytest.raises(ValueError, match="field removed"):
        write_export([broken], tmp_path)
    assert path.read_text(encoding="utf-8") == before

    grown = ServiceContract("sample")
    grown.event("document", "issued", IssuedGrown)
    write_export([grown], tmp_path)
    assert "pages" in path.read_text(encoding="utf-8")


def test_commands_refuse_unknown_fields_and_events_tolerate_them():
    class Register(Command):
        title: str

    with pytest.raises(ValidationError):
        Register.model_validate({"title": "关于做好2026年度政务公开工作的通知", "titel": "x"})
    assert IssuedV1.model_validate({"doc_number": "宜府办发〔2008〕71号", "title": "t",
                                    "added_later": 1}).title == "t"
