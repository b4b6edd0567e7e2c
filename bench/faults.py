"""govbus benchmark, issue 11: a burst of 1 000 commands through the gateway for each fault.

Run: ``make bench-faults`` or ``.venv/bin/python bench/faults.py [--n 1000] [--clients 16]``.

For each fault, ``--n`` 收文 registrations (``register_incoming``) by ``--clients``
concurrent clients over real HTTP to the gateway (uvicorn on a loopback port, in this
process), each client repeating a command with the same ``Idempotency-Key`` on 503, 504 or
a connection error (after ``Retry-After``, at most 5 s) until it is answered
(``govbus_testing.burst``, the driver of the fault suite). The services (documents and
disclosure) run in a process of their own, on a database holding ``--stored`` 收文
(10 000). When ``--fault-at`` of the commands (30 %) are acknowledged, the fault:

  none              nothing (the reference);
  broker restart    nats-server stopped, ``--down`` seconds (2), started again;
  services kill -9  the services process killed with SIGKILL, ``--down`` seconds, started
                    again (its start-up on the stored 收文 is part of the outage);
  leader kill -9    on a 3-node NATS cluster with R3 streams (``govbus_testing.cluster``'s
                    ``LocalCluster``, where it exists), the node leading GOV_DOCUMENTS killed
                    with SIGKILL, ``--down`` seconds, started again; skipped, and said so,
                    where ``govbus_testing.cluster`` is not there.

Per fault: commands acknowledged per second before the fault, during it (from the fault
until the first acknowledgement after the component is back) and after; the outage and
the recovery in seconds; the answers that were no acknowledgement, by kind (``503
unavailable``, ``504 timeout``, ``503 overloaded``, ``504 expired``, connection errors);
lost and doubled (read from the store: ``govbus_testing.burst`` ``verify``), and at the end the
whole 收文 register (one scan). Written to ``bench/results/faults-<date>.json``.

Nothing here asserts a timing; ``tests/test_faults_burst.py`` asserts what must hold.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import os
import platform
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from govbus_kit.logging import configure_logging
from govbus_kit.settings import Settings
from govbus_ops.infra import MONGO, LocalServers, free_port
from govbus_testing.burst import (
    DEFAULT_CLIENTS,
    Burst,
    BurstResult,
    Gateway,
    Services,
    burst_settings,
    office_year,
    register_last,
    seed_incoming,
    services_ready,
    verify,
    whole_register,
)

ROOT = Path(__file__).resolve().parent.parent

RESULTS = ROOT / "bench" / "results"
BIN_DIR = Path(os.environ.get("GOVBUS_BIN_DIR", ROOT / ".bin"))
LEADER_STREAM = "GOV_DOCUMENTS"  # the stream the registrations' facts go to


@dataclass
class Stack:
    """Servers, the services process and the gateway of one part of the bench."""

    settings: Settings
    services: Services
    gateway: Gateway
    year: int
    stop_broker: Callable[[], None] | None = None
    start_broker: Callable[[], None] | None = None
    cluster: Any = None
    store_pid: int | None = None  # FerretDB's


Fault = Callable[[Stack, Burst, argparse.Namespace], Awaitable[None]]


async def fault_point(burst: Burst, args: argparse.Namespace) -> None:
    await burst.acknowledged(max(1, int(args.n * args.fault_at)))
    burst.mark("fault")


async def no_fault(stack: Stack, burst: Burst, args: argparse.Namespace) -> None:
    await fault_point(burst, args)  # only where "before" ends and "after" begins


async def broker_restart(stack: Stack, burst: Burst, args: argparse.Namespace) -> None:
    assert stack.stop_broker is not None and stack.start_broker is not None
    await fault_point(burst, args)
    await asyncio.to_thread(stack.stop_broker)
    await asyncio.sleep(args.down)
    await asyncio.to_thread(stack.start_broker)
    burst.mark("back")


async def services_kill(stack: Stack, burst: Burst, args: argparse.Namespace) -> None:
    await fault_point(burst, args)
    await asyncio.to_thread(stack.services.kill)
    await asyncio.sleep(args.down)
    stack.services.start()
    burst.mark("back")


async def leader_kill(stack: Stack, burst: Burst, args: argparse.Namespace) -> None:
    """kill -9 of the node leading GOV_DOCUMENTS (R3: the other two keep a quorum)."""
    cluster = stack.cluster
    assert cluster is not None
    await fault_point(burst, args)
    leader = await cluster.leader_of(LEADER_STREAM)
    await asyncio.to_thread(cluster.kill9, leader)
    burst.mark(f"killed {leader}")
    await asyncio.sleep(args.down)
    await asyncio.to_thread(cluster.restart, leader)
    burst.mark("back")


# --- the stacks ----------------------------------------------------------------------------


@asynccontextmanager
async def single_server(root: Path, args: argparse.Namespace) -> AsyncIterator[Stack]:
    """One nats-server and FerretDB of the bench's own, the stored 收文, services, gateway."""
    local = LocalServers(root=root / "servers", bin_dir=BIN_DIR, tied_to_parent=True,
                         nats_port=free_port(), mongo_port=free_port())
    local.start()
    try:
        settings = burst_settings(local.nats_url, local.mongo_url)
        async with office(settings, root, args) as (services, gateway, year):
            yield Stack(settings, services, gateway, year, stop_broker=local.stop_nats,
                        start_broker=local.start_nats, store_pid=local.running_pid(MONGO))
    finally:
        local.stop()


