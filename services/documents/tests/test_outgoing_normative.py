"""行政规范性文件 on outgoing documents (政府信息公开条例第二十条第(一)项, 第五十条): the flag and
its 统一登记号 travel from the draft to the dispatched fact disclosure counts them by."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_outgoing_rules import (  # type: ignore[import-not-found]
    AT,
    DRAFTER,
    REGISTRAR,
    draft_command,
    everyone,
    printed,
    refused,
)

from govbus_contracts.errors import ErrorCode
from govbus_contracts.services.documents.common import DisclosureAttribute
from govbus_documents.domain import outgoing as rules


def test_a_normative_document_carries_its_flag_and_registration_number_to_the_dispatch():
    doc = printed(normative_document=True, normative_registration_number="YCDR-2026-0001003")
    assert (doc.normative_document, doc.normative_registration_number) == (
        True, "YCDR-2026-0001003")
    fact = rules.dispatch(doc, everyone(doc), REGISTRAR, AT).events[0]
    assert (fact.normative_document, fact.normative_registration_number) == (  # type: ignore[attr-defined]
        True, "YCDR-2026-0001003")
    assert fact.date_of_writing is not None  # type: ignore[attr-defined]


def test_an_ordinary_document_is_not_normative():
    doc = printed()
    fact = rules.dispatch(doc, everyone(doc), REGISTRAR, AT).events[0]
    assert fact.normative_document is False  # type: ignore[attr-defined]


def test_a_registration_number_needs_the_flag_and_a_normative_document_is_proactive():
    refused(ErrorCode.validation_failed, rules.draft, "doc-1",
            draft_command(normative_registration_number="YCDR-2026-0001003"), DRAFTER, AT)
    refused(ErrorCode.validation_failed, rules.draft, "doc-1",
            draft_command(normative_document=True,
                          disclosure=DisclosureAttribute.on_request), DRAFTER, AT)
    # The 统一登记号 may be unknown when drafting (司法行政部门's registration comes later).
    assert rules.draft("doc-1", draft_command(normative_document=True), DRAFTER,
                       AT).document.normative_document
