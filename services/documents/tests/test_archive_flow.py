"""Archiving through the bus with real servers: 档号, the chain, crash safety, the four checks.

Each test runs the service on a database of its own, because the archive chain is one per
database and some tests tamper with it.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import uuid
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

from govbus_contracts.envelope import Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.documents.archive import (
    ARCHIVE_DOCUMENT,
    ARCHIVE_VERIFIED,
    CHECK_ARCHIVE,
    DOCUMENT_ARCHIVED,
    GET_ARCHIVE_RECORD,
    VERIFY_ARCHIVE,
)
from govbus_documents.handlers import archive as archive_handlers
from govbus_documents.service import service
from govbus_documents.settings import DocumentsSettings
from govbus_documents.store.archive import ArchiveStore
from govbus_kit.bus import request
from govbus_kit.runtime import Host
from govbus_kit.settings import Settings
from govbus_testing import eventually, isolated, stream_messages

ARCHIVIST = Principal(subject="u-archivist", name="档案员甲", roles=frozenset({"archivist"}),
                      department="办公室")
LEADER = Principal(subject="u-leader", name="罗秘书长", roles=frozenset({"leader"}))
HANDLER = Principal(subject="u-handler", roles=frozenset({"handler"}), department="教育局")
PDF = "%PDF-1.7 宜昌市人民政府办公室 实施方案".encode()
PDF_SHA = hashlib.sha256(PDF).hexdigest()


def documents_service(settings: Settings, label: str, **own: Any
                      ) -> AbstractAsyncContextManager[tuple[Host, Any]]:
    """The service on a database of its own; ``own``: its settings that differ."""
    return isolated(settings, service, label,
                    service_settings={service.name: DocumentsSettings(**own)})


def outgoing(doc_id: str, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "_id": doc_id, "version": 5, "status": "已核发", "doc_type": "意见",
        "title": "关于进一步加强自身建设的实施意见", "doc_number": "宜府办发〔2026〕71号",
        "signer": "罗秘书长", "date_of_writing": "2026-02-27", "urgency": "平件",
        "classification_level": "非密", "departments": ["办公室"],
        "main_recipients": ["各县市区人民政府", "市政府各部门"],
        "body": "为进一步加强市政府办公室自身建设，提高服务水平，现提出如下意见。",
        "attachments": [{"name": "实施方案.pdf", "media_type": "application/pdf",
                         "content_base64": base64.b64encode(PDF).decode(),
                         "sha256": PDF_SHA, "size": len(PDF)}],
        "revisions": [{"number": 1, "body": "初稿"}, {"number": 2, "body": "签发稿"}],
        "signed_revision": 2,
        "distribution": {"copies": 40, "printing_office": "市政府办公室秘书科"},
        "history": [{"who": "u-drafter", "role": "drafter", "when": "2026-02-20T01:00:00+00:00",
                     "action": "起草", "remarks": None}],
        "_outbox": [], "_commands": [], "_applied": [],
    }
    doc.update(extra)
    return doc


def incoming(doc_id: str, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "_id": doc_id, "version": 9, "status": "已办结", "doc_type": "通知",
        "title": "关于贯彻宜发〔2026〕13号文件的通知", "issuer": "中共宜昌市委办公室",
        "issuer_doc_number": "宜发〔2026〕13号", "registration_number": "收〔2026〕15号",
        "received_on": "2026-01-12", "classification_level": "非密", "departments": ["办公室"],
        "body": "各处室：请认真贯彻落实宜发〔2026〕13号文件精神。", "attachments": [],
        "history": [], "_outbox": [], "_commands": [], "_applied": [],
    }
    doc.update(extra)
    return doc


def archive_payload(kind: str, doc_id: str, **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "document_id": doc_id, "retention": "永久",
            "organisation_code": "BGS", **extra}


async def archive(host: Host, kind: str, doc_id: str, message_id: str | None = None,
                  **extra: Any) -> dict[str, Any]:
    return await request(host.broker, ARCHIVE_DOCUMENT, archive_payload(kind, doc_id, **extra),
                         principal=ARCHIVIST, message_id=message_id, timeout=10)


async def verify(host: Host) -> dict[str, Any]:
    return await request(host.broker, CHECK_ARCHIVE, {}, principal=ARCHIVIST, timeout=20)


def findings(report: dict[str, Any], check: str) -> list[dict[str, Any]]:
    return next(c["findings"] for c in report["checks"] if c["check"] == check)


async def published(nats_url: str, subject: str, match: dict[str, Any]) -> list[dict]:
    """Messages on ``subject`` in the documents stream whose body has ``match``'s values."""
    return [m["data"] for m in await stream_messages(nats_url, subject, "GOV_DOCUMENTS")
            if all(m["data"].get(k) == v for k, v in match.items())]


