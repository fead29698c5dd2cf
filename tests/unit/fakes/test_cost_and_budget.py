"""Cost rules of the fake, its bucket, and the client's local budget estimate."""

from __future__ import annotations

import pytest
from graphql import get_operation_ast, parse

from service.adapters.shopify.throttle import CostBudget, ThrottleStatus
from service.fakes.common.clock import Clock
from service.fakes.shopify.bucket import CostBuckets
from service.fakes.shopify.cost import CostCounter
from service.fakes.shopify.schema import schema_for
from service.fakes.shopify.search import Term
from service.fakes.shopify.search import parse as parse_search


def _cost(query: str, data: object = None) -> int:
    document = parse(query)
    operation = get_operation_ast(document)
    assert operation is not None
    counter = CostCounter(schema_for("2026-04"), {}, {})
    return counter.operation(operation) if data is None else counter.operation(operation, data)


def test_objects_connections_and_mutations() -> None:
    """Scalars 0, objects 1, connections 2 + size x node, mutations 10."""
    assert _cost("{ shop { name } }") == 1
    assert _cost("{ locations(first: 10) { nodes { id name } } }") == 12
    assert (
        _cost("{ locations(first: 10) { edges { node { id } } pageInfo { hasNextPage } } }") == 12
    )
    assert _cost(
        "{ orders(first: 5) { nodes { lineItems(first: 3) { nodes { id } } } } }"
    ) == 2 + 5 * (1 + 2 + 3)
    assert (
        _cost('mutation { tagsAdd(id: "x", tags: ["a"]) { node { id } userErrors { message } } }')
        == 10
    )


def test_actual_cost_counts_what_came_back() -> None:
    """Two of ten locations returned: 2 + 2; a null object still costs 1."""
    data = {"locations": {"nodes": [{"id": "a"}, {"id": "b"}]}}
    assert _cost("{ locations(first: 10) { nodes { id } } }", data) == 4
    assert _cost('{ order(id: "x") { id } }', {"order": None}) == 1


def test_the_bucket_refills_at_the_restore_rate_up_to_its_size() -> None:
    """Take, refill, cap."""
    now = [0.0]
    buckets = CostBuckets(Clock(lambda: now[0]), size=100, restore_rate=10)
    assert buckets.take("a", 100)
    assert not buckets.take("a", 1)
    now[0] += 0.5
    assert buckets.available("a") == pytest.approx(5)
    now[0] += 100
    assert buckets.available("a") == 100


async def test_the_client_budget_waits_for_the_refill() -> None:
    """Shopify reports 10 points left; a 60-point query waits 0.5 s at 100 points/s."""
    now = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    budget = CostBudget(clock=lambda: now[0], sleep=sleep)
    budget.observe(ThrottleStatus(maximum=1000, available=10, restore_rate=100))
    await budget.take(60)
    assert sum(slept) == pytest.approx(0.5)
    await budget.take(5000)  # more than the bucket holds: waits for a full bucket, no more
    assert budget.available == pytest.approx(0)


def test_search_syntax() -> None:
    """OR groups, comparators, quotes, negation."""
    groups = parse_search("sku:A OR sku:'B C' updated_at:>='2026-01-01T00:00:00Z' -tag:x")
    assert groups == [
        [Term("sku", "=", "A")],
        [
            Term("sku", "=", "B C"),
            Term("updated_at", ">=", "2026-01-01T00:00:00Z"),
            Term("tag", "=", "x", negated=True),
        ],
    ]
