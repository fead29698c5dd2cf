"""inventorySetQuantities as FACTS.md §5.2 describes it, per version; levels read back."""

from __future__ import annotations

from typing import Any

from service.fakes.shopify import FakeShopify
from tests.component.fake_shopify.conftest import GraphQL

ITEM = "gid://shopify/InventoryItem/82000000001"  # SKU-0001
ITEM_2 = "gid://shopify/InventoryItem/82000000002"
STORE = "gid://shopify/Location/70000000001"
SET = """mutation Set($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { reason changes { name delta quantityAfterChange } }
    userErrors { code field message }
  }
}"""
SET_PLAIN = """mutation Set($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) { userErrors { code field message } }
}"""
LEVEL = """query($loc: ID!, $item: ID!) { location(id: $loc) {
  inventoryLevel(inventoryItemId: $item) { quantities(names: ["available", "on_hand",
    "committed"]) { name quantity } } } }"""


def _input(*quantities: dict[str, Any], name: str = "available") -> dict[str, Any]:
    return {
        "name": name,
        "reason": "correction",
        "referenceDocumentUri": "sitoo-sync://stock/1",
        "quantities": list(quantities),
    }


def _q(quantity: int, change_from: int | None, item: str = ITEM) -> dict[str, Any]:
    return {
        "inventoryItemId": item,
        "locationId": STORE,
        "quantity": quantity,
        "changeFromQuantity": change_from,
    }


async def _levels(gql: GraphQL, item: str = ITEM) -> dict[str, int]:
    body = (await gql(LEVEL, {"loc": STORE, "item": item})).json()
    return {
        q["name"]: q["quantity"] for q in body["data"]["location"]["inventoryLevel"]["quantities"]
    }


async def test_compare_and_set_applies_and_reports_changes(gql: GraphQL, shop: FakeShopify) -> None:
    """changeFromQuantity equal to the current value: applied; available and on_hand change."""
    before = await _levels(gql)
    body = (await gql(SET, {"input": _input(_q(40, before["available"])), "key": "k-1"})).json()
    result = body["data"]["inventorySetQuantities"]
    assert result["userErrors"] == []
    assert result["inventoryAdjustmentGroup"]["changes"] == [
        {"name": "available", "delta": 40 - before["available"], "quantityAfterChange": 40},
        {"name": "on_hand", "delta": 40 - before["available"], "quantityAfterChange": 40},
    ]
    assert (await _levels(gql))["available"] == 40
    assert len(shop.ledger_entries(kind="inventory.set")) == 1


async def test_a_stale_change_from_refuses_the_whole_call(gql: GraphQL, shop: FakeShopify) -> None:
    """One stale quantity: CHANGE_FROM_QUANTITY_STALE for it, nothing applied at all."""
    current = (await _levels(gql))["available"]
    other = (await _levels(gql, ITEM_2))["available"]
    body = (
        await gql(SET, {"input": _input(_q(7, other, ITEM_2), _q(9, current + 1)), "key": "k-2"})
    ).json()
    errors = body["data"]["inventorySetQuantities"]["userErrors"]
    assert errors == [
        {
            "code": "CHANGE_FROM_QUANTITY_STALE",
            "field": ["input", "quantities", "1", "changeFromQuantity"],
            "message": "The changeFromQuantity does not match the current quantity.",
        }
    ]
    assert (await _levels(gql, ITEM_2))["available"] == other
    assert shop.ledger_entries(kind="inventory.set") == []


async def test_null_change_from_skips_the_check_but_the_key_must_be_there(gql: GraphQL) -> None:
    """From 2026-04 the key is required on every quantity; explicit null skips the compare."""
    body = (await gql(SET, {"input": _input(_q(3, None)), "key": "k-3"})).json()
    assert body["data"]["inventorySetQuantities"]["userErrors"] == []
    missing = {"inventoryItemId": ITEM, "locationId": STORE, "quantity": 4}
    refused = (await gql(SET, {"input": _input(missing), "key": "k-4"})).json()
    assert refused["errors"][0]["extensions"]["code"] == "INVALID_VARIABLE"
    assert refused["data"] == {"inventorySetQuantities": None}
    assert (await _levels(gql))["available"] == 3


