"""WooCommerce's web hooks through the shared intake and consumer: real Redis, the fake's sender."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from service.adapters.common.emitting import EventAppender
from service.adapters.common.intake import IntakeConfig, hmac_sha256_base64
from service.adapters.common.translating import (
    RawStream,
    TranslatingConsumer,
    TranslatingDeps,
)
from service.adapters.woocommerce.client import WooCommerceClient, build_http_client
from service.adapters.woocommerce.order_translation import OrderTranslator
from service.adapters.woocommerce.translate import PickupMap
from service.adapters.woocommerce.webhooks import (
    WooCommerceTranslator,
    WooCommerceWebhooks,
    woocommerce_webhook_route,
)
from service.contracts.registry import Channel
from service.deadletters import DeadLetterStore
from service.fakes.woocommerce import (
    FakeWooCommerceConfig,
    create_fake_woocommerce_app,
    fake_woocommerce_transport,
)
from service.records.keys import DeploymentKeys
from service.records.streams import stream_names
from service.settings import Settings
from service.settings_woocommerce import WooCommerceSettings

SECRET = "wc-hook-secret"
PATH = "/webhooks/woocommerce"
URL = f"https://sync.test{PATH}"
PICKUPS = PickupMap({"Store Stockholm": "STORE-1"})


class Clock:
    """The fake's time, moved by hand."""

    value = 1_780_000_000.0

    def __call__(self) -> float:
        return self.value


def _store_client(fake: Any) -> WooCommerceClient:
    """The REST client the translation reads refunds with, talking to ``fake``."""
    settings = WooCommerceSettings(
        url="https://shop.example.com",  # type: ignore[arg-type]
        consumer_key=SecretStr("ck_fake_consumer_key_0000000000000000000000"),
        consumer_secret=SecretStr("cs_fake_consumer_secret_00000000000000000000"),
        webhook_secret=SecretStr(SECRET),
    )
    return WooCommerceClient(
        http=build_http_client(settings, fake_woocommerce_transport(fake)), settings=settings
    )


def _setup(redis: Any, unique: str, fake: Any = None) -> tuple[RawStream, TranslatingConsumer, Any]:
    if fake is None:
        fake = create_fake_woocommerce_app(FakeWooCommerceConfig())
    raw = RawStream(
        webshop="woocommerce",
        stream=f"{unique}.woocommerce.webhooks",
        dead_letters=f"{unique}.woocommerce.webhooks.dlq",
        group="g",
        consumer="c",
        reclaim_idle_ms=1000,
        max_deliveries=3,
    )
    config = IntakeConfig(
        stream=raw.stream, keys=DeploymentKeys(unique), dedupe_ms=60_000, deadline_s=5.0
    )
    _, app = woocommerce_webhook_route(PATH, (SecretStr(SECRET),), config, lambda: redis)
    appender = EventAppender(
        redis,
        {Channel.ORDERS: f"{unique}.orders"},
        keys=DeploymentKeys(unique),
        retention_ms=60_000,
    )
    dead_letters = DeadLetterStore(
        redis,
        streams=[raw.stream],
        names=stream_names(Settings()),
        keys=DeploymentKeys(unique),
        retention_s=600,
    )
    deps = TranslatingDeps(
        redis=redis,
        translator=WooCommerceTranslator(OrderTranslator(PICKUPS, _store_client(fake))),
        appender=appender,
        dead_letters=dead_letters,
    )
    return raw, TranslatingConsumer(raw, lambda: deps), app


async def _consume_all(redis: Any, raw: RawStream, consumer: TranslatingConsumer) -> list[str]:
    outcomes = []
    for entry_id, fields in await redis.xrange(raw.stream):
        outcomes.append(await consumer.consume(fields, entry_id=entry_id.decode(), deliveries=1))
    return outcomes


async def _events(redis: Any, unique: str) -> list[dict[str, Any]]:
    return [json.loads(f[b"event"]) for _, f in await redis.xrange(f"{unique}.orders")]


def test_the_facts_test_vector_verifies() -> None:
    """FACTS.md §2.3: the exact (PHP-escaped) bytes are signed; re-serialised ones are not."""
    source = WooCommerceWebhooks((SecretStr("wc-test-secret"),))
    escaped = b'{"id":1,"status":"processing","permalink":"https:\\/\\/example.com\\/?p=1"}'
    signature = "NBDJvuzU6Y2UFvggyWtrDHC3Or+axk/876PDEXC2Bn0="
    assert source.authentic({"x-wc-webhook-signature": signature}, escaped)
    plain = b'{"id":1,"status":"processing","permalink":"https://example.com/?p=1"}'
    assert not source.authentic({"x-wc-webhook-signature": signature}, plain)


