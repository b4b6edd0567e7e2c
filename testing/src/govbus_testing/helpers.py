"""Helpers of the tests: hosts on the test servers, probes, clocks, tokens.

Every test imports them from here (``from govbus_testing import running, eventually``): one
definition each, no ``sys.path`` edits.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from govbus_contracts.registry import all_contracts
from govbus_gateway.settings import GatewaySettings
from govbus_kit.runtime import Host
from govbus_kit.service import Service
from govbus_kit.settings import Settings

T = TypeVar("T")


async def provision(settings: Settings, *services: Service) -> None:
    import nats

    from govbus_kit.streams import sync_streams

    nc = await nats.connect(settings.nats_url or "")
    try:
        contracts = {c.name: c for c in all_contracts()}
        contracts.update({s.name: s.contract for s in services})
        await sync_streams(nc.jetstream(), list(contracts.values()), settings)
    finally:
        await nc.close()


@asynccontextmanager
async def running(settings: Settings, *services: Service, **kwargs: Any) -> AsyncIterator[Host]:
    await provision(settings, *services)
    host = Host(list(services), settings, **kwargs)
    await host.start()
    try:
        yield host
    finally:
        await host.stop()


async def stream_messages(nats_url: str, subject: str, stream: str,
                          as_user: Settings | None = None) -> list[dict[str, Any]]:
    """Every message ``stream`` holds on ``subject`` (wildcards allowed), in stream order, as
    ``{"subject", "headers", "data"}``; read with a fresh ephemeral consumer each time (with
    ``as_user``'s credentials, if given).
    A message whose body is not a JSON object is no fact of any contract (the fault tests
    publish such garbage on purpose, and the consumers dead-letter it): left out."""
    import nats

    from govbus_kit.bus import connect_nats

    nc = await (connect_nats(as_user) if as_user is not None else nats.connect(nats_url))
    try:
        sub = await nc.jetstream().pull_subscribe(subject, stream=stream)
        out = await pulled(sub)
        await sub.unsubscribe()
    finally:
        await nc.close()
    return out


async def publish_again(nats_url: str, message: dict[str, Any], stream: str,
                        event_id: str | None = None) -> None:
    """A fact read with ``stream_messages`` published again past JetStream's
    de-duplication (a new ``Nats-Msg-Id``): the same event (its ``ce-id``), or a new event
    about the same thing (``event_id``), as a redelivery or a replay would bring it."""
    import json
    import uuid

    import nats

    headers = {**message["headers"], "Nats-Msg-Id": f"again-{uuid.uuid4()}"}
    if event_id is not None:
        headers["ce-id"] = event_id
    nc = await nats.connect(nats_url)
    try:
        await nc.jetstream().publish(
            message["subject"], json.dumps(message["data"], ensure_ascii=False).encode(),
            headers=headers, stream=stream)
    finally:
        await nc.close()


async def consumer_backlog(nats_url: str, stream: str, durable: str) -> int:
    """Messages a durable consumer has not yet finished with (pending or unacknowledged)."""
    import nats

    nc = await nats.connect(nats_url)
    try:
        info = await nc.jetstream().consumer_info(stream, durable)
        return int(info.num_pending or 0) + int(info.num_ack_pending or 0)
    finally:
        await nc.close()


async def pulled(sub: Any) -> list[dict[str, Any]]:
    """What a pull subscription has pending, acknowledged, as ``{"subject", "headers",
    "data"}`` (JSON objects only)."""
    import json

    import nats.errors

    out: list[dict[str, Any]] = []
    try:
        # Until the consumer has nothing pending: the last fetch does not wait out its
        # timeout for messages that are not there.
        while (await sub.consumer_info()).num_pending:
            for m in await sub.fetch(200, timeout=1):
                await m.ack()
                try:
                    data = json.loads(m.data)
                except ValueError:
                    continue
                if isinstance(data, dict):
                    out.append({"subject": m.subject, "headers": m.headers or {},
                                "data": data})
    except (TimeoutError, nats.errors.TimeoutError):
        pass
    return out


class IsolatedSettings(GatewaySettings):
    """The tests' settings (the gateway's: their brokers sign the principals they send)
    whose service database is one of the test's own (a fresh archive chain, number register
    or search index)."""

    database: str = ""

    def database_name(self, service: str) -> str:
        return self.database or super().database_name(service)


@asynccontextmanager
async def isolated(settings: Settings, service: Service, label: str, **kwargs: Any
                   ) -> AsyncIterator[tuple[Host, Any]]:
    """``running(service)`` on a database of its own; yields the host and that database.
    ``kwargs`` go to the Host (``service_settings={name: settings}``, ``clock=``)."""
    import uuid

    own = IsolatedSettings(**settings.model_dump(),
                           database=f"govbus_{service.name}_{label}_{uuid.uuid4().hex[:8]}")
    async with running(own, service, **kwargs) as host:
        yield host, host.contexts[service.name].db


@asynccontextmanager
async def office_gateway(settings: GatewaySettings, service: Service, secret: str,
                         ) -> AsyncIterator[Any]:
    """An office's first day end to end: ``service`` on a database of its own, on the
    ``OfficeClock``, and the gateway (HS256 with ``secret``) in front of it; yields an
    ``httpx.AsyncClient`` to the gateway over ASGI."""
    import uuid

    import httpx

    from govbus_gateway.app import create_app

    own = IsolatedSettings(**settings.model_dump(),
                           database=f"govbus_{service.name}_e2e_{uuid.uuid4().hex[:8]}")
    async with running(own, service, clock=OfficeClock()):
        app = create_app(settings, secret=secret)
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                         base_url="http://gw", timeout=30) as client:
                yield client


class OfficeClock:
    """Real time moved to a working morning of 2026 (by default Monday 9 March, 09:00 Beijing):
    the end-to-end walks run at real speed on a known day of the calendar, and 成文日期 and
    numbers are of 2026."""

    def __init__(self, start: datetime | None = None) -> None:
        self._offset = (start or datetime(2026, 3, 9, 1, 0, tzinfo=UTC)) - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset


def bearer(secret: str, role: str, sub: str, name: str,
           department: str | None = None) -> dict[str, str]:
    """The Authorization header of a member of staff (HS256, as the local gateway takes)."""
    import time

    import jwt

    claims: dict[str, Any] = {"sub": sub, "name": name, "roles": [role],
                              "exp": int(time.time()) + 900}
    if department:
        claims["department"] = department
    return {"Authorization": "Bearer " + jwt.encode(claims, secret, algorithm="HS256")}


async def eventually(probe: Callable[[], Awaitable[T]], check: Callable[[T], bool],
                     timeout: float = 20.0, interval: float = 0.1) -> T:
    """Poll until ``check(await probe())`` holds; return the last value or fail with it."""
    deadline = asyncio.get_running_loop().time() + timeout
    value = await probe()
    while not check(value):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not reached within {timeout}s; last value: {value!r}")
        await asyncio.sleep(interval)
        value = await probe()
    return value


def service_process(settings: Settings, *plugins: str, faults: str = "") -> subprocess.Popen[bytes]:
    """``govbus run PLUGIN... --no-gateway`` in a process of its own, on the test servers;
    it accepts the principals the tests' brokers sign."""
    from govbus_kit.principal import public_keys

    env = {
        **os.environ,
        "GOVBUS_NATS_URL": settings.nats_url or "",
        "GOVBUS_MONGO_URL": settings.mongo_url or "",
        "GOVBUS_OUTBOX_SWEEP_SECONDS": "0.5",
        "GOVBUS_OUTBOX_GRACE_SECONDS": "0.5",
        "GOVBUS_FAULTS": faults,
        "GOVBUS_PRINCIPAL_PUBLIC_KEYS": ",".join(public_keys(settings)),
        "GOVBUS_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "govbus_ops.cli", "run", *plugins, "--no-gateway"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


async def write_as_another_replica(mongo_url: str, db_name: str, collection: str,
                                   doc: dict[str, Any]) -> None:
    """What another replica's repository does, from a client of its own: the aggregate's
    ``_touched`` marker first, then its state (govbus_kit.outbox)."""
    from govbus_kit.listing import TOUCHED
    from govbus_kit.store import make_client

    client = make_client(mongo_url)
    try:
        db = client[db_name]
        await db[TOUCHED].update_one(
            {"_id": f"{collection}/{doc['_id']}"},
            {"$set": {"collection": collection, "aggregate": doc["_id"],
                      "at": datetime.now(UTC), "version": doc["version"]}}, upsert=True)
        await db[collection].replace_one({"_id": doc["_id"]}, doc, upsert=True)
    finally:
        await client.close()
