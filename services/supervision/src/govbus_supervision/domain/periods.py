"""The supervision office's periods, as versioned data (govbus_kit.periods).

建议 and 提案 count calendar months from 交办 (民法典 第二百零二条), and a last day that is not
a working day moves to the next working day (第二百零三条: ``ends_on_working_day``); the
other kinds count working days. The 催办 levels' intervals are periods too (escalation.py).
An operator replaces any of them with ``<GOVBUS_PERIODS_DIR>/supervision.json``: a version
applies to the items whose period starts on or after its ``valid_from``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from govbus_contracts.services.supervision.common import SourceKind
from govbus_kit.domain import WorkingDays
from govbus_kit.periods import PeriodTable, PeriodVersion

#: The first version of every period: the office's 督查督办 rules as they stand (a table
#: begins with the rule applied all along; later versions are added from their date).
OFFICE_RULES = date(2020, 1, 1)
_NPC = "全国人民代表大会代表建议、批评和意见处理办法"
_CPPCC = "政协全国委员会提案工作条例"
_OFFICE = "本机关督查督办工作办法 (默认值, 可按本地规定调整)"


def _months(amount: int, basis: str, remind_before: int = 0) -> list[PeriodVersion]:
    return [PeriodVersion(valid_from=OFFICE_RULES, amount=amount, unit="months",
                          ends_on_working_day=True, remind_before=remind_before,
                          remind_in="working_days", basis=basis)]


def _working(amount: int, basis: str = _OFFICE, remind_before: int = 0) -> list[PeriodVersion]:
    return [PeriodVersion(valid_from=OFFICE_RULES, amount=amount, remind_before=remind_before,
                          basis=basis)]


PERIODS: dict[str, list[PeriodVersion]] = {
    # 建议、提案: 自交办之日起三个月内答复; 情况复杂的, 经批准可延期一次, 不超过三个月.
    "motion_answer": _months(3, f"{_NPC}; {_CPPCC}: 自交办之日起三个月内答复", remind_before=3),
    "motion_extension": _months(3, f"{_NPC}: 延期答复不超过三个月, 以一次为限"),
    # 协办单位自收到交办之日起一个月内将协办意见送主办单位.
    "co_opinion": _months(1, f"{_NPC}; {_CPPCC}: 协办意见一个月内告知主办单位"),
    # 不属于本单位职责的, 自交办之日起十日内 (自然日) 退回交办机构, 说明理由.
    "misroute_return": [PeriodVersion(valid_from=OFFICE_RULES, amount=10,
                                      unit="calendar_days", ends_on_working_day=True,
                                      basis=f"{_NPC}: 交办之日起十日内退回")],
    # 代表 (委员) 对答复不满意的, 承办单位一个月内再次研究办理并答复.
    "rehandling": _months(1, f"{_NPC}: 对答复不满意的, 一个月内重新办理并答复"),
    # The other kinds: working days from 交办, the office's defaults.
    "handling_leader_instruction": _working(15, remind_before=3),
    "handling_meeting_decision": _working(30, remind_before=3),
    "handling_work_report": _working(60, remind_before=5),
    "handling_overdue_case": _working(10, remind_before=2),
    "handling_manual": _working(15, remind_before=3),
    # 审结退回: the re-handling period when the office gives no date.
    "send_back": _working(10, remind_before=2),
    # One extension of the other kinds, at most this long.
    "extension": _working(15),
    # An overdue complaint or disclosure request becomes an item once overdue this long.
    "overdue_complaint_threshold": _working(5),
    "overdue_disclosure_threshold": _working(5),
    # 进展报告: the first report day at least this long after 交办; each reminded before.
    "progress_first_report": _working(5),
    "progress_reminder": _working(0, remind_before=3),
    # 催办 levels (escalation.py): 提醒 before the deadline; 督办通知书 after the 催办通知;
    # 通报 after the 督办通知书.
    "escalation_reminder": _working(0, remind_before=3),
    "escalation_notice": _working(5),
    "escalation_bulletin": _working(10),
}

#: The handling period of each kind (建议、提案 in months).
HANDLING: dict[SourceKind, str] = {
    SourceKind.leader_instruction: "handling_leader_instruction",
    SourceKind.meeting_decision: "handling_meeting_decision",
    SourceKind.deputy_suggestion: "motion_answer",
    SourceKind.cppcc_proposal: "motion_answer",
    SourceKind.work_report: "handling_work_report",
    SourceKind.complaint_overdue: "handling_overdue_case",
    SourceKind.disclosure_overdue: "handling_overdue_case",
    SourceKind.manual: "handling_manual",
}


@dataclass(frozen=True)
class Periods:
    """What a rule counts with: the period table in force and the working-day calendar."""

    table: PeriodTable
    calendar: WorkingDays

    def version(self, name: str, on: date) -> PeriodVersion:
        return self.table.in_force(name, on)

    def due(self, name: str, started_on: date) -> date:
        """The last day of period ``name`` begun on ``started_on`` (the version in force)."""
        return self.version(name, started_on).due_on(started_on, self.calendar)

    def describe(self, name: str, on: date) -> str:
        """期限依据 as the record shows it, e.g. 3个月 or 15个工作日."""
        v = self.version(name, on)
        unit = {"months": "个月", "calendar_days": "日", "working_days": "个工作日"}[v.unit]
        return f"{v.amount}{unit} ({v.basis})" if v.basis else f"{v.amount}{unit}"


def shipped(calendar: WorkingDays) -> Periods:
    """The shipped table (tests, and a host without an operator's file)."""
    return Periods(PeriodTable(PERIODS), calendar)
