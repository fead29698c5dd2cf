"""On a Redis Cluster a claim waits for the replicas of its own slot's master, not others'."""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import redis.asyncio as aioredis
from pydantic import SecretStr

from service.operator.check import Failure, run_checks
from service.records.connection import open_redis
from service.records.keys import DeploymentKeys
from service.records.operations import RedisIdempotencyStore
from service.settings import RedisSettings, Settings
from tests.support.redis_cluster import (
    ClusterUnavailableError,
    LocalCluster,
    local_redis_cluster,
    replica_of,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def cluster_with_one_replica() -> Iterator[tuple[LocalCluster, int, int]]:
    """A private cluster (replicas change its shape): the first master gets one replica.

    Yields the cluster, the replica's process id and the port of that master."""
    try:
        with local_redis_cluster() as cluster, replica_of(cluster, cluster.ports[0]) as replica:
            yield cluster, replica.pid, cluster.ports[0]
    except ClusterUnavailableError as exc:
        pytest.skip(str(exc))


def _prefix_on(cluster: LocalCluster, port: int, *, other_than: int | None = None) -> str:
    """A deployment prefix whose slot the master on ``port`` serves (or any other master)."""
    while True:
        prefix = "{w" + uuid.uuid4().hex[:10] + "}"
        owner = cluster.owner_of(prefix)
        wanted = owner != other_than if other_than is not None else owner == port
        if wanted:
            return prefix


@pytest.fixture
async def client(
    cluster_with_one_replica: tuple[LocalCluster, int, int],
) -> AsyncIterator[aioredis.Redis]:
    cluster, _, _ = cluster_with_one_replica
    redis = open_redis(cluster.url, cluster=True)
    try:
        yield redis
    finally:
        await redis.aclose()


def _store(redis: aioredis.Redis, prefix: str) -> RedisIdempotencyStore:
    return RedisIdempotencyStore(
        redis,
        keys=DeploymentKeys(prefix),
        retention_s=60.0,
        lease_s=5.0,
        replicas=1,
        replica_timeout_s=0.3,
    )


async def test_a_claim_on_the_replicated_master_is_acknowledged(
    cluster_with_one_replica: tuple[LocalCluster, int, int], client: aioredis.Redis
) -> None:
    cluster, _, replicated = cluster_with_one_replica
    store = _store(client, _prefix_on(cluster, replicated))
    claims = await store.claim_many(["order-1:create", "order-2:create"])
    assert [claim.acknowledged for claim in claims] == [True, True]


async def test_a_replica_of_another_master_does_not_count(
    cluster_with_one_replica: tuple[LocalCluster, int, int], client: aioredis.Redis
) -> None:
    """Sent to every master, or to the wrong one, WAIT would find the one replica there is."""
    cluster, _, replicated = cluster_with_one_replica
    store = _store(client, _prefix_on(cluster, replicated, other_than=replicated))
    claim = await store.claim("order-1:create")
    assert not claim.acknowledged


async def test_a_stalled_replica_leaves_the_claim_unacknowledged(
    cluster_with_one_replica: tuple[LocalCluster, int, int], client: aioredis.Redis
) -> None:
    cluster, replica_pid, replicated = cluster_with_one_replica
    store = _store(client, _prefix_on(cluster, replicated))
    os.kill(replica_pid, signal.SIGSTOP)
    try:
        claim = await store.claim("redeem-1:debit")
    finally:
        os.kill(replica_pid, signal.SIGCONT)
    assert not claim.acknowledged
    # Once the replica answers again, the next claim is acknowledged.
    assert (await store.claim("redeem-2:debit")).acknowledged


@pytest.mark.parametrize("on_the_replicated_master", [True, False])
async def test_check_counts_the_replicas_of_the_deployments_master(
    cluster_with_one_replica: tuple[LocalCluster, int, int], on_the_replicated_master: bool
) -> None:
    cluster, _, replicated = cluster_with_one_replica
    prefix = (
        _prefix_on(cluster, replicated)
        if on_the_replicated_master
        else _prefix_on(cluster, replicated, other_than=replicated)
    )
    settings = Settings(
        redis=RedisSettings(
            url=SecretStr(cluster.url), key_prefix=prefix, cluster=True, claim_replicas=1
        )
    )
    redis_finding = (await run_checks(settings))[0]
    if on_the_replicated_master:
        assert redis_finding.failure is None, redis_finding.message
        assert f"slot master 127.0.0.1:{replicated}" in redis_finding.message
    else:
        assert redis_finding.failure is Failure.TOO_FEW_REPLICAS
