"""What store staff and tills do to the account, standing in for Sitoo POS."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from service.sandbox.errors import bad_request
from service.sandbox.giftcards import GiftCard
from service.sandbox.ledger import Caller, current_caller
from service.sandbox.movement_model import WarehouseTransaction
from service.sandbox.order_model import Order
from service.sandbox.values import (
    LOG_PICKUP_REJECTED,
    LOG_READY_FOR_PICKUP,
    ORDER_CANCELLED,
    ORDER_CLOSED,
    TX_STOCKTAKING,
    ZERO,
    format_money,
    format_quantity,
)

if TYPE_CHECKING:
    from service.sandbox.sandbox import Sandbox


@contextlib.contextmanager
def acting_as(action: str) -> Iterator[None]:
    """Ledger entries made inside are attributed to the store action, not an API user."""
    token = current_caller.set(Caller(api_id=None, method="STORE", path=action))
    try:
        yield
    finally:
        current_caller.reset(token)


@dataclass(frozen=True)
class SaleLine:
    """A till line: SKU and units."""

    sku: str
    quantity: int = 1


class StoreActions:
    """Store staff and tills working on one sandbox."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._sandbox = sandbox

    def _sales_warehouse(self, storeid: int) -> int:
        warehouses = self._sandbox.catalog.warehouses_of_store(storeid)
        if not warehouses:
            raise bad_request(f"Store {storeid} has no warehouse.")
        return warehouses[0].warehouseid

    def pos_sale(
        self,
        storeid: int,
        lines: list[SaleLine],
        *,
        receipt_id: str,
        giftcard: str | None = None,
        giftcard_amount: str | None = None,
        pin: str | None = None,
    ) -> Order:
        """A closed, delivered type-10 order; optionally part-paid by redeeming a gift card."""
        sandbox = self._sandbox
        store = sandbox.catalog.store(storeid)
        warehouseid = self._sales_warehouse(storeid)
        with acting_as("store:pos_sale"):
            items = []
            total = ZERO
            for line in lines:
                product = sandbox.catalog.product(line.sku)
                row = product.moneyprice * line.quantity
                total += row
                items.append(
                    {
                        "productname": product.title,
                        "sku": product.sku,
                        "quantity": line.quantity,
                        "moneyrowprice": format_money(row),
                        "vatvalue": float(product.vatvalue),
                    }
                )
            payments: list[dict[str, Any]] = []
            paid_by_card = ZERO
            if giftcard is not None:
                paid_by_card = Decimal(giftcard_amount) if giftcard_amount else total
                sandbox.giftcards.add_transactions(
                    giftcard,
                    {
                        "moneyamount": format_money(-paid_by_card),
                        "merchant_reference": store.externalid,
                        "transaction_reference": receipt_id,
                    },
                    pin,
                )
                payments.append(
                    {
                        "name": "Gift card",
                        "moneyamount": format_money(paid_by_card),
                        "additionaldata": {"giftcard-cardnumber": giftcard},
                    }
                )
            if total - paid_by_card > ZERO:
                payments.append({"name": "Card", "moneyamount": format_money(total - paid_by_card)})
            order = sandbox.orders.create(
                {
                    "ordertypeid": 10,
                    "orderstateid": ORDER_CLOSED,
                    "paymentstateid": 20,
                    "warehouseid": warehouseid,
                    "orderitems": items,
                    "payments": payments,
                    "additionaldata": {
                        "pos-receiptid": receipt_id,
                        "store-externalid": store.externalid or "",
                        "store-name": store.name,
                    },
                }
            )
            sandbox.orders.deliver_all(order.orderid, warehouseid)
        return order

    def ready_for_pickup(self, orderid: int) -> None:
        """Staff mark a click-and-collect order ready (log item 900)."""
        with acting_as("store:ready_for_pickup"):
            self._sandbox.orders.add_log_item(orderid, {"orderlogtypeid": LOG_READY_FOR_PICKUP})

    def reject_pickup(self, orderid: int, *, reason: str | None = None) -> None:
        """Staff reject a pick-up (log item 910, with the reason as its text)."""
        with acting_as("store:reject_pickup"):
            self._sandbox.orders.add_log_item(
                orderid, {"orderlogtypeid": LOG_PICKUP_REJECTED, "strvalue": reason}
            )

    def cancel(self, orderid: int) -> Order:
        """Staff cancel an order in the store (the customer never came): state 20."""
        with acting_as("store:cancel"):
            return self._sandbox.orders.set_state(orderid, ORDER_CANCELLED)

    def picked_up(self, orderid: int) -> Order:
        """The customer collected: deliver what is left from the order's warehouse and close."""
        order = self._sandbox.orders.get(orderid)
        if order.warehouseid is None:
            raise bad_request(f"Order {orderid} has no warehouse.")
        with acting_as("store:picked_up"):
            self._sandbox.orders.deliver_all(orderid, order.warehouseid)
            return self._sandbox.orders.set_state(orderid, ORDER_CLOSED)

    def redeem_giftcard(
        self,
        cardnumber: str,
        amount: str,
        *,
        receipt_id: str,
        storeid: int | None = None,
        pin: str | None = None,
    ) -> GiftCard:
        """A till redeems a card (transaction_reference = receipt id)."""
        merchant = None
        if storeid is not None:
            merchant = self._sandbox.catalog.store(storeid).externalid
        with acting_as("store:redeem_giftcard"):
            card, _ = self._sandbox.giftcards.add_transactions(
                cardnumber,
                {
                    "moneyamount": format_money(-Decimal(amount)),
                    "merchant_reference": merchant,
                    "transaction_reference": receipt_id,
                },
                pin,
            )
        return card

    def stock_count(
        self, warehouseid: int, counts: dict[str, str], *, externalid: str | None = None
    ) -> WarehouseTransaction:
        """Staff count stock: a stock-taking batch (type 50) closed into one transaction."""
        movements = self._sandbox.movements
        with acting_as("store:stock_count"):
            batch = movements.open_batch(
                warehouseid,
                {
                    "transactiontype": TX_STOCKTAKING,
                    "comment": "Stock count",
                    "externalid": externalid,
                },
            )
            for sku, counted in counts.items():
                movements.put_batch_item(
                    warehouseid,
                    batch.warehousebatchid,
                    {"sku": sku, "decimalquantity": format_quantity(Decimal(counted))},
                )
            return movements.close_batch(batch)
