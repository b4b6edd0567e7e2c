"""The periods of 政府信息公开, as versioned data (govbus_kit.periods).

Each period cites the article that fixes it. The versions start on the day the revised
政府信息公开条例 (国务院令第711号) took effect, 15 May 2019; the first version of a period
also covers what came before it. An operator's ``<GOVBUS_PERIODS_DIR>/disclosure.json`` adds
a version from a date (a local rule, an amended text): a case begun before that date keeps
the version in force when it began.
"""

from __future__ import annotations

from datetime import date

from govbus_kit.periods import PeriodVersion

#: 政府信息公开条例 (2019修订) in force.
REGULATION_2019 = date(2019, 5, 15)
#: 国办函〔2020〕109号 (政府信息公开信息处理费管理办法) in force.
FEES_2021 = date(2021, 1, 1)


def _v(amount: int, basis: str, *, valid_from: date = REGULATION_2019,
       remind_before: int = 3) -> list[PeriodVersion]:
    return [PeriodVersion(valid_from=valid_from, amount=amount, remind_before=remind_before,
                          basis=basis)]


PERIODS: dict[str, list[PeriodVersion]] = {
    # 主动公开: within 20 working days of the information being made or changed.
    "publication": _v(20, "第二十六条"),
    # 依申请公开: reply within 20 working days, one extension of at most 20.
    "reply": _v(20, "第三十三条第二款"),
    "max_extension": _v(20, "第三十三条第二款"),
    # 补正: the notice within 7 working days of receipt; the applicant's 合理的补正期限.
    "correction_notice": _v(7, "第三十条"),
    "correction_answer": _v(15, "第三十条 (合理的补正期限, 本机关规定)"),
    # 征求第三方意见: the third party has 15 working days (not counted in the reply period).
    "consultation": _v(15, "第三十二条"),
    # 缴费期限 after a 收费通知.
    "fee_payment": _v(20, "国办函〔2020〕109号 第八条", valid_from=FEES_2021),
    # 年度报告: by 31 January (政府部门) or 31 March (本级人民政府) of the next year: a month or
    # three counted from 31 December; the reminder 3 working days before. The due date is
    # the report's own rule (report_record.report_due); the table gives its reminder.
    "annual_report_department": [PeriodVersion(valid_from=REGULATION_2019, amount=1,
                                               unit="months", remind_before=3,
                                               remind_in="working_days", basis="第四十九条")],
    "annual_report_government": [PeriodVersion(valid_from=REGULATION_2019, amount=3,
                                               unit="months", remind_before=3,
                                               remind_in="working_days", basis="第四十九条")],
}
