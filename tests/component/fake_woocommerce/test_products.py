"""Products and variations by SKU, stock that counts only when managed, and the batch rules."""

from __future__ import annotations

import httpx
import pytest

from service.fakes.woocommerce import FakeWooCommerce, FakeWooCommerceConfig
from tests.component.fake_woocommerce.conftest import example, product_id

MANAGED = "SKU-0001"
UNMANAGED = "SKU-0005"  # every fifth demo SKU does not manage stock


async def test_sku_lookup_is_exact_takes_a_list_and_finds_variations(
    api: httpx.AsyncClient,
) -> None:
    """FACTS.md §5.1: exact match (not partial), comma list, variations through /products."""
    assert (await api.get("/products", params={"sku": "SKU-000"})).json() == []
    found = (await api.get("/products", params={"sku": "SKU-0001,TEE-M"})).json()
    by_sku = {p["sku"]: p for p in found}
    assert set(by_sku) == {"SKU-0001", "TEE-M"}
    assert by_sku["TEE-M"]["type"] == "variation"
    assert by_sku["TEE-M"]["parent_id"] == await product_id(api, "TEE")
    assert (await api.get("/products", params={"sku": "sku-0001"})).json()[0]["sku"] == "SKU-0001"
    plain = (await api.get("/products", params={"per_page": 100, "page": 2})).json()
    assert all(p["type"] != "variation" for p in plain)


async def test_a_product_has_the_documented_fields(api: httpx.AsyncClient) -> None:
    """Every field of the documented product (batch answer) is there."""
    documented = example("products-batch-response-v3.json")["update"][0]
    product = (await api.get(f"/products/{await product_id(api, MANAGED)}")).json()
    missing = set(documented) - set(product) - {"price_html", "related_ids"}
    assert missing == set()


async def test_stock_is_set_only_on_products_that_manage_it(
    api: httpx.AsyncClient, store: FakeWooCommerce
) -> None:
    """FACTS.md §6.11: stock_quantity on an unmanaged product is ignored, returned as null."""
    managed = await product_id(api, MANAGED)
    answer = (await api.put(f"/products/{managed}", json={"stock_quantity": 7})).json()
    assert (answer["manage_stock"], answer["stock_quantity"], answer["stock_status"]) == (
        True,
        7,
        "instock",
    )
    unmanaged = await product_id(api, UNMANAGED)
    ignored = await api.put(f"/products/{unmanaged}", json={"stock_quantity": 7})
    assert ignored.status_code == 200
    assert (ignored.json()["manage_stock"], ignored.json()["stock_quantity"]) == (False, None)
    turned_on = (
        await api.put(f"/products/{unmanaged}", json={"manage_stock": True, "stock_quantity": 0})
    ).json()
    assert (turned_on["stock_quantity"], turned_on["stock_status"]) == (0, "outofstock")
    stock_changes = [
        e.detail["changes"].get("stock_quantity")
        for e in store.ledger_entries(kind="product.update")
    ]
    assert stock_changes == [[5, 7], None, [None, 0]]


async def test_a_decimal_quantity_is_refused_alone_and_truncated_in_a_batch(
    api: httpx.AsyncClient,
) -> None:
    """The schema says integer (400); batch items skip it and wc_stock_amount truncates."""
    managed = await product_id(api, MANAGED)
    refused = await api.put(f"/products/{managed}", json={"stock_quantity": 7.5})
    assert refused.status_code == 400
    assert refused.json()["data"]["params"] == {
        "stock_quantity": "stock_quantity is not of type integer."
    }
    batch = await api.post(
        "/products/batch", json={"update": [{"id": managed, "stock_quantity": 7.9}]}
    )
    assert batch.status_code == 200
    assert batch.json()["update"][0]["stock_quantity"] == 7


async def test_a_variation_is_written_through_its_parent(api: httpx.AsyncClient) -> None:
    """PUT /products/<variation id> is refused; /products/<parent>/variations/<id> works."""
    variation = await product_id(api, "TEE-M")
    parent = await product_id(api, "TEE")
    refused = await api.put(f"/products/{variation}", json={"stock_quantity": 3})
    assert refused.status_code == 404
    assert refused.json()["code"] == "woocommerce_rest_invalid_product_id"
    done = await api.put(f"/products/{parent}/variations/{variation}", json={"stock_quantity": 3})
    assert done.json()["stock_quantity"] == 3
    wrong_parent = await api.get(f"/products/{variation}/variations/{variation}")
    assert wrong_parent.status_code == 404
    listed = (await api.get(f"/products/{parent}/variations", params={"sku": "TEE-M"})).json()
    assert [v["id"] for v in listed] == [variation]


