"""Orders: pick-up by location name, statuses and their notes and stock, polling, notes, refunds."""

from __future__ import annotations

import httpx

from service.fakes.woocommerce import FakeWooCommerce
from tests.component.fake_woocommerce.conftest import example, place, product_id


async def test_a_pickup_order_names_its_location_on_the_shipping_line(
    admin: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    """FACTS.md §3.1/§6.8: method pickup_location, the location only by name in the meta."""
    placed = await place(admin, pickup_location="Store Gothenburg")
    order = (await api.get(f"/orders/{placed['id']}")).json()
    (line,) = order["shipping_lines"]
    assert (line["method_id"], line["instance_id"]) == ("pickup_location", "0")
    assert line["method_title"] == "Pickup (Store Gothenburg)"
    meta = {m["key"]: m["value"] for m in line["meta_data"]}
    assert meta["pickup_location"] == "Store Gothenburg"
    assert set(meta) == {"pickup_location", "pickup_address", "pickup_details"}
    unknown = await admin.post(
        "/orders", json={"line_items": [{"sku": "SKU-0001"}], "pickup_location": "Store Malmö"}
    )
    assert unknown.status_code == 400


async def test_an_order_has_every_documented_field(admin: httpx.AsyncClient, api) -> None:
    """The documented order's keys, local and GMT dates, string money, numeric line price."""
    documented = example("order-v3.json")
    placed = await place(admin)
    order = (await api.get(f"/orders/{placed['id']}")).json()
    assert set(documented) - set(order) == set()
    assert set(documented["line_items"][0]) - set(order["line_items"][0]) == set()
    assert order["total"] == "100.00"
    assert isinstance(order["line_items"][0]["price"], int)
    assert order["date_created_gmt"] == "2026-05-28T20:26:40"  # START in UTC
    assert order["date_created"] == "2026-05-28T21:26:40"  # the site is one hour ahead


async def test_status_changes_add_notes_and_move_stock(
    admin: httpx.AsyncClient, api: httpx.AsyncClient, store: FakeWooCommerce
) -> None:
    """Processing takes the stock; cancelled gives it back; each transition leaves a note."""
    sku_id = await product_id(api, "SKU-0002")
    before = (await api.get(f"/products/{sku_id}")).json()["stock_quantity"]
    order = await place(admin, line_items=[{"sku": "SKU-0002", "quantity": 2}])
    assert (await api.get(f"/products/{sku_id}")).json()["stock_quantity"] == before - 2
    cancelled = await api.put(f"/orders/{order['id']}", json={"status": "cancelled"})
    assert cancelled.json()["status"] == "cancelled"
    assert (await api.get(f"/products/{sku_id}")).json()["stock_quantity"] == before
    notes = [n["note"] for n in (await api.get(f"/orders/{order['id']}/notes")).json()]
    assert notes[0].startswith("Stock levels increased:")
    assert "Order status changed from Processing to Cancelled." in notes
    invalid = await api.put(f"/orders/{order['id']}", json={"status": "picked-up"})
    assert invalid.status_code == 400
    assert invalid.json()["code"] == "rest_invalid_param"
    assert len(store.ledger_entries(kind="order.update")) == 1


async def test_setting_the_same_status_again_is_still_a_save(
    admin: httpx.AsyncClient, api: httpx.AsyncClient, store: FakeWooCommerce, fake_time
) -> None:
    """No transition, no note; but a new date_modified (and an order.updated, see web hooks)."""
    order = await place(admin)
    fake_time.value += 3
    again = (await api.put(f"/orders/{order['id']}", json={"status": "processing"})).json()
    assert again["date_modified_gmt"] > order["date_modified_gmt"]
    (entry,) = store.ledger_entries(kind="order.update")
    assert entry.detail["changes"] == {}


async def test_orders_modified_after_a_moment_for_the_poller(
    admin: httpx.AsyncClient, api: httpx.AsyncClient, fake_time
) -> None:
    """modified_after is strictly after (whole seconds); GMT with dates_are_gmt, else local."""
    first = await place(admin)
    fake_time.value += 10
    second = await place(admin)
    fake_time.value += 10
    await api.put(f"/orders/{first['id']}", json={"customer_note": "call first"})
    params = {
        "modified_after": second["date_modified_gmt"],
        "dates_are_gmt": "true",
        "orderby": "modified",
        "order": "asc",
        "per_page": 100,
    }
    after_second = (await api.get("/orders", params=params)).json()
    assert [o["id"] for o in after_second] == [first["id"]]
    local = {**params, "modified_after": second["date_modified"], "dates_are_gmt": "false"}
    assert [o["id"] for o in (await api.get("/orders", params=local)).json()] == [first["id"]]
    everything = {**params, "modified_after": "2026-05-28T20:00:00"}
    listed = await api.get("/orders", params=everything)
    assert [o["id"] for o in listed.json()] == [second["id"], first["id"]]
    assert listed.headers["x-wp-total"] == "2"


async def test_status_filter_and_drafts_in_any(admin: httpx.AsyncClient, api) -> None:
    """status=any includes checkout drafts (the adapter must skip them itself)."""
    draft = await place(admin, status="checkout-draft")
    done = await place(admin, status="completed")
    assert {o["id"] for o in (await api.get("/orders")).json()} == {draft["id"], done["id"]}
    only = (await api.get("/orders", params={"status": "completed"})).json()
    assert [o["id"] for o in only] == [done["id"]]


async def test_notes_are_created_every_time_and_do_not_save_the_order(
    admin: httpx.AsyncClient, api: httpx.AsyncClient, store: FakeWooCommerce
) -> None:
    """201 with the documented fields; the same note twice is two notes; no new date_modified."""
    documented = example("order-note-create-response-v3.json")
    order = await place(admin)
    created = await api.post(
        f"/orders/{order['id']}/notes", json={"note": "Ready for pickup [sitoo-sync:r1]"}
    )
    assert created.status_code == 201
    assert set(created.json()) == set(documented)
    assert created.json()["author"] == "system"
    await api.post(
        f"/orders/{order['id']}/notes", json={"note": "Ready for pickup [sitoo-sync:r1]"}
    )
    notes = (await api.get(f"/orders/{order['id']}/notes")).json()
    assert [n["note"] for n in notes].count("Ready for pickup [sitoo-sync:r1]") == 2
    assert len(store.ledger_entries(kind="order_note.create")) == 2
    after = (await api.get(f"/orders/{order['id']}")).json()
    assert after["date_modified_gmt"] == order["date_modified_gmt"]
    one = await api.get(f"/orders/{order['id']}/notes/{created.json()['id']}")
    assert one.json()["id"] == created.json()["id"]
    customer = await api.post(
        f"/orders/{order['id']}/notes", json={"note": "Hello", "customer_note": True}
    )
    assert customer.json()["customer_note"] is True
    kinds = (await api.get(f"/orders/{order['id']}/notes", params={"type": "customer"})).json()
    assert [n["note"] for n in kinds] == ["Hello"]
    missing = await api.post("/orders/999999/notes", json={"note": "x"})
    assert (missing.status_code, missing.json()["code"]) == (
        404,
        "woocommerce_rest_order_invalid_id",
    )


async def test_refunds_are_read_and_a_gateway_refund_is_refused(
    admin: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    """An admin refund shows in refunds[]; REST api_refund=true needs a gateway (500)."""
    documented = example("order-refund-v3.json")
    order = await place(admin, line_items=[{"sku": "SKU-0001", "quantity": 2}])
    line = order["line_items"][0]["id"]
    made = await admin.post(
        f"/orders/{order['id']}/refunds",
        json={
            "amount": "100.00",
            "reason": "damaged",
            "lines": [{"line_item_id": line, "quantity": 1}],
        },
    )
    assert made.status_code == 201
    refunds = (await api.get(f"/orders/{order['id']}/refunds")).json()
    assert set(documented) - set(refunds[0]) == set()
    assert (refunds[0]["amount"], refunds[0]["line_items"][0]["quantity"]) == ("100.00", -1)
    shown = (await api.get(f"/orders/{order['id']}")).json()
    assert shown["refunds"] == [{"id": refunds[0]["id"], "reason": "damaged", "total": "-100.00"}]
    gateway = await api.post(f"/orders/{order['id']}/refunds", json={"amount": "10.00"})
    assert gateway.status_code == 500
    assert gateway.json()["code"] == "woocommerce_rest_cannot_create_order_refund"
    rest = await api.post(
        f"/orders/{order['id']}/refunds", json={"amount": "100.00", "api_refund": False}
    )
    assert rest.status_code == 201
    assert (await api.get(f"/orders/{order['id']}")).json()["status"] == "refunded"


async def test_a_rest_refund_with_lines_restocks_only_when_asked_and_refuses_odd_lines(
    admin: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    """POST /orders/<id>/refunds: line_items[{id, quantity}] become negative refund lines;
    api_restock (default true) puts the units back; line_items of another shape is a 400."""
    order = await place(admin, line_items=[{"sku": "SKU-0002", "quantity": 3}])
    line = order["line_items"][0]

    async def stock() -> int:
        found: int = (await api.get("/products", params={"sku": "SKU-0002"})).json()[0][
            "stock_quantity"
        ]
        return found

    before = await stock()
    path = f"/orders/{order['id']}/refunds"
    kept = await api.post(
        path,
        json={
            "amount": "1.00",
            "api_refund": False,
            "api_restock": False,
            "line_items": [{"id": line["id"], "quantity": 1, "refund_total": "1.00"}],
        },
    )
    assert kept.status_code == 201, kept.text
    assert await stock() == before
    back = await api.post(
        path,
        json={
            "amount": "1.00",
            "api_refund": False,
            "line_items": [{"id": line["id"], "quantity": 2}],
        },
    )
    assert back.status_code == 201, back.text
    assert await stock() == before + 2
    listed = (await api.get(path)).json()
    assert [(r["id"], r["line_items"][0]["quantity"]) for r in listed] == [
        (back.json()["id"], -2),
        (kept.json()["id"], -1),
    ]
    for odd in ("not a list", [7]):
        refused = await api.post(
            path, json={"amount": "1.00", "api_refund": False, "line_items": odd}
        )
        assert refused.status_code == 400
        assert refused.json()["code"] == "rest_invalid_param"
    assert len((await api.get(path)).json()) == 2


async def test_unknown_orders(api: httpx.AsyncClient) -> None:
    """GET 404, PUT 400 (as WooCommerce's update answers), both shop_order_invalid_id."""
    got = await api.get("/orders/424242")
    put = await api.put("/orders/424242", json={"status": "completed"})
    assert (got.status_code, put.status_code) == (404, 400)
    assert got.json()["code"] == put.json()["code"] == "woocommerce_rest_shop_order_invalid_id"
