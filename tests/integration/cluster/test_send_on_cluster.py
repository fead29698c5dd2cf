"""`sitoo-sync send` on a tagged deployment: the example reaches the tagged streams."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from service.operator.send import find_example, send_example
from service.records.keys import hash_tag
from service.settings import Settings, StreamSettings
from tests.integration.consumers.conftest import (  # noqa: F401 - the fixture is reused
    running_service,
    settings,
)

pytestmark = pytest.mark.integration


async def test_send_reaches_a_deployment_with_default_stream_names(
    settings: Settings,  # noqa: F811 - the imported fixture
    redis: aioredis.Redis,
    unique: str,
) -> None:
    """Stream names as configured by default (untagged) get the deployment's tag, and so
    does a request's reply list, as the service requires on a cluster."""
    deployment = settings.model_copy(
        update={"streams": StreamSettings(consumer=f"{unique}-replica-1", reclaim_idle_ms=1000)}
    )
    issue = find_example("giftcard-issued", deployment.streams)
    request = find_example("giftcard-redeem-request", deployment.streams)
    assert issue is not None
    assert request is not None
    assert request.reply_to is not None
    assert hash_tag(request.reply_to) is None
    async with running_service(deployment):
        issued = await send_example(redis, deployment, issue, event_id=f"{unique}-issue", wait_s=15)
        assert issued.result is not None
        assert issued.result["type"] == "giftcard.issued.succeeded"
        redeemed = await send_example(
            redis, deployment, request, event_id=f"{unique}-redeem", wait_s=15
        )
    assert redeemed.result is not None
    assert redeemed.result["type"] == "giftcard.redeem.succeeded", redeemed.result
    assert redeemed.reply is not None
    assert redeemed.reply["status"] == "approved"
