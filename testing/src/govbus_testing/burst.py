"""A burst of 收文 registrations through the real gateway, and what the store holds after.

The fault suite (``tests/test_faults_burst.py``) and ``bench/faults.py`` drive the office as
its clients do: ``N`` registrations (``register_incoming``, ``POST /api/v1/documents/
incoming``) sent by ``C`` concurrent clients over real HTTP to the gateway served by
uvicorn on a loopback port, each client repeating a command with the SAME
``Idempotency-Key`` on 503, 504 or a connection error (after ``Retry-After``, bounded) until
it is answered 2xx or refused with a definitive 4xx. Meanwhile a fault is done to the
servers (the broker restarted, the services process killed with -9, poison published).

What is recorded, per second since the start: commands acknowledged (2xx), 5xx answers by
status and error code, connection errors; and every attempt (sent at, answered at, what).
Afterwards ``verify`` reads the store: every acknowledged command's document exists once
with the number it was answered (lost), no command has two documents and no serial was
given twice (doubled), and the year's 收文 register has no gap (its last serial is the
count of that year's documents).

Importable by tests and by the bench: ``from govbus_testing.burst import ...``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from govbus_gateway.settings import GatewaySettings
from govbus_kit.settings import Settings

SECRET = "burst-gateway-secret-" + "b" * 40
REGISTER = "/api/v1/documents/incoming"
DEFAULT_CLIENTS = 16
#: the longest Retry-After a client honours; a longer one is waited this long
RETRY_AFTER_CAP = 5.0
#: the wait before repeating after a connection error or an answer without Retry-After
RETRY_PAUSE = 0.5
#: how long a client keeps repeating one command before it counts it unanswered
COMMAND_PATIENCE = 240.0
#: the services a services process runs (the documents service registers; disclosure
#: consumes the documents' events, the subject the poison goes to)
PLUGINS = ("documents", "disclosure")
NUMBER = re.compile(r"收〔(\d{4})〕(\d+)号")


def burst_settings(nats_url: str, mongo_url: str, **update: Any) -> GatewaySettings:
    """Settings of the gateway (and of the services process, which gets them by environment):
    these servers, a fresh principal signing key, the burst's JWT secret."""
    from govbus_kit.principal import new_key_pair

    return GatewaySettings(nats_url=nats_url, mongo_url=mongo_url, jwt_secret=SECRET,
                    principal_signing_key=new_key_pair()[0], log_level="WARNING",
                    **update)


def registrar() -> dict[str, str]:
    import jwt

    claims = {"sub": "u-burst", "name": "登记员", "roles": ["registrar"],
              "department": "办公室", "exp": int(time.time()) + 3600}
    return {"Authorization": "Bearer " + jwt.encode(claims, SECRET, algorithm="HS256")}


# --- the gateway and the services ---------------------------------------------------------


class Gateway:
    """The real gateway (``create_app``) served by uvicorn on a free loopback port, in this
    process and event loop."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.url = ""
        self.app: Any = None
        self._server: Any = None
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Gateway:
        import uvicorn

        from govbus_gateway.app import create_app
        from govbus_ops.infra import free_port

        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.app = create_app(self.settings, secret=SECRET)
        self._server = uvicorn.Server(uvicorn.Config(
            self.app, host="127.0.0.1", port=port, log_level="warning", lifespan="on",
            proxy_headers=False, access_log=False))
        # _serve, as `govbus run` does: uvicorn's serve() would take SIGINT/SIGTERM over.
        self._task = asyncio.create_task(self._server._serve())
        while not self._server.started:
            if self._task.done():
                self._task.result()
                raise RuntimeError("the gateway stopped at start-up")
            await asyncio.sleep(0.02)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            with contextlib.suppress(Exception):
                await self._task


class Services:
    """``govbus run documents disclosure --no-gateway`` in a process of its own, on the
    burst's servers, trusting the gateway's principal key; its log in ``log_path``."""

    def __init__(self, settings: Settings, log_path: Path, *plugins: str,
                 env: dict[str, str] | None = None) -> None:
        self.settings, self.log_path = settings, log_path
        self.plugins = plugins or PLUGINS
        self.extra = env or {}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        from govbus_kit.principal import public_keys

        env = {
            **os.environ,
            "GOVBUS_NATS_URL": self.settings.nats_url or "",
            "GOVBUS_MONGO_URL": self.settings.mongo_url or "",
            "GOVBUS_PRINCIPAL_PUBLIC_KEYS": ",".join(public_keys(self.settings)),
            "GOVBUS_LOG_LEVEL": "WARNING",
            "GOVBUS_LOG_FORMAT": "console",
            # Poison is dead-lettered after its tries within a second or two.
            "GOVBUS_MAX_DELIVER": "3",
            "GOVBUS_RETRY_BACKOFF_SECONDS": "[0.2, 0.2, 0.2]",
            **self.extra,
        }
        for name in ("GOVBUS_PRINCIPAL_SIGNING_KEY", "GOVBUS_FAULTS"):
            env.pop(name, None)
        with self.log_path.open("ab") as log:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                [sys.executable, "-m", "govbus_ops.cli", "run", *self.plugins, "--no-gateway"],
                env=env, stdout=subprocess.DEVNULL, stderr=log)

    def kill(self) -> None:
        """kill -9, and wait until it is gone."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