# --- archiving -------------------------------------------------------------------------------


async def test_an_issued_document_is_archived_with_its_archival_code_and_marked(
        servers, settings):
    async with documents_service(settings, "arch") as (host, db):
        doc_id = f"out-{uuid.uuid4().hex[:8]}"
        await db["outgoing"].insert_one(outgoing(doc_id))
        reply = await archive(host, "发文", doc_id)
        assert reply["archival_code"] == "Z001-WS·2026-Y-BGS-0001"
        assert (reply["record_seq"], reply["item_no"], reply["algorithm"]) == (1, 1, "sha256")

        stored = await db["outgoing"].find_one({"_id": doc_id})
        assert stored["status"] == "已归档"
        assert stored["archival_code"] == "Z001-WS·2026-Y-BGS-0001"
        assert stored["version"] == 6
        assert stored["history"][-1]["action"] == "归档"
        # Fields only the outgoing slice knows survive the archivist's write.
        assert stored["distribution"] == {"copies": 40, "printing_office": "市政府办公室秘书科"}
        assert stored["revisions"][1]["body"] == "签发稿" and stored["signed_revision"] == 2

        record = await db["archive"].find_one({"_id": 1})
        assert record["package"]["signed_draft"]["body"] == "签发稿"
        assert record["package"]["attachments"][0]["sha256"] == PDF_SHA
        assert record["prev_hash"] == "0" * 64
        kept = await db["attachments"].find_one({"_id": PDF_SHA})
        assert bytes(kept["content"]) == PDF

        events = await eventually(
            lambda: published(servers.nats_url, DOCUMENT_ARCHIVED.subject,
                              {"document_id": doc_id}), lambda found: len(found) == 1)
        assert events[0]["archival_code"] == "Z001-WS·2026-Y-BGS-0001"
        assert events[0]["record_hash"] == record["record_hash"]
        assert "body" not in events[0] and "title" not in events[0]


async def test_item_numbers_run_per_series_and_the_chain_links_each_record(settings):
    async with documents_service(settings, "series") as (host, db):
        await db["incoming"].insert_many([incoming("in-1"), incoming("in-2"), incoming("in-3")])
        first = await archive(host, "收文", "in-1")
        second = await archive(host, "收文", "in-2")
        ten_years = await archive(host, "收文", "in-3", retention="定期10年")
        assert [first["archival_code"], second["archival_code"], ten_years["archival_code"]] \
            == ["Z001-WS·2026-Y-BGS-0001", "Z001-WS·2026-Y-BGS-0002",
                "Z001-WS·2026-D10-BGS-0001"]
        assert [first["record_seq"], second["record_seq"], ten_years["record_seq"]] == [1, 2, 3]
        records = await db["archive"].find({}).to_list(None)
        by_seq = {r["_id"]: r for r in records}
        assert by_seq[2]["prev_hash"] == by_seq[1]["record_hash"]
        assert by_seq[3]["prev_hash"] == by_seq[2]["record_hash"]


async def test_the_year_may_be_given_and_defaults_to_the_documents_year(settings):
    async with documents_service(settings, "year") as (host, db):
        await db["outgoing"].insert_many([
            outgoing("o-2025", date_of_writing="2025-12-30", doc_number="宜府办发〔2025〕9号"),
            outgoing("o-given")])
        assert (await archive(host, "发文", "o-2025"))["archival_code"] == \
            "Z001-WS·2025-Y-BGS-0001"
        assert (await archive(host, "发文", "o-given", year=2024))["archival_code"] == \
            "Z001-WS·2024-Y-BGS-0001"


async def test_unfinished_archived_or_unknown_documents_are_refused(settings):
    async with documents_service(settings, "refuse") as (host, db):
        await db["incoming"].insert_many([incoming("in-busy", status="承办中"),
                                          incoming("in-done")])
        with pytest.raises(GovbusError) as early:
            await archive(host, "收文", "in-busy")
        assert early.value.code is ErrorCode.invalid_transition
        command_id = str(uuid.uuid4())
        first = await archive(host, "收文", "in-done", message_id=command_id)
        # The same request again answers as the first time; a new request is refused.
        assert await archive(host, "收文", "in-done", message_id=command_id) == first
        with pytest.raises(GovbusError) as again:
            await archive(host, "收文", "in-done")
        assert again.value.code is ErrorCode.conflict
        with pytest.raises(GovbusError) as unknown:
            await archive(host, "收文", "in-nowhere")
        assert unknown.value.code is ErrorCode.not_found
        assert await db["archive"].count_documents({}) == 1


