"""The service as deployed, for benchmarks: private Redis, the sandbox process and N replicas."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import redis.asyncio as aioredis

from service.records.connection import open_redis
from tests.chaos.processes import (
    RedisClusterServers,
    RedisServer,
    Replica,
    SandboxServer,
    free_port,
)
from tests.chaos.sandbox_admin import SandboxAdmin
from tests.support.redis_server import redis_server_executable
from tests.support.replicated_redis import Server

RESULTS = "sitoo-sync.results"


@dataclass
class Stack:
    """Everything running, with clients to drive it."""

    redis: aioredis.Redis
    admin: SandboxAdmin
    sandbox: SandboxServer
    redis_server: RedisServer | RedisClusterServers
    replicas: list[Replica]
    workdir: Path
    # On a cluster the service puts every stream under its tagged prefix ("{bench-…}:").
    stream_prefix: str = ""

    def stream(self, name: str) -> str:
        """A configured stream name as the service reads it from Redis."""
        return f"{self.stream_prefix}:{name}" if self.stream_prefix else name

    @property
    def results(self) -> str:
        """The results stream, as the service writes it."""
        return self.stream(RESULTS)


def envelope(event_id: str, event_type: str, data: dict[str, Any]) -> bytes:
    """A webshop event as the `event` field of a stream entry."""
    return json.dumps(
        {
            "event_id": event_id,
            "type": event_type,
            "schema_version": 1,
            "occurred_at": datetime.now(UTC).isoformat(),
            "source": "webshop",
            "data": data,
        }
    ).encode()


async def xadd_all(redis: aioredis.Redis, stream: str, events: Sequence[bytes]) -> None:
    """Append entries in pipelined chunks, as a busy webshop would."""
    for start in range(0, len(events), 500):
        async with redis.pipeline(transaction=False) as pipe:
            for event in events[start : start + 500]:
                pipe.xadd(stream, {"event": event})
            await pipe.execute()


async def wait_results(
    redis: aioredis.Redis, count: int, timeout_s: float = 900.0, *, stream: str = RESULTS
) -> float:
    """Wait until the results stream holds ``count`` entries; the monotonic time it did."""
    async with asyncio.timeout(timeout_s):
        while await redis.xlen(stream) < count:
            await asyncio.sleep(0.01)
    return time.monotonic()


async def sandbox_requests(admin: SandboxAdmin) -> tuple[int, int]:
    """(requests served, 429 answers) since the counters were last cleared."""
    counters = await admin.requests()
    too_many = sum(
        int(outcomes.get("429", 0)) for outcomes in counters.get("endpoints", {}).values()
    )
    return int(counters.get("total", 0)), too_many


@contextlib.asynccontextmanager
async def running_stack(
    *,
    replicas: int = 1,
    latency_ms: float = 0.0,
    pollers: bool = False,
    extra_env: dict[str, str] | None = None,
    start_replicas: bool = True,
    till_api_user: bool = False,
    channels: Sequence[Sequence[str]] | None = None,
    claim_replicas: int = 0,
    cluster: bool = False,
) -> AsyncIterator[Stack]:
    """Start a private Redis, the sandbox (demo seed, one request in flight) and the replicas.

    ``till_api_user`` adds a second API user, reserved for the interactive lane;
    ``channels`` gives each replica the inbound channels it reads (default: all);
    ``claim_replicas`` starts that many Redis replicas of the private Redis and sets
    SITOO_SYNC_REDIS__CLAIM_REPLICAS to it, so every write's claim waits for them;
    ``cluster`` runs on a local three-master Redis Cluster (the chaos run's) instead of one
    Redis: the prefix becomes a hash tag, so the whole deployment lives in one slot.
    """
    if cluster and claim_replicas:
        raise ValueError("claim replicas follow one Redis; the cluster run has none")
    workdir = Path(tempfile.mkdtemp(prefix="sitoo-sync-bench-"))
    key_prefix = f"bench-{secrets.token_hex(3)}"
    redis_server: RedisServer | RedisClusterServers
    if cluster:
        key_prefix = "{" + key_prefix + "}"
        redis_server = RedisClusterServers(workdir / "redis", key=key_prefix)
    else:
        redis_server = RedisServer(workdir / "redis")
    followers = [Server(free_port(), workdir / f"redis-replica-{n}") for n in range(claim_replicas)]
    sandbox = SandboxServer(
        log_path=workdir / "sandbox.log",
        api_id="bench",
        api_password=secrets.token_urlsafe(12),
        fault_seed=0,
    )
    till = {"api_id": "bench-till", "api_password": secrets.token_urlsafe(12)}
    if till_api_user:
        sandbox.extra_users[till["api_id"]] = till["api_password"]
    await redis_server.start()
    executable, _ = redis_server_executable()
    for follower in followers:
        follower.start(executable, "--replicaof", "127.0.0.1", str(redis_server.port))
    await sandbox.start()
    env = {
        "SITOO_SYNC_SITOO__BASE_URL": sandbox.base_url,
        "SITOO_SYNC_SITOO__API_ID": sandbox.api_id,
        "SITOO_SYNC_SITOO__API_PASSWORD": sandbox.api_password,
        "SITOO_SYNC_REDIS__URL": redis_server.url,
        "SITOO_SYNC_REDIS__KEY_PREFIX": key_prefix,
        **({"SITOO_SYNC_REDIS__CLUSTER": "true"} if cluster else {}),
        "SITOO_SYNC_POLLERS__ENABLED": "true" if pollers else "false",
        "SITOO_SYNC_LOG__FORMAT": "json",
        "SITOO_SYNC_LOG__LEVEL": "WARNING",
        **(
            {"SITOO_SYNC_SITOO__INTERACTIVE_CREDENTIALS": json.dumps([till])}
            if till_api_user
            else {}
        ),
        **({"SITOO_SYNC_REDIS__CLAIM_REPLICAS": str(claim_replicas)} if claim_replicas else {}),
        **(extra_env or {}),
    }
    roles = [
        {"SITOO_SYNC_CONSUMERS__CHANNELS": json.dumps(list(channels[n]))} if channels else {}
        for n in range(replicas)
    ]
    started = [Replica(f"bench-{n + 1}", {**env, **roles[n]}, workdir) for n in range(replicas)]
    redis = open_redis(redis_server.url, cluster=cluster)
    http = httpx.AsyncClient(base_url=sandbox.url, timeout=60.0)
    admin = SandboxAdmin(http)
    try:
        if latency_ms:
            await admin.set_faults({"latency_ms": latency_ms})
        if start_replicas:
            await asyncio.gather(*(r.start() for r in started))
        yield Stack(
            redis, admin, sandbox, redis_server, started, workdir, key_prefix if cluster else ""
        )
        # The sandbox is strict: a refused request would make the figures meaningless.
        violations = await admin.violations()
        if violations["count"]:
            raise RuntimeError(
                f"{violations['count']} requests outside Sitoo's description: "
                f"{violations['recent'][:3]}"
            )
    finally:
        for replica in started:
            await replica.stop()
        await http.aclose()
        await redis.aclose()
        await sandbox.stop()
        for follower in followers:
            follower.stop()
        await redis_server.stop()


def percentile(values: Sequence[float], q: float) -> float:
    """The q-quantile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def rss_mb(pid: int) -> float:
    """Resident set size of a process, in MiB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
