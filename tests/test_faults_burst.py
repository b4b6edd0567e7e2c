"""The fault suite: bursts of 收文 registrations through the gateway while the servers fail.

Issue 11 found it by hand: bursts through the gateway (16 clients repeating a command with
the same Idempotency-Key until answered) while nats-server is restarted and the services
process is killed with -9, on a database of thousands of records. Here each of those is a
rule, on servers of this module's own (nats-server and FerretDB; restarting the session's
would do, but the 收文 register of the year must be this module's alone to be counted) with
10 000 收文 stored, the services in a process of their own and the gateway served for real
(uvicorn on a loopback port). Whatever fails, and however long:

- nothing acknowledged is lost, nothing is applied twice, and the register has no gap;
- every command is answered in the end (each client repeats it until it is);
- while the broker or the services are away, the gateway answers 503 ``unavailable`` with
  ``Retry-After`` (it knows), never 504 after its timeout; and never 500.

No timing is asserted: ``bench/faults.py`` reports the commands per second.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from govbus_kit.settings import Settings
from govbus_ops.infra import LocalServers, free_port
from govbus_testing.burst import (
    PLUGINS,
    Burst,
    BurstResult,
    Gateway,
    Services,
    burst_settings,
    describe,
    office_year,
    publish_poison,
    register_last,
    seed_incoming,
    services_ready,
    verify,
)
from govbus_testing.servers import repo_root

pytestmark = [pytest.mark.servers, pytest.mark.slow]

STORED = 10_000  # 收文 already in the register
N = 40  # commands per burst: three faults within the suite's time
#: how long the broker, or the services, stay away
DOWN_SECONDS = 2.0
#: while away, the gateway is asked a query this often (beside the burst's own commands)
PROBE_EVERY = 0.4


@dataclass
class Office:
    local: LocalServers
    settings: Settings
    services: Services
    gateway: Gateway
    year: int

    async def stop_broker(self) -> None:
        await asyncio.to_thread(self.local.stop_nats)

    async def start_broker(self) -> None:
        await asyncio.to_thread(self.local.start_nats)

    async def kill_services(self) -> None:
        await asyncio.to_thread(self.services.kill)

    async def start_services(self) -> None:
        self.services.start()

    async def burst(self, label: str, fault: Callable[[Burst], Awaitable[None]]
                    ) -> tuple[BurstResult, int]:
        """A burst of N with ``fault`` beside it; and the register's last serial before."""
        await services_ready(self.gateway.url)  # back from the fault of an earlier test
        before = await register_last(self.settings.mongo_url or "", self.year)
        return await Burst(self.gateway.url, N, label=label).run(fault), before

    async def away(self, burst: Burst, seconds: float) -> None:
        """Wait out an outage, asking the gateway for a stored 收文 meanwhile: the clients
        whose commands were in flight are still waiting for them (a service killed with
        them can only be timed out), so the probes make sure the gateway is asked."""
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while loop.time() < end:
            await burst.probe(f"/api/v1/documents/incoming/seed-{self.year}-000001")
            await asyncio.sleep(max(0.0, min(PROBE_EVERY, end - loop.time())))


@pytest.fixture(scope="module")
async def office(tmp_path_factory) -> AsyncIterator[Office]:
    if os.environ.get("GOVBUS_NATS_URL") and os.environ.get("GOVBUS_MONGO_URL"):
        pytest.skip("restarting the broker needs the local nats-server")
    root = Path(tmp_path_factory.mktemp("faults"))
    local = LocalServers(root=root, bin_dir=Path(os.environ.get("GOVBUS_BIN_DIR",
                                                                 repo_root() / ".bin")),
                         tied_to_parent=True, nats_port=free_port(), mongo_port=free_port())
    local.start()
    services = None
    try:
        settings = burst_settings(local.nats_url, local.mongo_url)
        year = office_year()
        await seed_incoming(local.mongo_url, STORED, year)
        services = Services(settings, root / "services.log")
        services.start()
        async with Gateway(settings) as gateway:
            await services_ready(gateway.url)
            yield Office(local, settings, services, gateway, year)
    finally:
        if services is not None:
            services.stop()
        local.stop()


