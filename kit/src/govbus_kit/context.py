"""The message being handled, as context for everything that runs on its behalf.

Events written while handling a command or an event inherit its correlation id and name it
as their cause, so a piece of work can be followed across services.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import structlog


@dataclass(frozen=True)
class MessageContext:
    message_id: str
    correlation_id: str
    service: str


_current: ContextVar[MessageContext | None] = ContextVar("govbus_message", default=None)


def current_message() -> MessageContext | None:
    return _current.get()


@contextmanager
def handling(message_id: str, correlation_id: str, service: str, **log: str) -> Iterator[None]:
    token = _current.set(MessageContext(message_id, correlation_id, service))
    try:
        with structlog.contextvars.bound_contextvars(
            correlation_id=correlation_id, message_id=message_id, service=service, **log
        ):
            yield
    finally:
        _current.reset(token)