async def services_ready(gateway_url: str, names: tuple[str, ...] = PLUGINS,
                         timeout: float = 120.0) -> None:
    """Until the gateway's /healthz hears each of ``names`` answer (ok or degraded)."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=gateway_url, timeout=10) as client:
        while True:
            with contextlib.suppress(httpx.HTTPError, ValueError):
                services = (await client.get("/healthz")).json().get("services", {})
                if all(services.get(n, {}).get("status") in ("ok", "degraded") for n in names):
                    return
            if time.monotonic() > deadline:
                raise TimeoutError(f"services {names} not answering after {timeout:.0f} s")
            await asyncio.sleep(0.2)


# --- a database of many records -----------------------------------------------------------


def office_year() -> int:
    """The year the documents service registers in now (Beijing time)."""
    from govbus_kit.clock import office_date

    return office_date(datetime.now(UTC)).year


async def seed_incoming(mongo_url: str, count: int, year: int,
                        database: str = "govbus_documents") -> None:
    """``count`` 收文 of ``year`` (收〔year〕1号 … count号) and that year's register at
    ``count``, stored as the documents service stores them (its own rules made the first;
    the others are copies with their own id, number and title), 1 000 per insert."""
    from pymongo import AsyncMongoClient

    from govbus_contracts.services.documents.common import DocType
    from govbus_contracts.services.documents.incoming import RegisterIncoming
    from govbus_documents.domain import incoming as rules
    from govbus_kit import outbox
    from govbus_kit.domain import Actor

    registered = datetime(year, 1, 5, 1, 0, tzinfo=UTC)
    actor = Actor("u-seed", "登记员", "registrar", "办公室")
    cmd = RegisterIncoming(issuer="区财政局", doc_type=DocType.notice,
                           received_on=registered.date(), title="模板",
                           body="各有关单位:现将有关事项通知如下。")
    template = rules.register(cmd, document_id="seed", serial=1, year=year, actor=actor,
                              now=registered).state
    state = template.model_dump(mode="json", exclude={"id", "version"})
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url, tz_aware=True)
    try:
        db = mongo[database]
        for lo in range(0, count, 1000):
            batch = []
            for i in range(lo, min(lo + 1000, count)):
                at = (registered + timedelta(minutes=3 * i)).isoformat().replace("+00:00", "Z")
                batch.append({**state, "_id": f"seed-{year}-{i + 1:06d}", "version": 1,
                              outbox.OUTBOX: [], "registration_serial": i + 1,
                              "registration_number": rules.registration_number(year, i + 1),
                              "title": f"关于做好第{i + 1}批专项资金申报工作的通知",
                              "issuer_doc_number": f"区财发〔{year}〕{i + 1}号",
                              "registered_at": at})
            await db["incoming"].insert_many(batch, ordered=False)
        await db["incoming_register"].insert_one({
            "_id": str(year), "year": year, "last_serial": count, "version": 1,
            outbox.OUTBOX: []})
    finally:
        await mongo.close()


# --- the burst ----------------------------------------------------------------------------


@dataclass
class Attempt:
    command: int
    sent: float  # seconds since the burst's start
    answered: float
    status: int  # 0: a connection error
    code: str  # the error's code, the exception's class for a connection error, "" for 2xx
    retry_after: str | None = None  # the answer's Retry-After header


@dataclass
class BurstResult:
    n: int
    clients: int
    started_at: float  # time.monotonic() at the start
    seconds: float = 0.0
    acknowledged: dict[int, dict[str, Any]] = field(default_factory=dict)
    refused: dict[int, tuple[int, str]] = field(default_factory=dict)  # definitive 4xx
    unanswered: list[int] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    marks: dict[str, float] = field(default_factory=dict)  # seconds since the start
    probes: list[Attempt] = field(default_factory=list)  # queries sent by ``Burst.probe``

    def per_second(self) -> list[dict[str, int]]:
        """Second by second since the start: ``acknowledged``, each kind of 5xx
        (``"503 unavailable"``), ``connection``, ``refused`` (4xx)."""
        seconds = [Counter[str]() for _ in range(int(self.seconds) + 1)]
        for a in self.attempts:
            seconds[min(int(a.answered), len(seconds) - 1)][kind(a)] += 1
        return [dict(c) for c in seconds]

    def errors(self) -> Counter[str]:
        """Every answer that was no acknowledgement, by kind."""
        return Counter(kind(a) for a in self.attempts if not 200 <= a.status < 300)

    def rate(self, start: float, end: float) -> float:
        """Commands acknowledged per second between two moments (seconds since the start)."""
        if end <= start:
            return 0.0
        done = sum(1 for a in self.attempts if 200 <= a.status < 300 and start <= a.answered < end)
        return done / (end - start)

    def first_ack_after(self, moment: float) -> float | None:
        return min((a.answered for a in self.attempts
                    if 200 <= a.status < 300 and a.answered >= moment), default=None)


def describe(result: BurstResult) -> str:
    """The burst second by second, its marks in place: for a failing assertion's message
    and the bench's log."""
    at = {int(t): name for name, t in result.marks.items()}
    lines = [f"{result.n} commands, {result.clients} clients, {result.seconds:.1f} s"]
    for second, counts in enumerate(result.per_second()):
        said = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        lines.append(f"  {second:4d}s  {said}" + (f"   <- {at[second]}" if second in at else ""))
    return "\n".join(lines)


