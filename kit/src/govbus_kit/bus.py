"""The broker: FastStream's NatsBroker, event publication with acknowledgement, requests."""

from __future__ import annotations

import json
import weakref
from collections.abc import Mapping
from datetime import datetime
from email.header import decode_header
from typing import TYPE_CHECKING, Any

from nats.aio.client import Client as NATS
from nats.js.api import PubAck

from govbus_contracts.envelope import (
    H_CORRELATION,
    H_DEADLINE,
    H_ID,
    H_PRINCIPAL,
    H_STATUS,
    Principal,
    new_id,
)
from govbus_contracts.errors import ErrorCode, ErrorReply, GovbusError
from govbus_contracts.registry import CommandSpec, QuerySpec
from govbus_kit.admission import deadline_after, format_deadline
from govbus_kit.logging import get_logger
from govbus_kit.principal import PrincipalSigner
from govbus_kit.settings import Settings

if TYPE_CHECKING:
    # Imported where used: an operator's command (`govbus health` as an exec probe) needs
    # only nats-py, and FastStream takes a second to import.
    from faststream.nats import NatsBroker

log = get_logger("govbus.bus")

#: the principal signer of a broker made with settings that sign (the gateway's)
_SIGNERS: weakref.WeakKeyDictionary[NatsBroker, PrincipalSigner] = weakref.WeakKeyDictionary()
#: The signer of the services a broker carries, for their own system principals.
_SERVICE_SIGNERS: weakref.WeakKeyDictionary[NatsBroker, PrincipalSigner] = (
    weakref.WeakKeyDictionary())


def sign_services_with(broker: NatsBroker, signer: PrincipalSigner) -> None:
    """Requests on ``broker`` whose principal is one of ``signer``'s services acting as
    itself (``Principal.system``) are signed with the service's key."""
    _SERVICE_SIGNERS[broker] = signer


def inbox_prefix(settings: Settings) -> str:
    """This connection's inbox prefix: replies, JetStream acks and pulled messages come
    back on ``<prefix>.<unique>``. deploy/nats lets each user subscribe to its own only."""
    if settings.nats_inbox_prefix:
        return settings.nats_inbox_prefix
    return f"_INBOX.{settings.nats_user}" if settings.nats_user else "_INBOX"


def nats_servers(settings: Settings) -> list[str]:
    """``GOVBUS_NATS_URL`` may list a cluster's servers, comma-separated."""
    url = settings.nats_url or "nats://127.0.0.1:4222"
    return [u.strip() for u in url.split(",") if u.strip()]


def nats_options(settings: Settings) -> dict[str, Any]:
    """Options of a plain nats-py connection (operator commands) with the credentials."""
    options: dict[str, Any] = {"servers": nats_servers(settings),
                               "inbox_prefix": inbox_prefix(settings)}
    if settings.nats_creds:
        options["user_credentials"] = str(settings.nats_creds)
    elif settings.nats_user:
        options["user"] = settings.nats_user
        options["password"] = (
            settings.nats_password.get_secret_value() if settings.nats_password else None)
    return options


async def connect_nats(settings: Settings) -> NATS:
    """A connection for operator commands: fails within seconds instead of retrying for
    minutes (a wrong password or an unreachable cluster should be said at once)."""
    import nats

    seen: list[Exception] = []

    async def remember(exc: Exception) -> None:
        seen.append(exc)

    try:
        return await nats.connect(**nats_options(settings), max_reconnect_attempts=2,
                                  reconnect_time_wait=0.5, connect_timeout=5, error_cb=remember)
    except Exception as exc:
        # "no servers available" hides the reason (e.g. 'Authorization Violation'): say it.
        if seen:
            # A refusal says more than the reset that may follow it on a busy machine.
            reason = next((e for e in seen if "authoriz" in str(e).lower()), seen[-1])
            raise ConnectionError(f"cannot connect to NATS: {reason}") from exc
        raise


def make_broker(settings: Settings, url: str | None = None, **kwargs: Any) -> NatsBroker:
    from faststream.nats import NatsBroker, NatsUserPassword

    servers = url.split(",") if url else nats_servers(settings)
    auth: dict[str, Any] = {}
    if settings.nats_creds:
        auth["user_credentials"] = str(settings.nats_creds)
    elif settings.nats_user:
        auth["security"] = NatsUserPassword(
            username=settings.nats_user,
            password=settings.nats_password.get_secret_value() if settings.nats_password else "",
        )
    kwargs.setdefault("inbox_prefix", inbox_prefix(settings))
    broker = NatsBroker(
        servers,
        max_reconnect_attempts=-1,  # keep trying: a broker restart must not end a service
        reconnect_time_wait=1,
        logger=None,
        **auth,
        **kwargs,
    )
    signing = settings.principal_signer()
    if signing is not None:
        _SIGNERS[broker] = signing
    return broker


