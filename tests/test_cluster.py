"""The distributed engine tried for real (issue 11, item 5): production's 3-node NATS cluster
with R3 streams, on loopback (tests/cluster.py), the session's FerretDB as the store.

`govbus streams sync` against the cluster creates every stream with three replicas. Then a
burst of commands goes through the gateway (收文登记, and 发文 walked to 核发 as 主动公开 so
that the disclosure service's consumer applies the facts), by concurrent clients that retry
with the same Idempotency-Key until they get a 2xx, while the node leading GOV_DOCUMENTS is
killed with -9 mid-burst and restarted, and later the node the gateway is connected to,
made GOV_DOCUMENTS's leader again, likewise: never two nodes down at once (R3 keeps a
quorum of two). Afterwards nothing answered is missing or doubled, and the very same Host
and gateway served throughout: their connections failed over, nothing was restarted.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from pymongo import AsyncMongoClient

from govbus_contracts.envelope import H_ID, H_SUBJECT
from govbus_contracts.registry import all_contracts
from govbus_contracts.services.documents.outgoing import OUTGOING_DISPATCHED
from govbus_contracts.subjects import DEPARTMENTS_STREAM, DLQ_STREAM
from govbus_disclosure.domain.catalogue import entry_id_for_document
from govbus_disclosure.plugin import service as disclosure_service
from govbus_documents.plugin import service as documents_service
from govbus_gateway.app import create_app
from govbus_gateway.settings import GatewaySettings
from govbus_kit.bus import make_broker
from govbus_kit.runtime import Host
from govbus_kit.streams import sync_streams
from govbus_testing import OfficeClock, bearer, eventually
from govbus_testing.cluster import LocalCluster

pytestmark = [pytest.mark.servers, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
DOCUMENTS, DISCLOSURE = "GOV_DOCUMENTS", "GOV_DISCLOSURE"
CONSUMER = "disclosure-catalogue"  # disclosure's consumer of the dispatched 发文
STREAMS = sorted({c.stream for c in all_contracts()} | {DLQ_STREAM, DEPARTMENTS_STREAM})
SECRET = "cluster-secret-" + "k" * 40
ISSUER_CODE = "宜府办发"
CLIENTS = 6
BEFORE_SECONDS = 3.0  # the burst at full speed before the first kill
AFTER_SECONDS = 3.0  # and after the cluster is whole again
PROGRESS = 15  # answers after a kill before its node comes back ("the burst has gone on")
RECOVERY_LIMIT = 30.0  # a kill that leaves the burst without answers longer fails the test


class ClusterSettings(GatewaySettings):
    """Databases of this test's own (``govbus_<service>_<suffix>``): registers that start at
    1 and a catalogue that holds this burst's documents only."""

    suffix: str = ""

    def database_name(self, service: str) -> str:
        return f"govbus_{service}_{self.suffix}"


@pytest.fixture(scope="module")
def cluster(servers) -> Iterator[LocalCluster]:
    bin_dir = Path(os.environ.get("GOVBUS_BIN_DIR", REPO / ".bin"))
    with tempfile.TemporaryDirectory(prefix="govbus-cluster-") as root:
        started = LocalCluster(Path(root), bin_dir)
        started.start()
        try:
            yield started
        finally:
            started.stop()


@pytest.fixture
def cluster_settings(settings, cluster: LocalCluster) -> ClusterSettings:
    return ClusterSettings(**{**settings.model_dump(), "nats_url": cluster.nats_url,
                              "stream_replicas": 3, "suffix": uuid.uuid4().hex[:8],
                              # a lost ack is redelivered within the test's patience
                              "ack_wait_seconds": 10.0})


def govbus(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "govbus_ops.cli", *args], cwd=cwd,
                          env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=120, check=False)


