"""No token makes a service act: a token whose subject is a service's system principal, or
that carries the system role, is refused at the gateway (``unauthenticated``), so the gateway
never asks a service in a service's name (govbus_kit.principal, ServiceSigner)."""

from __future__ import annotations

import time

import jwt
import pytest

from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_gateway.auth import Authenticator

SECRET = "system-tokens-secret-" + "s" * 32


def token(sub: str, *roles: str) -> str:
    claims = {"sub": sub, "roles": list(roles), "exp": int(time.time() + 600)}
    return "Bearer " + jwt.encode(claims, SECRET, algorithm="HS256")


@pytest.mark.parametrize(("sub", "roles"), [
    ("system:supervision", ("system",)),
    ("system:documents", ()),
    ("u-li", ("drafter", "system")),
])
async def test_a_token_naming_a_service_or_its_role_is_refused(sub: str,
                                                               roles: tuple[str, ...]) -> None:
    with pytest.raises(GovbusError) as refused:
        await Authenticator(secret=SECRET).principal(token(sub, *roles))
    assert refused.value.code is ErrorCode.unauthenticated


async def test_a_member_of_staff_still_logs_in() -> None:
    principal = await Authenticator(secret=SECRET).principal(token("u-li", "drafter"))
    assert principal is not None and principal.subject == "u-li"
