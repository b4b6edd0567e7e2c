"""A nats-server started with the production configuration of ``deploy/nats/``.

``nats-server.conf`` and ``accounts.conf`` are copied as they are, with only what must
differ on a test machine changed: the listen address (a free port on 127.0.0.1), no
monitoring port, the pid file and the JetStream directory under a temporary directory, and
no cluster block (one node). Users, passwords (from the environment, as in production) and
permissions are the deployed ones.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

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


def configuration_for_test(directory: Path, port: int) -> Path:
    conf = (DEPLOY_NATS / "nats-server.conf").read_text()
    conf = re.sub(r'(?m)^listen:.*$', f'listen: "127.0.0.1:{port}"', conf)
    conf = re.sub(r'(?m)^http:.*$', "", conf)
    conf = re.sub(r'(?m)^pid_file:.*$', f'pid_file: "{directory / "nats.pid"}"', conf)
    conf = re.sub(r'(?m)^(\s*)store_dir:.*$', rf'\1store_dir: "{directory / "js"}"', conf)
    conf = _without_block(conf, "cluster")
    (directory / "nats-server.conf").write_text(conf)
    (directory / "accounts.conf").write_text((DEPLOY_NATS / "accounts.conf").read_text())
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

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def start(directory: Path, passwords: dict[str, str] | None = None,
          wait: float = 15.0) -> DeployedNats:
    """Start the deploy configuration; ``passwords`` maps user names to passwords (one is
    made per user when not given). Raises RuntimeError with the server's log if it stops."""
    import secrets

    passwords = dict(passwords or {})
    for user in PASSWORD_VARIABLES.values():
        passwords.setdefault(user, "p" + secrets.token_hex(24))
    port = free_port()
    conf = configuration_for_test(directory, port)
    env = {**os.environ, "NATS_SERVER_NAME": "nats-test"}
    for variable, user in PASSWORD_VARIABLES.items():
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
