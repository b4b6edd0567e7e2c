"""Overload and deadlines (issue 11, item 4): a service executes a request only while its
caller still waits, executes at most ``handler_concurrency`` at once, lets at most
``handler_queue_limit`` wait and answers any further one ``overloaded`` at once; and its
health says, with the figures, when it is saturated, its store slow or a consumer behind."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from govbus_contracts.envelope import H_CORRELATION, H_DEADLINE, H_ID, H_STATUS, Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.documents.incoming import REGISTER_INCOMING
from govbus_documents.plugin import service as documents
from govbus_kit.bus import request
from govbus_testing import IsolatedSettings, OfficeClock, eventually, running
from govbus_testplugins import slow

REGISTRAR = Principal(subject="li-wenshu", name="李文书", roles=frozenset({"registrar"}),
                      department="办公室")


def incoming(i: int) -> dict[str, Any]:
    return {"issuer": "区委办公室", "issuer_doc_number": f"区委办发〔2026〕{i}号",
            "doc_type": "通知", "received_on": "2026-03-09", "copies": 1,
            "title": f"关于报送2026年第{i}期工作动态的通知"}


async def outcome(coro: Any) -> tuple[str, float, dict[str, Any]]:
    """("ok" or the error code, seconds until the answer, the reply or the error details)."""
    started = time.monotonic()
    try:
        reply = await coro
        return "ok", time.monotonic() - started, reply
    except GovbusError as exc:
        return exc.code.value, time.monotonic() - started, exc.details


async def health(host: Any, service: str = "slow") -> dict[str, Any]:
    from govbus_contracts.registry import ServiceContract

    return await request(host.broker, ServiceContract(service).health, {}, timeout=5)


# --- the caller's deadline -------------------------------------------------------------


async def test_a_command_whose_deadline_passed_is_answered_expired_and_takes_no_serial(
        settings):
    own = IsolatedSettings(**settings.model_dump(),
                           database=f"govbus_documents_expired_{uuid.uuid4().hex[:8]}")
    async with running(own, documents, clock=OfficeClock()) as host:
        db = host.contexts["documents"].db
        first = await request(host.broker, REGISTER_INCOMING, incoming(1), principal=REGISTRAR)
        assert first["registration_number"] == "收〔2026〕1号"
        with pytest.raises(GovbusError) as refused:
            await request(host.broker, REGISTER_INCOMING, incoming(2), principal=REGISTRAR,
                          deadline=datetime.now(UTC) - timedelta(seconds=1))
        assert refused.value.code is ErrorCode.expired
        assert refused.value.details["late_ms"] >= 1000
        register = await db["incoming_register"].find_one({"_id": "2026"})
        assert register is not None and register["last_serial"] == 1
        # The next command on time takes the next number: none was spent on the expired one.
        second = await request(host.broker, REGISTER_INCOMING, incoming(3), principal=REGISTRAR)
        assert second["registration_number"] == "收〔2026〕2号"


async def test_without_a_deadline_header_a_request_runs_and_a_malformed_one_is_refused(
        settings):
    slow.reset()
    async with running(settings, slow.service) as host:
        async def raw(tag: str, deadline: str | None) -> tuple[str, dict[str, Any]]:
            headers = {H_ID: str(uuid.uuid4()), H_CORRELATION: str(uuid.uuid4())}
            if deadline is not None:
                headers[H_DEADLINE] = deadline
            msg = await host.broker.request(json.dumps({"tag": tag}).encode(),
                                            slow.WORK.subject, headers=headers, timeout=5)
            return (msg.headers or {}).get(H_STATUS, ""), json.loads(msg.body)

        assert await raw("old-caller", None) == ("ok", {"tag": "old-caller"})
        status, body = await raw("bad-deadline", "tomorrow at noon")
        assert status == "error"
        assert body["error"]["code"] == "validation_failed"
        assert body["error"]["details"]["problems"][0]["field"] == "header govbus-deadline"
        # No zone: which noon?
        status, body = await raw("no-zone", "2026-12-02T08:30:05.250")
        assert body["error"]["code"] == "validation_failed"
    assert slow.record.executed == ["old-caller"]


# --- bounded concurrency and load shedding ---------------------------------------------


async def test_a_burst_beyond_concurrency_and_queue_is_shed_at_once_and_the_rest_completes(
        settings):
    record = slow.reset()
    limits = settings.model_copy(update={"handler_concurrency": 4, "handler_queue_limit": 8,
                                         "overload_retry_after_seconds": 2})
    async with running(limits, slow.service) as host:
        answers = await asyncio.gather(*(
            outcome(request(host.broker, slow.WORK, {"tag": f"b{i}", "seconds": 1.0},
                            timeout=15))
            for i in range(60)))
        after = await health(host)
    done = [a for a in answers if a[0] == "ok"]
    shed = [a for a in answers if a[0] == "overloaded"]
    assert len(done) == 4 + 8 and len(shed) == 60 - 12, [a[0] for a in answers]
    # Shed at once: every refusal came before any accepted one (a second each) finished.
    assert max(seconds for _, seconds, _ in shed) < min(seconds for _, seconds, _ in done)
    assert all(details["retry_after"] == 2 for _, _, details in shed)
    # Every accepted one completed, never more than the limit at once; none shed ran.
    assert sorted(reply["tag"] for _, _, reply in done) == sorted(record.executed)
    assert record.most == 4
    assert after["figures"]["commands_shed"] == 48
    assert after["figures"]["commands_in_flight"] == 0


async def test_requests_whose_deadline_passes_while_they_wait_are_never_executed(settings):
    record = slow.reset()
    limits = settings.model_copy(update={"handler_concurrency": 1, "handler_queue_limit": 4})
    async with running(limits, slow.service) as host:
        long = asyncio.create_task(outcome(request(
            host.broker, slow.WORK, {"tag": "long", "seconds": 1.5}, timeout=10)))
        await eventually(lambda: asyncio.sleep(0, record.executed), lambda e: e == ["long"])
        waiting = await asyncio.gather(*(outcome(request(
            host.broker, slow.WORK, {"tag": f"w{i}"}, timeout=5,
            deadline=datetime.now(UTC) + timedelta(seconds=0.3))) for i in range(3)))
        # Answered when their deadline passed, not when the slot came free.
        assert not long.done()
        assert (await long)[0] == "ok"
        after = await health(host)
    assert [code for code, _, _ in waiting] == ["expired"] * 3
    assert record.executed == ["long"]
    assert after["figures"]["commands_expired"] == 3
    assert after["figures"]["commands_queued"] == 0


# --- honest health ---------------------------------------------------------------------


async def test_health_is_ok_with_its_figures_when_nothing_is_wrong(settings):
    slow.reset().gate.set()
    async with running(settings, slow.service) as host:
        reply = await health(host)
    assert reply["status"] == "ok", reply
    assert set(reply["checks"].values()) == {"ok"}
    assert {"nats", "mongo", "commands", "backlog.slow-noted"} <= set(reply["checks"])
    for figure in ("store_ping_ms", "commands_in_flight", "commands_queued", "commands_shed",
                   "commands_expired", "backlog.slow-noted"):
        assert figure in reply["figures"], figure


async def test_health_says_degraded_with_the_figure_when_the_store_answers_slowly(settings):
    slow.reset().gate.set()
    strict = settings.model_copy(update={"health_store_slow_ms": 0.001})
    async with running(strict, slow.service) as host:
        reply = await health(host)
    assert reply["status"] == "degraded"
    ping = reply["figures"]["store_ping_ms"]
    assert reply["checks"]["mongo"] == f"degraded: store answered in {ping:.0f} ms (limit 0.001)"
    assert reply["checks"]["commands"] == "ok"


async def test_health_says_degraded_while_a_consumer_falls_behind_and_ok_once_it_caught_up(
        settings):
    record = slow.reset()  # the gate is shut: the consumer takes events and holds them
    behind = settings.model_copy(update={"health_backlog_max": 2})
    async with running(behind, slow.service) as host:
        try:
            for _ in range(4):
                await request(host.broker, slow.NOTE, {"tag": f"n-{uuid.uuid4().hex[:8]}"})
            reply = await eventually(lambda: health(host),
                                     lambda r: r["figures"]["backlog.slow-noted"] >= 4)
            assert reply["status"] == "degraded"
            backlog = reply["figures"]["backlog.slow-noted"]
            assert reply["checks"]["backlog.slow-noted"] == (
                f"degraded: {backlog:.0f} messages not yet acknowledged (limit 2)")
        finally:
            record.gate.set()
        caught_up = await eventually(lambda: health(host),
                                     lambda r: r["figures"]["backlog.slow-noted"] == 0)
    assert caught_up["status"] == "ok"
    assert len(record.handled) >= 4


async def test_health_is_answered_while_the_service_is_saturated(settings):
    slow.reset()
    limits = settings.model_copy(update={"handler_concurrency": 1, "handler_queue_limit": 1})
    async with running(limits, slow.service) as host:
        busy = [asyncio.create_task(outcome(request(
            host.broker, slow.WORK, {"tag": f"s{i}", "seconds": 1.5}, timeout=10)))
            for i in range(2)]
        reply = await eventually(lambda: health(host),
                                 lambda r: r["figures"]["commands_queued"] == 1)
        await asyncio.gather(*busy)
    assert reply["status"] == "degraded"
    assert reply["checks"]["commands"].startswith("degraded: saturated (1 executing, 1 waiting")


# --- govbus health ---------------------------------------------------------------------


def govbus_health(settings: Any, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GOVBUS_NATS_URL": settings.nats_url,
           "GOVBUS_MONGO_URL": settings.mongo_url}
    return subprocess.run([sys.executable, "-m", "govbus_ops.cli", "health", *args], env=env,
                          capture_output=True, text=True, timeout=60, check=False)


async def test_govbus_health_exits_0_when_ok_and_1_when_degraded_or_unreachable(settings):
    slow.reset().gate.set()
    async with running(settings, slow.service):
        ok = await asyncio.to_thread(govbus_health, settings, "slow")
        as_json = await asyncio.to_thread(govbus_health, settings, "slow", "--json")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.startswith("slow: ok")
    assert "store_ping_ms" in ok.stdout and "backlog.slow-noted" in ok.stdout
    assert json.loads(as_json.stdout)["figures"]["commands_shed"] == 0

    strict = settings.model_copy(update={"health_store_slow_ms": 0.001})
    async with running(strict, slow.service):
        degraded = await asyncio.to_thread(govbus_health, settings, "slow")
        live = await asyncio.to_thread(govbus_health, settings, "slow", "--live")
    assert degraded.returncode == 1
    assert degraded.stdout.startswith("slow: degraded")
    assert "degraded: store answered in" in degraded.stdout
    assert live.returncode == 0  # a liveness probe does not restart a slow service

    down = await asyncio.to_thread(govbus_health, settings, "slow")
    assert down.returncode == 1
    assert down.stdout.startswith("slow: unreachable: service slow is not running")
    no_bus = await asyncio.to_thread(govbus_health, settings.model_copy(
        update={"nats_url": "nats://127.0.0.1:1"}), "slow", "--json")
    assert no_bus.returncode == 1
    assert json.loads(no_bus.stdout)["status"] == "unreachable"
