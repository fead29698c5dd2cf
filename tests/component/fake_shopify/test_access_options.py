"""Options of the fake: THROTTLED as HTTP 429, single-query cost limit, scopes per token."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from service.fakes.shopify import FakeShopify, FakeShopifyConfig
from tests.component.fake_shopify.conftest import GraphQL


@pytest.fixture
def config() -> FakeShopifyConfig:
    """THROTTLED as HTTP 429 here; a second app with few scopes."""
    return FakeShopifyConfig(
        throttle_status=429,
        access_tokens={
            "main": SecretStr("shpat_fake_access_token"),
            "narrow": SecretStr("shpat_narrow"),
        },
        token_scopes={"narrow": ["read_orders", "read_locations"]},
    )


async def test_throttled_can_be_http_429_with_retry_after(gql: GraphQL, shop: FakeShopify) -> None:
    """FACTS.md §10.1: the fake can answer THROTTLED as 429 with the refill time."""
    shop.buckets.drain("main")
    response = await gql("{ shop { name } }")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert response.json()["errors"][0]["extensions"]["code"] == "THROTTLED"


async def test_a_query_over_the_single_query_limit_is_refused(
    gql: GraphQL, shop: FakeShopify
) -> None:
    """MAX_COST_EXCEEDED; nothing is taken from the bucket."""
    query = "{ orders(first: 250) { nodes { lineItems(first: 250) { nodes { id } } } } }"
    body = (await gql(query)).json()
    error = body["errors"][0]
    assert error["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert error["extensions"]["cost"] > 1000
    assert shop.buckets.available("main") == 1000


async def test_a_missing_scope_is_access_denied(gql: GraphQL, admin) -> None:
    """FACTS.md §10.14: fulfillment orders without the scope are a top-level ACCESS_DENIED."""
    created = (
        await admin.post(
            "/orders", json={"order": {"line_items": [{"sku": "SKU-0001", "quantity": 1}]}}
        )
    ).json()
    order_id = created["order"]["admin_graphql_api_id"]
    query = "query($id: ID!) { order(id: $id) { id fulfillmentOrders(first: 5) { nodes { id } } } }"
    body = (await gql(query, {"id": order_id}, token="shpat_narrow")).json()
    assert body["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"
    assert body["errors"][0]["path"] == ["order", "fulfillmentOrders"]
    assert body["data"] == {"order": None}
