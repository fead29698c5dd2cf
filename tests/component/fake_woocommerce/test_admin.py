"""The admin API: reset, clock, ledger, request counts, and REST faults (429/5xx, lost answers)."""

from __future__ import annotations

import httpx
import pytest

from service.fakes.woocommerce import FakeWooCommerce, FaultConfig
from tests.component.fake_woocommerce.conftest import place, product_id


async def test_reset_clock_and_ledger(
    admin: httpx.AsyncClient, api, store: FakeWooCommerce
) -> None:
    """The ledger names the key that wrote; reset forgets everything; the clock moves."""
    await api.put(f"/products/{await product_id(api, 'SKU-0001')}", json={"stock_quantity": 2})
    (entry,) = (await admin.get("/ledger", params={"kind": "product.update"})).json()
    assert (entry["app"], entry["operation"]) == ("main", "PUT products/<id>")
    moved = (await admin.put("/clock", json={"advance_s": 30})).json()
    assert moved["offset_s"] == 30
    assert (await admin.post("/reset", json={"seed": "empty"})).json() == {"seed": "empty"}
    assert (await admin.get("/ledger")).json() == []
    assert (await api.get("/products")).json() == []
    assert (await admin.post("/reset", json={"seed": "nope"})).status_code == 400


async def test_bad_admin_bodies_are_400_never_500(admin: httpx.AsyncClient) -> None:
    """Strict bodies, named fields."""
    for path, body in [
        ("/orders", {"line_items": []}),
        ("/orders", {"line_items": [{"sku": "NOPE"}]}),
        ("/orders", {"line_items": [{"sku": "SKU-0001"}], "status": "shipped"}),
        ("/stock", {"sku": "SKU-0001", "colour": "red"}),
        ("/webhooks", {"topic": "order.nope", "delivery_url": "https://x.test", "secret": "s"}),
    ]:
        answer = await admin.request("PUT" if path == "/stock" else "POST", path, json=body)
        assert answer.status_code in {400, 404}, (path, answer.text)


async def test_injected_429_and_503_carry_retry_after_and_apply_nothing(
    api: httpx.AsyncClient, admin: httpx.AsyncClient, store: FakeWooCommerce
) -> None:
    """Hosts in front of WooCommerce answer these (FACTS.md §6.12)."""
    await admin.put("/faults", json={"extra_429_rate": 1.0, "retry_after_s": 2})
    limited = await api.put(f"/products/{100}", json={"stock_quantity": 1})
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "2")
    await admin.put("/faults", json={"error_before_rate": 1.0, "error_before_statuses": [503]})
    unavailable = await api.get("/products")
    assert (unavailable.status_code, unavailable.headers["retry-after"]) == (503, "1")
    assert store.ledger_entries() == []
    assert (await admin.get("/requests")).json() == {"429": 1, "503": 1}


async def test_apply_then_fail_modes(
    api: httpx.AsyncClient, admin: httpx.AsyncClient, store: FakeWooCommerce
) -> None:
    """The write is applied, then: a WordPress fatal-error 500, a dropped connection, a stall."""
    order = await place(admin)
    notes = f"/orders/{order['id']}/notes"
    await admin.put("/faults", json={"apply_then_fail_rate": 1.0, "writes_only": True})
    failed = await api.post(notes, json={"note": "one"})
    assert (failed.status_code, failed.json()["code"]) == (500, "internal_server_error")
    await admin.put("/faults", json={"apply_then_fail_rate": 1.0, "apply_then_fail_mode": "drop"})
    with pytest.raises(httpx.RemoteProtocolError):
        await api.post(notes, json={"note": "two"})
    await admin.put(
        "/faults",
        json={"apply_then_fail_rate": 1.0, "apply_then_fail_mode": "stall", "stall_s": 1.0},
    )
    with pytest.raises(httpx.ReadTimeout):
        await api.post(notes, json={"note": "three"}, timeout=0.2)
    assert [e.detail["note"] for e in store.ledger_entries(kind="order_note.create")] == [
        "one",
        "two",
        "three",
    ]


async def test_faults_can_be_scoped_to_writes_or_a_route(
    api: httpx.AsyncClient, store: FakeWooCommerce
) -> None:
    """writes_only and path_contains keep reads (or other routes) clean."""
    store.set_faults(FaultConfig(error_before_rate=1.0, path_contains="/batch"))
    assert (await api.get("/products")).status_code == 200
    batch = await api.post("/products/batch", json={"update": [{"id": 100, "stock_quantity": 1}]})
    assert batch.status_code >= 500
    store.clear_faults()
    assert (await api.post("/products/batch", json={})).status_code == 200


async def test_the_pickup_locations_and_the_web_hook_views(
    admin: httpx.AsyncClient, store: FakeWooCommerce
) -> None:
    """Demo pick-up points; a hook registered through the admin API is listed with its count."""
    names = [p["name"] for p in (await admin.get("/pickup-locations")).json()]
    assert names == ["Store Stockholm", "Store Gothenburg"]
    created = await admin.post(
        "/webhooks",
        json={"topic": "order.updated", "delivery_url": "https://nowhere.invalid/x", "secret": "s"},
    )
    assert created.status_code == 201
    assert created.json()["ping"]["ok"] is False  # nobody answers there
    (listed,) = (await admin.get("/webhooks")).json()
    assert (listed["failure_count"], listed["pending_delivery"]) == (0, True)
    assert store.sender.pings[0].outcome == "ConnectError"