async def stop_broker(broker: NatsBroker) -> None:
    """Stop, even while the connection is away (a drain then refuses; closing is enough)."""
    from nats.errors import Error as NatsError

    try:
        await broker.stop()
    except NatsError:
        connection = broker._connection
        if connection is not None and not connection.is_closed:
            await connection.close()


async def publish_entry(broker: NatsBroker, entry: dict[str, Any], timeout: float = 5.0) -> PubAck:
    """Publish one outbox entry to its stream; returns the stream's acknowledgement.

    Raises when the stream does not acknowledge (server down, no stream, timeout): the
    entry then stays in the outbox for the sweeper.
    """
    headers = dict(entry["headers"])
    ack: PubAck = await broker.publish(
        entry["data"].encode(),
        entry["subject"],
        headers=headers,
        stream=entry["stream"],
        timeout=timeout,
        # FastStream adds a ``correlation_id`` header of its own (a fresh uuid unless told):
        # one correlation id per piece of work, the CloudEvents one.
        correlation_id=headers.get(H_CORRELATION),
    )
    return ack


async def request(
    broker: NatsBroker,
    spec: CommandSpec | QuerySpec,
    payload: dict[str, Any] | bytes,
    *,
    principal: Principal | None = None,
    message_id: str | None = None,
    correlation_id: str | None = None,
    timeout: float = 5.0,
    deadline: datetime | None = None,
) -> dict[str, Any]:
    """Ask a service and return its reply as JSON; an error reply raises ``GovbusError``.

    A principal is sent signed when the broker was made with a signing key (the gateway),
    or, for a service acting as itself (``Principal.system(name)``), when the host gave the
    broker its services' key (``sign_services_with``); otherwise as a plain header, which
    services refuse (``unauthenticated``).

    The request carries its deadline (``govbus-deadline``): ``deadline`` if given (a caller
    passing on its own caller's), else now + ``timeout``, when this caller stops waiting.
    A service does not start a request whose deadline has passed (``expired``).
    """
    from faststream.exceptions import FastStreamException
    from nats.errors import Error as NatsError
    from nats.errors import NoRespondersError
    from nats.errors import TimeoutError as NatsTimeout

    message_id = message_id or new_id()
    headers = {
        H_ID: message_id,
        H_CORRELATION: correlation_id or message_id,
        "content-type": "application/json",
        H_DEADLINE: format_deadline(deadline) if deadline is not None else deadline_after(timeout),
    }
    body = (payload if isinstance(payload, bytes)
            else json.dumps(payload, ensure_ascii=False).encode())
    if principal is not None:
        signing = (_SERVICE_SIGNERS.get(broker) if principal.subject.startswith("system:")
                   else _SIGNERS.get(broker))
        headers[H_PRINCIPAL] = (
            signing.sign(principal, subject=spec.subject, message_id=message_id, body=body)
            if signing is not None else principal.model_dump_json())
    try:
        msg = await broker.request(body, spec.subject, headers=headers, timeout=timeout,
                                   correlation_id=headers[H_CORRELATION])
    except NoRespondersError as exc:
        raise GovbusError(
            ErrorCode.unavailable, f"service {spec.service} is not running", subject=spec.subject
        ) from exc
    except (TimeoutError, NatsTimeout) as exc:
        raise GovbusError(
            ErrorCode.timeout, f"service {spec.service} did not answer in {timeout}s",
            subject=spec.subject,
        ) from exc
    except (NatsError, FastStreamException) as exc:  # reconnecting, closed, ...
        # The driver's exception stays in the log: a caller learns only that it may retry.
        log.warning("bus_unavailable", subject=spec.subject, error=repr(exc))
        raise GovbusError(
            ErrorCode.unavailable, "the bus is unavailable; try again shortly",
            subject=spec.subject,
        ) from exc
    data: dict[str, Any] = json.loads(msg.body or b"{}")
    if (msg.headers or {}).get(H_STATUS) == "error" or ("error" in data and len(data) == 1):
        raise GovbusError.from_reply(ErrorReply.model_validate(data))
    return data


def headers_text(headers: Mapping[str, Any] | None) -> dict[str, str]:
    """A stored message's headers as text.

    nats-py reads the headers of a stored message (``get_msg``) with Python's e-mail parser,
    which hands a value holding non-ASCII bytes back as an ``email.header.Header``, not a
    ``str``: an error quoting 非密, a 收文 title in ``ce-subject``. Such a value is the UTF-8
    the publisher wrote; anything undecodable is replaced, never raised on.
    """
    out: dict[str, str] = {}
    for key, value in (headers or {}).items():
        if isinstance(value, str):
            out[str(key)] = value
            continue
        parts = []
        for chunk, charset in decode_header(value):
            if isinstance(chunk, bytes):
                encoding = charset if charset and charset != "unknown-8bit" else "utf-8"
                try:
                    parts.append(chunk.decode(encoding, errors="replace"))
                except LookupError:  # a charset Python does not know
                    parts.append(chunk.decode("utf-8", errors="replace"))
            else:
                parts.append(chunk)
        out[str(key)] = "".join(parts)
    return out
