"""Page walking and the tolerant/strict model rules."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from service.sitoo.metrics import endpoint_template
from service.sitoo.models import GiftCard, NewOrder, NewOrderItem, NewPayment, Page, WarehouseItem
from service.sitoo.pagination import iter_id_cursor, iter_offset_pages


async def test_offset_pages_stop_at_totalcount() -> None:
    """Pages are fetched until totalcount is reached, with start advancing by items seen."""
    data = list(range(25))
    calls: list[tuple[int, int]] = []

    async def fetch(start: int, num: int) -> Page[int]:
        calls.append((start, num))
        return Page[int](totalcount=len(data), items=data[start : start + num])

    assert [i async for i in iter_offset_pages(fetch, page_size=10)] == data
    assert calls == [(0, 10), (10, 10), (20, 10)]


async def test_offset_pages_stop_on_an_empty_page() -> None:
    """A server that overstates totalcount cannot make the walk loop forever."""

    async def fetch(start: int, num: int) -> Page[int]:
        return Page[int](totalcount=100, items=list(range(start, min(start + num, 5))))

    assert [i async for i in iter_offset_pages(fetch, page_size=3)] == [0, 1, 2, 3, 4]


async def test_id_cursor_continues_after_the_highest_id() -> None:
    """Each page starts after the highest id seen, so inserts between pages are not skipped."""
    ids = [1, 2, 5, 6, 9, 10, 11]
    calls: list[int] = []

    async def fetch(id_from: int, num: int) -> Page[int]:
        calls.append(id_from)
        if id_from == 6:
            ids.append(12)  # arrives while we page
        selected = [i for i in ids if i >= id_from][:num]
        return Page[int](totalcount=len(selected), items=selected)

    seen = [i async for i in iter_id_cursor(fetch, lambda i: i, start_id=2, page_size=2)]
    assert seen == [2, 5, 6, 9, 10, 11, 12]
    assert calls[:2] == [2, 6]


async def test_id_cursor_ignores_items_below_the_cursor() -> None:
    """A server ignoring the id filter ends the walk instead of looping."""

    async def fetch(_id_from: int, _num: int) -> Page[int]:
        return Page[int](totalcount=2, items=[1, 2])

    assert [i async for i in iter_id_cursor(fetch, lambda i: i, start_id=5, page_size=2)] == []


def test_read_models_tolerate_nulls_and_unknown_fields() -> None:
    """Null scalars and extra fields do not break reading."""
    card = GiftCard.model_validate(
        {"cardnumber": None, "moneyamount": "12.50", "transactions": None, "brand_new": 1}
    )
    assert card.moneyamount == Decimal("12.50")
    item = WarehouseItem.model_validate({"decimaltotal": None, "decimalavailable": "3.000"})
    assert item.decimalavailable == Decimal(3)


def test_write_models_serialise_money_and_quantities_as_sitoo_strings() -> None:
    """Money leaves with two decimals; unset fields are left out."""
    order = NewOrder(
        externalid="WEB-1",
        orderitems=[NewOrderItem(productname="Mug", quantity=2, moneyrowprice=Decimal(250))],
        payments=[NewPayment(name="web", moneyamount=Decimal("250.5"))],
    )
    body = order.to_json()
    assert body["orderitems"][0]["moneyrowprice"] == "250.00"
    assert body["payments"][0]["moneyamount"] == "250.50"
    assert "email" not in body


def test_write_models_refuse_bad_externalids_and_extra_fields() -> None:
    """An externalid outside Sitoo's charset or an unknown field fails before any call."""
    with pytest.raises(ValidationError):
        NewOrder(externalid="has space")
    with pytest.raises(ValidationError):
        NewOrder.model_validate({"externalid": "A", "surprise": 1})


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("sites/1/orders/42.json", "sites/{id}/orders/{id}.json"),
        (
            "sites/1/giftcards/95000000000000000001/transactions.json",
            "sites/{id}/giftcards/{id}/transactions.json",
        ),
        ("sites.json", "sites.json"),
        (
            "/sites/1/warehouses/3/warehouseitems.json",
            "sites/{id}/warehouses/{id}/warehouseitems.json",
        ),
    ],
)
def test_endpoint_template_bounds_label_values(path: str, template: str) -> None:
    """Ids in paths become {id} so metric labels stay few."""
    assert endpoint_template(path) == template
