""""Nothing lost": an acknowledged fact never vanishes and never applies twice.

Real nats-server with JetStream and a real MongoDB-compatible server (session fixture), the
test-only ``ledger`` (publishes ``credited``) and ``audit`` (tallies credits) plugins.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid

import nats
import pytest
from pymongo import AsyncMongoClient

from govbus_contracts.envelope import H_MSG_ID, Envelope
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.subjects import DLQ_STREAM
from govbus_kit.bus import make_broker, request, stop_broker
from govbus_kit.dlq import list_dead_letters
from govbus_testing import eventually, provision, running, service_process, stream_messages
from govbus_testplugins import audit, ledger


def account(prefix: str = "acct") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def tally(broker, name: str) -> dict:
    return await request(broker, audit.TALLY, {"account": name})


async def ledger_messages(servers, subject: str) -> list[dict]:
    """Every message stored on ``subject``, read straight from the stream."""
    return await stream_messages(servers.nats_url, subject, "GOV_LEDGER")


def account_of(body: bytes) -> object:
    """The account a dead letter's body names, if it is a JSON object at all (the fault tests
    dead-letter undecodable bodies too)."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return data.get("account") if isinstance(data, dict) else None


async def dead_letters_of(servers, name: str) -> list:
    """The dead letters whose body names the account ``name``."""
    nc = await nats.connect(servers.nats_url)
    try:
        found = await list_dead_letters(nc.jetstream(), 1000)
    finally:
        await nc.close()
    return [d for d in found if account_of(d.body) == name]


async def credited_for(servers, name: str) -> list[dict]:
    messages = await ledger_messages(servers, ledger.CREDITED.subject)
    return [m for m in messages if m["data"]["account"] == name]


async def test_service_killed_between_state_write_and_publish_loses_nothing(servers, settings):
    """kill -9 after the state (with its event in the outbox) is written, before the publish."""
    await provision(settings, ledger.service, audit.service)
    name = account("kill")
    command_id = str(uuid.uuid4())
    victim = service_process(settings, "govbus_testplugins.ledger:service",
                             faults="outbox.after_state_write=kill")
    try:
        async with running(settings, audit.service) as host:
            await eventually(lambda: _health(host.broker), lambda ok: ok, timeout=30)
            with pytest.raises(GovbusError) as refused:
                await request(host.broker, ledger.DEPOSIT, {"account": name, "amount": 7},
                              message_id=command_id, timeout=1.5)
            assert refused.value.code in (ErrorCode.timeout, ErrorCode.unavailable)
            assert victim.wait(timeout=10) == -signal.SIGKILL

            # The state and its event were written; nothing reached the stream.
            mongo = AsyncMongoClient(settings.mongo_url)
            doc = await mongo["govbus_ledger"]["accounts"].find_one({"_id": name})
            await mongo.close()
            assert doc["balance"] == 7
            assert [e["subject"] for e in doc["_outbox"]] == [ledger.CREDITED.subject]
            assert await credited_for(servers, name) == []

            # Restarted, the service's sweeper publishes the straggler.
            survivor = service_process(settings, "govbus_testplugins.ledger:service")
            try:
                t = await eventually(lambda: tally(host.broker, name), lambda t: t["credits"] == 1)
                assert t["total"] == 7
                # The client retries its command (same id): the first reply, no second deposit.
                again = await request(host.broker, ledger.DEPOSIT, {"account": name, "amount": 7},
                                      message_id=command_id, timeout=10)
                assert again == {"account": name, "balance": 7, "version": 1}
                await asyncio.sleep(1.0)
                assert (await tally(host.broker, name))["credits"] == 1
                assert len(await credited_for(servers, name)) == 1
            finally:
                survivor.terminate()
                survivor.wait(timeout=15)
    finally:
        if victim.poll() is None:
            victim.kill()


async def _health(broker) -> bool:
    try:
        reply = await request(broker, ledger.CONTRACT.health, {}, timeout=1)
    except GovbusError:
        return False
    return reply["status"] == "ok"


