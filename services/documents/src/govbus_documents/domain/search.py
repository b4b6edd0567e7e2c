"""Full-text search of 公文: what the index keeps of one document, and under which key.

How text becomes terms and how matches are ranked (character bigrams, 文号 kept whole,
field weights number > title > issuer > body, AND-then-OR ranking, snippets) is
office-neutral and lives in ``govbus_kit.textsearch``; it is re-exported here so that the
documents' own modules and tests read it from their domain. Who may see a document is the
documents' rule (``domain.access``), applied by ``govbus_documents.indexing``.

Pure rules: no I/O. The index layout lives in ``govbus_documents.indexing``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from govbus_contracts.services.documents.common import Classification, DocumentKind
from govbus_kit.textsearch import (
    FIELD_WEIGHTS,
    MAX_QUERY_TERMS,
    MAX_TF_FACTOR,
    Ranking,
    canonical_doc_number,
    doc_numbers_in,
    field_terms,
    idf,
    normalize,
    query_terms,
    rank,
    snippet,
    tf_factor,
    tokenize,
)


@dataclass(frozen=True)
class IndexedDocument:
    """What the index keeps of one document: visibility, filters, display, term weights."""

    key: str
    kind: DocumentKind
    id: str
    version: int
    year: int | None
    classification_level: Classification
    departments: tuple[str, ...]
    doc_number: str | None
    title: str | None
    issuer: str | None
    status: str | None
    body: str | None  # truncated; None for classified documents (no snippets)
    terms: Mapping[str, float] = field(default_factory=dict)


def document_key(kind: DocumentKind | str, doc_id: str) -> str:
    return f"{DocumentKind(kind).value}:{doc_id}"


__all__ = [
    "FIELD_WEIGHTS",
    "MAX_QUERY_TERMS",
    "MAX_TF_FACTOR",
    "IndexedDocument",
    "Ranking",
    "canonical_doc_number",
    "doc_numbers_in",
    "document_key",
    "field_terms",
    "idf",
    "normalize",
    "query_terms",
    "rank",
    "snippet",
    "tf_factor",
    "tokenize",
]
