"""What the supervision rule tests share: the office's staff, sources of each kind, and a
walk that builds an item at any step (立项 → 登记 → 交办 → 反馈 → 办结) in a few words, with
no server. Dates are on the real 2026 calendar (中秋 25 Sep, 国庆 1–7 Oct, 调休 Sun 20 Sep and
Sat 10 Oct worked; Sat 28 Feb 2026 worked); 2027 is provisional (statutory holidays only)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest

from govbus_contracts.envelope import Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.supervision.common import (
    ManualKind,
    ReviewDecision,
    SourceKind,
)
from govbus_contracts.services.supervision.items import (
    AssignItem,
    ManualSource,
    MotionSource,
    OpenItem,
    ReviewAnswer,
    Signer,
    SignerContact,
    Source,
    SubmitAnswer,
)
from govbus_kit.calendar import WorkingCalendar
from govbus_kit.clock import OFFICE_TZ
from govbus_supervision.domain import closing, handling, opening
from govbus_supervision.domain.periods import Periods, shipped
from govbus_supervision.domain.record import SupervisionItem
from govbus_testing.office import handler

CALENDAR = WorkingCalendar()
PERIODS: Periods = shipped(CALENDAR)
SUPERVISOR = Principal(subject="du-zhou", name="周督查", roles=frozenset({"supervisor"}))
LEADER = Principal(subject="wang-fqz", name="王副市长", roles=frozenset({"leader"}))
LEAD = "市住建局"
CO = "市财政局"
OTHER = "市教育局"
LEAD_HANDLER = handler(LEAD, "林主办")
CO_HANDLER = handler(CO, "钱协办")
OTHER_HANDLER = handler(OTHER, "孙无关")


def at(d: date, hour: int = 9) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=OFFICE_TZ)


def manual_source() -> Source:
    return Source(kind=SourceKind.manual, manual=ManualSource(
        manual_kind=ManualKind.media_report,
        origin="某日报2026年6月1日第4版: 老旧小区加装电梯进展缓慢"))


def motion_source(kind: SourceKind = SourceKind.deputy_suggestion) -> Source:
    return Source(kind=kind, motion=MotionSource(
        session="市十七届人大五次会议", motion_number="125", signers=[
            Signer(name="张代表", group="城区代表团", leading=True,
                   contact=SignerContact(phone="13800000001", address="城区人民路1号")),
            Signer(name="李代表", group="城区代表团",
                   contact=SignerContact(phone="13800000002"))]))


class Walk:
    """Builds an item at a step; each step takes the item of the step before (built with
    its defaults when not given)."""

    periods = PERIODS
    calendar = CALENDAR
    supervisor, leader = SUPERVISOR, LEADER
    lead, co, other = LEAD, CO, OTHER
    lead_handler, co_handler, other_handler = LEAD_HANDLER, CO_HANDLER, OTHER_HANDLER
    at = staticmethod(at)
    manual_source = staticmethod(manual_source)
    motion_source = staticmethod(motion_source)

    @staticmethod
    def refused(code: ErrorCode, rule: Callable[[], object], item: SupervisionItem) -> GovbusError:
        """The rule refuses with ``code`` and the item is as it was (a refusal changes
        nothing)."""
        before = item.model_dump()
        with pytest.raises(GovbusError) as raised:
            rule()
        assert raised.value.code is code, raised.value
        assert item.model_dump() == before
        return raised.value

    def opened(self, source: Source | None = None, on: date = date(2026, 6, 1),
               **fields: Any) -> SupervisionItem:
        cmd = OpenItem(title="加快推进老旧小区加装电梯", content="请于期限内报送办理情况。",
                       source=source or manual_source(), **fields)
        return opening.open_item(cmd, "item-1", SUPERVISOR, at(on)).state

    def registered(self, item: SupervisionItem | None = None, serial: int = 12,
                   on: date = date(2026, 6, 1)) -> SupervisionItem:
        item = item or self.opened()
        return opening.register(item, "督", on.year, serial, SUPERVISOR, at(on)).state

    def assigned(self, item: SupervisionItem | None = None, on: date = date(2026, 6, 1),
                 **fields: Any) -> SupervisionItem:
        item = item or self.registered()
        cmd = AssignItem(id=item.id, **{"lead_department": LEAD, "co_departments": [CO],
                                        **fields})
        return handling.assign(item, cmd, SUPERVISOR, at(on), self.periods).state

    def opinion_given(self, item: SupervisionItem | None = None,
                      on: date = date(2026, 6, 10)) -> SupervisionItem:
        item = item or self.assigned()
        return handling.give_opinion(item, "同意主办单位意见, 资金按程序安排。", CO_HANDLER,
                                     at(on)).state

    def answered(self, item: SupervisionItem | None = None, on: date = date(2026, 6, 15),
                 **fields: Any) -> SupervisionItem:
        item = item or self.opinion_given()
        defaults: dict[str, Any] = {"text": "已完成加装电梯32部, 其余纳入明年计划。"}
        if item.is_motion:
            defaults |= {"result_code": "B", "replies_to": item.signers}
        cmd = SubmitAnswer(id=item.id, **{**defaults, **fields})
        lead = LEAD_HANDLER if item.lead_department == LEAD else handler(item.lead_department or "")
        return handling.submit_answer(item, cmd, lead, at(on)).state

    def completed(self, item: SupervisionItem | None = None, on: date = date(2026, 6, 16),
                  **fields: Any) -> SupervisionItem:
        item = item or self.answered()
        cmd = ReviewAnswer(id=item.id, decision=ReviewDecision.accept, **fields)
        return closing.review(item, cmd, SUPERVISOR, at(on), self.periods).state


@pytest.fixture
def walk() -> Walk:
    return Walk()
