"""Web hooks: subscriptions, Shopify's signature and headers, retries, removal, faults."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from service.fakes.shopify import FakeShopify, sign
from tests.component.fake_shopify.conftest import GraphQL, example

HOOK = "http://127.0.0.1/hooks"
SECRET = "fake-shopify-app-secret"
SUBSCRIBE = """mutation($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) {
    webhookSubscription { id topic uri } userErrors { field message } } }"""


class Receiver:
    """Records deliveries and answers with a status tests can change."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.status = 200

    async def endpoint(self, request: Request) -> Response:
        self.received.append((dict(request.headers), await request.body()))
        return Response(status_code=self.status)

    def topics(self) -> list[str]:
        return [h["x-shopify-topic"] for h, _ in self.received]


@pytest.fixture
def receiver(shop: FakeShopify) -> Receiver:
    """A web-hook receiver the fake delivers to in-process."""
    found = Receiver()
    app = Starlette(routes=[Route("/hooks", found.endpoint, methods=["POST"])])
    shop.sender.transport = httpx.ASGITransport(app=app)
    return found


async def _order(admin: httpx.AsyncClient) -> dict[str, Any]:
    body = {
        "order": {"line_items": [{"sku": "SKU-0001", "quantity": 1}]},
        "pickup_location_id": 70000000001,
    }
    created: dict[str, Any] = (await admin.post("/orders", json=body)).json()
    return created


def test_the_signature_matches_shopifys_test_vector() -> None:
    """The HMAC of Shopify's own test suite."""
    vector = example("webhook-hmac-test-vector.json")
    assert (
        sign(vector["client_secret"], vector["raw_body"].encode())
        == vector["headers"]["X-Shopify-Hmac-Sha256"]
    )


async def test_graphql_subscription_gets_signed_deliveries_with_every_header(
    gql: GraphQL, admin, shop: FakeShopify, receiver: Receiver
) -> None:
    """A subscription made with webhookSubscriptionCreate gets orders/create, signed."""
    body = (
        await gql(SUBSCRIBE, {"topic": "ORDERS_CREATE", "sub": {"uri": HOOK, "format": "JSON"}})
    ).json()
    assert body["data"]["webhookSubscriptionCreate"]["userErrors"] == []
    created = await _order(admin)
    assert await shop.deliver_webhooks() == 1
    headers, raw = receiver.received[0]
    expected = base64.b64encode(hmac.new(SECRET.encode(), raw, hashlib.sha256).digest()).decode()
    assert headers["x-shopify-hmac-sha256"] == expected
    assert headers["x-shopify-topic"] == "orders/create"
    assert headers["x-shopify-shop-domain"] == "sitoo-sync-dev.myshopify.com"
    assert headers["x-shopify-api-version"] == "2026-04"
    assert headers["x-shopify-webhook-id"]
    assert headers["x-shopify-event-id"]
    assert headers["x-shopify-triggered-at"].endswith("Z")
    assert json.loads(raw)["id"] == created["order"]["id"]


async def test_subscription_refusals(gql: GraphQL) -> None:
    """Unknown topic (schema), plain http to a public host, the same address twice."""
    body = (await gql(SUBSCRIBE, {"topic": "ORDERS_NOPE", "sub": {"uri": HOOK}})).json()
    assert "errors" in body
    insecure = (
        await gql(SUBSCRIBE, {"topic": "ORDERS_CREATE", "sub": {"uri": "http://example.com/x"}})
    ).json()
    assert (
        insecure["data"]["webhookSubscriptionCreate"]["userErrors"][0]["message"]
        == "Address protocol http:// is not supported"
    )
    await gql(SUBSCRIBE, {"topic": "ORDERS_CREATE", "sub": {"uri": HOOK}})
    twice = (await gql(SUBSCRIBE, {"topic": "ORDERS_CREATE", "sub": {"uri": HOOK}})).json()
    assert (
        twice["data"]["webhookSubscriptionCreate"]["userErrors"][0]["message"]
        == "Address for this topic has already been taken"
    )
    old = (
        await gql(SUBSCRIBE, {"topic": "ORDERS_CREATE", "sub": {"uri": HOOK}}, version="2025-07")
    ).json()
    assert old["errors"][0]["extensions"]["code"] in {"undefinedField", "INVALID_VARIABLE"}


