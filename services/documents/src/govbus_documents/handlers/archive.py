"""Handlers of the documents service's archive (归档, the hash chain, its checks).

What the archive keeps, and how, is its store's (``govbus_documents.store.archive``); these
handlers decide what to archive, check it, and mark the source document 已归档 through the
aggregate repository (compare-and-set on ``version``, the event in the same write).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from govbus_contracts.envelope import deterministic_id
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.documents.archive import (
    ARCHIVE_DOCUMENT,
    ARCHIVE_VERIFIED,
    CHECK_ARCHIVE,
    DOCUMENT_ARCHIVED,
    GET_ARCHIVE_RECORD,
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
    VerifyArchive,
)
from govbus_contracts.services.documents.common import Classification, DocumentKind, Role
from govbus_documents.domain.access import may_read
from govbus_documents.domain.archive import (
    ARCHIVABLE_STATUS,
    ARCHIVED_STATUS,
    DEFAULT_ALGORITHM,
    ArchiveParams,
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
from govbus_documents.settings import office
from govbus_documents.store.archive import (
    ArchivableDocument,
    ArchiveStore,
    ArchiveVerification,
    claim_id,
)
from govbus_kit.clock import office_date
from govbus_kit.domain import Emit, Outcome, act_as
from govbus_kit.service import CommandContext, QueryContext, ServiceContext

#: A claim older than this whose archiving never finished may be taken over.
CLAIM_STALE_SECONDS = 120.0
MAX_APPEND_TRIES = 50
EVENT_FINDINGS = 100



def hash_algorithm(ctx: ServiceContext) -> str:
    """The chain's hash: SHA-256 by default; SM3 (GB/T 32905-2016) where the platform has
    it. Each record names its own algorithm, so the setting may change without re-hashing."""
    return office(ctx).archive_hash_algorithm or DEFAULT_ALGORITHM


def _flag(doc: Mapping[str, Any]) -> bool | None:
    value = doc.get("archivable")
    return value if isinstance(value, bool) else None


def _append_lock(ctx: ServiceContext) -> asyncio.Lock:
    lock: asyncio.Lock = ctx.state.setdefault("archive.append_lock", asyncio.Lock())
    return lock


# --- archive_document -------------------------------------------------------------------------


@service.command(ARCHIVE_DOCUMENT)
async def archive_document(cmd: ArchiveDocument, ctx: CommandContext) -> DocumentArchivedReply:
    act_as(ctx.principal, Role.archivist, step="归档")
    store = ArchiveStore(ctx.service)
    doc = await store.source(cmd.kind, cmd.document_id)
    if doc is None:
        raise GovbusError(ErrorCode.not_found, f"{cmd.kind.value} {cmd.document_id} 不存在",
                          id=cmd.document_id)
    record = await _archive_record(cmd, ctx, store, doc)
    return await ctx.execute(store.sources(cmd.kind), cmd.document_id,
                             _mark_archived(cmd, ctx, record))


async def _archive_record(cmd: ArchiveDocument, ctx: CommandContext, store: ArchiveStore,
                          doc: Mapping[str, Any]) -> dict[str, Any]:
    """The chain record of this document: found (a retry, or another request finished the
    record first) or appended now. Claiming the document first keeps two requests from
    archiving it twice."""
    claim = claim_id(cmd.kind, cmd.document_id)
    for _ in range(3):
        held = await store.claim(claim)
        if held is not None and held.get("seq") is not None:
            record = await store.record(held["seq"])
            if record is None:
                raise GovbusError(ErrorCode.conflict, "档案记录缺失，请先检测档案链",
                                  seq=held["seq"], archival_code=held.get("archival_code"))
            return record
        check_archivable(cmd.kind, doc.get("status"), _flag(doc))
        prepared = await _prepare(cmd, ctx, store, doc)  # refuses before anything is claimed
        now = time.time()
        if held is None:
            if not await store.insert_claim(claim, ctx.command_id, now, cmd.kind,
                                            cmd.document_id):
                continue  # another request claimed it just now: look again
        else:
            if held.get("owner") != ctx.command_id and \
                    float(held.get("at") or 0) > now - CLAIM_STALE_SECONDS:
                raise GovbusError(ErrorCode.conflict, "该文件正在归档", id=cmd.document_id)
            # Our own earlier attempt, or an abandoned one: its record may be in the chain, at
            # the number the claim noted before the insert (read by _id, not searched for).
            found = await store.pending_record(held, cmd.kind, cmd.document_id)
            if found is not None:
                await store.complete_claim(claim, found)
                return found
            if not await store.take_over(claim, held, ctx.command_id, now):
                continue
        record = await _append(cmd, ctx, store, doc, claim, *prepared)
        await store.complete_claim(claim, record)
        return record
    raise GovbusError(ErrorCode.conflict, "该文件正在归档，请稍后再试", id=cmd.document_id)


async def _store_attachments(store: ArchiveStore, attachments: list[AttachmentContent]
                             ) -> dict[str, StoredAttachment]:
    """Keep every attachment's content by its SHA-256; return what the store holds for the
    attachments listed (from the document or kept earlier)."""
    stored: dict[str, StoredAttachment] = {}
    for a in attachments:
        if a.content is not None:
            sha = await store.keep_attachment(a.content, a.media_type)
            stored[sha] = StoredAttachment(sha, a.content)
        elif a.sha256:
            stored[a.sha256] = await store.attachment(a.sha256)
    return stored


def _registered_hash_findings(attachments: list[AttachmentContent]) -> list[str]:
    """An attachment whose content differs from the hash it was registered with is not
    the attachment that was received or signed (真实性)."""
    return [f"附件“{a.name}”内容与登记的SHA-256不符" for a in attachments
            if a.content is not None and a.sha256
            and hashlib.sha256(a.content).hexdigest() != a.sha256]


async def _prepare(cmd: ArchiveDocument, ctx: CommandContext, store: ArchiveStore,
                   doc: Mapping[str, Any]) -> tuple[ArchiveParams, list[AttachmentContent]]:
    """The archivist's parameters and the item's attachments, kept by hash and checked."""
    svc = ctx.service
    now, settings = svc.clock.now(), office(svc)
    year = cmd.year or document_year(doc) or office_date(now).year
    params = ArchiveParams(
        kind=cmd.kind, retention=cmd.retention, organisation_code=cmd.organisation_code,
        year=year, fonds_code=settings.fonds_code, category_code=settings.category_code,
        archived_at=now, archivist=ctx.principal.name or ctx.principal.subject,
        classification_period=cmd.classification_period, remarks=cmd.remarks)
    attachments = attachment_contents(doc)
    stored = await _store_attachments(store, attachments)
    # 归档前检测: the four checks (四性检测, DA/T 70-2018) before the item enters the chain.
    draft = build_package(doc, params, "—", 0, attachments)
    problems = _registered_hash_findings(attachments) + [
        f"{f.check.value}：{f.problem}" for f in check_package(draft, stored)]
    if problems:
        raise GovbusError(ErrorCode.validation_failed, "归档前检测未通过", problems=problems)
    return params, attachments


async def _append(cmd: ArchiveDocument, ctx: CommandContext, store: ArchiveStore,
                  doc: Mapping[str, Any], claim: str, params: ArchiveParams,
                  attachments: list[AttachmentContent]) -> dict[str, Any]:
    year, algorithm = params.year, hash_algorithm(ctx.service)
    group = group_key(params.fonds_code, year, cmd.retention, cmd.organisation_code)

    def make(head: ChainHead) -> dict[str, Any]:
        seq, item_no = head.seq + 1, head.next_item_no(group)
        code = archival_code(params.fonds_code, params.category_code, year, cmd.retention,
                             cmd.organisation_code, item_no)
        package = build_package(doc, params, code, item_no, attachments)
        return make_record(seq, head.record_hash, code, cmd.kind, cmd.document_id, group,
                           item_no, package, algorithm)

    async with _append_lock(ctx.service):
        record = await store.append(claim, cmd.kind, cmd.document_id, make, MAX_APPEND_TRIES)
    if record is None:
        raise GovbusError(ErrorCode.conflict, "档案链正忙，请稍后再试")
    return record


def _mark_archived(cmd: ArchiveDocument, ctx: CommandContext, record: Mapping[str, Any]
                   ) -> Callable[[ArchivableDocument | None],
                                 Outcome[ArchivableDocument, DocumentArchivedReply]]:
    def decide(current: ArchivableDocument | None
               ) -> Outcome[ArchivableDocument, DocumentArchivedReply]:
        if current is None:
            raise GovbusError(ErrorCode.not_found, f"{cmd.kind.value} {cmd.document_id} 不存在")
        check_archivable(cmd.kind, current.status, current.archivable)
        now = ctx.now()
        archival = record["package"]["archival"]
        history = list(current.history)
        # The keys of both slices' history entries: incoming names the actor ``by``,
        # outgoing ``actor``; each model ignores the other's keys.
        history.append({"at": now.isoformat(), "action": "归档", "role": Role.archivist.value,
                        "by": ctx.principal.subject, "by_name": ctx.principal.name,
                        "actor": ctx.principal.subject, "actor_name": ctx.principal.name,
                        "department": ctx.principal.department,
                        "remarks": record["archival_code"]})
        marked = current.model_copy(update={
            "status": ARCHIVED_STATUS, "archival_code": record["archival_code"],
            "archive_record_seq": record["seq"], "archived_at": now.isoformat(),
            "history": history})
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
        return Outcome(marked, reply, [Emit(DOCUMENT_ARCHIVED, event)])

    return decide


# --- the four checks --------------------------------------------------------------------------


async def run_checks(svc: ServiceContext) -> ArchiveReport:
    """Walk the chain: every record's hashes and package, the links, and what else knows of
    archived items (the head, the claims, the documents marked 已归档)."""
    store = ArchiveStore(svc)
    findings: list[ArchiveFinding] = []
    links: list[ChainLink] = []
    codes: set[str] = set()
    checked = 0
    async for record in store.records():
        checked += 1
        raw = record.get("package")
        package: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        stored: dict[str, StoredAttachment] = {}
        for a in package.get("attachments") or []:
            sha = a.get("sha256")
            if isinstance(sha, str) and sha not in stored:
                stored[sha] = await store.attachment(sha)
        findings.extend(check_record(record, stored))
        if isinstance(record.get("seq"), int):
            links.append(ChainLink(record["seq"], record.get("archival_code"),
                                   str(record.get("prev_hash")), str(record.get("record_hash"))))
        if isinstance(record.get("archival_code"), str):
            codes.add(record["archival_code"])
    known_last = await store.head_number()
    async for claimed in store.claimed_numbers():
        known_last = max(known_last, claimed)
    for kind in DocumentKind:
        async for doc in store.archived_sources(kind):
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
    act_as(ctx.principal, Role.archivist, Role.leader, Role.admin, step="检测档案链")
    return await run_checks(ctx.service)


@service.command(VERIFY_ARCHIVE)
async def verify_archive(cmd: VerifyArchive, ctx: CommandContext) -> ArchiveVerificationReply:
    act_as(ctx.principal, Role.archivist, Role.leader, Role.admin, step="检测档案链")
    report = await run_checks(ctx.service)
    verification_id = deterministic_id("documents", "archive-verification", ctx.command_id)
    repo = ArchiveStore(ctx.service).verifications()
    reply = ArchiveVerificationReply(verification_id=verification_id,
                                     **report.model_dump())
    failures = [f for outcome in report.checks for f in outcome.findings]

    def decide(current: ArchiveVerification | None
               ) -> Outcome[ArchiveVerification, ArchiveVerificationReply]:
        state = ArchiveVerification(
            id=verification_id, requested_by=ctx.principal.subject,
            requested_at=ctx.now(), remarks=cmd.remarks,
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
    store = ArchiveStore(ctx.service)
    if query.archival_code:
        ref = await store.by_code(query.archival_code)
    elif query.kind and query.document_id:
        ref = await store.claim(claim_id(query.kind, query.document_id))
    else:
        raise GovbusError(ErrorCode.validation_failed, "请给出档号，或文件种类与id")
    record = await store.record(ref["seq"]) if ref and ref.get("seq") else None
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


# --- startup ------------------------------------------------------------------------


@service.on_startup
async def prepare_archive(ctx: ServiceContext) -> None:
    algorithm = hash_algorithm(ctx)
    if not algorithm_available(algorithm):
        raise RuntimeError(f"archive hash algorithm {algorithm!r} is not available here")
    await ArchiveStore(ctx).ensure_indexes()


__all__ = ["ARCHIVABLE_STATUS", "ArchivableDocument", "run_checks"]