async def held(office: Office, result: BurstResult, register_before: int,
               outage: tuple[str, str]) -> None:
    """What must hold after every burst, whatever failed during it."""
    print(describe(result))  # shown with the failure: what happened, second by second
    log = office.services.tail()
    assert result.unanswered == [] and result.refused == {}, (result.refused, log)
    assert len(result.acknowledged) == N
    verdict = await verify(office.settings.mongo_url or "", result, office.year,
                           register_before)
    assert (verdict.lost, verdict.doubled) == (0, 0), verdict.problems
    assert verdict.gapless, verdict.gaps
    assert verdict.register_last == register_before + N
    assert not [a for a in result.attempts if a.status >= 500 and a.status not in (503, 504)], (
        result.errors(), log)
    # While it was away (from the fault done to its return), every answer said so at once:
    # the commands tried then and the queries asked then.
    down, back = (result.marks[m] for m in outage)
    meanwhile = [a for a in [*result.attempts, *result.probes] if down <= a.sent < back]
    assert [a for a in result.probes if down <= a.sent < back], "nothing asked while away"
    assert {(a.status, a.code) for a in meanwhile} == {(503, "unavailable")}, (
        sorted({(a.status, a.code) for a in meanwhile}))
    assert all(a.retry_after and int(a.retry_after) >= 1 for a in meanwhile)


async def test_a_broker_restart_mid_burst_loses_nothing_and_is_answered_503_meanwhile(
        office):
    async def restart_broker(burst: Burst) -> None:
        await burst.acknowledged(N // 3)
        await office.stop_broker()
        burst.mark("broker down")
        await office.away(burst, DOWN_SECONDS)
        burst.mark("broker starting")
        await office.start_broker()

    result, before = await office.burst("restart", restart_broker)
    await held(office, result, before, ("broker down", "broker starting"))


async def test_the_services_killed_mid_burst_lose_nothing_and_are_answered_503_meanwhile(
        office):
    async def kill_services(burst: Burst) -> None:
        await burst.acknowledged(N // 3)
        await office.kill_services()
        burst.mark("services dead")
        await office.away(burst, DOWN_SECONDS)
        burst.mark("services starting")
        await office.start_services()

    result, before = await office.burst("kill", kill_services)
    await held(office, result, before, ("services dead", "services starting"))


async def test_both_at_once_with_poison_on_a_consumed_subject_lose_nothing(office):
    """The broker and the services go down together, malformed events arrive before and
    after; the poison is dead-lettered with its reason and holds nothing up."""
    nats_url = office.settings.nats_url or ""
    poison: list[str] = []

    async def everything(burst: Burst) -> None:
        poison.extend(await publish_poison(nats_url, "both-before"))
        await burst.acknowledged(N // 3)
        await asyncio.gather(office.kill_services(), office.stop_broker())
        burst.mark("all down")
        await office.away(burst, DOWN_SECONDS)
        await office.start_broker()
        poison.extend(await publish_poison(nats_url, "both-after"))
        await office.away(burst, DOWN_SECONDS / 2)
        burst.mark("services starting")
        await office.start_services()

    result, before = await office.burst("both", everything)
    await held(office, result, before, ("all down", "services starting"))
    await services_ready(office.gateway.url, PLUGINS)
    await dead_lettered(nats_url, poison)


async def dead_lettered(nats_url: str, ids: list[str], timeout: float = 30.0) -> None:
    """Each of ``ids`` in GOV_DLQ, once, with a reason."""
    import nats

    from govbus_kit.dlq import list_dead_letters

    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        nc = await nats.connect(nats_url)
        try:
            letters = [d for d in await list_dead_letters(nc.jetstream(), 10_000)
                       if d.event_id in ids]
        finally:
            await nc.close()
        if len(letters) >= len(ids) or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.5)
    assert sorted(d.event_id for d in letters) == sorted(ids), [
        (d.event_id, d.error) for d in letters]
    assert all(d.error for d in letters)
