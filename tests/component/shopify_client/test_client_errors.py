"""The error tree: every failure gets its class and disposition; retries and the cost budget."""

from __future__ import annotations

import pytest

from service.adapters.shopify import ShopifyClient
from service.adapters.shopify.engine import Operation
from service.adapters.shopify.errors import (
    Disposition,
    NotFound,
    QueryError,
    QueryTooExpensive,
    RateLimited,
    ServiceUnavailable,
    Throttled,
    Unauthorized,
    UserErrors,
)
from service.adapters.shopify.protocol import interpret, user_errors
from service.fakes.shopify import FakeShopify
from tests.component.fake_shopify.conftest import example

SECRET = "shpat_super_secret_token_value"


async def test_a_refused_token_is_unauthorized(make_client) -> None:
    """401 -> Unauthorized, dead-letter."""
    async with make_client(token="shpat_wrong") as client:
        with pytest.raises(Unauthorized) as caught:
            await client.shop()
    assert caught.value.disposition is Disposition.DEAD_LETTER


async def test_an_unknown_version_is_not_found(make_client) -> None:
    """The Admin API answers 404 for a version it does not know."""
    async with make_client(version="2030-01") as client:
        with pytest.raises(NotFound):
            await client.shop()


async def test_schema_errors_and_user_errors_are_permanent(client: ShopifyClient) -> None:
    """A query the schema refuses is a QueryError with Shopify's code; userErrors are UserErrors."""
    bad = Operation("Bad", "{ shop { nope } }", mutation=False, cost=1)
    with pytest.raises(QueryError) as caught:
        await client.engine.query(bad, {})
    assert caught.value.codes == ("undefinedField",)
    with pytest.raises(UserErrors):
        await client.add_tags("gid://shopify/Order/1", ["x"])


def test_the_shared_examples_classify() -> None:
    """Shopify's own THROTTLED and userErrors examples."""
    with pytest.raises(Throttled) as throttled:
        interpret(
            200,
            {},
            str.encode(__import__("json").dumps(example("graphql-throttled-error.json"))),
            mutation=False,
            what="x",
        )
    assert throttled.value.disposition is Disposition.RETRY
    answer = interpret(
        200,
        {},
        __import__("json")
        .dumps(example("graphql-usererrors-webhook-subscription-create.json"))
        .encode(),
        mutation=True,
        what="x",
    )
    (error,) = user_errors(answer.data["webhookSubscriptionCreate"])
    assert error.message == "Webhook topic is invalid"
    assert error.code is None
    with pytest.raises(RateLimited) as limited:
        interpret(429, {"retry-after": "2.0"}, b'{"errors":"x"}', mutation=True, what="x")
    assert limited.value.retry_after == 2.0
    with pytest.raises(ServiceUnavailable):
        interpret(503, {}, b"", mutation=True, what="x")


async def test_throttling_is_waited_out(client: ShopifyClient, shop: FakeShopify) -> None:
    """An empty bucket: THROTTLED once, the estimate learns it, the call succeeds after refill."""
    shop.buckets.drain("main", 999.5)
    assert (await client.shop()).name
    assert shop.requests.get("THROTTLED", 0) <= 1
    assert client.engine.budget.maximum == 1000


async def test_the_budget_waits_before_a_query_would_be_throttled(
    client: ShopifyClient, shop: FakeShopify
) -> None:
    """After an answer reports the bucket nearly empty, the next query waits instead of failing."""
    await client.shop()
    shop.buckets.drain("main", 990)
    await client.shop()  # its answer tells the client the bucket is low
    before = client.engine.budget.waited_s
    await client.locations()  # costs 52: the client must wait ~0.5 s first
    assert client.engine.budget.waited_s > before
    assert shop.requests.get("THROTTLED", 0) == 0


async def test_a_query_too_expensive_is_permanent(client: ShopifyClient) -> None:
    """MAX_COST_EXCEEDED is not retried."""
    heavy = Operation(
        "Heavy",
        "{ orders(first: 250) { nodes { lineItems(first: 250) { nodes { id } } } } }",
        mutation=False,
        cost=1,
    )
    with pytest.raises(QueryTooExpensive):
        await client.engine.query(heavy, {})
