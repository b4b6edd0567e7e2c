"""Contracts of the disclosure service: the catalogue (主动公开, 公开目录) and its public search.

[政府信息公开条例 2019: 第十九条–第二十六条]. An entry is one piece of proactively disclosed
information: a 主动公开 公文 arriving from the documents service (``OUTGOING_DISPATCHED``) or
an entry made by staff for information that is not a 公文 (预决算, 规划计划, 统计信息).
It must be published within 20 working days of the information being made or changed
(第二十六条); late publication is kept on the entry and said in ``catalogue.published``, and
an entry still unpublished past its period raises ``catalogue.overdue``.

Only 非密 information ever becomes an entry (第十四条): a dispatched event that says 主动公开
but carries any other 密级 is refused (``catalogue.refused``, without title or body).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from govbus_contracts.base import Command, DueProvisional, Event, InputId, Query, Reply
from govbus_contracts.services.disclosure.common import CONTRACT
from govbus_contracts.services.documents.common import Classification, DisclosureAttribute


class CatalogueStatus(StrEnum):
    """状态 of a catalogue entry."""

    pending = "待公开"
    published = "已公开"
    withdrawn = "已撤回"  # taken out of the catalogue (撤回)
    repealed = "已废止"  # a 规章 / 行政规范性文件 no longer in force: stays listed, marked


class EntrySource(StrEnum):
    """来源."""

    document = "公文"  # a dispatched 主动公开 公文 of the documents service
    manual = "手工"  # entered by staff


# --- records shown by queries -------------------------------------------------------------


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class AttachmentRef(_Record):
    """附件 by name and SHA-256 (the content stays where it was made)."""

    name: str = Field(max_length=200, description="附件名称")
    sha256: str | None = Field(default=None, max_length=64)
    media_type: str | None = Field(default=None, max_length=100)
    size: int | None = Field(default=None, ge=0, le=2**31, description="字节数")


class FieldChange(_Record):
    """One field changed by a correction (long texts shortened; the versions keep them)."""

    field: str
    before: str | None = None
    after: str | None = None


class AuditRecord(_Record):
    """留痕: who did what to the entry, when, and why."""

    action: str = Field(description="登记 / 公开 / 更正 / 撤回 / 废止 / 逾期 / 到期提醒")
    by: str = Field(description="subject of the actor (system:disclosure for the sweep)")
    by_name: str | None = None
    at: datetime
    reason: str | None = Field(default=None, description="理由")
    changes: list[FieldChange] = Field(default_factory=list)


class EntryVersion(_Record):
    """One version of the entry's content: every version is kept (更正 adds one)."""

    number: int
    at: datetime
    by: str
    reason: str | None = Field(default=None, description="更正理由 (None for the first)")
    category: str
    title: str
    summary: str | None = None
    body: str | None = None
    doc_number: str | None = None
    issuing_organ: str | None = None
    information_date: date


# --- commands -----------------------------------------------------------------------------


class RegisterCatalogueEntry(Command):
    """登记 information that is not a 公文 (预决算, 规划计划, 统计信息) into the catalogue."""

    category: str = Field(min_length=1, max_length=50, description="目录类别 (the office's list)")
    title: str = Field(min_length=1, max_length=300, description="标题")
    summary: str | None = Field(default=None, max_length=2000, description="内容概述")
    body: str | None = Field(default=None, max_length=500_000, description="正文")
    information_date: date = Field(description="信息形成或者变更日期 (the period runs from it)")
    issuing_organ: str = Field(min_length=1, max_length=100, description="发布机构")
    doc_number: str | None = Field(default=None, max_length=50, description="文号, if any")
    department: str | None = Field(
        default=None, max_length=100,
        description="责任部门; defaults to the officer's own, required to match it")
    classification: Classification = Field(
        default=Classification.none, description="密级: only 非密 may be disclosed")
    attachments: list[AttachmentRef] = Field(default_factory=list, max_length=50)
    publish: bool = Field(default=True, description="公开 now; False: 待公开 until published")


class PublishCatalogueEntry(Command):
    """公开 a 待公开 entry."""

    entry_id: InputId


class WithdrawCatalogueEntry(Command):
    """撤回: take the entry out of the catalogue and out of the public search."""

    entry_id: InputId
    reason: str = Field(min_length=1, max_length=1000, description="撤回理由")


class RepealCatalogueEntry(Command):
    """废止 a 规章 or 行政规范性文件: it stays listed, marked 已废止."""

    entry_id: InputId
    reason: str = Field(min_length=1, max_length=1000, description="废止理由 / 依据")
    repealed_on: date | None = Field(default=None, description="废止日期 (default: today)")


class CorrectCatalogueEntry(Command):
    """更正 the content of an entry; every version is kept, the changes are recorded."""

    entry_id: InputId
    reason: str = Field(min_length=1, max_length=1000, description="更正理由")
    category: str | None = Field(default=None, min_length=1, max_length=50)
    title: str | None = Field(default=None, min_length=1, max_length=300)
    summary: str | None = Field(default=None, max_length=2000)
    body: str | None = Field(default=None, max_length=500_000)
    doc_number: str | None = Field(default=None, max_length=50)
    issuing_organ: str | None = Field(default=None, min_length=1, max_length=100)
    information_date: date | None = None