async def test_failed_deliveries_retry_with_the_same_ids_and_body(
    admin, shop: FakeShopify, receiver: Receiver, fake_time
) -> None:
    """A 500 is retried on the schedule; every attempt carries the original ids and payload."""
    await admin.post(
        "/webhooks/subscriptions", json={"topic": "orders/create", "uri": HOOK, "source": "api"}
    )
    await _order(admin)
    receiver.status = 500
    await shop.deliver_webhooks()
    assert await shop.deliver_webhooks() == 0  # not due yet
    receiver.status = 200
    fake_time.value += 10
    assert await shop.deliver_webhooks() == 1
    (h1, b1), (h2, b2) = receiver.received
    assert (h1["x-shopify-webhook-id"], h1["x-shopify-event-id"], b1) == (
        h2["x-shopify-webhook-id"],
        h2["x-shopify-event-id"],
        b2,
    )
    assert shop.webhooks.deliveries[0].state == "delivered"


async def test_api_subscriptions_are_removed_after_eight_failures_app_ones_stay(
    admin, shop: FakeShopify, receiver: Receiver, fake_time
) -> None:
    """FACTS.md §10.4."""
    await admin.post(
        "/webhooks/subscriptions", json={"topic": "orders/create", "uri": HOOK, "source": "api"}
    )
    await admin.post(
        "/webhooks/subscriptions",
        json={"topic": "orders/create", "uri": HOOK + "?app", "source": "app"},
    )
    receiver.status = 503
    await _order(admin)
    for _ in range(9):
        await shop.deliver_webhooks()
        fake_time.value += 8000
    sources = [s["source"] for s in (await admin.get("/webhooks/subscriptions")).json()]
    assert sources == ["app"]
    assert len(shop.ledger_entries(kind="webhook_subscription.removed")) == 1
    states = sorted(d.state for d in shop.webhooks.deliveries)
    assert states == ["abandoned", "failed"]


async def test_duplicates_drops_delays_and_fan_out(
    admin, shop: FakeShopify, receiver: Receiver, fake_time
) -> None:
    """Twice with the same ids; not at all; late and so out of order; one copy per subscription."""
    await admin.post(
        "/webhooks/subscriptions", json={"topic": "orders/updated", "uri": HOOK, "source": "app"}
    )
    created = await _order(admin)
    send = {"topic": "orders/updated", "resource_id": created["order"]["id"]}
    await admin.post("/webhooks/send", json={**send, "duplicate": True})
    await admin.post("/webhooks/send", json={**send, "drop": True})
    await admin.post("/webhooks/send", json={**send, "delay_s": 60})
    await admin.post("/webhooks/send", json=send)
    await shop.deliver_webhooks()
    await shop.deliver_webhooks()
    ids = [h["x-shopify-webhook-id"] for h, _ in receiver.received]
    assert sorted(ids.count(i) for i in set(ids)) == [1, 2]  # the duplicate came twice
    fake_time.value += 61
    await shop.deliver_webhooks()
    assert len(receiver.received) == 4  # the late one arrives after a later event
    states = [d["state"] for d in (await admin.get("/webhooks/deliveries")).json()]
    assert states.count("dropped") == 1
    await admin.post(
        "/webhooks/subscriptions",
        json={"topic": "orders/updated", "uri": HOOK + "?2", "source": "app"},
    )
    fan = (await admin.post("/webhooks/send", json=send)).json()
    assert len({d["webhook_id"] for d in fan}) == 2
    assert len({d["event_id"] for d in fan}) == 1


async def test_shop_changes_raise_their_topics(
    admin, gql: GraphQL, shop: FakeShopify, receiver: Receiver
) -> None:
    """Inventory set in the admin and through the API both raise inventory_levels/update."""
    await admin.post(
        "/webhooks/subscriptions", json={"topic": "inventory_levels/update", "uri": HOOK}
    )
    await admin.put(
        "/inventory", json={"location_id": 70000000001, "sku": "SKU-0005", "available": 3}
    )
    await shop.deliver_webhooks()
    body = json.loads(receiver.received[0][1])
    assert body["available"] == 3
    assert body["location_id"] == 70000000001
    assert set(body) >= set(example_level())


def example_level() -> dict[str, Any]:
    """The keys of the REST inventory_level web hook body."""
    return {"inventory_item_id": 0, "location_id": 0, "available": 0, "updated_at": ""}
