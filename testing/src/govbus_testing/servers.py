"""Real servers for tests: never a mock.

One session's servers, chosen in this order:
1. ``GOVBUS_NATS_URL`` and ``GOVBUS_MONGO_URL`` if both are set (e.g. a MongoDB replica set
   and a NATS cluster of the operator's);
2. testcontainers (``mongo:7`` and ``nats`` with JetStream) where a Docker engine answers;
3. the local binaries (nats-server with JetStream, FerretDB on SQLite) on free ports in a
   temporary directory.

Use it from a ``conftest.py``: ``pytest_plugins = ["govbus_testing.servers"]``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from govbus_ops.infra import LocalServers, free_port


@dataclass
class TestServers:
    kind: str  # configured | containers | local
    nats_url: str
    mongo_url: str
    local: LocalServers | None = None
    _cleanup: list[Any] = field(default_factory=list)

    @property
    def is_mongodb(self) -> bool:
        """Real MongoDB (atomic compare-and-set across processes), not FerretDB."""
        return self.kind != "local" and os.environ.get("GOVBUS_MONGO_IS_FERRETDB") != "1"

    def restart_nats(self, kill: bool = False) -> None:
        if self.local is None:
            pytest.skip("restarting the broker needs the local nats-server")
        self.local.restart_nats(kill=kill)

    def stop_nats(self) -> None:
        if self.local is None:
            pytest.skip("stopping the broker needs the local nats-server")
        self.local.stop_nats()

    def start_nats(self) -> None:
        assert self.local is not None
        self.local.start_nats()

    def close(self) -> None:
        for fn in reversed(self._cleanup):
            fn()


def repo_root() -> Path:
    return Path(__file__).resolve().parents[3]


def _docker_answers() -> bool:
    try:
        import docker  # type: ignore[import-untyped]

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


def start_servers() -> TestServers:
    nats_url, mongo_url = os.environ.get("GOVBUS_NATS_URL"), os.environ.get("GOVBUS_MONGO_URL")
    if nats_url and mongo_url:
        return TestServers("configured", nats_url, mongo_url)
    if os.environ.get("GOVBUS_TEST_CONTAINERS", "auto") != "never" and _docker_answers():
        from testcontainers.community.mongodb import MongoDbContainer
        from testcontainers.community.nats import NatsContainer

        mongo = MongoDbContainer("mongo:7")
        nats = NatsContainer("nats:2.12", jetstream=True)
        mongo.start()
        nats.start()
        servers = TestServers("containers", nats.nats_uri(), mongo.get_connection_url())
        servers._cleanup += [mongo.stop, nats.stop]
        return servers
    root = Path(tempfile.mkdtemp(prefix="govbus-test-"))
    bin_dir = Path(os.environ.get("GOVBUS_BIN_DIR", repo_root() / ".bin"))
    local = LocalServers(root=root, bin_dir=bin_dir, tied_to_parent=True, nats_port=free_port(),
                         mongo_port=free_port())
    local.start()
    servers = TestServers("local", local.nats_url, local.mongo_url, local)
    servers._cleanup += [lambda: shutil.rmtree(root, ignore_errors=True), local.stop]
    return servers


@pytest.fixture(scope="session")
def servers() -> Iterator[TestServers]:
    started = start_servers()
    try:
        yield started
    finally:
        started.close()


@pytest.fixture(scope="session")
def settings(servers: TestServers) -> Any:
    from govbus_gateway.settings import GatewaySettings
    from govbus_kit.principal import new_key_pair

    # The tests' brokers act as the gateway: they sign the principals they send.
    signing_key, _ = new_key_pair()
    return GatewaySettings(
        nats_url=servers.nats_url, mongo_url=servers.mongo_url,
        outbox_sweep_seconds=0.5, outbox_grace_seconds=0.5,
        retry_backoff_seconds=[0.2, 0.2, 0.2, 0.2], max_deliver=3,
        request_timeout_seconds=5.0, jwt_secret="test-secret-" + "x" * 32,
        principal_signing_key=signing_key,
    )


@pytest.fixture
async def nats_js(servers: TestServers) -> AsyncIterator[Any]:
    import nats

    nc = await nats.connect(servers.nats_url)
    try:
        yield nc.jetstream()
    finally:
        await nc.close()
