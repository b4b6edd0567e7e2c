"""Whether the gateway's NATS connection is up, and what a request does when it is not.

While its connection is away (a broker restart, a network cut), nats-py does not refuse a
request: it buffers the publish (up to 2 MB) and the caller waits out its whole timeout, to
hear 504 after 5 s, although the gateway has known since the first millisecond that nothing
will answer. So the gateway refuses at once, with 503 and ``Retry-After``, while its
connection is not connected; and a request already waiting when the connection drops is
answered the same way at once instead of sitting out its timeout: its reply, if the service
sends one, would come on a connection the gateway no longer has.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

from faststream.nats import NatsBroker

from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_kit.logging import get_logger

T = TypeVar("T")
log = get_logger("govbus.gateway")

#: how govbus_kit.bus says that the connection failed (its message then names the exception)
BUS_DOWN = "the bus is unavailable"
#: seconds a client is asked to wait while the bus is away: the broker's restart and the
#: reconnection (one try a second) take a few; asking for more only slows the recovery
BUS_RETRY_AFTER = 1


class BusLink:
    """The connection's state as the gateway's requests see it.

    ``dropped`` is the connection's ``disconnected_cb``: it settles the future every waiting
    request watches (the next request arms a new one); ``restored`` its ``reconnected_cb``.
    """

    def __init__(self) -> None:
        self.broker: NatsBroker | None = None
        self._lost: asyncio.Future[None] | None = None

    def up(self) -> bool:
        connection = self.broker._connection if self.broker is not None else None
        return connection is not None and bool(getattr(connection, "is_connected", False))

    async def dropped(self) -> None:
        # Said once here, not at every request refused while the connection is away.
        log.warning("bus_connection_lost")
        lost, self._lost = self._lost, None
        if lost is not None and not lost.done():
            lost.set_result(None)

    async def restored(self) -> None:
        log.info("bus_connection_restored")

    def _watch(self) -> asyncio.Future[None]:
        if self._lost is None or self._lost.done():
            self._lost = asyncio.get_running_loop().create_future()
        return self._lost

    async def ask(self, request: Awaitable[T], *, message_id: str | None = None) -> T:
        """``request``'s result; ``unavailable`` at once if the connection is down now or
        drops while it waits. ``message_id`` (a command's Idempotency-Key) is named in the
        answer: a command the service took before the drop may have completed."""
        if not self.up():
            _close(request)
            raise down()
        lost = self._watch()
        task = asyncio.ensure_future(request)
        either: set[asyncio.Future[Any]] = {task, lost}
        try:
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            task.cancel()
            raise
        if task.done():
            return task.result()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        if message_id is None:
            raise down()
        raise GovbusError(
            ErrorCode.unavailable,
            f"{BUS_DOWN}: the connection was lost while waiting for the reply; the command "
            f"may have completed: repeat it with the same Idempotency-Key ({message_id}) to "
            f"get its result, it does not act twice",
            idempotency_key=message_id, retry_after=BUS_RETRY_AFTER)


def down() -> GovbusError:
    return GovbusError(ErrorCode.unavailable, f"{BUS_DOWN}; try again shortly",
                       retry_after=BUS_RETRY_AFTER)


def _close(request: Awaitable[Any]) -> None:
    # A coroutine never awaited would be reported as such: it was refused, not forgotten.
    close = getattr(request, "close", None)
    if close is not None:
        close()
