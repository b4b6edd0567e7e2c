"""govbus benchmark: Chinese full-text search of 公文, as RATIOS against the raw servers.

Run: ``make bench-search`` or ``.venv/bin/python bench/search.py [--docs 2000 20000] [--n 200]``.

For each corpus size it fills a database of its own with generated 收文/发文 (sentences of
the tests' office vocabulary, ``govbus_testing.office_corpus``, the same for a seed; one in
twenty 秘密), lets the documents service build its index, and measures:

  1. raw request/reply: ``nc.request`` to a trivial nats-py responder (one bus round trip);
  2. raw Mongo lookup: ``find_one({_id})`` in the same 发文 collection (one stored read, which
     on FerretDB scans the collection: it uses no index);
  3. govbus search: ``search_documents`` over the bus to the documents service in a ``Host``,
     with queries of one to three words drawn from those sentences, as a leader (sees all) and as a
     department's handler (sees its own): the full path a gateway request takes.

The ratio is govbus search / (raw request/reply + raw lookup): below 1.0 the whole ranked search
costs less than one round trip plus one stored read of a document. Nothing here asserts a timing.
Also reported: the time to build the index from nothing (the sweep), per 1000 documents. The
documents are valid 收文 and 发文 as the repository stores them, and the timings start once
the service's start-up scans are done (lists loaded, the index's full pass).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import nats
from pymongo import AsyncMongoClient
from run import Servers, Stats, measure

from govbus_contracts.envelope import Principal
from govbus_contracts.services.documents.archive import SEARCH_DOCUMENTS
from govbus_contracts.services.documents.common import (
    Classification,
    ClassificationMark,
    DisclosureAttribute,
    DocType,
)
from govbus_contracts.services.documents.incoming import IncomingStatus
from govbus_contracts.services.documents.outgoing import OutgoingStatus
from govbus_documents import indexing
from govbus_documents.domain.incoming import IncomingDocument
from govbus_documents.domain.outgoing import OutgoingDocument
from govbus_documents.handlers.incoming import INCOMING_LIST
from govbus_documents.handlers.outgoing import OUTGOING_LIST
from govbus_documents.plugin import service
from govbus_kit.bus import make_broker, request, stop_broker
from govbus_kit.domain import Aggregate
from govbus_kit.due import DUE_COLLECTION
from govbus_kit.logging import configure_logging
from govbus_kit.outbox import MARKERS_MIGRATION, MIGRATIONS
from govbus_kit.principal import new_key_pair
from govbus_kit.runtime import Host
from govbus_kit.storedindex import StoredIndex
from govbus_kit.streams import sync_streams
from govbus_testing import IsolatedSettings
from govbus_testing.office_corpus import sentences

ROOT = Path(__file__).resolve().parent.parent

RESULTS = ROOT / "bench" / "results" / "search.json"
DEPARTMENTS = ["教育局", "财政局", "审计局", "民政局", "卫健委", "自然资源局", "生态环境局"]
AGENCIES = ["宜府办发", "宜府发", "宜府办函", "宜府函"]
LEADER = Principal(subject="u-leader", roles=frozenset({"leader"}))
HANDLER = Principal(subject="u-edu", roles=frozenset({"handler"}), department="教育局")


DOC_TYPES = {"的通知": DocType.notice, "的意见": DocType.opinion, "的报告": DocType.report,
             "的请示": DocType.request_for_instruction, "的函": DocType.letter}


def corpus(n: int, rng: random.Random, pool: list[str]) -> list[tuple[str, dict[str, Any]]]:
    """收文 (办理中) and 发文 (已核发) as the repository stores them: valid aggregates
    (``IncomingDocument``, ``OutgoingDocument``), so that the services read them as they read
    their own (the list projections, the search index)."""
    out = []
    for i in range(n):
        year = 2024 + i % 3
        written = date(year, 1 + i % 9, 10 + i % 10)
        at = datetime(year, written.month, written.day, 9, tzinfo=UTC)
        ending = rng.choice(list(DOC_TYPES))
        level = Classification.secret if i % 20 == 0 else Classification.none
        mark = ClassificationMark(level=level, period="10年" if i % 20 == 0 else None)
        common: dict[str, Any] = {
            "id": f"b-{i:06d}", "version": 3,
            "title": "关于" + rng.choice(pool)[:rng.randint(8, 20)] + ending,
            "body": "。".join(rng.sample(pool, rng.randint(6, 16))) + "。",
            "doc_type": DOC_TYPES[ending], "classification": mark,
            "classification_level": level, "departments": rng.sample(DEPARTMENTS, 2)}
        agency, serial = rng.choice(AGENCIES), i + 1
        number = f"{agency}〔{year}〕{serial}号"
        doc: Aggregate
        if i % 2:
            doc = OutgoingDocument(
                **common, status=OutgoingStatus.dispatched,
                disclosure=DisclosureAttribute.on_request,
                issuer_code=agency, issuing_organ="宜昌市人民政府办公室",
                drafting_department=common["departments"][0], drafter="u-bench",
                drafted_at=at, date_of_writing=written, doc_number=number, number_year=year,
                number_serial=serial, dispatched_at=at)
            out.append(("outgoing", stored(doc)))
        else:
            doc = IncomingDocument(
                **common, status=IncomingStatus.in_handling,
                registration_number=f"收{year}-{serial:05d}", registration_year=year,
                registration_serial=serial, issuer_doc_number=number,
                issuer=rng.choice(["中共宜昌市委办公室", "宜昌市财政局"]), received_on=written,
                registered_at=at)
            out.append(("incoming", stored(doc)))
    return out


def stored(doc: Aggregate) -> dict[str, Any]:
    """An aggregate as the repository writes it (``_id``, its fields, empty ledgers)."""
    return {"_id": doc.id, **doc.model_dump(mode="json", exclude={"id"}),
            "_outbox": [], "_commands": [], "_applied": []}


async def start_up_done(host: Host, db: Any) -> None:
    """Wait for the start-up scans of a service on a database it has not seen (the list
    projections' loads, the search index's full pass, the due-date backfill, the marker
    migration): they run in the background, and are not what the search costs after."""
    context = host.contexts[service.name]
    for declared in (INCOMING_LIST, OUTGOING_LIST):
        await declared.of(context).ensure_loading()
    index = indexing.index_of(context)
    while not (index.full_pass_done(db)  # noqa: ASYNC110 - state in another task and the store
               and await db[DUE_COLLECTION].find_one({"_id": "incoming/backfilled"})
               and await db[MIGRATIONS].find_one({"_id": MARKERS_MIGRATION})):
        await asyncio.sleep(0.2)


def queries(rng: random.Random, pool: list[str], k: int) -> list[str]:
    out = []
    for _ in range(k):
        words = []
        for _ in range(rng.randint(1, 3)):
            s = rng.choice(pool)
            start = rng.randrange(max(1, len(s) - 4))
            words.append(s[start:start + rng.randint(2, 4)])
        out.append(" ".join(words))
    return out


async def one_size(servers: Servers, docs: int, n: int, warmup: int) -> dict[str, Any]:
    rng = random.Random(docs)
    pool = sentences(seed=20260302)
    db_name = f"govbus_bench_search_{docs}_{int(time.time())}"
    # Its broker signs the principal as the gateway's does (services accept no other).
    settings = IsolatedSettings(nats_url=servers.nats_url, mongo_url=servers.mongo_url,
                                database=db_name, principal_signing_key=new_key_pair()[0])
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(servers.mongo_url)
    db = mongo[db_name]
    nc = await nats.connect(servers.nats_url)
    responder = await nats.connect(servers.nats_url)
    try:
        generated = corpus(docs, rng, pool)
        for collection in ("incoming", "outgoing"):
            batch = [d for c, d in generated if c == collection]
            for k in range(0, len(batch), 1000):
                await db[collection].insert_many(batch[k:k + 1000])
        t0 = time.perf_counter()
        await StoredIndex(indexing.SPEC).sweep(db)  # as the service's full pass builds it
        build_s = time.perf_counter() - t0

        await sync_streams(nc.jetstream(), [service.contract], settings)
        host = Host([service], settings)
        await host.start()
        await start_up_done(host, db)
        broker = make_broker(settings)
        await broker.start()

        async def echo(msg: Any) -> None:
            await msg.respond(b'{"ok":true}')

        await responder.subscribe("govbus.bench.search.echo", cb=echo)
        await responder.flush()
        ids = [d["_id"] for c, d in generated if c == "outgoing"]
        qs = queries(rng, pool, 200)
        try:
            results: dict[str, Stats] = {}
            results["raw request/reply"] = await measure(
                lambda i, c: nc.request("govbus.bench.search.echo", b"{}", timeout=5),
                n, warmup)
            results["raw Mongo find_one in the collection"] = await measure(
                lambda i, c: db["outgoing"].find_one({"_id": ids[i % len(ids)]}), n, warmup)
            hits: list[int] = []

            async def search_as(who: Principal, i: int) -> None:
                reply = await request(broker, SEARCH_DOCUMENTS, {"q": qs[i % len(qs)]},
                                      principal=who, timeout=30)
                hits.append(int(reply["total"]))

            results["govbus search, leader"] = await measure(
                lambda i, c: search_as(LEADER, i), n, warmup)
            results["govbus search, department handler"] = await measure(
                lambda i, c: search_as(HANDLER, i), n, warmup)
        finally:
            await stop_broker(broker)
            await host.stop()
        floor = (results["raw request/reply"].median_ms
                 + results["raw Mongo find_one in the collection"].median_ms)
        return {
            "documents": docs,
            "index_build_seconds_per_1000": round(build_s / docs * 1000, 3),
            "mean_matches_per_query": round(sum(hits) / max(1, len(hits)), 1),
            "results": {k: v.__dict__ for k, v in results.items()},
            "ratios": {
                "search_leader_vs_rr_plus_lookup":
                    round(results["govbus search, leader"].median_ms / floor, 3),
                "search_handler_vs_rr_plus_lookup":
                    round(results["govbus search, department handler"].median_ms / floor, 3),
                "search_leader_p95_vs_rr_plus_lookup_p95": round(
                    results["govbus search, leader"].p95_ms
                    / (results["raw request/reply"].p95_ms
                       + results["raw Mongo find_one in the collection"].p95_ms), 3),
            },
        }
    finally:
        await mongo.drop_database(db_name)
        await mongo.close()
        await nc.close()
        await responder.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--n", type=int, default=200, help="timed calls per case (200)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    configure_logging("WARNING", "console")
    warmup = max(10, args.n // 10)
    sizes = []
    with Servers() as servers:
        print(f"servers: {servers.kind}  nats {servers.nats_url}  mongo {servers.mongo_url}")
        for docs in args.docs:
            r = asyncio.run(one_size(servers, docs, args.n, warmup))
            sizes.append(r)
            res = r["results"]
            print(f"\n{docs} documents (index built in {r['index_build_seconds_per_1000']} s "
                  f"per 1000; {r['mean_matches_per_query']} matches per query on average)")
            for name, s in res.items():
                print(f"  {name:40s} median {s['median_ms']:8.2f} ms   p95 {s['p95_ms']:8.2f} ms")
            for name, v in r["ratios"].items():
                print(f"  {name:40s} {v:8.3f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"generated_at": datetime.now(UTC).isoformat(),
                                    "servers": servers.kind, "sizes": sizes},
                                   ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
