"""Terms of 政府信息公开 shared by the disclosure service's messages.

[政府信息公开条例 2019; 国办公开办函〔2021〕30号 政府信息公开工作年度报告格式]. Values are the
office's own words (they are also the row labels of the annual report); member names are the
English identifiers of DOMAIN.md.
"""

from __future__ import annotations

from enum import StrEnum

from govbus_contracts.registry import ServiceContract

SERVICE = "disclosure"
CONTRACT = ServiceContract(
    SERVICE, "政府信息公开: catalogue (公开目录), requests (依申请公开), annual report (年度报告)")


class Role(StrEnum):
    """Staff roles carried in the token's ``roles`` claim."""

    officer = "disclosure_officer"  # 政府信息公开工作人员: catalogue and requests
    approver = "disclosure_approver"  # 负责人: approves an extension (第三十三条), signs replies
    #: the complaints office's staff: read a 第三十九条 referral with the applicant's identity
    complaints_officer = "complaints_officer"
    admin = "admin"


#: Catalogue categories the annual report counts on their own (第二部分, 第二十条第(一)项):
#: issued, repealed, and in force at the year's end. Other categories are the office's own
#: (configuration); these two names are fixed.
REGULATION = "规章"
NORMATIVE_DOCUMENT = "行政规范性文件"


class ApplicantType(StrEnum):
    """申请人类型, as the annual report's columns (第三部分)."""

    natural_person = "自然人"
    business = "商业企业"
    research = "科研机构"
    public_interest = "社会公益组织"
    legal_service = "法律服务机构"
    other = "其他"


class ReplyType(StrEnum):
    """答复类型 (第三十六条)."""

    already_public = "已主动公开"  # 告知获取的方式和途径
    provided = "予以提供"  # 向申请人提供该政府信息, or the part that can be separated (第三十七条)
    not_provided = "不予公开"  # 告知申请人并说明理由
    not_exist = "政府信息不存在"  # 经检索没有所申请公开信息的
    not_held = "非本机关掌握"  # 能够确定负责公开的机关的, 告知其名称、联系方式
    repeat = "重复申请"  # 已就申请人提出的政府信息公开申请作出答复、申请人重复申请
    special_procedure = "按其他法律法规办理"  # 法律法规对信息的获取有特别规定的
    not_processed = "不予处理"  # 第三十九条 (信访、投诉、举报), 第三十五条 (大量反复申请)


class Outcome(StrEnum):
    """办理结果, the annual report's rows (第三部分 三、本年度办理结果)."""

    released = "予以公开"
    partly_released = "部分公开"
    withheld = "不予公开"
    unable = "无法提供"
    not_processed = "不予处理"
    other = "其他处理"


class WithholdReason(StrEnum):
    """不予公开 reasons (第十四条, 第十五条, 第十六条), as the report's rows."""

    state_secret = "属于国家秘密"
    prohibited_by_law = "其他法律行政法规禁止公开"
    three_safeties = "危及“三安全一稳定”"
    third_party = "保护第三方合法权益"
    internal_affairs = "属于三类内部事务信息"
    process_information = "属于四类过程性信息"
    enforcement_file = "属于行政执法案卷"
    administrative_inquiry = "属于行政查询事项"


class UnableReason(StrEnum):
    """无法提供 reasons, as the report's rows."""

    not_held = "本机关不掌握相关政府信息"
    needs_creation = "没有现成信息需要另行制作"
    unclear_after_correction = "补正后申请内容仍不明确"


class NotProcessedReason(StrEnum):
    """不予处理 reasons, as the report's rows."""

    petition = "信访举报投诉类申请"
    repeat = "重复申请"
    publication = "要求提供公开出版物"
    excessive = "无正当理由大量反复申请"
    confirmation = "要求行政机关确认或重新出具已获取信息"


class OtherReason(StrEnum):
    """其他处理 reasons, as the report's rows."""

    no_correction = "申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"
    fee_unpaid = "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"
    other = "其他"


#: The reasons each outcome is broken down by in the report (None: no breakdown).
OUTCOME_REASONS: dict[Outcome, type[StrEnum] | None] = {
    Outcome.released: None,
    Outcome.partly_released: None,
    Outcome.withheld: WithholdReason,
    Outcome.unable: UnableReason,
    Outcome.not_processed: NotProcessedReason,
    Outcome.other: OtherReason,
}


class MatterKind(StrEnum):
    """What a request that is not one really is (第三十九条): handed to the complaints side."""

    complaint = "投诉"
    report = "举报"
    petition = "信访"


class ReviewKind(StrEnum):
    """行政复议 and 行政诉讼 about disclosure (第四部分 of the report)."""

    administrative_review = "行政复议"
    litigation_direct = "行政诉讼(未经复议直接起诉)"
    litigation_after_review = "行政诉讼(复议后起诉)"


class ReviewResult(StrEnum):
    upheld = "结果维持"
    corrected = "结果纠正"
    other = "其他结果"
    pending = "尚未审结"


__all__ = [
    "CONTRACT",
    "NORMATIVE_DOCUMENT",
    "REGULATION",
    "OUTCOME_REASONS",
    "SERVICE",
    "ApplicantType",
    "MatterKind",
    "NotProcessedReason",
    "OtherReason",
    "Outcome",
    "ReplyType",
    "ReviewKind",
    "ReviewResult",
    "Role",
    "UnableReason",
    "WithholdReason",
]
