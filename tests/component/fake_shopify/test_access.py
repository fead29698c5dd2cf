"""The fake refuses what Shopify refuses: tokens, versions, bodies, schema errors, scopes, cost."""

from __future__ import annotations

from service.fakes.shopify import FakeShopify
from tests.component.fake_shopify.conftest import GraphQL, example


async def test_a_wrong_or_missing_token_is_401_as_shopify_answers(gql: GraphQL) -> None:
    """401 with Shopify's text, whether the token is wrong or absent."""
    for token in ("shpat_wrong", None):
        response = await gql("{ shop { name } }", token=token)
        assert response.status_code == 401
        assert response.json() == {
            "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
        }


async def test_unknown_versions_are_404_and_old_releases_fall_forward(gql: GraphQL) -> None:
    """A version that is no release is 404; a release older than the oldest is served by it."""
    for version in ("2026-05", "unstable-ish", "2030-01"):
        response = await gql("{ shop { name } }", version=version)
        assert response.status_code == 404
        assert response.json() == {"errors": "Not Found"}
    old = await gql("{ shop { name } }", version="2023-10")
    assert old.status_code == 200
    assert old.headers["X-Shopify-API-Version"] == "2025-01"
    assert (await gql("{ shop { name } }")).headers["X-Shopify-API-Version"] == "2026-04"


async def test_a_body_without_a_query_is_400(http) -> None:
    """Missing or malformed query parameter: 400, never a 5xx."""
    headers = {"X-Shopify-Access-Token": "shpat_fake_access_token"}
    for body in (b"", b"not json", b"[]", b'{"variables": {}}', b'{"query": 1}'):
        response = await http.post("/admin/api/2026-04/graphql.json", content=body, headers=headers)
        assert response.status_code == 400
        assert response.json() == {"errors": {"query": "Required parameter missing or invalid"}}


async def test_unknown_fields_arguments_and_types_are_refused(gql: GraphQL) -> None:
    """Schema errors are top-level errors with Shopify's codes, and no data."""
    cases = {
        "{ shop { nam } }": "undefinedField",
        "{ shop { name(x: 1) } }": "argumentNotAccepted",
        "{ order { id } }": "missingRequiredArguments",
        "query($x: Nope) { shop { name } }": "undefinedType",
        '{ shop @idempotentz(key: "a") { name } }': "undefinedDirective",
    }
    for query, code in cases.items():
        response = await gql(query)
        assert response.status_code == 200
        body = response.json()
        assert "data" not in body
        assert body["errors"][0]["extensions"]["code"] == code, query
    first = (await gql("{ shop { nam } }")).json()["errors"][0]
    assert first["message"].startswith("Field 'nam' doesn't exist on type 'Shop'")


async def test_a_syntax_error_is_a_top_level_error(gql: GraphQL) -> None:
    """Unparsable queries answer 200 with errors and locations."""
    body = (await gql("{ shop { name }")).json()
    assert body["errors"][0]["locations"]


async def test_version_specific_fields_exist_only_in_their_versions(gql: GraphQL) -> None:
    """compareQuantity is gone in 2026-04; changeFromQuantity does not exist before 2026-01."""
    mutation = """mutation($input: InventorySetQuantitiesInput!) {
      inventorySetQuantities(input: $input) { userErrors { code } } }"""
    base = {"name": "available", "reason": "correction"}
    quantity = {
        "inventoryItemId": "gid://shopify/InventoryItem/82000000001",
        "locationId": "gid://shopify/Location/70000000001",
        "quantity": 3,
    }
    old_style = {**base, "quantities": [{**quantity, "compareQuantity": 5}]}
    refused = (await gql(mutation, {"input": old_style})).json()
    assert "compareQuantity" in refused["errors"][0]["message"]
    new_style = {**base, "quantities": [{**quantity, "changeFromQuantity": 5}]}
    refused = (await gql(mutation, {"input": new_style}, version="2025-10")).json()
    assert "changeFromQuantity" in refused["errors"][0]["message"]
    directive = '{ shop @idempotent(key: "x") { name } }'
    assert (await gql(directive, version="2025-10")).json()["errors"][0]["extensions"]["code"] == (
        "undefinedDirective"
    )


async def test_every_answer_carries_the_cost_and_bucket(gql: GraphQL) -> None:
    """extensions.cost as in Shopify's example; the actual cost is refunded against the bucket."""
    body = (
        await gql('{ productVariants(first: 10, query: "sku:SKU-0001") { nodes { id } } }')
    ).json()
    shape = example("graphql-success-with-cost.json")["extensions"]["cost"]
    cost = body["extensions"]["cost"]
    assert set(cost) == set(shape)
    assert set(cost["throttleStatus"]) == set(shape["throttleStatus"])
    assert cost["requestedQueryCost"] == 12  # 2 + 10 x 1
    assert cost["actualQueryCost"] == 3  # 2 + the one variant found
    assert cost["throttleStatus"] == {
        "maximumAvailable": 1000.0,
        "currentlyAvailable": 997.0,
        "restoreRate": 100.0,
    }
    mutation = (
        await gql(
            'mutation { tagsAdd(id: "gid://shopify/Order/1", tags: ["x"]) { userErrors { '
            "message } } }"
        )
    ).json()
    assert mutation["extensions"]["cost"]["requestedQueryCost"] == 10


async def test_an_empty_bucket_answers_throttled_and_refills(
    gql: GraphQL, shop: FakeShopify, fake_time
) -> None:
    """THROTTLED (HTTP 200, no data) until the restore rate has refilled enough."""
    shop.buckets.drain("main")
    throttled = await gql("{ shop { name } }")
    assert throttled.status_code == 200
    body = throttled.json()
    assert body["errors"] == [
        {
            "message": "Throttled",
            "extensions": {
                "code": "THROTTLED",
                "documentation": "https://shopify.dev/api/usage/rate-limits",
            },
        }
    ]
    assert "data" not in body
    assert body["extensions"]["cost"]["actualQueryCost"] is None
    assert (
        body["errors"][0]["extensions"]["code"]
        == example("graphql-throttled-error.json")["errors"][0]["extensions"]["code"]
    )
    fake_time.value += 0.05  # 5 points at 100/s
    assert "data" in (await gql("{ shop { name } }")).json()
