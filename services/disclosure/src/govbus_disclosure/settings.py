"""The office's own periods for disclosure; every figure is configuration, the defaults are
the 政府信息公开条例 (2019)'s."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class DisclosureSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GOVBUS_DISCLOSURE_", env_file=".env",
                                      extra="ignore")

    # 主动公开: within 20 working days of the information being made or changed (第二十六条).
    publication_working_days: int = 20
    # 依申请公开: reply within 20 working days (第三十三条), one extension of at most 20.
    reply_working_days: int = 20
    max_extension_working_days: int = 20
    # 补正: the notice within 7 working days of receipt (第三十条).
    correction_notice_working_days: int = 7
    # 征求第三方意见: the third party has 15 working days; not counted (第三十二条).
    consultation_working_days: int = 15
    # Reminders this many working days before a deadline.
    remind_working_days_before: int = 3
    sweep_seconds: float = 60.0
