"""Runs integration tests of other folders against a local three-master Redis Cluster.

The fixtures below replace the shared Redis with the cluster: ``redis_url`` names one of
its nodes, ``redis`` is a cluster client, ``redis_cluster_mode`` turns
``SITOO_SYNC_REDIS__CLUSTER`` on in the settings the tests build, and ``unique`` becomes a
hash tag, so each test is its own deployment (its keys and streams in one slot, the
tests spread over the nodes).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from service.records.connection import open_redis
from tests.integration.consumers.conftest import sandbox
from tests.support.redis_cluster import LocalCluster, redis_cluster

__all__ = ["redis_cluster", "sandbox"]


@pytest.fixture(scope="session")
def redis_url(redis_cluster: LocalCluster) -> str:
    """A node of the local cluster."""
    return redis_cluster.url


@pytest.fixture
def redis_cluster_mode() -> bool:
    """The settings the tests build say the Redis is a cluster."""
    return True


@pytest.fixture
def unique() -> str:
    """A hash tag of its own: this test's keys and streams share one slot."""
    return "{t" + uuid.uuid4().hex[:10] + "}"


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    """A cluster client, as the service opens one."""
    client = open_redis(redis_url, cluster=True)
    try:
        yield client
    finally:
        await client.aclose()