def kind(a: Attempt) -> str:
    if 200 <= a.status < 300:
        return "acknowledged"
    if a.status == 0:
        return "connection"
    return f"{a.status} {a.code}"  # "503 unavailable", "504 timeout", "422 ..."


def command_body(label: str, i: int, today: Any) -> dict[str, Any]:
    return {"issuer": "区财政局", "issuer_doc_number": f"{label}-{i:05d}", "doc_type": "通知",
            "received_on": today.isoformat(),
            "title": f"关于做好第{i + 1}批专项资金申报工作的通知({label})",
            "body": "各有关单位:现将专项资金申报有关事项通知如下。"}


class Burst:
    """``n`` registrations by ``clients`` concurrent clients; ``await burst.acknowledged(k)``
    lets a fault wait for the k-th acknowledgement, ``burst.mark(name)`` records a moment."""

    def __init__(self, gateway_url: str, n: int, clients: int = DEFAULT_CLIENTS,
                 label: str = "burst", timeout: float = 30.0) -> None:
        self.url, self.n, self.clients, self.label = gateway_url, n, clients, label
        self.timeout = timeout
        self.result = BurstResult(n=n, clients=clients, started_at=time.monotonic())
        self._next = 0
        self._acks = 0
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []

    def now(self) -> float:
        return time.monotonic() - self.result.started_at

    def mark(self, name: str) -> float:
        self.result.marks[name] = moment = self.now()
        return moment

    async def acknowledged(self, k: int) -> None:
        if self._acks >= k:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append((k, waiter))
        await waiter

    async def probe(self, path: str) -> Attempt:
        """One query through the gateway beside the burst (what does it answer now?),
        recorded in ``result.probes``, not among the commands' attempts."""
        sent = self.now()
        async with httpx.AsyncClient(base_url=self.url, timeout=self.timeout) as client:
            try:
                r = await client.get(path, headers=registrar())
                attempt = Attempt(-1, sent, self.now(), r.status_code,
                                  "" if r.is_success else _code(r), r.headers.get("Retry-After"))
            except httpx.TransportError as exc:
                attempt = Attempt(-1, sent, self.now(), 0, type(exc).__name__)
        self.result.probes.append(attempt)
        return attempt

    def key(self, i: int) -> str:
        return f"{self.label}-{i:05d}-key"

    async def run(self, *during: Callable[[Burst], Awaitable[None]]) -> BurstResult:
        """The burst, with ``during`` (the faults) run beside it; both to their end."""
        from govbus_kit.clock import office_date

        self.today = office_date(datetime.now(UTC) - timedelta(days=1))
        self.result.started_at = time.monotonic()
        headers = registrar()
        limits = httpx.Limits(max_connections=self.clients, max_keepalive_connections=self.clients)
        async with httpx.AsyncClient(base_url=self.url, timeout=self.timeout,
                                     limits=limits) as client:
            faults = [asyncio.ensure_future(f(self)) for f in during]
            try:
                await asyncio.gather(*(self._client(client, headers)
                                       for _ in range(self.clients)))
                self.result.seconds = self.now()
                await asyncio.gather(*faults)
            finally:
                for f in faults:
                    f.cancel()
                await asyncio.gather(*faults, return_exceptions=True)
        for _, waiter in self._waiters:
            if not waiter.done():
                waiter.cancel()
        self.result.unanswered.sort()
        return self.result

    async def _client(self, client: httpx.AsyncClient, headers: dict[str, str]) -> None:
        while self._next < self.n:
            i, self._next = self._next, self._next + 1
            await self._command(client, headers, i)

    async def _command(self, client: httpx.AsyncClient, headers: dict[str, str],
                       i: int) -> None:
        body = command_body(self.label, i, self.today)
        sending = {**headers, "Idempotency-Key": self.key(i)}
        give_up = time.monotonic() + COMMAND_PATIENCE
        while True:
            sent = self.now()
            try:
                r = await client.post(REGISTER, json=body, headers=sending)
            except httpx.TransportError as exc:  # refused, reset, timed out: no answer
                self.result.attempts.append(Attempt(i, sent, self.now(), 0,
                                                    type(exc).__name__))
                pause = RETRY_PAUSE
            else:
                code = "" if r.is_success else _code(r)
                self.result.attempts.append(Attempt(i, sent, self.now(), r.status_code, code,
                                                    r.headers.get("Retry-After")))
                if r.is_success:
                    self.result.acknowledged[i] = r.json()
                    self._acked()
                    return
                if 400 <= r.status_code < 500 and r.status_code not in (408, 429):
                    self.result.refused[i] = (r.status_code, code)
                    return
                pause = _retry_after(r)
            if time.monotonic() + pause > give_up:
                self.result.unanswered.append(i)
                return
            await asyncio.sleep(pause)

    def _acked(self) -> None:
        self._acks += 1
        for k, waiter in self._waiters:
            if self._acks >= k and not waiter.done():
                waiter.set_result(None)