async def test_broker_restart_mid_stream_loses_and_doubles_nothing(servers, settings):
    """Deposits keep coming while nats-server is restarted; clients retry with the same ids."""
    if servers.local is None:
        pytest.skip("needs the local nats-server to restart it")
    names = [account("restart") for _ in range(3)]
    amounts = {n: 0 for n in names}
    async with running(settings, ledger.service, audit.service) as host:
        client = make_broker(settings)
        await client.connect()

        async def deposit(i: int) -> None:
            name = names[i % len(names)]
            command_id = f"restart-{name}-{i}"
            await asyncio.sleep(i * 0.1)  # spread over the restart
            for _ in range(120):
                try:
                    await request(client, ledger.DEPOSIT, {"account": name, "amount": i + 1},
                                  message_id=command_id, timeout=2)
                    amounts[name] += i + 1
                    return
                except GovbusError as exc:
                    assert exc.code in (ErrorCode.timeout, ErrorCode.unavailable), exc
                    await asyncio.sleep(0.25)
            raise AssertionError(f"deposit {i} never answered")

        async def restart() -> None:
            await asyncio.sleep(1.0)
            await asyncio.to_thread(servers.restart_nats)

        await asyncio.gather(restart(), *(deposit(i) for i in range(30)))
        await stop_broker(client)
        for name in names:
            t = await eventually(lambda name=name: tally(host.broker, name),
                                 lambda t, name=name: t["total"] == amounts[name], timeout=60)
            balance = await request(host.broker, ledger.BALANCE, {"account": name})
            assert balance["balance"] == amounts[name] == t["total"]
            assert t["credits"] == balance["version"]


async def test_published_events_survive_a_broker_restart(servers, settings):
    if servers.local is None:
        pytest.skip("needs the local nats-server to restart it")
    name = account("durable")
    async with running(settings, ledger.service) as host:
        await request(host.broker, ledger.DEPOSIT, {"account": name, "amount": 3})
    await asyncio.to_thread(servers.restart_nats, True)  # SIGKILL: no orderly shutdown
    stored = await credited_for(servers, name)
    assert [m["data"]["balance"] for m in stored] == [3]


async def test_event_written_while_broker_is_down_is_published_after(servers, settings):
    if servers.local is None:
        pytest.skip("needs the local nats-server to stop it")
    name = account("outage")
    async with running(settings, ledger.service, audit.service) as host:
        repo = host.contexts["ledger"].repository("accounts", ledger.Account)
        await asyncio.to_thread(servers.stop_nats)
        try:
            # A command accepted just as the broker went away: state and event are written,
            # the publish fails and the entry stays in the outbox.
            def decide(a):
                from govbus_kit.repository import Emit, Outcome
                return Outcome(ledger.Account(id=name, balance=9), None,
                               [Emit(ledger.CREDITED, ledger.Credited(account=name, amount=9,
                                                                      balance=9))])
            await repo.execute(name, decide)
            doc = await repo.collection.find_one({"_id": name})
            assert len(doc["_outbox"]) == 1
        finally:
            await asyncio.to_thread(servers.start_nats)
        t = await eventually(lambda: tally(host.broker, name), lambda t: t["credits"] == 1,
                             timeout=60)
        assert t["total"] == 9
        # The entry leaves the outbox once the stream has acknowledged it; that may come a
        # sweep after the delivery (a publish that timed out while NATS came back was stored
        # all the same, and its republish is de-duplicated).
        await eventually(lambda: repo.collection.find_one({"_id": name}),
                         lambda doc: doc["_outbox"] == [], timeout=30)
        assert len(await credited_for(servers, name)) == 1


async def test_duplicated_delivery_changes_nothing(servers, settings):
    name = account("dup")
    async with running(settings, ledger.service, audit.service) as host:
        await request(host.broker, ledger.DEPOSIT, {"account": name, "amount": 4})
        await eventually(lambda: tally(host.broker, name), lambda t: t["credits"] == 1)
        original = (await credited_for(servers, name))[0]
        # Deliver the same event again, past JetStream's de-duplication (another Nats-Msg-Id),
        # as a replay or a late republish would.
        headers = dict(original["headers"])
        headers[H_MSG_ID] = headers[H_MSG_ID] + ":again"
        nc = await nats.connect(servers.nats_url)
        await nc.jetstream().publish(ledger.CREDITED.subject,
                                     json.dumps(original["data"]).encode(), headers=headers)
        await nc.close()
        await eventually(lambda: credited_for(servers, name), lambda m: len(m) == 2)
        await asyncio.sleep(1.5)
        t = await tally(host.broker, name)
        assert (t["credits"], t["total"]) == (1, 4)


