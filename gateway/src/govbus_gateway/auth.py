"""Authentication: JWT bearer tokens (HS256 with a local secret, RS256 with a JWKS URL).

Claims: ``sub``; ``roles`` (or Keycloak's ``realm_access.roles``); ``department``; ``name``.
"""

from __future__ import annotations

from typing import Any

import anyio
import jwt

from govbus_contracts.envelope import Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_kit.principal import is_system


class Authenticator:
    def __init__(
        self,
        *,
        secret: str | None = None,
        jwks_url: str | None = None,
        issuer: str | None = None,
        audience: str | None = None,
        leeway: float = 30.0,
    ) -> None:
        if not secret and not jwks_url:
            raise ValueError("configure GOVBUS_JWT_SECRET (local) or GOVBUS_JWT_JWKS_URL")
        self.secret = secret
        self.jwks = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=3600) if jwks_url else None
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway

    async def principal(self, authorization: str | None) -> Principal | None:
        """The caller, or None without a token; an invalid token raises ``unauthenticated``."""
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise GovbusError(ErrorCode.unauthenticated, "use an Authorization: Bearer token")
        try:
            claims = await self._decode(token.strip())
        except jwt.PyJWTError as exc:
            raise GovbusError(ErrorCode.unauthenticated, f"invalid token: {exc}") from exc
        return _principal(claims)

    async def _decode(self, token: str) -> dict[str, Any]:
        options = {"require": ["exp", "sub"]}
        kwargs: dict[str, Any] = {"leeway": self.leeway, "options": options}
        if self.issuer:
            kwargs["issuer"] = self.issuer
        if self.audience:
            kwargs["audience"] = self.audience
        else:
            options["verify_aud"] = False  # type: ignore[assignment]
        if self.jwks is not None and jwt.get_unverified_header(token).get("alg", "").startswith(
            ("RS", "ES", "PS")
        ):
            jwks = self.jwks
            key = await anyio.to_thread.run_sync(lambda: jwks.get_signing_key_from_jwt(token).key)
            return jwt.decode(token, key, algorithms=["RS256", "ES256", "PS256"], **kwargs)
        if not self.secret:
            raise jwt.InvalidAlgorithmError(
                "this gateway accepts only tokens of its identity provider")
        return jwt.decode(token, self.secret, algorithms=["HS256"], **kwargs)


def _principal(claims: dict[str, Any]) -> Principal:
    roles = claims.get("roles")
    if roles is None:
        roles = (claims.get("realm_access") or {}).get("roles", [])
    if isinstance(roles, str):
        roles = roles.split()
    principal = Principal(
        subject=str(claims["sub"]),
        name=claims.get("name"),
        roles=frozenset(str(r) for r in roles),
        department=claims.get("department") or claims.get("dept"),
    )
    if is_system(principal):
        # Only a service's own key makes a service act (govbus_kit.principal): a token that
        # names a service, or its role, is no member of staff and no service either.
        raise GovbusError(ErrorCode.unauthenticated,
                          "invalid token: a system principal cannot log in")
    return principal