def cluster_available() -> bool:
    return importlib.util.find_spec("govbus_testing.cluster") is not None


@asynccontextmanager
async def three_nodes(root: Path, args: argparse.Namespace) -> AsyncIterator[Stack]:
    """A 3-node NATS cluster (``govbus_testing.cluster``), streams R3, FerretDB of its own."""
    from govbus_testing.cluster import LocalCluster

    cluster = LocalCluster(root / "cluster", BIN_DIR)
    mongo = LocalServers(root=root / "store", bin_dir=BIN_DIR, tied_to_parent=True,
                         nats_port=free_port(), mongo_port=free_port())
    cluster.start()
    try:
        mongo.start_mongo()
        settings = burst_settings(cluster.nats_url, mongo.mongo_url, stream_replicas=3)
        async with office(settings, root, args, {"GOVBUS_STREAM_REPLICAS": "3"}) as (
                services, gateway, year):
            await cluster.wait_stream(LEADER_STREAM)
            yield Stack(settings, services, gateway, year, cluster=cluster,
                        store_pid=mongo.running_pid(MONGO))
    finally:
        try:
            mongo.stop_mongo()
        finally:
            cluster.stop()


@asynccontextmanager
async def office(settings: Settings, root: Path, args: argparse.Namespace,
                 env: dict[str, str] | None = None
                 ) -> AsyncIterator[tuple[Services, Gateway, int]]:
    year = office_year()
    t0 = time.perf_counter()
    await seed_incoming(settings.mongo_url or "", args.stored, year)
    print(f"  stored {args.stored} 收文 ({time.perf_counter() - t0:.1f} s)", flush=True)
    services = Services(settings, root / f"services-{time.monotonic_ns()}.log", env=env)
    services.start()
    try:
        async with Gateway(settings) as gateway:
            t0 = time.perf_counter()
            await services_ready(gateway.url)
            print(f"  services answering ({time.perf_counter() - t0:.1f} s)", flush=True)
            yield services, gateway, year
    finally:
        services.stop()


async def settled(pids: list[int], quiet: float = 0.1, timeout: float = 300.0) -> float:
    """Until the services process and the store are nearly idle (the start-up scans of the
    stored 收文 done: the list's load, the search index's full pass, ...; the scanning is
    mostly FerretDB's), so that "before" is the steady state; the seconds waited. Linux
    (/proc); elsewhere it does not wait."""
    stats = [Path(f"/proc/{pid}/stat") for pid in pids]
    if not stats or not all(s.exists() for s in stats):
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")

    def cpu() -> float:
        total = 0.0
        for stat in stats:
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
        return total

    t0 = time.monotonic()
    calm, last = 0, cpu()
    while calm < 3 and time.monotonic() - t0 < timeout:
        await asyncio.sleep(1.0)
        now = cpu()
        calm, last = (calm + 1 if now - last < quiet * len(stats) else 0), now
    return time.monotonic() - t0


# --- one fault -----------------------------------------------------------------------------


