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


#: The types that are always upward (上行文). Every 上行文 carries the signer's name (签发人)
#: in its header (GB/T 9704 §7.2.6), whatever its type: see ``Direction``.
UPWARD_TYPES = frozenset({DocType.request_for_instruction, DocType.report})


class Direction(StrEnum):
    """行文方向 (条例 Art. 14-16: 行文关系根据隶属关系和职权范围确定)."""

    upward = "上行"  # 向上级机关行文 (Art. 15)
    parallel = "平行"  # 同级或不相隶属机关之间 (Art. 17-18)
    downward = "下行"  # 向下级机关行文 (Art. 16)


class Classification(StrEnum):
    """密级."""

    none = "非密"
    secret = "秘密"
    confidential = "机密"
    top_secret = "绝密"


class DispatchChannel(StrEnum):
    """分发方式 of 核发: a closed list.

    The 机要 channels are those of 条例 Art. 25(四): 涉密公文应当通过机要交通、邮政机要通信、
    城市机要文件交换站或者收发件机关机要收发人员进行传递, 通过密码电报或者符合国家保密规定的
    计算机信息系统进行传输. The others carry only documents that are not classified.
    """

    confidential_transport = "机要交通"
    confidential_post = "邮政机要通信"
    confidential_exchange = "机要文件交换站"
    confidential_clerk = "机要收发人员"
    cipher_telegram = "密码电报"
    classified_network = "涉密计算机信息系统"
    electronic = "电子公文传输"  # 非涉密电子公文传输系统 (电子政务外网)
    document_exchange = "公文交换站"  # 非涉密纸质公文交换
    post = "普通邮寄"
    courier = "专人送达"
    fax = "传真"


#: The channels a classified (秘密/机密/绝密) document may travel by (条例 Art. 25(四)).
CONFIDENTIAL_CHANNELS = frozenset({
    DispatchChannel.confidential_transport, DispatchChannel.confidential_post,
    DispatchChannel.confidential_exchange, DispatchChannel.confidential_clerk,
    DispatchChannel.cipher_telegram, DispatchChannel.classified_network,
})


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
    # Base64 of at most the gateway's body limit (1 MiB by default) is ~1.4 million characters.
    content_base64: str | None = Field(default=None, max_length=2_000_000,
                                       description="内容 (base64)")
    sha256: str | None = Field(default=None, max_length=64, pattern=r"^[0-9a-f]{64}$")
    size: int | None = Field(default=None, ge=0, le=2**31, description="字节数")


class ClassificationMark(BaseModel):
    """密级和保密期限 (GB/T 9704 §7.2.2).

    保密期限 is stated in 年 (or 个月 below a year) within the statutory limits of its level
    (保守国家秘密法 2010 Art. 15: 绝密 30年, 机密 20年, 秘密 10年); an outgoing draft that
    states none is held for the limit of its level. An incoming document is registered with
    the period its sender marked.
    """

    model_config = ConfigDict(frozen=True)

    level: Classification = Classification.none
    period: str | None = Field(
        default=None, max_length=20,
        description="保密期限, e.g. 10年 or 6个月 (a draft stating none takes the limit)")


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