async def test_republish_within_the_window_is_dropped_by_the_stream(servers, settings, nats_js):
    name = account("window")
    async with running(settings, ledger.service) as host:
        await request(host.broker, ledger.DEPOSIT, {"account": name, "amount": 2})
    original = (await credited_for(servers, name))[0]
    ack = await nats_js.publish(ledger.CREDITED.subject, json.dumps(original["data"]).encode(),
                                headers=original["headers"])
    assert ack.duplicate is True
    assert len(await credited_for(servers, name)) == 1


def govbus_cli(settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GOVBUS_NATS_URL": settings.nats_url,
           "GOVBUS_MONGO_URL": settings.mongo_url}
    return subprocess.run([sys.executable, "-m", "govbus_ops.cli", *args], env=env,
                          capture_output=True, text=True, timeout=60, check=False)


async def test_poison_message_is_dead_lettered_after_its_tries_and_replayed(servers, settings):
    poison, healthy = account("poison"), account("healthy")
    async with running(settings, ledger.service, audit.service) as host:
        await request(host.broker, ledger.DEPOSIT, {"account": poison, "amount": 11})
        await request(host.broker, ledger.DEPOSIT, {"account": healthy, "amount": 1})
        # The poison does not block the stream: the next event is tallied meanwhile.
        await eventually(lambda: tally(host.broker, healthy), lambda t: t["credits"] == 1)

        def letters():
            return dead_letters_of(servers, poison)

        dead = (await eventually(letters, lambda d: len(d) == 1, timeout=30))[0]
        assert dead.subject == ledger.CREDITED.subject
        assert dead.consumer == "audit-credits"
        assert dead.deliveries == settings.max_deliver
        assert "no cure stored" in dead.error
        assert (await tally(host.broker, poison))["credits"] == 0

        listed = await asyncio.to_thread(govbus_cli, settings, "dlq", "list", "--json",
                                         "--limit", "1000")
        assert listed.returncode == 0, listed.stderr
        assert any(json.loads(line)["id"] == dead.id for line in listed.stdout.splitlines())

        # The office fixes the cause, the operator replays.
        await host.contexts["audit"].db["cures"].insert_one({"_id": poison})
        replayed = await asyncio.to_thread(govbus_cli, settings, "dlq", "replay", str(dead.id))
        assert replayed.returncode == 0, replayed.stderr
        t = await eventually(lambda: tally(host.broker, poison), lambda t: t["credits"] == 1)
        assert t["total"] == 11
        assert await letters() == []


async def test_dead_letters_with_chinese_in_every_header_are_listed_and_replayed(
        servers, settings):
    """An account named in Chinese: its name is in the event's body, in ``ce-subject`` and in
    the handler's error, so in every header and the body a dead letter carries. ``govbus dlq
    list`` (text and --json) shows them as written, and the replay brings them back intact."""
    poison = account("poison-非密账户")
    async with running(settings, ledger.service, audit.service) as host:
        await request(host.broker, ledger.DEPOSIT, {"account": poison, "amount": 7})

        def letters():
            return dead_letters_of(servers, poison)

        dead = (await eventually(letters, lambda d: len(d) == 1, timeout=30))[0]
        assert f"cannot tally {poison}" in dead.error
        assert dead.headers["ce-subject"] == poison
        assert all(isinstance(v, str) for v in dead.headers.values())

        listed = await asyncio.to_thread(govbus_cli, settings, "dlq", "list", "--json",
                                         "--limit", "1000")
        assert listed.returncode == 0, listed.stderr
        mine = [json.loads(line) for line in listed.stdout.splitlines()
                if json.loads(line)["id"] == dead.id]
        assert len(mine) == 1 and poison in mine[0]["error"]
        table = await asyncio.to_thread(govbus_cli, settings, "dlq", "list", "--limit", "1000")
        assert table.returncode == 0, table.stderr
        assert poison in table.stdout

        await host.contexts["audit"].db["cures"].insert_one({"_id": poison})
        replayed = await asyncio.to_thread(govbus_cli, settings, "dlq", "replay", str(dead.id))
        assert replayed.returncode == 0, replayed.stderr
        t = await eventually(lambda: tally(host.broker, poison), lambda t: t["credits"] == 1)
        assert t["total"] == 7
        replay = [m for m in await credited_for(servers, poison)
                  if "govbus-replay-of" in m["headers"]]
        assert [m["headers"]["ce-subject"] for m in replay] == [poison]


