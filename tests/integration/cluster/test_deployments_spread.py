"""Two deployments (merchants) on one Redis Cluster: each in its own slot, on its own node."""

from __future__ import annotations

import json
import uuid

import pytest
import redis
import redis.asyncio as aioredis
from pydantic import SecretStr

from service.brokers.redis.replies import Replier
from service.inbox.transport import InvalidReplyTo
from service.records.keys import DeploymentKeys
from service.records.streams import stream_names
from service.sandbox import RunningSandbox
from service.settings import ConsumerSettings, RedisSettings, Settings, SitooSettings
from tests.integration.consumers.conftest import (
    API_ID,
    API_PASSWORD,
    envelope,
    read_results,
    running_service,
)
from tests.integration.consumers.test_stock_flow import stock_total, warehouse_id
from tests.support.redis_cluster import LocalCluster


def _deployment(prefix: str, running: RunningSandbox, url: str) -> Settings:
    """A merchant's settings: default stream names, only the prefix and the cluster switch set."""
    return Settings(
        sitoo=SitooSettings(
            base_url=running.base_url,
            api_id=API_ID,
            api_password=SecretStr(API_PASSWORD),
            call_deadline_s=10.0,
        ),
        redis=RedisSettings(url=SecretStr(url), key_prefix=prefix, cluster=True),
        consumers=ConsumerSettings(directory_cache_s=0.0),
    )


def _two_prefixes_on_two_nodes(cluster: LocalCluster) -> tuple[str, str]:
    run = uuid.uuid4().hex[:6]
    first = f"merchant-a-{run}"
    owner = cluster.owner_of("{" + first + "}")
    for i in range(100):
        other = f"merchant-{i}-{run}"
        if cluster.owner_of("{" + other + "}") != owner:
            return first, other
    raise AssertionError("no prefix found on another node")


def _keys_in_slot(port: int, slot: int) -> list[str]:
    client = redis.Redis(port=port)
    try:
        found = client.execute_command("CLUSTER", "GETKEYSINSLOT", slot, 1000)
        return sorted(key.decode() for key in found)
    finally:
        client.close()


async def test_two_merchants_run_side_by_side_on_different_nodes(
    redis_cluster: LocalCluster, sandbox: RunningSandbox, redis: aioredis.Redis
) -> None:
    """Each merchant's streams and records sit in its slot; the two slots are on two masters."""
    prefixes = _two_prefixes_on_two_nodes(redis_cluster)
    deployments = [_deployment(p, sandbox, redis_cluster.url) for p in prefixes]
    warehouse = warehouse_id(sandbox, "WH-STORE-1")
    before = stock_total(sandbox, warehouse, "SKU-0005")
    for settings in deployments:
        async with running_service(settings):
            names = stream_names(settings)
            event = envelope(
                "stock.adjusted",
                {"warehouse_id": warehouse, "items": [{"sku": "SKU-0005", "delta": "1"}]},
            )
            await redis.xadd(names.stock, {"event": json.dumps(event)})
            [result] = await read_results(redis, names.results, count=1)
            assert result["type"] == "stock.adjusted.succeeded"
            assert result["data"]["inbound_event_id"] == event["event_id"]
    assert stock_total(sandbox, warehouse, "SKU-0005") == before + 2

    owners = []
    for prefix, settings in zip(prefixes, deployments, strict=True):
        keys = DeploymentKeys.from_settings(settings)
        owner = redis_cluster.owner_of(keys.base)
        owners.append(owner)
        found = _keys_in_slot(owner, keys.slot)
        names = stream_names(settings)
        # The inbound stream, the results, the settled record: all in the merchant's slot.
        assert names.stock in found
        assert names.results in found
        assert any(key.startswith(keys.base + ":settled:") for key in found)
        assert all("{" + prefix + "}" in key for key in found)
    assert owners[0] != owners[1]

    report = redis_cluster.check()
    for owner in owners:
        [line] = [row for row in report.splitlines() if row.startswith(f"127.0.0.1:{owner} ")]
        assert int(line.split("->")[1].split("keys")[0]) > 0, report


def test_a_reply_list_outside_the_slot_is_refused(redis_cluster: LocalCluster) -> None:
    """A reply and its marker are written by one script: on a cluster they share the slot."""
    keys = DeploymentKeys("merchant-r", cluster=True)
    client = aioredis.Redis()  # never used: check() reads no Redis
    replier = Replier(client, keys=keys, ttl_s=60, retention_s=60, same_slot=True)
    assert replier.check(b"replies:{merchant-r}:42") == "replies:{merchant-r}:42"
    with pytest.raises(InvalidReplyTo, match="hash tag"):
        replier.check(b"replies:42")
