"""The operator's keys for the signed principal: ``govbus principal-key`` and the keys
``govbus run`` and ``govbus gateway`` start with (the gateway's
GatewaySettings.with_signing_key, the services' govbus_kit.principal.principal_keys)."""

from __future__ import annotations

import pytest

from govbus_contracts.envelope import Principal
from govbus_gateway.settings import GatewaySettings
from govbus_kit.principal import PrincipalSigner, PrincipalVerifier, public_keys
from govbus_kit.settings import Settings

LEADER = Principal(subject="u-chen", name="陈局长", roles=frozenset({"leader"}),
                   department="办公室")
SUBJECT = "gov.documents.cmd.draft_outgoing.v1"


def test_local_use_shares_one_key_pair_under_var(tmp_path, monkeypatch):
    """`govbus gateway` and `govbus run --no-gateway` started apart, without configured
    keys and without an identity provider: both use var/principal-signing-key."""
    from govbus_ops.cli import signing_key, verifying_keys

    monkeypatch.delenv("GOVBUS_JWT_JWKS_URL", raising=False)
    gateway = signing_key(GatewaySettings(var_dir=tmp_path, nats_url="nats://127.0.0.1:1"))
    services = verifying_keys(Settings(var_dir=tmp_path, nats_url="nats://127.0.0.1:1"))
    assert oct((tmp_path / "principal-signing-key").stat().st_mode & 0o777) == "0o600"
    assertion = PrincipalSigner(gateway.principal_signing_key.get_secret_value()).sign(
        LEADER, subject=SUBJECT, message_id="m1")
    verifier = PrincipalVerifier.from_text(public_keys(services))
    assert verifier.verify(assertion, subject=SUBJECT, message_id="m1") == LEADER


def test_with_an_identity_provider_the_gateway_needs_its_signing_key(tmp_path, monkeypatch):
    import typer

    from govbus_ops.cli import signing_key, verifying_keys

    monkeypatch.setenv("GOVBUS_JWT_JWKS_URL", "https://idp.example/certs")
    with pytest.raises(typer.BadParameter, match="GOVBUS_PRINCIPAL_SIGNING_KEY"):
        signing_key(GatewaySettings(var_dir=tmp_path))
    # services keep to the configured public keys; none is made up for them
    services = verifying_keys(Settings(var_dir=tmp_path))
    assert services.principal_public_keys is None and public_keys(services) == []
    assert not (tmp_path / "principal-signing-key").exists()


def test_principal_key_command_prints_a_working_pair():
    from typer.testing import CliRunner

    from govbus_ops.cli import app

    result = CliRunner().invoke(app, ["principal-key"])
    assert result.exit_code == 0, result.output
    values = dict(line.split("=", 1) for line in result.output.split())
    assertion = PrincipalSigner(values["GOVBUS_PRINCIPAL_SIGNING_KEY"]).sign(
        LEADER, subject=SUBJECT, message_id="m1")
    verifier = PrincipalVerifier.from_text([values["GOVBUS_PRINCIPAL_PUBLIC_KEYS"]])
    assert verifier.verify(assertion, subject=SUBJECT, message_id="m1") == LEADER
