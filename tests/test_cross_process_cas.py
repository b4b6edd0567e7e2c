"""Two processes writing one aggregate: MongoDB's atomic compare-and-set decides.

FerretDB's update-with-filter is a read then a write, so two writers in different processes
can both pass a version check there; govbus serialises writers inside a process and relies on
MongoDB across processes. This test needs MongoDB and is skipped on the local FerretDB:
run it with GOVBUS_MONGO_URL pointing at a MongoDB (or where testcontainers has Docker).
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from govbus_kit.bus import request
from govbus_testing import running
from govbus_testplugins import ledger


@pytest.mark.mongodb_only
async def test_two_hosts_writing_one_account_lose_no_update(servers, settings):
    if not servers.is_mongodb:
        pytest.skip("cross-process compare-and-set is atomic on MongoDB, not on FerretDB")
    name = f"cas-{uuid.uuid4().hex[:8]}"
    # Two hosts, each with its own repositories and locks: as two processes would be.
    async with running(settings, ledger.service) as one, running(settings, ledger.service) as two:
        await asyncio.gather(*(
            request((one if i % 2 else two).broker, ledger.DEPOSIT, {"account": name, "amount": 1},
                    timeout=30)
            for i in range(40)))
        balance = await request(one.broker, ledger.BALANCE, {"account": name})
    assert (balance["balance"], balance["version"]) == (40, 40)
