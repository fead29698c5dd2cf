"""Orders from orders/create bodies, their fulfillment orders, pick-up, fulfilment, cancel, tags."""

from __future__ import annotations

from typing import Any

import httpx

from service.fakes.shopify import FakeShopify
from tests.component.fake_shopify.conftest import GraphQL, example

STORE_LEGACY = 70000000001
ORDER = """query($id: ID!) { order(id: $id) {
  id name cancelledAt displayFulfillmentStatus tags
  lineItems(first: 10) { nodes { sku quantity currentQuantity } }
  fulfillmentOrders(first: 5) { nodes { id status deliveryMethod { methodType }
    assignedLocation { location { id legacyResourceId } } lineItems(first: 10) { nodes { id
      remainingQuantity } } } }
  transactions(first: 5) { kind gateway receiptJson amountSet { shopMoney { amount } } }
} }"""
PREPARE = """mutation($input: FulfillmentOrderLineItemsPreparedForPickupInput!) {
  fulfillmentOrderLineItemsPreparedForPickup(input: $input) { userErrors { field message code }
    } }"""
FULFIL = """mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) {
  fulfillment { id status } userErrors { field message } } }"""
CANCEL = """mutation OrderCancel($orderId: ID!, $notifyCustomer: Boolean, $refundMethod:
  OrderCancelRefundMethodInput!,
  $restock: Boolean!, $reason: OrderCancelReason!, $staffNote: String) {
  orderCancel(orderId: $orderId, notifyCustomer: $notifyCustomer, refundMethod: $refundMethod,
    restock: $restock,
    reason: $reason, staffNote: $staffNote) { job { id done } orderCancelUserErrors { field
      message code } } }"""


async def _pickup_order(admin: httpx.AsyncClient, **extra: Any) -> dict[str, Any]:
    body = {
        "order": {"line_items": [{"sku": "SKU-0001", "quantity": 2}], "email": "c@example.com"},
        "pickup_location_id": STORE_LEGACY,
        **extra,
    }
    response = await admin.post("/orders", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _order(gql: GraphQL, order_id: str) -> dict[str, Any]:
    order: dict[str, Any] = (await gql(ORDER, {"id": order_id})).json()["data"]["order"]
    return order


async def test_a_pickup_order_gets_a_pick_up_fulfillment_order_at_its_store(
    admin, gql: GraphQL, shop: FakeShopify
) -> None:
    """The order web hook cannot tell pick-up; its fulfillment order can (FACTS.md §3.2)."""
    available = shop.catalog.level(82000000001, STORE_LEGACY).available  # type: ignore[union-attr]
    created = await _pickup_order(admin)
    order = await _order(gql, created["order"]["admin_graphql_api_id"])
    (fo,) = order["fulfillmentOrders"]["nodes"]
    assert fo["deliveryMethod"]["methodType"] == "PICK_UP"
    assert fo["status"] == "OPEN"
    assert fo["assignedLocation"]["location"]["legacyResourceId"] == str(STORE_LEGACY)
    assert order["displayFulfillmentStatus"] == "UNFULFILLED"
    level = shop.catalog.level(82000000001, STORE_LEGACY)
    assert level is not None
    assert (level.available, level.committed) == (available - 2, 2)
    assert created["order"]["line_items"][0]["sku"] == "SKU-0001"


async def test_the_shared_rest_order_example_is_accepted_as_input(admin, gql: GraphQL) -> None:
    """A real orders/create body (unknown variants become custom lines, no stock effect)."""
    response = await admin.post("/orders", json=example("rest-order.json"))
    assert response.status_code == 201, response.text
    order = await _order(gql, response.json()["order"]["admin_graphql_api_id"])
    assert [n["sku"] for n in order["lineItems"]["nodes"]] == [
        "IPOD2008GREEN",
        "IPOD2008RED",
        "IPOD2008BLACK",
    ]
    assert order["fulfillmentOrders"]["nodes"][0]["deliveryMethod"]["methodType"] == "SHIPPING"


async def test_a_bad_order_body_is_a_400_naming_the_part(admin) -> None:
    """Never a 5xx for a bad body."""
    for body, text in (
        ({"order": {"line_items": []}}, "line_items"),
        ({"order": {"line_items": [{"sku": "SKU-0001", "quantity": 0}]}}, "quantity"),
        (
            {
                "order": {"line_items": [{"sku": "SKU-0001", "quantity": 1}]},
                "pickup_location_id": 1,
            },
            "pickup_location_id",
        ),
        ({"order": {"line_items": [{"quantity": 1}]}}, "title"),
    ):
        response = await admin.post("/orders", json=body)
        assert response.status_code == 400
        assert text in response.json()["error"]
    assert (await admin.post("/orders", content=b"{")).status_code == 400


async def test_ready_for_pickup_then_picked_up_each_once(
    admin, gql: GraphQL, shop: FakeShopify
) -> None:
    """Prepared: IN_PROGRESS, no fulfillment; a second call is refused. Then fulfilled: CLOSED."""
    created = await _pickup_order(admin)
    fo_id = created["fulfillment_orders"][0]["id"]
    variables = example("prepared-for-pickup-variables.json")
    variables["input"]["lineItemsByFulfillmentOrder"][0]["fulfillmentOrderId"] = fo_id
    first = (await gql(PREPARE, variables)).json()["data"]
    assert first == example("prepared-for-pickup-response-data.json")
    second = (await gql(PREPARE, variables)).json()["data"][
        "fulfillmentOrderLineItemsPreparedForPickup"
    ]
    assert second["userErrors"][0]["code"] == "NO_LINE_ITEMS_TO_PREPARE_FOR_FULFILLMENT_ORDER"
    order = await _order(gql, created["order"]["admin_graphql_api_id"])
    assert order["fulfillmentOrders"]["nodes"][0]["status"] == "IN_PROGRESS"
    fulfil = {"f": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo_id}]}}
    made = (await gql(FULFIL, fulfil)).json()["data"]["fulfillmentCreate"]
    assert made["userErrors"] == []
    assert made["fulfillment"]["status"] == "SUCCESS"
    again = (await gql(FULFIL, fulfil)).json()["data"]["fulfillmentCreate"]
    assert "unfulfillable status= closed" in again["userErrors"][0]["message"]
    order = await _order(gql, created["order"]["admin_graphql_api_id"])
    assert order["fulfillmentOrders"]["nodes"][0]["status"] == "CLOSED"
    assert order["displayFulfillmentStatus"] == "FULFILLED"
    assert len(shop.ledger_entries(kind="fulfillment_order.prepared_for_pickup")) == 1
    assert len(shop.ledger_entries(kind="fulfillment.create")) == 1
    level = shop.catalog.level(82000000001, STORE_LEGACY)
    assert level is not None
    assert level.committed == 0