async def test_the_idempotent_directive_is_required_from_2026_04(
    gql: GraphQL, shop: FakeShopify
) -> None:
    """FACTS.md §10.6/§10.8: a top-level error, nothing applied; 2026-01 still accepts none."""
    body = (await gql(SET_PLAIN, {"input": _input(_q(3, None))})).json()
    assert (
        body["errors"][0]["message"] == "The @idempotent directive is required for this mutation."
    )
    assert shop.ledger_entries(kind="inventory.set") == []
    older = (await gql(SET_PLAIN, {"input": _input(_q(3, None))}, version="2026-01")).json()
    assert older["data"]["inventorySetQuantities"]["userErrors"] == []


async def test_the_same_key_replays_and_a_changed_input_is_a_mismatch(
    gql: GraphQL, shop: FakeShopify
) -> None:
    """Same key and input: the first result, applied once. Other input: a mismatch error."""
    current = (await _levels(gql))["available"]
    variables = {"input": _input(_q(current + 5, current)), "key": "k-5"}
    first = (await gql(SET, variables)).json()["data"]
    again = (await gql(SET, variables)).json()["data"]
    assert again == first
    assert len(shop.ledger_entries(kind="inventory.set")) == 1
    changed = {"input": _input(_q(current + 6, current + 5)), "key": "k-5"}
    mismatch = (await gql(SET, changed)).json()["data"]["inventorySetQuantities"]["userErrors"]
    assert mismatch[0]["code"] == "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"


async def test_a_key_whose_first_attempt_failed_must_not_be_reused(gql: GraphQL) -> None:
    """IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED: retry with a new key."""
    current = (await _levels(gql))["available"]
    variables = {"input": _input(_q(1, current + 100)), "key": "k-6"}
    first = (await gql(SET, variables)).json()["data"]["inventorySetQuantities"]["userErrors"]
    assert first[0]["code"] == "CHANGE_FROM_QUANTITY_STALE"
    second = (await gql(SET, variables)).json()["data"]["inventorySetQuantities"]["userErrors"]
    assert second[0]["code"] == "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED"


async def test_the_key_is_forgotten_after_the_retention_window(
    gql: GraphQL, shop: FakeShopify, fake_time
) -> None:
    """FACTS.md §10.7: 24 h in the fake; then the same key applies again."""
    variables = {"input": _input(_q(11, None)), "key": "k-7"}
    await gql(SET, variables)
    fake_time.value += 24 * 3600 + 1
    await gql(SET, variables)
    assert len(shop.ledger_entries(kind="inventory.set", key="k-7")) == 2


async def test_older_versions_use_compare_quantity(gql: GraphQL) -> None:
    """Up to 2025-10: compareQuantity or ignoreCompareQuantity, COMPARE_QUANTITY_* errors."""
    current = (await _levels(gql))["available"]
    base = {"inventoryItemId": ITEM, "locationId": STORE, "quantity": 8}
    missing = (await gql(SET_PLAIN, {"input": _input(base)}, version="2025-10")).json()
    assert (
        missing["data"]["inventorySetQuantities"]["userErrors"][0]["code"]
        == "COMPARE_QUANTITY_REQUIRED"
    )
    stale = (
        await gql(
            SET_PLAIN,
            {"input": _input({**base, "compareQuantity": current + 1})},
            version="2025-10",
        )
    ).json()
    assert (
        stale["data"]["inventorySetQuantities"]["userErrors"][0]["code"] == "COMPARE_QUANTITY_STALE"
    )
    ok = (
        await gql(
            SET_PLAIN, {"input": _input({**base, "compareQuantity": current})}, version="2025-10"
        )
    ).json()
    assert ok["data"]["inventorySetQuantities"]["userErrors"] == []
    ignored = {**_input(base | {"quantity": 2}), "ignoreCompareQuantity": True}
    assert (await gql(SET_PLAIN, {"input": ignored}, version="2025-10")).json()["data"][
        "inventorySetQuantities"
    ]["userErrors"] == []
    assert (await _levels(gql))["available"] == 2


