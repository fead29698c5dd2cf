"""Each document's declared cost is what the fake's calculated-cost rules charge for it."""

from __future__ import annotations

import pytest
from graphql import get_operation_ast, parse, validate
from graphql.language import FragmentDefinitionNode

from service.adapters.shopify import giftcard_queries, queries
from service.adapters.shopify.engine import Operation
from service.fakes.shopify.cost import CostCounter
from service.fakes.shopify.schema import schema_for

USUAL = {
    "Locations": {"first": queries.LOCATIONS_PAGE},
    "VariantsBySku": {"first": queries.VARIANTS_PAGE, "query": "sku:A"},
    "InventoryLevels": {
        "ids": ["x"] * queries.LEVELS_BATCH,
        "locationId": "x",
        "names": ["available"],
    },
    "OrdersUpdated": {"first": queries.ORDERS_PAGE, "query": "x"},
    "GiftCardTransactions": {"id": "x", "first": giftcard_queries.GIFT_CARD_TRANSACTIONS_PAGE},
    "WebhookSubscriptions": {"first": 100},
    "LocationLevels": {"id": "x", "first": queries.LOCATION_LEVELS_PAGE},
    "RefundsById": {"ids": ["x"] * queries.REFUNDS_BATCH},
    "GiftCardsByLastCharacters": {"query": "x", "first": giftcard_queries.GIFT_CARDS_PAGE},
}


def _operations() -> list[tuple[str, Operation]]:
    found = [
        (version, op)
        for module in (queries, giftcard_queries)
        for op in vars(module).values()
        if isinstance(op, Operation)
        for version in ("2026-04",)
    ]
    for version in ("2025-04", "2025-10", "2026-01", "2026-04", "2026-07"):
        found += [
            (version, queries.set_quantities(version)),
            (version, queries.order_cancel(version)),
            (version, queries.webhook_subscription_create(version)),
            (version, queries.webhook_subscriptions(version)),
        ]
    return found


@pytest.mark.parametrize(
    ("version", "operation"), _operations(), ids=lambda v: getattr(v, "name", v)
)
def test_declared_cost_matches_and_the_document_is_valid(
    version: str, operation: Operation
) -> None:
    """Valid against the version's schema, and the up-front cost is the declared one."""
    schema = schema_for(version)
    document = parse(operation.document)
    assert [e.message for e in validate(schema, document)] == []
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    counter = CostCounter(schema, fragments, USUAL.get(operation.name, {}))
    ast = get_operation_ast(document)
    assert ast is not None
    assert counter.operation(ast) == operation.cost
    assert operation.cost <= 1000
