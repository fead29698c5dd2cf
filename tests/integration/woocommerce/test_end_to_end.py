"""The WooCommerce adapter end to end: the whole service over real HTTP between the strict
Sitoo sandbox and the fake WooCommerce, with a real Redis.

The service is built and served as ``sitoo-sync run`` builds it (its listeners, its lifespan);
the fake delivers its web hooks to the service's port as WooCommerce would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from pydantic import SecretStr

from service.adapters.woocommerce.mapping import MappingRefused
from service.app import build_service
from service.fakes.woocommerce import FakeWooCommerceConfig, serve_fake_woocommerce
from service.fakes.woocommerce.config import WebhookConfig
from service.listeners import build_servers, serve
from service.operator.status import gather_status, render_status
from service.sandbox import SandboxConfig, serve_sandbox
from service.settings import ConfigurationError, HttpSettings, Settings
from service.settings_woocommerce import WooCommerceSettings
from tests.integration.examples.stack import API_ID, API_PASSWORD, stack_settings

KEY = "ck_fake_consumer_key_0000000000000000000000"
SECRET = "cs_fake_consumer_secret_00000000000000000000"
HOOK_SECRET = "e2e-hook-secret"
PICKUPS = {"Store Stockholm": "STORE-1", "Store Gothenburg": "STORE-2"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Stack:
    """Everything a test drives and looks at."""

    settings: Settings
    redis: aioredis.Redis
    service: httpx.AsyncClient  # the service's port
    sandbox_admin: httpx.AsyncClient
    shop_admin: httpx.AsyncClient  # the fake's /_fake admin API
    shop_api: httpx.AsyncClient  # the fake's REST API with the key
    hook_url: str
    warehouses: dict[str, int]

    async def canonical(self) -> list[dict[str, Any]]:
        """Every event on the orders stream."""
        entries = await self.redis.xrange(self.settings.streams.orders)
        return [json.loads(fields[b"event"]) for _, fields in entries]

    async def sitoo_orders(self, externalid: str) -> list[dict[str, Any]]:
        answer = await self.sandbox_admin.get(
            "/_sandbox/state/orders", params={"externalid": externalid}
        )
        orders: list[dict[str, Any]] = answer.json()
        return orders

    async def hook(self, topic: str) -> int:
        made = await self.shop_admin.post(
            "/webhooks", json={"topic": topic, "delivery_url": self.hook_url, "secret": HOOK_SECRET}
        )
        assert made.status_code == 201, made.text
        hook_id: int = made.json()["id"]
        return hook_id

    async def place(self, **body: Any) -> int:
        body.setdefault("line_items", [{"sku": "SKU-0002", "quantity": 1}])
        answer = await self.shop_admin.post("/orders", json=body)
        assert answer.status_code == 201, answer.text
        order_id: int = answer.json()["order"]["id"]
        return order_id


async def eventually(check: Callable[[], Awaitable[bool]], timeout_s: float = 60.0) -> None:
    """Wait until ``check`` holds."""
    async with asyncio.timeout(timeout_s):
        while not await check():
            await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def stack(redis_url: str, webhooks: WebhookConfig) -> AsyncIterator[Stack]:
    """Sandbox, fake shop and the service on real ports."""
    unique = f"wc{uuid.uuid4().hex[:10]}"
    sandbox_config = SandboxConfig(credentials={API_ID: SecretStr(API_PASSWORD)}, seed="demo")
    async with (
        serve_sandbox(sandbox_config, port=0) as sandbox,
        serve_fake_woocommerce(FakeWooCommerceConfig(webhooks=webhooks), port=0) as shop,
        httpx.AsyncClient(base_url=sandbox.url, timeout=10) as sandbox_admin,
        httpx.AsyncClient(base_url=f"{shop.url}/_fake", timeout=10) as shop_admin,
        httpx.AsyncClient(base_url=shop.api_url, auth=(KEY, SECRET), timeout=10) as shop_api,
        httpx.AsyncClient(
            base_url=sandbox.base_url + "/", auth=(API_ID, API_PASSWORD), timeout=10
        ) as sitoo_api,
    ):
        listed = (await sitoo_api.get("sites/1/warehouses.json", params={"num": 100})).json()
        warehouses = {w["externalid"]: w["warehouseid"] for w in listed["items"]}
        base = stack_settings(sandbox, redis_url, unique, pollers=True)
        port = _free_port()
        settings = base.model_copy(
            update={
                "http": HttpSettings(host="127.0.0.1", port=port, shutdown_grace_s=2),
                "woocommerce": WooCommerceSettings(
                    url=shop.url,  # type: ignore[arg-type]
                    consumer_key=SecretStr(KEY),
                    consumer_secret=SecretStr(SECRET),
                    webhook_secret=SecretStr(HOOK_SECRET),
                    webhook_stream=f"{unique}.woocommerce.webhooks",
                    pickup_locations=PICKUPS,
                    stock_warehouse_id=warehouses["WH-STORE-1"],
                    poll_interval_s=0.5,
                    poll_overlap_s=5,
                    start_lookback_s=3600,
                ),
            }
        )
        service = build_service(settings)
        servers = build_servers(service.listeners(), settings.http, refused=service.metrics.refused)
        task = asyncio.create_task(serve(servers))
        client = aioredis.Redis.from_url(redis_url)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as service_client:
                async with asyncio.timeout(20):
                    while not servers[0].started:
                        await asyncio.sleep(0.05)
                yield Stack(
                    settings=settings,
                    redis=client,
                    service=service_client,
                    sandbox_admin=sandbox_admin,
                    shop_admin=shop_admin,
                    shop_api=shop_api,
                    hook_url=f"http://127.0.0.1:{port}/webhooks/woocommerce",
                    warehouses=warehouses,
                )
        finally:
            servers[0].should_exit = True
            await task
            await client.aclose()


@pytest.mark.timeout(180)
async def test_a_pickup_order_reaches_sitoo_its_progress_and_stock_reach_woocommerce_once(
    redis_url: str,
) -> None:
    async with stack(redis_url, WebhookConfig(queue_delay_s=0.2, poll_interval_s=0.05)) as s:
        for topic in ("order.created", "order.updated"):
            await s.hook(topic)
        pings = (await s.shop_admin.get("/webhooks/pings")).json()
        assert [p["ok"] for p in pings] == [True, True]
        # Every write to the shop may meet a 429, a 5xx before it runs, or a lost answer
        # after it ran: the notes and the status must still be written once each.
        faults = {
            "seed": 3,
            "writes_only": True,
            "extra_429_rate": 0.15,
            "error_before_rate": 0.15,
            "apply_then_fail_rate": 0.25,
            "apply_then_fail_mode": "drop",
            "retry_after_s": 0.2,
        }
        assert (await s.shop_admin.put("/faults", json=faults)).status_code == 200

        # A bad signature: 401, nothing stored; a bad body signed: never a 5xx.
        raw_stream = s.settings.woocommerce.webhook_stream
        before = await s.redis.xlen(raw_stream)
        body = b'{"id": 1, "status": "processing"}'
        bad = await s.service.post(
            "/webhooks/woocommerce",
            content=body,
            headers={"X-WC-Webhook-Signature": "AAAA", "X-WC-Webhook-Topic": "order.created"},
        )
        assert bad.status_code == 401
        assert await s.redis.xlen(raw_stream) == before

        order_id = await s.place(
            pickup_location="Store Stockholm",
            line_items=[{"sku": "SKU-0002", "quantity": 2}],
            billing={"first_name": "Anna", "email": "anna@example.com"},
        )
        externalid = f"wc-{order_id}"

        async def in_sitoo() -> bool:
            return len(await s.sitoo_orders(externalid)) == 1

        await eventually(in_sitoo)
        (sitoo_order,) = await s.sitoo_orders(externalid)
        assert sitoo_order["warehouseid"] == s.warehouses["WH-STORE-1"]

        for action in ("ready-for-pickup", "picked-up"):
            answer = await s.sandbox_admin.post(
                f"/_sandbox/actions/{action}", json={"orderid": sitoo_order["orderid"]}
            )
            assert answer.status_code == 200, answer.text

        async def completed() -> bool:
            order = (await s.shop_api.get(f"/orders/{order_id}")).json()
            notes = (await s.shop_api.get(f"/orders/{order_id}/notes")).json()
            ours = [n for n in notes if "[sitoo-sync:" in n["note"]]
            return order["status"] == "completed" and len(ours) == 2

        await eventually(completed)
        await asyncio.sleep(2.0)  # more poll cycles and redeliveries: nothing may repeat
        notes = (await s.shop_api.get(f"/orders/{order_id}/notes")).json()
        ours = Counter(n["note"].rsplit("[", 1)[-1] for n in notes if "[sitoo-sync:" in n["note"])
        assert ours == {"sitoo-sync:pickup-ready]": 1, "sitoo-sync:pickup-picked-up]": 1}
        ready = next(n for n in notes if "pickup-ready" in n["note"])
        assert ready["customer_note"] is True
        ledger = (await s.shop_admin.get("/ledger", params={"kind": "order.update"})).json()
        to_completed = [
            e
            for e in ledger
            if e["key"] == f"order/{order_id}"
            and e["detail"].get("changes", {}).get("status", [None, None])[1] == "completed"
        ]
        assert len(to_completed) == 1
        placed = [e for e in await s.canonical() if e["event_id"] == f"wc-order-{order_id}-placed"]
        assert len(placed) == 1

        # Stock: SKU-0002's available units in STORE-1's warehouse are the shop's figure.
        async def stock_matches() -> bool:
            item = (
                await s.sandbox_admin.get(
                    "/_sandbox/state/stock",
                    params={"warehouseid": s.warehouses["WH-STORE-1"], "sku": "SKU-0003"},
                )
            ).json()[0]
            product = (await s.shop_api.get("/products", params={"sku": "SKU-0003"})).json()[0]
            return product["stock_quantity"] == int(float(item["decimalavailable"]))

        count = await s.sandbox_admin.post(
            "/_sandbox/actions/stock-count",
            json={"warehouseid": s.warehouses["WH-STORE-1"], "counts": {"SKU-0003": "42"}},
        )
        assert count.status_code == 200, count.text
        await eventually(stock_matches)
        product = (await s.shop_api.get("/products", params={"sku": "SKU-0003"})).json()[0]
        assert product["stock_quantity"] == 42
        unmanaged = (await s.shop_api.get("/products", params={"sku": "SKU-0005"})).json()[0]
        assert unmanaged["stock_quantity"] is None  # not managed: never written
        outcomes = (await s.shop_admin.get("/requests")).json()
        assert outcomes.get("applied_then_drop", 0) >= 1, outcomes
        assert outcomes.get("429", 0) >= 1, outcomes


@pytest.mark.timeout(180)
@pytest.mark.parametrize("seed", [7])
async def test_dropped_merged_repeated_deliveries_and_a_disabled_hook_lose_nothing(
    redis_url: str, seed: int
) -> None:
    """Every order's canonical events exactly once, from hooks and the poller together."""
    webhooks = WebhookConfig(
        queue_delay_s=0.3, poll_interval_s=0.05, drop_rate=0.4, duplicate_rate=0.4, seed=seed
    )
    async with stack(redis_url, webhooks) as s:
        created = await s.hook("order.created")
        await s.hook("order.updated")
        disabled = await s.shop_admin.put(f"/webhooks/{created}", json={"status": "disabled"})
        assert disabled.status_code == 200, disabled.text

        orders = []
        for index in range(6):
            location = "Store Gothenburg" if index % 2 else "Store Stockholm"
            order_id = await s.place(pickup_location=location, status="on-hold")
            # Quick changes merge into one pending delivery.
            await s.shop_admin.put(f"/orders/{order_id}/status", json={"status": "processing"})
            orders.append(order_id)
        draft = await s.place(status="checkout-draft", pickup_location="Store Stockholm")

        async def arrived(wanted: set[str]) -> None:
            async def there() -> bool:
                return wanted <= {e["event_id"] for e in await s.canonical()}

            await eventually(there)

        placed = {f"wc-order-{o}-placed" for o in orders}
        await arrived(placed)
        for order_id in orders[:2]:
            await s.shop_admin.put(f"/orders/{order_id}/status", json={"status": "cancelled"})
        # The same state sent again, as WooCommerce may.
        for order_id in orders:
            await s.shop_admin.post(
                "/webhooks/send",
                json={"resource_id": order_id, "topic": "order.updated", "merge": False},
            )
        cancelled = {f"wc-order-{o}-cancelled" for o in orders[:2]}
        await arrived(cancelled)
        await asyncio.sleep(2.0)  # further poll cycles and late deliveries
        counts = Counter(e["event_id"] for e in await s.canonical())
        assert counts == dict.fromkeys(placed | cancelled, 1)
        assert not any(str(draft) in event_id for event_id in counts)
        deliveries = (await s.shop_admin.get("/webhooks/deliveries")).json()
        states = Counter(d["state"] for d in deliveries)
        assert states["dropped"] >= 1
        assert states["delivered"] >= 1

        metrics = (await s.service.get("/metrics")).text
        assert "sitoo_sync_woocommerce_webhooks_disabled 1.0" in metrics
        status = render_status(await gather_status(s.redis, s.settings))
        assert "ALERT woocommerce-orders: 1 WooCommerce web hook(s) disabled" in status
        raw = s.settings.woocommerce.webhook_stream
        assert f"woocommerce web hooks  {raw}" in status
        assert f'sitoo_sync_dead_letter_entries{{stream="{raw}"}}' in metrics


