"""A 3-node NATS cluster on loopback: production's shape (deploy/nats: JetStream on a file
store fsynced at every write, streams R3) on free ports, for the fault tests.

Each node is a nats-server of its own (server names n1..n3, a store directory each, client,
route and monitoring ports of its own), started, killed with -9 and restarted on the same
store as a crashed machine would be. ``nats_url`` lists every node, comma-separated, as
``GOVBUS_NATS_URL`` does in production. The configuration, the start and the readiness
check are those of the single local server (govbus_ops.infra); only the cluster block and
the monitoring port are added.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govbus_ops.infra import (
    InfraError,
    free_port,
    nats_config,
    nats_ready,
    spawn,
    wait_started,
)

HOST = "127.0.0.1"


@dataclass
class Node:
    name: str
    root: Path
    client_port: int = field(default_factory=free_port)
    route_port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://{HOST}:{self.client_port}"

    @property
    def conf(self) -> Path:
        return self.root / "nats.conf"

    @property
    def log(self) -> Path:
        return self.root / "nats.log"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class LocalCluster:
    """``size`` nats-servers routed to each other; JetStream clustered (R1..R``size``)."""

    def __init__(self, root: Path, bin_dir: Path, size: int = 3) -> None:
        self.root = Path(root).resolve()
        self.binary = Path(bin_dir).resolve() / "nats-server"
        if not os.access(self.binary, os.X_OK):
            raise InfraError(f"nats-server not found at {self.binary}: run `make install`")
        self.nodes = {f"n{i}": Node(f"n{i}", self.root / f"n{i}") for i in range(1, size + 1)}

    # -- addresses ----------------------------------------------------------------------

    @property
    def urls(self) -> list[str]:
        return [n.url for n in self.nodes.values()]

    @property
    def nats_url(self) -> str:
        """Every node, comma-separated: what GOVBUS_NATS_URL holds in production."""
        return ",".join(self.urls)

    def node_at(self, port: int | None) -> str | None:
        """The name of the node listening for clients on ``port``."""
        return next((n.name for n in self.nodes.values() if n.client_port == port), None)

    def live_urls(self) -> list[str]:
        return [n.url for n in self.nodes.values() if n.running]

    # -- processes ----------------------------------------------------------------------

    def _config(self, node: Node) -> str:
        routes = ", ".join(f"nats-route://{HOST}:{n.route_port}" for n in self.nodes.values())
        return nats_config(HOST, node.client_port, node.root / "jetstream",
                           server_name=node.name, extra=(
                               f"http: {HOST}:{node.http_port}\n"
                               "cluster {\n"
                               "  name: govbus-test\n"
                               f"  listen: {HOST}:{node.route_port}\n"
                               f"  routes: [{routes}]\n"
                               "}\n"))

    def _spawn(self, node: Node) -> None:
        node.root.mkdir(parents=True, exist_ok=True)
        node.conf.write_text(self._config(node), encoding="utf-8")
        node.process = spawn([str(self.binary), "-c", str(node.conf)], node.log, node.root,
                             tied_to_parent=True)

    def _wait_started(self, node: Node) -> None:
        assert node.process is not None
        wait_started(node.name, node.process, HOST, node.client_port, node.log,
                     lambda: nats_ready(HOST, node.client_port))

    def start(self) -> None:
        """Start every node (each waits for the others' routes), then wait for each."""
        for node in self.nodes.values():
            self._spawn(node)
        try:
            for node in self.nodes.values():
                self._wait_started(node)
        except BaseException:
            self.stop()
            raise

    def kill9(self, name: str) -> None:
        """A crash: SIGKILL, no lame duck, no flush beyond what JetStream fsynced."""
        node = self.nodes[name]
        assert node.process is not None and node.running, f"{name} is not running"
        node.process.send_signal(signal.SIGKILL)
        node.process.wait(timeout=10)

    def restart(self, name: str) -> None:
        """Start a stopped node again on its own store and ports."""
        node = self.nodes[name]
        assert not node.running, f"{name} is running"
        self._spawn(node)
        self._wait_started(node)

    def stop(self) -> None:
        for node in self.nodes.values():
            if node.process is not None and node.process.poll() is None:
                node.process.terminate()
        for node in self.nodes.values():
            if node.process is not None:
                try:
                    node.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    node.process.kill()
                    node.process.wait(timeout=10)

    # -- JetStream's view ---------------------------------------------------------------

    def _jsz(self, node: Node) -> dict[str, Any]:
        url = f"http://{HOST}:{node.http_port}/jsz"
        with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 (loopback)
            data: dict[str, Any] = json.load(answer)
            return data

    def meta_leader(self) -> str | None:
        """The meta leader as the running nodes see it (None while they elect one)."""
        for node in self.nodes.values():
            if not node.running:
                continue
            try:
                leader = (self._jsz(node).get("meta_cluster") or {}).get("leader")
            except OSError:
                continue
            if leader:
                return str(leader)
        return None

    async def _js(self) -> tuple[Any, Any]:
        import nats

        nc = await nats.connect(servers=self.live_urls(), connect_timeout=2,
                                max_reconnect_attempts=1, allow_reconnect=False)
        return nc, nc.jetstream(timeout=2)

    async def info(self, stream: str, consumer: str | None = None) -> Any:
        """The stream's info, or its consumer's (each has a leader and replicas of its own)."""
        nc, js = await self._js()
        try:
            if consumer is None:
                return await js.stream_info(stream)
            return await js.consumer_info(stream, consumer)
        finally:
            await nc.close()

    async def leader_of(self, stream: str, consumer: str | None = None) -> str:
        """The node leading ``stream``'s replicas (or its consumer's), from their info."""
        info = await self.info(stream, consumer)
        assert info.cluster is not None and info.cluster.leader, info.cluster
        return str(info.cluster.leader)

    async def wait_meta_leader(self, timeout: float = 30.0) -> str:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            leader = await asyncio.to_thread(self.meta_leader)
            if leader:
                return leader
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"no JetStream meta leader within {timeout:g} s")
            await asyncio.sleep(0.2)

    async def wait_stream(self, stream: str, consumer: str | None = None,
                          timeout: float = 60.0) -> Any:
        """Wait until ``stream`` (or its consumer) has a leader and every other node is a
        current replica, so that one node may be lost again; return the info."""
        await self.wait_meta_leader(timeout)
        deadline = asyncio.get_running_loop().time() + timeout
        last: Any = None
        while True:
            try:
                info = await self.info(stream, consumer)
                cluster = info.cluster
                last = cluster
                replicas = list(cluster.replicas or []) if cluster is not None else []
                if (cluster is not None and cluster.leader
                        and len(replicas) == len(self.nodes) - 1
                        and all(r.current and not r.offline for r in replicas)):
                    return info
            except Exception as exc:  # electing, catching up: asked again
                last = exc
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{stream} {consumer or ''} not led with current "
                                     f"replicas within {timeout:g} s: {last!r}")
            await asyncio.sleep(0.25)

    async def move_leader(self, stream: str, to: str, consumer: str | None = None,
                          timeout: float = 30.0) -> None:
        """Make ``to`` the leader of ``stream`` (or of its consumer): a step-down with a
        preferred successor."""
        api = (f"$JS.API.STREAM.LEADER.STEPDOWN.{stream}" if consumer is None
               else f"$JS.API.CONSUMER.LEADER.STEPDOWN.{stream}.{consumer}")
        deadline = asyncio.get_running_loop().time() + timeout
        while await self.leader_of(stream, consumer) != to:
            nc, _ = await self._js()
            try:
                await nc.request(api, json.dumps({"placement": {"preferred": to}}).encode(),
                                 timeout=5)
            except Exception:  # no answer while it steps down: looked at again
                pass
            finally:
                await nc.close()
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{stream} {consumer or ''}: the leader did not move "
                                     f"to {to}")
            await self.wait_stream(stream, consumer, timeout)
