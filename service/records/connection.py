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
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisClusterException, RedisError

if TYPE_CHECKING:
    from redis.asyncio.connection import AbstractConnection

    from service.settings_redis import RedisSettings

# Whatever a Redis call raises when Redis fails or cannot be reached, for the places that
# answer "unavailable", keep a heartbeat going or try again later. A cluster client that
# reaches no node raises RedisClusterException (RedisClusterUnreachableError from redis-py
# 8.2), which is not a RedisError: caught as one, it escaped as a 500 or ended a heartbeat.
REDIS_FAILURES: tuple[type[Exception], ...] = (RedisError, RedisClusterException, OSError)


class ServicePool(aioredis.BlockingConnectionPool):
    """A blocking pool that stays closed once closed: no socket outlives the service's client.

    A plain pool hands out new connections after ``aclose()``: a hand-back still running
    when the service stops (a shielded limiter release, a claim given back) reconnected,
    and the socket was never closed (a ResourceWarning when it was collected). Closed,
    this pool refuses new commands as Redis unavailable (the work they would have done
    lapses with its lease) and closes whatever connection is handed back to it.
    """

    _closed = False

    async def get_connection(self, *args: Any, **options: Any) -> AbstractConnection:  # noqa: ANN401
        """A connection, unless the pool is closed."""
        if self._closed:
            raise RedisConnectionError("the service's Redis client is closed")
        # redis-py leaves this method unannotated (a decorator warns about its old arguments).
        connection: AbstractConnection = await super().get_connection(*args, **options)  # type: ignore[no-untyped-call]
        return connection

    async def release(self, connection: AbstractConnection) -> None:
        """Take the connection back; close it when the pool is closed."""
        await super().release(connection)
        if self._closed:
            await connection.disconnect()

    async def aclose(self) -> None:
        """Close every connection and refuse new ones."""
        self._closed = True
        await super().aclose()


def open_redis(url: str, *, cluster: bool, **options: Any) -> aioredis.Redis:  # noqa: ANN401
    """A client of ``url`` (connects lazily); a cluster client when ``cluster``."""
    if cluster:
        return cast("aioredis.Redis", RedisCluster.from_url(url, **options))
    return aioredis.Redis.from_url(url, **options)


def redis_for(settings: RedisSettings, url: str, **options: Any) -> aioredis.Redis:  # noqa: ANN401
    """The configured kind of client for ``url``, its connections bounded by the settings.

    redis-py's default pool fails a command with ``MaxConnectionsError`` once 100 connections
    are in use, and the HTTP listener also admits 100 requests at once: a burst of web hooks,
    each storing its delivery, on top of the blocking reads (the limiter's BLPOP, the outbound
    writer's XREADGROUP) and the pollers, ran the pool dry and failed whoever came next,
    lease renewals included. A blocking pool makes a burst queue for a connection (each is
    held for one short command) and gives up only after ``pool_timeout_s``, as Redis down.
    """
    options.setdefault("max_connections", settings.max_connections)
    if settings.cluster:
        return open_redis(url, cluster=True, **options)
    pool = ServicePool.from_url(url, timeout=settings.pool_timeout_s, **options)
    return aioredis.Redis.from_pool(pool)  # the client owns the pool: aclose() closes both


def broker_for(settings: RedisSettings, url: str, **options: Any) -> RedisBroker:  # noqa: ANN401
    """FastStream's broker for ``url``: its cluster broker when the Redis is a cluster.

    FastStream's cluster broker reads and acknowledges streams through redis-py's cluster
    client, so a stream whose slot moves (a failover) is followed like any other key.
    """
    if settings.cluster:
        return RedisClusterBroker(url, **options)
    return RedisBroker(url, **options)


async def master_of(redis: aioredis.Redis, key: str) -> ClusterNode | None:
    """The cluster node serving ``key``'s slot, or None when ``redis`` is one Redis.

    ``WAIT`` and ``WAITAOF`` have no key: a cluster client would send them to every master,
    each on a connection of its own, and their counts would say nothing about a write made on
    another connection. Given this node as ``target_nodes`` inside the cluster pipeline that
    carries the write, the wait joins the write on the node's one pipeline connection.
    """
    client: object = redis  # a cluster client is handed out typed as a plain one
    if not isinstance(client, RedisCluster):
        return None
    await client.initialize()  # the slot map is learnt lazily, by the first command
    return client.get_node_from_key(key)
