"""A service acting as itself (govbus_kit.principal.ServiceSigner, ServiceContext.ask): its
key speaks for its own system principal only, never for a user or another service; the
gateway never speaks for a service; and on real servers one service asks another as itself,
under a message id derived from its cause."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from govbus_contracts import Command, ServiceContract
from govbus_contracts.base import Reply
from govbus_contracts.envelope import Principal, deterministic_id
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_kit.bus import request
from govbus_kit.principal import (
    ALGORITHM,
    SERVICE_ISSUER,
    PrincipalSigner,
    PrincipalVerifier,
    ServiceSigner,
    _unb64,
    body_digest,
    new_key_pair,
    service_public_keys,
    verifier,
)
from govbus_kit.service import CommandContext, Service
from govbus_kit.settings import Settings
from govbus_testing import running

SUBJECT = "gov.documents.cmd.draft_outgoing.v1"
SUPERVISION = Principal.system("supervision")
CLERK = Principal(subject="u-li", name="李明", roles=frozenset({"drafter"}), department="秘书科")


def trusting(**keys: str) -> PrincipalVerifier:
    return PrincipalVerifier.from_text([], {name: [key] for name, key in keys.items()})


def refused(verifier: PrincipalVerifier, assertion: str) -> None:
    with pytest.raises(GovbusError) as caught:
        verifier.verify(assertion, subject=SUBJECT, message_id="m1")
    assert caught.value.code is ErrorCode.unauthenticated


def forged(key: str, **claims: Any) -> str:
    """An assertion made by hand with ``key``: what a holder of that key alone could send."""
    now = int(time.time())
    return jwt.encode({"iat": now, "exp": now + 60, "bus_subject": SUBJECT, "jti": "m1",
                       "body": body_digest(b""), "roles": ["system"], **claims},
                      Ed25519PrivateKey.from_private_bytes(_unb64(key)), algorithm=ALGORITHM)


def test_a_service_is_known_as_itself_by_its_own_key() -> None:
    key, public = new_key_pair()
    assertion = ServiceSigner(key, ["supervision"]).sign(SUPERVISION, subject=SUBJECT,
                                                         message_id="m1")
    assert trusting(supervision=public).verify(
        assertion, subject=SUBJECT, message_id="m1") == SUPERVISION


def test_a_service_key_signs_neither_a_user_nor_another_service() -> None:
    key, public = new_key_pair()
    signer = ServiceSigner(key, ["supervision"])
    for principal in (CLERK, Principal.system("documents")):
        with pytest.raises(GovbusError):
            signer.sign(principal, subject=SUBJECT, message_id="m1")
    verifier = trusting(supervision=public)
    # By hand, with the service's key: a user, another service, a role added, a department.
    refused(verifier, forged(key, iss=SERVICE_ISSUER + "supervision", sub="u-li",
                             roles=["drafter"]))
    refused(verifier, forged(key, iss=SERVICE_ISSUER + "documents", sub="system:documents"))
    refused(verifier, forged(key, iss=SERVICE_ISSUER + "supervision",
                             sub="system:supervision", roles=["system", "admin"]))
    refused(verifier, forged(key, iss=SERVICE_ISSUER + "supervision",
                             sub="system:supervision", department="财政局"))
    # As if it were the gateway's key: the gateway's keys are others.
    refused(verifier, forged(key, iss="govbus-gateway", sub="u-li", roles=["drafter"]))


def test_the_gateway_never_speaks_for_a_service() -> None:
    key, public = new_key_pair()
    with pytest.raises(GovbusError):
        PrincipalSigner(key).sign(SUPERVISION, subject=SUBJECT, message_id="m1")
    gateway_trusted = PrincipalVerifier.from_text([public])
    refused(gateway_trusted, forged(key, iss="govbus-gateway", sub="system:supervision"))
    refused(gateway_trusted, forged(key, iss="govbus-gateway", sub="u-x", roles=["system"]))
    # …and a service's issuer with the gateway's key is not the service either.
    refused(gateway_trusted, forged(key, iss=SERVICE_ISSUER + "supervision",
                                    sub="system:supervision"))


def test_trusted_service_keys_are_named_by_service_and_rotate() -> None:
    (old, old_public), (new, new_public) = new_key_pair(), new_key_pair()
    settings = Settings(service_public_keys=f"supervision={old_public}, "
                                            f"supervision={new_public}")
    assert service_public_keys(settings) == {"supervision": [old_public, new_public]}
    trusted = verifier(settings)
    for key in (old, new):
        assertion = ServiceSigner(key, ["supervision"]).sign(SUPERVISION, subject=SUBJECT,
                                                             message_id="m1")
        assert trusted.verify(assertion, subject=SUBJECT, message_id="m1") == SUPERVISION
    with pytest.raises(ValueError, match="GOVBUS_SERVICE_PUBLIC_KEYS"):
        service_public_keys(Settings(service_public_keys=old_public))


# --- on real servers ---------------------------------------------------------------------


ASKED = ServiceContract("askedsvc")
ASKING = ServiceContract("askingsvc")


class Note(Command):
    text: str


class Noted(Reply):
    by: str
    roles: list[str]
    message_id: str


class Prompt(Command):
    text: str


NOTE = ASKED.command("note", Note, Noted)
PROMPT = ASKING.command("prompt", Prompt, Noted)

asked = Service(ASKED)
asking = Service(ASKING)


@asked.command(NOTE)
async def note(cmd: Note, ctx: CommandContext) -> Noted:
    return Noted(by=ctx.principal.subject, roles=sorted(ctx.principal.roles),
                 message_id=ctx.command_id)


@asking.command(PROMPT)
async def prompt(cmd: Prompt, ctx: CommandContext) -> Noted:
    # Derived from the command that caused it: the same prompt asks once.
    asked_id = deterministic_id("askingsvc", "note", ctx.command_id)
    return Noted.model_validate(await ctx.service.ask(NOTE, Note(text=cmd.text),
                                                      message_id=asked_id))


@pytest.mark.servers
async def test_one_service_asks_another_as_itself(settings: Settings) -> None:
    async with running(settings, asked, asking) as host:
        first = await request(host.broker, PROMPT, {"text": "督办通知书"}, message_id="p1")
        again = await request(host.broker, PROMPT, {"text": "督办通知书"}, message_id="p1")
        assert first["by"] == "system:askingsvc" and first["roles"] == ["system"]
        # A repeated prompt asks under the same id (the asked service's ledger answers it).
        assert again["message_id"] == first["message_id"] == deterministic_id(
            "askingsvc", "note", "p1")
        # Nobody else is the service: a plain header claiming it is refused.
        with pytest.raises(GovbusError) as plain:
            await _plain_as_service(host)
        assert plain.value.code is ErrorCode.unauthenticated


async def _plain_as_service(host: Any) -> None:
    """The system principal as a plain header, from a connection without the key."""
    from govbus_kit.bus import make_broker, stop_broker

    other = make_broker(host.settings)
    await other.start()
    try:
        await request(other, NOTE, {"text": "x"}, principal=Principal.system("askingsvc"),
                      message_id="n1")
    finally:
        await stop_broker(other)