async def test_malformed_event_is_dead_lettered_at_once(servers, settings, nats_js):
    async with running(settings, ledger.service, audit.service):
        bad = Envelope(source="/integrator/x", type=ledger.CREDITED.type)
        await nats_js.publish(ledger.CREDITED.subject, b'{"account": 12}',
                              headers=bad.to_headers())

        async def letters():
            return [d for d in await list_dead_letters(nats_js, 1000) if d.event_id == bad.id]

        dead = (await eventually(letters, lambda d: len(d) == 1))[0]
        assert dead.deliveries == 1
        assert dead.error.startswith("malformed")
        info = await nats_js.stream_info(DLQ_STREAM)
        assert info.config.subjects == ["gov.dlq.>"]


@pytest.mark.parametrize("body", [b'{"account": ', b"\xff\xfe not json", b"", b"[1, 2]"],
                         ids=["truncated-json", "not-utf8", "empty", "not-an-object"])
async def test_an_undecodable_event_is_dead_lettered_at_once(servers, settings, nats_js, body):
    """Bytes that are no JSON at all (issue 11: they were redelivered every 30 s forever,
    silently, holding a slot of the consumer) go to the dead letters with the reason."""
    async with running(settings, ledger.service, audit.service):
        bad = Envelope(source="/integrator/x", type=ledger.CREDITED.type)
        await nats_js.publish(ledger.CREDITED.subject, body,
                              headers={**bad.to_headers(), "content-type": "application/json"})

        async def letters():
            return [d for d in await list_dead_letters(nats_js, 1000) if d.event_id == bad.id]

        dead = (await eventually(letters, lambda d: len(d) == 1, timeout=20))[0]
        assert dead.deliveries == 1
        assert dead.error.startswith("malformed")
        assert dead.body == body


async def test_concurrent_commands_on_one_aggregate_lose_no_update(settings):
    name = account("busy")
    async with running(settings, ledger.service, audit.service) as host:
        replies = await asyncio.gather(*(
            request(host.broker, ledger.DEPOSIT, {"account": name, "amount": 1}, timeout=20)
            for _ in range(40)))
        assert sorted(r["version"] for r in replies) == list(range(1, 41))
        balance = await request(host.broker, ledger.BALANCE, {"account": name})
        assert (balance["balance"], balance["version"]) == (40, 40)
        t = await eventually(lambda: tally(host.broker, name), lambda t: t["credits"] == 40)
        assert t["total"] == 40


async def test_retried_command_does_not_act_twice(settings):
    name = account("retry")
    async with running(settings, ledger.service) as host:
        first = await request(host.broker, ledger.DEPOSIT, {"account": name, "amount": 5},
                              message_id="retry-key-0001")
        second = await request(host.broker, ledger.DEPOSIT, {"account": name, "amount": 5},
                               message_id="retry-key-0001")
        assert first == second == {"account": name, "balance": 5, "version": 1}
        with pytest.raises(GovbusError) as reused:
            await request(host.broker, ledger.DEPOSIT, {"account": name, "amount": 6},
                          message_id="retry-key-0001")
        assert reused.value.code is ErrorCode.idempotency_key_reused
        balance = await request(host.broker, ledger.BALANCE, {"account": name})
        assert (balance["balance"], balance["version"]) == (5, 1)


