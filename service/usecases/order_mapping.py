"""Pure mapping of a webshop order to a Sitoo order, with totals exact to the cent."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from service.contracts.orders import Delivery, OrderLine, OrderPlaced, Pickup
from service.sitoo.models import (
    NewOrder,
    NewOrderItem,
    NewPayment,
    NewReservedPayment,
    PaymentState,
)

CENT = Decimal("0.01")
ORDER_TYPE_ORDER = 10
ORDER_STATE_OPEN = 0


@dataclass(frozen=True, slots=True)
class Placement:
    """Where the order goes in Sitoo, resolved before mapping."""

    externalid: str
    warehouse_id: int | None
    store_externalid: str | None
    store_id: int | None
    reserved_until: int | None  # Unix seconds; pickup orders only


def allocate_order_discount(lines: list[OrderLine], discount: Decimal) -> list[Decimal]:
    """Spread an order-level discount over lines, proportional to their net, exact to the cent.

    Largest remainder: every line gets the floor of its share, the cents left over go to
    the lines with the largest fractional parts (earlier lines first on ties), so the
    shares add up to ``discount`` and no line's share exceeds its own net.
    """
    nets = [line.unit_price * line.quantity - line.discount for line in lines]
    total = sum(nets, Decimal(0))
    if discount == 0 or total == 0:
        return [Decimal(0) for _ in lines]
    exact = [discount * net / total for net in nets]
    shares = [share.quantize(CENT, rounding=ROUND_FLOOR) for share in exact]
    left = int(((discount - sum(shares, Decimal(0))) / CENT).to_integral_value())
    by_remainder = sorted(range(len(lines)), key=lambda i: (-(exact[i] - shares[i]), i))
    for index in by_remainder[:left]:
        shares[index] += CENT
    return shares


def _line_item(line: OrderLine, extra_discount: Decimal) -> NewOrderItem:
    return NewOrderItem(
        sku=line.sku,
        productname=line.name,
        quantity=line.quantity,
        moneyrowprice=line.unit_price * line.quantity,
        moneyrowdiscount=line.discount + extra_discount,
        vatvalue=line.vat_rate,
    )


def to_sitoo_order(order: OrderPlaced, placement: Placement, *, event_id: str) -> NewOrder:
    """The Sitoo order for ``order``: prices VAT-inclusive, discounts per row, shipping a line."""
    shares = allocate_order_discount(order.lines, order.order_discount)
    items = [_line_item(line, share) for line, share in zip(order.lines, shares, strict=True)]
    if order.shipping is not None:
        items.append(
            NewOrderItem(
                sku=order.shipping.sku,
                productname=order.shipping.name,
                quantity=1,
                moneyrowprice=order.shipping.price,
                moneyrowdiscount=order.shipping.discount,
                vatvalue=order.shipping.vat_rate,
                additionaldata={"web-line": "shipping"},
            )
        )
    captured = [p for p in order.payments if p.state == "captured"]
    authorised = [p for p in order.payments if p.state == "authorised"]
    pickup = isinstance(order.fulfilment, Pickup)
    tags = {
        "web-order-id": order.order_id,
        "web-event-id": event_id,
        "web-fulfilment": "pickup" if pickup else "delivery",
    }
    if pickup and placement.warehouse_id is not None:
        tags["delivery-pickup-warehouseid"] = str(placement.warehouse_id)
    if pickup and placement.store_externalid is not None:
        tags["delivery-pickup-externalid"] = placement.store_externalid
    if pickup and placement.store_id is not None:
        tags["web-pickup-storeid"] = str(placement.store_id)
    customer = order.customer
    address = order.fulfilment.address if isinstance(order.fulfilment, Delivery) else None
    if address is not None:
        # Sitoo's order has no field for the recipient's name; keep it with the web tags.
        tags["web-delivery-name"] = address.name
    return NewOrder(
        externalid=placement.externalid,
        ordertypeid=ORDER_TYPE_ORDER,
        orderstateid=ORDER_STATE_OPEN,
        paymentstateid=int(PaymentState.RESERVED if authorised else PaymentState.SUCCESSFUL),
        warehouseid=placement.warehouse_id,
        datereserved=placement.reserved_until,
        email=customer.email,
        namefirst=customer.first_name,
        namelast=customer.last_name,
        phone=customer.phone,
        delivery_address=address.street if address else None,
        delivery_zip=address.postal_code if address else None,
        delivery_city=address.city if address else None,
        delivery_countryid=address.country if address else None,
        currencycode=order.currency,
        checkoutref=order.order_id,
        additionaldata=tags,
        orderitems=items,
        payments=[
            NewPayment(name=p.method, moneyamount=p.amount, refid=p.reference) for p in captured
        ]
        or None,
        reservedpayments=[
            NewReservedPayment(
                id=p.reference or f"{order.order_id}-{index}",
                name=p.method,
                moneyreserved=p.amount,
                refid=p.reference,
            )
            for index, p in enumerate(authorised, start=1)
        ]
        or None,
    )


def sitoo_total(order: NewOrder) -> Decimal:
    """What Sitoo will charge: the rows after their discounts (VAT included)."""
    return sum(
        (
            (item.moneyrowprice or Decimal(0)) - (item.moneyrowdiscount or Decimal(0))
            for item in order.orderitems
        ),
        Decimal(0),
    )
