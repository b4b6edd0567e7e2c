"""The ``govbus`` command, run as an operator would, against real servers."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import jwt

from govbus_ops.infra import free_port
from govbus_testing import running
from govbus_testplugins import ledger


def govbus(*args: str, env: dict[str, str] | None = None, timeout: float = 90
           ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "govbus_ops.cli", *args],
                          env={**os.environ, **(env or {})},
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
        ok = await asyncio.to_thread(govbus, "health", "ledger", "--json", env=env)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert json.loads(ok.stdout)["checks"] == {"nats": "ok", "mongo": "ok", "commands": "ok"}
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

    env = {**os.environ, "GOVBUS_NATS_URL": settings.nats_url,
           "GOVBUS_MONGO_URL": settings.mongo_url}
    async with running(settings, ledger.service) as host:
        tail = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "govbus_ops.cli", "events", "tail", "gov.ledger.evt.>",
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


def test_calendar_show_prints_a_provisional_year_with_its_made_up_days():
    result = govbus("calendar", "show", "2027")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("2027: 临时 (provisional)")
    assert "2027-02-09 周二  春节" in result.stdout  # 补假 for 除夕 weekend days
    assert "调休 working days (0)" in result.stdout


def test_calendar_show_prints_an_official_year_with_its_adjusted_working_days(tmp_path):
    (tmp_path / "2027.json").write_text(json.dumps({
        "year": 2027, "source": "国办发明电〔2026〕x号 (test data)",
        "holidays": ["2027-01-01", *(f"2027-02-{d:02d}" for d in range(5, 12))],
        "workdays": ["2027-02-14"], "holiday_names": {"2027-02-08": "春节"}},
        ensure_ascii=False), encoding="utf-8")
    result = govbus("calendar", "show", "2027", "--json",
                    env={"GOVBUS_CALENDAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["status"] == "official" and shown["source"] == "operator"
    assert shown["workdays"] == ["2027-02-14"]
    assert {"date": "2027-02-08", "name": "春节"} in shown["days_off"]


def test_calendar_show_refuses_a_year_the_law_does_not_reach():
    result = govbus("calendar", "show", "1990")
    assert result.returncode == 2
    assert "1990" in result.stderr


async def test_health_warns_but_passes_when_next_year_is_only_provisional(settings):
    import asyncio
    from datetime import UTC, datetime

    from govbus_kit.clock import ManualClock

    env = {"GOVBUS_NATS_URL": settings.nats_url, "GOVBUS_MONGO_URL": settings.mongo_url}
    clock = ManualClock(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    async with running(settings, ledger.service, clock=clock):
        ok = await asyncio.to_thread(govbus, "health", "ledger", "--json", env=env)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    reply = json.loads(ok.stdout)
    assert reply["status"] == "ok"
    assert any("2027" in w for w in reply["warnings"])
    assert "warning: 2027年工作日历为按法定节假日推算" in ok.stderr
