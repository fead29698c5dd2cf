"""docs/shopify.md, run: its app configuration, subscription, settings, error line and check.

The app's scopes and topics are also what every end-to-end test of the adapter runs with
(see conftest.py): the fake refuses any field the documented scopes do not grant.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
from decimal import Decimal

import httpx
import pytest
import uvicorn
from graphql import parse, validate
from pydantic import SecretStr
from starlette.applications import Starlette

from service.adapters.common.intake import IntakeConfig, webshop_webhook_route
from service.adapters.shopify.locations import location_map_problem
from service.adapters.shopify.translator import INVENTORY_TOPIC, ORDER_TOPICS, REFUND_TOPIC
from service.adapters.shopify.webhook_source import ShopifyWebhooks
from service.adapters.shopify.wiring import WEBHOOK_PATH
from service.contracts.orders import OrderRefunded, RefundedLine
from service.fakes.shopify import FakeShopifyConfig, serve_fake_shopify
from service.fakes.shopify.schema import schema_for
from service.records.keys import DeploymentKeys
from service.sandbox import SandboxConfig
from service.sandbox.sandbox import Sandbox
from service.settings import ConfigurationError, load_settings
from service.settings_shopify import LocationMapping
from service.usecases.refunds import REFUND_KEY_PREFIX, refund_record
from tests.integration.shopify_adapter.guide import (
    app_configuration,
    documented_scopes,
    documented_topics,
    guide_blocks,
)


def test_the_app_configuration_subscribes_what_the_adapter_translates():
    """Topics: each one is translated; the address is the adapter's path."""
    topics = documented_topics()
    assert set(topics) <= ORDER_TOPICS | {INVENTORY_TOPIC, REFUND_TOPIC}
    assert {"orders/create", "orders/cancelled", INVENTORY_TOPIC} <= set(topics)
    webhooks = app_configuration()["webhooks"]
    assert isinstance(webhooks, dict)
    assert all(s["uri"].endswith(WEBHOOK_PATH) for s in webhooks["subscriptions"])
    # write_orders only for a store cancellation (tag, by default, or cancel); no write_products.
    assert "write_orders" in documented_scopes()
    assert "write_products" not in documented_scopes()


async def test_the_subscription_mutation_subscribes_each_topic():
    """The documented mutation, sent to the fake Admin API once per topic, subscribes them."""
    [block] = guide_blocks("graphql")
    assert validate(schema_for("2026-04"), parse(block.text)) == []
    config = FakeShopifyConfig(token_scopes={"main": documented_scopes()})
    async with (
        serve_fake_shopify(config, port=0, send_webhooks=False) as shop,
        httpx.AsyncClient() as http,
    ):
        for topic in documented_topics():
            answer = await http.post(
                shop.admin_url("2026-04"),
                headers={"X-Shopify-Access-Token": "shpat_fake_access_token"},
                json={
                    "query": block.text,
                    "variables": {
                        "topic": topic.upper().replace("/", "_"),
                        "uri": "https://sync.example.com/webhooks/shopify",
                    },
                },
            )
            payload = answer.json()["data"]["webhookSubscriptionCreate"]
            assert payload["userErrors"] == []
        held = {s.topic for s in shop.shop.webhooks.subscriptions.values()}
    assert held == set(documented_topics())


def _environment() -> dict[str, str]:
    [block] = [b for b in guide_blocks("sh") if "export SITOO_SYNC_SHOPIFY__" in b.text]
    shown = subprocess.run(
        ["/bin/bash", "-c", block.text + "\nenv -0"],
        capture_output=True,
        check=True,
        env={"PATH": os.environ.get("PATH", "")},
    ).stdout.decode()
    pairs = (item.partition("=") for item in shown.split("\0") if item)
    return {k: v for k, _, v in pairs if k.startswith("SITOO_SYNC_")}


