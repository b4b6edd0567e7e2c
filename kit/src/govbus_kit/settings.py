"""Settings from ``GOVBUS_*`` environment variables (and a ``.env`` file if present)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    # Imported where used: the ledgers bring pymongo, which a command such as
    # `govbus token` never needs (a third of a second at every start of the CLI).
    from govbus_kit.ledgers import Ledgers
    from govbus_kit.principal import PrincipalSigner


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GOVBUS_", env_file=".env", extra="ignore")

    # Servers. Unset: `govbus run` starts the local ones under var_dir.
    nats_url: str | None = Field(default=None, description="nats://host:4222[,nats://...]")
    nats_user: str | None = None
    nats_password: SecretStr | None = None
    nats_creds: Path | None = None
    # Replies, JetStream acks and pulled messages of this connection arrive on
    # <prefix>.<unique>; deploy/nats lets each user subscribe only to its own prefix, so
    # no other user can read them. Unset: _INBOX.<nats_user> (plain _INBOX without a user).
    nats_inbox_prefix: str | None = Field(default=None, max_length=200,
                                          pattern=r"^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$")
    mongo_url: str | None = Field(default=None, description="mongodb://... (replica set)")

    # Local infrastructure (embedded default).
    var_dir: Path = Path("var")
    bin_dir: Path = Path(".bin")
    local_nats_port: int = 4222
    local_mongo_port: int = 27017

    # JetStream.
    stream_replicas: int = 1
    stream_max_age_days: int = 3650  # long retention: consumers replay history
    duplicate_window_seconds: float = 120.0
    max_deliver: int = Field(default=5, ge=1, description="tries before a message is dead-lettered")
    ack_wait_seconds: float = 30.0
    retry_backoff_seconds: list[float] = [1.0, 5.0, 15.0, 60.0]

    # Requests.
    request_timeout_seconds: float = 5.0
    # Commands and queries handled at once per subscriber (per service instance). Writes to
    # one aggregate are still serialised by the repository's lock.
    handler_concurrency: int = Field(default=16, ge=1)
    # Requests of one service waiting for a slot, at most; one more is answered `overloaded`
    # at once (with Retry-After) instead of waiting in an unbounded queue until long after
    # its caller gave up. A waiting request whose caller's deadline passes is dropped.
    handler_queue_limit: int = Field(default=64, ge=0)
    overload_retry_after_seconds: int = Field(default=1, ge=1, le=60)
    # Service health: a store ping slower than this, or a consumer with more messages not yet
    # acknowledged than this, makes the service "degraded" (with the figure).
    health_store_slow_ms: float = Field(default=500.0, gt=0)
    health_backlog_max: int = Field(default=1000, ge=0)

    # Outbox relay.
    outbox_sweep_seconds: float = 5.0
    outbox_grace_seconds: float = 2.0
    # A `_touched` marker (what the outbox sweeper and list projections follow) is kept at
    # least this long after its aggregate's last write.
    touched_retention_seconds: float = Field(default=120.0, gt=0)

    # Idempotency ledgers (govbus_kit.ledgers), kept beside the aggregates. A retried command
    # comes within seconds or minutes of its first try: a week is plenty. Applied event ids
    # are kept longer, because an operator may replay a dead letter days after its first
    # deliveries, one of which may have applied already.
    command_ledger_days: float = Field(default=7.0, gt=0)
    applied_ledger_days: float = Field(default=30.0, gt=0)

    # List projections (govbus_kit.listing): how often a replica reads the markers of the
    # other replicas' writes, and how long a list query waits for the start-up load before
    # it answers "unavailable" (below the request timeout, so the caller hears why).
    listing_refresh_seconds: float = Field(default=1.0, gt=0)
    listing_load_wait_seconds: float = Field(default=4.5, gt=0)

    # The acting principal (govbus_kit.principal): services accept only principals signed
    # with one of the gateway's public keys, comma-separated for a rotation. The gateway's
    # own settings (its signing key, tokens, limits) are the gateway's:
    # govbus_gateway.settings.GatewaySettings.
    principal_public_keys: str | None = Field(default=None, max_length=2000)
    # A service acting as itself (supervision asking documents to draft a 督办通知书) signs
    # its own system principal with its key; a receiver trusts each service's key for that
    # service only: <service>=<public key>, comma-separated. Unset in a host: its services
    # sign with a key made for the process, trusted by that process's services only.
    service_signing_key: SecretStr | None = None
    service_public_keys: str | None = Field(default=None, max_length=4000)

    # Calendar and logging.
    calendar_dir: Path | None = None
    # How often a service looks for a changed calendar directory (and a calendar revision
    # to recompute provisional deadlines under): a stat of the files and one read by _id.
    calendar_check_seconds: float = Field(default=60.0, gt=0)
    # An operator's legal and office periods (govbus_kit.periods): <dir>/<service>.json
    # versions that override or extend the ones the service ships, read at start-up.
    periods_dir: Path | None = None
    # The operator's department codes (govbus_kit.departments): JSON {"财政局": "czj", …},
    # read at start-up; the same file for every service. A department not in it gets a code
    # derived from its name.
    departments_file: Path | None = None
    log_level: str = "INFO"
    log_format: str = Field(default="json", description="json | console")

    def principal_signer(self) -> PrincipalSigner | None:
        """What a connection made with these settings signs the principals it sends with:
        nobody here; the gateway's settings sign with the gateway's key."""
        return None

    def ledgers(self) -> Ledgers:
        from govbus_kit.ledgers import APPLIED, COMMANDS, Ledger, Ledgers

        return Ledgers(Ledger(COMMANDS, timedelta(days=self.command_ledger_days)),
                       Ledger(APPLIED, timedelta(days=self.applied_ledger_days)))

    def database_name(self, service: str) -> str:
        return f"govbus_{service}"