async def test_only_an_archivist_archives(settings):
    async with documents_service(settings, "role") as (host, db):
        await db["incoming"].insert_one(incoming("in-1"))
        with pytest.raises(GovbusError) as refused:
            await request(host.broker, ARCHIVE_DOCUMENT, archive_payload("收文", "in-1"),
                          principal=LEADER)
        assert refused.value.code is ErrorCode.forbidden
        assert (await db["incoming"].find_one({"_id": "in-1"}))["status"] == "已办结"


async def test_an_item_failing_the_checks_before_archiving_is_not_archived(settings):
    async with documents_service(settings, "precheck") as (host, db):
        await db["outgoing"].insert_many([
            outgoing("o-secret", classification_level="机密"),
            outgoing("o-lost", attachments=[{"name": "附件.pdf", "media_type": "application/pdf",
                                             "sha256": "a" * 64, "size": 10}])])
        with pytest.raises(GovbusError) as secret:
            await archive(host, "发文", "o-secret")
        assert secret.value.code is ErrorCode.validation_failed
        assert any("保密期限" in p for p in secret.value.details["problems"])
        with pytest.raises(GovbusError) as lost:
            await archive(host, "发文", "o-lost")
        assert any("内容缺失" in p for p in lost.value.details["problems"])
        assert await db["archive"].count_documents({}) == 0
        # The archivist may supply the classification period the document lacks.
        reply = await archive(host, "发文", "o-secret", classification_period="10年")
        assert reply["record_seq"] == 1


async def test_a_crash_after_the_record_is_appended_is_completed_by_the_retry(
        settings, monkeypatch):
    async with documents_service(settings, "crash") as (host, db):
        await db["outgoing"].insert_one(outgoing("o-crash"))
        real = archive_handlers._mark_archived

        def crashing(*args: Any) -> Any:
            raise RuntimeError("process died after appending the record")

        monkeypatch.setattr(archive_handlers, "_mark_archived", crashing)
        command_id = str(uuid.uuid4())
        with pytest.raises(GovbusError) as died:
            await archive(host, "发文", "o-crash", message_id=command_id)
        assert died.value.code is ErrorCode.internal
        assert await db["archive"].count_documents({}) == 1
        assert (await db["outgoing"].find_one({"_id": "o-crash"}))["status"] == "已核发"

        monkeypatch.setattr(archive_handlers, "_mark_archived", real)
        reply = await archive(host, "发文", "o-crash", message_id=command_id)
        assert (reply["record_seq"], reply["archival_code"]) == (1, "Z001-WS·2026-Y-BGS-0001")
        assert await db["archive"].count_documents({}) == 1
        assert (await db["outgoing"].find_one({"_id": "o-crash"}))["status"] == "已归档"


async def test_a_crash_before_the_claim_notes_its_record_is_completed_by_the_retry(
        settings, monkeypatch):
    async with documents_service(settings, "claim") as (host, db):
        await db["outgoing"].insert_one(outgoing("o-claim"))
        real = ArchiveStore.complete_claim

        async def crashing(*args: Any) -> None:
            raise RuntimeError("process died after appending, before noting the record")

        monkeypatch.setattr(ArchiveStore, "complete_claim", crashing)
        command_id = str(uuid.uuid4())
        with pytest.raises(GovbusError):
            await archive(host, "发文", "o-claim", message_id=command_id)
        assert (await db["archive_index"].find_one({"_id": "doc:发文:o-claim"}))["seq"] is None

        monkeypatch.setattr(ArchiveStore, "complete_claim", real)
        reply = await archive(host, "发文", "o-claim", message_id=command_id)
        # The record appended before the crash, not a second one.
        assert reply["record_seq"] == 1
        assert await db["archive"].count_documents({}) == 1
        assert (await verify(host))["ok"]


async def test_the_record_can_be_looked_up_by_archival_code_by_whoever_may_read_it(settings):
    async with documents_service(settings, "lookup") as (host, db):
        await db["outgoing"].insert_one(outgoing("o-1"))
        code = (await archive(host, "发文", "o-1"))["archival_code"]
        record = await request(host.broker, GET_ARCHIVE_RECORD, {"archival_code": code},
                               principal=LEADER)
        assert record["document_id"] == "o-1" and record["doc_number"] == "宜府办发〔2026〕71号"
        assert record["attachments"][0]["sha256"] == PDF_SHA
        with pytest.raises(GovbusError) as hidden:
            await request(host.broker, GET_ARCHIVE_RECORD, {"archival_code": code},
                          principal=HANDLER)
        assert hidden.value.code is ErrorCode.not_found