async def test_input_checks_name_each_refused_field(gql: GraphQL, shop: FakeShopify) -> None:
    """Invalid name, reason, item, location, duplicates, range and unstocked items."""
    unstocked = shop.catalog.add_variant("NEW-1")
    cases = [
        ({**_input(_q(1, None)), "name": "committed"}, "INVALID_NAME"),
        ({**_input(_q(1, None)), "reason": "because"}, "INVALID_REASON"),
        ({**_input(_q(1, None)), "referenceDocumentUri": "no uri"}, "INVALID_REFERENCE_DOCUMENT"),
        (_input(_q(1, None, "gid://shopify/InventoryItem/1")), "INVALID_INVENTORY_ITEM"),
        (_input({**_q(1, None), "locationId": "gid://shopify/Location/1"}), "INVALID_LOCATION"),
        (_input(_q(1, None), _q(2, None)), "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR"),
        (_input(_q(1_000_000_001, None)), "INVALID_QUANTITY_TOO_HIGH"),
        (_input(_q(-1_000_000_001, None)), "INVALID_QUANTITY_TOO_LOW"),
        (_input(_q(-1, None), name="on_hand"), "INVALID_QUANTITY_NEGATIVE"),
        (
            _input(_q(1, None, f"gid://shopify/InventoryItem/{unstocked.inventory_item}")),
            "ITEM_NOT_STOCKED_AT_LOCATION",
        ),
    ]
    for index, (data, code) in enumerate(cases):
        body = (await gql(SET, {"input": data, "key": f"bad-{index}"})).json()
        codes = [e["code"] for e in body["data"]["inventorySetQuantities"]["userErrors"]]
        assert code in codes, (code, body)
    assert shop.ledger_entries(kind="inventory.set") == []


async def test_more_than_250_quantities_is_refused(gql: GraphQL) -> None:
    """Input arrays are capped at 250 (FACTS.md §4)."""
    quantities = [_q(1, None, f"gid://shopify/InventoryItem/{82000000001 + i}") for i in range(251)]
    body = (await gql(SET, {"input": _input(*quantities), "key": "big"})).json()
    assert body["errors"][0]["extensions"]["code"] == "MAX_INPUT_SIZE_EXCEEDED"


async def test_variants_and_items_are_found_by_sku(gql: GraphQL) -> None:
    """productVariants and inventoryItems take sku: terms joined with OR."""
    query = """{ productVariants(first: 5, query: "sku:SKU-0001 OR sku:'SKU-0002'") { nodes {
      sku inventoryItem { id } } }
      inventoryItems(first: 5, query: "sku:SKU-0003") { nodes { sku variant { sku } } } }"""
    data = (await gql(query)).json()["data"]
    assert sorted(n["sku"] for n in data["productVariants"]["nodes"]) == ["SKU-0001", "SKU-0002"]
    assert data["inventoryItems"]["nodes"] == [{"sku": "SKU-0003", "variant": {"sku": "SKU-0003"}}]
    refused = (
        await gql('{ productVariants(first: 5, query: "colour:red") { nodes { id } } }')
    ).json()
    assert "Invalid search field" in refused["errors"][0]["message"]


async def test_inventory_activate_stocks_an_item_once(gql: GraphQL, shop: FakeShopify) -> None:
    """inventoryActivate creates the level (and a second call changes nothing)."""
    variant = shop.catalog.add_variant("NEW-2")
    item = f"gid://shopify/InventoryItem/{variant.inventory_item}"
    mutation = (
        "mutation($i: ID!, $l: ID!) { inventoryActivate(inventoryItemId: $i, locationId: "
        "$l) { inventoryLevel { id } userErrors { message } } }"
    )
    for _ in range(2):
        body = (await gql(mutation, {"i": item, "l": STORE})).json()
        assert body["data"]["inventoryActivate"]["userErrors"] == []
    assert len(shop.ledger_entries(kind="inventory.activate")) == 1
    assert (await _levels(gql, item))["available"] == 0
