"""Dead letters: list them, and replay one to the subject it came from."""

from __future__ import annotations

from dataclasses import dataclass

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from govbus_contracts.envelope import H_ID, H_MSG_ID
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.subjects import DLQ_STREAM
from govbus_kit.runtime import (
    H_DLQ_AT,
    H_DLQ_CONSUMER,
    H_DLQ_DELIVERIES,
    H_DLQ_ERROR,
    H_DLQ_SEQ,
    H_DLQ_STREAM,
    H_DLQ_SUBJECT,
)

H_REPLAY_OF = "govbus-replay-of"
_DLQ_HEADERS = {H_DLQ_AT, H_DLQ_CONSUMER, H_DLQ_DELIVERIES, H_DLQ_ERROR, H_DLQ_SEQ,
                H_DLQ_STREAM, H_DLQ_SUBJECT, H_MSG_ID}


@dataclass(frozen=True)
class DeadLetter:
    id: int  # sequence in GOV_DLQ
    subject: str  # where it came from
    consumer: str
    event_id: str
    error: str
    deliveries: int
    at: str
    body: bytes
    headers: dict[str, str]


async def list_dead_letters(js: JetStreamContext, limit: int = 100) -> list[DeadLetter]:
    info = await js.stream_info(DLQ_STREAM)
    out: list[DeadLetter] = []
    if not info.state.messages:
        return out
    seq = max(info.state.first_seq, 1)
    while seq <= info.state.last_seq and len(out) < limit:
        try:
            msg = await js.get_msg(DLQ_STREAM, seq)
        except NotFoundError:  # replayed and deleted
            seq += 1
            continue
        out.append(_dead_letter(seq, msg.headers or {}, msg.data or b""))
        seq += 1
    return out


def _dead_letter(seq: int, headers: dict[str, str], body: bytes) -> DeadLetter:
    return DeadLetter(
        id=seq,
        subject=headers.get(H_DLQ_SUBJECT, ""),
        consumer=headers.get(H_DLQ_CONSUMER, ""),
        event_id=headers.get(H_ID, ""),
        error=headers.get(H_DLQ_ERROR, ""),
        deliveries=int(headers.get(H_DLQ_DELIVERIES, "0") or 0),
        at=headers.get(H_DLQ_AT, ""),
        body=body,
        headers=dict(headers),
    )


async def replay(js: JetStreamContext, dead_letter_id: int) -> DeadLetter:
    """Publish the message again on its original subject, then remove the dead letter.

    The event keeps its ``ce-id``, so consumers that handled it before ignore it; it gets a
    fresh ``Nats-Msg-Id``, or the stream's de-duplication would drop the replay.
    """
    try:
        msg = await js.get_msg(DLQ_STREAM, dead_letter_id)
    except NotFoundError as exc:
        raise GovbusError(ErrorCode.not_found, f"no dead letter {dead_letter_id}") from exc
    letter = _dead_letter(dead_letter_id, msg.headers or {}, msg.data or b"")
    if not letter.subject:
        raise GovbusError(ErrorCode.validation_failed, "dead letter has no original subject")
    # Server-interpreted headers (Nats-Expected-Stream of the dead-letter publish, ...) stay
    # behind: they described the earlier publications, not this one.
    headers = {k: v for k, v in letter.headers.items()
               if k not in _DLQ_HEADERS and not k.lower().startswith("nats-")}
    headers[H_MSG_ID] = f"{letter.event_id or 'msg'}:replay:{dead_letter_id}"
    headers[H_REPLAY_OF] = str(dead_letter_id)
    await js.publish(letter.subject, letter.body, headers=headers)
    await js.delete_msg(DLQ_STREAM, dead_letter_id)
    return letter
