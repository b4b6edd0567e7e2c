"""Realistic stored items for the ledger's projection tests and measurements: a 人大代表建议
assigned to a lead with two co-departments, four quarterly progress reports (one late, one
missed), 提醒 → 催办通知 → 督办通知书 (with its 文号), a 300-character answer (B), rated
基本满意 and completed; as the repository stores it (JSON values, ``_id``, ``version``)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from govbus_contracts.services.supervision.common import (
    EscalationLevel,
    ItemStatus,
    ResultCode,
    Satisfaction,
    SourceKind,
)
from govbus_contracts.services.supervision.items import (
    AnswerRecord,
    Appraisal,
    AssignmentRecord,
    EscalationRecord,
    HistoryEntry,
    MotionSource,
    ProgressReport,
    SatisfactionRecord,
    Signer,
    SignerContact,
    Source,
    SupervisionNotice,
)
from govbus_supervision.domain.record import SupervisionItem

DEPARTMENTS = ("市住建局", "市财政局", "市教育局", "市交通运输局", "市生态环境局", "市卫健委",
               "市民政局", "市自然资源局", "市市场监管局", "市城管局")
ANSWER = ("关于加快老旧小区加装电梯的建议收悉。我局高度重视, 会同市财政局、各区政府研究办理: "
          "一是完善政策, 出台加装电梯财政补助办法, 每部补助20万元; 二是简化审批, 实行联合审查"
          "一站式办理; 三是加强协调, 建立业主协商调解机制。截至目前已加装电梯320部, 其余纳入"
          "明年计划分批实施。感谢您对住房城乡建设工作的关心和支持。") * 2


def stored_item(n: int, assigned_on: date = date(2026, 3, 2), *,
                lead: str | None = None, completed: bool = True,
                kind: SourceKind = SourceKind.deputy_suggestion) -> dict[str, Any]:
    """The ``n``-th item as stored: assigned on ``assigned_on`` to ``lead`` (by default the
    ``n``-th department), due three months later."""
    lead = lead or DEPARTMENTS[n % len(DEPARTMENTS)]
    co = [d for d in DEPARTMENTS[(n + 1) % len(DEPARTMENTS):][:2] if d != lead]
    due = assigned_on + timedelta(days=91)
    signers = [Signer(name=f"代表{n}-{i}", group="城区代表团", leading=i == 0,
                      contact=SignerContact(phone=f"1380000{i:04d}", address="城区人民路1号"))
               for i in range(3)]
    history = [HistoryEntry(at=f"{assigned_on}T09:00:00+08:00", action=a, by="du-zhou",
                            by_name="周督查", role="supervisor", department="督查室",
                            remarks="按期办理")
               for a in ("立项", "登记", "交办", "进展", "进展", "进展", "催办", "催办",
                         "督办通知书", "协办意见", "反馈", "评价", "审结")]
    item = SupervisionItem(
        id=f"item-{n:06d}", version=14, title=f"关于加快推进老旧小区加装电梯的建议（第{n}号）",
        content="建议加大财政补助力度, 简化审批流程, 建立协商机制。" * 10,
        source=Source(kind=kind, motion=MotionSource(
            session="市十七届人大五次会议", motion_number=str(n), signers=signers)),
        opened_on=assigned_on - timedelta(days=3), number=f"督〔{assigned_on.year}〕{n}号",
        year=assigned_on.year, serial=n, lead_department=lead, co_departments=co,
        assignments=[AssignmentRecord.model_validate({
            "lead_department": lead, "co_departments": co, "assigned_on": assigned_on,
            "assigned_by": "du-zhou", "due_on": due, "period": "3个月",
            "misroute_until": assigned_on + timedelta(days=10), "progress_schedule": "每季度",
            "report_day": 25})],
        due_on=due, due_set_on=assigned_on,
        status=ItemStatus.completed if completed else ItemStatus.handling,
        missed_reports=[assigned_on + timedelta(days=60)],
        progress_reports=[ProgressReport(due_on=assigned_on + timedelta(days=30 * k),
                                         submitted_on=assigned_on + timedelta(days=30 * k + 2 * (k == 2)),
                                         submitted_by="h-lead", text="已完成加装电梯100部。" * 5,
                                         percent=25 * k, late=k == 2) for k in (1, 2, 3)],
        escalations=[EscalationRecord(level=level, issued_on=due + timedelta(days=d), due_on=due,
                                      by="system:supervision")
                     for level, d in ((EscalationLevel.reminder, -3),
                                      (EscalationLevel.urging, 1),
                                      (EscalationLevel.notice, 5))],
        notices=[SupervisionNotice(level_issued_on=due + timedelta(days=5), due_on=due,
                                   document_id="doc-1", doc_number=f"督查室〔2026〕{n}号",
                                   dispatched_on=due + timedelta(days=6))],
        answers=[AnswerRecord.model_validate({
            "round": 1, "department": lead, "text": ANSWER, "result_code": ResultCode.being_solved,
            "replies_to": [s.name for s in signers], "submitted_on": due + timedelta(days=7),
            "submitted_by": "h-lead", "due_on": due})] if completed else [],
        satisfaction=[SatisfactionRecord(round=1, signer=s.name,
                                         satisfaction=Satisfaction.basically_satisfied,
                                         recorded_on=due + timedelta(days=20), recorded_by="du-zhou")
                      for s in signers] if completed else [],
        appraisal=Appraisal(completed_on=due + timedelta(days=8), due_on=due, on_time=False,
                            working_days_late=5, times_returned=0,
                            satisfaction=Satisfaction.basically_satisfied) if completed else None,
        history=history)
    doc = item.model_dump(mode="json")
    doc["_id"] = doc.pop("id")
    return doc