async def test_a_variation_following_its_parent_shows_manage_stock_parent(
    api: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    """A variation that does not manage stock under a parent that does: "parent", quantity null."""
    await admin.post(
        "/products",
        json={
            "name": "Cap",
            "sku": "CAP",
            "type": "variable",
            "manage_stock": True,
            "stock_quantity": 4,
        },
    )
    await admin.post("/products", json={"name": "Red", "sku": "CAP-RED", "parent_sku": "CAP"})
    parent = await product_id(api, "CAP")
    variation = await product_id(api, "CAP-RED")
    shown = (await api.get(f"/products/{parent}/variations/{variation}")).json()
    assert (shown["manage_stock"], shown["stock_quantity"]) == ("parent", None)
    ignored = await api.put(
        f"/products/{parent}/variations/{variation}", json={"stock_quantity": 9}
    )
    assert ignored.json()["stock_quantity"] is None


async def test_the_batch_limit_is_100_items_in_total(
    api: httpx.AsyncClient, store: FakeWooCommerce
) -> None:
    """101 items: 413 and nothing applied; 100: all applied."""
    ids = [p.id for p in store.catalog.items.values() if p.type == "simple"][:100]
    too_many = {"update": [{"id": i, "stock_quantity": 1} for i in ids], "delete": [ids[0]]}
    refused = await api.post("/products/batch", json=too_many)
    assert refused.status_code == 413
    assert refused.json() == {
        "code": "woocommerce_rest_request_entity_too_large",
        "message": "Unable to accept more than 100 items for this request.",
        "data": {"status": 413},
    }
    assert store.ledger_entries() == []
    accepted = await api.post("/products/batch", json={"update": too_many["update"]})
    assert accepted.status_code == 200
    assert len(accepted.json()["update"]) == 100
    assert len(store.ledger_entries(kind="product.update")) == 100


async def test_a_batch_answers_200_with_errors_to_read_item_by_item(api: httpx.AsyncClient) -> None:
    """A bad item does not stop the others; its entry is {"id", "error"}."""
    managed = await product_id(api, MANAGED)
    variation = await product_id(api, "TEE-M")
    unmanaged = await product_id(api, UNMANAGED)
    answer = await api.post(
        "/products/batch",
        json={
            "update": [
                {"id": managed, "stock_quantity": 11},
                {"id": 999999, "stock_quantity": 1},
                {"id": variation, "stock_quantity": 1},
                {"id": unmanaged, "stock_quantity": 4},
            ]
        },
    )
    assert answer.status_code == 200
    first, unknown, wrong_kind, ignored = answer.json()["update"]
    assert first["stock_quantity"] == 11
    assert unknown == {
        "id": 999999,
        "error": {
            "code": "woocommerce_rest_product_invalid_id",
            "message": "Invalid ID.",
            "data": {"status": 400},
        },
    }
    assert wrong_kind["error"]["code"] == "woocommerce_rest_invalid_product_id"
    assert (ignored["id"], ignored["stock_quantity"], "error" in ignored) == (
        unmanaged,
        None,
        False,
    )
    empty = await api.post("/products/batch", json={})
    assert empty.json() == []


async def test_every_save_moves_date_modified_and_fields_can_be_chosen(
    api: httpx.AsyncClient, fake_time
) -> None:
    """The same stock again is still a save (new date_modified); _fields trims the answer."""
    managed = await product_id(api, MANAGED)
    first = (await api.put(f"/products/{managed}", json={"stock_quantity": 7})).json()
    fake_time.value += 5
    again = await api.put(
        f"/products/{managed}",
        json={"stock_quantity": 7},
        params={"_fields": "id,stock_quantity,date_modified_gmt"},
    )
    assert set(again.json()) == {"id", "stock_quantity", "date_modified_gmt"}
    assert again.json()["date_modified_gmt"] > first["date_modified_gmt"]


async def test_listing_pages_carries_wordpress_headers(api: httpx.AsyncClient) -> None:
    """X-WP-Total, X-WP-TotalPages and Link."""
    answer = await api.get("/products", params={"per_page": 30, "page": 2})
    assert answer.headers["x-wp-total"] == "101"
    assert answer.headers["x-wp-totalpages"] == "4"
    assert 'rel="prev"' in answer.headers["link"]
    assert 'rel="next"' in answer.headers["link"]
    assert len(answer.json()) == 30
    last = await api.get("/products", params={"per_page": 30, "page": 4})
    assert len(last.json()) == 11
    assert 'rel="next"' not in last.headers["link"]


class TestStockSwitchedOff:
    """The site option woocommerce_manage_stock = no: nothing about stock is stored."""

    @pytest.fixture
    def config(self) -> FakeWooCommerceConfig:
        """Stock management off for the whole site."""
        return FakeWooCommerceConfig(manage_stock=False)

    async def test_stock_writes_change_nothing(self, api: httpx.AsyncClient) -> None:
        """Neither manage_stock nor stock_quantity is applied."""
        unmanaged = await product_id(api, UNMANAGED)
        answer = await api.put(
            f"/products/{unmanaged}", json={"manage_stock": True, "stock_quantity": 3}
        )
        assert (answer.json()["manage_stock"], answer.json()["stock_quantity"]) == (False, None)
