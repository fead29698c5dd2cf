"""Turning Sitoo orders and their logs into outbound order events with deterministic ids."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal

from service.contracts.envelope import Envelope
from service.contracts.outbound import (
    OrderCancelledInSitoo,
    OrderLineOut,
    OrderPickedUp,
    OrderPickupReady,
    OrderPickupRejected,
    OrderRecorded,
    PaymentOut,
    derive_event_id,
    outbound_envelope,
)
from service.sitoo.models import Order, OrderLogItem, OrderLogType, OrderState

# additionaldata keys the webshop-to-Sitoo order mapping writes on the orders it creates.
WEB_ORDER_KEY = "web-order-id"
_NO_MONEY = Decimal("0.00")  # money is published with two decimals, a missing amount too
WEB_FULFILMENT_KEY = "web-fulfilment"
GIFTCARD_KEY = "giftcard-cardnumber"  # Sitoo's key on lines (card sold) and payments (card used)
StateName = Literal["open", "closed", "cancelled", "abandoned", "unknown"]
_STATES: dict[int | None, StateName] = {
    OrderState.OPEN: "open",
    OrderState.CLOSED: "closed",
    OrderState.CANCELLED: "cancelled",
    OrderState.ABANDONED: "abandoned",
}


def _at(seconds: int | None, fallback: datetime) -> datetime:
    return datetime.fromtimestamp(seconds, UTC) if seconds is not None else fallback


def created_by_us(order: Order) -> bool:
    """True for orders sitoo-sync created from webshop events (they carry our tag)."""
    return WEB_ORDER_KEY in (order.additionaldata or {})


def is_our_pickup(order: Order) -> bool:
    """True for the click-and-collect orders sitoo-sync created."""
    tags = order.additionaldata or {}
    return WEB_ORDER_KEY in tags and tags.get(WEB_FULFILMENT_KEY) == "pickup"


def giftcards_on(order: Order) -> set[str]:
    """Gift-card numbers sold on the order's lines or used in its payments."""
    found = {(line.additionaldata or {}).get(GIFTCARD_KEY) for line in order.orderitems or []} | {
        (payment.additionaldata or {}).get(GIFTCARD_KEY) for payment in order.payments or []
    }
    return {number for number in found if number}


def recorded_event(order: Order, *, seen_at: datetime) -> Envelope | None:
    """``order.recorded`` for an order made outside sitoo-sync; None for one without an id."""
    if order.orderid is None:
        return None
    lines = [
        OrderLineOut(
            line_id=item.orderitemid,
            sku=item.sku,
            name=item.productname,
            quantity=item.quantity or 0,
            row_price=item.moneyrowprice or _NO_MONEY,
            row_discount=item.moneyrowdiscount or _NO_MONEY,
            vat_rate=item.vatvalue.normalize() if item.vatvalue is not None else None,
            giftcard_cardnumber=(item.additionaldata or {}).get(GIFTCARD_KEY),
        )
        for item in order.orderitems or []
    ]
    total = sum((line.row_price - line.row_discount for line in lines), Decimal(0))
    tags = order.additionaldata or {}
    payload = OrderRecorded(
        order_id=order.orderid,
        externalid=order.externalid,
        kind="return" if total < 0 else "sale",
        order_type_id=order.ordertypeid,
        state=_STATES.get(order.orderstateid, "unknown"),
        warehouse_id=order.warehouseid,
        store_externalid=tags.get("store-externalid"),
        receipt_id=tags.get("pos-receiptid"),
        currency=order.currencycode,
        total=total,
        ordered_at=_at(order.orderdate, seen_at) if order.orderdate is not None else None,
        lines=lines,
        payments=[
            PaymentOut(
                name=p.name,
                amount=p.moneyamount or _NO_MONEY,
                giftcard_cardnumber=(p.additionaldata or {}).get(GIFTCARD_KEY),
            )
            for p in order.payments or []
        ],
    )
    occurred = _at(order.orderdate, seen_at)
    return outbound_envelope(
        derive_event_id("order.recorded", order.orderid), payload, occurred_at=occurred
    )


def _progress(order: Order, at: datetime) -> dict[str, object]:
    return {
        "order_id": order.orderid,
        "externalid": order.externalid,
        "webshop_order_id": (order.additionaldata or {}).get(WEB_ORDER_KEY),
        "warehouse_id": order.warehouseid,
        "at": at,
    }


def lifecycle_events(
    order: Order, log_items: list[OrderLogItem], *, seen_at: datetime
) -> list[Envelope]:
    """Ready/rejected (one per 900/910 log item, numbered) and picked up/cancelled (once).

    Ids come from the order id, the event kind and, for log items, their position among
    the order's items of that type, so both intake paths agree on them.
    """
    if order.orderid is None:
        return []
    events: list[Envelope] = []
    ordered = sorted(log_items, key=lambda item: item.datelog or 0)
    ready = [i for i in ordered if i.orderlogtypeid == OrderLogType.READY_FOR_PICKUP]
    rejected = [i for i in ordered if i.orderlogtypeid == OrderLogType.PICKUP_REJECTED]
    for number, item in enumerate(ready, start=1):
        at = _at(item.datelog, seen_at)
        events.append(
            outbound_envelope(
                derive_event_id("order.pickup_ready", order.orderid, number),
                OrderPickupReady.model_validate(_progress(order, at)),
                occurred_at=at,
            )
        )
    for number, item in enumerate(rejected, start=1):
        at = _at(item.datelog, seen_at)
        events.append(
            outbound_envelope(
                derive_event_id("order.pickup_rejected", order.orderid, number),
                OrderPickupRejected.model_validate(
                    {**_progress(order, at), "reason": item.strvalue or None}
                ),
                occurred_at=at,
            )
        )
    if order.orderstateid == OrderState.CLOSED:
        events.append(
            outbound_envelope(
                derive_event_id("order.picked_up", order.orderid),
                OrderPickedUp.model_validate(_progress(order, seen_at)),
                occurred_at=seen_at,
            )
        )
    elif order.orderstateid == OrderState.CANCELLED:
        events.append(
            outbound_envelope(
                derive_event_id("order.cancelled", order.orderid),
                OrderCancelledInSitoo.model_validate(_progress(order, seen_at)),
                occurred_at=seen_at,
            )
        )
    return events


def is_finished(order: Order) -> bool:
    """Closed, cancelled or abandoned: nothing more will happen to it."""
    return order.orderstateid in {OrderState.CLOSED, OrderState.CANCELLED, OrderState.ABANDONED}
