"""govbus benchmark: the kit's cost as RATIOS against the raw servers, measured in the same run.

Run: ``make bench`` or ``cd /work/main && .venv/bin/python bench/run.py [--n 300]``.

Servers: ``GOVBUS_NATS_URL`` and ``GOVBUS_MONGO_URL`` if both are set, otherwise the local
nats-server and FerretDB from ``.bin/`` on free ports in a temporary directory (stopped at
the end, also on error).

Baselines, with the raw clients (nats-py, pymongo's AsyncMongoClient):
  1. core NATS request/reply to a trivial nats-py responder;
  2. JetStream publish with ack (a stream provisioned for the bench);
  3. MongoDB ``find_one`` + ``update_one`` filtered on ``version`` (one compare-and-set write);
     and, for the create path, ``find_one`` + ``insert_one``.
govbus:
  4. a command round trip ``govbus_kit.bus.request(broker, ledger.DEPOSIT, ...)`` to the
     test-only ``ledger`` plugin in an in-process ``Host``: on distinct accounts (create path)
     and on one account (update path);
  5. the same with concurrent clients (throughput), against the raw 1+2+3 done concurrently.
supervision (issue 13, ``bench/supervision.py``; ``--no-supervision`` skips it):
  6. ``assign_item`` (交办) on distinct items to the supervision service in a ``Host``, over
     the floor of 1+2+3;
  7. the 台账 (LEDGER) at 10 000 items, as the office and as a department's handler, over one
     raw request/reply + one raw ``find_one`` by ``_id`` in the same collection.

Nothing here asserts a timing: it reports medians, p95s, throughputs and their ratios, and
writes them as JSON to ``bench/results/latest.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nats
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError
from pymongo import AsyncMongoClient, monitoring
from scale import print_goals, scale_bench
from scale import ratios as scale_ratios
from supervision import ITEMS as SUPERVISION_ITEMS
from supervision import ratios as supervision_ratios
from supervision import supervision_bench

from govbus_kit.bus import make_broker, request, stop_broker
from govbus_kit.logging import configure_logging
from govbus_kit.runtime import Host
from govbus_kit.settings import Settings
from govbus_kit.streams import sync_streams
from govbus_ops.infra import LocalServers, free_port
from govbus_testplugins import ledger

ROOT = Path(__file__).resolve().parent.parent

RESULTS = ROOT / "bench" / "results" / "latest.json"
RAW_STREAM = "GOVBUS_BENCH_RAW"
RAW_SUBJECT_JS = "govbus.bench.raw.js"
RAW_SUBJECT_RR = "govbus.bench.raw.echo"
RAW_DB = "govbus_bench_raw"

Op = Callable[[int, int], Awaitable[Any]]


# --- measuring ------------------------------------------------------------------------


@dataclass
class Stats:
    n: int
    clients: int
    median_ms: float
    p95_ms: float
    mean_ms: float
    throughput_per_s: float
    first_fifth_median_ms: float
    last_fifth_median_ms: float
    cpu_ms_per_op: float  # CPU time of this Python process (client + Host/responder) per call
    breakdown_ms_per_op: dict[str, float] | None = None


def _stats(lat_ns: list[int], wall_s: float, clients: int, cpu_s: float) -> Stats:
    ms = [x / 1e6 for x in lat_ns]
    ordered = sorted(ms)
    fifth = max(1, len(ms) // 5)
    return Stats(
        n=len(ms),
        clients=clients,
        median_ms=statistics.median(ms),
        p95_ms=ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))],
        mean_ms=statistics.fmean(ms),
        throughput_per_s=len(ms) / wall_s,
        first_fifth_median_ms=statistics.median(ms[:fifth]),
        last_fifth_median_ms=statistics.median(ms[-fifth:]),
        cpu_ms_per_op=cpu_s * 1000 / len(ms),
    )


async def measure(op: Op, n: int, warmup: int, clients: int = 1) -> Stats:
    """``warmup`` untimed calls, then ``n`` timed calls shared by ``clients`` concurrent tasks.

    ``op`` gets a call number unique within this measurement (warm-up calls included) and
    the number of the client making the call (warm-up calls go round the clients).
    """
    counter = iter(range(n + warmup))
    for k in range(warmup):
        await op(next(counter), k % clients)
    latencies: list[int] = []
    remaining = n

    async def client(me: int) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            i = next(counter)
            t0 = time.perf_counter_ns()
            await op(i, me)
            latencies.append(time.perf_counter_ns() - t0)

    PROBE.reset()
    start, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(client(k) for k in range(clients)))
    stats = _stats(latencies, time.perf_counter() - start, clients, time.process_time() - cpu)
    if PROBE.total:
        stats.breakdown_ms_per_op = PROBE.per_op(n)
    return stats


class Probe(monitoring.CommandListener):
    """Where a govbus command's time goes: the Host's MongoDB commands (by name) and its
    JetStream publications, summed and divided by the number of commands."""

    def __init__(self) -> None:
        self.database = ""
        self.reset()

    def reset(self) -> None:
        self.sums: dict[str, float] = {}
        self.counts: dict[str, int] = {}
        self.total = 0

    def add(self, what: str, ms: float) -> None:
        self.sums[what] = self.sums.get(what, 0.0) + ms
        self.counts[what] = self.counts.get(what, 0) + 1
        self.total += 1

    def per_op(self, n: int) -> dict[str, float]:
        out = {f"{k} (x{self.counts[k] / n:.2f})": v / n for k, v in sorted(self.sums.items())}
        return out

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        pass

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        if self.database and event.database_name == self.database:
            self.add(f"mongo {event.command_name}", event.duration_micros / 1000)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self.succeeded(event)  # type: ignore[arg-type]


PROBE = Probe()
monitoring.register(PROBE)  # before any client exists: listeners are fixed at creation


def _probe_publications() -> None:
    from govbus_kit import outbox

    original = outbox.publish_entry

    async def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter_ns()
        try:
            return await original(*args, **kwargs)
        finally:
            if PROBE.database:
                PROBE.add("jetstream publish", (time.perf_counter_ns() - t0) / 1e6)

    outbox.publish_entry = timed  # type: ignore[assignment]


# --- servers --------------------------------------------------------------------------


class Servers:
    def __init__(self) -> None:
        self.nats_url = os.environ.get("GOVBUS_NATS_URL") or ""
        self.mongo_url = os.environ.get("GOVBUS_MONGO_URL") or ""
        self.local: LocalServers | None = None
        self.root: Path | None = None
        self.kind = "configured" if (self.nats_url and self.mongo_url) else "local"

    def __enter__(self) -> Servers:
        if self.kind == "local":
            self.root = Path(tempfile.mkdtemp(prefix="govbus-bench-"))
            bin_dir = Path(os.environ.get("GOVBUS_BIN_DIR", ROOT / ".bin"))
            self.local = LocalServers(root=self.root, bin_dir=bin_dir, tied_to_parent=True,
                                      nats_port=free_port(), mongo_port=free_port())
            try:
                self.local.start()
            except BaseException:
                self.__exit__()
                raise
            self.nats_url, self.mongo_url = self.local.nats_url, self.local.mongo_url
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self.local is not None:
                self.local.stop()
        finally:
            if self.root is not None:
                shutil.rmtree(self.root, ignore_errors=True)


# --- the bench ------------------------------------------------------------------------


def _version(v: Any) -> str:
    return f"{v.major}.{v.minor}.{v.patch}"


async def server_info(nc: Any, mongo: AsyncMongoClient[dict[str, Any]]) -> dict[str, Any]:
    build = await mongo.admin.command("buildInfo")
    ferret = build.get("ferretdbVersion") or (build.get("ferretdbFeatures") and "yes")
    return {
        "nats_server_version": _version(nc.connected_server_version),
        "mongo_wire_version": build.get("version"),
        "mongo_kind": f"FerretDB {ferret}" if ferret else "MongoDB",
    }


async def bench(args: argparse.Namespace, servers: Servers) -> dict[str, Any]:
    n, warmup, clients = args.n, args.warmup, args.clients
    run = uuid.uuid4().hex[:8]
    settings = Settings(nats_url=servers.nats_url, mongo_url=servers.mongo_url,
                        log_level="WARNING")
    results: dict[str, Stats] = {}

    def show(name: str, s: Stats) -> None:
        results[name] = s
        print(f"  {name:<34} median {s.median_ms:7.2f} ms   p95 {s.p95_ms:7.2f} ms   "
              f"{s.throughput_per_s:8.1f}/s   cpu {s.cpu_ms_per_op:5.2f} ms/op", flush=True)
        if s.breakdown_ms_per_op:
            parts = ", ".join(f"{k} {v:.2f}" for k, v in s.breakdown_ms_per_op.items())
            print(f"      time per command in: {parts} ms", flush=True)

    # ---- raw clients ----
    server_nc = await nats.connect(servers.nats_url)  # the trivial responder's connection
    nc = await nats.connect(servers.nats_url)
    js = nc.jetstream()
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        servers.mongo_url, tz_aware=True, serverSelectionTimeoutMS=10_000)
    info = await server_info(nc, mongo)
    host: Host | None = None
    client_broker = None
    raw_db = mongo[RAW_DB]
    try:
        async def echo(msg: Any) -> None:
            await msg.respond(b'{"account":"a","balance":1,"version":1}')

        await server_nc.subscribe(RAW_SUBJECT_RR, queue="bench", cb=echo)
        await server_nc.flush()
        try:
            await js.delete_stream(RAW_STREAM)
        except NotFoundError:
            pass
        # Configured like the govbus streams (file storage, de-duplication window).
        await js.add_stream(StreamConfig(
            name=RAW_STREAM, subjects=[RAW_SUBJECT_JS], retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE, num_replicas=settings.stream_replicas,
            duplicate_window=settings.duplicate_window_seconds, discard=DiscardPolicy.OLD))
        # Collections as the ledger's: FerretDB's update cost grows with the collection's size
        # (an update scans), so the raw updates run on collections as small as the ledger's
        # is when its updates are measured, and the creates fill a collection of their own.
        await raw_db.client.drop_database(RAW_DB)
        cas, cas_c, fresh = raw_db["cas"], raw_db["cas_c"], raw_db["created"]
        body = json.dumps({"account": "raw", "amount": 1}).encode()
        event = json.dumps({"account": "raw", "amount": 1, "balance": 1}).encode()

        async def raw_rr(i: int, c: int) -> None:
            await nc.request(RAW_SUBJECT_RR, body, timeout=5)

        async def raw_js(i: int, c: int) -> None:
            await js.publish(RAW_SUBJECT_JS, event, timeout=5,
                             headers={"Nats-Msg-Id": f"{run}-{uuid.uuid4().hex}"})

        async def raw_cas_on(doc_id: str, coll: Any = cas) -> None:
            doc = await coll.find_one({"_id": doc_id})
            version = doc["version"] if doc else 0
            result = await coll.update_one(
                {"_id": doc_id, "version": version},
                {"$set": {"version": version + 1, "balance": (doc or {}).get("balance", 0) + 1}},
                upsert=False)
            if result.modified_count != 1:
                raise RuntimeError("raw compare-and-set lost")

        async def raw_cas(i: int, c: int) -> None:
            await raw_cas_on("one")

        async def raw_create(i: int, c: int) -> None:
            doc_id = f"{run}-new-{i}"
            if await fresh.find_one({"_id": doc_id}) is None:
                await fresh.insert_one({"_id": doc_id, "version": 1, "balance": 1})

        async def raw_all_update(i: int, c: int) -> None:
            await raw_rr(i, c)
            await raw_cas_on(f"c{c}", cas_c)
            await raw_js(i, c)

        async def raw_all_create(i: int, c: int) -> None:
            await raw_rr(i, c)
            await raw_create(i + 10_000_000, c)
            await raw_js(i, c)

        await cas.insert_one({"_id": "one", "version": 0, "balance": 0})
        await cas_c.insert_many([{"_id": f"c{k}", "version": 0, "balance": 0}
                                 for k in range(clients)])

        print(f"raw servers (n={n}; ×c = {clients} concurrent clients):", flush=True)
        show("raw request/reply", await measure(raw_rr, n, warmup))
        show("raw JetStream publish+ack", await measure(raw_js, n, warmup))
        show("raw Mongo CAS (find+update)", await measure(raw_cas, n, warmup))
        show("raw Mongo create (find+insert)", await measure(raw_create, n, warmup))
        # The same compare-and-set in the collection the creates just filled: on FerretDB an
        # update costs more as the collection grows (context for the create path, whose
        # outbox clean-up updates a growing collection).
        await fresh.insert_one({"_id": "one", "version": 0, "balance": 0})

        async def raw_cas_full(i: int, c: int) -> None:
            await raw_cas_on("one", fresh)

        show(f"raw Mongo CAS, {n + warmup + 1} docs in coll",
             await measure(raw_cas_full, n, warmup))
        await fresh.delete_many({})
        show("raw request/reply ×c", await measure(raw_rr, n, warmup, clients))
        show("raw JetStream publish+ack ×c", await measure(raw_js, n, warmup, clients))
        show("raw RR+CAS+JS update ×c", await measure(raw_all_update, n, warmup, clients))
        show("raw RR+find/insert+JS create ×c", await measure(raw_all_create, n, warmup, clients))

        # ---- govbus ----
        # Streams provisioned as `govbus streams sync` does, for the ledger plugin.
        await sync_streams(js, [ledger.CONTRACT], settings)
        _probe_publications()
        PROBE.database = settings.database_name("ledger")
        host = Host([ledger.service], settings)
        await host.start()
        client_broker = make_broker(settings)  # the caller's own connection, like the gateway
        await client_broker.connect()

        async def deposit(account: str) -> None:
            reply = await request(client_broker, ledger.DEPOSIT,
                                  {"account": account, "amount": 1})
            assert "balance" in reply, reply

        async def gov_create(i: int, c: int) -> None:
            await deposit(f"bench-{run}-new-{i}")

        async def gov_update(i: int, c: int) -> None:
            await deposit(f"bench-{run}-one")

        async def gov_create_c(i: int, c: int) -> None:
            await deposit(f"bench-{run}-cnew-{i}")

        async def gov_update_c(i: int, c: int) -> None:
            await deposit(f"bench-{run}-c{c}")

        accounts = mongo[settings.database_name("ledger")]["accounts"]

        async def clear() -> None:
            # Each case starts from the same (empty) collection as its raw counterpart.
            await accounts.delete_many({"_id": {"$regex": f"^bench-{run}-"}})

        await clear()
        print(f"govbus command round trip (n={n}; ×c = {clients} concurrent clients):",
              flush=True)
        show("govbus deposit, update one account", await measure(gov_update, n, warmup))
        await clear()
        show(f"govbus deposit, update {clients} accts ×c",
             await measure(gov_update_c, n, warmup, clients))
        await clear()
        show("govbus deposit, create", await measure(gov_create, n, warmup))
        await clear()
        show("govbus deposit, create ×c", await measure(gov_create_c, n, warmup, clients))
    finally:
        if client_broker is not None:
            await stop_broker(client_broker)
        if host is not None:
            await host.stop()
        try:
            await raw_db.client.drop_database(RAW_DB)
            if servers.kind == "configured":  # leave nothing of this run behind
                await mongo[settings.database_name("ledger")]["accounts"].delete_many(
                    {"_id": {"$regex": f"^bench-{run}-"}})
            await js.delete_stream(RAW_STREAM)
        except Exception as exc:  # cleanup is best effort; the servers may be gone
            print(f"(cleanup: {exc!r})", file=sys.stderr)
        await mongo.close()
        await nc.close()
        await server_nc.close()

    return {"results": results, "servers": info, "run": run}


def ratios(r: dict[str, Stats], clients: int) -> dict[str, Any]:
    rr, jsp = r["raw request/reply"], r["raw JetStream publish+ack"]
    cas, create = r["raw Mongo CAS (find+update)"], r["raw Mongo create (find+insert)"]
    floor_update = rr.median_ms + jsp.median_ms + cas.median_ms
    floor_create = rr.median_ms + jsp.median_ms + create.median_ms
    floor_update_p95 = rr.p95_ms + jsp.p95_ms + cas.p95_ms
    cas_full = next(v for k, v in r.items() if k.startswith("raw Mongo CAS, "))
    gc, gu = r["govbus deposit, create"], r["govbus deposit, update one account"]
    gcc, guc = r["govbus deposit, create ×c"], r[f"govbus deposit, update {clients} accts ×c"]
    rawu, rawc = r["raw RR+CAS+JS update ×c"], r["raw RR+find/insert+JS create ×c"]
    return {
        "raw_floor_ms": {"update": floor_update, "create": floor_create,
                         "update_p95_sum": floor_update_p95},
        "latency_overhead": {
            # the ratio the brief names: govbus / (raw RR + raw JS publish + raw CAS write)
            "create_vs_rr_js_cas": gc.median_ms / floor_update,
            "update_vs_rr_js_cas": gu.median_ms / floor_update,
            # the create path measured against a raw find+insert instead of find+update
            "create_vs_rr_js_insert": gc.median_ms / floor_create,
            "update_p95_vs_p95_sum": gu.p95_ms / floor_update_p95,
        },
        "throughput": {
            "update_vs_raw": guc.throughput_per_s / rawu.throughput_per_s,
            "create_vs_raw": gcc.throughput_per_s / rawc.throughput_per_s,
            "sequential_update_vs_raw_floor": gu.throughput_per_s / (1000.0 / floor_update),
        },
        "update_one_account_drift": gu.last_fifth_median_ms / gu.first_fifth_median_ms,
        # how much dearer one raw CAS is in a collection of n documents than alone in one
        "raw_cas_collection_size_effect": cas_full.median_ms / cas.median_ms,
    }


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=_positive, default=300, help="timed iterations per case (300)")
    parser.add_argument("--warmup", type=int, default=None,
                        help="untimed iterations before each case (default: max(10, n/10))")
    parser.add_argument("--clients", type=_positive, default=8, help="concurrent clients (8)")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"JSON file ({RESULTS})")
    parser.add_argument("--quick", action="store_true",
                        help="the scale part on 1 000 / 5 000 / 20 000 instead of up to 100 000")
    parser.add_argument("--scale-n", type=_positive, default=100,
                        help="timed calls per case of the scale part (100)")
    parser.add_argument("--no-scale", action="store_true", help="skip the scale part")
    parser.add_argument("--no-supervision", action="store_true",
                        help="skip the supervision part (assign_item, LEDGER at 10 000 items)")
    parser.add_argument("--supervision-items", type=_positive, default=SUPERVISION_ITEMS,
                        help=f"items stored for the LEDGER case ({SUPERVISION_ITEMS})")
    args = parser.parse_args()
    if args.warmup is None:
        args.warmup = max(10, args.n // 10)
    configure_logging("WARNING", "console")

    async def guarded(servers: Servers) -> dict[str, Any]:
        # Ctrl-C or SIGTERM cancel the bench, whose clean-up then runs before the servers stop.
        task, loop = asyncio.current_task(), asyncio.get_running_loop()
        assert task is not None
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
        return await bench(args, servers)

    async def guarded_supervision(servers: Servers) -> dict[str, Any]:
        task, loop = asyncio.current_task(), asyncio.get_running_loop()
        assert task is not None
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)

        def shown(name: str, s: Stats) -> Stats:
            print(f"  {name:<44} median {s.median_ms:7.2f} ms   p95 {s.p95_ms:7.2f} ms   "
                  f"{s.throughput_per_s:8.1f}/s   cpu {s.cpu_ms_per_op:5.2f} ms/op", flush=True)
            if s.breakdown_ms_per_op:
                parts = ", ".join(f"{k} {v:.2f}" for k, v in s.breakdown_ms_per_op.items())
                print(f"      time per command in: {parts} ms", flush=True)
            return s

        sv = await supervision_bench(servers, measure, args.n, args.warmup,
                                     items=args.supervision_items, probe=PROBE)
        for name, s in sv["results"].items():
            shown(name, s)
        return sv

    async def guarded_scale(servers: Servers) -> dict[str, Any]:
        task, loop = asyncio.current_task(), asyncio.get_running_loop()
        assert task is not None
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
        return await scale_bench(servers, quick=args.quick, n=args.scale_n)

    started = time.perf_counter()
    with Servers() as servers:
        print(f"servers: {servers.kind}  nats {servers.nats_url}  mongo {servers.mongo_url}",
              flush=True)
        try:
            out = asyncio.run(guarded(servers))
            sv_out = None
            if not args.no_supervision:
                sv_out = asyncio.run(guarded_supervision(servers))
            scale_out = None
            if not args.no_scale:
                # The scale part makes the relay's publish fail on purpose: no warnings.
                configure_logging("ERROR", "console")
                scale_out = asyncio.run(guarded_scale(servers))
        except asyncio.CancelledError:
            print("\ninterrupted: nothing written", file=sys.stderr)
            return 130
    elapsed = time.perf_counter() - started
    r: dict[str, Stats] = out["results"]
    rat = ratios(r, args.clients)

    lat, thr = rat["latency_overhead"], rat["throughput"]
    print()
    print(f"raw floor for one command (median RR + JS publish + Mongo CAS): "
          f"{rat['raw_floor_ms']['update']:.2f} ms")
    print("govbus overhead factor (govbus median latency / raw floor; 1.0 = no overhead):")
    print(f"  update one account            {lat['update_vs_rr_js_cas']:5.2f}x")
    print(f"  create (vs floor with CAS)    {lat['create_vs_rr_js_cas']:5.2f}x")
    print(f"  create (vs floor with insert) {lat['create_vs_rr_js_insert']:5.2f}x")
    print(f"  update, p95 / sum of raw p95  {lat['update_p95_vs_p95_sum']:5.2f}x")
    print(f"throughput ratio, {args.clients} clients (govbus / raw RR+Mongo+JS; 1.0 = as fast):")
    print(f"  update ({args.clients} accounts)          {thr['update_vs_raw']:5.2f}")
    print(f"  create                        {thr['create_vs_raw']:5.2f}")
    print(f"drift on one account (last fifth / first fifth median): "
          f"{rat['update_one_account_drift']:.2f}")
    print(f"raw CAS in a filled collection / raw CAS alone: "
          f"{rat['raw_cas_collection_size_effect']:.2f}")

    sv_rat = None
    if sv_out is not None:
        sv_rat = supervision_ratios(sv_out, r, rat["raw_floor_ms"]["update"])
        print(f"supervision (issue 13), {sv_out['items']} items stored:")
        print(f"  assign_item / raw floor (RR + JS + CAS)        "
              f"{sv_rat['assign_item_vs_rr_js_cas']:5.2f}x")
        print(f"  LEDGER page as the office / raw RR + find_one  "
              f"{sv_rat['ledger_office_vs_rr_find']:5.2f}x")
        print(f"  LEDGER page as a handler / raw RR + find_one   "
              f"{sv_rat['ledger_handler_vs_rr_find']:5.2f}x")
        print(f"  RATES of all items / raw RR + find_one         "
              f"{sv_rat['rates_vs_rr_find']:5.2f}x")

    goals = scale_ratios(scale_out, rat) if scale_out is not None else []
    if goals:
        print_goals(goals)

    report = {
        "generated_at": datetime.now(UTC).isoformat(),
        "run_id": out["run"],
        "elapsed_seconds": round(elapsed, 1),
        "parameters": {"n": args.n, "warmup": args.warmup, "clients": args.clients},
        "machine": {
            "cores": os.cpu_count(),
            "platform": platform.platform(),
            "machine": platform.machine(),
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
        },
        "servers": {"kind": servers.kind, **out["servers"],
                    "ferretdb_backend": "SQLite" if servers.kind == "local" else "as configured",
                    "jetstream_sync": "always (local config)" if servers.kind == "local"
                    else "as configured"},
        "results": {name: asdict(s) for name, s in r.items()},
        "ratios": rat,
        "supervision": None if sv_out is None else {
            **{k: v for k, v in sv_out.items() if k != "results"},
            "results": {name: asdict(s) for name, s in sv_out["results"].items()},
            "ratios": sv_rat},
        "scale": scale_out,
        "goals": goals,
        "notes": [
            "Everything (client, govbus Host or raw responder) runs in one Python process "
            "and event loop; the servers run on the same machine.",
            "Ratios are the result; absolute times depend on the machine and servers.",
        ],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}"
          f" ({elapsed:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
