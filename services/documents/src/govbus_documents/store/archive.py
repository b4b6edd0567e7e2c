"""The archive's collections (this service's own database), and its view of the documents it
marks 已归档.

- ``archive``: the chain, one record per archived item, ``_id`` = 序号 1, 2, 3 …; the record
  insert is the truth of having archived.
- ``archive_index``: ``doc:<kind>:<id>`` (a claim on the document while it is archived, then
  its 序号 and 档号) and ``code:<档号>``; lookups by ``_id`` only.
- ``archive_head``: the end of the chain and the last 件号 of every series, a hint that
  readers correct by probing the next numbers (so a crash after an insert loses nothing).
- ``attachments``: attachment contents by SHA-256 (content-addressed).
- ``archive_verifications``: every ``verify_archive`` run with its report (an aggregate).

The source documents (收文 and 发文) are read as stored through their collections'
repository, and marked 已归档 through ``ArchivableDocument``: a model of only the fields the
archive reads and writes, so the write leaves every other field of the slice's aggregate as
it is (the repository sets the fields a model declares).
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bson import Binary
from pydantic import Field
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from govbus_contracts.services.documents.common import DocumentKind
from govbus_documents import indexing
from govbus_documents.domain.archive import ARCHIVED_STATUS, ChainHead, StoredAttachment
from govbus_kit.repository import Aggregate, AggregateRepository
from govbus_kit.service import ServiceContext

ARCHIVE = "archive"
ARCHIVE_INDEX = "archive_index"
ARCHIVE_HEAD = "archive_head"
ATTACHMENTS = "attachments"
VERIFICATIONS = "archive_verifications"
HEAD_ID = "head"
HEAD_FIELDS = {"seq": 1, "record_hash": 1, "group": 1, "item_no": 1}


class ArchivableDocument(Aggregate):
    """A 收文 or 发文 as the archive sees it: its status, whether it may be archived, and
    what archiving writes. Its slice's other fields are not this model's: a write through it
    leaves them as stored."""

    status: str | None = None
    #: Read, never written: only a 收文 has it (办结 decides it), a 发文 must not gain it.
    archivable: bool | None = Field(default=None, exclude=True)
    archival_code: str | None = None
    archive_record_seq: int | None = None
    archived_at: str | None = None
    #: Both slices' history entries, as stored (their keys differ by slice).
    history: list[dict[str, Any]] = Field(default_factory=list)


class ArchiveVerification(Aggregate):
    requested_by: str
    requested_at: datetime
    remarks: str | None = None
    report: dict[str, Any]


def claim_id(kind: DocumentKind, document_id: str) -> str:
    return f"doc:{kind.value}:{document_id}"


@dataclass
class ArchiveStore:
    """The archive's collections of one service context."""

    ctx: ServiceContext

    @property
    def _db(self) -> AsyncDatabase[dict[str, Any]]:
        return self.ctx.db

    # --- the documents archived ----------------------------------------------------------

    def sources(self, kind: DocumentKind) -> AggregateRepository[ArchivableDocument]:
        # Its own model over the incoming/outgoing collections, sharing their locks.
        return self.ctx.repository(indexing.SOURCES[kind], ArchivableDocument)

    async def source(self, kind: DocumentKind, document_id: str) -> dict[str, Any] | None:
        """The 收文 or 发文 as stored, every field its slice keeps (what is archived)."""
        return await self.sources(kind).stored(document_id)

    async def archived_sources(self, kind: DocumentKind) -> AsyncIterator[dict[str, Any]]:
        """Every document of ``kind`` marked 已归档: its id, 档号 and record number."""
        # scan: the fixity check's (run_checks), on demand only.
        async for doc in self._db[indexing.SOURCES[kind]].find(
                {"status": ARCHIVED_STATUS}, {"archival_code": 1, "archive_record_seq": 1}):
            yield doc

    def verifications(self) -> AggregateRepository[ArchiveVerification]:
        return self.ctx.repository(VERIFICATIONS, ArchiveVerification)

    # --- claims and references (archive_index) -----------------------------------------

    async def claim(self, claim: str) -> dict[str, Any] | None:
        return await self._db[ARCHIVE_INDEX].find_one({"_id": claim})

    async def insert_claim(self, claim: str, owner: str, at: float, kind: DocumentKind,
                           document_id: str) -> bool:
        """Claim a document; False if another request claimed it first."""
        try:
            await self._db[ARCHIVE_INDEX].insert_one(
                {"_id": claim, "owner": owner, "at": at, "kind": kind.value,
                 "doc_id": document_id, "seq": None})
        except DuplicateKeyError:
            return False
        return True

    async def take_over(self, claim: str, held: Mapping[str, Any], owner: str, at: float,
                        ) -> bool:
        """Take a claim over from its holder as read; False if it changed meanwhile."""
        taken = await self._db[ARCHIVE_INDEX].update_one(
            {"_id": claim, "owner": held.get("owner"), "at": held.get("at")},
            {"$set": {"owner": owner, "at": at}})
        return taken.modified_count == 1

    async def note_pending(self, claim: str, seq: int) -> None:
        """The number the claim's record is about to be inserted at."""
        await self._db[ARCHIVE_INDEX].update_one({"_id": claim}, {"$set": {"pending_seq": seq}})

    async def complete_claim(self, claim: str, record: Mapping[str, Any]) -> None:
        """The claim names its record, and the 档号 finds it."""
        await self._db[ARCHIVE_INDEX].update_one(
            {"_id": claim}, {"$set": {"seq": record["seq"],
                                      "archival_code": record["archival_code"]}})
        try:
            await self._db[ARCHIVE_INDEX].insert_one(
                {"_id": "code:" + record["archival_code"], "seq": record["seq"],
                 "kind": record["doc_kind"], "doc_id": record["doc_id"]})
        except DuplicateKeyError:
            pass

    async def by_code(self, archival_code: str) -> dict[str, Any] | None:
        return await self._db[ARCHIVE_INDEX].find_one({"_id": "code:" + archival_code})

    async def claimed_numbers(self) -> AsyncIterator[int]:
        """The record number of every completed claim."""
        # scan: the fixity check's (run_checks), on demand only.
        async for claim in self._db[ARCHIVE_INDEX].find({"seq": {"$ne": None}}, {"seq": 1}):
            if isinstance(claim.get("seq"), int):
                yield claim["seq"]

    # --- the chain ----------------------------------------------------------------------

    async def record(self, seq: int) -> dict[str, Any] | None:
        return await self._db[ARCHIVE].find_one({"_id": seq})

    async def pending_record(self, claim: Mapping[str, Any], kind: DocumentKind,
                             document_id: str) -> dict[str, Any] | None:
        """The record an earlier attempt appended for this document, if it got that far."""
        seq = claim.get("pending_seq")
        if not isinstance(seq, int):
            return None
        record = await self.record(seq)
        if record is None or (record.get("doc_kind"), record.get("doc_id")) != (
                kind.value, document_id):
            return None  # it died before the insert, or lost that number to another document
        return record

    async def append(self, claim: str, kind: DocumentKind, document_id: str,
                     make: Callable[[ChainHead], dict[str, Any]], tries: int,
                     ) -> dict[str, Any] | None:
        """Insert the record ``make`` builds on the chain's end, at the next number; the
        record of this document already in the chain if a racer put it there; None if the
        chain stayed busy for ``tries`` numbers. The caller serialises appends within the
        process."""
        head = await self.read_head()
        for _ in range(tries):
            record = make(head)
            seq = record["seq"]
            # Noted before the insert: a retry after a crash finds the record by this number.
            await self.note_pending(claim, seq)
            try:
                await self._db[ARCHIVE].insert_one(record)
            except DuplicateKeyError:
                # Either the number is taken (the head was behind: another replica, or a
                # crash before it was written) or the document is in the chain already
                # (unique per document): an item is archived once, whoever races.
                taken = await self._db[ARCHIVE].find_one({"_id": seq}, HEAD_FIELDS)
                if taken is not None:
                    head.fold(taken)
                    continue
                held = await self.claim(claim) or {}
                if isinstance(held.get("seq"), int):  # the racer completed its claim
                    existing = await self.record(held["seq"])
                else:
                    # scan (on FerretDB; the unique index serves it on MongoDB): only when a
                    # stale claim was taken over while its first owner still appended, and
                    # that owner has not noted its record yet: rare, never a command's
                    # normal path.
                    existing = await self._db[ARCHIVE].find_one(
                        {"doc_kind": kind.value, "doc_id": document_id})
                if existing is not None:
                    return existing
                continue
            head.fold(record)
            await self.write_head(head)
            return record
        return None

    async def read_head(self) -> ChainHead:
        """The end of the chain as last written; rebuilt from the records if it is missing.

        Inserting at the next number is what settles it: a head that lags behind meets the
        record already there (the unique ``_id``), so no record is ever read in the common
        case (on FerretDB every lookup reads the whole collection).
        """
        stored = await self._db[ARCHIVE_HEAD].find_one({"_id": HEAD_ID})
        if stored:
            return ChainHead(seq=int(stored["seq"]), record_hash=str(stored["record_hash"]),
                             items={i["g"]: int(i["n"]) for i in stored.get("items") or []})
        head = ChainHead()
        # scan: only when the head document is missing: the first archiving (an empty chain)
        # or an operator's repair after removing it; every other append reads the head by _id.
        records = await self._db[ARCHIVE].find({}, HEAD_FIELDS).to_list(None)
        for record in sorted(records, key=lambda r: int(r["seq"])):
            head.fold(record)
        return head

    async def write_head(self, head: ChainHead) -> None:
        body = {"seq": head.seq, "record_hash": head.record_hash,
                "items": [{"g": g, "n": n} for g, n in sorted(head.items.items())]}
        try:
            await self._db[ARCHIVE_HEAD].update_one(
                {"_id": HEAD_ID, "seq": {"$lt": head.seq}}, {"$set": body}, upsert=True)
        except DuplicateKeyError:
            pass  # a later head is stored already

    async def head_number(self) -> int:
        """The last record number the head knows (0: none)."""
        head = await self._db[ARCHIVE_HEAD].find_one({"_id": HEAD_ID})
        return int(head.get("seq") or 0) if head else 0

    async def records(self) -> AsyncIterator[dict[str, Any]]:
        """Every record of the chain."""
        # scan: the archive's fixity check (四性检测 of the whole chain) is run by an archivist
        # or an operator on demand (check/verify archive), never by a command on a document or
        # a sweep; it must read every record, and the claims and archived documents, by design.
        async for record in self._db[ARCHIVE].find({}):
            yield record

    async def ensure_indexes(self) -> None:
        # One record per document, whoever races to append it; also serves the rare search
        # for an abandoned claim's record.
        await self._db[ARCHIVE].create_index([("doc_kind", 1), ("doc_id", 1)], unique=True,
                                             name="one_record_per_document")

    # --- attachments --------------------------------------------------------------------

    async def keep_attachment(self, content: bytes, media_type: str | None) -> str:
        """Keep an attachment's content by its SHA-256 (once); the hash."""
        sha = hashlib.sha256(content).hexdigest()
        try:
            await self._db[ATTACHMENTS].insert_one(
                {"_id": sha, "content": Binary(content), "size": len(content),
                 "media_type": media_type})
        except DuplicateKeyError:
            pass  # the same content is kept already
        return sha

    async def attachment(self, sha: str) -> StoredAttachment:
        """What the store holds under ``sha`` (content None: nothing)."""
        held = await self._db[ATTACHMENTS].find_one({"_id": sha})
        return StoredAttachment(sha, bytes(held["content"]) if held and "content" in held
                                else None)