# --- the four checks --------------------------------------------------------------------------


async def _three_archived(host: Host, db: Any) -> None:
    await db["outgoing"].insert_many([outgoing("o-1"), outgoing("o-2"), outgoing("o-3")])
    for doc_id in ("o-1", "o-2", "o-3"):
        await archive(host, "发文", doc_id)


async def test_an_untouched_chain_verifies_clean_and_the_result_is_announced(
        servers, settings):
    async with documents_service(settings, "clean") as (host, db):
        await _three_archived(host, db)
        report = await request(host.broker, VERIFY_ARCHIVE, {"remarks": "季度检测"},
                               principal=ARCHIVIST, timeout=20)
        assert report["ok"] and report["records_checked"] == 3 and report["head_seq"] == 3
        assert all(c["passed"] for c in report["checks"])
        events = await eventually(
            lambda: published(servers.nats_url, ARCHIVE_VERIFIED.subject,
                              {"verification_id": report["verification_id"]}),
            lambda found: len(found) == 1)
        assert events[0]["ok"] is True and events[0]["records_checked"] == 3


async def test_a_body_changed_in_the_database_is_detected(settings):
    async with documents_service(settings, "tamper") as (host, db):
        await _three_archived(host, db)
        await db["archive"].update_one({"_id": 2}, {"$set": {"package.body": "篡改后的正文"}})
        report = await verify(host)
        assert not report["ok"]
        authenticity = findings(report, "真实性")
        assert [(f["seq"], f["archival_code"]) for f in authenticity] == \
            [(2, "Z001-WS·2026-Y-BGS-0002")]
        assert findings(report, "完整性") == []


async def test_a_deleted_record_is_detected(settings):
    async with documents_service(settings, "delete") as (host, db):
        await _three_archived(host, db)
        await db["archive"].delete_one({"_id": 2})
        report = await verify(host)
        integrity = findings(report, "完整性")
        assert [f["seq"] for f in integrity] == [3] and "第2条" in integrity[0]["problem"]


async def test_a_deleted_last_record_is_detected(settings):
    async with documents_service(settings, "tail") as (host, db):
        await _three_archived(host, db)
        await db["archive"].delete_one({"_id": 3})
        report = await verify(host)
        assert [f["problem"] for f in findings(report, "完整性")] == ["链尾缺少第3条记录"]


async def test_an_altered_attachment_is_detected(settings):
    async with documents_service(settings, "attach") as (host, db):
        await _three_archived(host, db)
        await db["attachments"].update_one({"_id": PDF_SHA},
                                           {"$set": {"content": PDF + b" altered"}})
        report = await verify(host)
        integrity = findings(report, "完整性")
        assert sorted(f["seq"] for f in integrity) == [1, 2, 3]
        assert all("SHA-256" in f["problem"] for f in integrity)


async def test_the_chain_can_use_sm3_where_the_platform_offers_it(settings):
    if "sm3" not in hashlib.algorithms_available:
        pytest.skip("this platform's OpenSSL offers no SM3; the chain keeps SHA-256")
    async with documents_service(settings, "sm3", archive_hash_algorithm="sm3") as (host, db):
        await db["outgoing"].insert_one(outgoing("o-sm3"))
        reply = await archive(host, "发文", "o-sm3")
        assert reply["algorithm"] == "sm3"
        record = await db["archive"].find_one({"_id": 1})
        assert record["algorithm"] == "sm3"
        assert (await verify(host))["ok"]
        await db["archive"].update_one({"_id": 1}, {"$set": {"package.body": "篡改"}})
        assert [f["seq"] for f in findings(await verify(host), "真实性")] == [1]


async def test_a_crash_before_the_claim_names_the_record_still_archives_once(
        settings, monkeypatch):
    async with documents_service(settings, "crash2") as (host, db):
        await db["outgoing"].insert_one(outgoing("o-crash"))
        real = ArchiveStore.complete_claim

        async def crashing(*args: Any) -> None:
            raise RuntimeError("process died right after the record insert")

        monkeypatch.setattr(ArchiveStore, "complete_claim", crashing)
        command_id = str(uuid.uuid4())
        with pytest.raises(GovbusError):
            await archive(host, "发文", "o-crash", message_id=command_id)
        monkeypatch.setattr(ArchiveStore, "complete_claim", real)
        reply = await archive(host, "发文", "o-crash", message_id=command_id)
        assert reply["record_seq"] == 1
        assert await db["archive"].count_documents({}) == 1
        assert (await verify(host))["ok"]