async def run_fault(name: str, fault: Fault, stack: Stack, args: argparse.Namespace,
                    label: str, clients: int | None = None) -> dict[str, Any]:
    await services_ready(stack.gateway.url)
    waited = await settled([p for p in (
        stack.services.process.pid if stack.services.process else None, stack.store_pid)
        if p is not None])
    print(f"\n{name}: the services settled ({waited:.0f} s)", flush=True)
    before = await register_last(stack.settings.mongo_url or "", stack.year)
    clients = clients or args.clients
    burst = Burst(stack.gateway.url, args.n, clients, label=label)
    print(f"  {args.n} commands, {clients} clients", flush=True)
    result = await burst.run(lambda b: fault(stack, b, args))
    verdict = await verify(stack.settings.mongo_url or "", result, stack.year, before)
    row = figures(name, result)
    row.update(lost=verdict.lost, doubled=verdict.doubled, gaps=len(verdict.gaps),
               unanswered=len(result.unanswered), refused=len(result.refused),
               problems=verdict.problems[:10])
    print_row(row)
    return row


def figures(name: str, result: BurstResult) -> dict[str, Any]:
    fault = result.marks.get("fault", 0.0)
    faulted = "back" in result.marks
    back = result.marks["back"] if faulted else fault
    recovered = result.first_ack_after(back) if faulted else fault
    end = result.seconds
    during_end = recovered if recovered is not None else end
    errors = result.errors()
    return {
        "fault": name,
        "commands": result.n,
        "clients": result.clients,
        "seconds": round(end, 1),
        "per_second_before": round(result.rate(0.0, fault), 2),
        "per_second_during": round(result.rate(fault, during_end), 2) if faulted else None,
        "per_second_after": round(result.rate(during_end, end), 2),
        "outage_seconds": round(back - fault, 1),
        "recovery_seconds": round(during_end - back, 1) if faulted else None,
        "errors": dict(sorted(errors.items())),
        "acknowledged": len(result.acknowledged),
        "marks": {k: round(v, 2) for k, v in result.marks.items()},
        "per_second": result.per_second(),
    }


def print_row(row: dict[str, Any]) -> None:
    def rate(v: float | None) -> str:
        return "—" if v is None else f"{v:.1f}"

    errors = ", ".join(f"{k} {v}" for k, v in row["errors"].items()) or "none"
    print(f"  commands/s before {rate(row['per_second_before'])}, during "
          f"{rate(row['per_second_during'])}, after {rate(row['per_second_after'])}; "
          f"outage {row['outage_seconds']} s, recovery "
          f"{'—' if row['recovery_seconds'] is None else row['recovery_seconds']} s; "
          f"{row['seconds']} s in all", flush=True)
    print(f"  not acknowledged: {errors}", flush=True)
    print(f"  lost {row['lost']}, doubled {row['doubled']}, register gaps {row['gaps']}, "
          f"unanswered {row['unanswered']}, refused {row['refused']}", flush=True)


def table(rows: list[dict[str, Any]]) -> str:
    """The README's table."""
    def rate(v: float | None) -> str:
        return "—" if v is None else f"{v:.1f}"

    lines = ["| fault | commands/s before / during / after | outage, recovery s | "
             "answers not 2xx, by kind | lost | doubled |",
             "|---|---|---|---|---:|---:|"]
    for r in rows:
        if r.get("skipped"):
            lines.append(f"| {r['fault']} | skipped: {r['skipped']} | | | | |")
            continue
        errors = ", ".join(f"{k} {v}" for k, v in r["errors"].items()) or "none"
        recovery = "—" if r["recovery_seconds"] is None else f"{r['recovery_seconds']}"
        lines.append(
            f"| {r['fault']} | {rate(r['per_second_before'])} / "
            f"{rate(r['per_second_during'])} / {rate(r['per_second_after'])} | "
            f"{r['outage_seconds'] if r['per_second_during'] is not None else '—'}, "
            f"{recovery} | {errors} | {r['lost']} | {r['doubled']} |")
    return "\n".join(lines)


