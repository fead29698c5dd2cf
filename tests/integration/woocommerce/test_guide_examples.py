"""Every example in docs/woocommerce.md runs: the settings, the web-hook call, the translation."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from pydantic import SecretStr

from service.adapters.woocommerce.mapping import check_mapping, pickup_map
from service.adapters.woocommerce.translate import PickupMap, translate_order
from service.app import build_sitoo_client
from service.fakes.woocommerce import FakeWooCommerceConfig, serve_fake_woocommerce
from service.sandbox import SandboxConfig, serve_sandbox
from service.settings import RedisSettings, Settings, SitooSettings, load_settings
from service.sitoo import build_http_client

DOC = Path(__file__).resolve().parents[3] / "docs" / "woocommerce.md"
DATA = Path(__file__).resolve().parents[2] / "component" / "woocommerce_adapter" / "data"
FAKE_KEY = "ck_fake_consumer_key_0000000000000000000000"
FAKE_SECRET = "cs_fake_consumer_secret_00000000000000000000"


def _blocks(language: str) -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    return [str(b) for b in re.findall(rf"```{language}\n(.*?)```", text, re.DOTALL)]


def _settings_block() -> dict[str, str]:
    block = next(b for b in _blocks("sh") if "SITOO_SYNC_WOOCOMMERCE__URL=" in b)
    found = {}
    for line in block.strip().splitlines():
        name, _, value = line.partition("=")
        found[name] = value
    return found


async def test_the_documented_settings_load_and_pass_the_check_against_the_demo_sandbox(
    monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    for name, value in _settings_block().items():
        monkeypatch.setenv(name, value)
    woo = load_settings().woocommerce
    assert woo.enabled
    assert pickup_map(woo).store_for("Store Gothenburg") == "STORE-2"
    assert woo.picked_up_status == "completed"
    config = SandboxConfig(credentials={"guide": SecretStr("guide-pw")}, seed="demo")
    async with serve_sandbox(config, port=0) as sandbox:
        settings = Settings(
            sitoo=SitooSettings(
                base_url=sandbox.base_url,  # type: ignore[arg-type]
                api_id="guide",
                api_password=SecretStr("guide-pw"),
            ),
            redis=RedisSettings(url=SecretStr(redis_url), key_prefix="guide-check"),
        )
        redis = aioredis.Redis.from_url(redis_url)
        async with build_http_client(settings.sitoo) as http:
            sitoo = build_sitoo_client(settings, redis, http)
            await check_mapping(woo, sitoo)  # the demo's STORE-1, STORE-2 and warehouse 1
        await redis.aclose()


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
async def test_the_documented_web_hook_call_creates_the_hook() -> None:
    (block,) = [b for b in _blocks("sh") if "curl" in b]
    async with serve_fake_woocommerce(FakeWooCommerceConfig(), port=0) as shop:
        command = block.replace("https://shop.example.com", shop.url)
        env = {"CONSUMER_KEY": FAKE_KEY, "CONSUMER_SECRET": FAKE_SECRET, "PATH": "/usr/bin:/bin"}
        process = await _run(command, env)
        hook = json.loads(process)
        assert hook["topic"] == "order.updated"
        assert hook["delivery_url"] == "https://sync.example.com/webhooks/woocommerce"
        assert hook["secret"] == _settings_block()["SITOO_SYNC_WOOCOMMERCE__WEBHOOK_SECRET"]
        assert hook["status"] == "active"


async def _run(command: str, env: dict[str, str]) -> str:
    def run() -> str:
        done = subprocess.run(
            ["/bin/sh", "-c", command], env=env, capture_output=True, text=True, check=True
        )
        return done.stdout

    return await asyncio.to_thread(run)


def test_the_documented_pickup_line_becomes_the_documented_fulfilment() -> None:
    line, fulfilment = (json.loads(b) for b in _blocks("json"))
    order: dict[str, Any] = json.loads((DATA / "order-v3.json").read_text())
    order["line_items"][0]["sku"] = "SKU-0001"
    order["shipping_lines"] = [line]
    order["shipping_total"] = "0.00"
    order["total"] = "19.35"
    mapping = json.loads(_settings_block()["SITOO_SYNC_WOOCOMMERCE__PICKUP_LOCATIONS"])
    (event,) = translate_order(order, PickupMap(mapping)).events
    assert event.data["fulfilment"] == fulfilment
