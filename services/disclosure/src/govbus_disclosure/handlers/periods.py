"""The disclosure service's periods: the shipped table (domain/periods.py), an operator's
file and, for one release, the deprecated settings."""

from __future__ import annotations

from datetime import date

from govbus_disclosure.domain.periods import PERIODS
from govbus_disclosure.settings import DisclosureSettings
from govbus_kit.periods import PeriodVersion, periods
from govbus_kit.service import ServiceContext


def period(ctx: ServiceContext, name: str, on: date) -> PeriodVersion:
    """The version of ``name`` in force on ``on``: the day its case began."""
    deprecated = ctx.own_settings(DisclosureSettings).deprecated_periods()
    return periods(ctx, PERIODS, deprecated).in_force(name, on)
