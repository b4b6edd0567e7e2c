"""Overdue cases of other services watched until they become items (逾期投诉, 逾期依申请公开).

A complaint (the complaints service) or a disclosure request that goes overdue does not
become a 督查事项 at once: the office's rule is that it opens once the case has been overdue
the configured working days (``overdue_*_threshold``, domain/periods.py) and is still not
answered. Between the overdue fact and that day the service keeps a small ``CaseWatch``
per case (collection ``case_watches``, ``_id`` derived from the kind and the case id):
written once however often the fact arrives, ended by the fact that the case was answered
(closed, withdrawn), and swept on the day it opens (the kit's due index: no scan).

The facts of the other service arrive on separate consumers, so an answer can be read
before the overdue fact it follows: an answer given after the deadline leaves an ended
watch behind, and the overdue fact read later finds it ended and opens nothing.

Pure: no I/O, the time and the calendar are passed in.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from govbus_contracts.envelope import deterministic_id
from govbus_contracts.services.supervision.common import SERVICE, SourceKind
from govbus_contracts.services.supervision.items import OverdueCaseSource
from govbus_kit.domain import Aggregate
from govbus_supervision.domain.opening import overdue_case_item_id, overdue_case_opens_on
from govbus_supervision.domain.periods import Periods

COLLECTION = "case_watches"


class WatchStatus(StrEnum):
    watching = "逾期观察中"  # overdue, not yet the threshold: waiting for its day
    opened = "已立项"  # the item is open (``item_id``)
    ended = "已办结"  # answered, withdrawn or closed before its day: no item


class CaseWatch(Aggregate):
    """One overdue case of another service, until it opens its item or ends."""

    kind: SourceKind
    case: OverdueCaseSource | None = None  # None: ended before the overdue fact was read
    opens_on: date | None = None
    status: WatchStatus = WatchStatus.watching
    item_id: str
    ended_on: date | None = None
    ended_reason: str | None = None


def watch_id(kind: SourceKind, case_id: str) -> str:
    """The watch of one case: the same for every fact about it."""
    return deterministic_id(SERVICE, "case_watch", kind.name, case_id)


def watch(current: CaseWatch | None, kind: SourceKind, case: OverdueCaseSource,
          periods: Periods) -> CaseWatch | None:
    """The overdue fact: start watching the case until the threshold's day (None: nothing
    to write: the same fact again, or the case already answered or opened).

    A later overdue fact of a case still watched (its deadline moved and passed again)
    counts from its own ``overdue_since``."""
    opens_on = overdue_case_opens_on(case.overdue_since, kind, periods)
    if current is None:
        return CaseWatch(id=watch_id(kind, case.case_id), kind=kind, case=case,
                         opens_on=opens_on, item_id=overdue_case_item_id(kind, case.case_id))
    if current.status is not WatchStatus.watching or current.case == case:
        return None
    return current.model_copy(update={"case": case, "opens_on": opens_on})


def end(current: CaseWatch | None, kind: SourceKind, case_id: str, reason: str,
        on: date, late: bool) -> CaseWatch | None:
    """The case was answered (closed, withdrawn) on ``on``: the watch ends and no item opens
    (None: nothing to write). ``late``: the answer came after the deadline; only then can an
    overdue fact still be on its way, so only then is an ended watch kept for it. An item
    already open stays open: the office closes it on the department's answer."""
    if current is None:
        if not late:
            return None
        return CaseWatch(id=watch_id(kind, case_id), kind=kind, status=WatchStatus.ended,
                         item_id=overdue_case_item_id(kind, case_id), ended_on=on,
                         ended_reason=reason)
    if current.status is not WatchStatus.watching:
        return None
    return current.model_copy(update={"status": WatchStatus.ended, "ended_on": on,
                                      "ended_reason": reason})


def opens_today(current: CaseWatch, today: date) -> bool:
    """The watch has reached its day and the case is still unanswered."""
    return (current.status is WatchStatus.watching and current.opens_on is not None
            and current.opens_on <= today)


def opened(current: CaseWatch) -> CaseWatch | None:
    """The item is open: the watch is done (None: it was already)."""
    if current.status is not WatchStatus.watching:
        return None
    return current.model_copy(update={"status": WatchStatus.opened})
