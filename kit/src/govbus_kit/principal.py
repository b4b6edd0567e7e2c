"""The acting principal on the bus, signed by the gateway.

The gateway verifies a user's token, then sends the principal to a service as a short-lived
assertion: a compact JWS (EdDSA, Ed25519) of the principal's claims, bound to the NATS
subject and the message id it travels with. Services verify it with the gateway's public
key(s). Whoever holds only a NATS credential (a service's, even the gateway's) cannot make
one: without the private key a plain or forged ``govbus-principal`` header is refused
(``unauthenticated``). No header at all is the public (anonymous), as before.

A service also acts as itself, never as a user: when supervision asks documents to draft a
督办通知书, its request carries ``Principal.system("supervision")`` signed with the service's
own key (``ServiceSigner``, issuer ``govbus-service:<name>``). A receiver trusts a service's
key only for that service's own system principal (``GOVBUS_SERVICE_PUBLIC_KEYS`` names the
service of each key): a service's key can make neither a user nor another service, and the
gateway's assertions can never carry a system principal.

Keys are raw Ed25519 keys in base64url (43 characters): ``GOVBUS_PRINCIPAL_SIGNING_KEY``
(the gateway only) and ``GOVBUS_PRINCIPAL_PUBLIC_KEYS`` (services; comma-separated, so a
new key can be added before the gateway switches to it and the old one removed after).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from govbus_contracts.envelope import Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_kit.settings import Settings

ISSUER = "govbus-gateway"
#: a service's own assertions: ``govbus-service:<service>``
SERVICE_ISSUER = "govbus-service:"
#: the role and subject prefix of a service acting as itself (``Principal.system``)
SYSTEM_ROLE = "system"
SYSTEM_PREFIX = "system:"
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

    def __init__(self, signing_key: str, ttl_seconds: float = 60.0,
                 setting: str = "GOVBUS_PRINCIPAL_SIGNING_KEY") -> None:
        self._key = Ed25519PrivateKey.from_private_bytes(_key_bytes(signing_key, setting))
        self.ttl_seconds = ttl_seconds
        self.public_key = public_key_of(signing_key)

    def sign(self, principal: Principal, *, subject: str, message_id: str,
             body: bytes = b"", now: float | None = None) -> str:
        if is_system(principal):
            # A user's token never makes a service act: only the service's own key does.
            raise _refused("the gateway does not sign a system principal")
        return self._encode(principal, issuer=ISSUER, subject=subject, message_id=message_id,
                            body=body, now=now)

    def _encode(self, principal: Principal, *, issuer: str, subject: str, message_id: str,
                body: bytes, now: float | None) -> str:
        issued = int(now if now is not None else time.time())
        claims: dict[str, Any] = {
            "iss": issuer, "sub": principal.subject, "roles": sorted(principal.roles),
            "iat": issued, "exp": issued + int(self.ttl_seconds),
            # Bound to the message: an assertion seen once cannot carry another command.
            "bus_subject": subject, "jti": message_id, "body": body_digest(body),
        }
        if principal.name is not None:
            claims["name"] = principal.name
        if principal.department is not None:
            claims["department"] = principal.department
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)


class ServiceSigner(PrincipalSigner):
    """A service's side when it asks another service: signs its own system principal, and
    nothing else, with the service's key (``GOVBUS_SERVICE_SIGNING_KEY``)."""

    def __init__(self, signing_key: str, services: Iterable[str],
                 ttl_seconds: float = 60.0) -> None:
        super().__init__(signing_key, ttl_seconds, setting="GOVBUS_SERVICE_SIGNING_KEY")
        self.services = frozenset(services)

    def sign(self, principal: Principal, *, subject: str, message_id: str,
             body: bytes = b"", now: float | None = None) -> str:
        service = system_service(principal)
        if service is None or service not in self.services:
            raise _refused("a service signs only its own system principal")
        return self._encode(principal, issuer=SERVICE_ISSUER + service, subject=subject,
                            message_id=message_id, body=body, now=now)


def is_system(principal: Principal) -> bool:
    return principal.subject.startswith(SYSTEM_PREFIX) or SYSTEM_ROLE in principal.roles


def system_service(principal: Principal) -> str | None:
    """The service a system principal is (``Principal.system(name)``), else None."""
    if (principal.subject.startswith(SYSTEM_PREFIX) and principal.roles == {SYSTEM_ROLE}
            and principal.department is None):
        return principal.subject[len(SYSTEM_PREFIX):] or None
    return None


