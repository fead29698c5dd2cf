"""Which Shopify refund transactions become ``giftcard.refund`` of the Sitoo card."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from service.adapters.shopify.giftcard_refunds import giftcard_refund_events
from service.adapters.shopify.models import (
    LineItem,
    Money,
    Order,
    OrderTransaction,
    Refund,
    RefundLine,
)

AT = datetime(2026, 3, 1, 12, tzinfo=UTC)
MIRROR = "gid://shopify/GiftCard/11"
SHOPIFY_ONLY = "gid://shopify/GiftCard/22"


def _money(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency_code="SEK")


def _sale(number: int, card: int) -> OrderTransaction:
    return OrderTransaction(
        id=f"gid://shopify/OrderTransaction/{number}",
        kind="SALE",
        status="SUCCESS",
        gateway="gift_card",
        amount=_money("100.00"),
        receipt={"gift_card_id": card},
    )


def _back(number: int, parent: int, amount: str) -> OrderTransaction:
    return OrderTransaction(
        id=f"gid://shopify/OrderTransaction/{number}",
        kind="REFUND",
        status="SUCCESS",
        gateway="gift_card",
        amount=_money(amount),
        parent_id=f"gid://shopify/OrderTransaction/{parent}",
    )


def _refund(number: int, quantity: int, *transactions: OrderTransaction) -> Refund:
    line = RefundLine(line_item_id="L1", sku="SKU-1", quantity=quantity, restock_type="NO_RESTOCK")
    return Refund(
        id=f"gid://shopify/Refund/{number}",
        created_at=AT,
        note=None,
        total=_money("0"),
        lines=(line,),
        transactions=transactions,
    )


ORDER = Order(
    id="gid://shopify/Order/7",
    legacy_id=7,
    name="#1007",
    created_at=AT,
    updated_at=AT,
    currency_code="SEK",
    total_price=_money("200.00"),
    line_items=(LineItem(id="L1", sku="SKU-1", name="x", quantity=2, current_quantity=2),),
    transactions=(_sale(1, 11), _sale(2, 22)),
)


def test_money_back_to_a_mirror_in_a_partial_refund_is_one_load_naming_its_redemption() -> None:
    """Only the mirror's part becomes an event; its id comes from the refund transaction."""
    refund = _refund(5, 1, _back(51, 1, "40.00"), _back(52, 2, "10.00"))
    [event] = giftcard_refund_events(ORDER, [refund], {MIRROR: "95001"})
    assert event.envelope.event_id == "shopify-giftcard-refund-51"
    assert event.envelope.data == {
        "card_number": "95001",
        "currency": "SEK",
        "amount": "40.00",
        "redemption_event_id": "shopify-giftcard-payment-1",
        "order_id": "shopify-7",
    }


def test_the_refund_that_completes_the_order_loads_nothing() -> None:
    """Its money comes back through the rollback of the order's redemptions."""
    first = _refund(5, 1, _back(51, 1, "40.00"))
    last = _refund(6, 1, _back(61, 1, "60.00"))
    events = giftcard_refund_events(ORDER, [last, first], {MIRROR: "95001"})
    assert [e.envelope.event_id for e in events] == ["shopify-giftcard-refund-51"]
