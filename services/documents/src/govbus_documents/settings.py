"""The office's own codes and limits for documents (its periods are data: domain/periods.py)."""

from __future__ import annotations

from typing import Annotated

from pydantic import field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from govbus_kit.periods import DeprecatedSetting
from govbus_kit.service import ServiceContext


class DocumentsSettings(BaseSettings):
    """Read once when the service starts (``Service(settings=DocumentsSettings)``), or given
    by a host or a test; handlers reach them through their context (:func:`office`)."""

    model_config = SettingsConfigDict(env_prefix="GOVBUS_DOCUMENTS_", env_file=".env",
                                      extra="ignore")

    # Deprecated, read for this release only: the 承办 periods and the 催办 reminder are
    # versioned data now (domain/periods.py; an operator's <GOVBUS_PERIODS_DIR>/documents.json).
    # Set, they still apply to every 收文, with a warning that names the replacement.
    handling_days_very_urgent: int | None = None
    handling_days_urgent: int | None = None
    handling_days_normal: int | None = None
    remind_working_days_before: int | None = None
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
    # 代拟 (draft_requested_outgoing): the services that may ask the office for a draft, as
    # themselves (issue 13: supervision's 督办通知书). GOVBUS_DOCUMENTS_DRAFT_REQUESTERS,
    # comma-separated; empty: nobody.
    draft_requesters: Annotated[list[str], NoDecode] = ["supervision"]

    @field_validator("draft_requesters", mode="before")
    @classmethod
    def _names(cls, value: object) -> object:
        if isinstance(value, str):
            return [name.strip() for name in value.split(",") if name.strip()]
        return value

    def deprecated_periods(self) -> list[DeprecatedSetting]:
        prefix = str(self.model_config.get("env_prefix", ""))
        return [
            DeprecatedSetting(f"{prefix}HANDLING_DAYS_VERY_URGENT",
                              self.handling_days_very_urgent, ("handling_very_urgent",)),
            DeprecatedSetting(f"{prefix}HANDLING_DAYS_URGENT", self.handling_days_urgent,
                              ("handling_urgent",)),
            DeprecatedSetting(f"{prefix}HANDLING_DAYS_NORMAL", self.handling_days_normal,
                              ("handling_normal",)),
            DeprecatedSetting(f"{prefix}REMIND_WORKING_DAYS_BEFORE",
                              self.remind_working_days_before,
                              ("handling_very_urgent", "handling_urgent", "handling_normal"),
                              "remind_before"),
        ]


def office(ctx: ServiceContext) -> DocumentsSettings:
    """The documents service's own settings, as its host started it."""
    return ctx.own_settings(DocumentsSettings)
