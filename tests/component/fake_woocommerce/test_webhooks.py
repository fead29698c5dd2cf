"""Web hooks as WooCommerce sends them: ping, signature, merged bodies built late, no retries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import httpx

from service.fakes.woocommerce import FakeWooCommerce, sign
from tests.component.fake_woocommerce.conftest import HOOK_URL, Receiver, example, place, product_id

SECRET = "wc-test-secret"


async def _hook(api: httpx.AsyncClient, topic: str = "order.updated") -> dict[str, object]:
    created = await api.post(
        "/webhooks",
        json={"name": topic, "topic": topic, "delivery_url": HOOK_URL, "secret": SECRET},
    )
    assert created.status_code == 201, created.text
    hook: dict[str, object] = created.json()
    return hook


def test_the_signature_matches_the_facts_test_vector() -> None:
    """FACTS.md §2.3: base64 HMAC-SHA256 of the exact body; escaped slashes matter."""
    escaped = b'{"id":1,"status":"processing","permalink":"https:\\/\\/example.com\\/?p=1"}'
    assert sign(SECRET, escaped) == "NBDJvuzU6Y2UFvggyWtrDHC3Or+axk/876PDEXC2Bn0="
    plain = b'{"id":1,"status":"processing","permalink":"https://example.com/?p=1"}'
    assert sign(SECRET, plain) == "IUJ8qCbsH1Lh17hvd5e+aijRE+X2f6gXjhlq0nHmSk4="


async def test_creating_a_hook_pings_it_unsigned(
    api: httpx.AsyncClient, receiver: Receiver, store: FakeWooCommerce
) -> None:
    """201 with the documented fields (secret in the edit context); then webhook_id=N."""
    documented = example("webhook-create-response-v3.json")
    hook = await _hook(api)
    assert set(documented) - set(hook) == set()
    assert hook["secret"] == SECRET
    assert hook["hooks"] == [
        "woocommerce_update_order",
        "woocommerce_order_refunded",
        "woocommerce_delete_order_refund",
    ]
    ((headers, body),) = receiver.received
    assert body == f"webhook_id={hook['id']}".encode()
    assert headers["content-type"] == "application/x-www-form-urlencoded"
    assert not any(name.startswith("x-wc-") for name in headers)
    assert headers["user-agent"].startswith("WooCommerce/")
    assert store.webhooks.hooks[int(str(hook["id"]))].pending_delivery is False
    assert "secret" not in (await api.get(f"/webhooks/{hook['id']}")).json()


async def test_a_ping_needs_exactly_200(
    api: httpx.AsyncClient, receiver: Receiver, store: FakeWooCommerce
) -> None:
    """A 204 fails the ping; the hook is still created (REST ignores the ping's outcome)."""
    receiver.status = 204
    hook = await _hook(api)
    assert store.sender.pings[-1].ok is False
    assert store.webhooks.hooks[int(str(hook["id"]))].pending_delivery is True


async def test_a_delivery_is_signed_over_php_escaped_bytes_with_every_header(
    api: httpx.AsyncClient, admin: httpx.AsyncClient, receiver: Receiver, store, fake_time
) -> None:
    """X-WC-Webhook-* headers; the body escapes "/" as PHP does and the HMAC covers those bytes."""
    hook = await _hook(api, "order.created")
    order = await place(admin)
    assert await store.deliver_webhooks() == 0  # queued, waiting for the next cron run
    fake_time.value += store.config.webhooks.queue_delay_s
    assert await store.deliver_webhooks() == 1
    ((headers, raw),) = receiver.deliveries()
    expected = base64.b64encode(hmac.new(SECRET.encode(), raw, hashlib.sha256).digest()).decode()
    assert headers["x-wc-webhook-signature"] == expected
    assert headers["x-wc-webhook-source"] == "https://shop.example.com/"
    assert (headers["x-wc-webhook-topic"], headers["x-wc-webhook-resource"]) == (
        "order.created",
        "order",
    )
    assert headers["x-wc-webhook-event"] == "created"
    assert headers["x-wc-webhook-id"] == str(hook["id"])
    assert len(headers["x-wc-webhook-delivery-id"]) == 32
    assert headers["content-type"] == "application/json"
    assert b"https:\\/\\/shop.example.com" in raw
    assert json.loads(raw)["id"] == order["id"]


async def test_changes_within_the_window_merge_into_one_delivery_built_at_send_time(
    api: httpx.AsyncClient, admin: httpx.AsyncClient, receiver: Receiver, store, fake_time
) -> None:
    """Three saves before the queue runs: one order.updated, showing the latest state."""
    await _hook(api)
    order = await place(admin)
    await api.put(f"/orders/{order['id']}", json={"status": "on-hold"})
    await api.put(f"/orders/{order['id']}", json={"status": "completed"})
    await api.put(f"/orders/{order['id']}", json={"customer_note": "thanks"})
    fake_time.value += 60
    assert await store.deliver_webhooks() == 1
    (body,) = receiver.bodies()
    assert (body["status"], body["customer_note"]) == ("completed", "thanks")
    assert store.webhooks.deliveries[0].merged == 2


async def test_two_deliveries_in_one_second_share_a_delivery_id(
    api: httpx.AsyncClient, admin: httpx.AsyncClient, receiver: Receiver, store, fake_time
) -> None:
    """FACTS.md §6.6: the id hashes the hook id and the second; it is not an event id."""
    hook = await _hook(api)
    order = await place(admin)
    send = {"webhook_id": hook["id"], "resource_id": order["id"], "merge": False}
    await admin.post("/webhooks/send", json=send)
    await admin.post("/webhooks/send", json=send)
    fake_time.value += 10
    await store.deliver_webhooks()
    first, second = receiver.deliveries()
    assert first[0]["x-wc-webhook-delivery-id"] == second[0]["x-wc-webhook-delivery-id"]
    assert first[1] == second[1]  # the same state, twice
    await admin.post("/webhooks/send", json={**send, "delay_s": 1.5})
    fake_time.value += 10
    await store.deliver_webhooks()
    third = receiver.deliveries()[2]
    assert third[0]["x-wc-webhook-delivery-id"] != first[0]["x-wc-webhook-delivery-id"]


async def test_a_failed_delivery_is_never_retried(
    api: httpx.AsyncClient, admin: httpx.AsyncClient, receiver: Receiver, store, fake_time
) -> None:
    """A 500 loses the delivery; only the hook's failure count remembers it."""
    hook = await _hook(api)
    order = await place(admin)
    await api.put(f"/orders/{order['id']}", json={"status": "completed"})
    receiver.status = 500
    fake_time.value += 10
    await store.deliver_webhooks()
    for _ in range(5):
        fake_time.value += 3600
        assert await store.deliver_webhooks() == 0
    assert len(receiver.deliveries()) == 1
    assert store.webhooks.hooks[int(str(hook["id"]))].failure_count == 1
    assert [d["state"] for d in (await admin.get("/webhooks/deliveries")).json()] == ["failed"]


async def test_redirects_count_as_delivered_and_reset_the_failure_count(
    api: httpx.AsyncClient, admin: httpx.AsyncClient, receiver: Receiver, store, fake_time
) -> None:
    """200-302 is success (FACTS.md §6.4): 301 resets the count, 404 raises it."""
    hook = await _hook(api)
    order = await place(admin)
    number = int(str(hook["id"]))
    for status, count in [(404, 1), (503, 2), (301, 0), (302, 0), (303, 1)]:
        receiver.status = status
        await admin.post("/webhooks/send", json={"webhook_id": number, "resource_id": order["id"]})
        fake_time.value += 10
        await store.deliver_webhooks()
        assert store.webhooks.hooks[number].failure_count == count, status


async def test_the_seventh_consecutive_failure_disables_the_hook(
    api: httpx.AsyncClient, admin: httpx.AsyncClient, receiver: Receiver, store, fake_time
) -> None:
    """FACTS.md §6.3: failure_count > 5 on a failure disables it; the 7th is still attempted."""
    hook = await _hook(api)
    number = int(str(hook["id"]))
    order = await place(admin)
    receiver.status = 500
    for attempt in range(1, 8):
        await api.put(f"/orders/{order['id']}", json={"customer_note": f"change {attempt}"})
        fake_time.value += 10
        await store.deliver_webhooks()
        expected = "disabled" if attempt == 7 else "active"
        assert store.webhooks.hooks[number].status == expected, attempt
    assert len(receiver.deliveries()) == 7
    disabled = (await api.get("/webhooks", params={"status": "disabled"})).json()
    assert [h["id"] for h in disabled] == [number]
    await api.put(f"/orders/{order['id']}", json={"customer_note": "lost"})
    fake_time.value += 10
    assert await store.deliver_webhooks() == 0  # a disabled hook queues nothing
    assert store.ledger_entries(kind="webhook.disabled")[0].detail == {"failure_count": 6}


async def test_a_reactivated_hook_keeps_its_count_until_a_success(
    api: httpx.AsyncClient, admin: httpx.AsyncClient, receiver: Receiver, store, fake_time
) -> None:
    """Re-enabling does not reset failure_count: one more failure disables it again."""
    hook = await _hook(api)
    number = int(str(hook["id"]))
    order = await place(admin)
    await admin.put(f"/webhooks/{number}", json={"failure_count": 6, "status": "disabled"})
    assert (await api.put(f"/webhooks/{number}", json={"status": "active"})).json()[
        "status"
    ] == "active"
    receiver.status = 500
    await api.put(f"/orders/{order['id']}", json={"customer_note": "again"})
    fake_time.value += 10
    await store.deliver_webhooks()
    assert store.webhooks.hooks[number].status == "disabled"


async def test_checkout_drafts_update_but_are_created_when_placed(
    api: httpx.AsyncClient, admin: httpx.AsyncClient, receiver: Receiver, store, fake_time
) -> None:
    """FACTS.md §6.7: a draft sends order.updated; order.created comes when it leaves draft."""
    await _hook(api, "order.created")
    await _hook(api, "order.updated")
    draft = await place(admin, status="checkout-draft")
    fake_time.value += 10
    await store.deliver_webhooks()
    assert [
        (h["x-wc-webhook-topic"], json.loads(b)["status"]) for h, b in receiver.deliveries()
    ] == [("order.updated", "checkout-draft")]
    await admin.put(f"/orders/{draft['id']}/status", json={"status": "processing"})
    fake_time.value += 10
    await store.deliver_webhooks()
    topics = sorted(h["x-wc-webhook-topic"] for h, _ in receiver.deliveries()[1:])
    assert topics == ["order.created", "order.updated"]


async def test_stock_moved_by_an_order_fires_no_product_hook(
    api: httpx.AsyncClient, admin: httpx.AsyncClient, receiver: Receiver, store, fake_time
) -> None:
    """FACTS.md §6.9; a REST stock write does fire product.updated (our own echo)."""
    await _hook(api, "product.updated")
    await place(admin, line_items=[{"sku": "SKU-0003", "quantity": 1}])
    fake_time.value += 10
    assert await store.deliver_webhooks() == 0
    await api.put(f"/products/{await product_id(api, 'SKU-0003')}", json={"stock_quantity": 1})
    fake_time.value += 10
    assert await store.deliver_webhooks() == 1
    assert receiver.bodies()[0]["stock_quantity"] == 1


async def test_notes_fire_nothing_and_deleted_topics_carry_only_the_id(
    api: httpx.AsyncClient, admin: httpx.AsyncClient, receiver: Receiver, store, fake_time
) -> None:
    """A note is not a save; an order.deleted body is {"id": N}."""
    await _hook(api)
    deleted = await _hook(api, "order.deleted")
    order = await place(admin)
    await api.post(f"/orders/{order['id']}/notes", json={"note": "x"})
    fake_time.value += 10
    assert await store.deliver_webhooks() == 0
    await admin.post(
        "/webhooks/send", json={"webhook_id": deleted["id"], "resource_id": order["id"]}
    )
    fake_time.value += 10
    await store.deliver_webhooks()
    assert receiver.bodies() == [{"id": order["id"]}]


async def test_dropped_and_abandoned_deliveries_never_arrive(
    api: httpx.AsyncClient, admin: httpx.AsyncClient, receiver: Receiver, store, fake_time
) -> None:
    """A drop is lost without WooCommerce noticing; a deleted hook's queue is abandoned."""
    hook = await _hook(api)
    order = await place(admin)
    await admin.post(
        "/webhooks/send", json={"webhook_id": hook["id"], "resource_id": order["id"], "drop": True}
    )
    await admin.post("/webhooks/send", json={"webhook_id": hook["id"], "resource_id": order["id"]})
    assert (await api.delete(f"/webhooks/{hook['id']}")).status_code == 501  # force is needed
    assert (
        await api.delete(f"/webhooks/{hook['id']}", params={"force": "true"})
    ).status_code == 200
    fake_time.value += 10
    await store.deliver_webhooks()
    assert receiver.deliveries() == []
    states = [d["state"] for d in (await admin.get("/webhooks/deliveries")).json()]
    assert states == ["dropped", "abandoned"]


async def test_bad_hooks_are_refused_as_woocommerce_does(api: httpx.AsyncClient) -> None:
    """An invalid topic or URL is 400; an unknown hook id is a 400 "ID is invalid."."""
    topic = await api.post("/webhooks", json={"topic": "order.paid", "delivery_url": HOOK_URL})
    assert topic.json()["code"] == "woocommerce_rest_shop_webhook_invalid_topic"
    url = await api.post("/webhooks", json={"topic": "order.updated", "delivery_url": "ftp://x"})
    assert url.json()["code"] == "woocommerce_rest_shop_webhook_invalid_delivery_url"
    unknown = await api.get("/webhooks/999")
    assert (unknown.status_code, unknown.json()["message"]) == (400, "ID is invalid.")
