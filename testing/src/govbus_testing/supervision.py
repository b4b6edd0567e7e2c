"""What the supervision flows on real servers share: the 督查室's staff, departments of one
test alone, and a refusal that must leave the stored item as it was."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from typing import Any

import pytest

from govbus_contracts.envelope import Principal
from govbus_contracts.errors import ErrorCode, GovbusError

#: 督查室工作人员.
SUPERVISOR = Principal(subject="du-zhou", name="周督查", roles=frozenset({"supervisor"}),
                       department="督查室")


def unique(prefix: str) -> str:
    """A department of this test alone (the servers are shared by the session)."""
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


async def refused(code: ErrorCode, db: Any, item_id: str, call: Awaitable[Any]) -> None:
    """The call is refused with ``code`` and the stored item is as it was."""
    before = await db["items"].find_one({"_id": item_id})
    with pytest.raises(GovbusError) as raised:
        await call
    assert raised.value.code is code, raised.value
    assert await db["items"].find_one({"_id": item_id}) == before
