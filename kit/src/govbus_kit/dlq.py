"""Dead letters: list them, and replay one to the subject it came from."""

from __future__ import annotations

from dataclasses import dataclass

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from govbus_contracts.envelope import H_ID, H_MSG_ID
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.subjects import DLQ_PREFIX, DLQ_STREAM, SUBJECT_RE, stream_name
from govbus_kit.bus import headers_text
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
        out.append(_dead_letter(seq, headers_text(msg.headers), msg.data or b""))
        seq += 1
    return out


def _count(text: str | None) -> int:
    try:
        return int(text or 0)
    except ValueError:  # a dead letter's headers are its writer's word, not checked
        return 0


def _dead_letter(seq: int, headers: dict[str, str], body: bytes) -> DeadLetter:
    return DeadLetter(
        id=seq,
        subject=headers.get(H_DLQ_SUBJECT, ""),
        consumer=headers.get(H_DLQ_CONSUMER, ""),
        event_id=headers.get(H_ID, ""),
        error=headers.get(H_DLQ_ERROR, ""),
        deliveries=_count(headers.get(H_DLQ_DELIVERIES)),
        at=headers.get(H_DLQ_AT, ""),
        body=body,
        headers=dict(headers),
    )


def _refuse(dead_letter_id: int, why: str) -> GovbusError:
    return GovbusError(ErrorCode.forbidden,
                       f"dead letter {dead_letter_id} is not replayed: {why}", reason=why)


def _matches(filter_subject: str, subject: str) -> bool:
    """Whether a NATS subject filter (``*`` one token, ``>`` the rest) covers ``subject``."""
    want, have = filter_subject.split("."), subject.split(".")
    for i, token in enumerate(want):
        if token == ">":
            return len(have) > i
        if i >= len(have) or (token != "*" and token != have[i]):
            return False
    return len(want) == len(have)


async def replay(js: JetStreamContext, dead_letter_id: int) -> DeadLetter:
    """Publish the message again on its original subject, then remove the dead letter.

    A dead letter is written by the service that gave up on the message, and a service
    can be compromised: what it wrote is not trusted. The replay therefore

    - takes the writer from the dead letter's subject ``gov.dlq.<service>.<consumer>.
      <original subject>`` (deploy/nats lets each service publish ``gov.dlq.<own>.>``
      only) and refuses headers that say otherwise;
    - replays only to a subject that the writer's own durable consumer (named
      ``<service>-…``) reads on the stream of that subject;
    - republishes the original message as its stream still holds it (by the sequence
      the dead letter names), never the dead letter's body or headers.

    The event keeps its ``ce-id``, so consumers that handled it before ignore it; it gets a
    fresh ``Nats-Msg-Id``, or the stream's de-duplication would drop the replay.
    """
    try:
        msg = await js.get_msg(DLQ_STREAM, dead_letter_id)
    except NotFoundError as exc:
        raise GovbusError(ErrorCode.not_found, f"no dead letter {dead_letter_id}") from exc
    letter = _dead_letter(dead_letter_id, headers_text(msg.headers), msg.data or b"")
    if not letter.subject:
        raise GovbusError(ErrorCode.validation_failed, "dead letter has no original subject")
    tokens = (msg.subject or "").split(".")
    prefix = DLQ_PREFIX.split(".")
    if tokens[:len(prefix)] != prefix or len(tokens) < len(prefix) + 3:
        raise _refuse(dead_letter_id, f"not a dead-letter subject: {msg.subject}")
    writer, consumer = tokens[len(prefix)], tokens[len(prefix) + 1]
    original = ".".join(tokens[len(prefix) + 2:])
    if letter.subject != original or letter.consumer != consumer:
        raise _refuse(dead_letter_id, f"its headers name {letter.consumer} on {letter.subject},"
                                      f" but {writer} wrote it for {consumer} on {original}")
    if not consumer.startswith(writer + "-"):
        raise _refuse(dead_letter_id, f"consumer {consumer} is not one of {writer}'s")
    parsed = SUBJECT_RE.match(original)
    if parsed is None or parsed["kind"] is not None:
        raise _refuse(dead_letter_id, f"{original} is not an event subject")
    stream = stream_name(parsed["service"])
    if letter.headers.get(H_DLQ_STREAM) != stream:
        raise _refuse(dead_letter_id, f"{original} is on stream {stream}, not "
                                      f"{letter.headers.get(H_DLQ_STREAM)}")
    try:
        info = await js.consumer_info(stream, consumer)
    except NotFoundError as exc:
        raise _refuse(dead_letter_id, f"{stream} has no consumer {consumer}") from exc
    filters = [f for f in [info.config.filter_subject, *(info.config.filter_subjects or [])]
               if f]
    if not any(_matches(f, original) for f in filters):
        raise _refuse(dead_letter_id, f"{writer}'s consumer {consumer} does not read {original}")
    try:
        seq = int(letter.headers.get(H_DLQ_SEQ, ""))
        stored = await js.get_msg(stream, seq)
    except (ValueError, NotFoundError) as exc:
        raise _refuse(dead_letter_id, f"the original message is no longer in {stream}") from exc
    if stored.subject != original:
        raise _refuse(dead_letter_id, f"message {seq} of {stream} is not on {original}")
    # Server-interpreted headers (Nats-Msg-Id of the first publication, ...) stay behind:
    # they described the earlier publication, not this one.
    headers = {k: v for k, v in headers_text(stored.headers).items()
               if not k.lower().startswith("nats-")}
    headers[H_MSG_ID] = f"{headers.get(H_ID) or 'msg'}:replay:{dead_letter_id}"
    headers[H_REPLAY_OF] = str(dead_letter_id)
    await js.publish(original, stored.data or b"", headers=headers, stream=stream)
    await js.delete_msg(DLQ_STREAM, dead_letter_id)
    return letter