async def test_bad_command_is_refused_with_a_code_and_changes_nothing(settings):
    name = account("bad")
    async with running(settings, ledger.service) as host:
        with pytest.raises(GovbusError) as refused:
            await request(host.broker, ledger.DEPOSIT, {"account": name, "amount": -3})
        assert refused.value.code is ErrorCode.validation_failed
        assert refused.value.details["problems"][0]["field"] == "amount"
        with pytest.raises(GovbusError) as unknown:
            await request(host.broker, ledger.DEPOSIT, {"account": name, "amount": 3, "x": 1})
        assert unknown.value.code is ErrorCode.validation_failed
        with pytest.raises(GovbusError) as missing:
            await request(host.broker, ledger.BALANCE, {"account": name})
        assert missing.value.code is ErrorCode.not_found


async def test_every_service_answers_health(settings):
    async with running(settings, ledger.service, audit.service) as host:
        for contract in (ledger.CONTRACT, audit.CONTRACT):
            reply = await request(host.broker, contract.health, {})
            assert reply["service"] == contract.name
            assert reply["checks"]["nats"] == reply["checks"]["mongo"] == "ok"
            assert set(reply["checks"].values()) == {"ok"}
            assert reply["status"] == "ok"


# --- a crash at each write of a command (markers, ledgers, the outbox's removal) ---------

LEDGER_PLUGIN = "govbus_testplugins.ledger:service"


async def _store(settings, collection: str):
    mongo = AsyncMongoClient(settings.mongo_url, tz_aware=True)
    return mongo, mongo["govbus_ledger"][collection]


async def _ledger_records(settings, name: str) -> list[dict]:
    """The command records of account ``name`` in the ledger's period collections."""
    mongo = AsyncMongoClient(settings.mongo_url, tz_aware=True)
    try:
        db = mongo["govbus_ledger"]
        found = []
        for period in await db.list_collection_names():
            if period.startswith("_commands_"):
                found += [r async for r in db[period].find({})
                          if r["_id"].startswith(f"accounts/{name}/")]
        return found
    finally:
        await mongo.close()


async def _killed_on(host, victim, spec, payload, command_id) -> None:
    """Send a command the victim dies on: the client hears nothing, the victim is killed."""
    with pytest.raises(GovbusError) as refused:
        # The victim dies within milliseconds of taking the command; the timeout is only
        # the wait for a reply that never comes.
        await request(host.broker, spec, payload, message_id=command_id, timeout=1.5)
    assert refused.value.code in (ErrorCode.timeout, ErrorCode.unavailable)
    assert victim.wait(timeout=10) == -signal.SIGKILL


async def _unless_killed(victim, awaited):
    """What ``awaited`` gives, or None as soon as ``victim`` is dead without it (instead of
    waiting out the timeout of a request the dead process will never answer)."""
    answer = asyncio.ensure_future(awaited)
    while not answer.done() and victim.poll() is None:
        await asyncio.wait({answer}, timeout=0.1)
    if not answer.done():
        await asyncio.sleep(0.3)  # a reply sent just before the kill is still delivered
    if not answer.done():
        answer.cancel()
        await asyncio.gather(answer, return_exceptions=True)
        return None
    return answer.result()


async def _deposit(host, name: str, amount: int, command_id: str) -> dict:
    return await request(host.broker, ledger.DEPOSIT, {"account": name, "amount": amount},
                         message_id=command_id, timeout=10)


async def test_killed_after_the_marker_before_the_state_write_the_retry_applies_once(
        servers, settings, monkeypatch):
    monkeypatch.setenv("GOVBUS_TOUCHED_RETENTION_SECONDS", "1")
    await provision(settings, ledger.service, audit.service)
    name, command_id = account("marker"), str(uuid.uuid4())
    victim = service_process(settings, LEDGER_PLUGIN, faults="repository.after_marker=kill")
    try:
        async with running(settings, audit.service) as host:
            await eventually(lambda: _health(host.broker), lambda ok: ok, timeout=30)
            await _killed_on(host, victim, ledger.DEPOSIT, {"account": name, "amount": 7},
                             command_id)
            mongo, accounts = await _store(settings, "accounts")
            touched = mongo["govbus_ledger"]["_touched"]
            # The marker of a write that never happened; no state, nothing published.
            assert await accounts.find_one({"_id": name}) is None
            assert (await touched.find_one({"_id": f"accounts/{name}"}))["version"] == 1
            survivor = service_process(settings, LEDGER_PLUGIN)
            try:
                await eventually(lambda: _health(host.broker), lambda ok: ok, timeout=30)
                again = await _deposit(host, name, 7, command_id)
                assert again == {"account": name, "balance": 7, "version": 1}
                assert await _deposit(host, name, 7, command_id) == again
                t = await eventually(lambda: tally(host.broker, name),
                                     lambda t: t["credits"] == 1)
                assert t["total"] == 7
                # Its outbox empty and its retention past, the marker goes.
                await eventually(lambda: touched.find_one({"_id": f"accounts/{name}"}),
                                 lambda m: m is None, timeout=30)
            finally:
                survivor.terminate()
                survivor.wait(timeout=15)
                await mongo.close()
    finally:
        if victim.poll() is None:
            victim.kill()


