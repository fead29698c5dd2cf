"""docs/asyncapi.json: each webshop delivery example is what a signed POST really stores."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.routing import Route

from service.adapters.common.intake import (
    IntakeConfig,
    WebhookSource,
    WebshopIntake,
    hmac_sha256_base64,
)
from service.adapters.shopify.webhook_source import HMAC_HEADER, ShopifyWebhooks
from service.adapters.woocommerce.webhooks import SIGNATURE_HEADER, WooCommerceWebhooks
from service.operator.asyncapi_webshops import (
    EXAMPLE_RECEIVED_MS,
    SHOPIFY_DELIVERY,
    WOOCOMMERCE_DELIVERY,
    DeliveryExample,
)
from service.records.keys import DeploymentKeys
from tests.integration.examples.docblocks import ROOT

DOCUMENT: dict[str, Any] = json.loads((ROOT / "docs" / "asyncapi.json").read_text("utf-8"))
SECRET = "delivery-example-secret"


def _documented(webshop: str) -> dict[str, str]:
    [example] = DOCUMENT["components"]["messages"][f"{webshop}WebhookDelivery"]["examples"]
    return dict(example["payload"])


def _source(webshop: str) -> tuple[WebhookSource, str]:
    if webshop == "shopify":
        return ShopifyWebhooks((SecretStr(SECRET),)), HMAC_HEADER
    return WooCommerceWebhooks((SecretStr(SECRET),)), SIGNATURE_HEADER


@pytest.mark.parametrize(
    "example", [SHOPIFY_DELIVERY, WOOCOMMERCE_DELIVERY], ids=lambda e: e.webshop
)
async def test_a_signed_post_stores_the_documented_entry(
    redis: Any, unique: str, example: DeliveryExample
) -> None:
    source, signature_header = _source(example.webshop)
    stream = f"{unique}.{example.webshop}.webhooks"
    config = IntakeConfig(
        stream=stream, keys=DeploymentKeys(unique), dedupe_ms=60_000, deadline_s=5.0
    )
    intake = WebshopIntake(source, config, lambda: redis, clock=lambda: EXAMPLE_RECEIVED_MS / 1000)
    app = Starlette(routes=[Route(example.path, intake.handle, methods=["POST"])])
    body = example.body.encode()
    headers = {**example.headers, signature_header: hmac_sha256_base64(SECRET, body)}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://sync.test"
    ) as client:
        answer = await client.post(example.path, content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    [(_, fields)] = await redis.xrange(stream)
    stored = {k.decode(): v.decode() for k, v in fields.items()}
    assert stored == _documented(example.webshop)