@dataclass(frozen=True)
class PrincipalVerifier:
    """A service's side: the gateway's public keys (several while a key is rotated), and the
    keys of the services it trusts to act as themselves, by service."""

    keys: tuple[Ed25519PublicKey, ...]
    services: Mapping[str, tuple[Ed25519PublicKey, ...]] = field(default_factory=dict)

    @classmethod
    def from_text(cls, public_keys: list[str],
                  service_keys: Mapping[str, list[str]] | None = None) -> PrincipalVerifier:
        return cls(
            tuple(Ed25519PublicKey.from_public_bytes(
                _key_bytes(k, "GOVBUS_PRINCIPAL_PUBLIC_KEYS")) for k in public_keys),
            {name: tuple(Ed25519PublicKey.from_public_bytes(
                _key_bytes(k, "GOVBUS_SERVICE_PUBLIC_KEYS")) for k in keys)
             for name, keys in (service_keys or {}).items()})

    def verify(self, assertion: str, *, subject: str, message_id: str | None,
               body: bytes = b"") -> Principal:
        """The principal of a valid assertion; ``unauthenticated`` otherwise.

        The assertion is decoded once: its claims are checked (present, not expired, not
        issued in the future), its issuer chooses the keys (the gateway's, or the keys of
        the service it names), and the signature over the same bytes is tried with each
        of those keys (a rotation has two)."""
        if len(assertion) > MAX_ASSERTION_CHARS:
            raise _refused()
        try:
            token = jwt.decode_complete(assertion, options=_CLAIMS_CHECKED,
                                        leeway=LEEWAY_SECONDS)
        except jwt.PyJWTError as exc:
            raise _refused(str(exc)) from exc
        claims: dict[str, Any] = token["payload"]
        if token["header"].get("alg") != ALGORITHM:
            raise _refused("The specified alg value is not allowed")
        issuer = claims["iss"]
        service: str | None = None
        if isinstance(issuer, str) and issuer.startswith(SERVICE_ISSUER):
            service = issuer[len(SERVICE_ISSUER):]
            keys = self.services.get(service, ())
        elif issuer == ISSUER:
            keys = self.keys
        else:
            raise _refused("Invalid issuer")
        # The signed bytes are the compact form's first two parts, as they came.
        _signed_by(keys, assertion.rsplit(".", 1)[0].encode(), token["signature"])
        if (claims["bus_subject"] != subject or claims["jti"] != message_id
                or claims["body"] != body_digest(body)):
            raise _refused("the assertion was made for another message")
        try:
            principal = Principal(subject=claims["sub"], name=claims.get("name"),
                                  roles=frozenset(claims.get("roles") or []),
                                  department=claims.get("department"))
        except (ValueError, TypeError) as exc:
            raise _refused("malformed claims") from exc
        if service is not None:
            # A service's key speaks for that service only, as itself.
            if system_service(principal) != service:
                raise _refused("a service's key signs only that service's system principal")
        elif is_system(principal):
            raise _refused("a system principal is signed by its service, not the gateway")
        return principal


#: What ``verify`` checks of the claims while decoding (the signature it checks itself,
#: with the keys the issuer chooses): every claim it reads present, ``exp`` and ``iat``
#: within the leeway, and the standard claims well formed.
_CLAIMS_CHECKED: Any = {
    "verify_signature": False, "verify_exp": True, "verify_nbf": True, "verify_iat": True,
    "verify_aud": True, "verify_iss": False, "verify_sub": True, "verify_jti": True,
    "require": ["exp", "iat", "iss", "sub", "jti", "bus_subject", "body"],
}


def _signed_by(keys: tuple[Ed25519PublicKey, ...], signed: bytes, signature: bytes) -> None:
    if not keys:
        raise _refused()
    for key in keys:
        try:
            key.verify(signature, signed)
            return
        except InvalidSignature:
            continue  # perhaps the other key of a rotation
    raise _refused("not signed by a known key of its issuer")


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


def service_public_keys(settings: Settings) -> dict[str, list[str]]:
    """The services a service trusts to act as themselves, each with its key(s):
    ``GOVBUS_SERVICE_PUBLIC_KEYS`` = ``supervision=<key>,complaints=<key>`` (a name twice
    while its key is rotated)."""
    trusted: dict[str, list[str]] = {}
    for item in (settings.service_public_keys or "").split(","):
        if not item.strip():
            continue
        name, sep, key = item.strip().partition("=")
        if not sep or not name.strip() or not key.strip():
            raise ValueError("GOVBUS_SERVICE_PUBLIC_KEYS: each entry is <service>=<public key>, "
                             f"got {item.strip()[:40]!r}")
        trusted.setdefault(name.strip(), []).append(key.strip())
    return trusted


def service_signer(settings: Settings, services: Iterable[str]) -> ServiceSigner | None:
    """What the services of this process sign their own requests with, if they have a key."""
    if settings.service_signing_key is None:
        return None
    return ServiceSigner(settings.service_signing_key.get_secret_value(), services)


def verifier(settings: Settings, own: ServiceSigner | None = None) -> PrincipalVerifier:
    """The keys a host verifies with: the gateway's, the trusted services', and its own
    services' (one process hosting the asking and the asked service)."""
    trusted = service_public_keys(settings)
    if own is not None:
        for name in own.services:
            if own.public_key not in trusted.setdefault(name, []):
                trusted[name].append(own.public_key)
    return PrincipalVerifier.from_text(public_keys(settings), trusted)
