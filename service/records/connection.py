"""The service's own Redis client and its broker: one Redis, or any node of a Redis Cluster.

With ``SITOO_SYNC_REDIS__CLUSTER=true`` the URL names any node; the clients learn the
slot map from it and follow MOVED/ASK redirections (a failover or a resharding included).
Every key of a deployment hashes to one slot (:mod:`service.records.keys`), so each Lua
script, MULTI and pipeline of the service lands on one node, the slot's master.

The cluster client exposes the same commands the service uses on a single Redis (scripts,
streams, hashes, sets, same-slot transactions), so the rest of the code keeps one client
type: the cluster client is handed out as ``redis.asyncio.Redis``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import redis.asyncio as aioredis
from faststream.redis import RedisBroker, RedisClusterBroker
from redis.asyncio.cluster import RedisCluster

if TYPE_CHECKING:
    from service.settings_redis import RedisSettings


def open_redis(url: str, *, cluster: bool, **options: Any) -> aioredis.Redis:  # noqa: ANN401
    """A client of ``url`` (connects lazily); a cluster client when ``cluster``."""
    if cluster:
        return cast("aioredis.Redis", RedisCluster.from_url(url, **options))
    return aioredis.Redis.from_url(url, **options)


def redis_for(settings: RedisSettings, url: str, **options: Any) -> aioredis.Redis:  # noqa: ANN401
    """The configured kind of client for ``url``."""
    return open_redis(url, cluster=settings.cluster, **options)


def broker_for(settings: RedisSettings, url: str, **options: Any) -> RedisBroker:  # noqa: ANN401
    """FastStream's broker for ``url``: its cluster broker when the Redis is a cluster.

    FastStream's cluster broker reads and acknowledges streams through redis-py's cluster
    client, so a stream whose slot moves (a failover) is followed like any other key.
    """
    if settings.cluster:
        return RedisClusterBroker(url, **options)
    return RedisBroker(url, **options)
