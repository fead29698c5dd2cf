"""A local Redis Cluster of plain redis-server processes, for the tests that run on one."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

_START_TIMEOUT_S = 20.0


class ClusterUnavailableError(RuntimeError):
    """This machine cannot start a local cluster (no redis-server or redis-cli on PATH)."""


@dataclass(frozen=True, slots=True)
class LocalCluster:
    """The running cluster: its masters' ports on 127.0.0.1."""

    ports: tuple[int, ...]
    cli: str

    @property
    def url(self) -> str:
        """A URL naming one node; a cluster client finds the others from it."""
        return f"redis://127.0.0.1:{self.ports[0]}"

    def owner_of(self, key: str) -> int:
        """The port of the master that serves ``key``'s slot."""
        client = redis.Redis(port=self.ports[0])
        try:
            slot = int(client.execute_command("CLUSTER", "KEYSLOT", key))
            for start, end, master, *_ in client.execute_command("CLUSTER", "SLOTS"):
                if start <= slot <= end:
                    return int(master[1])
        finally:
            client.close()
        raise AssertionError(f"no node serves slot {slot}")

    def check(self) -> str:
        """``redis-cli --cluster check``'s report (keys and slots per master)."""
        done = subprocess.run(
            [self.cli, "--cluster", "check", f"127.0.0.1:{self.ports[0]}"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
        return done.stdout


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _wait(predicate: object, what: str) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_S
    while True:
        try:
            if predicate():  # type: ignore[operator]
                return
        except redis.RedisError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"local cluster: {what} did not happen in {_START_TIMEOUT_S} s")
        time.sleep(0.05)


def _node(server: str, port: int, bus_port: int, workdir: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            server,
            "--port",
            str(port),
            "--cluster-port",
            str(bus_port),
            "--bind",
            "127.0.0.1",
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            f"nodes-{port}.conf",
            "--cluster-node-timeout",
            "5000",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
    )


@contextlib.contextmanager
def local_redis_cluster(masters: int = 3) -> Iterator[LocalCluster]:
    """Start ``masters`` cluster-mode redis-servers, join them, yield, stop them."""
    server, cli = shutil.which("redis-server"), shutil.which("redis-cli")
    if server is None or cli is None:
        raise ClusterUnavailableError(
            "a local Redis Cluster needs redis-server and redis-cli on PATH"
        )
    ports = _free_ports(2 * masters)
    data_ports, bus_ports = ports[:masters], ports[masters:]
    with tempfile.TemporaryDirectory(prefix="sitoo-sync-cluster-") as workdir:
        processes = [
            _node(server, port, bus, Path(workdir))
            for port, bus in zip(data_ports, bus_ports, strict=True)
        ]
        clients = [redis.Redis(port=port) for port in data_ports]
        try:
            for client in clients:
                _wait(client.ping, "a node answering")
            subprocess.run(
                [
                    cli,
                    "--cluster",
                    "create",
                    *(f"127.0.0.1:{port}" for port in data_ports),
                    "--cluster-replicas",
                    "0",
                    "--cluster-yes",
                ],
                capture_output=True,
                check=True,
                timeout=60,
            )
            for client in clients:
                _wait(
                    lambda c=client: b"cluster_state:ok" in c.execute_command("CLUSTER", "INFO"),
                    "the cluster agreeing on its slots",
                )
            yield LocalCluster(tuple(data_ports), cli)
        finally:
            for client in clients:
                client.close()
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(10)


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[LocalCluster]:
    """Three masters on free 127.0.0.1 ports; the test is skipped where none can start."""
    try:
        with local_redis_cluster() as cluster:
            yield cluster
    except ClusterUnavailableError as exc:
        pytest.skip(str(exc))


@contextlib.contextmanager
def replica_of(cluster: LocalCluster, master_port: int) -> Iterator[subprocess.Popen[bytes]]:
    """A replica joined to the master on ``master_port``, in sync; stopped on exit."""
    server = shutil.which("redis-server")
    if server is None:
        raise ClusterUnavailableError("a replica needs redis-server on PATH")
    port, bus = _free_ports(2)
    master = redis.Redis(port=master_port)
    with tempfile.TemporaryDirectory(prefix="sitoo-sync-replica-") as workdir:
        process = _node(server, port, bus, Path(workdir))
        replica = redis.Redis(port=port)
        try:
            _wait(replica.ping, "the replica answering")
            master_id = master.execute_command("CLUSTER", "MYID")
            subprocess.run(
                [
                    cluster.cli,
                    "--cluster",
                    "add-node",
                    f"127.0.0.1:{port}",
                    f"127.0.0.1:{master_port}",
                    "--cluster-slave",
                    "--cluster-master-id",
                    master_id.decode() if isinstance(master_id, bytes) else str(master_id),
                ],
                capture_output=True,
                check=True,
                timeout=60,
            )
            _wait(
                lambda: (
                    replica.info("replication").get("master_link_status") == "up"
                    and int(master.info("replication").get("connected_slaves", 0)) >= 1
                ),
                "the replica in sync with its master",
            )
            yield process
        finally:
            replica.close()
            master.close()
            process.kill()
            process.wait(10)
