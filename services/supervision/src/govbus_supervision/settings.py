"""The office's own settings for supervision (its periods and 催办 levels are data:
domain/periods.py, domain/escalation.py)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class SupervisionSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GOVBUS_SUPERVISION_", env_file=".env",
                                      extra="ignore")

    # 督查编号 督〔2026〕12号: the register's 代字 (the serial runs per year).
    number_prefix: str = Field(default="督", min_length=1, max_length=20)
    # The supervision office's 机关代字 on the 督办通知书 drafted in the documents service.
    notice_issuer_code: str = Field(default="督查室", min_length=1, max_length=50)
    # The supervision office's own name in the office (督查室, 督查科, 督查督办科): it drafts
    # the 督办通知书 in the documents service and the departments report to it.
    office_department: str = Field(default="督查室", min_length=1, max_length=50)
    # The office's name heads the ledger's workbook and its file name.
    office_name: str = ""
    # The ledger's workbook travels in one bus reply, base64-encoded (4/3 of its size): a
    # larger file is refused (payload_too_large) and the office exports by year, source,
    # department or status. Keep it below 3/4 of the bus's max_payload (deploy/nats: 2MB).
    export_max_bytes: int = Field(default=1_400_000, gt=0)
    sweep_seconds: float = 60.0