def _code(r: httpx.Response) -> str:
    try:
        return str(r.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return "no-error-body"


def _retry_after(r: httpx.Response) -> float:
    try:
        return min(RETRY_AFTER_CAP, max(0.0, float(r.headers["Retry-After"])))
    except (KeyError, ValueError):
        return RETRY_PAUSE


# --- what the store holds -----------------------------------------------------------------


async def register_last(mongo_url: str, year: int, database: str = "govbus_documents") -> int:
    """The last serial the year's 收文 register gave."""
    from pymongo import AsyncMongoClient

    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
    try:
        register = await mongo[database]["incoming_register"].find_one({"_id": str(year)})
    finally:
        await mongo.close()
    return int((register or {}).get("last_serial", 0))


@dataclass
class Verdict:
    acknowledged: int
    lost: int  # acknowledged, but no document, or not with the number it was answered
    doubled: int  # serials given twice (to two commands, or again after the burst began)
    register_before: int
    register_last: int
    gaps: list[int]  # serials the register gave during the burst that no command holds
    problems: list[str]

    @property
    def gapless(self) -> bool:
        return not self.gaps


async def verify(mongo_url: str, result: BurstResult, year: int, register_before: int,
                 database: str = "govbus_documents") -> Verdict:
    """The burst against the store, by reads on ``_id`` only (a scan of a FerretDB
    collection of 10 000 costs seconds): each acknowledged command's document, by the id it
    was answered, holds the number it was answered; the register moved by exactly the
    serials the acknowledged commands hold, each once. Every command of the burst must have
    been acknowledged for the last to mean "no gap" (a command still unanswered may hold a
    serial); and as a document's id derives from its command's id, one command cannot
    leave two documents: an application twice would take a second serial, a gap here.
    ``whole_register`` is the full check, by a scan."""
    from pymongo import AsyncMongoClient

    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url, tz_aware=True)
    problems: list[str] = []
    lost = 0
    serials: Counter[int] = Counter()
    try:
        db = mongo[database]
        for i, reply in sorted(result.acknowledged.items()):
            doc = await db["incoming"].find_one({"_id": reply.get("id")},
                                                {"registration_number": 1})
            if doc is None or doc.get("registration_number") != reply.get("registration_number"):
                lost += 1
                problems.append(f"command {i}: answered {reply}, stored {doc}")
            number = NUMBER.fullmatch(str(reply.get("registration_number")))
            if number is None or int(number[1]) != year:
                problems.append(f"command {i}: answered a number of another year: {reply}")
            else:
                serials[int(number[2])] += 1
        last = await register_last(mongo_url, year, database)
    finally:
        await mongo.close()
    given = set(range(register_before + 1, last + 1))
    doubled = sum(c - 1 for c in serials.values()) + len(set(serials) - given)
    if doubled:
        problems.append(f"serials given twice: {sorted(s for s, c in serials.items() if c > 1)}"
                        f", before the burst: {sorted(set(serials) - given)}")
    return Verdict(acknowledged=len(result.acknowledged), lost=lost, doubled=doubled,
                   register_before=register_before, register_last=last,
                   gaps=sorted(given - set(serials)), problems=problems)


