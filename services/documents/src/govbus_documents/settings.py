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
    # Search.
    search_max_results: int = 200