class CatalogueStepReply(Reply):
    entry_id: str
    status: CatalogueStatus
    version: int
    due_on: date | None = Field(default=None, description="公开期限 (第二十六条)")
    due_on_provisional: DueProvisional = False
    published_on: date | None = None
    late: bool = False
    working_days_late: int = 0


# --- queries ------------------------------------------------------------------------------


class SearchCatalogue(Query):
    """公开目录检索 (public, no account): Chinese full text with category and date filters.

    Only 已公开 and 已废止 entries, ranked; without ``q`` the newest first.
    """

    q: str | None = Field(default=None, max_length=200, description="检索词")
    category: str | None = Field(default=None, max_length=50, description="目录类别")
    information_from: date | None = Field(default=None, description="信息日期 from (inclusive)")
    information_to: date | None = Field(default=None, description="信息日期 to (inclusive)")
    published_from: date | None = Field(default=None, description="公开日期 from (inclusive)")
    published_to: date | None = Field(default=None, description="公开日期 to (inclusive)")
    offset: int = Field(default=0, ge=0, le=10_000)
    limit: int = Field(default=20, ge=1, le=50)


class CatalogueHit(_Record):
    entry_id: str
    category: str
    title: str
    doc_number: str | None = None
    issuing_organ: str | None = None
    information_date: date
    published_on: date | None = None
    status: CatalogueStatus
    repealed: bool = Field(default=False, description="已废止: listed, no longer in force")
    score: float = 0.0
    snippet: str | None = None


class CatalogueSearchResults(Reply):
    total: int
    matched_all_terms: bool = Field(
        default=True, description="True: every hit holds every term; False: any term ranked")
    offset: int
    limit: int
    hits: list[CatalogueHit]


class GetCatalogueEntry(Query):
    """One entry: the public see published (and repealed) ones; staff all within scope."""

    entry_id: InputId


class CatalogueEntryView(Reply):
    entry_id: str
    status: CatalogueStatus
    source: EntrySource
    category: str
    title: str
    summary: str | None = None
    body: str | None = None
    doc_number: str | None = None
    issuing_organ: str | None = None
    department: str | None = None
    document_id: str | None = Field(default=None, description="the 公文 it came from")
    attachments: list[AttachmentRef] = Field(default_factory=list)
    information_date: date
    date_of_writing: date | None = Field(default=None, description="成文日期 (a 公文)")
    normative_document: bool = Field(default=False, description="行政规范性文件")
    normative_registration_number: str | None = Field(default=None,
                                                      description="规范性文件统一登记号")
    due_on: date | None = None
    due_on_provisional: DueProvisional = False
    published_on: date | None = None
    late: bool = False
    working_days_late: int = 0
    withdrawn_on: date | None = None
    repealed_on: date | None = None
    overdue_since: date | None = None
    version: int
    #: staff only (empty for the public)
    versions: list[EntryVersion] = Field(default_factory=list)
    audit: list[AuditRecord] = Field(default_factory=list)


class ListCatalogue(Query):
    """Staff list of entries within the officer's scope (paginated)."""

    status: CatalogueStatus | None = None
    late: bool | None = None
    category: str | None = Field(default=None, max_length=50)
    source: EntrySource | None = None
    offset: int = Field(default=0, ge=0, le=100_000)
    limit: int = Field(default=50, ge=1, le=200)


class CatalogueSummary(_Record):
    entry_id: str
    status: CatalogueStatus
    source: EntrySource
    category: str
    title: str
    doc_number: str | None = None
    department: str | None = None
    information_date: date
    due_on: date | None = None
    published_on: date | None = None
    late: bool = False
    working_days_late: int = 0


class CatalogueList(Reply):
    items: list[CatalogueSummary]
    total: int
    offset: int
    limit: int


# --- events -------------------------------------------------------------------------------


class _EntryFact(Event):
    entry_id: str
    source: EntrySource
    category: str
    department: str | None = None
    document_id: str | None = None


class CataloguePublished(_EntryFact):
    """公开: the entry is in the catalogue; ``late`` when after its 20-working-day period."""

    title: str
    doc_number: str | None = None
    issuing_organ: str | None = None
    information_date: date
    due_on: date | None = None
    published_on: date
    late: bool
    working_days_late: int = 0
    date_of_writing: date | None = Field(default=None, description="成文日期 (a 公文)")
    normative_document: bool = Field(default=False, description="行政规范性文件")
    normative_registration_number: str | None = Field(default=None,
                                                      description="规范性文件统一登记号")


class CatalogueDeadlineChanged(_EntryFact):
    """公开期限调整: a period counted on a provisional calendar moved when the official year
    (the State Council's 调休 arrangement) arrived; a published entry's lateness is counted
    again on it."""

    title: str
    previous_due_on: date = Field(description="原公开期限 (按临时工作日历)")
    due_on: date = Field(description="调整后的公开期限")
    late: bool = Field(description="逾期公开 on the official calendar (published entries)")
    working_days_late: int = 0
    reason: str = Field(max_length=500, description="调整原因")