async def test_streams_sync_against_the_cluster_creates_every_stream_with_three_replicas(
        cluster: LocalCluster, tmp_path: Path):
    """As deploy/ runs it: the operator's `govbus streams sync`, GOVBUS_NATS_URL listing the
    nodes, GOVBUS_STREAM_REPLICAS=3."""
    await cluster.wait_meta_leader()
    env = {"GOVBUS_NATS_URL": cluster.nats_url, "GOVBUS_STREAM_REPLICAS": "3"}
    synced = await asyncio.to_thread(govbus, tmp_path, env, "streams", "sync")
    assert synced.returncode == 0, synced.stderr
    said = dict(re.findall(r"stream (\S+): (\w+)", synced.stderr))
    assert set(said) == set(STREAMS) and set(said.values()) <= {"created", "unchanged"}, said
    for stream in STREAMS:
        info = await cluster.wait_stream(stream)
        assert info.config.num_replicas == 3, stream
        assert sorted([info.cluster.leader, *(r.name for r in info.cluster.replicas)]) == [
            "n1", "n2", "n3"], info.cluster
        assert all(r.current for r in info.cluster.replicas), info.cluster
    again = await asyncio.to_thread(govbus, tmp_path, env, "streams", "sync")
    assert again.returncode == 0, again.stderr
    assert set(re.findall(r"stream \S+: (\w+)", again.stderr)) == {"unchanged"}


async def test_streams_sync_waits_out_the_election_that_follows_a_nodes_death(
        cluster: LocalCluster, tmp_path: Path):
    """A release's streams job may run while a node is lost (a rolling NATS restart, a
    machine's failure): the streams that node led have no leader for some seconds, and
    `govbus streams sync` waits for the new one instead of failing on the first timeout."""
    env = {"GOVBUS_NATS_URL": cluster.nats_url, "GOVBUS_STREAM_REPLICAS": "3"}
    synced = await asyncio.to_thread(govbus, tmp_path, env, "streams", "sync")
    assert synced.returncode == 0, synced.stderr
    for stream in STREAMS:
        await cluster.wait_stream(stream)
    victim = await cluster.leader_of(DOCUMENTS)
    cluster.kill9(victim)
    try:
        again = await asyncio.to_thread(govbus, tmp_path, env, "streams", "sync")
        assert again.returncode == 0, again.stderr[-3000:]
        assert dict(re.findall(r"stream (\S+): (\w+)", again.stderr)) == {
            s: "unchanged" for s in STREAMS}
    finally:
        await asyncio.to_thread(cluster.restart, victim)
        for stream in STREAMS:
            await cluster.wait_stream(stream)


def env_values(text: str, name: str) -> list[str]:
    """``name``'s values in a manifest: Kubernetes ``- name:/value:`` pairs, compose and
    ConfigMap ``NAME: value`` lines."""
    k8s = re.findall(rf"- name: {name}\s*\n\s*value:\s*\"?([^\"\n]*)\"?", text)
    plain = re.findall(rf"^\s*{name}:\s*\"?([^\"\n]*)\"?\s*$", text, re.M)
    return k8s + plain


def test_the_deployments_sync_r3_streams_on_a_cluster_like_this_one(cluster: LocalCluster):
    """What deploy/ runs is what the tests here try: `govbus streams sync` with
    GOVBUS_STREAM_REPLICAS=3 against every node listed in GOVBUS_NATS_URL, on nodes that
    fsync every JetStream write."""
    deploy = REPO / "deploy"
    compose = (deploy / "compose.yaml").read_text()
    job = (deploy / "k8s" / "streams-job.yaml").read_text()
    shared = (deploy / "k8s" / "settings.yaml").read_text()
    assert "govbus streams sync" in compose
    assert 'command: ["govbus", "streams", "sync"]' in job
    for text in (compose, job, shared):
        assert set(env_values(text, "GOVBUS_STREAM_REPLICAS")) == {"3"}
    for text in (compose, shared):
        (urls,) = env_values(text, "GOVBUS_NATS_URL")
        assert len(urls.split(",")) == 3, urls
    assert len(cluster.nats_url.split(",")) == 3
    for conf in ((deploy / "nats" / "nats-server.conf").read_text(),
                 cluster.nodes["n1"].conf.read_text()):
        assert re.search(r"(?s)jetstream\s*\{[^}]*sync_interval:\s*always", conf)
        assert re.search(r"(?s)cluster\s*\{.*routes:", conf)
    guide = (deploy / "README.md").read_text()
    assert "`GOVBUS_STREAM_REPLICAS=3`" in guide and "tests/test_cluster.py" in guide


