"""The acting principal on the bus, signed by the gateway.

The gateway verifies a user's token, then sends the principal to a service as a short-lived
assertion: a compact JWS (EdDSA, Ed25519) of the principal's claims, bound to the NATS
subject and the message id it travels with. Services verify it with the gateway's public
key(s). Whoever holds only a NATS credential (a service's, even the gateway's) cannot make
one: without the private key a plain or forged ``govbus-principal`` header is refused
(``unauthenticated``). No header at all is the public (anonymous), as before.

Keys are raw Ed25519 keys in base64url (43 characters): ``GOVBUS_PRINCIPAL_SIGNING_KEY``
(the gateway only) and ``GOVBUS_PRINCIPAL_PUBLIC_KEYS`` (services; comma-separated, so a
new key can be added before the gateway switches to it and the old one removed after).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from govbus_contracts.envelope import Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_kit.settings import Settings

ISSUER = "govbus-gateway"
ALGORITHM = "EdDSA"
#: seconds of clock difference tolerated between the gateway and a service
LEEWAY_SECONDS = 5
#: the longest assertion a service reads (a header value; the claims of one principal)
MAX_ASSERTION_CHARS = 8192


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    text = text.strip()
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key_bytes(text: str, setting: str) -> bytes:
    try:
        raw = _unb64(text)
    except ValueError as exc:
        raise ValueError(f"{setting}: not base64url (make a pair with "
                         f"`govbus principal-key`)") from exc
    if len(raw) != 32:
        raise ValueError(f"{setting}: an Ed25519 key is 32 bytes (43 base64url characters), "
                         f"got {len(raw)} (make a pair with `govbus principal-key`)")
    return raw


def new_key_pair() -> tuple[str, str]:
    """A signing key and its public key, both base64url of the raw 32 bytes."""
    seed = secrets.token_bytes(32)
    return _b64(seed), public_key_of(_b64(seed))


def public_key_of(signing_key: str) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = Ed25519PrivateKey.from_private_bytes(
        _key_bytes(signing_key, "GOVBUS_PRINCIPAL_SIGNING_KEY"))
    return _b64(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


def local_signing_key(var_dir: Path) -> str:
    """A key pair for this machine under var/ (local use, like the local JWT secret)."""
    path = var_dir / "principal-signing-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(new_key_pair()[0])
        path.chmod(0o600)
    return path.read_text().strip()



def principal_keys(settings: Settings, *, local: bool,
                   warn: Callable[[str], None] = lambda _: None) -> Settings:
    """A service's settings with the keys it verifies who acts with.

    Configured public keys are used as they are, and so is the signer of settings that also
    sign (one process running services and gateway). Without either, local use (``local``:
    no identity provider, HS256 tokens) verifies with the key pair of this machine under
    var/, the one a gateway started apart signs with
    (``govbus_gateway.settings.GatewaySettings.with_signing_key``). Otherwise no key is made
    up: every request that names a principal is refused, and ``warn`` says so.
    """
    if settings.principal_public_keys or settings.principal_signer() is not None:
        return settings
    if not local:
        warn("warning: GOVBUS_PRINCIPAL_PUBLIC_KEYS is not set: every request that names "
             "a principal will be refused")
        return settings
    return settings.model_copy(update={
        "principal_public_keys": public_key_of(local_signing_key(settings.var_dir))})


class PrincipalSigner:
    """The gateway's side: signs the principal of one request."""

    def __init__(self, signing_key: str, ttl_seconds: float = 60.0) -> None:
        self._key = Ed25519PrivateKey.from_private_bytes(
            _key_bytes(signing_key, "GOVBUS_PRINCIPAL_SIGNING_KEY"))
        self.ttl_seconds = ttl_seconds
        self.public_key = public_key_of(signing_key)

    def sign(self, principal: Principal, *, subject: str, message_id: str,
             body: bytes = b"", now: float | None = None) -> str:
        issued = int(now if now is not None else time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER, "sub": principal.subject, "roles": sorted(principal.roles),
            "iat": issued, "exp": issued + int(self.ttl_seconds),
            # Bound to the message: an assertion seen once cannot carry another command.
            "bus_subject": subject, "jti": message_id, "body": body_digest(body),
        }
        if principal.name is not None:
            claims["name"] = principal.name
        if principal.department is not None:
            claims["department"] = principal.department
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)


@dataclass(frozen=True)
class PrincipalVerifier:
    """A service's side: the gateway's public keys (several while a key is rotated)."""

    keys: tuple[Ed25519PublicKey, ...]

    @classmethod
    def from_text(cls, public_keys: list[str]) -> PrincipalVerifier:
        return cls(tuple(
            Ed25519PublicKey.from_public_bytes(_key_bytes(k, "GOVBUS_PRINCIPAL_PUBLIC_KEYS"))
            for k in public_keys))

    def verify(self, assertion: str, *, subject: str, message_id: str | None,
               body: bytes = b"") -> Principal:
        """The principal of a valid assertion; ``unauthenticated`` otherwise."""
        if len(assertion) > MAX_ASSERTION_CHARS or not self.keys:
            raise _refused()
        for key in self.keys:
            try:
                claims = jwt.decode(
                    assertion, key, algorithms=[ALGORITHM], issuer=ISSUER,
                    leeway=LEEWAY_SECONDS,
                    options={"require": ["exp", "iat", "iss", "sub", "jti", "bus_subject",
                                         "body"]})
            except jwt.InvalidSignatureError:
                continue  # perhaps the other key of a rotation
            except jwt.PyJWTError as exc:
                raise _refused(str(exc)) from exc
            if (claims["bus_subject"] != subject or claims["jti"] != message_id
                    or claims["body"] != body_digest(body)):
                raise _refused("the assertion was made for another message")
            try:
                return Principal(subject=claims["sub"], name=claims.get("name"),
                                 roles=frozenset(claims.get("roles") or []),
                                 department=claims.get("department"))
            except (ValueError, TypeError) as exc:
                raise _refused("malformed claims") from exc
        raise _refused("not signed by a known gateway key")


def body_digest(body: bytes) -> str:
    return _b64(hashlib.sha256(body).digest())


def _refused(reason: str = "") -> GovbusError:
    return GovbusError(ErrorCode.unauthenticated,
                       "the acting principal is not signed by the gateway",
                       **({"reason": reason[:200]} if reason else {}))


def public_keys(settings: Settings) -> list[str]:
    """What a service verifies with: the configured public keys, and the public key of the
    signer of the same settings (one process running services and gateway)."""
    keys = [k.strip() for k in (settings.principal_public_keys or "").split(",") if k.strip()]
    own = settings.principal_signer()
    if own is not None and own.public_key not in keys:
        keys.append(own.public_key)
    return keys


def verifier(settings: Settings) -> PrincipalVerifier:
    return PrincipalVerifier.from_text(public_keys(settings))