async def test_the_incoming_and_outgoing_models_still_read_an_archived_document(settings):
    """The archivist's write keeps what the other slices' aggregates need to load."""
    try:
        from govbus_documents.domain.incoming import IncomingDocument
        from govbus_documents.domain.outgoing import OutgoingDocument
    except ImportError as exc:  # those slices are written alongside this one
        pytest.skip(f"incoming/outgoing models not importable yet: {exc}")
    from govbus_kit.repository import AggregateRepository

    when = "2026-03-02T01:30:00+00:00"
    out = OutgoingDocument.model_validate({
        "id": "o-model", "version": 8, "status": "已核发", "doc_type": "通知",
        "title": "关于做好2026年政务信息工作的通知", "body": "各处室：现将有关事项通知如下。",
        "revisions": [{"number": 1, "title": "关于做好2026年政务信息工作的通知",
                       "body": "各处室：现将有关事项通知如下。", "author": "u-drafter",
                       "at": when, "summary": "起草"}],
        "signed_revision": 1, "disclosure": "主动公开", "issuer_code": "宜府办发",
        "issuing_organ": "宜昌市人民政府办公室", "drafting_department": "办公室",
        "drafter": "u-drafter", "drafted_at": when, "doc_number": "宜府办发〔2026〕9号",
        "date_of_writing": "2026-03-01", "departments": ["办公室"],
        "history": [{"at": when, "actor": "u-drafter", "role": "drafter", "action": "起草"}]})
    inc = IncomingDocument.model_validate({
        "id": "i-model", "version": 6, "status": "已办结", "registration_number": "收〔2026〕3号",
        "registration_year": 2026, "registration_serial": 3, "title": "关于开展安全检查的通知",
        "body": "请各单位开展安全检查。", "doc_type": "通知", "issuer": "湖北省人民政府办公厅",
        "issuer_doc_number": "鄂政办发〔2026〕5号", "classification": {"level": "非密"},
        "classification_level": "非密", "received_on": "2026-02-10", "registered_at": when,
        "departments": ["办公室"], "archivable": True,
        "history": [{"at": when, "action": "签收登记", "by": "u-reg", "role": "registrar"}]})
    async with documents_service(settings, "models") as (host, db):
        for collection, model in (("outgoing", out), ("incoming", inc)):
            await db[collection].insert_one({
                "_id": model.id, **model.model_dump(mode="json", exclude={"id"}),
                "_outbox": [], "_commands": [], "_applied": []})
        await archive(host, "发文", "o-model")
        await archive(host, "收文", "i-model")
        ctx = host.contexts["documents"]
        for collection, model_type, doc_id in (("outgoing", OutgoingDocument, "o-model"),
                                               ("incoming", IncomingDocument, "i-model")):
            repo = AggregateRepository(ctx.db[collection], model_type, service="documents",
                                       relay=ctx.relay, clock=ctx.clock)
            loaded = await repo.require(doc_id)
            assert loaded.status == "已归档"
            assert loaded.history[-1].action == "归档"


async def test_a_head_left_behind_by_a_crash_does_not_fork_the_chain(settings):
    async with documents_service(settings, "head") as (host, db):
        await db["outgoing"].insert_many([outgoing("o-1"), outgoing("o-2"), outgoing("o-3")])
        await archive(host, "发文", "o-1")
        await archive(host, "发文", "o-2")
        first = await db["archive"].find_one({"_id": 1})
        # As if the process had died after appending record 2, before noting it.
        await db["archive_head"].replace_one(
            {"_id": "head"}, {"seq": 1, "record_hash": first["record_hash"],
                              "items": [{"g": first["group"], "n": 1}]})
        third = await archive(host, "发文", "o-3")
        assert (third["record_seq"], third["archival_code"]) == (3, "Z001-WS·2026-Y-BGS-0003")
        assert (await verify(host))["ok"]
        await db["archive_head"].delete_many({})
        await db["outgoing"].insert_one(outgoing("o-4"))
        assert (await archive(host, "发文", "o-4"))["record_seq"] == 4


async def test_two_archivists_racing_for_one_document_make_one_record(settings):
    async with documents_service(settings, "race") as (host, db):
        await db["outgoing"].insert_one(outgoing("o-race"))
        results = await asyncio.gather(archive(host, "发文", "o-race"),
                                       archive(host, "发文", "o-race"),
                                       return_exceptions=True)
        succeeded = [r for r in results if isinstance(r, dict)]
        refused = [r for r in results if isinstance(r, GovbusError)]
        assert len(succeeded) == 1 and [r.code for r in refused] == [ErrorCode.conflict]
        assert await db["archive"].count_documents({}) == 1