async def test_a_mapping_naming_unknown_stores_stops_the_start_in_one_line(
    redis_url: str,
) -> None:
    """The start-up check against Sitoo: the service does not start, the reason is one line."""
    unique = f"wc{uuid.uuid4().hex[:10]}"
    sandbox_config = SandboxConfig(credentials={API_ID: SecretStr(API_PASSWORD)}, seed="demo")
    async with (
        serve_sandbox(sandbox_config, port=0) as sandbox,
        serve_fake_woocommerce(FakeWooCommerceConfig(), port=0) as shop,
    ):
        settings = stack_settings(sandbox, redis_url, unique, pollers=True).model_copy(
            update={
                "woocommerce": WooCommerceSettings(
                    url=shop.url,  # type: ignore[arg-type]
                    consumer_key=SecretStr(KEY),
                    consumer_secret=SecretStr(SECRET),
                    webhook_secret=SecretStr(HOOK_SECRET),
                    pickup_locations={"Store Stockholm": "STORE-1", "Store Oslo": "STORE-9"},
                    stock_warehouse_id=99_999,
                )
            }
        )
        app = build_service(settings).app
        with pytest.raises(MappingRefused) as caught:
            async with app.start_lifespan_context():
                pass
    message = str(caught.value)
    assert "\n" not in message
    assert "SITOO_SYNC_WOOCOMMERCE__PICKUP_LOCATIONS names unknown Sitoo stores: STORE-9" in message
    assert "SITOO_SYNC_WOOCOMMERCE__STOCK_WAREHOUSE_ID names an unknown Sitoo warehouse" in message


async def test_sitoo_refusing_the_credentials_at_the_start_check_is_bad_configuration(
    redis_url: str,
) -> None:
    """The mapping check is the first Sitoo call: a 401 there names the credential settings."""
    unique = f"wc{uuid.uuid4().hex[:10]}"
    sandbox_config = SandboxConfig(credentials={API_ID: SecretStr("another-password")}, seed="demo")
    async with serve_sandbox(sandbox_config, port=0) as sandbox:
        settings = stack_settings(sandbox, redis_url, unique, pollers=False).model_copy(
            update={
                "woocommerce": WooCommerceSettings(
                    url="http://127.0.0.1:9",  # type: ignore[arg-type]
                    consumer_key=SecretStr(KEY),
                    consumer_secret=SecretStr(SECRET),
                    webhook_secret=SecretStr(HOOK_SECRET),
                    pickup_locations={"Store Stockholm": "STORE-1"},
                )
            }
        )
        app = build_service(settings).app
        with pytest.raises(ConfigurationError) as caught:
            async with app.start_lifespan_context():
                pass
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("SITOO_SYNC_SITOO__API_ID / SITOO_SYNC_SITOO__API_PASSWORD: ")
    assert "refused them (Unauthorized)" in message
