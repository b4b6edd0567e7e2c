"""The office's periods for 收文, as versioned data (govbus_kit.periods).

党政机关公文处理工作条例 (in force 1 July 2012) 第二十四条(四): 紧急公文应当按照时限要求
办理; the limits themselves are the office's own rule, and an operator replaces them with
``<GOVBUS_PERIODS_DIR>/documents.json`` (a new version from a date: the 收文 assigned before
keep theirs).
"""

from __future__ import annotations

from datetime import date

from govbus_contracts.services.documents.common import Urgency
from govbus_kit.periods import PeriodVersion

#: The day the 条例 took effect: the first version of each office period.
REGULATION = date(2012, 7, 1)
_BASIS = "党政机关公文处理工作条例 第二十四条(四); 时限为本机关规定"

#: 承办 time limits by urgency, in working days, with the 催办 reminder 2 working days before.
HANDLING = {
    Urgency.very_urgent: "handling_very_urgent",
    Urgency.urgent: "handling_urgent",
    Urgency.normal: "handling_normal",
}

PERIODS: dict[str, list[PeriodVersion]] = {
    "handling_very_urgent": [PeriodVersion(valid_from=REGULATION, amount=3, remind_before=2,
                                           basis=_BASIS)],
    "handling_urgent": [PeriodVersion(valid_from=REGULATION, amount=5, remind_before=2,
                                      basis=_BASIS)],
    "handling_normal": [PeriodVersion(valid_from=REGULATION, amount=15, remind_before=2,
                                      basis=_BASIS)],
}