class CatalogueReminded(_EntryFact):
    """到期提醒: a 待公开 entry's period ends in a few working days."""

    title: str
    due_on: date
    reminded_on: date
    working_days_left: int


class CatalogueOverdue(_EntryFact):
    """逾期未公开: a 待公开 entry past its period (第二十六条)."""

    title: str
    due_on: date
    overdue_since: date


class CatalogueWithdrawn(_EntryFact):
    """撤回: out of the catalogue and the public search."""

    reason: str
    withdrawn_on: date
    withdrawn_by: str


class CatalogueRepealed(_EntryFact):
    """废止: a 规章 / 行政规范性文件 no longer in force; stays listed, marked 已废止."""

    reason: str
    repealed_on: date
    repealed_by: str


class CatalogueCorrected(_EntryFact):
    """更正: the content changed; ``changed_fields`` names what, the entry keeps each version."""

    reason: str
    changed_fields: list[str]
    content_version: int
    corrected_by: str
    corrected_at: datetime


class CatalogueRefused(Event):
    """A dispatched 公文 said 主动公开 but cannot be disclosed (a 密级 other than 非密, or no
    content): it never enters the catalogue. Carries no title and no body."""

    document_id: str
    classification_level: str
    disclosure: DisclosureAttribute
    reason: str
    refused_on: date


# --- the table ----------------------------------------------------------------------------

REGISTER_CATALOGUE_ENTRY = CONTRACT.command(
    "register_catalogue_entry", RegisterCatalogueEntry, CatalogueStepReply)
PUBLISH_CATALOGUE_ENTRY = CONTRACT.command(
    "publish_catalogue_entry", PublishCatalogueEntry, CatalogueStepReply)
WITHDRAW_CATALOGUE_ENTRY = CONTRACT.command(
    "withdraw_catalogue_entry", WithdrawCatalogueEntry, CatalogueStepReply)
REPEAL_CATALOGUE_ENTRY = CONTRACT.command(
    "repeal_catalogue_entry", RepealCatalogueEntry, CatalogueStepReply)
CORRECT_CATALOGUE_ENTRY = CONTRACT.command(
    "correct_catalogue_entry", CorrectCatalogueEntry, CatalogueStepReply)

SEARCH_CATALOGUE = CONTRACT.query("search_catalogue", SearchCatalogue, CatalogueSearchResults)
GET_CATALOGUE_ENTRY = CONTRACT.query("get_catalogue_entry", GetCatalogueEntry, CatalogueEntryView)
LIST_CATALOGUE = CONTRACT.query("list_catalogue", ListCatalogue, CatalogueList)

CATALOGUE_PUBLISHED = CONTRACT.event("catalogue", "published", CataloguePublished)
CATALOGUE_REMINDED = CONTRACT.event("catalogue", "reminded", CatalogueReminded)
CATALOGUE_OVERDUE = CONTRACT.event("catalogue", "overdue", CatalogueOverdue)
CATALOGUE_WITHDRAWN = CONTRACT.event("catalogue", "withdrawn", CatalogueWithdrawn)
CATALOGUE_REPEALED = CONTRACT.event("catalogue", "repealed", CatalogueRepealed)
CATALOGUE_CORRECTED = CONTRACT.event("catalogue", "corrected", CatalogueCorrected)
CATALOGUE_REFUSED = CONTRACT.event("catalogue", "refused", CatalogueRefused)
CATALOGUE_DEADLINE_CHANGED = CONTRACT.event("catalogue", "deadline_changed",
                                            CatalogueDeadlineChanged)

__all__ = [
    "CATALOGUE_CORRECTED",
    "CATALOGUE_OVERDUE",
    "CATALOGUE_PUBLISHED",
    "CATALOGUE_REFUSED",
    "CATALOGUE_REMINDED",
    "CATALOGUE_REPEALED",
    "CATALOGUE_WITHDRAWN",
    "CORRECT_CATALOGUE_ENTRY",
    "GET_CATALOGUE_ENTRY",
    "LIST_CATALOGUE",
    "PUBLISH_CATALOGUE_ENTRY",
    "REGISTER_CATALOGUE_ENTRY",
    "REPEAL_CATALOGUE_ENTRY",
    "SEARCH_CATALOGUE",
    "WITHDRAW_CATALOGUE_ENTRY",
    "AttachmentRef",
    "AuditRecord",
    "CatalogueEntryView",
    "CatalogueHit",
    "CatalogueList",
    "CatalogueSearchResults",
    "CatalogueStatus",
    "CatalogueStepReply",
    "CatalogueSummary",
    "CorrectCatalogueEntry",
    "EntrySource",
    "EntryVersion",
    "FieldChange",
    "GetCatalogueEntry",
    "ListCatalogue",
    "PublishCatalogueEntry",
    "RegisterCatalogueEntry",
    "RepealCatalogueEntry",
    "SearchCatalogue",
    "WithdrawCatalogueEntry",
]