async def test_killed_after_copying_the_last_record_before_the_state_write_loses_nothing(
        servers, settings):
    """The next writer copies the previous command's record into the ledger, then dies
    before its own compare-and-set: both commands, retried, act once in all."""
    await provision(settings, ledger.service, audit.service)
    name, first_id, second_id = account("copy"), str(uuid.uuid4()), str(uuid.uuid4())
    victim = service_process(settings, LEDGER_PLUGIN,
                             faults="repository.after_ledger_copy=kill")
    try:
        async with running(settings, audit.service) as host:
            await eventually(lambda: _health(host.broker), lambda ok: ok, timeout=30)
            first = await _deposit(host, name, 3, first_id)  # a new aggregate: nothing to copy
            assert first == {"account": name, "balance": 3, "version": 1}
            await _killed_on(host, victim, ledger.DEPOSIT, {"account": name, "amount": 4},
                             second_id)
            mongo, accounts = await _store(settings, "accounts")
            doc = await accounts.find_one({"_id": name})
            assert (doc["balance"], doc["version"]) == (3, 1)
            assert doc["_last"]["command"]["id"] == first_id  # and in the ledger now:
            assert [r["id"] for r in await _ledger_records(settings, name)] == [first_id]
            survivor = service_process(settings, LEDGER_PLUGIN)
            try:
                await eventually(lambda: _health(host.broker), lambda ok: ok, timeout=30)
                assert await _deposit(host, name, 4, second_id) == {
                    "account": name, "balance": 7, "version": 2}
                assert await _deposit(host, name, 3, first_id) == first
                assert await _deposit(host, name, 4, second_id) == {
                    "account": name, "balance": 7, "version": 2}
                t = await eventually(lambda: tally(host.broker, name),
                                     lambda t: t["credits"] == 2)
                assert t["total"] == 7
                await asyncio.sleep(1.0)
                assert (await tally(host.broker, name))["credits"] == 2
            finally:
                survivor.terminate()
                survivor.wait(timeout=15)
                await mongo.close()
    finally:
        if victim.poll() is None:
            victim.kill()


async def test_killed_after_copying_an_earlier_versions_records_loses_none_of_them(
        servers, settings):
    """An aggregate an earlier version wrote, with its ledgers in arrays: the next writer
    copies them into the ledger and dies before the write that removes them."""
    await provision(settings, ledger.service, audit.service)
    name, old_id, new_id = account("legacy"), str(uuid.uuid4()), str(uuid.uuid4())
    old_reply = {"account": name, "balance": 5, "version": 1}
    mongo, accounts = await _store(settings, "accounts")
    await accounts.insert_one({"_id": name, "balance": 5, "version": 1, "_outbox": [],
                               "_commands": [{"id": old_id, "hash": None, "reply": old_reply}],
                               "_applied": []})
    victim = service_process(settings, LEDGER_PLUGIN,
                             faults="repository.after_legacy_copy=kill")
    try:
        async with running(settings, audit.service) as host:
            await eventually(lambda: _health(host.broker), lambda ok: ok, timeout=30)
            assert await _deposit(host, name, 5, old_id) == old_reply  # from the array
            await _killed_on(host, victim, ledger.DEPOSIT, {"account": name, "amount": 2},
                             new_id)
            assert [r["id"] for r in await _ledger_records(settings, name)] == [old_id]
            assert "_commands" in await accounts.find_one({"_id": name})
            survivor = service_process(settings, LEDGER_PLUGIN)
            try:
                await eventually(lambda: _health(host.broker), lambda ok: ok, timeout=30)
                assert await _deposit(host, name, 2, new_id) == {
                    "account": name, "balance": 7, "version": 2}
                doc = await accounts.find_one({"_id": name})
                assert "_commands" not in doc and "_applied" not in doc
                assert await _deposit(host, name, 5, old_id) == old_reply  # from the ledger
                t = await eventually(lambda: tally(host.broker, name),
                                     lambda t: t["credits"] == 1)
                assert t["total"] == 2
            finally:
                survivor.terminate()
                survivor.wait(timeout=15)
    finally:
        await mongo.close()
        if victim.poll() is None:
            victim.kill()


