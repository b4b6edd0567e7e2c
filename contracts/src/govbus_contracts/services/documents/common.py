"""Terms of 公文处理 shared by the documents service's messages.

[党政机关公文处理工作条例 2012; GB/T 9704-2012; DA/T 22-2015]. Values are the office's own
words; member names are the English identifiers of DOMAIN.md.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

SERVICE = "documents"


class DocType(StrEnum):
    """文种: the 15 types of the regulation (Art. 8)."""

    resolution = "决议"
    decision = "决定"
    order = "命令"
    communique = "公报"
    announcement = "公告"
    notice_public = "通告"
    opinion = "意见"
    notice = "通知"
    bulletin = "通报"
    report = "报告"
    request_for_instruction = "请示"
    reply_to_request = "批复"
    motion = "议案"
    letter = "函"
    minutes = "纪要"


#: Upward documents carry the signer's name (签发人) in the header (GB/T 9704 §7.2.6).
UPWARD_TYPES = frozenset({DocType.request_for_instruction, DocType.report})


class Classification(StrEnum):
    """密级."""

    none = "非密"
    secret = "秘密"
    confidential = "机密"
    top_secret = "绝密"


class Urgency(StrEnum):
    """紧急程度 (平件 when neither)."""

    normal = "平件"
    urgent = "加急"
    very_urgent = "特急"


class DisclosureAttribute(StrEnum):
    """公开属性 of an outgoing document."""

    proactive = "主动公开"
    on_request = "依申请公开"
    not_public = "不予公开"


class Retention(StrEnum):
    """保管期限 (DA/T 22-2015)."""

    permanent = "永久"
    thirty_years = "定期30年"
    ten_years = "定期10年"


class DocumentKind(StrEnum):
    incoming = "收文"
    outgoing = "发文"


class Role(StrEnum):
    """Staff roles carried in the token's ``roles`` claim."""

    registrar = "registrar"  # 登记员 / 文书
    leader = "leader"  # 领导: 拟办 reviewed by, 批示
    handler = "handler"  # 承办人 of a department
    drafter = "drafter"  # 拟稿人
    reviewer = "reviewer"  # 核稿人
    signer = "signer"  # 签发人 (signing authority)
    archivist = "archivist"  # 档案员
    admin = "admin"


class Attachment(BaseModel):
    """附件: content travels base64-encoded and is kept by its SHA-256."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(min_length=1, max_length=200, description="附件名称")
    media_type: str = Field(default="application/pdf", max_length=100)
    content_base64: str | None = Field(default=None, description="内容 (base64)")
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    size: int | None = Field(default=None, ge=0)


class ClassificationMark(BaseModel):
    """密级和保密期限: a classified document must say for how long (保密期限)."""

    model_config = ConfigDict(frozen=True)

    level: Classification = Classification.none
    period: str | None = Field(default=None, max_length=20, description="保密期限, e.g. 10年")


class DeadlineInfo(BaseModel):
    """A time limit on the working-day calendar."""

    model_config = ConfigDict(frozen=True)

    due_on: date = Field(description="办理期限")
    working_days: int | None = None


from govbus_contracts.registry import ServiceContract  # noqa: E402

CONTRACT = ServiceContract(
    SERVICE,
    "公文处理: incoming (收文) and outgoing (发文) documents, numbering, circulation, archive, "
    "search. Bodies of classified documents never appear in an event.",
)
