"""The signed principal (govbus_kit.principal), without servers."""

from __future__ import annotations

import time

import pytest

from govbus_contracts.envelope import Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_kit.principal import (
    PrincipalSigner,
    PrincipalVerifier,
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
