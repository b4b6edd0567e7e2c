"""One correlation id per piece of work: the CloudEvents one.

FastStream puts its own ``correlation_id`` header on every message it publishes (a fresh
uuid unless told otherwise). A reader of the raw headers (an integrator's consumer, a
tracing tool) must not find two correlation ids that disagree: the command, the reply and
the events it causes carry ``ce-correlationid``, and any ``correlation_id`` beside it is the
same value. Read from the real nats-server, as published.
"""

from __future__ import annotations

import asyncio

import nats

from govbus_contracts.envelope import H_CORRELATION
from govbus_kit.bus import request
from govbus_testing import running, stream_messages
from govbus_testplugins import ledger

FASTSTREAM_CORRELATION = "correlation_id"


def one_correlation_id(headers: dict[str, str], expected: str) -> None:
    assert headers[H_CORRELATION] == expected
    assert headers.get(FASTSTREAM_CORRELATION, expected) == expected, headers


async def test_a_command_and_the_event_it_causes_carry_one_correlation_id(settings):
    account = "corr-1"
    work = "req-corr-0001"
    async with running(settings, ledger.service) as host:
        seen: list[dict[str, str]] = []
        nc = await nats.connect(settings.nats_url)
        try:
            async def copy(msg: nats.aio.msg.Msg) -> None:
                seen.append(dict(msg.headers or {}))

            # A plain subscription beside the service's queue group sees the command as sent.
            await nc.subscribe(ledger.DEPOSIT.subject, cb=copy)
            await nc.flush()
            await request(host.broker, ledger.DEPOSIT, {"account": account, "amount": 7},
                          correlation_id=work)
            for _ in range(50):
                if seen:
                    break
                await asyncio.sleep(0.05)
        finally:
            await nc.close()

    assert len(seen) == 1
    one_correlation_id(seen[0], work)
    events = [m for m in await stream_messages(settings.nats_url, ledger.CREDITED.subject,
                                               "GOV_LEDGER")
              if m["data"]["account"] == account]
    assert len(events) == 1
    one_correlation_id(events[0]["headers"], work)


async def test_a_reply_carries_the_correlation_id_of_its_command(settings):
    async with running(settings, ledger.service) as host:
        msg = await host.broker.request(
            b'{"account": "corr-2", "amount": 1}', ledger.DEPOSIT.subject,
            headers={H_CORRELATION: "req-corr-0002", "ce-id": "cmd-corr-0002"},
            correlation_id="req-corr-0002", timeout=5.0)
    assert dict(msg.headers or {})[FASTSTREAM_CORRELATION] == "req-corr-0002"
