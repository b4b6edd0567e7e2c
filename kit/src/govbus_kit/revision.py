"""When the official calendar arrives: recompute what was computed provisionally.

A deadline computed on a provisional year (see :mod:`govbus_kit.calendar`) is marked so in
its record. When the calendar in force changes — an operator file under
``GOVBUS_CALENDAR_DIR``, a newer ``chinesecalendar`` package — its
:meth:`~govbus_kit.calendar.WorkingCalendar.revision` changes. Each service remembers, in a
small document of its own database keyed by ``_id``, the revision it last recomputed under;
when the calendar's revision differs it runs its revision hooks (which recompute the
provisional deadlines and publish a deadline-changed fact for each one that moved), then
records the new revision.

Many replicas may do this at once: the hooks write each aggregate in its own
compare-and-set and give the facts deterministic ids, so the facts are published once.
A hook that fails leaves the revision unrecorded, so the next check tries again.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from govbus_kit.calendar import CalendarError, WorkingCalendar
from govbus_kit.logging import get_logger

if TYPE_CHECKING:
    from govbus_kit.service import ServiceContext

log = get_logger("govbus.calendar")

REVISIONS = "calendar_revisions"
_MARKER = "calendar"


async def revise_if_changed(ctx: ServiceContext) -> bool:
    """Run the service's revision hooks once per calendar revision; True if they ran."""
    hooks = ctx.service.revision_hooks
    revision = ctx.calendar.revision()
    marker = await ctx.db[REVISIONS].find_one({"_id": _MARKER})
    if marker is not None and marker.get("revision") == revision:
        return False
    for hook in hooks:
        await hook(ctx)
    await ctx.db[REVISIONS].replace_one(
        {"_id": _MARKER},
        {"_id": _MARKER, "revision": revision,
         "official_years": sorted(ctx.calendar.official_years()),
         "at": ctx.clock.now().isoformat()},
        upsert=True)
    log.info("calendar_revision_applied", service=ctx.service.name, revision=revision,
             hooks=len(hooks))
    return True


def directory_signature(directory: Path | None) -> tuple[tuple[str, int, int], ...]:
    """What changes when an operator adds, replaces or removes a year file."""
    if directory is None or not directory.is_dir():
        return ()
    entries = []
    for file in sorted(directory.glob("*.json")):
        try:
            st = file.stat()
        except OSError:
            continue
        entries.append((file.name, st.st_mtime_ns, st.st_size))
    return tuple(entries)


def reload_calendar(directory: Path) -> WorkingCalendar | None:
    """The directory's calendar, or None (logged) when a file is invalid: the calendar in
    force stays until the operator fixes it."""
    try:
        return WorkingCalendar.from_directory(os.fspath(directory))
    except CalendarError as exc:
        log.warning("calendar_reload_failed", directory=str(directory), error=str(exc))
        return None


def next_year_warning(calendar: WorkingCalendar, today: date) -> str | None:
    """From 1 November, say so when next year is only provisional: the State Council
    usually publishes the arrangement in November, and deadlines running into the new year
    are computed without its 调休 until the operator supplies it."""
    if (today.month, today.day) < (11, 1):
        return None
    year = today.year + 1
    try:
        provisional = calendar.is_provisional(year)
    except CalendarError:
        return None
    if not provisional:
        return None
    return (f"{year}年工作日历为按法定节假日推算的临时日历 (未含调休): 跨入{year}年的期限标记为"
            f"临时; 国务院放假安排公布后, 请将 {year}.json 放入 GOVBUS_CALENDAR_DIR")
