"""Rules of archiving (DA/T 22-2015): 档号, the item (件), the hash chain and its four checks."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime

import pytest

from govbus_contracts.errors import GovbusError
from govbus_contracts.services.documents.archive import ArchiveCheck
from govbus_contracts.services.documents.common import DocumentKind, Retention
from govbus_documents.domain.archive import (
    GENESIS_HASH,
    ArchiveParams,
    ChainHead,
    ChainLink,
    StoredAttachment,
    archival_code,
    attachment_contents,
    build_package,
    canonical_json,
    check_archivable,
    check_links,
    check_package,
    check_record,
    content_hash,
    document_year,
    group_key,
    make_record,
)

PDF = b"%PDF-1.7 \xe5\xae\x9c\xe6\x98\x8c"
PDF_SHA = hashlib.sha256(PDF).hexdigest()
NOW = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)


def outgoing(**extra: object) -> dict[str, object]:
    doc: dict[str, object] = {
        "_id": "out-1", "version": 7, "status": "已核发", "doc_type": "意见",
        "title": "关于进一步加强自身建设的实施意见", "doc_number": "宜府办发〔2026〕71号",
        "signer": "罗秘书长", "date_of_writing": "2026-02-27",
        "classification_level": "非密", "departments": ["办公室"],
        "body": "为进一步加强市政府办公室自身建设，现提出如下意见。",
        "attachments": [{"name": "实施方案.pdf", "media_type": "application/pdf",
                         "content_base64": base64.b64encode(PDF).decode(), "sha256": PDF_SHA,
                         "size": len(PDF)}],
        "revisions": [{"number": 1, "body": "初稿"}, {"number": 2, "body": "签发稿正文"}],
        "signed_revision": 2,
        "history": [{"who": "u1", "role": "drafter", "when": "2026-02-20T01:00:00+00:00",
                     "action": "起草", "remarks": None}],
    }
    doc.update(extra)
    return doc


def params(kind: DocumentKind = DocumentKind.outgoing, **extra: object) -> ArchiveParams:
    values: dict[str, object] = dict(
        kind=kind, retention=Retention.permanent, organisation_code="BGS", year=2026,
        fonds_code="Z001", category_code="WS", archived_at=NOW, archivist="档案员甲")
    values.update(extra)
    return ArchiveParams(**values)  # type: ignore[arg-type]


def package_of(doc: dict[str, object], code: str = "Z001-WS·2026-Y-BGS-0001") -> dict:
    return build_package(doc, params(), code, 1, attachment_contents(doc))


def stored_pdf() -> dict[str, StoredAttachment]:
    return {PDF_SHA: StoredAttachment(PDF_SHA, PDF)}


# --- 档号 -------------------------------------------------------------------------------------


def test_archival_code_reads_fonds_category_year_retention_organisation_item():
    assert archival_code("Z001", "WS", 2026, Retention.permanent, "BGS", 1) == \
        "Z001-WS·2026-Y-BGS-0001"
    assert archival_code("Z001", "WS", 2026, Retention.thirty_years, "BGS", 12) == \
        "Z001-WS·2026-D30-BGS-0012"
    assert archival_code("Z001", "WS", 2025, Retention.ten_years, "ZHK", 305) == \
        "Z001-WS·2025-D10-ZHK-0305"


def test_item_numbers_run_per_series_without_gaps():
    head = ChainHead()
    permanent = group_key("Z001", 2026, Retention.permanent, "BGS")
    ten_years = group_key("Z001", 2026, Retention.ten_years, "BGS")
    head.fold({"seq": 1, "record_hash": "a", "group": permanent, "item_no": 1})
    head.fold({"seq": 2, "record_hash": "b", "group": ten_years, "item_no": 1})
    head.fold({"seq": 3, "record_hash": "c", "group": permanent, "item_no": 2})
    assert head.next_item_no(permanent) == 3
    assert head.next_item_no(ten_years) == 2
    assert head.next_item_no(group_key("Z001", 2027, Retention.permanent, "BGS")) == 1
    assert (head.seq, head.record_hash) == (3, "c")


def test_only_finished_documents_are_archived_and_only_once():
    check_archivable(DocumentKind.incoming, "已办结")
    check_archivable(DocumentKind.outgoing, "已核发")
    with pytest.raises(GovbusError) as early:
        check_archivable(DocumentKind.incoming, "承办中")
    assert early.value.code == "invalid_transition"
    with pytest.raises(GovbusError) as unsigned:
        check_archivable(DocumentKind.outgoing, "已签发")
    assert unsigned.value.code == "invalid_transition"
    with pytest.raises(GovbusError) as twice:
        check_archivable(DocumentKind.outgoing, "已归档")
    assert twice.value.code == "conflict"


def test_an_incoming_document_waits_until_every_circulated_copy_is_back():
    with pytest.raises(GovbusError) as out_on_circulation:
        check_archivable(DocumentKind.incoming, "已办结", archivable=False)
    assert out_on_circulation.value.code == "invalid_transition"
    check_archivable(DocumentKind.incoming, "已办结", archivable=True)


def test_the_year_is_the_year_the_document_was_formed():
    assert document_year({"date_of_writing": "2025-12-30", "doc_number": "宜发〔2026〕3号"}) \
        == 2025
    assert document_year({"received_on": "2024-05-01"}) == 2024
    assert document_year({"history": [{"when": "2023-01-04T02:00:00+00:00"}]}) == 2023
    assert document_year({}) is None


def test_an_incoming_document_belongs_to_the_year_the_office_finished_handling_it():
    # DA/T 22-2015: the year the document was formed here, not the sender's year.
    sender_2008 = {"issuer_doc_number": "宜发〔2008〕13号", "registration_number": "收〔2025〕9号",
                   "received_on": "2025-12-29", "completed_on": "2026-01-06"}
    assert document_year(sender_2008) == 2026
    assert document_year({**sender_2008, "completed_on": None}) == 2025
    assert document_year({"issuer_doc_number": "宜发〔2008〕13号"}) is None


# --- the item (件) --------------------------------------------------------------------------


def test_an_outgoing_item_keeps_the_final_text_with_its_signed_draft():
    package = package_of(outgoing())
    assert package["body"] == "为进一步加强市政府办公室自身建设，现提出如下意见。"
    assert package["signed_draft"]["body"] == "签发稿正文"
    assert package["attachments"] == [{"name": "实施方案.pdf", "media_type": "application/pdf",
                                       "sha256": PDF_SHA, "size": len(PDF)}]
    assert package["metadata"]["doc_number"] == "宜府办发〔2026〕71号"
    assert package["metadata"]["signer"] == "罗秘书长"
    assert package["archival"]["archival_code"] == "Z001-WS·2026-Y-BGS-0001"
    assert "content_base64" not in canonical_json(package)


def test_the_package_hash_does_not_depend_on_the_order_of_fields():
    package = package_of(outgoing())
    reordered = dict(reversed(list(package.items())))
    assert content_hash(package, "sha256") == content_hash(reordered, "sha256")
    changed = package_of(outgoing(body="为进一步加强市政府办公室自身建设，现提出以下意见。"))
    assert content_hash(changed, "sha256") != content_hash(package, "sha256")


# --- the chain and the four checks ----------------------------------------------------------


def chain(n: int, algorithm: str = "sha256") -> list[dict]:
    records, prev = [], GENESIS_HASH
    for seq in range(1, n + 1):
        code = f"Z001-WS·2026-Y-BGS-{seq:04d}"
        record = make_record(seq, prev, code, DocumentKind.outgoing, f"out-{seq}",
                             group_key("Z001", 2026, Retention.permanent, "BGS"), seq,
                             package_of(outgoing(_id=f"out-{seq}"), code), algorithm)
        records.append(record)
        prev = record["record_hash"]
    return records


def links(records: list[dict]) -> list[ChainLink]:
    return [ChainLink(r["seq"], r["archival_code"], r["prev_hash"], r["record_hash"])
            for r in records]


def test_an_untouched_chain_passes_every_check():
    records = chain(3)
    assert [f for r in records for f in check_record(r, stored_pdf())] == []
    assert check_links(links(records), expected_last=3) == []


def test_a_changed_body_is_an_authenticity_failure():
    record = chain(1)[0]
    record["package"]["body"] = "篡改后的正文"
    findings = check_record(record, stored_pdf())
    assert [(f.check, f.seq) for f in findings] == [(ArchiveCheck.authenticity, 1)]


def test_a_rewritten_record_hash_is_an_authenticity_failure():
    record = chain(1)[0]
    record["package"]["body"] = "篡改后的正文"
    record["content_hash"] = content_hash(record["package"], "sha256")
    findings = check_record(record, stored_pdf())
    assert [f.check for f in findings] == [ArchiveCheck.authenticity]
    assert "记录哈希" in findings[0].problem


def test_a_missing_record_and_a_broken_link_are_integrity_failures():
    records = chain(4)
    gap = check_links(links([records[0], records[1], records[3]]), expected_last=4)
    assert [(f.check, f.seq) for f in gap] == [(ArchiveCheck.integrity, 4)]
    assert "第3条" in gap[0].problem
    records[2]["prev_hash"] = "f" * 64
    broken = check_links(links(records))
    assert [(f.check, f.seq) for f in broken] == [(ArchiveCheck.integrity, 3)]
    tail = check_links(links(records[:2]), expected_last=4)
    assert [f.problem for f in tail] == ["链尾缺少第3至4条记录"]


def test_an_attachment_missing_or_altered_in_the_store_is_an_integrity_failure():
    package = package_of(outgoing())
    missing = check_package(package, {})
    assert [f.check for f in missing] == [ArchiveCheck.integrity]
    altered = check_package(package, {PDF_SHA: StoredAttachment(PDF_SHA, PDF + b"x")})
    assert [f.check for f in altered] == [ArchiveCheck.integrity]
    assert "SHA-256" in altered[0].problem


def test_an_outgoing_item_without_its_signed_draft_is_incomplete():
    package = package_of(outgoing(signed_revision=None))
    assert [f.check for f in check_package(package, stored_pdf())] == [ArchiveCheck.integrity]


def test_attachments_of_unknown_format_or_empty_are_not_usable():
    doc = outgoing(attachments=[{"name": "x.bin", "media_type": "application/x-unknown",
                                 "sha256": PDF_SHA, "size": 0}])
    findings = check_package(package_of(doc), stored_pdf())
    assert {f.check for f in findings} == {ArchiveCheck.usability, ArchiveCheck.integrity}
    assert len([f for f in findings if f.check is ArchiveCheck.usability]) == 2


def test_a_classified_item_must_carry_its_classification_period():
    secret = package_of(outgoing(classification_level="秘密"))
    assert [f.check for f in check_package(secret, stored_pdf())] == [ArchiveCheck.security]
    marked = package_of(outgoing(classification_level="秘密", classification_period="10年"))
    assert check_package(marked, stored_pdf()) == []
    unrecorded = package_of(outgoing(classification_level=None))
    assert [f.check for f in check_package(unrecorded, stored_pdf())] == \
        [ArchiveCheck.security]


def test_the_chain_can_be_kept_with_sm3():
    if "sm3" not in hashlib.algorithms_available:
        pytest.skip("this platform's OpenSSL offers no SM3; the chain keeps SHA-256")
    records = chain(2, "sm3")
    assert records[0]["algorithm"] == "sm3"
    assert records[0]["content_hash"] != chain(1)[0]["content_hash"]
    assert [f for r in records for f in check_record(r, stored_pdf())] == []
    records[1]["package"]["body"] = "篡改"
    assert [f.check for f in check_record(records[1], stored_pdf())] == \
        [ArchiveCheck.authenticity]
