"""归档: the rules of archiving 公文 as items (件) and of checking them afterwards.

[DA/T 22-2015 归档文件整理规则; 党政机关公文处理工作条例 Art. 27]
- A document is archived when its handling is finished: 收文 已办结, 发文 已核发. An archived
  document is never changed again (status 已归档).
- The unit is the 件: the body with its attachments; for an outgoing document the final text
  together with its signed draft (正本与定稿), so the signer's text is kept beside the issued one.
- 档号 = 全宗号-门类代码·年度-保管期限代码-机构(问题)代码-件号, e.g. Z001-WS·2026-Y-BGS-0001.
  件号 run per 全宗号, 年度, 保管期限 and 机构(问题)代码 from 0001 without gaps.
- Electronic records must pass the four checks of DA/T 70-2018 (文书类电子档案检测一般要求,
  四性检测) at archiving and afterwards: 真实性 (content is what was archived), 完整性
  (nothing missing, attachments complete), 可用性 (readable) and 安全性 (classification
  recorded, classified items carry their 保密期限). A hash chain over
  the records makes a changed or removed record visible.

Pure rules: no I/O; time and hash algorithm are passed in.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.documents.archive import ArchiveCheck, ArchiveFinding
from govbus_contracts.services.documents.common import Classification, DocumentKind, Retention
from govbus_documents.domain.search import doc_numbers_in

ARCHIVED_STATUS = "已归档"
#: The status after which a document's handling is finished and it may be archived.
ARCHIVABLE_STATUS: Mapping[DocumentKind, str] = {
    DocumentKind.incoming: "已办结",
    DocumentKind.outgoing: "已核发",
}
#: 保管期限代码 of DA/T 22-2015 §6.
RETENTION_CODES: Mapping[Retention, str] = {
    Retention.permanent: "Y",
    Retention.thirty_years: "D30",
    Retention.ten_years: "D10",
}
GENESIS_HASH = "0" * 64
DEFAULT_ALGORITHM = "sha256"
SUPPORTED_ALGORITHMS = ("sha256", "sm3")

#: Formats an archive can open later (DA/T 47-2009 and what offices attach in practice).
KNOWN_MEDIA_TYPES = frozenset({
    "application/pdf", "application/ofd", "application/xml", "text/xml", "text/plain",
    "text/html", "image/jpeg", "image/png", "image/tiff", "image/bmp", "image/gif",
    "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/zip", "audio/mpeg", "video/mp4",
})

#: The 18 elements of GB/T 9704-2012 (and the incoming registration's numbers), as the
#: documents record them; the package keeps those the document has.
ELEMENT_FIELDS = (
    "copy_no", "copies", "classification_level", "classification_period", "urgency",
    "issuer_mark", "issuer_code", "doc_number", "issuer_doc_number", "registration_number",
    "signer", "header_signer", "title", "main_recipients", "attachment_notes", "issuer",
    "issuing_organ", "issuer_signature", "drafting_department", "date_of_writing", "seal",
    "remarks", "cc_recipients", "printing_office", "printing_date", "pages", "doc_type",
    "departments", "received_on", "registered_at", "registered_on", "completed_on", "result",
    "disclosure", "disclosure_reason",
)


# --- 档号 -----------------------------------------------------------------------------------


def retention_code(retention: Retention) -> str:
    return RETENTION_CODES[retention]


def group_key(fonds_code: str, year: int, retention: Retention, organisation_code: str) -> str:
    """The series within which 件号 run without gaps."""
    return f"{fonds_code}|{year}|{retention_code(retention)}|{organisation_code}"


def archival_code(fonds_code: str, category_code: str, year: int, retention: Retention,
                  organisation_code: str, item_no: int) -> str:
    """档号: Z001-WS·2026-Y-BGS-0001."""
    if not 1 <= item_no <= 9999:
        raise ValueError(f"件号 out of range: {item_no}")
    return (f"{fonds_code}-{category_code}·{year}-{retention_code(retention)}-"
            f"{organisation_code}-{item_no:04d}")


def check_archivable(kind: DocumentKind, status: str | None,
                     archivable: bool | None = None) -> None:
    """Only finished documents are archived, each once; a 收文 only when every copy sent
    on circulation is back (``archivable`` as its handling records it), since the 件 goes
    to the archive whole."""
    if status == ARCHIVED_STATUS:
        raise GovbusError(ErrorCode.conflict, f"该{kind.value}已归档", status=status)
    wanted = ARCHIVABLE_STATUS[kind]
    if status != wanted:
        raise GovbusError(
            ErrorCode.invalid_transition, f"{kind.value}须在“{wanted}”后归档，当前状态：{status}",
            status=status, required=wanted)
    if archivable is False:
        raise GovbusError(ErrorCode.invalid_transition,
                          f"{kind.value}尚有传阅件未收回，暂不能归档", status=status,
                          archivable=False)


# --- the document's year ---------------------------------------------------------------------

_YEAR_FIELDS = ("completed_on", "signed_on", "issued_on", "received_on", "registered_on",
                "received_at", "registered_at", "created_at")
#: The office's own numbers (发文字号, 收文编号); never the sender's 来文字号: an incoming
#: document numbered 〔2008〕 and handled in 2026 belongs to 2026.
_NUMBER_FIELDS = ("doc_number", "registration_number")


def _year_of(value: Any) -> int | None:
    if isinstance(value, datetime | date):
        return value.year
    if isinstance(value, str) and len(value) >= 4 and value[:4].isdigit():
        year = int(value[:4])
        return year if 1949 <= year <= 2999 else None
    return None


def document_year(doc: Mapping[str, Any]) -> int | None:
    """年度 of the 档号: the year the office finished forming or handling the document
    (DA/T 22-2015: 文件形成年度; a 收文 belongs to the year its handling ended, 办结, not to
    the year in the sender's 来文字号). A 发文: its 成文日期; a 收文: its 办结 date, else its
    receipt or registration; else the year in the office's own number, else of the first
    history entry."""
    if (year := _year_of(doc.get("date_of_writing"))) is not None:
        return year
    for key in _YEAR_FIELDS:
        if (year := _year_of(doc.get(key))) is not None:
            return year
    for key in _NUMBER_FIELDS:
        value = doc.get(key)
        if isinstance(value, str):
            for number in doc_numbers_in(value):
                return int(number[number.index("〔") + 1:number.index("〕")])
    history = doc.get("history")
    if isinstance(history, list) and history and isinstance(history[0], Mapping):
        for key in ("when", "at", "time"):
            if (year := _year_of(history[0].get(key))) is not None:
                return year
    return None


# --- the package ----------------------------------------------------------------------------


def json_safe(value: Any) -> Any:
    """Plain JSON values, so that the package hashes alike before and after storage."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items() if not str(k).startswith("_")}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value
    if isinstance(value, float):
        # Floats are kept as text: their rendering is the one thing canonical JSON cannot
        # promise across platforms.
        return repr(value)
    return str(value)


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def digest(algorithm: str, text: str | bytes) -> str:
    if algorithm not in SUPPORTED_ALGORITHMS:
        raise ValueError(f"unsupported hash algorithm {algorithm!r}")
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.new(algorithm, raw).hexdigest()


def algorithm_available(algorithm: str) -> bool:
    return algorithm in SUPPORTED_ALGORITHMS and algorithm in hashlib.algorithms_available


def content_hash(package: Mapping[str, Any], algorithm: str) -> str:
    return digest(algorithm, canonical_json(package))


def record_hash(prev_hash: str, content: str, seq: int, code: str, algorithm: str) -> str:
    return digest(algorithm, f"{prev_hash}{content}{seq}{code}")


@dataclass(frozen=True)
class AttachmentContent:
    """One attachment as archived: its listing, and its bytes if the document has them."""

    name: str
    media_type: str
    sha256: str | None
    size: int | None
    content: bytes | None


def attachment_contents(doc: Mapping[str, Any]) -> list[AttachmentContent]:
    """The document's attachments, with content decoded where it is carried inline."""
    out: list[AttachmentContent] = []
    for raw in doc.get("attachments") or []:
        if not isinstance(raw, Mapping):
            continue
        content: bytes | None = None
        encoded = raw.get("content_base64")
        if isinstance(encoded, str) and encoded:
            try:
                content = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                content = None
        out.append(AttachmentContent(
            name=str(raw.get("name") or ""), media_type=str(raw.get("media_type") or ""),
            sha256=raw.get("sha256") if isinstance(raw.get("sha256"), str) else None,
            size=raw.get("size") if isinstance(raw.get("size"), int) else None,
            content=content))
    return out


def classification_period(doc: Mapping[str, Any]) -> str | None:
    for holder in (doc, doc.get("classification"), doc.get("classification_mark")):
        if isinstance(holder, Mapping):
            period = holder.get("classification_period") or holder.get("period")
            if isinstance(period, str) and period.strip():
                return period.strip()
    return None


def classification_level(doc: Mapping[str, Any]) -> str | None:
    level = doc.get("classification_level")
    if level is None and isinstance(doc.get("classification"), Mapping):
        level = doc["classification"].get("level")
    return str(level) if level is not None else None


def signed_draft(doc: Mapping[str, Any]) -> dict[str, Any] | None:
    """The signed revision (定稿) of an outgoing document, as the signer signed it.

    ``signed_revision`` may name the revision by its number, or be its index, or be the
    revision itself.
    """
    signed = doc.get("signed_revision")
    revisions = [r for r in doc.get("revisions") or [] if isinstance(r, Mapping)]
    found: Mapping[str, Any] | None = None
    if isinstance(signed, Mapping):
        found = signed
    elif isinstance(signed, int | str) and not isinstance(signed, bool):
        for r in revisions:
            if any(r.get(k) == signed for k in ("number", "no", "revision", "seq", "id")):
                found = r
                break
        if found is None and isinstance(signed, int) and 0 <= signed < len(revisions):
            found = revisions[signed]
    if found is None:
        return None
    draft = json_safe(found)
    if not isinstance(draft, dict):
        return None
    # Attachments are kept by hash beside the package, not inside it.
    draft["attachments"] = [{k: v for k, v in a.items() if k != "content_base64"}
                            for a in draft.get("attachments") or [] if isinstance(a, dict)]
    return draft


@dataclass(frozen=True)
class ArchiveParams:
    """What the archivist decided, and where this office's 档号 come from."""

    kind: DocumentKind
    retention: Retention
    organisation_code: str
    year: int
    fonds_code: str
    category_code: str
    archived_at: datetime
    archivist: str
    classification_period: str | None = None
    remarks: str | None = None


def build_package(doc: Mapping[str, Any], params: ArchiveParams, code: str, item_no: int,
                  attachments: Sequence[AttachmentContent]) -> dict[str, Any]:
    """The immutable archive package of one item (件): metadata, body, attachments' hashes,
    and for an outgoing document the signed draft. Plain JSON values only."""
    metadata = {k: json_safe(doc[k]) for k in ELEMENT_FIELDS if doc.get(k) is not None}
    level = classification_level(doc)
    metadata["classification_level"] = level
    period = classification_period(doc) or params.classification_period
    if period is not None:
        metadata["classification_period"] = period
    package: dict[str, Any] = {
        "archival": {
            "archival_code": code,
            "fonds_code": params.fonds_code,
            "category_code": params.category_code,
            "year": params.year,
            "retention": params.retention.value,
            "retention_code": retention_code(params.retention),
            "organisation_code": params.organisation_code,
            "item_no": item_no,
            "archived_at": params.archived_at.isoformat(),
            "archivist": params.archivist,
            "remarks": params.remarks,
        },
        "document": {
            "kind": params.kind.value,
            "id": str(doc.get("_id", doc.get("id"))),
            "version": doc.get("version"),
            "status": doc.get("status"),
        },
        "metadata": metadata,
        "body": doc.get("body") if isinstance(doc.get("body"), str) else None,
        "attachments": [
            {"name": a.name, "media_type": a.media_type,
             "sha256": a.sha256 if a.content is None else hashlib.sha256(a.content).hexdigest(),
             "size": a.size if a.content is None else len(a.content)}
            for a in attachments
        ],
        # 办理过程: the audit trail is part of the record's process metadata.
        "history": json_safe(doc.get("history") or []),
    }
    if params.kind is DocumentKind.outgoing:
        package["signed_draft"] = signed_draft(doc)
    return package


# --- the chain ------------------------------------------------------------------------------


@dataclass
class ChainHead:
    """The end of the chain and the last 件号 of every series, folded from the records."""

    seq: int = 0
    record_hash: str = GENESIS_HASH
    items: dict[str, int] = field(default_factory=dict)

    def fold(self, record: Mapping[str, Any]) -> None:
        self.seq = int(record["seq"])
        self.record_hash = str(record["record_hash"])
        group, item = record.get("group"), record.get("item_no")
        if isinstance(group, str) and isinstance(item, int):
            self.items[group] = max(self.items.get(group, 0), item)

    def next_item_no(self, group: str) -> int:
        return self.items.get(group, 0) + 1


def make_record(seq: int, prev_hash: str, code: str, kind: DocumentKind, doc_id: str,
                group: str, item_no: int, package: dict[str, Any], algorithm: str
                ) -> dict[str, Any]:
    """One record of the chain; ``_id`` is the sequence number, so a second record with the
    same number is refused by the store."""
    content = content_hash(package, algorithm)
    return {
        "_id": seq, "seq": seq, "archival_code": code, "doc_kind": kind.value,
        "doc_id": doc_id, "group": group, "item_no": item_no, "package": package,
        "content_hash": content, "prev_hash": prev_hash,
        "record_hash": record_hash(prev_hash, content, seq, code, algorithm),
        "algorithm": algorithm,
    }


# --- the four checks (四性检测, DA/T 70-2018) --------------------------------------------------


@dataclass(frozen=True)
class StoredAttachment:
    """What the attachment store holds under a hash: its bytes, or nothing."""

    sha256: str
    content: bytes | None


def _finding(check: ArchiveCheck, problem: str, seq: int | None = None,
             code: str | None = None) -> ArchiveFinding:
    return ArchiveFinding(check=check, seq=seq, archival_code=code, problem=problem)


def check_package(package: Mapping[str, Any], stored: Mapping[str, StoredAttachment],
                  seq: int | None = None) -> list[ArchiveFinding]:
    """完整性 of the attachments, 可用性 and 安全性 of one package."""
    code = (package.get("archival") or {}).get("archival_code")
    found: list[ArchiveFinding] = []
    integrity, usability, security = (ArchiveCheck.integrity, ArchiveCheck.usability,
                                      ArchiveCheck.security)
    body = package.get("body")
    if body is not None:
        if not isinstance(body, str):
            found.append(_finding(usability, "正文不是文本", seq, code))
        else:
            try:
                body.encode("utf-8")
            except UnicodeEncodeError:
                found.append(_finding(usability, "正文无法解码", seq, code))
    attachments = package.get("attachments") or []
    if not body and not attachments:
        found.append(_finding(usability, "既无正文也无附件", seq, code))
    for a in attachments:
        name, sha = a.get("name"), a.get("sha256")
        if a.get("media_type") not in KNOWN_MEDIA_TYPES:
            found.append(_finding(usability, f"附件“{name}”格式不明：{a.get('media_type')}",
                                  seq, code))
        if not isinstance(a.get("size"), int) or a["size"] <= 0:
            found.append(_finding(usability, f"附件“{name}”大小为零或未知", seq, code))
        held = stored.get(sha) if isinstance(sha, str) else None
        if held is None or held.content is None:
            found.append(_finding(integrity, f"附件“{name}”内容缺失", seq, code))
        elif hashlib.sha256(held.content).hexdigest() != sha:
            found.append(_finding(integrity, f"附件“{name}”内容与SHA-256不符", seq, code))
        elif isinstance(a.get("size"), int) and len(held.content) != a["size"]:
            found.append(_finding(integrity, f"附件“{name}”大小不符", seq, code))
    if (package.get("document") or {}).get("kind") == DocumentKind.outgoing.value and \
            not package.get("signed_draft"):
        found.append(_finding(integrity, "发文缺少签发稿（定稿）", seq, code))
    metadata = package.get("metadata") or {}
    level = metadata.get("classification_level")
    if level not in {c.value for c in Classification}:
        found.append(_finding(security, "未记录密级", seq, code))
    elif level != Classification.none.value and not metadata.get("classification_period"):
        found.append(_finding(security, f"{level}文件未标注保密期限", seq, code))
    return found


def check_record(record: Mapping[str, Any], stored: Mapping[str, StoredAttachment]
                 ) -> list[ArchiveFinding]:
    """真实性 of one record (its hashes), then the package's own checks."""
    seq = record.get("seq") if isinstance(record.get("seq"), int) else None
    code = record.get("archival_code")
    algorithm = str(record.get("algorithm") or DEFAULT_ALGORITHM)
    package = record.get("package")
    found: list[ArchiveFinding] = []
    if algorithm not in SUPPORTED_ALGORITHMS or algorithm not in hashlib.algorithms_available:
        return [_finding(ArchiveCheck.authenticity, f"无法校验：算法 {algorithm} 不可用", seq,
                         code)]
    if not isinstance(package, Mapping):
        return [_finding(ArchiveCheck.authenticity, "归档包缺失", seq, code)]
    if content_hash(package, algorithm) != record.get("content_hash"):
        found.append(_finding(ArchiveCheck.authenticity, "归档包内容与哈希值不符（内容被改动）",
                              seq, code))
    if (package.get("archival") or {}).get("archival_code") != code:
        found.append(_finding(ArchiveCheck.authenticity, "档号与归档包不符", seq, code))
    expected = record_hash(str(record.get("prev_hash")), str(record.get("content_hash")),
                           seq or 0, str(code), algorithm)
    if expected != record.get("record_hash"):
        found.append(_finding(ArchiveCheck.authenticity, "记录哈希值不符（记录被改动）", seq,
                              code))
    found.extend(check_package(package, stored, seq))
    return found


@dataclass(frozen=True)
class ChainLink:
    """What the chain check needs of each record."""

    seq: int
    archival_code: str | None
    prev_hash: str
    record_hash: str


def check_links(links: Iterable[ChainLink], expected_last: int = 0) -> list[ArchiveFinding]:
    """完整性 of the chain: numbers 1..n without gaps, each record naming its predecessor.

    ``expected_last``: the highest 序号 known elsewhere (the head, the documents marked
    已归档), so that removing the last records is seen too.
    """
    found: list[ArchiveFinding] = []
    ordered = sorted(links, key=lambda link: link.seq)
    previous: ChainLink | None = None
    expected = 1
    for link in ordered:
        if link.seq > expected:
            missing = (f"第{expected}条" if link.seq == expected + 1
                       else f"第{expected}至{link.seq - 1}条")
            found.append(_finding(ArchiveCheck.integrity, f"链中缺少{missing}记录", link.seq))
        prev_hash = (previous.record_hash if previous and previous.seq == link.seq - 1
                     else GENESIS_HASH if link.seq == 1 else None)
        if prev_hash is not None and link.prev_hash != prev_hash:
            found.append(_finding(ArchiveCheck.integrity, "与前一条记录的链接断开", link.seq,
                                  link.archival_code))
        previous = link
        expected = link.seq + 1
    if expected_last >= expected:
        missing = (f"第{expected}条" if expected_last == expected
                   else f"第{expected}至{expected_last}条")
        found.append(_finding(ArchiveCheck.integrity, f"链尾缺少{missing}记录", expected_last))
    return found


def outcomes(findings: Sequence[ArchiveFinding]) -> dict[ArchiveCheck, list[ArchiveFinding]]:
    grouped: dict[ArchiveCheck, list[ArchiveFinding]] = {c: [] for c in ArchiveCheck}
    for f in findings:
        grouped[f.check].append(f)
    return grouped
