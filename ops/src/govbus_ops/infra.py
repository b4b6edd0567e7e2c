"""Local NATS JetStream and FerretDB servers for development and tests.

Used by ``govbus infra up|down|status``, ``make run`` and the test fixtures. The
binaries are installed into ``.bin/`` by ``make install``; nothing here downloads or
builds anything.

Layout under ``root`` (for example ``./var``)::

    nats.conf            generated NATS configuration
    nats/                JetStream store directory
    ferretdb/            FerretDB SQLite databases and state.json
    log/nats.log         server output (appended)
    log/ferretdb.log
    run/nats.pid         pid of the running server
    run/ferretdb.pid
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "InfraError",
    "LocalServers",
    "ServerStatus",
    "free_port",
    "nats_config",
    "nats_ready",
    "spawn",
    "wait_for_port",
    "wait_started",
]

NATS = "nats"
MONGO = "ferretdb"
NATS_BINARY = "nats-server"
MONGO_BINARY = "ferretdb"

READY_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
LOG_TAIL_LINES = 20


class InfraError(RuntimeError):
    """A local server could not be found, started or stopped."""


@dataclass(frozen=True)
class ServerStatus:
    name: str
    running: bool
    pid: int | None
    url: str
    log: Path


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port on ``host`` that was free a moment ago (bind to port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_port(host: str, port: int, timeout: float = READY_TIMEOUT) -> None:
    """Wait until ``host:port`` accepts TCP connections; raise InfraError on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        if _port_open(host, port):
            return
        if time.monotonic() >= deadline:
            raise InfraError(f"{host}:{port} did not accept connections within {timeout:g} s")
        time.sleep(0.05)


def _log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        with path.open("r", encoding="utf-8", errors="replace") as fh:
            return "".join(deque(fh, maxlen=lines)).rstrip()
    except OSError:
        return "(no log)"