async def test_preparing_a_shipping_order_is_refused(admin, gql: GraphQL) -> None:
    """Only pick-up fulfillment orders can be prepared for pick-up."""
    created = (
        await admin.post(
            "/orders", json={"order": {"line_items": [{"sku": "SKU-0002", "quantity": 1}]}}
        )
    ).json()
    variables = {
        "input": {
            "lineItemsByFulfillmentOrder": [
                {"fulfillmentOrderId": created["fulfillment_orders"][0]["id"]}
            ]
        }
    }
    errors = (await gql(PREPARE, variables)).json()["data"][
        "fulfillmentOrderLineItemsPreparedForPickup"
    ]["userErrors"]
    assert errors[0]["code"] == "FULFILLMENT_ORDER_INVALID"


async def test_partial_fulfilment_by_line_quantities(admin, gql: GraphQL) -> None:
    """fulfillmentOrderLineItems fulfils part; too much is refused."""
    created = await _pickup_order(admin)
    order = await _order(gql, created["order"]["admin_graphql_api_id"])
    fo = order["fulfillmentOrders"]["nodes"][0]
    line = fo["lineItems"]["nodes"][0]["id"]
    too_much = {
        "f": {
            "lineItemsByFulfillmentOrder": [
                {
                    "fulfillmentOrderId": fo["id"],
                    "fulfillmentOrderLineItems": [{"id": line, "quantity": 3}],
                }
            ]
        }
    }
    assert (await gql(FULFIL, too_much)).json()["data"]["fulfillmentCreate"]["userErrors"]
    one = {
        "f": {
            "lineItemsByFulfillmentOrder": [
                {
                    "fulfillmentOrderId": fo["id"],
                    "fulfillmentOrderLineItems": [{"id": line, "quantity": 1}],
                }
            ]
        }
    }
    assert (await gql(FULFIL, one)).json()["data"]["fulfillmentCreate"]["userErrors"] == []
    order = await _order(gql, created["order"]["admin_graphql_api_id"])
    assert order["fulfillmentOrders"]["nodes"][0]["status"] == "IN_PROGRESS"
    assert order["displayFulfillmentStatus"] == "PARTIALLY_FULFILLED"


