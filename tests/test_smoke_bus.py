from __future__ import annotations

from govbus_kit.bus import request
from govbus_testing import eventually, running
from govbus_testplugins import audit, ledger


async def test_deposit_reaches_the_audit(settings):
    async with running(settings, ledger.service, audit.service) as host:
        reply = await request(host.broker, ledger.DEPOSIT, {"account": "smoke-1", "amount": 5})
        assert reply == {"account": "smoke-1", "balance": 5, "version": 1}
        tally = await eventually(
            lambda: request(host.broker, audit.TALLY, {"account": "smoke-1"}),
            lambda t: t["credits"] == 1)
        assert tally["total"] == 5
