"""The web-hook intake and the Sitoo event consumer on a Redis Cluster (tests reused)."""

import httpx
import redis.asyncio as aioredis

from service.webhooks.intake import webhook_app
from tests.integration.webhooks.test_sitoo_event_consumer import *  # noqa: F403
from tests.integration.webhooks.test_webhook_hostile_bodies import *  # noqa: F403
from tests.integration.webhooks.test_webhook_intake import *  # noqa: F403
from tests.integration.webhooks.test_webhook_intake import (
    AUTH,
    _event,
    _settings,
    test_a_stuck_redis_is_cut_off_by_the_deadline_with_503,
)
from tests.support.redis_cluster import LocalCluster

# It pauses the node named in the URL, which on a cluster need not serve the test's slot;
# the version below pauses every master.
del test_a_stuck_redis_is_cut_off_by_the_deadline_with_503


async def test_a_stuck_cluster_is_cut_off_by_the_deadline_with_503(
    redis: aioredis.Redis, redis_cluster: LocalCluster, unique: str
) -> None:
    """Redis blocked past the handler's deadline means 503, whichever node serves the slot.

    Every master is paused for every command: pausing writes alone let a store through
    now and then on the cluster (cause not pinned down).
    """
    settings = _settings(unique, webhook_deadline_s=0.2)
    admins = [aioredis.Redis(port=port) for port in redis_cluster.ports]
    try:
        for admin in admins:
            await admin.execute_command("CLIENT", "PAUSE", 5000, "ALL")  # unpaused below
        transport = httpx.ASGITransport(app=webhook_app(settings, lambda: redis))
        async with httpx.AsyncClient(transport=transport, base_url="http://hook") as client:
            response = await client.post("/sitoo/events", json=[_event(f"{unique}-p")], auth=AUTH)
    finally:
        for admin in admins:
            await admin.execute_command("CLIENT", "UNPAUSE")
            await admin.aclose()
    assert response.status_code == 503