# --- the whole ------------------------------------------------------------------------------


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    registers: dict[str, Any] = {}
    run = datetime.now(UTC).strftime("%H%M%S")
    root = Path(tempfile.mkdtemp(prefix="govbus-bench-faults-"))
    try:
        print(f"single nats-server, {args.stored} 收文 stored:", flush=True)
        async with single_server(root / "single", args) as stack:
            for name, fault in (("none", no_fault), ("broker restart", broker_restart),
                                ("services kill -9", services_kill)):
                if name in args.skip:
                    continue
                rows.append(await run_fault(name, fault, stack, args, f"{run}-{len(rows)}"))
            if "overload" not in args.skip:
                # More clients than the services' slots and queue (handler_concurrency 16 +
                # handler_queue_limit 64): the excess is answered 503 overloaded at once.
                rows.append(await run_fault(f"overload ({args.overload_clients} clients)",
                                            no_fault, stack, args, f"{run}-{len(rows)}",
                                            clients=args.overload_clients))
            registers["single"] = await whole(stack)
        if "leader kill -9" in args.skip:
            pass
        elif cluster_available():
            print(f"\n3-node cluster, R3 streams, {args.stored} 收文 stored:", flush=True)
            async with three_nodes(root / "cluster", args) as stack:
                rows.append(await run_fault("leader kill -9", leader_kill, stack, args,
                                            f"{run}-{len(rows)}"))
                registers["cluster"] = await whole(stack)
        else:
            # The hook: govbus_testing.cluster (a LocalCluster with start, stop, kill9, restart and
            # leader_of) makes this row run; until then it is said to be missing.
            rows.append({"fault": "leader kill -9",
                         "skipped": "govbus_testing.cluster (LocalCluster) is not there"})
            print("\nleader kill -9: skipped (govbus_testing.cluster is not there)", flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return {"rows": rows, "registers": registers}


async def whole(stack: Stack) -> dict[str, Any]:
    """The whole 收文 register of the year, read once (a scan: tens of seconds)."""
    t0 = time.perf_counter()
    documents, last, wrong = await whole_register(stack.settings.mongo_url or "", stack.year)
    said = {"documents": documents, "last_serial": last, "serials_not_held_once": wrong[:20],
            "whole": documents == last and not wrong}
    print(f"\nthe 收文 register of {stack.year}: {documents} documents, last serial {last}, "
          f"{len(wrong)} serials not held by exactly one ({time.perf_counter() - t0:.0f} s)",
          flush=True)
    return said


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000, help="commands per fault (1000)")
    parser.add_argument("--clients", type=int, default=DEFAULT_CLIENTS,
                        help=f"concurrent clients ({DEFAULT_CLIENTS})")
    parser.add_argument("--stored", type=int, default=10_000,
                        help="收文 stored before the bursts (10000)")
    parser.add_argument("--fault-at", type=float, default=0.3,
                        help="the share of commands acknowledged when the fault comes (0.3)")
    parser.add_argument("--down", type=float, default=2.0,
                        help="seconds the faulted component stays down (2)")
    parser.add_argument("--skip", action="append", default=[],
                        choices=["none", "broker restart", "services kill -9", "overload",
                                 "leader kill -9"], help="a fault not to run (repeatable)")
    parser.add_argument("--overload-clients", type=int, default=256,
                        help="clients of the overload burst, beyond the services' slots and "
                        "queue (256)")
    parser.add_argument("--out", type=Path, default=None,
                        help="JSON file (bench/results/faults-<date>.json)")
    args = parser.parse_args()
    configure_logging("ERROR", "console")  # the gateway's refusals while away are expected
    out = args.out or RESULTS / f"faults-{datetime.now(UTC):%Y-%m-%d}.json"

    async def guarded() -> dict[str, Any]:
        task, loop = asyncio.current_task(), asyncio.get_running_loop()
        assert task is not None
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
        return await bench(args)

    started = time.perf_counter()
    try:
        done = asyncio.run(guarded())
    except asyncio.CancelledError:
        print("\ninterrupted: nothing written", file=sys.stderr)
        return 130
    elapsed = time.perf_counter() - started
    print("\n" + table(done["rows"]))
    report = {
        "generated_at": datetime.now(UTC).isoformat(),
        "elapsed_seconds": round(elapsed, 1),
        "parameters": {k: v for k, v in vars(args).items() if k != "out"},
        "machine": {"cores": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version()},
        **done,
        "notes": [
            "One process: the clients and the gateway (uvicorn); the services in another; "
            "nats-server and FerretDB (SQLite) on the same machine.",
            "during = from the fault until the first acknowledgement after the component "
            "is back; after = from then to the end of the burst.",
        ],
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out} "
          f"({elapsed:.0f} s)")
    bad = [r for r in done["rows"] if not r.get("skipped")
           and (r["lost"] or r["doubled"] or r["gaps"] or r["unanswered"])]
    return 1 if bad or not all(r["whole"] for r in done["registers"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