async def test_the_fakes_ping_and_deliveries_become_canonical_events_once(
    redis: Any, unique: str
) -> None:
    """Ping answered 200 and not stored; merged and repeated deliveries: one event each."""
    clock = Clock()
    fake = create_fake_woocommerce_app(FakeWooCommerceConfig(), now=clock)
    raw, consumer, app = _setup(redis, unique, fake)
    store = fake.state.store
    store.sender.transport = httpx.ASGITransport(app=app)
    admin = httpx.AsyncClient(
        transport=fake_woocommerce_transport(fake), base_url="https://shop.example.com/_fake"
    )
    async with admin:
        for topic in ("order.created", "order.updated"):
            made = await admin.post(
                "/webhooks", json={"topic": topic, "delivery_url": URL, "secret": SECRET}
            )
            assert made.status_code == 201, made.text
        pings = (await admin.get("/webhooks/pings")).json()
        assert [p["ok"] for p in pings] == [True, True]
        assert await redis.xlen(raw.stream) == 0  # a ping is answered, never stored

        placed = (
            await admin.post(
                "/orders",
                json={
                    "line_items": [{"sku": "SKU-0002", "quantity": 1}],
                    "pickup_location": "Store Stockholm",
                },
            )
        ).json()["order"]
        order_id = placed["id"]
        # Two changes while the first delivery waits: merged into one order.updated.
        for status in ("on-hold", "processing"):
            await admin.put(f"/orders/{order_id}/status", json={"status": status})
        clock.value += 5
        await store.deliver_webhooks()
        # The same state sent again, as WooCommerce may.
        await admin.post(
            "/webhooks/send",
            json={"resource_id": order_id, "topic": "order.updated", "merge": False},
        )
        clock.value += 5
        await store.deliver_webhooks()
        deliveries = (await admin.get("/webhooks/deliveries")).json()
        assert {d["state"] for d in deliveries} == {"delivered"}
        assert await redis.xlen(raw.stream) == len(deliveries) == 3

        outcomes = await _consume_all(redis, raw, consumer)
        assert outcomes[0] == "translated: 1 events, 1 new"
        assert outcomes[1:] == ["translated: 1 events, 0 new"] * 2
        (event,) = await _events(redis, unique)
        assert event["event_id"] == f"wc-order-{order_id}-placed"
        assert event["data"]["fulfilment"]["store_externalid"] == "STORE-1"

        # Cancelled in WooCommerce: one order.cancelled.
        await admin.put(f"/orders/{order_id}/status", json={"status": "cancelled"})
        clock.value += 5
        await redis.delete(raw.stream)  # what was consumed already
        await store.deliver_webhooks()
        assert await _consume_all(redis, raw, consumer) == ["translated: 1 events, 1 new"]
        assert [e["type"] for e in await _events(redis, unique)] == [
            "order.placed",
            "order.cancelled",
        ]


async def _post(app: Any, body: bytes, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://sync.test"
    ) as client:
        return await client.post(PATH, content=body, headers=headers)


@pytest.mark.parametrize(
    "headers",
    [
        {"x-wc-webhook-signature": "AAAA", "x-wc-webhook-topic": "order.created"},
        {"x-wc-webhook-signature": hmac_sha256_base64("other", b"{}"), "x-wc-webhook-topic": "x"},
        {"x-wc-webhook-topic": "order.created"},
        {},  # unsigned and not a ping
    ],
)
async def test_a_bad_signature_is_401_and_nothing_is_stored(
    redis: Any, unique: str, headers: dict[str, str]
) -> None:
    raw, _, app = _setup(redis, unique)
    answer = await _post(app, b'{"id": 1, "status": "processing"}', headers)
    assert answer.status_code == 401
    assert await redis.xlen(raw.stream) == 0


async def test_signed_bodies_that_are_not_orders_are_dead_lettered_never_5xx(
    redis: Any, unique: str
) -> None:
    """Bad JSON, a non-order, a bad order: 200 and stored; translation parks them with a reason."""
    raw, consumer, app = _setup(redis, unique)
    bodies = (
        b"not json",
        b"[]",
        b'{"id": 5, "status": "processing", "line_items": []}',
        b"\xff\xfe",
    )
    for body in bodies:
        headers = {
            "x-wc-webhook-signature": hmac_sha256_base64(SECRET, body),
            "x-wc-webhook-topic": "order.updated",
        }
        answer = await _post(app, body, headers)
        assert answer.status_code == 200
    ping = await _post(app, b"webhook_id=12", {"content-type": "application/x-www-form-urlencoded"})
    assert ping.status_code == 200
    assert await _consume_all(redis, raw, consumer) == ["dead_lettered"] * 4
    reasons = [f[b"reason"].decode() for _, f in await redis.xrange(raw.dead_letters)]
    assert reasons[0].endswith("the body is not JSON")
    assert reasons[1].startswith("not an order")
    assert reasons[2] == "order 5: the order has no line items"
    assert reasons[3].endswith("the body is not JSON")  # not even UTF-8: stored, then parked
    letters = [f for _, f in await redis.xrange(raw.dead_letters)]
    # The service's dead-letter format: `sitoo-sync dlq` lists and replays them.
    assert letters[0][b"original:body"] == b"not json"
    assert {f[b"reason_code"] for f in letters} == {b"untranslatable"}
    assert {f[b"type"] for f in letters} == {b"order.updated"}
