"""督办通知书: what the supervision office asks the documents service to draft when an item
reaches that 催办 level, and how its dispatched 发文 is recognised.

The notice is a real 公文 (党政机关公文处理工作条例 第八条: 通知 "适用于……要求下级机关办理
和需要有关单位周知或者执行的事项"): drafted in the name of the 督查室 under its 机关代字, then
reviewed, signed, numbered (from that 代字's register), printed and dispatched by the office's
staff in documents. Supervision invents no number: it records the 发文字号 documents announces.
It is not public (政府信息公开条例 第十六条: 内部事务信息 may be withheld).

Pure: no I/O.
"""

from __future__ import annotations

from datetime import date

from govbus_contracts.services.documents.common import (
    Direction,
    DisclosureAttribute,
    DocType,
    Urgency,
)
from govbus_contracts.services.documents.outgoing import DraftRequestedOutgoing, RequestedBy
from govbus_contracts.services.supervision.common import SERVICE, EscalationLevel, ItemStatus
from govbus_contracts.services.supervision.items import SupervisionNotice
from govbus_supervision.domain.escalation import EscalationPolicy
from govbus_supervision.domain.ledger import chinese_date, source_summary
from govbus_supervision.domain.periods import Periods
from govbus_supervision.domain.record import SupervisionItem

#: ``requested_by.kind`` of the drafts supervision asks for: how it finds its own notices
#: among the documents service's dispatched 发文.
NOTICE_KIND = "督办通知书"
#: The asking office as the documents service's 办理记录 shows it.
SERVICE_NAME = "督查督办"
#: 拟稿部门: the supervision office, whose drafters revise a returned draft.
OFFICE_DEPARTMENT = "督查室"
#: The issuing organ when the operator names none (``GOVBUS_SUPERVISION_OFFICE_NAME``).
DEFAULT_ORGAN = "人民政府办公室"
NOT_PUBLIC_REASON = "督查督办内部事务信息 (政府信息公开条例第十六条)"
TITLE_CHARS = 200


#: An item still to be urged: handled (or suspended) against its deadline. Once answered,
#: returned as misrouted, completed or cancelled, a notice not yet drafted is not sent.
URGED_STATUSES = frozenset({ItemStatus.handling, ItemStatus.suspended})


def pending_notice(item: SupervisionItem, due_on: date) -> SupervisionNotice | None:
    """The 督办通知书 of the deadline ``due_on`` still waiting for its draft (None: drafted
    already, the item has none for it, or it is no longer to be urged: the answer came in
    between the level and its draft)."""
    if item.status not in URGED_STATUSES or item.due_on != due_on:
        return None
    return next((n for n in reversed(item.notices)
                 if n.due_on == due_on and n.document_id is None), None)


def reply_by(item: SupervisionItem, notice: SupervisionNotice, periods: Periods) -> date:
    """The day the department must report by: the last working day before the 通报 would
    fall due (the interval in force when the deadline was set)."""
    policy = EscalationPolicy.in_force(periods, item.due_set_on or item.opened_on)
    return periods.calendar.add_working_days(notice.level_issued_on,
                                             max(1, policy.bulletin_after - 1))


def notice_draft(item: SupervisionItem, notice: SupervisionNotice, periods: Periods, *,
                 issuer_code: str, office_name: str,
                 department: str = OFFICE_DEPARTMENT) -> DraftRequestedOutgoing:
    """The draft of the 督办通知书 addressed to the lead department (抄送 the co-departments),
    in the office's words: what was assigned, when it was due, that it was urged, by when to
    report, and that a 通报 follows if nothing comes."""
    assert item.lead_department is not None
    number = item.number or item.title
    assigned = item.assignments[-1].assigned_on if item.assignments else item.opened_on
    urged = next((e.issued_on for e in item.escalations
                  if e.level is EscalationLevel.urging and e.due_on == notice.due_on), None)
    organ = office_name or DEFAULT_ORGAN
    title = f"关于督促办理{number}督查事项的督办通知书"
    if len(title) > TITLE_CHARS:
        title = title[:TITLE_CHARS]
    # The body is the printed 公文's text: full-width punctuation (GB/T 15834, as GB/T 9704
    # lays out a 公文), unlike the system's own messages.
    urging = f"经{chinese_date(urged)}催办，" if urged else ""
    body = (
        f"{item.lead_department}：\n"
        f"{chinese_date(assigned)}交由你单位牵头办理的督查事项“{item.title}”（{number}；"
        f"来源：{source_summary(item.source)}），办理期限为{chinese_date(notice.due_on)}。"
        f"{urging}你单位至今未报送办理结果。\n"
        f"根据督查督办工作有关规定，现予督办。请你单位高度重视，明确责任领导和责任人，"
        f"抓紧办理，于{chinese_date(reply_by(item, notice, periods))}前将办理情况及结果书面报送"
        f"{organ}{department}；确因客观原因不能按期办结的，应书面说明原因，提出下一步"
        f"措施和完成时限。逾期仍未报送的，将予以通报。\n特此通知。")
    return DraftRequestedOutgoing(
        requested_by=RequestedBy(service=SERVICE, service_name=SERVICE_NAME, kind=NOTICE_KIND,
                                 reference=item.id, label=item.number),
        doc_type=DocType.notice, direction=Direction.downward, title=title, body=body,
        main_recipients=[item.lead_department], cc_recipients=list(item.co_departments),
        issuer_code=issuer_code, issuing_organ=organ, drafting_department=department,
        urgency=Urgency.urgent, disclosure=DisclosureAttribute.not_public,
        disclosure_reason=NOT_PUBLIC_REASON)


def is_own_notice(requested_by: RequestedBy | None) -> bool:
    """A dispatched 发文 that is one of supervision's 督办通知书."""
    return (requested_by is not None and requested_by.service == SERVICE
            and requested_by.kind == NOTICE_KIND)