async def test_killed_after_the_publish_before_the_outbox_removal_publishes_once(
        servers, settings):
    await provision(settings, ledger.service, audit.service)
    name, command_id = account("pulled"), str(uuid.uuid4())
    victim = service_process(settings, LEDGER_PLUGIN, faults="outbox.after_publish=kill")
    try:
        async with running(settings, audit.service) as host:
            await eventually(lambda: _health(host.broker), lambda ok: ok, timeout=30)
            await _killed_on(host, victim, ledger.DEPOSIT, {"account": name, "amount": 6},
                             command_id)
            mongo, accounts = await _store(settings, "accounts")
            # Published, still in the outbox.
            assert len((await accounts.find_one({"_id": name}))["_outbox"]) == 1
            assert len(await credited_for(servers, name)) == 1
            survivor = service_process(settings, LEDGER_PLUGIN)
            try:
                # The sweeper publishes it again; the stream drops the duplicate.
                await eventually(lambda: accounts.find_one({"_id": name}),
                                 lambda doc: doc["_outbox"] == [], timeout=30)
                assert await _deposit(host, name, 6, command_id) == {
                    "account": name, "balance": 6, "version": 1}
                t = await eventually(lambda: tally(host.broker, name),
                                     lambda t: t["credits"] == 1)
                assert t["total"] == 6
                assert len(await credited_for(servers, name)) == 1
            finally:
                survivor.terminate()
                survivor.wait(timeout=15)
                await mongo.close()
    finally:
        if victim.poll() is None:
            victim.kill()


async def test_sweeper_killed_as_it_deletes_a_marker_loses_nothing(
        servers, settings, monkeypatch):
    """The sweeper dies at a marker's deletion (its aggregate's outbox empty, its retention
    past): the restarted service deletes it, and nothing was applied twice."""
    monkeypatch.setenv("GOVBUS_TOUCHED_RETENTION_SECONDS", "1")
    await provision(settings, ledger.service, audit.service)
    name, command_id = account("unmark"), str(uuid.uuid4())
    victim = service_process(settings, LEDGER_PLUGIN, faults="outbox.before_marker_delete=kill")
    mongo, _ = await _store(settings, "accounts")
    touched = mongo["govbus_ledger"]["_touched"]
    try:
        async with running(settings, audit.service) as host:
            # The victim may die on an earlier test's marker before it is healthy or before
            # it answers: then the deposit is the retry's to make (no waiting out timeouts).
            first = None
            try:
                if await _unless_killed(victim, eventually(lambda: _health(host.broker),
                                                           lambda ok: ok, timeout=30)):
                    first = await _unless_killed(victim, _deposit(host, name, 5, command_id))
            except (GovbusError, AssertionError):
                pass
            assert victim.wait(timeout=30) == -signal.SIGKILL
            survivor = service_process(settings, LEDGER_PLUGIN)
            try:
                await eventually(lambda: _health(host.broker), lambda ok: ok, timeout=30)
                again = await _deposit(host, name, 5, command_id)
                assert again == {"account": name, "balance": 5, "version": 1}
                assert first in (None, again)
                await eventually(lambda: touched.find_one({"_id": f"accounts/{name}"}),
                                 lambda m: m is None, timeout=30)
                t = await eventually(lambda: tally(host.broker, name),
                                     lambda t: t["credits"] == 1)
                assert t["total"] == 5
                assert len(await credited_for(servers, name)) == 1
            finally:
                survivor.terminate()
                survivor.wait(timeout=15)
    finally:
        await mongo.close()
        if victim.poll() is None:
            victim.kill()