async def whole_register(mongo_url: str, year: int,
                         database: str = "govbus_documents") -> tuple[int, int, list[int]]:
    """(documents of the year, the register's last serial, serials held by no document or
    by more than one): the register is whole when the first two are equal and the list is
    empty. One scan of the collection."""
    from pymongo import AsyncMongoClient

    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
    try:
        serials = Counter([d.get("registration_serial") async for d in mongo[database][
            "incoming"].find({"registration_year": year}, {"registration_serial": 1})])
    finally:
        await mongo.close()
    last = await register_last(mongo_url, year, database)
    wrong: list[Any] = sorted(s for s in range(1, last + 1) if serials.get(s) != 1)
    wrong += sorted(s for s in serials if not (isinstance(s, int) and 1 <= s <= last))
    return sum(serials.values()), last, wrong


# --- poison -------------------------------------------------------------------------------


async def publish_poison(nats_url: str, label: str) -> list[str]:
    """A few malformed events on a subject the disclosure service consumes (the documents'
    dispatched fact), with proper ``ce-*`` and ``Nats-Msg-Id`` headers: bytes that are no
    JSON, a body that fails validation, an unknown version of the fact. Returns their ids."""
    import nats

    from govbus_contracts.envelope import Envelope
    from govbus_contracts.services.documents.outgoing import OUTGOING_DISPATCHED

    bodies = [b'{"document_id": ', b'{"document_id": 12, "title": []}',
              b'{"document_id": "x", "v": 99}']
    types = [OUTGOING_DISPATCHED.type, OUTGOING_DISPATCHED.type,
             OUTGOING_DISPATCHED.type.rsplit(".", 1)[0] + ".v99"]
    ids = []
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        for k, (body, type_) in enumerate(zip(bodies, types, strict=True)):
            envelope = Envelope(source=f"/burst/{label}/poison/{k}", type=type_)
            await js.publish(OUTGOING_DISPATCHED.subject, body,
                             headers={**envelope.to_headers(),
                                      "content-type": "application/json"})
            ids.append(envelope.id)
    finally:
        await nc.close()
    return ids
