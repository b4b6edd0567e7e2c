"""govbus_ops.infra against the real nats-server and ferretdb binaries."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest
from pymongo import AsyncMongoClient

from govbus_ops.infra import InfraError, LocalServers, free_port, wait_for_port

BIN_DIR = Path(os.environ.get("GOVBUS_BIN_DIR", Path(__file__).resolve().parents[2] / ".bin"))

pytestmark = pytest.mark.skipif(
    not ((BIN_DIR / "nats-server").is_file() and (BIN_DIR / "ferretdb").is_file()),
    reason=f"nats-server/ferretdb not installed in {BIN_DIR} (run `make install`)",
)


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[LocalServers]:
    local = LocalServers(
        root=tmp_path / "var",
        bin_dir=BIN_DIR,
        nats_port=free_port(),
        mongo_port=free_port(),
    )
    try:
        local.start()
        yield local
    finally:
        local.stop()


def test_layout_and_urls(servers: LocalServers) -> None:
    root = servers.root
    assert servers.nats_url == f"nats://127.0.0.1:{servers.nats_port}"
    assert servers.mongo_url == f"mongodb://127.0.0.1:{servers.mongo_port}/"
    assert (root / "nats.conf").is_file()
    conf = (root / "nats.conf").read_text()
    assert "sync_interval: always" in conf
    assert f'store_dir: "{root / "nats"}"' in conf
    assert (root / "nats").is_dir()
    assert (root / "ferretdb" / "state.json").is_file()
    assert (root / "log" / "nats.log").is_file()
    assert (root / "log" / "ferretdb.log").is_file()
    assert (root / "run" / "nats.pid").is_file()
    assert (root / "run" / "ferretdb.pid").is_file()
    # the server accepted the config: JetStream is on and nothing was rejected
    log = (root / "log" / "nats.log").read_text()
    assert "Server is ready" in log
    assert "[ERR]" not in log


async def test_jetstream_message_survives_restart(servers: LocalServers) -> None:
    nc = await nats.connect(servers.nats_url)
    js = nc.jetstream()
    await js.add_stream(name="T", subjects=["t.>"])
    ack = await js.publish("t.one", b"hello")
    assert ack.stream == "T"
    await nc.close()

    old_pid = servers.status()["nats"].pid
    new_pid = servers.restart_nats()
    assert new_pid != old_pid

    nc = await nats.connect(servers.nats_url)
    try:
        js = nc.jetstream()
        msg = await js.get_msg("T", ack.seq)
        assert msg.data == b"hello"
        assert msg.subject == "t.one"
    finally:
        await nc.close()


async def test_jetstream_message_survives_kill(servers: LocalServers) -> None:
    nc = await nats.connect(servers.nats_url)
    js = nc.jetstream()
    await js.add_stream(name="T", subjects=["t.>"])
    acks = [await js.publish(f"t.{i}", str(i).encode()) for i in range(10)]
    await nc.close()

    servers.restart_nats(kill=True)  # SIGKILL: no graceful flush

    nc = await nats.connect(servers.nats_url)
    try:
        js = nc.jetstream()
        sub = await js.pull_subscribe("t.>", durable="reader", stream="T")
        msgs = await sub.fetch(10, timeout=5)
        assert [m.data for m in msgs] == [str(i).encode() for i in range(10)]
        assert msgs[-1].metadata.sequence.stream == acks[-1].seq
    finally:
        await nc.close()


async def test_document_survives_mongo_restart(servers: LocalServers) -> None:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(servers.mongo_url)
    try:
        result = await client.govbus_test.things.insert_one({"name": "kept", "n": 1})
    finally:
        await client.close()

    servers.stop_mongo()
    assert not servers.status()["ferretdb"].running
    servers.start_mongo()

    client = AsyncMongoClient(servers.mongo_url)
    try:
        doc = await client.govbus_test.things.find_one({"_id": result.inserted_id})
        assert doc is not None
        assert doc["name"] == "kept"
    finally:
        await client.close()


def test_status_reports_running_and_stopped(servers: LocalServers) -> None:
    status = servers.status()
    assert set(status) == {"nats", "ferretdb"}
    for name, st in status.items():
        assert st.name == name
        assert st.running
        assert st.pid is not None
        assert st.log == servers.root / "log" / f"{name}.log"
    assert status["nats"].url == servers.nats_url
    assert status["ferretdb"].url == servers.mongo_url

    servers.stop_nats()
    status = servers.status()
    assert not status["nats"].running
    assert status["nats"].pid is None
    assert not (servers.root / "run" / "nats.pid").exists()
    assert status["ferretdb"].running

    servers.stop()
    assert not any(st.running for st in servers.status().values())
    assert not (servers.root / "run" / "ferretdb.pid").exists()


def test_start_twice_is_a_noop(servers: LocalServers) -> None:
    before = {name: st.pid for name, st in servers.status().items()}
    servers.start()
    assert servers.start_nats() == before["nats"]
    assert servers.start_mongo() == before["ferretdb"]
    after = {name: st.pid for name, st in servers.status().items()}
    assert after == before

    # a second instance over the same root sees the same processes (pid files)
    other = LocalServers(
        root=servers.root,
        bin_dir=servers.bin_dir,
        nats_port=servers.nats_port,
        mongo_port=servers.mongo_port,
    )
    assert {name: st.pid for name, st in other.status().items()} == before
    other.start()
    assert {name: st.pid for name, st in other.status().items()} == before


def test_stale_pid_file_is_replaced(tmp_path: Path) -> None:
    local = LocalServers(
        root=tmp_path / "var", bin_dir=BIN_DIR, nats_port=free_port(), mongo_port=free_port()
    )
    run = local.root / "run"
    run.mkdir(parents=True)
    # pid 1 is alive but is not our server; a huge pid is not alive at all
    (run / "nats.pid").write_text("1\n")
    (run / "ferretdb.pid").write_text("4194303\n")
    assert not any(st.running for st in local.status().values())
    assert not (run / "nats.pid").exists()
    assert not (run / "ferretdb.pid").exists()
    try:
        local.start()
        status = local.status()
        assert status["nats"].running and status["nats"].pid != 1
        assert status["ferretdb"].running
    finally:
        local.stop()


def test_stop_when_not_running_is_harmless(tmp_path: Path) -> None:
    local = LocalServers(root=tmp_path / "var", bin_dir=BIN_DIR)
    local.stop()
    assert not any(st.running for st in local.status().values())


def test_missing_binary_raises(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    local = LocalServers(
        root=tmp_path / "var", bin_dir=empty, nats_port=free_port(), mongo_port=free_port()
    )
    with pytest.raises(InfraError, match="make install"):
        local.start_nats()
    with pytest.raises(InfraError, match="make install"):
        local.start_mongo()

    # only ferretdb missing: nats starts, ferretdb fails, nothing is left behind
    shutil.copy2(BIN_DIR / "nats-server", empty / "nats-server")
    try:
        with pytest.raises(InfraError, match="ferretdb"):
            local.start()
    finally:
        local.stop()
    assert not any(st.running for st in local.status().values())


def test_startup_failure_reports_log_tail(tmp_path: Path) -> None:
    local = LocalServers(
        root=tmp_path / "var", bin_dir=BIN_DIR, nats_port=free_port(), mongo_port=free_port()
    )
    # ferretdb cannot read its state file when it is a directory, and exits
    (local.root / "ferretdb" / "state.json").mkdir(parents=True)
    with pytest.raises(InfraError, match="ferretdb exited") as info:
        local.start_mongo()
    assert "last lines of" in str(info.value)
    assert "state" in str(info.value).split("last lines of", 1)[1]
    assert not local.status()["ferretdb"].running
    assert not (local.root / "run" / "ferretdb.pid").exists()


def test_port_in_use_is_refused(servers: LocalServers, tmp_path: Path) -> None:
    other = LocalServers(
        root=tmp_path / "other",
        bin_dir=BIN_DIR,
        nats_port=servers.nats_port,
        mongo_port=free_port(),
    )
    with pytest.raises(InfraError, match="already in use"):
        other.start_nats()


def test_wait_for_port_and_free_port(servers: LocalServers) -> None:
    wait_for_port(servers.host, servers.nats_port, timeout=1)
    port = free_port()
    with pytest.raises(InfraError):
        wait_for_port("127.0.0.1", port, timeout=0.3)


def test_servers_tied_to_their_parent_die_with_it(tmp_path: Path) -> None:
    """A test run killed without its clean-up (a CI timeout) leaves no servers behind."""
    import signal
    import subprocess
    import sys
    import time

    if sys.platform != "linux":
        pytest.skip("PR_SET_PDEATHSIG is Linux's")
    bin_dir = BIN_DIR
    nats_port, mongo_port = free_port(), free_port()
    script = (
        "from govbus_ops.infra import LocalServers; import time, pathlib;"
        f"s = LocalServers(root=pathlib.Path({str(tmp_path)!r}), bin_dir=pathlib.Path("
        f"{str(bin_dir)!r}), nats_port={nats_port}, mongo_port={mongo_port}, "
        "tied_to_parent=True); s.start(); print('up', flush=True); time.sleep(600)")
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    try:
        assert parent.stdout is not None and parent.stdout.readline().strip() == b"up"
        wait_for_port("127.0.0.1", nats_port, 5)
        wait_for_port("127.0.0.1", mongo_port, 5)
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(
            _port_open(p) for p in (nats_port, mongo_port)):
        time.sleep(0.1)
    assert not _port_open(nats_port) and not _port_open(mongo_port)


def _port_open(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0