async def test_cancel_with_the_documented_variables_restocks_and_refunds_gift_cards(
    admin, gql: GraphQL, shop: FakeShopify
) -> None:
    """orderCancel (2026-07 example variables): cancelled once, stock back, card credited back."""
    card = next(iter(shop.giftcards.cards.values()))
    created = await _pickup_order(
        admin, gift_card_payments=[{"gift_card_id": card.number, "amount": "50.00"}]
    )
    order_id = created["order"]["admin_graphql_api_id"]
    assert card.balance == 450
    order = await _order(gql, order_id)
    gift = [t for t in order["transactions"] if t["gateway"] == "gift_card"]
    assert '"gift_card_last_characters": "0001"' in gift[0]["receiptJson"]
    variables = example("order-cancel-variables-2026-07.json") | {"orderId": order_id}
    result = (await gql(CANCEL, variables, version="2026-07")).json()["data"]["orderCancel"]
    assert result["orderCancelUserErrors"] == []
    assert result["job"]["id"].startswith("gid://shopify/Job/")
    again = (await gql(CANCEL, variables, version="2026-07")).json()["data"]["orderCancel"]
    assert again["orderCancelUserErrors"][0]["message"] == "Order has already been cancelled"
    assert card.balance == 500
    order = await _order(gql, order_id)
    assert order["cancelledAt"] is not None
    assert order["fulfillmentOrders"]["nodes"][0]["status"] == "CANCELLED"
    level = shop.catalog.level(82000000001, STORE_LEGACY)
    assert level is not None
    assert level.committed == 0
    assert len(shop.ledger_entries(kind="order.cancel")) == 1


async def test_cancel_arguments_follow_the_version(gql: GraphQL) -> None:
    """refund: Boolean! up to 2025-04; refundMethod from 2025-07."""
    old = (
        'mutation { orderCancel(orderId: "gid://shopify/Order/1", reason: CUSTOMER, '
        "restock: true) { job { id } } }"
    )
    body = (await gql(old, version="2025-04")).json()
    assert body["errors"][0]["extensions"]["code"] == "missingRequiredArguments"
    new = (
        'mutation { orderCancel(orderId: "gid://shopify/Order/1", reason: CUSTOMER, '
        "restock: true, refundMethod: {originalPaymentMethodsRefund: false}) { "
        "orderCancelUserErrors { code } } }"
    )
    body = (await gql(new, version="2025-04")).json()
    assert body["errors"][0]["extensions"]["code"] == "argumentNotAccepted"
    found = (await gql(new, version="2025-07")).json()["data"]["orderCancel"][
        "orderCancelUserErrors"
    ]
    assert found[0]["code"] == "NOT_FOUND"


async def test_tags_add_only_adds(admin, gql: GraphQL, shop: FakeShopify) -> None:
    """tagsAdd keeps existing tags and records only real changes."""
    created = await _pickup_order(admin)
    order_id = created["order"]["admin_graphql_api_id"]
    mutation = (
        "mutation($id: ID!, $tags: [String!]!) { tagsAdd(id: $id, tags: $tags) { node { "
        "id } userErrors { message } } }"
    )
    for tags in (["a", "b"], ["b", "c"], ["c"]):
        assert (await gql(mutation, {"id": order_id, "tags": tags})).json()["data"]["tagsAdd"][
            "userErrors"
        ] == []
    assert (await _order(gql, order_id))["tags"] == ["a", "b", "c"]
    assert len(shop.ledger_entries(kind="order.tags_add")) == 2


async def test_orders_list_by_updated_at_with_cursors(admin, gql: GraphQL, fake_time) -> None:
    """The reconciliation poller's query: updated_at filter, UPDATED_AT sort, cursor pages."""
    ids = []
    for _ in range(5):
        ids.append((await _pickup_order(admin))["order"]["admin_graphql_api_id"])
        fake_time.value += 10
    query = """query($q: String!, $after: String) { orders(first: 2, after: $after, query: $q,
      sortKey: UPDATED_AT) {
      nodes { id } pageInfo { hasNextPage endCursor } } }"""
    since = "2026-05-28T20:27:00Z"  # between the second and third order
    seen: list[str] = []
    after = None
    while True:
        page = (await gql(query, {"q": f"updated_at:>='{since}'", "after": after})).json()["data"][
            "orders"
        ]
        seen += [n["id"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ids[2:]


async def test_admin_refund_is_visible_as_graphql_refund(admin, gql: GraphQL) -> None:
    """A refund made in the shop: lines, restock location and money back."""
    created = await _pickup_order(admin)
    line = created["order"]["line_items"][0]["id"]
    refund = await admin.post(
        f"/orders/{created['order']['id']}/refunds",
        json={"lines": [{"line_item_id": line, "quantity": 1}]},
    )
    assert refund.status_code == 201, refund.text
    query = """query($id: ID!) { order(id: $id) { refunds { totalRefundedSet { shopMoney {
      amount } }
      refundLineItems(first: 5) { nodes { quantity restockType location { legacyResourceId } }
        } } } }"""
    refunds = (await gql(query, {"id": created["order"]["admin_graphql_api_id"]})).json()["data"][
        "order"
    ]["refunds"]
    assert refunds[0]["refundLineItems"]["nodes"] == [
        {
            "quantity": 1,
            "restockType": "RETURN",
            "location": {"legacyResourceId": str(STORE_LEGACY)},
        }
    ]
    assert refunds[0]["totalRefundedSet"]["shopMoney"]["amount"] == "100.0"
