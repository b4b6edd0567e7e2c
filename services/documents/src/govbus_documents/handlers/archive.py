"""Handlers of the documents service: archive (归档, the hash chain, its checks) and search.

Collections (this service's own database):
- ``archive``: the chain, one record per archived item, ``_id`` = 序号 1, 2, 3 …; the record
  insert is the truth of having archived.
- ``archive_index``: ``doc:<kind>:<id>`` (a claim on the document while it is archived, then
  its 序号 and 档号) and ``code:<档号>``; lookups by ``_id`` only.
- ``archive_head``: the end of the chain and the last 件号 of every series, a hint that
  readers correct by probing the next numbers (so a crash after an insert loses nothing).
- ``attachments``: attachment contents by SHA-256 (content-addressed).
- ``archive_verifications``: every ``verify_archive`` run with its report.
- the search index: see ``govbus_documents.indexing``.

Marking the source document 已归档 goes through the aggregate repository (compare-and-set on
``version``, the event in the same write) with a model that keeps every field it does not
know, so the incoming and outgoing aggregates' fields survive the write.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bson import Binary
from pydantic import ConfigDict
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from govbus_contracts.envelope import Principal, deterministic_id
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.documents.archive import (
    ARCHIVE_DOCUMENT,
    ARCHIVE_VERIFIED,
    CHECK_ARCHIVE,
    DOCUMENT_ARCHIVED,
    GET_ARCHIVE_RECORD,
    SEARCH_DOCUMENTS,
    VERIFY_ARCHIVE,
    ArchiveCheck,
    ArchivedAttachment,
    ArchiveDocument,
    ArchiveFinding,
    ArchiveRecordReply,
    ArchiveReport,
    ArchiveVerificationReply,
    ArchiveVerified,
    CheckArchive,
    CheckOutcome,
    DocumentArchived,
    DocumentArchivedReply,
    GetArchiveRecord,
    SearchDocuments,
    SearchResults,
    VerifyArchive,
)
from govbus_contracts.services.documents.common import Classification, DocumentKind, Role
from govbus_documents import indexing
from govbus_documents.domain.access import may_read, visibility_filter
from govbus_documents.domain.archive import (
    ARCHIVABLE_STATUS,
    ARCHIVED_STATUS,
    DEFAULT_ALGORITHM,
    ArchiveParams,
    ArchiveRefused,
    AttachmentContent,
    ChainHead,
    ChainLink,
    StoredAttachment,
    algorithm_available,
    archival_code,
    attachment_contents,
    build_package,
    check_archivable,
    check_links,
    check_package,
    check_record,
    document_year,
    group_key,
    make_record,
    outcomes,
)
from govbus_documents.service import service
from govbus_documents.settings import DocumentsSettings
from govbus_kit.clock import office_date
from govbus_kit.repository import META, Aggregate, AggregateRepository, Emit, Outcome
from govbus_kit.service import CommandContext, QueryContext, ServiceContext

ARCHIVE = "archive"
ARCHIVE_INDEX = "archive_index"
ARCHIVE_HEAD = "archive_head"
ATTACHMENTS = "attachments"
VERIFICATIONS = "archive_verifications"
HEAD_ID = "head"
#: A claim older than this whose archiving never finished may be taken over.
CLAIM_STALE_SECONDS = 120.0
MAX_APPEND_TRIES = 50
EVENT_FINDINGS = 100
#: The repository's bookkeeping fields, never part of what is archived.
AGGREGATE_META = {k: 0 for k in META}
HEAD_FIELDS = {"seq": 1, "record_hash": 1, "group": 1, "item_no": 1}

SETTINGS = DocumentsSettings()
#: The chain's hash: SHA-256 by default; SM3 (GB/T 32905-2016) where the platform has it.
#: Each record names its own algorithm, so the setting may change without re-hashing.
ALGORITHM: str = SETTINGS.archive_hash_algorithm or DEFAULT_ALGORITHM
indexing.configure(indexing.config_from(SETTINGS))


class ArchivableDocument(Aggregate):
    """A 收文 or 发文 as stored, whatever its slice keeps in it: unknown fields round-trip."""

    model_config = ConfigDict(validate_assignment=True, extra="allow")

    status: str | None = None


class ArchiveVerification(Aggregate):
    requested_by: str
    requested_at: datetime
    remarks: str | None = None
    report: dict[str, Any]


def _flag(doc: Mapping[str, Any]) -> bool | None:
    value = doc.get("archivable")
    return value if isinstance(value, bool) else None


def _refused(exc: ArchiveRefused) -> GovbusError:
    return GovbusError(ErrorCode(exc.code), exc.message, **exc.details)


def _require_role(principal: Principal, *roles: Role) -> None:
    if not principal.has_any(*roles):
        raise GovbusError(ErrorCode.forbidden, "无权执行此操作",
                          required=[r.value for r in roles])


def _source_repo(ctx: ServiceContext, kind: DocumentKind
                 ) -> AggregateRepository[ArchivableDocument]:
    # Its own model over the incoming/outgoing collections, sharing their per-aggregate locks.
    return ctx.repository(indexing.SOURCES[kind], ArchivableDocument)


def _append_lock(ctx: ServiceContext) -> asyncio.Lock:
    lock: asyncio.Lock = ctx.state.setdefault("archive.append_lock", asyncio.Lock())
    return lock


# --- archive_document -------------------------------------------------------------------------


@service.command(ARCHIVE_DOCUMENT)
async def archive_document(cmd: ArchiveDocument, ctx: CommandContext) -> Any:
    _require_role(ctx.principal, Role.archivist)
    svc = ctx.service
    doc = await svc.db[indexing.SOURCES[cmd.kind]].find_one({"_id": cmd.document_id},
                                                            AGGREGATE_META)
    if doc is None:
        raise GovbusError(ErrorCode.not_found, f"{cmd.kind.value} {cmd.document_id} 不存在",
                          id=cmd.document_id)
    record = await _archive_record(cmd, ctx, doc)
    reply = await ctx.execute(_source_repo(svc, cmd.kind), cmd.document_id,
                              _mark_archived(cmd, ctx, record))
    return reply


async def _archive_record(cmd: ArchiveDocument, ctx: CommandContext,
                          doc: Mapping[str, Any]) -> dict[str, Any]:
    """The chain record of this document: found (a retry, or another request finished the
    record first) or appended now. Claiming the document first keeps two requests from
    archiving it twice."""
    db = ctx.service.db
    claim_id = f"doc:{cmd.kind.value}:{cmd.document_id}"
    for _ in range(3):
        claim = await db[ARCHIVE_INDEX].find_one({"_id": claim_id})
        if claim is not None and claim.get("seq") is not None:
            record = await db[ARCHIVE].find_one({"_id": claim["seq"]})
            if record is None:
                raise GovbusError(ErrorCode.conflict, "档案记录缺失，请先检测档案链",
                                  seq=claim["seq"], archival_code=claim.get("archival_code"))
            return record
        try:
            check_archivable(cmd.kind, doc.get("status"), _flag(doc))
        except ArchiveRefused as exc:
            raise _refused(exc) from None
        prepared = await _prepare(cmd, ctx, doc)  # refuses before anything is claimed
        now = time.time()
        if claim is None:
            try:
                await db[ARCHIVE_INDEX].insert_one(
                    {"_id": claim_id, "owner": ctx.command_id, "at": now,
                     "kind": cmd.kind.value, "doc_id": cmd.document_id, "seq": None})
            except DuplicateKeyError:
                continue  # another request claimed it just now: look again
        else:
            if claim.get("owner") != ctx.command_id and \
                    float(claim.get("at") or 0) > now - CLAIM_STALE_SECONDS:
                raise GovbusError(ErrorCode.conflict, "该文件正在归档", id=cmd.document_id)
            # Our own earlier attempt, or an abandoned one: its record may be in the chain, at
            # the number the claim noted before the insert (read by _id, not searched for).
            found = await _pending_record(db, claim, cmd)
            if found is not None:
                await _complete_claim(ctx, claim_id, found)
                return found
            taken = await db[ARCHIVE_INDEX].update_one(
                {"_id": claim_id, "owner": claim.get("owner"), "at": claim.get("at")},
                {"$set": {"owner": ctx.command_id, "at": now}})
            if taken.modified_count != 1:
                continue
        record = await _append(cmd, ctx, doc, claim_id, *prepared)
        await _complete_claim(ctx, claim_id, record)
        return record
    raise GovbusError(ErrorCode.conflict, "该文件正在归档，请稍后再试", id=cmd.document_id)


async def _pending_record(db: AsyncDatabase[dict[str, Any]], claim: Mapping[str, Any],
                          cmd: ArchiveDocument) -> dict[str, Any] | None:
    """The record an earlier attempt appended for this document, if it got that far."""
    seq = claim.get("pending_seq")
    if not isinstance(seq, int):
        return None
    record = await db[ARCHIVE].find_one({"_id": seq})
    if record is None or (record.get("doc_kind"), record.get("doc_id")) != (
            cmd.kind.value, cmd.document_id):
        return None  # it died before the insert, or lost that number to another document
    return record


async def _complete_claim(ctx: CommandContext, claim_id: str, record: Mapping[str, Any]
                          ) -> None:
    db = ctx.service.db
    await db[ARCHIVE_INDEX].update_one(
        {"_id": claim_id}, {"$set": {"seq": record["seq"],
                                     "archival_code": record["archival_code"]}})
    try:
        await db[ARCHIVE_INDEX].insert_one(
            {"_id": "code:" + record["archival_code"], "seq": record["seq"],
             "kind": record["doc_kind"], "doc_id": record["doc_id"]})
    except DuplicateKeyError:
        pass


async def _store_attachments(ctx: CommandContext, attachments: list[AttachmentContent]
                             ) -> dict[str, StoredAttachment]:
    """Keep every attachment's content by its SHA-256; return what the store holds for the
    attachments listed (from the document or kept earlier)."""
    db = ctx.service.db
    stored: dict[str, StoredAttachment] = {}
    for a in attachments:
        if a.content is not None:
            sha = hashlib.sha256(a.content).hexdigest()
            try:
                await db[ATTACHMENTS].insert_one(
                    {"_id": sha, "content": Binary(a.content), "size": len(a.content),
                     "media_type": a.media_type})
            except DuplicateKeyError:
                pass  # the same content is kept already
            stored[sha] = StoredAttachment(sha, a.content)
        elif a.sha256:
            held = await db[ATTACHMENTS].find_one({"_id": a.sha256})
            stored[a.sha256] = StoredAttachment(
                a.sha256, bytes(held["content"]) if held and "content" in held else None)
    return stored


def _registered_hash_findings(attachments: list[AttachmentContent]) -> list[str]:
    """An attachment whose content differs from the hash it was registered with is not
    the attachment that was received or signed (真实性)."""
    return [f"附件“{a.name}”内容与登记的SHA-256不符" for a in attachments
            if a.content is not None and a.sha256
            and hashlib.sha256(a.content).hexdigest() != a.sha256]


async def _prepare(cmd: ArchiveDocument, ctx: CommandContext, doc: Mapping[str, Any]
                   ) -> tuple[ArchiveParams, list[AttachmentContent]]:
    """The archivist's parameters and the item's attachments, kept by hash and checked."""
    svc = ctx.service
    now = svc.clock.now()
    year = cmd.year or document_year(doc) or office_date(now).year
    params = ArchiveParams(
        kind=cmd.kind, retention=cmd.retention, organisation_code=cmd.organisation_code,
        year=year, fonds_code=SETTINGS.fonds_code, category_code=SETTINGS.category_code,
        archived_at=now, archivist=ctx.principal.name or ctx.principal.subject,
        classification_period=cmd.classification_period, remarks=cmd.remarks)
    attachments = attachment_contents(doc)
    stored = await _store_attachments(ctx, attachments)
    # 归档前检测: the four checks (四性检测, DA/T 70-2018) before the item enters the chain.
    draft = build_package(doc, params, "—", 0, attachments)
    problems = _registered_hash_findings(attachments) + [
        f"{f.check.value}：{f.problem}" for f in check_package(draft, stored)]
    if problems:
        raise GovbusError(ErrorCode.validation_failed, "归档前检测未通过", problems=problems)
    return params, attachments


async def _append(cmd: ArchiveDocument, ctx: CommandContext, doc: Mapping[str, Any],
                  claim_id: str, params: ArchiveParams, attachments: list[AttachmentContent]
                  ) -> dict[str, Any]:
    svc = ctx.service
    year = params.year
    group = group_key(params.fonds_code, year, cmd.retention, cmd.organisation_code)
    async with _append_lock(svc):
        head = await _read_head(svc)
        for _ in range(MAX_APPEND_TRIES):
            seq, item_no = head.seq + 1, head.next_item_no(group)
            code = archival_code(params.fonds_code, params.category_code, year, cmd.retention,
                                 cmd.organisation_code, item_no)
            package = build_package(doc, params, code, item_no, attachments)
            record = make_record(seq, head.record_hash, code, cmd.kind, cmd.document_id, group,
                                 item_no, package, ALGORITHM)
            # Noted before the insert: a retry after a crash finds the record by this number.
            await svc.db[ARCHIVE_INDEX].update_one({"_id": claim_id},
                                                   {"$set": {"pending_seq": seq}})
            try:
                await svc.db[ARCHIVE].insert_one(record)
            except DuplicateKeyError:
                # Either the number is taken (the head was behind: another replica, or a
                # crash before it was written) or the document is in the chain already
                # (unique per document): an item is archived once, whoever races.
                taken = await svc.db[ARCHIVE].find_one({"_id": seq}, HEAD_FIELDS)
                if taken is not None:
                    head.fold(taken)
                    continue
                claim = await svc.db[ARCHIVE_INDEX].find_one({"_id": claim_id}) or {}
                if isinstance(claim.get("seq"), int):  # the racer completed its claim
                    existing = await svc.db[ARCHIVE].find_one({"_id": claim["seq"]})
                else:
                    # scan (on FerretDB; the unique index serves it on MongoDB): only when a
                    # stale claim was taken over while its first owner still appended, and
                    # that owner has not noted its record yet: rare, never a command's
                    # normal path.
                    existing = await svc.db[ARCHIVE].find_one(
                        {"doc_kind": cmd.kind.value, "doc_id": cmd.document_id})
                if existing is not None:
                    return existing
                continue
            head.fold(record)
            await _write_head(svc, head)
            return record
    raise GovbusError(ErrorCode.conflict, "档案链正忙，请稍后再试")


async def _read_head(svc: ServiceContext) -> ChainHead:
    """The end of the chain as last written; rebuilt from the records if it is missing.

    Inserting at the next number is what settles it: a head that lags behind meets the
    record already there (the unique ``_id``), so no record is ever read in the common
    case (on FerretDB every lookup reads the whole collection).
    """
    stored = await svc.db[ARCHIVE_HEAD].find_one({"_id": HEAD_ID})
    if stored:
        return ChainHead(seq=int(stored["seq"]), record_hash=str(stored["record_hash"]),
                         items={i["g"]: int(i["n"]) for i in stored.get("items") or []})
    head = ChainHead()
    # scan: only when the head document is missing: the first archiving (an empty chain) or
    # an operator's repair after removing it; every other append reads the head by _id.
    records = await svc.db[ARCHIVE].find({}, HEAD_FIELDS).to_list(None)
    for record in sorted(records, key=lambda r: int(r["seq"])):
        head.fold(record)
    return head


async def _write_head(svc: ServiceContext, head: ChainHead) -> None:
    body = {"seq": head.seq, "record_hash": head.record_hash,
            "items": [{"g": g, "n": n} for g, n in sorted(head.items.items())]}
    try:
        await svc.db[ARCHIVE_HEAD].update_one(
            {"_id": HEAD_ID, "seq": {"$lt": head.seq}}, {"$set": body}, upsert=True)
    except DuplicateKeyError:
        pass  # a later head is stored already


def _mark_archived(cmd: ArchiveDocument, ctx: CommandContext, record: Mapping[str, Any]) -> Any:
    def decide(current: ArchivableDocument | None
               ) -> Outcome[ArchivableDocument, DocumentArchivedReply]:
        if current is None:
            raise GovbusError(ErrorCode.not_found, f"{cmd.kind.value} {cmd.document_id} 不存在")
        try:
            check_archivable(cmd.kind, current.status, _flag(current.model_extra or {}))
        except ArchiveRefused as exc:
            raise _refused(exc) from None
        now = ctx.service.clock.now()
        archival = record["package"]["archival"]
        data = current.model_dump()
        history = list(data.get("history") or [])
        # The keys of both slices' history entries: incoming names the actor ``by``,
        # outgoing ``actor``; each model ignores the other's keys.
        history.append({"at": now.isoformat(), "action": "归档", "role": Role.archivist.value,
                        "by": ctx.principal.subject, "by_name": ctx.principal.name,
                        "actor": ctx.principal.subject, "actor_name": ctx.principal.name,
                        "department": ctx.principal.department,
                        "remarks": record["archival_code"]})
        data.update(status=ARCHIVED_STATUS, archival_code=record["archival_code"],
                    archive_record_seq=record["seq"], archived_at=now.isoformat(),
                    history=history)
        reply = DocumentArchivedReply(
            kind=cmd.kind, document_id=cmd.document_id, archival_code=record["archival_code"],
            retention=archival["retention"], year=archival["year"],
            organisation_code=archival["organisation_code"], item_no=record["item_no"],
            record_seq=record["seq"], content_hash=record["content_hash"],
            record_hash=record["record_hash"], algorithm=record["algorithm"])
        event = DocumentArchived(
            kind=cmd.kind, document_id=cmd.document_id, archival_code=record["archival_code"],
            retention=archival["retention"], record_seq=record["seq"],
            record_hash=record["record_hash"], algorithm=record["algorithm"])
        return Outcome(ArchivableDocument.model_validate(data), reply,
                       [Emit(DOCUMENT_ARCHIVED, event)])

    return decide


# --- the four checks --------------------------------------------------------------------------


async def run_checks(svc: ServiceContext) -> ArchiveReport:
    """Walk the chain: every record's hashes and package, the links, and what else knows of
    archived items (the head, the claims, the documents marked 已归档)."""
    db = svc.db
    findings: list[ArchiveFinding] = []
    links: list[ChainLink] = []
    codes: set[str] = set()
    checked = 0
    # scan: the archive's fixity check (四性检测 of the whole chain) is run by an archivist or an
    # operator on demand (check/verify archive), never by a command on a document or a sweep;
    # it must read every record, and the claims and archived documents below, by design.
    async for record in db[ARCHIVE].find({}):
        checked += 1
        raw = record.get("package")
        package: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        stored: dict[str, StoredAttachment] = {}
        for a in package.get("attachments") or []:
            sha = a.get("sha256")
            if isinstance(sha, str) and sha not in stored:
                held = await db[ATTACHMENTS].find_one({"_id": sha})
                stored[sha] = StoredAttachment(
                    sha, bytes(held["content"]) if held and "content" in held else None)
        findings.extend(check_record(record, stored))
        if isinstance(record.get("seq"), int):
            links.append(ChainLink(record["seq"], record.get("archival_code"),
                                   str(record.get("prev_hash")), str(record.get("record_hash"))))
        if isinstance(record.get("archival_code"), str):
            codes.add(record["archival_code"])
    known_last = 0
    head = await db[ARCHIVE_HEAD].find_one({"_id": HEAD_ID})
    if head:
        known_last = int(head.get("seq") or 0)
    async for claim in db[ARCHIVE_INDEX].find({"seq": {"$ne": None}}, {"seq": 1}):  # scan: ^
        if isinstance(claim.get("seq"), int):
            known_last = max(known_last, claim["seq"])
    for kind, collection in indexing.SOURCES.items():
        async for doc in db[collection].find({"status": ARCHIVED_STATUS},  # scan: ^
                                             {"archival_code": 1, "archive_record_seq": 1}):
            seq = doc.get("archive_record_seq")
            if isinstance(seq, int):
                known_last = max(known_last, seq)
            if doc.get("archival_code") not in codes and not isinstance(seq, int):
                findings.append(_missing(kind, doc))
    findings.extend(check_links(links, known_last))
    by_check = outcomes(findings)
    last = max(links, key=lambda link: link.seq) if links else None
    return ArchiveReport(
        ok=not findings, records_checked=checked,
        head_seq=last.seq if last else None, head_hash=last.record_hash if last else None,
        checks=[CheckOutcome(check=c, passed=not by_check[c], findings=by_check[c])
                for c in ArchiveCheck],
        checked_at=svc.clock.now())


def _missing(kind: DocumentKind, doc: Mapping[str, Any]) -> ArchiveFinding:
    return ArchiveFinding(check=ArchiveCheck.integrity, archival_code=doc.get("archival_code"),
                          problem=f"{kind.value} {doc['_id']} 已归档，但链中无其档案记录")


@service.query(CHECK_ARCHIVE)
async def check_archive(query: CheckArchive, ctx: QueryContext) -> ArchiveReport:
    _require_role(ctx.principal, Role.archivist, Role.leader, Role.admin)
    return await run_checks(ctx.service)


@service.command(VERIFY_ARCHIVE)
async def verify_archive(cmd: VerifyArchive, ctx: CommandContext) -> ArchiveVerificationReply:
    _require_role(ctx.principal, Role.archivist, Role.leader, Role.admin)
    report = await run_checks(ctx.service)
    verification_id = deterministic_id("documents", "archive-verification", ctx.command_id)
    repo = ctx.service.repository(VERIFICATIONS, ArchiveVerification)
    reply = ArchiveVerificationReply(verification_id=verification_id,
                                     **report.model_dump())
    failures = [f for outcome in report.checks for f in outcome.findings]

    def decide(current: ArchiveVerification | None
               ) -> Outcome[ArchiveVerification, ArchiveVerificationReply]:
        state = ArchiveVerification(
            id=verification_id, requested_by=ctx.principal.subject,
            requested_at=ctx.service.clock.now(), remarks=cmd.remarks,
            report=report.model_dump(mode="json"))
        event = ArchiveVerified(
            verification_id=verification_id, ok=report.ok,
            records_checked=report.records_checked, head_seq=report.head_seq,
            head_hash=report.head_hash,
            failed_checks=[o.check for o in report.checks if not o.passed],
            findings=failures[:EVENT_FINDINGS])
        return Outcome(state, reply, [Emit(ARCHIVE_VERIFIED, event)])

    return await ctx.execute(repo, verification_id, decide)


@service.query(GET_ARCHIVE_RECORD)
async def get_archive_record(query: GetArchiveRecord, ctx: QueryContext) -> ArchiveRecordReply:
    db = ctx.service.db
    if query.archival_code:
        ref = await db[ARCHIVE_INDEX].find_one({"_id": "code:" + query.archival_code})
    elif query.kind and query.document_id:
        ref = await db[ARCHIVE_INDEX].find_one(
            {"_id": f"doc:{query.kind.value}:{query.document_id}"})
    else:
        raise GovbusError(ErrorCode.validation_failed, "请给出档号，或文件种类与id")
    record = await db[ARCHIVE].find_one({"_id": ref["seq"]}) if ref and ref.get("seq") else None
    if record is None:
        raise GovbusError(ErrorCode.not_found, "无此档案记录")
    package = record["package"]
    metadata = package.get("metadata") or {}
    level = Classification(metadata.get("classification_level") or Classification.none.value)
    if not may_read(ctx.principal, level, metadata.get("departments") or []):
        # Not forbidden: whoever may not read it does not learn that it exists.
        raise GovbusError(ErrorCode.not_found, "无此档案记录")
    archival = package["archival"]
    return ArchiveRecordReply(
        record_seq=record["seq"], archival_code=record["archival_code"],
        kind=DocumentKind(record["doc_kind"]), document_id=record["doc_id"],
        retention=archival["retention"], year=archival["year"], title=metadata.get("title"),
        doc_number=metadata.get("doc_number") or metadata.get("issuer_doc_number"),
        classification_level=level,
        attachments=[ArchivedAttachment(**a) for a in package.get("attachments") or []],
        archived_at=datetime.fromisoformat(archival["archived_at"]),
        content_hash=record["content_hash"], prev_hash=record["prev_hash"],
        record_hash=record["record_hash"], algorithm=record["algorithm"])


# --- search -----------------------------------------------------------------------------------


@service.query(SEARCH_DOCUMENTS)
async def search_documents(query: SearchDocuments, ctx: QueryContext) -> SearchResults:
    if visibility_filter(ctx.principal) is None:
        raise GovbusError(ErrorCode.forbidden, "无权检索公文")
    return await indexing.search(ctx.service.db, ctx.principal, query.q, kind=query.kind,
                                 year=query.year, offset=query.offset, limit=query.limit)


# --- startup and sweep ------------------------------------------------------------------------


@service.on_startup
async def prepare_archive(ctx: ServiceContext) -> None:
    if not algorithm_available(ALGORITHM):
        raise RuntimeError(f"archive hash algorithm {ALGORITHM!r} is not available here")
    # One record per document, whoever races to append it; also serves the rare search for
    # an abandoned claim's record.
    await ctx.db[ARCHIVE].create_index([("doc_kind", 1), ("doc_id", 1)], unique=True,
                                       name="one_record_per_document")


@service.on_startup
async def search_index_hooks(ctx: ServiceContext) -> None:
    # Every write to 收文 and 发文 is searchable as soon as it is written.
    indexing.attach(ctx.db, ctx.hooks)


@service.every(SETTINGS.sweep_seconds, name="search_index_sweep")
async def search_index_sweep(ctx: ServiceContext) -> None:
    # The full pass once at start-up, then only what the markers name.
    await indexing.periodic(ctx.db)


__all__ = ["ARCHIVABLE_STATUS", "ArchivableDocument", "run_checks"]
