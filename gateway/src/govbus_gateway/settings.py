"""The gateway's settings: the kit's (bus, servers, logging) and the gateway's own.

The same ``GOVBUS_*`` variables as ever: an operator's configuration does not change with
where a setting is declared. Services never read these; what they need of the gateway is
its public key (``GOVBUS_PRINCIPAL_PUBLIC_KEYS``, a kit setting).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from govbus_kit.principal import PrincipalSigner, local_signing_key
from govbus_kit.settings import Settings


class GatewaySettings(Settings):
    """``GOVBUS_*``: the kit's settings and the HTTP edge's."""

    model_config = SettingsConfigDict(env_prefix="GOVBUS_", env_file=".env", extra="ignore")

    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8080

    # Tokens: HS256 with a shared secret (local use), or RS256 from an identity provider.
    jwt_secret: SecretStr | None = None
    jwt_jwks_url: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None

    # The acting principal travels signed (govbus_kit.principal): the gateway holds the
    # Ed25519 signing key, services the public key(s).
    principal_signing_key: SecretStr | None = None
    principal_assertion_seconds: float = Field(default=60.0, gt=0, le=600)

    max_body_bytes: int = 1_048_576
    public_rate_limit_per_minute: int = 30

    #: peers whose forwarding header is believed: the ingress / reverse proxy, e.g.
    #: ``10.42.0.0/16`` or ``127.0.0.1,::1``; empty: nobody's
    trusted_proxies: str = ""
    #: the header those proxies set: ``x-forwarded-for`` (nginx, most ingresses) or
    #: ``forwarded`` (RFC 7239)
    trusted_proxy_header: Literal["x-forwarded-for", "forwarded"] = "x-forwarded-for"

    def principal_signer(self) -> PrincipalSigner | None:
        if self.principal_signing_key is None:
            return None
        return PrincipalSigner(self.principal_signing_key.get_secret_value(),
                               self.principal_assertion_seconds)

    def with_signing_key(self) -> GatewaySettings:
        """These settings with the key the gateway signs who acts with.

        A configured key is used as it is. Without one, local use (no identity provider:
        HS256 tokens) gets the key pair of this machine under var/, which services started
        apart verify with (``govbus_kit.principal.principal_keys``). With an identity
        provider the gateway does not start without its key (``ValueError``).
        """
        if self.principal_signing_key is not None:
            return self
        if self.jwt_jwks_url:
            raise ValueError(
                "GOVBUS_PRINCIPAL_SIGNING_KEY is not set: the gateway signs the principal it "
                "sends to the services (make a key pair with `govbus principal-key`)")
        return self.model_copy(update={
            "principal_signing_key": SecretStr(local_signing_key(self.var_dir))})