# --- the burst --------------------------------------------------------------------------

REGISTRAR = bearer(SECRET, "registrar", "u-reg-liu", "刘文书", "办公室")
DRAFTER = bearer(SECRET, "drafter", "u-draft-li", "李拟稿", "秘书科")
REVIEWER = bearer(SECRET, "reviewer", "u-review-wang", "王芳")
SIGNER = bearer(SECRET, "signer", "u-sign-zhang", "张秘书长")
RECIPIENTS = ["市应急管理局", "市林业局"]


@dataclass
class Burst:
    """The clients' side: every try and every answer, with the time it came."""

    api: httpx.AsyncClient
    started: float = field(default_factory=time.monotonic)
    tries: list[tuple[float, int]] = field(default_factory=list)  # (t, status)
    answered: list[float] = field(default_factory=list)  # t of each 2xx
    registered: list[dict[str, Any]] = field(default_factory=list)  # 收文 replies
    dispatched: list[dict[str, Any]] = field(default_factory=list)  # 发文 replies at 核发
    drafted: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # a 4xx: no retry makes it right
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    def now(self) -> float:
        return time.monotonic() - self.started

    async def command(self, path: str, body: dict[str, Any], who: dict[str, str],
                      status: int = 200) -> dict[str, Any]:
        """One command, tried until it is answered with a 2xx, always with the same key: a
        retry after a 503 or 504 returns the first result, it never acts twice."""
        key = str(uuid.uuid4())
        while True:
            try:
                r = await self.api.post(f"/api/v1/documents{path}", json=body,
                                        headers={**who, "Idempotency-Key": key})
            except httpx.TransportError:
                self.tries.append((self.now(), 599))
                await asyncio.sleep(0.3)
                continue
            self.tries.append((self.now(), r.status_code))
            if r.status_code == status:
                self.answered.append(self.now())
                reply: dict[str, Any] = r.json()
                return reply
            if r.status_code < 500:
                self.refused.append(f"{path} {r.status_code} {r.text[:300]}")
                self.stop.set()
                raise AssertionError(self.refused[-1])
            await asyncio.sleep(0.3)

    async def register_incoming(self, k: int) -> None:
        reply = await self.command("/incoming", {
            "issuer": "区财政局", "issuer_doc_number": f"区财发〔2026〕{k}号",
            "doc_type": "通知", "received_on": "2026-03-09",
            "title": f"关于做好第{k}批专项资金申报工作的通知",
            "body": "各有关单位:现将专项资金申报有关事项通知如下。"}, REGISTRAR, status=201)
        self.registered.append(reply)

    async def walk_outgoing(self, k: int) -> None:
        """起草 → 审核 → 签发 → 复核 → 登记 (a 发文字号) → 印制 → 核发, 主动公开."""
        doc_id = (await self.command("/outgoing", {
            "doc_type": "通知", "title": f"关于做好第{k}批森林防灭火工作的通知",
            "body": "各县(市、区)人民政府:现将有关事项通知如下。",
            "main_recipients": RECIPIENTS, "cc_recipients": [], "recipient_departments": [],
            "disclosure": "主动公开", "issuer_code": ISSUER_CODE,
            "issuing_organ": "宜春市人民政府办公室"}, DRAFTER, status=201))["document_id"]
        self.drafted.append(doc_id)
        await self.command(f"/outgoing/{doc_id}/review", {"decision": "通过"}, REVIEWER)
        await self.command(f"/outgoing/{doc_id}/sign-off", {"opinion": "同意"}, SIGNER)
        await self.command(f"/outgoing/{doc_id}/recheck", {}, REGISTRAR)
        await self.command(f"/outgoing/{doc_id}/register", {}, REGISTRAR)
        await self.command(f"/outgoing/{doc_id}/print", {"printing_office": "秘书科"},
                           REGISTRAR)
        self.dispatched.append(await self.command(f"/outgoing/{doc_id}/dispatch", {
            "dispatches": [{"recipient": r, "means": "电子公文传输"} for r in RECIPIENTS]},
            REGISTRAR))

    async def client(self, n: int) -> None:
        """Half the clients register 收文, half walk 发文, until the faults are over."""
        k = 0
        while not self.stop.is_set():
            k += 1
            if n % 2:
                await self.walk_outgoing(n * 1000 + k)
            else:
                await self.register_incoming(n * 1000 + k)

    async def progress(self, since: float, answers: int, limit: float) -> None:
        """Until ``answers`` 2xx came after ``since``; fail after ``limit`` seconds."""
        while sum(1 for t in self.answered if t > since) < answers:
            if self.now() - since > limit:
                raise AssertionError(f"{answers} answers not reached {limit:g} s after "
                                     f"t={since:.1f}: the burst did not recover")
            if self.stop.is_set():
                raise AssertionError("a client was refused: " + "; ".join(self.refused))
            await asyncio.sleep(0.1)

    def figures(self, marks: dict[str, float]) -> dict[str, Any]:
        """Answers per second and 5xx by status in each phase; the longest silence (no 2xx
        at all) after each kill."""
        end = self.now()
        edges = [("before", 0.0, marks["kill1"]), ("node 1 down", marks["kill1"],
                 marks["whole1"]), ("between", marks["whole1"], marks["kill2"]),
                 ("node 2 down", marks["kill2"], marks["whole2"]),
                 ("after", marks["whole2"], end)]
        phases = {}
        for name, start, stop in edges:
            answers = sum(1 for t in self.answered if start <= t < stop)
            errors = Counter(s for t, s in self.tries if start <= t < stop and s >= 500)
            phases[name] = {"seconds": round(stop - start, 1),
                            "answers_per_s": round(answers / max(stop - start, 1e-3), 1),
                            "5xx": dict(sorted(errors.items()))}
        silences = {}
        for kill in ("kill1", "kill2"):
            times = [marks[kill], *sorted(t for t in self.answered if t >= marks[kill])]
            silences[kill] = round(max(b - a for a, b in zip(times, times[1:], strict=False)), 1)
        return {"phases": phases, "longest_silence_s": silences,
                "answers": len(self.answered), "tries": len(self.tries),
                "5xx": dict(sorted(Counter(s for _, s in self.tries if s >= 500).items()))}


