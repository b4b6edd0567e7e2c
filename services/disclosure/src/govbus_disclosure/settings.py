"""The office's own settings for disclosure (its periods are data: domain/periods.py)."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from govbus_contracts.services.disclosure.report import ReportLevel
from govbus_kit.periods import DeprecatedSetting


class DisclosureSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GOVBUS_DISCLOSURE_", env_file=".env",
                                      extra="ignore")

    # Deprecated, read for this release only: the periods are versioned data now
    # (domain/periods.py, with the articles; an operator's <GOVBUS_PERIODS_DIR>/disclosure.json).
    # Set, each still applies to every case, with a warning that names the replacement.
    publication_working_days: int | None = None
    reply_working_days: int | None = None
    max_extension_working_days: int | None = None
    correction_notice_working_days: int | None = None
    consultation_working_days: int | None = None
    remind_working_days_before: int | None = None
    request_correction_answer_working_days: int | None = None
    request_fee_payment_working_days: int | None = None

    # 第三十一条: an online platform confirms a submission at once (the day both sides confirm
    # is the day submitted); False: staff confirm each online request (confirm_receipt).
    request_online_confirmed_at_once: bool = True
    # Local rules only (not the national text): a request received on a non-working day is
    # taken as received on the next working day.
    request_receipt_next_working_day: bool = False
    sweep_seconds: float = 60.0

    # catalogue (主动公开, 公开目录) -------------------------------------------------------
    # The office's categories of its 公开目录; 规章 and 行政规范性文件 are counted by name in
    # the annual report and are the only ones that can be 废止.
    catalogue_categories: list[str] = [
        "政府文件", "规章", "行政规范性文件", "通知公告", "政策解读", "预决算", "规划计划",
        "统计信息", "人事信息", "其他"]
    # 文种 of a dispatched 主动公开 公文 → its category; others go to the default. 规章 are
    # promulgated by 政府令 (命令(令)), so 命令 defaults to 规章.
    catalogue_default_category: str = "政府文件"
    catalogue_doc_type_categories: dict[str, str] = {
        "命令": "规章", "公告": "通知公告", "通告": "通知公告"}
    # Search: the indexed beginning of a body, the snippet width, and how often a replica
    # reads the markers of the other replicas' writes (catalogue_index.py).
    catalogue_body_chars: int = 20000
    catalogue_snippet_chars: int = 80
    catalogue_refresh_seconds: float = 1.0

    # report (年度报告) ------------------------------------------------------------------------
    # The office's name heads the workbook and its file name (e.g. 某市人民政府办公室); empty:
    # the file is named 2026年政府信息公开工作年度报告.xlsx.
    report_office_name: str = ""
    # 第四十九条: whose report this service keeps, which fixes its deadline: 政府部门 (by
    # 31 January of the next year) or 本级人民政府 (by 31 March, published by the office as the
    # 政府信息公开工作主管部门).
    report_level: ReportLevel = ReportLevel.department

    # requests (依申请公开) ---------------------------------------------------------------
    # 按件计收 (109号 第四条): free up to N a calendar month; then a price per request up to
    # the top of the first tier; beyond it, per band of requests, the price rises (超额累进).
    request_fee_free_per_month: int = 10
    request_fee_per_request: int = 100
    request_fee_first_tier_top: int = 30
    request_fee_band_size: int = 10
    request_fee_band_increase: int = 100
    # Key of the tracking codes (查询码 = HMAC of the request id, so that a retried submission
    # shows the same code while the store keeps only its SHA-256). Unset: a key made once and
    # kept in the service's database (collection service_keys), shared by every replica.
    request_tracking_key: SecretStr | None = None

    def deprecated_periods(self) -> list[DeprecatedSetting]:
        prefix = str(self.model_config.get("env_prefix", ""))
        every = ("publication", "reply", "correction_notice", "correction_answer",
                 "consultation", "fee_payment", "annual_report_department",
                 "annual_report_government")
        return [DeprecatedSetting(prefix + variable.upper(), getattr(self, variable), names,
                                  "remind_before" if variable.startswith("remind") else "amount")
                for variable, names in (
                    ("publication_working_days", ("publication",)),
                    ("reply_working_days", ("reply",)),
                    ("max_extension_working_days", ("max_extension",)),
                    ("correction_notice_working_days", ("correction_notice",)),
                    ("consultation_working_days", ("consultation",)),
                    ("remind_working_days_before", every),
                    ("request_correction_answer_working_days", ("correction_answer",)),
                    ("request_fee_payment_working_days", ("fee_payment",)))]
