"""Hosting services in one process: what ``govbus run`` does, without the gateway.

A services-only install (contracts, kit, service distributions) runs its services with the
kit's own command, on configured servers::

    govbus-service documents disclosure        # GOVBUS_NATS_URL, GOVBUS_MONGO_URL set

``govbus run`` (distribution govbus-ops) is this loop plus the local servers under ./var and,
unless ``--no-gateway``, the HTTP gateway started beside the services (a companion); the kit
imports neither.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from govbus_contracts.registry import ServiceContract, all_contracts
from govbus_kit.bus import connect_nats
from govbus_kit.service import Service
from govbus_kit.settings import Settings

S = TypeVar("S", bound=Settings)
#: Started once the services run, with the settings they run with (the gateway's settings
#: for the HTTP gateway); returns how to stop it.
Companion = Callable[[S], Awaitable[Callable[[], Awaitable[None]]]]


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def contracts_of(services: Sequence[Service]) -> list[ServiceContract]:
    """Every installed contract, and those of the hosted services (a test-only service's
    contract is installed nowhere), by name."""
    found = {c.name: c for c in all_contracts()}
    for service in services:
        found.setdefault(service.name, service.contract)
    return [found[name] for name in sorted(found)]


async def sync(settings: Settings, contracts: Sequence[ServiceContract]) -> None:
    from govbus_kit.streams import sync_streams

    nc = await connect_nats(settings)
    try:
        for change in await sync_streams(nc.jetstream(), list(contracts), settings):
            say(f"stream {change.name}: {change.action}")
    finally:
        await nc.close()


async def serve(settings: S, services: list[Service],
                companions: Sequence[Companion[S]] = ()) -> None:
    """Provision the streams, host ``services``, start the companions; until SIGINT/SIGTERM."""
    from govbus_kit.runtime import Host

    await sync(settings, contracts_of(services))
    host = Host(services, settings)
    await host.start()
    say("services: " + (", ".join(s.name for s in services) or "none installed"))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    stoppers = [await start(settings) for start in companions]
    say("running; Ctrl-C stops")
    await stop.wait()
    say("stopping ...")
    for stop_companion in reversed(stoppers):
        await stop_companion()
    await host.stop()


def main(argv: list[str] | None = None) -> None:
    """``govbus-service [NAME | module:attribute ...]``: host services on configured servers."""
    from govbus_kit import plugins
    from govbus_kit.logging import configure_logging
    from govbus_kit.principal import principal_keys

    parser = argparse.ArgumentParser(
        prog="govbus-service",
        description="Run installed govbus services (entry points in group govbus.services) "
                    "in this process, on the servers of GOVBUS_NATS_URL and GOVBUS_MONGO_URL.")
    parser.add_argument("services", nargs="*", metavar="SERVICE",
                        help="service names or module:attribute; none: every installed service")
    args = parser.parse_args(argv)
    settings: Any = Settings()
    configure_logging(settings.log_level, settings.log_format)
    if not settings.nats_url or not settings.mongo_url:
        parser.error("set GOVBUS_NATS_URL and GOVBUS_MONGO_URL (local servers under ./var: "
                     "`govbus run` of govbus-ops)")
    # A services-only install has no gateway beside it to share a key of this machine with:
    # the services verify with the configured public keys (GOVBUS_PRINCIPAL_PUBLIC_KEYS).
    settings = principal_keys(settings, local=False, warn=say)
    asyncio.run(serve(settings, plugins.load_all(args.services or None)))


if __name__ == "__main__":
    main()
