"""Who calls: the client's address (behind trusted proxies only), what kind of caller it is
(anonymous, citizen, staff), and the scope an ``Idempotency-Key`` belongs to.

Forwarding headers are taken only from the proxies an operator names in
``GOVBUS_TRUSTED_PROXIES`` (addresses or networks, comma-separated; default: none); from any
other peer they are ignored, so a client cannot pick its own rate-limit bucket or
idempotency scope with ``X-Forwarded-For``.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import uuid
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Literal

from starlette.requests import Request

from govbus_contracts.envelope import Principal

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
#: forwarding hops read from one header, at most (a longer chain is cut from the left)
MAX_HOPS = 32


def parse_networks(value: str | Iterable[str]) -> list[Network]:
    items = value.split(",") if isinstance(value, str) else list(value)
    out = []
    for item in (i.strip() for i in items):
        if item:
            try:
                out.append(ipaddress.ip_network(item, strict=False))
            except ValueError as exc:
                raise ValueError(f"GOVBUS_TRUSTED_PROXIES: {item!r} is not an address or "
                                 f"network") from exc
    return out


_FOR = re.compile(r'(?i)(?:^|;)\s*for\s*=\s*("?)([^;,"]*)\1')


def _host(value: str) -> str | None:
    """The address of one hop (``1.2.3.4``, ``1.2.3.4:80``, ``[::1]:80``, ``::1``), or None."""
    value = value.strip().strip('"')
    if value.startswith("["):
        value = value[1:value.find("]")] if "]" in value else ""
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


class ClientAddresses:
    """The client's address of a request: the peer, or behind trusted proxies the rightmost
    address of the forwarding chain that is not one of them."""

    def __init__(self, trusted: Sequence[Network],
                 header: Literal["x-forwarded-for", "forwarded"] = "x-forwarded-for") -> None:
        self.trusted = list(trusted)
        self.header = header

    def _is_trusted(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.trusted)

    def _hops(self, request: Request) -> list[str | None]:
        values = request.headers.getlist(self.header)
        if self.header == "forwarded":
            raw = [m.group(2) for v in values for element in v.split(",")
                   for m in [_FOR.search(element)] if m]
        else:
            raw = [part for v in values for part in v.split(",")]
        return [_host(h) for h in raw[-MAX_HOPS:]]

    def __call__(self, request: Request) -> str:
        peer = request.client.host if request.client else "unknown"
        if not self.trusted or not self._is_trusted(peer):
            return peer
        address = peer
        for hop in reversed(self._hops(request)):
            if hop is None:
                return address  # a hop the proxy wrote that is no address: stop at the proxy
            address = hop
            if not self._is_trusted(hop):
                return hop
        return address


class Caller(StrEnum):
    """What a caller is, for rate limits: not whether its token has any role claim."""

    anonymous = "anonymous"  # no token
    citizen = "citizen"  # a valid token without any of govbus's staff roles
    staff = "staff"  # a token carrying a role some route of the gateway requires


def caller_kind(principal: Principal | None, staff_roles: frozenset[str]) -> Caller:
    if principal is None:
        return Caller.anonymous
    return Caller.staff if principal.roles & staff_roles else Caller.citizen


def scoped_command_id(key: str, principal: Principal | None, address: str) -> str:
    """The command id of an ``Idempotency-Key``: the key within its caller's scope — the
    token's subject, or without a token the client's address — so that another caller with
    the same key makes a command of its own and never receives the first caller's reply."""
    scope = f"subject:{principal.subject}" if principal is not None else f"address:{address}"
    digest = hashlib.sha256(f"govbus-idempotency\0{scope}\0{key}".encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))
