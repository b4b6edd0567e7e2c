"""The ``govbus`` command, run as an operator would, against real servers."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import jwt

from govbus_kit.infra import free_port
from govbus_testplugins import ledger
from helpers import TESTS, running


def govbus(*args: str, env: dict[str, str] | None = None, timeout: float = 90
           ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "govbus_kit.cli", *args],
                          env={**os.environ, "PYTHONPATH": str(TESTS), **(env or {})},
                          capture_output=True, text=True, timeout=timeout, check=False)


def test_token_is_a_valid_hs256_jwt_with_roles_and_department(tmp_path):
    env = {"GOVBUS_JWT_SECRET": "cli-secret-" + "q" * 32}
    result = govbus("token", "--role", "registrar", "--role", "leader", "--department", "办公室",
                    env=env)
    assert result.returncode == 0, result.stderr
    claims = jwt.decode(result.stdout.strip(), env["GOVBUS_JWT_SECRET"], algorithms=["HS256"])
    assert claims["roles"] == ["registrar", "leader"]
    assert claims["department"] == "办公室"
    assert claims["exp"] > claims["iat"]


def test_without_a_configured_secret_a_local_one_is_made_once(tmp_path):
    env = {"GOVBUS_VAR_DIR": str(tmp_path)}
    first = govbus("token", "--role", "admin", env=env).stdout.strip()
    secret = (tmp_path / "jwt-secret").read_text()
    assert oct((tmp_path / "jwt-secret").stat().st_mode & 0o777) == "0o600"
    assert jwt.decode(first, secret, algorithms=["HS256"])["roles"] == ["admin"]
    govbus("token", "--role", "admin", env=env)
    assert (tmp_path / "jwt-secret").read_text() == secret


def test_contracts_export_check_passes_on_the_committed_export():
    result = govbus("contracts", "export", "--check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_infra_up_status_down_keeps_data(tmp_path):
    env = {"GOVBUS_VAR_DIR": str(tmp_path / "var"),
           "GOVBUS_LOCAL_NATS_PORT": str(free_port()),
           "GOVBUS_LOCAL_MONGO_PORT": str(free_port())}
    try:
        up = govbus("infra", "up", env=env)
        assert up.returncode == 0, up.stderr
        assert "stream GOV_DLQ" in up.stderr
        status = govbus("infra", "status", env=env).stdout
        assert status.count("running") == 2, status
        assert (tmp_path / "var" / "nats.conf").read_text().count("sync_interval: always") == 1
    finally:
        down = govbus("infra", "down", env=env)
    assert down.returncode == 0
    assert govbus("infra", "status", env=env).stdout.count("stopped") == 2
    assert (tmp_path / "var" / "nats" / "jetstream").is_dir()


def test_streams_sync_is_idempotent(settings):
    env = {"GOVBUS_NATS_URL": settings.nats_url, "GOVBUS_MONGO_URL": settings.mongo_url}
    first = govbus("streams", "sync", "govbus_testplugins.ledger:service", env=env)
    second = govbus("streams", "sync", "govbus_testplugins.ledger:service", env=env)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert "stream GOV_LEDGER: unchanged" in second.stderr
    assert "stream GOV_DLQ: unchanged" in second.stderr


async def test_health_command_answers_for_a_running_service(settings):
    env = {"GOVBUS_NATS_URL": settings.nats_url, "GOVBUS_MONGO_URL": settings.mongo_url}
    import asyncio

    async with running(settings, ledger.service):
        ok = await asyncio.to_thread(govbus, "health", "ledger", env=env)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert json.loads(ok.stdout)["checks"] == {"nats": "ok", "mongo": "ok"}
    down = await asyncio.to_thread(govbus, "health", "ledger", env=env)
    assert down.returncode == 1
    assert "not running" in down.stdout


def test_unknown_service_plugin_is_named_in_the_error():
    result = govbus("run", "no-such-service", "--no-gateway",
                    env={"GOVBUS_NATS_URL": "nats://127.0.0.1:1", "GOVBUS_MONGO_URL": "x"})
    assert result.returncode != 0
    assert "no service plugin 'no-such-service' is installed" in result.stderr


async def test_events_tail_prints_events_as_they_arrive(settings):
    import asyncio
    import signal

    env = {**os.environ, "PYTHONPATH": str(TESTS), "GOVBUS_NATS_URL": settings.nats_url,
           "GOVBUS_MONGO_URL": settings.mongo_url}
    async with running(settings, ledger.service) as host:
        tail = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "govbus_kit.cli", "events", "tail", "gov.ledger.evt.>",
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            from govbus_kit.bus import request

            line = b""
            for _ in range(50):  # until the tail's subscription is in place
                await request(host.broker, ledger.DEPOSIT, {"account": "tail-1", "amount": 1})
                try:
                    line = await asyncio.wait_for(tail.stdout.readline(), timeout=0.5)
                    break
                except TimeoutError:
                    continue
            event = json.loads(line)
            assert event["subject"] == ledger.CREDITED.subject
            assert event["data"]["account"] == "tail-1"
            assert event["id"] and event["correlation"]
        finally:
            tail.send_signal(signal.SIGINT)
            assert await asyncio.wait_for(tail.wait(), timeout=20) == 0
