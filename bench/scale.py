"""govbus benchmark, issue 10: does a command cost the same at 100 000 stored aggregates as at
1 000? Part of ``make bench`` (``bench/run.py`` calls ``scale_bench``); runnable alone:
``.venv/bin/python bench/scale.py [--quick]``.

One database is filled once and grown (1 000 → 10 000 → 100 000 aggregates; ``--quick``:
1 000 → 5 000 → 20 000), 1 000 documents per ``insert_many``, shaped as the repository writes
them (``_id``, ``version``, the state's fields, an empty ``_outbox``; nothing of the kit's
ledgers, which are changing). At each size, in the same run:

  - raw ``find_one({_id})`` and a raw compare-and-set ``update_one({_id, version})``;
  - one govbus command (the test-only ledger's ``deposit``) over the bus, each on another
    stored aggregate, the newest first (a scan of FerretDB pays most for those);
  - the outbox sweep (``OutboxRelay.sweep_once()``) with 10 aggregates pending: 10 real
    commands are sent while the relay's publish fails, so the repository leaves their events
    in the outbox as after a broker outage; every timed sweep finds the 10 and tries them
    (the publish still fails); then the publish comes back and one sweep sends them.
Once, at the smallest size: the 1 000 first commands on one aggregate (the last 20 against
the first 20: does an aggregate's history weigh on its commands?).

Then the documents service: as many 收文 as the largest size, filled directly as the service
stores them (``IncomingDocument`` dumped as the repository does), the search index built by
its sweep, and only then a ``Host`` started (so its start-up loading is part of the run);
measured: a raw ``find_one({_id})`` in ``incoming``, a list page (``list_incoming`` as a
department's handler, 20 items) and a search (``search_documents`` as that handler), each
against the raw lookup. A case slower than its time budget stops early (reported ``n``).

Nothing asserts a timing; ``ratios()`` turns the numbers into the goals' ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import nats
from pymongo import AsyncMongoClient

from govbus_contracts.envelope import Principal
from govbus_contracts.services.documents.archive import SEARCH_DOCUMENTS
from govbus_contracts.services.documents.common import (
    Classification,
    ClassificationMark,
    DocType,
)
from govbus_contracts.services.documents.incoming import (
    LIST_INCOMING,
    IncomingStatus,
)
from govbus_documents import indexing
from govbus_documents.domain.incoming import IncomingDocument, registration_number
from govbus_documents.handlers.incoming import INCOMING_LIST
from govbus_documents.plugin import service as documents_service
from govbus_kit import outbox
from govbus_kit.bus import make_broker, request, stop_broker
from govbus_kit.due import DUE_COLLECTION
from govbus_kit.outbox import MARKERS_MIGRATION, MIGRATIONS
from govbus_kit.principal import new_key_pair
from govbus_kit.runtime import Host
from govbus_kit.storedindex import StoredIndex
from govbus_kit.streams import sync_streams
from govbus_testing import IsolatedSettings
from govbus_testing.office_corpus import sentences
from govbus_testplugins import ledger

ROOT = Path(__file__).resolve().parent.parent

SIZES = [1_000, 10_000, 100_000]
QUICK_SIZES = [1_000, 5_000, 20_000]
BATCH = 1_000
PENDING = 10
HISTORY = 1_000  # commands on one aggregate
EDGE = 20  # the first and the last commands compared
DEPARTMENTS = ["教育局", "财政局", "审计局", "民政局", "卫健委", "自然资源局", "生态环境局"]
HANDLER = Principal(subject="u-edu", roles=frozenset({"handler"}), department="教育局")


# --- measuring ------------------------------------------------------------------------------


def summary(lat_ms: list[float]) -> dict[str, float]:
    ordered = sorted(lat_ms)
    return {"n": len(ordered), "median_ms": statistics.median(ordered),
            "p95_ms": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]}


async def timed(op: Callable[[int], Awaitable[Any]], n: int, warmup: int,
                budget_s: float = 120.0) -> dict[str, float]:
    """``warmup`` untimed calls, then up to ``n`` timed ones; stops early (at least one call)
    once ``budget_s`` is spent, so that a case that scans cannot stall the run (one warm-up
    call is enough for a case that slow)."""
    for i in range(warmup):
        t0 = time.perf_counter()
        await op(i)
        if time.perf_counter() - t0 > budget_s / 10:
            break
    lat: list[float] = []
    started = time.perf_counter()
    for i in range(warmup, warmup + n):
        t0 = time.perf_counter()
        await op(i)
        lat.append((time.perf_counter() - t0) * 1000)
        if time.perf_counter() - started > budget_s:
            break
    return summary(lat)


def show(name: str, s: dict[str, float]) -> None:
    print(f"  {name:<46} median {s['median_ms']:9.2f} ms   p95 {s['p95_ms']:9.2f} ms"
          f"   (n={s['n']:.0f})", flush=True)


async def fill(collection: Any, start: int, stop: int, make: Callable[[int], dict[str, Any]],
               what: str) -> float:
    t0 = time.perf_counter()
    for lo in range(start, stop, BATCH):
        await collection.insert_many([make(i) for i in range(lo, min(lo + BATCH, stop))],
                                     ordered=False)
        done = min(lo + BATCH, stop)
        if done % 10_000 == 0 or done == stop:
            print(f"    filled {done:>7} {what} ({time.perf_counter() - t0:.0f} s)", flush=True)
    return time.perf_counter() - t0


class PublishSwitch:
    """Makes the relay's JetStream publish fail on demand, as during a broker outage: the
    repository then leaves the events in the aggregate's outbox for the sweeper."""

    def __init__(self) -> None:
        self.failing = False
        original = outbox.publish_entry

        async def publish_entry(*args: Any, **kwargs: Any) -> Any:
            if self.failing:
                raise ConnectionError("bench: the broker is away")
            return await original(*args, **kwargs)

        outbox.publish_entry = publish_entry  # type: ignore[assignment]


