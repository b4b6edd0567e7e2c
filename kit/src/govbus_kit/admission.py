"""Admission of commands and queries: the caller's deadline, and a bounded queue per service.

A request is executed only while its caller still waits for the answer. Without this, a
burst (or the backlog after a broker restart) waits in an unbounded queue and is executed
minutes after its caller answered 504: the work compounds instead of draining. So each
service in a process executes at most ``handler_concurrency`` requests at once, lets at most
``handler_queue_limit`` wait, answers any further one ``overloaded`` at once, and answers
``expired`` (doing nothing) for one whose deadline (header ``govbus-deadline``) has passed
before it could start.

The deadline is compared with the real time of this machine, never with a service's clock
(which tests and replays move): caller and service are assumed NTP-synchronised.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from govbus_contracts.errors import ErrorCode, GovbusError


def format_deadline(at: datetime) -> str:
    """``2026-12-02T08:30:05.250Z``: UTC with milliseconds, the header's form."""
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def deadline_after(seconds: float) -> str:
    return format_deadline(datetime.now(UTC) + timedelta(seconds=seconds))


def parse_deadline(text: str | None) -> datetime | None:
    """The instant a header names; no header is no deadline (callers older than it).

    Raises ``validation_failed`` for anything but an ISO-8601 instant with a time zone: a
    deadline without one could be read in the wrong zone by hours.
    """
    if text is None or text == "":
        return None
    try:
        at = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise GovbusError(ErrorCode.validation_failed, "the request is not valid", problems=[{
            "field": "header govbus-deadline",
            "problem": "must be an ISO-8601 UTC instant, e.g. 2026-12-02T08:30:05.250Z",
            "type": "deadline_format"}])
    return at


def late_ms(deadline: datetime | None) -> float | None:
    """How many milliseconds past ``deadline`` it is now; None while it has not passed."""
    if deadline is None:
        return None
    late = (datetime.now(UTC) - deadline).total_seconds() * 1000
    return late if late >= 0 else None


class Expired(GovbusError):
    """The caller's deadline passed before the request could start; nothing was done."""

    def __init__(self, late: float) -> None:
        super().__init__(ErrorCode.expired,
                         "the caller's deadline had passed before the request could start; "
                         "nothing was done", late_ms=round(late))
        self.late = late


@dataclass
class Figures:
    in_flight: int
    queued: int
    shed: int
    expired: int
    saturated: bool


class Admission:
    """The slots of one service: at most ``limit`` executing, at most ``queue_limit`` waiting
    (first come, first served); beyond that, ``overloaded`` at once."""

    def __init__(self, limit: int, queue_limit: int, retry_after: int) -> None:
        self.limit = limit
        self.queue_limit = queue_limit
        self.retry_after = retry_after
        self.in_flight = 0
        self.shed = 0
        self.expired = 0
        self._waiting: deque[asyncio.Future[None]] = deque()

    @property
    def queued(self) -> int:
        return len(self._waiting)

    def figures(self) -> Figures:
        return Figures(self.in_flight, self.queued, self.shed, self.expired,
                       saturated=self.in_flight >= self.limit
                       and self.queued >= self.queue_limit)

    async def enter(self, deadline: datetime | None) -> None:
        """Wait for a slot; raises ``overloaded`` or ``Expired`` (then no slot is held).

        On success the caller holds a slot and must ``leave()`` when done.
        """
        late = late_ms(deadline)
        if late is not None:
            raise self._expired(late)
        if self.in_flight < self.limit and not self._waiting:
            self.in_flight += 1
            return
        if len(self._waiting) >= self.queue_limit:
            self.shed += 1
            raise GovbusError(
                ErrorCode.overloaded, "the service is saturated; nothing was done, try again "
                "shortly", retry_after=self.retry_after)
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(granted)
        timeout = None
        if deadline is not None:
            timeout = max(0.0, (deadline - datetime.now(UTC)).total_seconds())
        try:
            await asyncio.wait_for(asyncio.shield(granted), timeout)
        except BaseException as exc:
            # Timed out (the deadline passed while waiting) or cancelled: give the slot back
            # if it was handed over meanwhile, else leave the queue.
            if granted.done() and not granted.cancelled():
                self.leave()
            else:
                granted.cancel()
                self._remove(granted)
            if isinstance(exc, TimeoutError):
                raise self._expired(late_ms(deadline) or 0.0) from None
            raise
        # The slot was handed over by ``leave`` (in_flight already counts it); the deadline
        # may have passed on the way.
        late = late_ms(deadline)
        if late is not None:
            self.leave()
            raise self._expired(late)

    def leave(self) -> None:
        """Hand the slot to the first waiter still waiting, or free it."""
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.in_flight -= 1

    def _remove(self, waiter: asyncio.Future[None]) -> None:
        try:
            self._waiting.remove(waiter)
        except ValueError:
            pass

    def _expired(self, late: float) -> Expired:
        self.expired += 1
        return Expired(late)
