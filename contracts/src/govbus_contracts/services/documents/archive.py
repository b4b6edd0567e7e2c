"""Contracts of the documents service: archive (归档) and full-text search (检索).

[DA/T 22-2015 归档文件整理规则]: the unit of archiving is the 件 (body with its attachments; for
an outgoing document the final text with its signed draft). Every archived item gets a 档号
(全宗号-门类代码·年度-保管期限代码-机构(问题)代码-件号) and a record in a hash chain, so that
the four checks of DA/T 70-2018 (四性: 真实性/完整性/可用性/安全性) can be run at archiving
and at any time later.

Events carry references and hashes, never a body or a title: archived items may be classified.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from govbus_contracts.base import Command, Event, Query, Reply
from govbus_contracts.services.documents.common import (
    CONTRACT,
    Classification,
    DocumentKind,
    Retention,
)

# --- archive ---------------------------------------------------------------------------


class ArchiveDocument(Command):
    """归档: file a completed document (收文 已办结, 发文 已核发) as one item (件)."""

    kind: DocumentKind = Field(description="收文 or 发文")
    document_id: str = Field(min_length=1, max_length=100, description="公文 id")
    retention: Retention = Field(description="保管期限")
    organisation_code: str = Field(
        max_length=10, pattern=r"^[A-Z0-9]{1,10}$", description="机构(问题)代码, e.g. BGS")
    year: int | None = Field(
        default=None, ge=1949, le=2999,
        description="年度; default: the year the office formed or finished the document "
                    "(发文: 成文日期; 收文: 办结日期), never the sender's year (DA/T 22-2015)")
    classification_period: str | None = Field(
        default=None, max_length=20,
        description="保密期限, for a classified document that does not record one yet")
    remarks: str | None = Field(default=None, max_length=500, description="备注")


class DocumentArchivedReply(Reply):
    kind: DocumentKind
    document_id: str
    archival_code: str = Field(description="档号")
    retention: Retention = Field(description="保管期限")
    year: int = Field(description="年度")
    organisation_code: str = Field(description="机构(问题)代码")
    item_no: int = Field(description="件号")
    record_seq: int = Field(description="序号 of the record in the archive chain")
    content_hash: str = Field(description="hash of the archive package")
    record_hash: str = Field(description="hash of the chain record")
    algorithm: str = Field(description="sha256 | sm3")


class DocumentArchived(Event):
    """A document was archived; no body or title (it may be classified)."""

    kind: DocumentKind
    document_id: str
    archival_code: str = Field(description="档号")
    retention: Retention = Field(description="保管期限")
    record_seq: int
    record_hash: str
    algorithm: str


class ArchiveCheck(StrEnum):
    """四性检测 (DA/T 70-2018) of electronic records at archiving and afterwards."""

    authenticity = "真实性"
    integrity = "完整性"
    usability = "可用性"
    security = "安全性"


class ArchiveFinding(BaseModel):
    """One problem a check found, with the record it concerns."""

    model_config = ConfigDict(frozen=True)

    check: ArchiveCheck
    seq: int | None = Field(default=None, description="序号 of the record, if known")
    archival_code: str | None = Field(default=None, description="档号, if known")
    problem: str = Field(description="what is wrong")


class CheckOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    check: ArchiveCheck
    passed: bool
    findings: list[ArchiveFinding] = Field(default_factory=list)


class ArchiveReport(Reply):
    """The result of walking the archive chain."""

    ok: bool = Field(description="all four checks passed")
    records_checked: int
    head_seq: int | None = Field(default=None, description="last 序号 found in the chain")
    head_hash: str | None = Field(default=None, description="record hash of that record")
    checks: list[CheckOutcome]
    checked_at: datetime


class VerifyArchive(Command):
    """检测: walk the archive chain, record the result and announce it."""

    remarks: str | None = Field(default=None, max_length=500, description="备注")


class ArchiveVerificationReply(ArchiveReport):
    verification_id: str


class ArchiveVerified(Event):
    """The archive chain was checked; findings name records by 序号 and 档号, never content."""

    verification_id: str
    ok: bool
    records_checked: int
    head_seq: int | None = None
    head_hash: str | None = None
    failed_checks: list[ArchiveCheck] = Field(default_factory=list)
    findings: list[ArchiveFinding] = Field(
        default_factory=list, description="at most 100 findings")


class CheckArchive(Query):
    """Run the four checks over the archive chain without recording anything."""


class GetArchiveRecord(Query):
    """One record of the archive chain, by 档号 or by the document it holds."""

    archival_code: str | None = Field(default=None, max_length=60, description="档号")
    kind: DocumentKind | None = None
    document_id: str | None = Field(default=None, max_length=100)


class ArchivedAttachment(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    media_type: str
    sha256: str
    size: int


class ArchiveRecordReply(Reply):
    record_seq: int
    archival_code: str = Field(description="档号")
    kind: DocumentKind
    document_id: str
    retention: Retention
    year: int
    title: str | None = Field(default=None, description="标题")
    doc_number: str | None = Field(default=None, description="发文字号 / 来文字号")
    classification_level: Classification = Classification.none
    attachments: list[ArchivedAttachment] = Field(default_factory=list)
    archived_at: datetime
    content_hash: str
    prev_hash: str
    record_hash: str
    algorithm: str


ARCHIVE_DOCUMENT = CONTRACT.command("archive_document", ArchiveDocument, DocumentArchivedReply)
VERIFY_ARCHIVE = CONTRACT.command("verify_archive", VerifyArchive, ArchiveVerificationReply)
CHECK_ARCHIVE = CONTRACT.query("check_archive", CheckArchive, ArchiveReport)
GET_ARCHIVE_RECORD = CONTRACT.query("get_archive_record", GetArchiveRecord, ArchiveRecordReply)
DOCUMENT_ARCHIVED = CONTRACT.event("document", "archived", DocumentArchived)
ARCHIVE_VERIFIED = CONTRACT.event("archive", "verified", ArchiveVerified)

# --- search ----------------------------------------------------------------------------


class SearchDocuments(Query):
    """全文检索 over 文号, 标题, 发文机关 and 正文, ranked; only what the asker may see."""

    q: str = Field(min_length=1, max_length=200, description="检索词")
    kind: DocumentKind | None = Field(default=None, description="收文 / 发文")
    year: int | None = Field(default=None, ge=1949, le=2999, description="年度")
    offset: int = Field(default=0, ge=0, le=10_000)
    limit: int = Field(default=20, ge=1, le=50)


class SearchHit(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    kind: DocumentKind
    doc_number: str | None = Field(default=None, description="发文字号 / 来文字号")
    title: str | None = Field(default=None, description="标题")
    issuer: str | None = Field(default=None, description="发文机关")
    status: str | None = Field(default=None, description="状态")
    year: int | None = Field(default=None, description="年度")
    classification_level: Classification = Classification.none
    score: float
    snippet: str | None = Field(
        default=None, description="正文摘录 around the first match; never for classified")


class SearchResults(Reply):
    total: int = Field(description="matches the asker may see (at most the configured cap)")
    matched_all_terms: bool = Field(
        description="True: every hit holds every term; False: none did, ranked by any term")
    hits: list[SearchHit]


SEARCH_DOCUMENTS = CONTRACT.query("search_documents", SearchDocuments, SearchResults)

__all__ = [
    "ARCHIVE_DOCUMENT",
    "ARCHIVE_VERIFIED",
    "CHECK_ARCHIVE",
    "DOCUMENT_ARCHIVED",
    "GET_ARCHIVE_RECORD",
    "SEARCH_DOCUMENTS",
    "VERIFY_ARCHIVE",
    "ArchiveCheck",
    "ArchiveDocument",
    "ArchiveFinding",
    "ArchiveRecordReply",
    "ArchiveReport",
    "ArchiveVerificationReply",
    "ArchiveVerified",
    "ArchivedAttachment",
    "CheckArchive",
    "CheckOutcome",
    "DocumentArchived",
    "DocumentArchivedReply",
    "GetArchiveRecord",
    "SearchDocuments",
    "SearchHit",
    "SearchResults",
    "VerifyArchive",
]
