"""The office's own periods and codes for documents; every figure is configuration."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class DocumentsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GOVBUS_DOCUMENTS_", env_file=".env",
                                      extra="ignore")

    # 承办 time limits in working days by urgency (the office's rule; 条例 Art. 24 asks
    # that urgent documents be handled within their limits).
    handling_days_very_urgent: int = 3
    handling_days_urgent: int = 5
    handling_days_normal: int = 15
    # 催办: reminders this many working days before the deadline, and an overdue notice after.
    remind_working_days_before: int = 2
    sweep_seconds: float = 60.0
    # Archive (DA/T 22-2015): 全宗号 and 门类代码 of this office.
    fonds_code: str = "Z001"
    category_code: str = "WS"
    # The archive chain's hash: sha256, or sm3 (GB/T 32905-2016) where the platform's
    # OpenSSL offers it. Each record names its algorithm, so a change needs no re-hashing.
    archive_hash_algorithm: str = "sha256"
    # Search (see indexing.py): how much of a body is indexed and kept for snippets, how
    # many matches a query ranks at most, and how the in-memory index is refreshed.
    search_max_results: int = 200
    search_body_chars: int = 3000
    search_excerpt_chars: int = 600
    search_snippet_chars: int = 80
    search_recent_max_docs: int = 200
    search_refresh_seconds: float = 1.0
    search_lease_seconds: float = 600.0
