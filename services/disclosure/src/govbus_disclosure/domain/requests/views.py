"""What the applicant sees by the tracking code (status, deadlines, notices and the reply: nothing
of the staff's record), and the reply clock as staff see it.

Pure: no I/O, the time and the calendar are passed in.
"""

from __future__ import annotations

from govbus_contracts.services.disclosure.requests import (
    ClockPause,
    ClockRestart,
    PublicReply,
    ReplyClock,
    RequestTracking,
)
from govbus_disclosure.domain.requests.record import InformationRequest


def tracking(req: InformationRequest) -> RequestTracking:
    """Status, deadlines, notices and the reply: nothing of the staff's record."""
    pause = req.clock.pauses[-1] if req.clock.is_paused else None
    public_reply = None
    if req.reply is not None:
        r = req.reply
        public_reply = PublicReply(
            reply_type=r.reply_type, text=r.text, reason=r.reason, withheld=r.withheld,
            published_at=r.published_at, holder_name=r.holder_name,
            holder_contact=r.holder_contact, other_law=r.other_law, replied_on=r.replied_on)
    return RequestTracking(
        request_number=req.request_number, status=req.status, received_on=req.received_on,
        due_on=req.due_on, due_on_provisional=req.due_on_provisional,
        paused=pause is not None, pause_kind=pause.kind if pause else None,
        closed_on=req.closed_on, notices=req.notices, reply=public_reply)


def clock_record(req: InformationRequest) -> ReplyClock:
    clock = req.clock
    return ReplyClock(
        started_on=clock.started_on, period=clock.period,
        pauses=[ClockPause(started_on=p.started_on, ended_on=p.ended_on, reason=p.reason,
                           kind=p.kind) for r in clock.restarts for p in r.pauses]
        + [ClockPause(started_on=p.started_on, ended_on=p.ended_on, reason=p.reason,
                      kind=p.kind) for p in clock.pauses],
        restarts=[ClockRestart(on=r.on, reason=r.reason,
                               previous_started_on=r.previous_started_on)
                  for r in clock.restarts],
        extended_by=sum(e.working_days for e in clock.extensions),
        due_on=req.due_on, paused=clock.is_paused)