def test_the_documented_settings_load_and_pass_the_start_up_check(monkeypatch):
    """The exports configure the adapter; the map fits the demo sandbox's stores."""
    for name, value in _environment().items():
        monkeypatch.setenv(name, value)
    shopify = load_settings().shopify
    assert shopify.enabled
    assert shopify.graphql_url == "https://example.myshopify.com/admin/api/2026-04/graphql.json"
    demo = Sandbox(SandboxConfig(seed="demo"))
    stores, warehouses = demo.catalog.stores.values(), demo.catalog.warehouses.values()
    assert location_map_problem(shopify.locations, stores, warehouses) is None
    assert shopify.location(70000000003) == LocationMapping(warehouse_id=4, stock_master="shopify")


def test_the_documented_refusal_is_the_one_printed():
    """The one line `run` prints for the refusal shown in the guide: the check's own text."""
    [block] = [b for b in guide_blocks("text") if "LOCATIONS" in b.text]
    demo = Sandbox(SandboxConfig(seed="demo"))
    mapping = {"70000000002": LocationMapping(store_id=9, warehouse_id=2, stock_master="sitoo")}
    found = location_map_problem(
        mapping, demo.catalog.stores.values(), demo.catalog.warehouses.values()
    )
    assert "configuration error: " + str(found) == block.text.strip()


@pytest.mark.parametrize("secret", ["the-app-client-secret"])
async def test_the_check_delivery_is_stored_then_a_repeat(redis, unique, secret):
    """The curl check, run with bash against the real endpoint: stored, then repeat."""
    [block] = [b for b in guide_blocks("sh") if "curl" in b.text]
    config = IntakeConfig(
        stream=f"{unique}.shopify.webhooks",
        keys=DeploymentKeys(unique),
        dedupe_ms=60_000,
        deadline_s=5,
    )
    path, app = webshop_webhook_route(
        WEBHOOK_PATH, ShopifyWebhooks((SecretStr(secret),)), config, lambda: redis
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(Starlette(routes=app.routes), log_config=None, lifespan="off")
    )
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        env = {
            "PATH": os.environ.get("PATH", ""),
            "SITOO_SYNC_URL": f"http://127.0.0.1:{port}",
            "SITOO_SYNC_SHOPIFY__WEBHOOK_SECRET": secret,
        }
        answers = []
        for _ in range(2):
            run = await asyncio.create_subprocess_exec(
                "/bin/bash", "-c", block.text, env=env, stdout=asyncio.subprocess.PIPE
            )
            out, _ = await run.communicate()
            assert run.returncode == 0
            answers.append(json.loads(out))
    finally:
        server.should_exit = True
        await serving
        sock.close()
    assert path == "/webhooks/shopify"
    assert answers == [{"outcome": "stored"}, {"outcome": "repeat"}]
    [(_, fields)] = await redis.xrange(config.stream)
    assert json.loads(fields[b"body"]) == {"id": 1, "name": "#TEST"}


def test_the_documented_store_cancellation_refusal_is_the_one_printed(monkeypatch):
    """A value other than cancel, tag or ignore: the one line the guide shows."""
    [block] = [b for b in guide_blocks("text") if "STORE_CANCELLATION" in b.text]
    monkeypatch.setenv("SITOO_SYNC_SHOPIFY__STORE_CANCELLATION", "delete")
    with pytest.raises(ConfigurationError) as refused:
        load_settings()
    assert "configuration error: " + str(refused.value) == block.text.strip()


def test_the_documented_refund_record_is_what_is_written():
    """The additionaldata entry the guide shows, from a refund of one unit with a note."""
    [block] = [b for b in guide_blocks("json") if "refund-" in b.text]
    refund = OrderRefunded(
        order_id="shopify-1",
        refund_id="1234567",
        currency="SEK",
        amount=Decimal("100.0"),
        lines=[RefundedLine(sku="SKU-0008", quantity=1, restock_warehouse_id=1)],
        note="too small",
    )
    assert json.loads(block.text) == {REFUND_KEY_PREFIX + "1234567": refund_record(refund)}