# --- the ledger: a command and the sweep as the collection grows --------------------------


def account(i: int) -> dict[str, Any]:
    # As the repository writes a ledger Account: _id, version, the state's fields, _outbox.
    return {"_id": f"acct-{i:06d}", "version": 1, "balance": 1, outbox.OUTBOX: []}


async def ledger_part(servers: Any, sizes: list[int], n: int, warmup: int,
                      switch: PublishSwitch) -> dict[str, Any]:
    run = uuid.uuid4().hex[:8]
    # The background sweeper is held off (it would run beside the timed sweeps); no grace,
    # so that the pending events are due at once.
    settings = IsolatedSettings(
        nats_url=servers.nats_url, mongo_url=servers.mongo_url, log_level="ERROR",
        database=f"govbus_bench_scale_{run}", outbox_sweep_seconds=3600.0,
        outbox_grace_seconds=0.0)
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(servers.mongo_url, tz_aware=True)
    db = mongo[settings.database]
    accounts = db["accounts"]
    nc = await nats.connect(servers.nats_url)
    await sync_streams(nc.jetstream(), [ledger.CONTRACT], settings)
    host = Host([ledger.service], settings)
    await host.start()
    broker = make_broker(settings)
    await broker.connect()
    out: dict[str, Any] = {"sizes": {}}

    async def deposit(account_id: str) -> None:
        reply = await request(broker, ledger.DEPOSIT, {"account": account_id, "amount": 1},
                              timeout=600)
        assert "balance" in reply, reply

    async def at_size(size: int) -> dict[str, Any]:
        rng = random.Random(size)
        at: dict[str, Any] = {}

        async def raw_find(i: int) -> None:
            await accounts.find_one({"_id": f"acct-{rng.randrange(size):06d}"})

        async def raw_cas(i: int) -> None:
            # the newest aggregates; each once (no history builds up)
            doc_id = f"acct-{size - 1 - i:06d}"
            doc = await accounts.find_one({"_id": doc_id})
            assert doc is not None
            result = await accounts.update_one(
                {"_id": doc_id, "version": doc["version"]},
                {"$set": {"version": doc["version"] + 1, "balance": doc["balance"] + 1}})
            assert result.modified_count == 1

        at["raw find_one by _id"] = await timed(raw_find, n, warmup)
        show(f"raw find_one by _id at {size}", at["raw find_one by _id"])
        at["raw CAS find+update"] = await timed(raw_cas, n, warmup)
        show(f"raw CAS find+update at {size}", at["raw CAS find+update"])
        offset = n + warmup  # past the aggregates the raw CAS touched

        async def command(i: int) -> None:
            await deposit(f"acct-{size - 1 - offset - i:06d}")

        at["govbus command"] = await timed(command, n, warmup)
        show(f"govbus command at {size}", at["govbus command"])

        # 10 pending: real commands while the publish fails, spread over the collection.
        switch.failing = True
        try:
            for k in range(PENDING):
                await deposit(f"acct-{(k * size) // PENDING:06d}")

            async def sweep(i: int) -> None:
                await host.relay.sweep_once()

            at["outbox sweep, 10 pending"] = await timed(sweep, max(10, n // 5), 2)
        finally:
            switch.failing = False
        touched = await db["_touched"].count_documents({})
        published = await host.relay.sweep_once()
        at["outbox sweep, 10 pending"].update(touched_markers=touched, published=published)
        show(f"outbox sweep, 10 pending at {size} ({touched} markers)",
             at["outbox sweep, 10 pending"])
        if published < PENDING:
            print(f"    (the sweep after the outage published {published}, "
                  f"not {PENDING})", flush=True)

        if size == sizes[0]:
            hot = f"hot-{run}"
            lat: list[float] = []
            for _ in range(HISTORY):
                t0 = time.perf_counter()
                await deposit(hot)
                lat.append((time.perf_counter() - t0) * 1000)
            # The first command creates the aggregate (an insert): updates are compared
            # with updates, commands 2-21 with the last 20.
            out["one aggregate"] = {"first": summary(lat[1:EDGE + 1]),
                                    "last": summary(lat[-EDGE:]), "commands": HISTORY}
            show(f"one aggregate, commands 2-{EDGE + 1}", out["one aggregate"]["first"])
            show(f"one aggregate, commands {HISTORY - EDGE + 1}-{HISTORY}",
                 out["one aggregate"]["last"])
        return at

    try:
        stored = 0
        for size in sizes:
            print(f"  ledger accounts: growing to {size}", flush=True)
            await fill(accounts, stored, size, account, "accounts")
            stored = size
            out["sizes"][str(size)] = await at_size(size)
    finally:
        await stop_broker(broker)
        await host.stop()
        await mongo.drop_database(settings.database)
        await mongo.close()
        await nc.close()
    return out


# --- the documents service: a list page and a search at the largest size ------------------


def own_database(servers: Any, database: str, log_level: str) -> IsolatedSettings:
    """Settings of a bench case on a database of its own, whose requests carry principals
    (signed with a key of this run)."""
    return IsolatedSettings(nats_url=servers.nats_url, mongo_url=servers.mongo_url,
                            log_level=log_level, database=database,
                            principal_signing_key=new_key_pair()[0])


async def close_case(broker: Any, host: Host | None, mongo: Any, database: str, nc: Any) -> None:
    """The end of a case on a database of its own: its caller and Host stopped, its database
    dropped, its connections closed."""
    if broker is not None:
        await stop_broker(broker)
    if host is not None:
        await host.stop()
    await mongo.drop_database(database)
    await mongo.close()
    await nc.close()


def incoming_maker(pool: list[str]) -> Callable[[int], dict[str, Any]]:
    base = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)

    def make(i: int) -> dict[str, Any]:
        rng = random.Random(i)
        year = 2026
        registered = base + timedelta(minutes=7 * i)
        status = rng.choice([IncomingStatus.registered, IncomingStatus.in_handling,
                             IncomingStatus.completed, IncomingStatus.awaiting_proposal])
        level = Classification.secret if i % 20 == 0 else Classification.none
        doc = IncomingDocument(
            id=f"in-{i:06d}", status=status,
            registration_number=registration_number(year, i + 1), registration_year=year,
            registration_serial=i + 1,
            title="关于" + rng.choice(pool)[:rng.randint(8, 20)] + rng.choice(
                ["的通知", "的意见", "的报告", "的请示", "的函"]),
            body="。".join(rng.sample(pool, rng.randint(4, 10))) + "。",
            doc_type=DocType.notice, issuer=rng.choice(["中共宜昌市委办公室", "宜昌市财政局"]),
            classification=ClassificationMark(level=level,
                                              period="10年" if level != Classification.none
                                              else None),
            classification_level=level, received_on=date(2026, 1, 5) + timedelta(days=i // 60),
            registered_at=registered, departments=rng.sample(DEPARTMENTS, 2),
        )
        # As the repository writes it (state dumped as JSON, without id and version).
        return {**doc.model_dump(mode="json", exclude={"id", "version"}),
                "_id": f"in-{i:06d}", "version": 1, outbox.OUTBOX: []}

    return make


async def documents_part(servers: Any, size: int, n: int, warmup: int) -> dict[str, Any]:
    run = uuid.uuid4().hex[:8]
    pool = sentences(seed=20260302)
    settings = own_database(servers, f"govbus_bench_lists_{run}", "ERROR")
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(servers.mongo_url, tz_aware=True)
    db = mongo[settings.database]
    nc = await nats.connect(servers.nats_url)
    out: dict[str, Any] = {"documents": size}
    host: Host | None = None
    broker = None
    try:
        print(f"  documents: filling {size} 收文", flush=True)
        out["fill_seconds"] = await fill(db["incoming"], 0, size, incoming_maker(pool), "收文")
        t0 = time.perf_counter()
        # The search index, as the service's periodic sweep builds it; the Host loads it as
        # at a start-up.
        await StoredIndex(indexing.SPEC).sweep(db)
        out["search_index_build_seconds"] = time.perf_counter() - t0
        print(f"    search index built ({out['search_index_build_seconds']:.0f} s)", flush=True)
        await sync_streams(nc.jetstream(), [documents_service.contract], settings)
        host = Host([documents_service], settings)
        t0 = time.perf_counter()
        await host.start()
        out["host_start_seconds"] = time.perf_counter() - t0
        print(f"    Host started ({out['host_start_seconds']:.1f} s)", flush=True)
        # The 收文 list is loaded by one scan at start-up, in the background; a list query
        # meanwhile waits a few seconds, then answers "unavailable". The page is timed after.
        t0 = time.perf_counter()
        await INCOMING_LIST.of(host.contexts[documents_service.name]).ensure_loading()
        out["list_load_seconds"] = time.perf_counter() - t0
        print(f"    收文 list loaded ({out['list_load_seconds']:.1f} s more)", flush=True)
        # The rest of a start-up on a database written before this version: the search
        # index's full pass, the due-date backfill and the outbox marker migration, each one
        # scan in the background. Timed, then out of the way of the measurements.
        t0 = time.perf_counter()

        async def start_up_done() -> bool:
            index = indexing.index_of(host.contexts[documents_service.name])
            return bool(index.full_pass_done(db)
                        and await db[DUE_COLLECTION].find_one({"_id": "incoming/backfilled"})
                        and await db[MIGRATIONS].find_one({"_id": MARKERS_MIGRATION}))

        while not await start_up_done():  # noqa: ASYNC110 - state in another task and the store
            await asyncio.sleep(0.5)
        out["other_start_up_scans_seconds"] = time.perf_counter() - t0
        print(f"    search full pass, due backfill, marker migration done "
              f"({out['other_start_up_scans_seconds']:.1f} s more)", flush=True)
        broker = make_broker(settings)
        await broker.connect()
        rng = random.Random(size)
        incoming = db["incoming"]
        words = [s[k:k + 2] for s in pool[:200] for k in range(0, 8, 4)]

        async def raw_find(i: int) -> None:
            await incoming.find_one({"_id": f"in-{rng.randrange(size):06d}"})

        async def list_page(i: int) -> None:
            reply = await request(broker, LIST_INCOMING, {"offset": 0, "limit": 20},
                                  principal=HANDLER, timeout=600)
            assert len(reply["items"]) == 20, reply["total"]

        async def search(i: int) -> None:
            await request(broker, SEARCH_DOCUMENTS, {"q": words[i % len(words)]},
                          principal=HANDLER, timeout=600)

        cases = out["results"] = {}
        cases["raw find_one by _id"] = await timed(raw_find, n, warmup)
        show(f"raw find_one by _id in 收文 at {size}", cases["raw find_one by _id"])
        cases["list page (handler, 20)"] = await timed(list_page, n, min(warmup, 3), 90)
        show(f"list_incoming as a handler at {size}", cases["list page (handler, 20)"])
        cases["search (handler)"] = await timed(search, n, min(warmup, 3), 90)
        show(f"search_documents as a handler at {size}", cases["search (handler)"])
    finally:
        await close_case(broker, host, mongo, settings.database, nc)
    return out


async def scale_bench(servers: Any, *, quick: bool, n: int) -> dict[str, Any]:
    sizes = QUICK_SIZES if quick else SIZES
    warmup = max(3, n // 10)
    switch = PublishSwitch()
    print(f"issue 10, the store's scale (sizes {sizes}, n={n}):", flush=True)
    return {"sizes": sizes, "quick": quick,
            "ledger": await ledger_part(servers, sizes, n, warmup, switch),
            "documents": await documents_part(servers, sizes[-1], n, warmup)}


# --- the goals ------------------------------------------------------------------------------


def ratios(scale: dict[str, Any], run: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The goals of issue 10 as rows: what, value (median; p95 where it says), goal, met."""
    rows: list[dict[str, Any]] = []

    def row(what: str, value: float, goal: str, met: bool | None) -> None:
        rows.append({"what": what, "value": round(value, 3), "goal": goal, "met": met})

    sizes = [str(s) for s in scale["sizes"]]
    small, large = scale["ledger"]["sizes"][sizes[0]], scale["ledger"]["sizes"][sizes[-1]]
    for case in ("govbus command", "raw find_one by _id", "raw CAS find+update"):
        for stat in ("median_ms", "p95_ms"):
            value = large[case][stat] / small[case][stat]
            goal = "≤ 1.3" if case == "govbus command" and stat == "median_ms" else ""
            row(f"{case} at {sizes[-1]} / at {sizes[0]} ({stat[:-3]})", value, goal,
                value <= 1.3 if goal else None)
    hot = scale["ledger"]["one aggregate"]
    for stat in ("median_ms", "p95_ms"):
        value = hot["last"][stat] / hot["first"][stat]
        row(f"last {EDGE} of {hot['commands']} commands on one aggregate / commands 2-{EDGE + 1}"
            f" ({stat[:-3]})", value, "≤ 1.3" if stat == "median_ms" else "",
            value <= 1.3 if stat == "median_ms" else None)
    sweep_small = small["outbox sweep, 10 pending"]
    sweep_large = large["outbox sweep, 10 pending"]
    for stat in ("median_ms", "p95_ms"):
        value = sweep_large[stat] / sweep_small[stat]
        row(f"outbox sweep, 10 pending, at {sizes[-1]} / at {sizes[0]} ({stat[:-3]})", value,
            "≈ 1 (independent)" if stat == "median_ms" else "",
            value <= 1.3 if stat == "median_ms" else None)
    docs = scale["documents"]["results"]
    floor = docs["raw find_one by _id"]
    for case in ("list page (handler, 20)", "search (handler)"):
        for stat in ("median_ms", "p95_ms"):
            value = docs[case][stat] / floor[stat]
            row(f"{case} at {scale['documents']['documents']} / raw find_one ({stat[:-3]})",
                value, "≤ 3" if stat == "median_ms" else "",
                value <= 3 if stat == "median_ms" else None)
    if run is not None:
        lat, thr = run["latency_overhead"], run["throughput"]
        row("overhead factor, create (vs RR + JS + CAS)", lat["create_vs_rr_js_cas"], "≤ 2.5",
            lat["create_vs_rr_js_cas"] <= 2.5)
        row("overhead factor, update one account", lat["update_vs_rr_js_cas"], "≤ 2.5",
            lat["update_vs_rr_js_cas"] <= 2.5)
        row("overhead, update one account, p95 / sum of raw p95", lat["update_p95_vs_p95_sum"],
            "", None)
        row("throughput ratio, update, 8 clients", thr["update_vs_raw"], "≥ 0.5",
            thr["update_vs_raw"] >= 0.5)
        row("throughput ratio, create, 8 clients", thr["create_vs_raw"], "≥ 0.5",
            thr["create_vs_raw"] >= 0.5)
    return rows


def print_goals(rows: list[dict[str, Any]]) -> None:
    print("\nissue 10 goals (ratios of medians unless it says p95; measured in this run):")
    for r in rows:
        mark = {True: "met", False: "NOT met", None: ""}[r["met"]]
        print(f"  {r['what']:<72} {r['value']:8.2f}  {r['goal']:<18} {mark}")


def main() -> int:
    import json

    from run import Servers  # the same servers as make bench

    from govbus_kit.logging import configure_logging

    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="sizes 1 000 / 5 000 / 20 000")
    parser.add_argument("--n", type=int, default=100, help="timed calls per case (100)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "scale.json")
    args = parser.parse_args()
    configure_logging("ERROR", "console")
    with Servers() as servers:
        scale = asyncio.run(scale_bench(servers, quick=args.quick, n=args.n))
    rows = ratios(scale, None)
    print_goals(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"generated_at": datetime.now(UTC).isoformat(),
                                    "scale": scale, "goals": rows}, ensure_ascii=False,
                                   indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
