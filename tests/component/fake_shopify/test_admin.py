"""The /_fake admin API and fault injection: reset, faults, ledger, clock, bucket."""

from __future__ import annotations

import httpx
import pytest

from service.fakes.shopify import FakeShopify
from tests.component.fake_shopify.conftest import GraphQL

TAGS = 'mutation { tagsAdd(id: "%s", tags: ["%s"]) { userErrors { message } } }'


async def _order_id(admin: httpx.AsyncClient) -> str:
    body = {"order": {"line_items": [{"sku": "SKU-0001", "quantity": 1}]}}
    created = (await admin.post("/orders", json=body)).json()
    return str(created["order"]["admin_graphql_api_id"])


async def test_reset_forgets_everything_and_refuses_unknown_seeds(admin, shop: FakeShopify) -> None:
    """Same seed, same ids; an unknown seed is a 400."""
    await _order_id(admin)
    assert (await admin.post("/reset", json={"seed": "empty"})).json() == {"seed": "empty"}
    assert shop.catalog.locations == {}
    assert shop.orders.orders == {}
    assert shop.ledger_entries() == []
    assert (await admin.post("/reset", json={"seed": "nope"})).status_code == 400
    assert (await admin.post("/reset", json={"bogus": 1})).status_code == 400


async def test_errors_before_apply_change_nothing(admin, gql: GraphQL, shop: FakeShopify) -> None:
    """5xx and 429 before the handler: nothing applied, nothing in the ledger."""
    order = await _order_id(admin)
    await admin.put("/faults", json={"error_before_rate": 1, "error_before_statuses": [503]})
    response = await gql(TAGS % (order, "x"))
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    await admin.put("/faults", json={"extra_429_rate": 1})
    assert (await gql(TAGS % (order, "x"))).status_code == 429
    assert shop.ledger_entries(kind="order.tags_add") == []
    assert (await admin.get("/requests")).json() == {"503": 1, "429": 1}


async def test_apply_then_fail_applies_the_write(
    admin, http: httpx.AsyncClient, gql: GraphQL, shop: FakeShopify
) -> None:
    """500 after applying, a dropped connection, a stall: the ledger has each write."""
    order = await _order_id(admin)
    await admin.put(
        "/faults",
        json={"apply_then_fail_rate": 1, "apply_then_fail_mode": "500", "mutations_only": True},
    )
    assert (await gql(TAGS % (order, "a"))).status_code == 500
    assert (await gql("{ shop { name } }")).status_code == 200  # queries are out of scope
    await admin.put("/faults", json={"apply_then_fail_rate": 1, "apply_then_fail_mode": "drop"})
    with pytest.raises(httpx.RemoteProtocolError):
        await gql(TAGS % (order, "b"))
    await admin.put(
        "/faults", json={"apply_then_fail_rate": 1, "apply_then_fail_mode": "stall", "stall_s": 2}
    )
    with pytest.raises(httpx.ReadTimeout):
        await http.post(
            "/admin/api/2026-04/graphql.json",
            json={"query": TAGS % (order, "c")},
            headers={"X-Shopify-Access-Token": "shpat_fake_access_token"},
            timeout=0.05,
        )
    assert len(shop.ledger_entries(kind="order.tags_add")) == 3


async def test_throttled_fault_and_bucket_control(admin, gql: GraphQL) -> None:
    """throttled_rate forces THROTTLED; PUT /bucket empties the bucket."""
    await admin.put("/faults", json={"throttled_rate": 1})
    assert (await gql("{ shop { name } }")).json()["errors"][0]["extensions"]["code"] == "THROTTLED"
    await admin.put("/faults", json={})
    status = (await admin.put("/bucket", json={"app": "main"})).json()
    assert status["currentlyAvailable"] == 0
    assert (await gql("{ shop { name } }")).json()["errors"][0]["extensions"]["code"] == "THROTTLED"


async def test_ledger_filters_and_clock(admin, gql: GraphQL) -> None:
    """The ledger by kind and key; the clock moves."""
    order = await _order_id(admin)
    await gql(TAGS % (order, "x"))
    entries = (await admin.get("/ledger", params={"kind": "order.tags_add"})).json()
    assert [(e["kind"], e["app"], e["detail"]["added"]) for e in entries] == [
        ("order.tags_add", "main", ["x"])
    ]
    assert (await admin.get("/ledger", params={"key": "nope"})).json() == []
    before = (await admin.get("/clock")).json()["now"]
    after = (await admin.put("/clock", json={"advance_s": 60})).json()["now"]
    assert after - before == pytest.approx(60)


async def test_admin_set_up_calls(admin, shop: FakeShopify) -> None:
    """Locations, products, gift cards, inventory; bad input is a 400 or 404, never a 5xx."""
    location = (await admin.post("/locations", json={"name": "Outlet", "city": "Malmö"})).json()
    product = await admin.post(
        "/products", json={"sku": "NEW-9", "stock": {str(location["legacy_id"]): 4}}
    )
    assert product.status_code == 201
    card = (
        await admin.post("/gift-cards", json={"initial_value": "25.00", "code": "adminmade01"})
    ).json()
    assert card["code"] == "adminmade01"
    assert card["balance"] == "25.00"
    assert (await admin.get(f"/gift-cards/{card['legacy_id']}")).json()["last_characters"] == "de01"
    assert (
        await admin.put("/inventory", json={"location_id": 1, "sku": "NEW-9", "available": 1})
    ).status_code == 404
    assert (
        await admin.put(
            "/inventory", json={"location_id": location["legacy_id"], "sku": "NONE", "available": 1}
        )
    ).status_code == 400
    assert (await admin.post("/gift-cards", json={"initial_value": "x"})).status_code == 400
    assert (await admin.get("/orders/123")).status_code == 404
    assert (await admin.post("/webhooks/send", json={"topic": "nope"})).status_code == 400