def _read_pid(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    try:
        pid = int(text)
    except ValueError:
        return None
    return pid if pid > 0 else None


def _reap(pid: int) -> bool:
    """If ``pid`` is our exited child, reap it. Return True if it has exited."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False  # not our child (or already reaped)
    return done == pid


def _alive(pid: int) -> bool:
    if _reap(pid):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():
        try:
            # state is the field after the parenthesised command name
            state = stat.read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return True
        return state not in ("Z", "X")
    return True


def _cmdline(pid: int) -> list[str] | None:
    proc = Path(f"/proc/{pid}/cmdline")
    if proc.exists():
        try:
            raw = proc.read_bytes()
        except OSError:
            return None
        return [part.decode(errors="replace") for part in raw.split(b"\0") if part]
    if sys.platform == "win32":  # pragma: no cover - not supported
        return None
    try:
        out = subprocess.run(
            ["ps", "-p", str(pid), "-o", "command="],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        return None
    return out.split() if out else None


def _die_with_parent() -> None:
    """In the child before exec: ask Linux to send SIGTERM when the parent dies
    (prctl PR_SET_PDEATHSIG). Elsewhere nothing: the clean-up paths still stop the servers."""
    if sys.platform != "linux":
        return
    import ctypes

    pr_set_pdeathsig = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)


def nats_config(host: str, port: int, store_dir: Path, *, server_name: str = "govbus-local",
                extra: str = "") -> str:
    """A nats-server configuration with JetStream on a file store fsynced at every write.
    ``extra`` is appended as it is (a cluster block, a monitoring port: govbus_testing.cluster)."""
    store = json.dumps(str(store_dir))  # a quoted, escaped string
    return (
        "# generated by govbus_ops.infra; rewritten on every start\n"
        f"listen: {host}:{port}\n"
        f"server_name: {server_name}\n"
        "max_payload: 8MB\n"
        "jetstream {\n"
        f"  store_dir: {store}\n"
        "  # fsync every write: acknowledged messages must survive a crash\n"
        "  sync_interval: always\n"
        "  max_memory_store: 256MB\n"
        "  max_file_store: 10GB\n"
        "}\n"
        f"{extra}"
    )


def nats_ready(host: str, port: int) -> bool:
    """Connect and read the server's INFO line: a nats-server answers and JetStream is on."""
    try:
        with socket.create_connection((host, port), timeout=1.0) as sock:
            buf = b""
            while b"\r\n" not in buf and len(buf) < 65536:
                chunk = sock.recv(4096)
                if not chunk:
                    return False
                buf += chunk
    except OSError:
        return False
    line = buf.split(b"\r\n", 1)[0]
    if not line.startswith(b"INFO "):
        return False
    try:
        info = json.loads(line[5:])
    except ValueError:
        return False
    return isinstance(info, dict) and bool(info.get("jetstream"))


def spawn(cmd: list[str], log: Path, cwd: Path, *,
          tied_to_parent: bool) -> subprocess.Popen[bytes]:
    """Start a server in a session of its own, its output appended to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        out.write(f"\n--- govbus: starting {' '.join(cmd)}\n".encode())
        out.flush()
        return subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            start_new_session=True,
            close_fds=True,
            preexec_fn=_die_with_parent if tied_to_parent else None,
        )


def wait_started(name: str, proc: subprocess.Popen[bytes], host: str, port: int, log: Path,
                 ready: Callable[[], bool] | None = None,
                 timeout: float = READY_TIMEOUT) -> None:
    """Wait until ``proc`` accepts connections on ``host:port`` (and ``ready()`` holds);
    InfraError with the log's last lines if it exits or takes longer than ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        code = proc.poll()
        if code is not None:
            raise InfraError(
                f"{name} exited with status {code} during start-up; "
                f"last lines of {log}:\n{_log_tail(log)}"
            )
        if _port_open(host, port) and (ready is None or ready()):
            return
        if time.monotonic() >= deadline:
            raise InfraError(
                f"{name} did not accept connections on {host}:{port} within "
                f"{timeout:g} s; last lines of {log}:\n{_log_tail(log)}"
            )
        time.sleep(0.05)


@dataclass
class LocalServers:
    """The local nats-server and FerretDB, started as detached processes."""

    root: Path
    bin_dir: Path
    nats_port: int = 4222
    mongo_port: int = 27017
    host: str = "127.0.0.1"
    # Tests and benchmarks: the servers die with the process that started them, even when it
    # is killed without its clean-up (a CI timeout). `govbus infra up` leaves them detached.
    tied_to_parent: bool = False
    # processes started by this instance, so that they are reaped through Popen
    _procs: dict[str, subprocess.Popen[bytes]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self.root = Path(self.root).expanduser().resolve()
        self.bin_dir = Path(self.bin_dir).expanduser().resolve()

    # -- layout -------------------------------------------------------------------

    @property
    def nats_url(self) -> str:
        return f"nats://{self.host}:{self.nats_port}"

    @property
    def mongo_url(self) -> str:
        return f"mongodb://{self.host}:{self.mongo_port}/"

    @property
    def nats_conf(self) -> Path:
        return self.root / "nats.conf"

    @property
    def nats_store_dir(self) -> Path:
        return self.root / "nats"

    @property
    def mongo_data_dir(self) -> Path:
        return self.root / "ferretdb"

    @property
    def log_dir(self) -> Path:
        return self.root / "log"

    @property
    def run_dir(self) -> Path:
        return self.root / "run"

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{self._check_name(name)}.log"

    def pid_path(self, name: str) -> Path:
        return self.run_dir / f"{self._check_name(name)}.pid"

    def binary(self, name: str) -> Path:
        """Path of the server binary; InfraError if it is not installed."""
        exe = NATS_BINARY if self._check_name(name) == NATS else MONGO_BINARY
        path = self.bin_dir / exe
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise InfraError(
                f"{exe} not found at {path}: run `make install` "
                f"(it installs nats-server and ferretdb into .bin/)"
            )
        return path

    @staticmethod
    def _check_name(name: str) -> str:
        if name not in (NATS, MONGO):
            raise ValueError(f"unknown server {name!r} (expected {NATS!r} or {MONGO!r})")
        return name

    # -- configuration --------------------------------------------------------------

    def nats_config(self) -> str:
        return nats_config(self.host, self.nats_port, self.nats_store_dir,
                           extra="# monitoring (http) disabled\nhttp_port: 0\n")

    def _command(self, name: str) -> list[str]:
        exe = str(self.binary(name))
        if name == NATS:
            return [exe, "-c", str(self.nats_conf)]
        return [
            exe,
            "--handler=sqlite",
            f"--sqlite-url=file:{self.mongo_data_dir}/",
            f"--listen-addr={self.host}:{self.mongo_port}",
            "--telemetry=disable",
            f"--state-dir={self.mongo_data_dir}",
            "--debug-addr=-",
        ]

    def _marker(self, name: str) -> str:
        """An argument that identifies our server among processes."""
        if name == NATS:
            return str(self.nats_conf)
        return f"--state-dir={self.mongo_data_dir}"

    def _port(self, name: str) -> int:
        return self.nats_port if name == NATS else self.mongo_port

    def _url(self, name: str) -> str:
        return self.nats_url if name == NATS else self.mongo_url

    # -- process bookkeeping --------------------------------------------------------

    def _alive(self, name: str, pid: int) -> bool:
        proc = self._procs.get(name)
        if proc is not None and proc.pid == pid:
            if proc.poll() is not None:
                del self._procs[name]
                return False
            return True
        return _alive(pid)

    def _is_ours(self, name: str, pid: int) -> bool:
        if not self._alive(name, pid):
            return False
        argv = _cmdline(pid)
        if argv is None:
            return False
        exe = NATS_BINARY if name == NATS else MONGO_BINARY
        return bool(argv) and Path(argv[0]).name == exe and self._marker(name) in argv

    def running_pid(self, name: str) -> int | None:
        """The pid of our running server, or None (a stale pid file is removed)."""
        pid_file = self.pid_path(name)
        pid = _read_pid(pid_file)
        if pid is not None and self._is_ours(name, pid):
            return pid
        pid_file.unlink(missing_ok=True)
        return None

    # -- start ----------------------------------------------------------------------

    def _start(self, name: str) -> int:
        existing = self.running_pid(name)
        if existing is not None:
            return existing
        cmd = self._command(name)  # raises InfraError if the binary is missing
        port = self._port(name)
        if _port_open(self.host, port):
            raise InfraError(
                f"cannot start {name}: {self.host}:{port} is already in use by another process"
            )
        for directory in (self.log_dir, self.run_dir, self.nats_store_dir, self.mongo_data_dir):
            directory.mkdir(parents=True, exist_ok=True)
        if name == NATS:
            self.nats_conf.write_text(self.nats_config(), encoding="utf-8")
        proc = spawn(cmd, self.log_path(name), self.root, tied_to_parent=self.tied_to_parent)
        self._procs[name] = proc
        self.pid_path(name).write_text(f"{proc.pid}\n", encoding="ascii")
        try:
            self._wait_ready(name, proc)
        except BaseException:
            self._terminate(name, proc.pid, kill=True)
            raise
        return proc.pid

    def _wait_ready(self, name: str, proc: subprocess.Popen[bytes]) -> None:
        ready = (lambda: nats_ready(self.host, self.nats_port)) if name == NATS else None
        wait_started(name, proc, self.host, self._port(name), self.log_path(name), ready)

    def start_nats(self) -> int:
        """Start nats-server (no-op if ours is running); return its pid."""
        return self._start(NATS)

    def start_mongo(self) -> int:
        """Start FerretDB (no-op if ours is running); return its pid."""
        return self._start(MONGO)

    def start(self) -> None:
        """Start both servers; each is a no-op if already running."""
        self.start_nats()
        self.start_mongo()

    # -- stop -----------------------------------------------------------------------

    def _terminate(self, name: str, pid: int, kill: bool) -> None:
        try:
            os.kill(pid, signal.SIGKILL if kill else signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + STOP_TIMEOUT
        while self._alive(name, pid):
            if time.monotonic() >= deadline:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    break
                kill_deadline = time.monotonic() + STOP_TIMEOUT
                while self._alive(name, pid):
                    if time.monotonic() >= kill_deadline:
                        raise InfraError(f"{name} (pid {pid}) did not exit after SIGKILL")
                    time.sleep(0.05)
                break
            time.sleep(0.05)
        self.pid_path(name).unlink(missing_ok=True)

    def _stop(self, name: str, kill: bool) -> None:
        pid = self.running_pid(name)
        if pid is not None:
            self._terminate(name, pid, kill)

    def stop_nats(self, kill: bool = False) -> None:
        """SIGTERM (SIGKILL if ``kill``), wait up to 10 s, then SIGKILL."""
        self._stop(NATS, kill)

    def stop_mongo(self, kill: bool = False) -> None:
        """SIGTERM (SIGKILL if ``kill``), wait up to 10 s, then SIGKILL."""
        self._stop(MONGO, kill)

    def stop(self, kill: bool = False) -> None:
        """Stop both servers (both are attempted even if one fails)."""
        try:
            self.stop_nats(kill)
        finally:
            self.stop_mongo(kill)

    def restart_nats(self, kill: bool = False) -> int:
        """Stop and start nats-server on the same store; ``kill`` simulates a crash."""
        self.stop_nats(kill)
        return self.start_nats()

    def restart_mongo(self, kill: bool = False) -> int:
        """Stop and start FerretDB on the same data directory."""
        self.stop_mongo(kill)
        return self.start_mongo()

    # -- status ---------------------------------------------------------------------

    def status(self) -> dict[str, ServerStatus]:
        result: dict[str, ServerStatus] = {}
        for name in (NATS, MONGO):
            pid = self.running_pid(name)
            result[name] = ServerStatus(
                name=name,
                running=pid is not None,
                pid=pid,
                url=self._url(name),
                log=self.log_path(name),
            )
        return result
