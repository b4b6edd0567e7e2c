"""The signed principal (govbus_kit.principal), without servers."""

from __future__ import annotations

import time

import pytest

from govbus_contracts.envelope import Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_kit.principal import (
    PrincipalSigner,
    PrincipalVerifier,
    body_digest,
    new_key_pair,
    public_keys,
)
from govbus_kit.settings import Settings

LEADER = Principal(subject="u-chen", name="陈局长", roles=frozenset({"leader"}),
                   department="办公室")
SUBJECT = "gov.documents.cmd.draft_outgoing.v1"


def refused(verifier: PrincipalVerifier, assertion: str, subject: str = SUBJECT,
            message_id: str = "m1") -> GovbusError:
    with pytest.raises(GovbusError) as caught:
        verifier.verify(assertion, subject=subject, message_id=message_id)
    assert caught.value.code is ErrorCode.unauthenticated
    return caught.value


def test_a_signed_principal_comes_back_whole():
    signing, public = new_key_pair()
    assertion = PrincipalSigner(signing).sign(LEADER, subject=SUBJECT, message_id="m1")
    verifier = PrincipalVerifier.from_text([public])
    assert verifier.verify(assertion, subject=SUBJECT, message_id="m1") == LEADER


def test_plain_foreign_expired_or_misplaced_assertions_are_refused():
    signing, public = new_key_pair()
    verifier = PrincipalVerifier.from_text([public])
    refused(verifier, LEADER.model_dump_json())  # the old plain header
    foreign = PrincipalSigner(new_key_pair()[0]).sign(LEADER, subject=SUBJECT, message_id="m1")
    refused(verifier, foreign)
    signer = PrincipalSigner(signing, ttl_seconds=60)
    refused(verifier, signer.sign(LEADER, subject=SUBJECT, message_id="m1",
                                  now=time.time() - 120))
    good = signer.sign(LEADER, subject=SUBJECT, message_id="m1")
    refused(verifier, good, subject="gov.documents.cmd.other.v1")
    refused(verifier, good, message_id="m2")
    with pytest.raises(GovbusError):  # another body under the same assertion
        verifier.verify(good, subject=SUBJECT, message_id="m1", body=b'{"x": 1}')
    with pytest.raises(GovbusError):  # a message without an id
        verifier.verify(good, subject=SUBJECT, message_id=None)
    refused(verifier, "x" * 10_000)
    refused(PrincipalVerifier.from_text([]), good)  # no key: nothing is accepted


def test_every_key_of_a_rotation_is_accepted():
    (old, old_public), (new, new_public) = new_key_pair(), new_key_pair()
    settings = Settings(principal_public_keys=f"{old_public}, {new_public}")
    verifier = PrincipalVerifier.from_text(public_keys(settings))
    for key in (old, new):
        assertion = PrincipalSigner(key).sign(LEADER, subject=SUBJECT, message_id="m1")
        assert verifier.verify(assertion, subject=SUBJECT, message_id="m1") == LEADER


class Signing(Settings):
    """Settings that sign, as the gateway's do (one process running services and gateway)."""

    signing_key: str = ""

    def principal_signer(self) -> PrincipalSigner | None:
        return PrincipalSigner(self.signing_key)


def test_the_signing_key_in_the_same_settings_verifies_too():
    signing, public = new_key_pair()
    assert public_keys(Settings()) == []
    assert public_keys(Signing(signing_key=signing)) == [public]


@pytest.mark.parametrize("keys", ["CHANGE_ME", "abc", "!!!"])
def test_a_misconfigured_key_is_named_at_start(keys):
    with pytest.raises(ValueError, match="GOVBUS_PRINCIPAL_PUBLIC_KEYS"):
        PrincipalVerifier.from_text(public_keys(Settings(principal_public_keys=keys)))
    with pytest.raises(ValueError, match="GOVBUS_PRINCIPAL_SIGNING_KEY"):
        PrincipalSigner(keys)


def test_an_assertion_is_decoded_once_whichever_key_of_a_rotation_signed_it(monkeypatch):
    """The verifier parses the compact form once and tries each key on the same bytes (it
    used to decode once for the issuer and again for every key tried)."""
    import jwt.api_jws

    (_, old_public), (new, new_public) = new_key_pair(), new_key_pair()
    verifier = PrincipalVerifier.from_text([old_public, new_public])
    assertion = PrincipalSigner(new).sign(LEADER, subject=SUBJECT, message_id="m1")
    loads: list[object] = []
    original = jwt.api_jws.PyJWS._load

    def counted(self: object, token: str | bytes) -> object:
        loads.append(token)
        return original(self, token)  # type: ignore[arg-type]

    monkeypatch.setattr(jwt.api_jws.PyJWS, "_load", counted)
    assert verifier.verify(assertion, subject=SUBJECT, message_id="m1") == LEADER
    assert len(loads) == 1


def test_another_algorithm_or_issuer_is_refused_even_when_the_claims_are_right():
    import base64
    import json

    import jwt

    signing, public = new_key_pair()
    verifier = PrincipalVerifier.from_text([public])
    claims = {"iss": "govbus-gateway", "sub": "u-chen", "roles": ["leader"],
              "iat": int(time.time()), "exp": int(time.time()) + 60,
              "bus_subject": SUBJECT, "jti": "m1", "body": body_digest(b"")}
    # HS256 keyed with the public key (the classic confusion), and no signature at all
    refused(verifier, jwt.encode(claims, public, algorithm="HS256"))
    refused(verifier, jwt.encode(claims, None, algorithm="none"))
    # the gateway's key, another issuer
    good = PrincipalSigner(signing).sign(LEADER, subject=SUBJECT, message_id="m1")
    header, payload, signature = good.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps({**body, "iss": "other"}).encode()).rstrip(
        b"=").decode()
    refused(verifier, f"{header}.{forged}.{signature}")
    # a required claim missing, however signed
    refused(verifier, jwt.encode({k: v for k, v in claims.items() if k != "jti"}, public,
                                 algorithm="HS256"))
