"""Nothing on a hot path scans: every read and write a command, an event, a sweep or a lookup
sends to the store reaches an aggregate collection by ``_id``.

The local FerretDB pushes a filter down to SQLite only for an ``_id`` equality: any other
filter reads the whole collection, whose cost grows with every record ever stored. This test
drives a representative flow of each service (收文 through its steps and the 催办 sweep, a
发文 to dispatch, its catalogue entry from the event, its archiving and lookup, a 依申请公开
request through its steps, a catalogue entry, the annual report's record, every deadline
sweep and every calendar revision) with a pymongo CommandListener on the services' client,
and asserts that every find, update, delete, findAndModify, count, distinct and aggregate on
an aggregate collection has an ``_id`` equality at the top of its filter, except what the
allow-list below names, each with its reason.

The list queries are served by the list projections (kit listing) and the searches by the
search indexes, kept by the write hooks and the ``_touched`` markers. The start-up is not
recorded: the due index's one-time backfill, the list projections' load,
the documents search index's full pass and the catalogue search index's full pass read whole
collections there, off the request path, by design.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest
import structlog
from pymongo import AsyncMongoClient, monitoring

from govbus_contracts.envelope import Principal
from govbus_contracts.services.disclosure import catalogue as cat
from govbus_contracts.services.disclosure import report as rep
from govbus_contracts.services.disclosure import requests as req
from govbus_contracts.services.documents import archive as arc
from govbus_contracts.services.documents import incoming as inc
from govbus_contracts.services.documents import outgoing as out
from govbus_disclosure.domain.catalogue import entry_id_for_document
from govbus_disclosure.handlers.catalogue import (
    CATALOGUE_LIST,
    catalogue_calendar_revision,
    sweep_catalogue_deadlines,
)
from govbus_disclosure.handlers.report import sweep_report_deadlines
from govbus_disclosure.handlers.requests import (
    REQUEST_LIST,
    revise_request_deadlines,
    sweep_request_deadlines,
)
from govbus_disclosure.plugin import service as disclosure_service
from govbus_documents import indexing
from govbus_documents.handlers.incoming import (
    INCOMING_LIST,
    incoming_calendar_revision,
    sweep_incoming_deadlines,
)
from govbus_documents.handlers.outgoing import OUTGOING_LIST
from govbus_documents.plugin import service as documents_service
from govbus_gateway.settings import GatewaySettings
from govbus_kit import runtime
from govbus_kit.bus import request
from govbus_kit.clock import OFFICE_TZ, ManualClock
from govbus_testing import eventually, running

pytestmark = pytest.mark.servers

#: Collections read whole by design: small, holding only what changed recently or one
#: document per service.
SMALL = {
    "_touched": "only the aggregates written in the last minutes (the repository's markers)",
    "calendar_revisions": "one marker per service",
    "search_meta": "the search index's state document and lease",
    "search_recent": "search entries written since the last compaction",
    "catalogue_search_meta": "the catalogue search index's state document and lease",
    "catalogue_search_recent": "catalogue search entries written since the last compaction",
}


@dataclass(frozen=True)
class Sent:
    command: str
    collection: str
    filter: Any
    context: dict[str, Any]


@dataclass(frozen=True)
class Allowed:
    reason: str
    matches: Callable[[Sent], bool]


def in_handler(sent: Sent, spec: Any) -> bool:
    return bool(sent.context.get("subject") == spec.subject)


#: The scans that stay, each marked ``# scan:`` at its call, and why they are off the hot path.
ALLOWED = [
    Allowed("the archive's chain head is missing: the first archiving of an empty chain "
            "(store/archive.py read_head)",
            lambda s: s.collection == "archive" and s.filter == {}
            and in_handler(s, arc.ARCHIVE_DOCUMENT)),
    Allowed("the archive's fixity check, run by an archivist on demand (run_checks)",
            lambda s: s.collection in {"archive", "archive_index", "incoming", "outgoing"}
            and (in_handler(s, arc.CHECK_ARCHIVE) or in_handler(s, arc.VERIFY_ARCHIVE))),
    Allowed("the annual report's compile, opened by staff a few times a year (compute_report)",
            lambda s: s.collection in {"requests", "catalogue", "review_cases"}
            and s.filter == {} and in_handler(s, rep.ANNUAL_REPORT)),
    Allowed("the outbox's one-time marker migration at a database's first start with markers "
            "(outbox.py migrate_markers: recorded in _migrations, never again)",
            lambda s: s.collection == "_outbox_collections"
            or (isinstance(s.filter, dict) and "_outbox.0" in s.filter)),
]

FILTERS = {"find": "filter", "findAndModify": "query", "count": "query", "distinct": "query"}


class Scans(monitoring.CommandListener):
    """Every filtered command on a collection while recording, with who sent it (the
    message or periodic task bound in the log context)."""

    def __init__(self) -> None:
        self.recording = False
        self.sent: list[Sent] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if not self.recording:
            return
        name, command = event.command_name, event.command
        context = dict(structlog.contextvars.get_contextvars())
        collection = str(command.get(name, ""))
        if name in FILTERS:
            self.sent.append(Sent(name, collection, command.get(FILTERS[name]) or {}, context))
        elif name == "update":
            self.sent += [Sent(name, collection, u.get("q"), context)
                          for u in command.get("updates", [])]
        elif name == "delete":
            self.sent += [Sent(name, collection, d.get("q"), context)
                          for d in command.get("deletes", [])]
        elif name == "aggregate":
            self.sent.append(Sent(name, collection, command.get("pipeline"), context))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    def scans(self) -> list[Sent]:
        return [s for s in self.sent if s.collection not in SMALL and not by_id(s)
                and not any(a.matches(s) for a in ALLOWED)]


def by_id(sent: Sent) -> bool:
    """An ``_id`` equality at the top of the filter (other keys may follow)."""
    if sent.command == "aggregate" or not isinstance(sent.filter, dict):
        return False
    if "_id" not in sent.filter:
        return False
    wanted = sent.filter["_id"]
    return not (isinstance(wanted, dict) and any(str(k).startswith("$") for k in wanted))


class OwnDatabases(GatewaySettings):
    """Each service on a database of this test alone."""

    prefix: str = ""

    def database_name(self, service: str) -> str:
        return f"{self.prefix}_{service}"


def at(d: date, hour: int = 9) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=OFFICE_TZ)


REGISTRAR = Principal(subject="li-wenshu", name="李文书", roles=frozenset({"registrar"}),
                      department="办公室")
LEADER = Principal(subject="wang-fqz", name="王副区长", roles=frozenset({"leader"}))
DRAFTER = Principal(subject="u-drafter-li", name="李明", roles=frozenset({"drafter"}),
                    department="秘书科")
REVIEWER = Principal(subject="u-reviewer-wang", name="王芳", roles=frozenset({"reviewer"}))
SIGNER = Principal(subject="u-signer-zhang", name="张伟", roles=frozenset({"signer"}))
ARCHIVIST = Principal(subject="u-archivist", name="档案员甲", roles=frozenset({"archivist"}),
                      department="办公室")
OFFICER = Principal(subject="u-gk-zhao", name="赵敏", roles=frozenset({"disclosure_officer"}))
CITIZEN = Principal.anonymous()


async def started(documents: Any, disclosure: Any) -> bool:
    """Whether every start-up scan is done: the list projections' loads, the documents
    search index's full pass."""
    return (all(d.of(documents).loaded for d in (INCOMING_LIST, OUTGOING_LIST))
            and all(d.of(disclosure).loaded for d in (REQUEST_LIST, CATALOGUE_LIST))
            and indexing.index_of(documents).full_pass_done(documents.db))