@pytest.fixture
async def stack(cluster: LocalCluster, cluster_settings: ClusterSettings
                ) -> AsyncIterator[tuple[Host, Any, httpx.AsyncClient]]:
    """Both services in one Host and the gateway app, each connected to the cluster list."""
    await cluster.wait_meta_leader()
    nc = await nats.connect(servers=cluster.urls)
    try:
        await sync_streams(nc.jetstream(), all_contracts(), cluster_settings)
    finally:
        await nc.close()
    for stream in STREAMS:
        await cluster.wait_stream(stream)
    host = Host([documents_service, disclosure_service], cluster_settings, clock=OfficeClock())
    await host.start()
    try:
        bus = make_broker(cluster_settings)
        app = create_app(cluster_settings, secret=SECRET, broker=bus)
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                         base_url="http://gw", timeout=60) as api:
                yield host, bus, api
    finally:
        await host.stop()


async def elected(cluster: LocalCluster, stream: str, dead: str,
                  timeout: float = RECOVERY_LIMIT) -> str:
    """Wait until ``stream`` is led by a node other than ``dead``; return it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            leader = await cluster.leader_of(stream)
        except Exception:  # no leader to answer yet
            leader = None
        if leader not in (None, dead):
            return str(leader)
        await asyncio.sleep(0.1)
    raise AssertionError(f"{stream} elected no leader within {timeout:g} s of {dead}'s death")


def connection(broker: Any) -> Any:
    """The nats-py client under a FastStream broker (its server, its reconnect count)."""
    return broker._connection


async def test_a_burst_survives_kill_9_of_stream_leaders_nothing_lost_or_doubled(
        cluster: LocalCluster, cluster_settings: ClusterSettings, stack):
    host, bus, api = stack
    host_nc, gateway_nc = connection(host.broker), connection(bus)
    # The first victim leads GOV_DOCUMENTS and the disclosure service's consumer of it, and
    # carries the services' connection.
    first = cluster.node_at(host_nc.connected_url.port)
    await cluster.move_leader(DOCUMENTS, first)
    await cluster.move_leader(DOCUMENTS, first, CONSUMER)

    burst = Burst(api)
    marks: dict[str, float] = {}

    async def faults() -> None:
        try:
            await asyncio.sleep(BEFORE_SECONDS)
            for n, victim in ((1, first), (2, None)):
                if victim is None:
                    # The second: the node the gateway now talks to, made the leader of
                    # GOV_DOCUMENTS and of the consumer again.
                    victim = cluster.node_at(gateway_nc.connected_url.port)
                    await cluster.move_leader(DOCUMENTS, victim)
                    await cluster.move_leader(DOCUMENTS, victim, CONSUMER)
                assert await cluster.leader_of(DOCUMENTS) == victim
                assert await cluster.leader_of(DOCUMENTS, CONSUMER) == victim
                marks[f"kill{n}"] = burst.now()
                cluster.kill9(victim)
                # The two survivors elect a leader; the burst goes on with one node down.
                await elected(cluster, DOCUMENTS, victim)
                marks[f"elected{n}"] = burst.now()
                await burst.progress(marks[f"elected{n}"], PROGRESS, RECOVERY_LIMIT)
                marks[f"restart{n}"] = burst.now()
                await asyncio.to_thread(cluster.restart, victim)
                for stream in STREAMS:
                    await cluster.wait_stream(stream)
                await cluster.wait_stream(DOCUMENTS, CONSUMER)
                marks[f"whole{n}"] = burst.now()
            await asyncio.sleep(AFTER_SECONDS)
        finally:
            burst.stop.set()

    await asyncio.wait_for(asyncio.gather(faults(), *(burst.client(n) for n in range(CLIENTS))),
                           timeout=240)
    figures = burst.figures(marks)
    print("\ncluster burst:", json.dumps({"marks": {k: round(v, 1) for k, v in marks.items()},
                                          **figures}, ensure_ascii=False))
    assert burst.refused == []
    # A lost node costs a client a retry (503: the connection was away; 504: the answer
    # died with it), never an internal error.
    assert set(figures["5xx"]) <= {503, 504}, figures
    # The same Host and gateway served throughout: both connections moved to a live node.
    assert host_nc.is_connected and gateway_nc.is_connected
    assert host_nc.stats["reconnects"] >= 1 and gateway_nc.stats["reconnects"] >= 1
    await burst.register_incoming(999_999)  # and still serve, at once
    assert burst.tries[-1][1] == 201

    settings = cluster_settings
    mongo = AsyncMongoClient(settings.mongo_url, tz_aware=True)
    try:
        documents = mongo[settings.database_name("documents")]
        disclosure = mongo[settings.database_name("disclosure")]
        # Every 收文 answered is stored once, its number taken once, the register gapless.
        incoming = [d async for d in documents["incoming"].find(
            {}, {"registration_serial": 1, "version": 1})]
        assert sorted(d["_id"] for d in incoming) == sorted(r["id"] for r in burst.registered)
        assert {d["version"] for d in incoming} == {1}
        serials = sorted(d["registration_serial"] for d in incoming)
        assert serials == list(range(1, len(burst.registered) + 1))
        registers = [r async for r in documents["incoming_register"].find({})]
        assert [r["last_serial"] for r in registers] == [len(burst.registered)]
        # Every 发文 drafted is stored once; those dispatched hold gapless 发文字号.
        outgoing = {d["_id"]: d async for d in documents["outgoing"].find({})}
        assert sorted(outgoing) == sorted(burst.drafted)
        dispatched = {r["document_id"] for r in burst.dispatched}
        assert {i for i, d in outgoing.items() if d["status"] == "已核发"} == dispatched
        # 起草 … 核发: seven commands, seven writes (a retry wrote nothing).
        assert {outgoing[i]["version"] for i in dispatched} == {7}
        numbers = (await api.get(f"/api/v1/documents/numbers/{ISSUER_CODE}/2026",
                                 headers=REGISTRAR)).json()
        assert [e["serial"] for e in numbers["entries"]] == list(range(1, len(dispatched) + 1))

        # Every fact is in its stream once (by ce-id), each step of each document once;
        # the facts whose publish failed while a stream elected its leader are published
        # by the outbox's sweeper, in the same Host, once the stream answers again.
        for name in ("incoming", "incoming_register", "outgoing", "numbering"):
            await eventually(lambda name=name: documents[name].count_documents(
                {"_outbox.0": {"$exists": True}}), lambda left: left == 0, timeout=60)
        facts = await stream_facts(cluster, DOCUMENTS)
        ids = Counter(f["id"] for f in facts)
        assert [i for i, n in ids.items() if n > 1] == []
        steps = Counter((f["subject"], f["aggregate"]) for f in facts
                        if f["aggregate"] in outgoing)
        assert [s for s, n in steps.items() if n > 1] == []
        assert {a for s, a in steps if s == OUTGOING_DISPATCHED.subject} == dispatched

        # The disclosure consumer applied each dispatch once: the catalogue holds exactly
        # the dispatched 主动公开 documents, each entry written once, published once.
        wanted = {entry_id_for_document(d) for d in dispatched}

        async def catalogue() -> dict[str, Any]:
            return {d["_id"]: d async for d in disclosure["catalogue"].find({})}

        entries = await eventually(catalogue, lambda found: set(found) == wanted, timeout=60)
        assert [e["version"] for e in entries.values()] == [1] * len(wanted)
        published = Counter((f["subject"], f["aggregate"])
                            for f in await stream_facts(cluster, DISCLOSURE))
        assert [s for s, n in published.items() if n > 1] == []
        assert {a for _, a in published} == wanted
        nc = await nats.connect(servers=cluster.urls)
        try:
            # A delivery whose ack died with its consumer's leader comes again after
            # ack_wait, and is acknowledged then (the entry exists: nothing is written).
            async def unacknowledged() -> tuple[int, int]:
                info = await nc.jetstream().consumer_info(DOCUMENTS, CONSUMER)
                return info.num_pending, info.num_ack_pending

            await eventually(unacknowledged, lambda left: left == (0, 0),
                             timeout=settings.ack_wait_seconds + 30)
            assert (await nc.jetstream().stream_info(DLQ_STREAM)).state.messages == 0
        finally:
            await nc.close()
    finally:
        await mongo.close()
    # Answers came back after each kill.
    assert all(s < RECOVERY_LIMIT for s in figures["longest_silence_s"].values()), figures


async def stream_facts(cluster: LocalCluster, stream: str) -> list[dict[str, str]]:
    """Every message of ``stream``: its subject, ce-id and ce-subject (the aggregate)."""
    nc = await nats.connect(servers=cluster.urls)
    out: list[dict[str, str]] = []
    try:
        js = nc.jetstream()
        subjects = (await js.stream_info(stream)).config.subjects
        sub = await js.pull_subscribe(subjects[0], stream=stream)
        while (await sub.consumer_info()).num_pending:
            for m in await sub.fetch(500, timeout=2):
                headers = m.headers or {}
                out.append({"subject": m.subject, "id": headers.get(H_ID, ""),
                            "aggregate": str(headers.get(H_SUBJECT, ""))})
                await m.ack()
        await sub.unsubscribe()
    finally:
        await nc.close()
    return out
