"""Every way an event can fail ends in ``GOV_DLQ`` with its reason, and is logged (issue 11,
item 1): bytes that are no JSON, a body its model refuses, a version the consumer does not
read, a handler that raises (after the configured tries). None of them blocks the stream or
holds an unacknowledged slot. Real nats-server and FerretDB; the test-only ``ledger`` and
``audit`` plugins, and the issue's own case on the documents→disclosure subject."""

from __future__ import annotations

import uuid

import pytest
import structlog

from govbus_contracts.envelope import H_SPECVERSION, H_TYPE, Envelope
from govbus_contracts.services.documents.outgoing import OUTGOING_DISPATCHED
from govbus_contracts.subjects import stream_name
from govbus_disclosure.plugin import service as disclosure
from govbus_kit.bus import request
from govbus_kit.dlq import list_dead_letters
from govbus_testing import eventually, running
from govbus_testplugins import audit, ledger

pytestmark = pytest.mark.servers


def account(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


V2 = ledger.CREDITED.type.removesuffix(".v1") + ".v2"

#: kind → (body, header overrides, the reason the dead letter must give)
AT_ONCE = {
    "undecodable bytes": (b"\xff\xfe{", {}, "malformed"),
    "truncated json": (b'{"account": ', {}, "malformed"),
    "body its model refuses": (b'{"account": 12, "amount": "much"}', {}, "malformed"),
    "no CloudEvents headers": (None, {"ce-id": "", "ce-type": ""}, "malformed"),
    "a version the consumer does not read": (None, {H_TYPE: V2}, "unknown version: ce-type"),
    "another CloudEvents specversion": (None, {H_SPECVERSION: "2.0"},
                                        "unknown version: CloudEvents specversion"),
}


@pytest.mark.parametrize("kind", list(AT_ONCE))
async def test_a_message_that_cannot_succeed_is_dead_lettered_at_once_and_logged(
        servers, settings, nats_js, kind):
    body, overrides, reason = AT_ONCE[kind]
    name = account("odd")
    envelope = Envelope(source="/integrator/x", type=ledger.CREDITED.type, subject=name)
    headers = {**envelope.to_headers(), "content-type": "application/json", **overrides}
    headers = {k: v for k, v in headers.items() if v != ""}
    payload = body if body is not None else (
        f'{{"account": "{name}", "amount": 5, "balance": 5}}'.encode())
    with structlog.testing.capture_logs() as logs:
        async with running(settings, ledger.service, audit.service) as host:
            await nats_js.publish(ledger.CREDITED.subject, payload, headers=headers)
            # Published after the poison: tallied all the same (the stream is not blocked).
            healthy = account("healthy")
            await request(host.broker, ledger.DEPOSIT, {"account": healthy, "amount": 1})

            async def letters():
                # By the account in ce-subject: the same bytes are other tests' poison too.
                return [d for d in await list_dead_letters(nats_js, 1000)
                        if d.headers.get("ce-subject") == name]

            dead = (await eventually(letters, lambda d: len(d) == 1, timeout=20))[0]
            await eventually(lambda: request(host.broker, audit.TALLY, {"account": healthy}),
                             lambda t: t["credits"] == 1)
            assert (await request(host.broker, audit.TALLY, {"account": name}))["credits"] == 0
            # Acknowledged: nothing of it is left pending on the consumer.
            info = await nats_js.consumer_info(stream_name("ledger"), "audit-credits")
            assert info.num_ack_pending == 0
    assert dead.deliveries == 1
    assert dead.consumer == "audit-credits"
    assert dead.error.startswith(reason), dead.error
    logged = [e for e in logs if e["event"] == "event_dead_lettered"
              and e.get("error", "").startswith(reason)]
    assert logged and logged[0]["log_level"] == "error"


async def test_a_handler_that_raises_is_dead_lettered_after_the_configured_tries_and_logged(
        servers, settings, nats_js):
    name = account("poison")
    with structlog.testing.capture_logs() as logs:
        async with running(settings, ledger.service, audit.service) as host:
            # audit refuses to tally an account without a cure: its handler raises each try.
            await request(host.broker, ledger.DEPOSIT, {"account": name, "amount": 3})

            async def letters():
                return [d for d in await list_dead_letters(nats_js, 1000)
                        if name.encode() in d.body]

            dead = (await eventually(letters, lambda d: len(d) == 1, timeout=40))[0]
    assert dead.deliveries == settings.max_deliver
    assert "no cure stored" in dead.error
    retried = [e for e in logs if e["event"] == "event_handler_failed"]
    assert len(retried) >= settings.max_deliver - 1
    assert any(e["event"] == "event_dead_lettered" and "no cure stored" in e["error"]
               for e in logs)


async def test_the_issues_truncated_dispatch_fact_reaches_the_dead_letters(
        servers, settings, nats_js):
    """The issue's own case: ``{"document_id": `` with proper headers on the documents
    service's dispatched subject, which the disclosure catalogue consumes. It was redelivered
    every 30 s forever, silently."""
    envelope = Envelope(source="/documents", type=OUTGOING_DISPATCHED.type)
    with structlog.testing.capture_logs() as logs:
        async with running(settings, disclosure):
            await nats_js.publish(OUTGOING_DISPATCHED.subject, b'{"document_id": ',
                                  headers=envelope.to_headers())

            async def letters():
                return [d for d in await list_dead_letters(nats_js, 1000)
                        if d.event_id == envelope.id]

            dead = (await eventually(letters, lambda d: len(d) == 1, timeout=20))[0]
    assert dead.consumer == "disclosure-catalogue"
    assert dead.subject == OUTGOING_DISPATCHED.subject
    assert dead.error.startswith("malformed")
    assert any(e["event"] == "event_dead_lettered" for e in logs)
