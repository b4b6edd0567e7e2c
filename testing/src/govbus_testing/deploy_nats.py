"""A nats-server started with the production configuration of ``deploy/nats/``.

``nats-server.conf`` and ``accounts.conf`` are copied as they are, with only what must
differ on a test machine changed: the listen address (a free port on 127.0.0.1), no
monitoring port, the pid file and the JetStream directory under a temporary directory, and
no cluster block (one node). Users, passwords (from the environment, as in production) and
permissions are the deployed ones; departments' users are added where an operator adds them,
as ``govbus departments nats-user`` prints them.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nats.aio.client import Client as NATS

from govbus_kit.bus import nats_options
from govbus_kit.departments import nats_user, nats_user_block, password_variable
from govbus_kit.settings import Settings
from govbus_ops.infra import free_port, wait_for_port

REPO = Path(__file__).resolve().parents[3]
DEPLOY_NATS = REPO / "deploy" / "nats"
BIN = Path(os.environ.get("GOVBUS_BIN_DIR", REPO / ".bin")) / "nats-server"
SERVICES = ("documents", "supervision", "complaints", "tendering", "disclosure", "appraisal")
#: password variables of deploy/nats (accounts.conf) and their users
PASSWORD_VARIABLES = {
    **{f"GOVBUS_NATS_PW_{s.upper()}": s for s in SERVICES},
    "GOVBUS_NATS_PW_GATEWAY": "gateway",
    "GOVBUS_NATS_PW_ADMIN": "govbus-admin",
    "NATS_SYS_PASSWORD": "sys",
}
#: Where accounts.conf takes the departments' users (the end of the GOVBUS users list).
DEPARTMENTS_MARKER = ("# ---- departments: `govbus departments nats-user <name>` blocks go "
                      "below ----")


def _without_block(text: str, name: str) -> str:
    start = re.search(rf"(?m)^{name}\s*\{{", text)
    if start is None:
        return text
    depth, i = 0, start.end() - 1
    while True:
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[:start.start()] + text[i + 1:]
        i += 1


def configuration_for_test(directory: Path, port: int,
                           departments: Mapping[str, str] | None = None) -> Path:
    """The deployed configuration on a test port; ``departments`` (name → code) each get the
    user ``govbus departments nats-user`` prints, pasted below the marker."""
    conf = (DEPLOY_NATS / "nats-server.conf").read_text()
    conf = re.sub(r'(?m)^listen:.*$', f'listen: "127.0.0.1:{port}"', conf)
    conf = re.sub(r'(?m)^http:.*$', "", conf)
    conf = re.sub(r'(?m)^pid_file:.*$', f'pid_file: "{directory / "nats.pid"}"', conf)
    conf = re.sub(r'(?m)^(\s*)store_dir:.*$', rf'\1store_dir: "{directory / "js"}"', conf)
    conf = _without_block(conf, "cluster")
    (directory / "nats-server.conf").write_text(conf)
    accounts = (DEPLOY_NATS / "accounts.conf").read_text()
    if departments:
        if DEPARTMENTS_MARKER not in accounts:
            raise RuntimeError(f"accounts.conf lacks the marker {DEPARTMENTS_MARKER!r}")
        blocks = "".join(nats_user_block(name, code) for name, code in departments.items())
        accounts = accounts.replace(DEPARTMENTS_MARKER, DEPARTMENTS_MARKER + "\n" + blocks)
    (directory / "accounts.conf").write_text(accounts)
    return directory / "nats-server.conf"


@dataclass
class DeployedNats:
    url: str
    passwords: dict[str, str]
    process: subprocess.Popen[bytes]
    log: Path

    def settings(self, user: str, base: Settings | None = None, **update: object) -> Settings:
        """Settings of a client connecting as ``user`` of deploy/nats (as in production:
        GOVBUS_NATS_USER and GOVBUS_NATS_PASSWORD, the inbox prefix by default)."""
        cls = type(base) if base is not None else Settings
        values = {**(base.model_dump() if base is not None else {}),
                  "nats_url": self.url, "nats_user": user,
                  "nats_password": self.passwords[user], **update}
        return cls(**values)

    def service_settings(self, service: str, base: Settings, public_keys: str,
                         **update: object) -> Settings:
        """A service's container: its own NATS user, a database of its own (this test's),
        the gateway's public key(s) and no signing key."""
        from govbus_testing.helpers import IsolatedSettings

        own = IsolatedSettings(**base.model_dump(),
                               database=f"govbus_{service}_sec_{uuid.uuid4().hex[:8]}")
        return self.settings(service, own, principal_signing_key=None,
                             principal_public_keys=public_keys, **update)

    def gateway_settings(self, base: Settings, signing_key: str | None) -> Settings:
        """The gateway's connection: requests to any service, principals signed with
        ``signing_key`` (none: a stolen password without the key)."""
        return self.settings("gateway", base, principal_signing_key=signing_key,
                             principal_public_keys=None)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


async def raw_connection(settings: Settings) -> tuple[NATS, list[str]]:
    """A plain connection with the user's credentials that records the server's errors (a
    denied subscription or publication is reported there, not raised: STACK.md)."""
    import nats

    errors: list[str] = []

    async def remember(exc: Exception) -> None:
        errors.append(str(exc))

    nc = await nats.connect(**nats_options(settings), error_cb=remember,
                            max_reconnect_attempts=0)
    return nc, errors


def start(directory: Path, passwords: dict[str, str] | None = None,
          wait: float = 15.0, departments: Mapping[str, str] | None = None) -> DeployedNats:
    """Start the deploy configuration; ``passwords`` maps user names to passwords (one is
    made per user when not given); ``departments`` (name → code) get their users
    (``dept-<code>``). Raises RuntimeError with the server's log if it stops."""
    import secrets

    variables = {**PASSWORD_VARIABLES, **{password_variable(code): nats_user(code)
                                          for code in (departments or {}).values()}}
    passwords = dict(passwords or {})
    for user in variables.values():
        passwords.setdefault(user, "p" + secrets.token_hex(24))
    port = free_port()
    conf = configuration_for_test(directory, port, departments)
    env = {**os.environ, "NATS_SERVER_NAME": "nats-test"}
    for variable, user in variables.items():
        env[variable] = passwords[user]
    log = directory / "nats.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([str(BIN), "-c", str(conf)], stdout=out,
                                stderr=subprocess.STDOUT, env=env, cwd=directory)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nats-server stopped: {log.read_text()[-2000:]}")
        try:
            wait_for_port("127.0.0.1", port, 0.5)
            break
        except Exception:
            continue
    else:
        proc.kill()
        raise RuntimeError(f"nats-server did not start: {log.read_text()[-2000:]}")
    return DeployedNats(f"nats://127.0.0.1:{port}", passwords, proc, log)


async def sync_streams_as_operator(server: DeployedNats) -> None:
    """The streams, as the operator's Job makes them (`govbus streams sync` as govbus-admin)."""
    from govbus_contracts.registry import all_contracts
    from govbus_kit.bus import connect_nats
    from govbus_kit.streams import sync_streams

    admin = server.settings("govbus-admin")
    nc = await connect_nats(admin)
    try:
        await sync_streams(nc.jetstream(), all_contracts(), admin)
    finally:
        await nc.close()


@contextmanager
def provisioned(directory: Path, **options: Any) -> Iterator[DeployedNats]:
    """``start(directory, **options)`` with the streams synced; stopped afterwards."""
    import asyncio

    server = start(directory, **options)
    try:
        asyncio.run(sync_streams_as_operator(server))
        yield server
    finally:
        server.stop()
