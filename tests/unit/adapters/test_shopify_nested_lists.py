"""Lists nested in an answer are read in one page: more than the page is refused, never cut."""

from __future__ import annotations

import pytest

from service.adapters.common.errors import Disposition, ReadCutShort
from service.adapters.shopify.calls import listed, whole


def _connection(count: int, *, more: bool) -> dict[str, object]:
    return {"pageInfo": {"hasNextPage": more}, "nodes": [{"n": i} for i in range(count)]}


def test_a_connection_without_a_next_page_is_read_whole() -> None:
    owner = {"lineItems": _connection(3, more=False)}
    assert whole(owner, "lineItems", 3, "order #1001") == [{"n": 0}, {"n": 1}, {"n": 2}]


def test_a_connection_with_a_next_page_is_refused_naming_the_owner_and_limit() -> None:
    owner = {"lineItems": _connection(3, more=True)}
    with pytest.raises(ReadCutShort, match=r"order #1001 has more than 3 lineItems"):
        whole(owner, "lineItems", 3, "order #1001")
    assert ReadCutShort.disposition is Disposition.DEAD_LETTER


@pytest.mark.parametrize("absent", [None, {}, {"nodes": None}, "x"])
def test_a_missing_connection_is_empty(absent: object) -> None:
    assert whole({"lineItems": absent}, "lineItems", 3, "order #1001") == []


def test_a_plain_list_asked_for_one_beyond_the_limit_is_refused_when_it_holds_more() -> None:
    at_limit = {"transactions": [{"id": i} for i in range(20)]}
    over = {"transactions": [{"id": i} for i in range(21)]}
    assert len(listed(at_limit, "transactions", 20, "order #1001")) == 20
    with pytest.raises(ReadCutShort, match="more than 20 transactions"):
        listed(over, "transactions", 20, "order #1001")


def test_nulls_in_a_plain_list_are_skipped_and_not_counted() -> None:
    owner = {"transactions": [None, {"id": 1}, None]}
    assert listed(owner, "transactions", 1, "order #1001") == [{"id": 1}]