def handler(department: str) -> Principal:
    return Principal(subject=f"h-{department}", name="张承办", roles=frozenset({"handler"}),
                     department=department)


async def test_a_representative_flow_of_each_service_reaches_aggregates_only_by_id(
        settings, monkeypatch):
    listener = Scans()
    monkeypatch.setattr(runtime, "make_client", lambda url: AsyncMongoClient(
        url, tz_aware=True, serverSelectionTimeoutMS=10_000, event_listeners=[listener]))
    own = OwnDatabases(**settings.model_dump(), prefix=f"govbus_noscan_{uuid.uuid4().hex[:6]}")
    clock = ManualClock(at(date(2026, 9, 30)))
    async with running(own, documents_service, disclosure_service, clock=clock) as host:
        documents, disclosure = host.contexts["documents"], host.contexts["disclosure"]
        warmup = disclosure.state.get("catalogue_index_warmup")
        if warmup is not None:  # the catalogue search index's first load
            await warmup
        # The list projections' loads and the documents search index's full pass: start-up.
        await eventually(lambda: started(documents, disclosure), lambda done: done)
        listener.recording = True

        async def ask(spec: Any, payload: dict[str, Any], who: Principal) -> dict[str, Any]:
            return await request(host.broker, spec, payload, principal=who, timeout=15)

        # 收文: every step, the 催办 sweep's reminder and overdue notice, 办结.
        lead = f"综合科-{uuid.uuid4().hex[:4]}"
        doc_id = (await ask(inc.REGISTER_INCOMING, {
            "issuer": "区委办公室", "issuer_doc_number": "区委办发〔2026〕12号",
            "doc_type": "意见", "urgency": "特急", "received_on": "2026-09-30", "copies": 2,
            "title": "关于进一步加强自身建设的实施意见", "body": "经研究,制定本实施意见。"},
            REGISTRAR))["id"]
        await ask(inc.REVIEW_INCOMING, {"id": doc_id, "decision": "受理"}, REGISTRAR)
        await ask(inc.PROPOSE_HANDLING, {"id": doc_id, "opinion": "拟请王副区长阅示",
                                         "lead_department": lead, "needs_instruction": True},
                  REGISTRAR)
        await ask(inc.INSTRUCT_INCOMING, {"id": doc_id, "instruction": "请综合科抓好落实"},
                  LEADER)
        await ask(inc.ASSIGN_INCOMING, {"id": doc_id, "lead_department": lead}, REGISTRAR)
        await ask(inc.CIRCULATE_INCOMING, {"id": doc_id, "departments": [],
                                           "leader_readers": [{"subject": "wang-fqz",
                                                               "name": "王副区长"}]},
                  REGISTRAR)
        await ask(inc.CONFIRM_READING, {"id": doc_id}, LEADER)
        await ask(inc.WHO_HOLDS, {"id": doc_id}, REGISTRAR)
        clock.set(at(date(2026, 10, 9)))
        await sweep_incoming_deadlines(documents)
        clock.set(at(date(2026, 10, 12)))
        await sweep_incoming_deadlines(documents)
        await incoming_calendar_revision(documents)
        view = await ask(inc.GET_INCOMING, {"id": doc_id}, REGISTRAR)
        assert view["overdue_since"] is not None and len(view["reminders"]) >= 1
        await ask(inc.COMPLETE_INCOMING, {"id": doc_id, "result": "已落实"}, handler(lead))
        listed = await ask(inc.LIST_INCOMING, {"department": lead}, handler(lead))
        assert [i["id"] for i in listed["items"]] == [doc_id]
        await ask(inc.LIST_INCOMING, {"status": "已办结"}, LEADER)
        found = await ask(arc.SEARCH_DOCUMENTS, {"q": "自身建设"}, LEADER)
        assert [h["id"] for h in found["hits"]] == [doc_id]

        # 发文 to dispatch; the catalogue applies its event; the archive takes it.
        clock.set(at(date(2026, 10, 13)))
        recipients = ["市应急管理局"]
        out_id = (await ask(out.DRAFT_OUTGOING, {
            "doc_type": "通知", "title": "关于做好秋冬季森林防灭火工作的通知",
            "body": "现将有关事项通知如下。", "main_recipients": recipients,
            "cc_recipients": [], "recipient_departments": [], "disclosure": "主动公开",
            "issuer_code": "宜府办发", "issuing_organ": "宜春市人民政府办公室"},
            DRAFTER))["document_id"]
        await ask(out.REVIEW_OUTGOING, {"document_id": out_id, "decision": "通过"}, REVIEWER)
        await ask(out.SIGN_OFF_OUTGOING, {"document_id": out_id, "opinion": "同意"}, SIGNER)
        await ask(out.RECHECK_OUTGOING, {"document_id": out_id}, REGISTRAR)
        await ask(out.REGISTER_OUTGOING, {"document_id": out_id}, REGISTRAR)
        await ask(out.PRINT_OUTGOING, {"document_id": out_id, "printing_office": "秘书科"},
                  REGISTRAR)
        await ask(out.DISPATCH_OUTGOING, {"document_id": out_id, "dispatches": [
            {"recipient": r, "means": "电子公文传输"} for r in recipients]}, REGISTRAR)
        entry_id = entry_id_for_document(out_id)

        async def catalogued() -> dict[str, Any] | None:
            try:
                return await ask(cat.GET_CATALOGUE_ENTRY, {"entry_id": entry_id}, OFFICER)
            except Exception:
                return None

        assert await eventually(catalogued, lambda e: e is not None) is not None
        await ask(out.LIST_OUTGOING, {"status": "已核发"}, REGISTRAR)
        await ask(out.LIST_OUTGOING, {}, DRAFTER)
        archived = await ask(arc.ARCHIVE_DOCUMENT, {
            "kind": "发文", "document_id": out_id, "retention": "永久",
            "organisation_code": "BGS"}, ARCHIVIST)
        record = await ask(arc.GET_ARCHIVE_RECORD, {"archival_code": archived["archival_code"]},
                           ARCHIVIST)
        assert record["document_id"] == out_id
        assert (await ask(arc.CHECK_ARCHIVE, {}, ARCHIVIST))["ok"]  # the operator's scan

        # 依申请公开: submitted, followed by its code, 补正, consultation, reply; its sweeps.
        submitted = await ask(req.SUBMIT_REQUEST, {
            "applicant_type": "自然人",
            "applicant": {"name": "张三", "id_document_type": "居民身份证",
                          "id_document_number": "360902199001011234"},
            "contact": {"phone": "13907950000", "email": "zhangsan@example.cn",
                        "address": "江西省宜春市袁州区明月北路1号"},
            "information": {"description": "2025年度市本级老旧小区改造项目清单"},
            "form": "电子", "delivery": "电子邮件"}, CITIZEN)
        request_id, code = submitted["id"], submitted["tracking_code"]
        await ask(req.TRACK_REQUEST, {"tracking_code": code}, CITIZEN)
        await ask(req.REQUEST_CORRECTION, {"request_id": request_id,
                                           "items": ["请明确所需信息的区县范围"]}, OFFICER)
        await ask(req.SUBMIT_CORRECTION, {"tracking_code": code, "supplement": "袁州区"},
                  CITIZEN)
        await ask(req.START_CONSULTATION, {"request_id": request_id, "third_party": "某公司",
                                           "matter": "是否涉及商业秘密"}, OFFICER)
        clock.set(at(date(2026, 11, 20)))
        await sweep_request_deadlines(disclosure)
        await revise_request_deadlines(disclosure)
        await ask(req.GET_REQUEST, {"request_id": request_id}, OFFICER)
        replied = await ask(req.REPLY_REQUEST, {
            "request_id": request_id, "reply_type": "予以提供", "outcome": "予以公开",
            "text": "现提供项目清单"}, OFFICER)
        assert replied["closed_on"] is not None
        listed = await ask(req.LIST_REQUESTS, {"year": 2026}, OFFICER)
        assert [i["id"] for i in listed["items"]] == [request_id]

        # A catalogue entry, the annual report's record, their sweeps and revisions.
        await ask(cat.REGISTER_CATALOGUE_ENTRY, {
            "category": "预决算", "title": "宜春市2026年市本级部门预算公开",
            "summary": "市本级预算", "body": "现将宜春市2026年市本级部门预算公开如下。",
            "information_date": "2026-11-19", "issuing_organ": "宜春市财政局"}, OFFICER)
        await sweep_catalogue_deadlines(disclosure)
        await catalogue_calendar_revision(disclosure)
        await ask(cat.LIST_CATALOGUE, {"status": "已公开"}, OFFICER)
        found = await ask(cat.SEARCH_CATALOGUE, {"q": "部门预算"}, CITIZEN)
        assert found["total"] == 1
        await ask(rep.EDIT_REPORT_SECTION, {"year": 2026, "section": "一、总体情况",
                                            "text": "全面推进政务公开。"}, OFFICER)
        clock.set(at(date(2027, 1, 25)))
        await sweep_report_deadlines(disclosure)
        await ask(rep.ANNUAL_REPORT, {"year": 2026}, OFFICER)
        listener.recording = False

    scans = listener.scans()
    assert not scans, "\n".join(
        f"{s.command} {s.collection} {s.filter} from {s.context.get('subject') or 'a sweep'}"
        for s in scans)
    # The flow did reach the store through every kind of path.
    touched = {s.collection for s in listener.sent}
    assert {"incoming", "outgoing", "archive", "requests", "catalogue", "annual_reports",
            "_due"} <= touched
