"""The Sitoo order's totals equal the webshop's to the cent, for any basket."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from service.contracts.orders import OrderPlaced
from service.usecases.order_mapping import (
    Placement,
    allocate_order_discount,
    sitoo_total,
    to_sitoo_order,
)

CENTS = st.integers(min_value=0, max_value=2_000_000)
VAT = st.sampled_from(["0", "6", "12", "25", "7.7", "19"])
PLACEMENT = Placement("W-1", 11, "STORE-1", 1, 1_900_000_000)


def money(cents: int) -> str:
    return f"{Decimal(cents) / 100:.2f}"


@st.composite
def baskets(draw: st.DrawFn) -> dict[str, Any]:
    """A random valid order: lines with discounts and VAT rates, an order discount, shipping."""
    lines = []
    for index in range(draw(st.integers(min_value=1, max_value=8))):
        quantity = draw(st.integers(min_value=1, max_value=50))
        unit = draw(CENTS)
        discount = draw(st.integers(min_value=0, max_value=unit * quantity))
        lines.append(
            {
                "sku": f"SKU-{index}",
                "name": f"Item {index}",
                "quantity": quantity,
                "unit_price": money(unit),
                "discount": money(discount),
                "vat_rate": draw(VAT),
            }
        )
    net = sum(
        int(Decimal(line["unit_price"]) * 100) * line["quantity"]
        - int(Decimal(line["discount"]) * 100)
        for line in lines
    )
    order_discount = draw(st.integers(min_value=0, max_value=net))
    shipping = None
    shipping_net = 0
    if draw(st.booleans()):
        price = draw(st.integers(min_value=0, max_value=50_000))
        shipping_discount = draw(st.integers(min_value=0, max_value=price))
        shipping = {
            "price": money(price),
            "discount": money(shipping_discount),
            "vat_rate": draw(VAT),
        }
        shipping_net = price - shipping_discount
    total = net - order_discount + shipping_net
    payments = (
        [{"method": "Card", "amount": money(total), "state": "captured"}] if total > 0 else []
    )
    if not payments:  # a free order is paid by a zero-value voucher line instead
        payments = [{"method": "Voucher", "amount": "0.01", "state": "captured"}]
        shipping = {"price": "0.01", "discount": "0.00", "vat_rate": "25"}
        total += 1 - shipping_net
    return {
        "order_id": "W-1",
        "currency": "SEK",
        "fulfilment": {"kind": "pickup", "store_id": 1},
        "lines": lines,
        "order_discount": money(order_discount),
        "shipping": shipping,
        "payments": payments,
        "total": money(total),
    }


@settings(max_examples=300, deadline=None)
@given(baskets())
def test_sitoo_total_equals_webshop_total(data: dict[str, Any]) -> None:
    """Rows after discounts add up to the webshop's total; no row is discounted below zero."""
    order = OrderPlaced.model_validate(data)
    mapped = to_sitoo_order(order, PLACEMENT, event_id="e-1")
    assert sitoo_total(mapped) == order.total
    for item in mapped.orderitems:
        assert item.moneyrowprice is not None
        assert item.moneyrowdiscount is not None
        assert Decimal(0) <= item.moneyrowdiscount <= item.moneyrowprice
        assert item.moneyrowdiscount == item.moneyrowdiscount.quantize(Decimal("0.01"))


@settings(max_examples=200, deadline=None)
@given(baskets())
def test_order_discount_shares_add_up(data: dict[str, Any]) -> None:
    """The order-level discount is spread over the lines to the exact cent."""
    order = OrderPlaced.model_validate(data)
    shares = allocate_order_discount(order.lines, order.order_discount)
    assert sum(shares, Decimal(0)) == order.order_discount


def test_shipping_is_its_own_line_and_payments_map_to_state() -> None:
    """Shipping becomes a line; an authorised payment makes the order 'reserved' (15)."""
    data = {
        "order_id": "W-2",
        "currency": "SEK",
        "fulfilment": {
            "kind": "delivery",
            "address": {
                "name": "Anna",
                "street": "Gatan 1",
                "postal_code": "111 22",
                "city": "Stockholm",
                "country": "SE",
            },
        },
        "lines": [{"sku": "A", "name": "A", "quantity": 1, "unit_price": "100", "vat_rate": "25"}],
        "shipping": {"name": "Postnord", "price": "49.00", "vat_rate": "25"},
        "payments": [{"method": "Klarna", "amount": "149.00", "state": "authorised"}],
        "total": "149.00",
    }
    mapped = to_sitoo_order(
        OrderPlaced.model_validate(data), Placement("W-2", None, None, None, None), event_id="e"
    )
    assert [i.productname for i in mapped.orderitems] == ["A", "Postnord"]
    assert mapped.paymentstateid == 15
    assert mapped.datereserved is None
    assert mapped.warehouseid is None
    assert sitoo_total(mapped) == Decimal("149.00")
    assert mapped.payments is None
    assert mapped.reservedpayments is not None
    assert [(p.name, p.moneyreserved) for p in mapped.reservedpayments] == [
        ("Klarna", Decimal("149.00"))
    ]
    assert (mapped.delivery_address, mapped.delivery_zip, mapped.delivery_city) == (
        "Gatan 1",
        "111 22",
        "Stockholm",
    )
    assert mapped.delivery_countryid == "SE"
    assert mapped.additionaldata is not None
    assert mapped.additionaldata["web-delivery-name"] == "Anna"
