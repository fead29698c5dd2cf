"""What happens to orders: placing, ready for pick-up, fulfilling (and via the base, changes)."""

from __future__ import annotations

from collections.abc import Sequence

from service.fakes.shopify.order_changes import OrderChanges
from service.fakes.shopify.order_model import (
    PICK_UP,
    Fulfillment,
    FulfillmentOrder,
    FulfillmentOrderLine,
    Order,
    Transaction,
)
from service.fakes.shopify.order_store import OrderRefused, Payment


class OrderBook(OrderChanges):
    """Orders and everything hanging off them."""

    # --- placing -------------------------------------------------------------------------

    def place(
        self, order: Order, *, location: int, method_type: str, payments: Sequence[Payment]
    ) -> Order:
        """Store a checked-out order: commit its stock, build its fulfillment order, pay it."""
        now = self._clock.now()
        self.orders[order.number] = order
        shippable = [line for line in order.lines if not line.gift_card]
        if shippable:
            fo = FulfillmentOrder(
                self._ids.next("FulfillmentOrder"),
                order.number,
                location,
                method_type,
                self._ids.next("DeliveryMethod"),
                created_at=now,
                updated_at=now,
            )
            for line in shippable:
                fo.lines.append(
                    FulfillmentOrderLine(
                        self._ids.next("FulfillmentOrderLineItem"),
                        line.number,
                        line.quantity,
                        line.quantity,
                    )
                )
                self._commit(line.variant, location, line.quantity)
            self.fulfillment_orders[fo.number] = fo
            order.fulfillment_orders.append(fo.number)
        for payment in payments:
            self._pay(order, payment)
        self._ledger.record(
            "order.create", f"Order/{order.number}", name=order.name, method_type=method_type
        )
        self._emit("orders/create", "Order", order.number)
        if order.financial_status == "paid":
            self._emit("orders/paid", "Order", order.number)
        for number in order.transactions:
            self._emit("order_transactions/create", "OrderTransaction", number)
        for number in order.fulfillment_orders:
            self._emit("fulfillment_orders/order_routing_complete", "FulfillmentOrder", number)
        return order

    def _commit(self, variant: int | None, location: int, quantity: int) -> None:
        if variant is None or variant not in self._catalog.variants:
            return
        level = self._catalog.stock(self._catalog.variants[variant].inventory_item, location)
        self._catalog.change(level, "available", -quantity)
        self._catalog.change(level, "committed", quantity)
        self._emit("inventory_levels/update", "InventoryLevel", level.number)

    def _pay(self, order: Order, payment: Payment) -> None:
        receipt: dict[str, object] = {}
        if payment.gift_card is not None:
            card = self._giftcards.card(payment.gift_card)
            self._giftcards.adjust(
                card.number,
                payment.amount,
                card.currency,
                debit=True,
                note=f"Order {order.name}",
                order=order.number,
            )
            receipt = {
                "gift_card_id": card.number,
                "gift_card_last_characters": card.last_characters,
            }
        transaction = Transaction(
            self._ids.next("OrderTransaction"),
            order.number,
            "SALE",
            payment.gateway,
            payment.amount,
            receipt=receipt,
            created_at=self._clock.now(),
        )
        self.transactions[transaction.number] = transaction
        order.transactions.append(transaction.number)

    # --- pick-up and fulfilment ----------------------------------------------------------

    def prepare_for_pickup(self, numbers: Sequence[int | None]) -> None:
        """Mark pick-up fulfillment orders ready, all or none (no Fulfillment is created)."""
        found: list[FulfillmentOrder] = []
        for index, number in enumerate(numbers):
            where = ["input", "lineItemsByFulfillmentOrder", str(index), "fulfillmentOrderId"]
            fo = self.fulfillment_orders.get(number) if number is not None else None
            if fo is None:
                raise OrderRefused(
                    "Fulfillment order does not exist.", where, "FULFILLMENT_ORDER_INVALID"
                )
            if fo.method_type != PICK_UP:
                raise OrderRefused(
                    "Fulfillment order is not for local pickup.", where, "FULFILLMENT_ORDER_INVALID"
                )
            if fo.status not in {"OPEN", "IN_PROGRESS"} or fo.prepared_for_pickup:
                raise OrderRefused(
                    "No line items to prepare for this fulfillment order.",
                    where,
                    "NO_LINE_ITEMS_TO_PREPARE_FOR_FULFILLMENT_ORDER",
                )
            found.append(fo)
        now = self._clock.now()
        for fo in found:
            fo.prepared_for_pickup = True
            fo.status = "IN_PROGRESS"
            fo.updated_at = now
            self._touch(fo.order)
            self._ledger.record(
                "fulfillment_order.prepared_for_pickup", f"FulfillmentOrder/{fo.number}"
            )
        for order in dict.fromkeys(fo.order for fo in found):
            self._emit("orders/updated", "Order", order)

    def _pick(
        self, number: int | None, lines: list[tuple[int, int]] | None
    ) -> list[tuple[FulfillmentOrder, FulfillmentOrderLine, int]]:
        """The checked (fulfillment order, line, quantity) picks of one request."""
        fo = self.fulfillment_orders.get(number) if number is not None else None
        if fo is None:
            raise OrderRefused("Fulfillment order does not exist.", ["fulfillment"])
        if fo.status not in {"OPEN", "IN_PROGRESS"}:
            raise OrderRefused(
                f"Fulfillment order gid://shopify/FulfillmentOrder/{fo.number} has an "
                f"unfulfillable status= {fo.status.lower()}.",
                ["fulfillment"],
            )
        by_id = {line.number: line for line in fo.lines}
        wanted = lines or [(line.number, line.remaining) for line in fo.lines if line.remaining]
        picked = []
        for line_number, quantity in wanted:
            line = by_id.get(line_number)
            if line is None or quantity <= 0 or quantity > line.remaining:
                raise OrderRefused(
                    "Invalid fulfillment order line item quantity requested.", ["fulfillment"]
                )
            picked.append((fo, line, quantity))
        return picked

    def fulfil(
        self, requests: Sequence[tuple[int | None, list[tuple[int, int]] | None]]
    ) -> Fulfillment:
        """One Fulfillment from fulfillment orders of one order; None lines means all remaining."""
        picked = [item for number, lines in requests for item in self._pick(number, lines)]
        orders = {fo.order for fo, _, _ in picked}
        if len(orders) != 1 or not picked:
            raise OrderRefused(
                "All fulfillment orders must belong to the same order.", ["fulfillment"]
            )
        order = self.orders[orders.pop()]
        now = self._clock.now()
        fulfillment = Fulfillment(
            self._ids.next("Fulfillment"),
            order.number,
            picked[0][0].location,
            [(line.line_item, quantity) for _, line, quantity in picked],
            created_at=now,
            updated_at=now,
        )
        for fo, line, quantity in picked:
            line.remaining -= quantity
            order.line(line.line_item).fulfilled += quantity
            variant = order.line(line.line_item).variant
            if variant is not None and variant in self._catalog.variants:
                level = self._catalog.stock(
                    self._catalog.variants[variant].inventory_item, fo.location
                )
                self._catalog.change(level, "committed", -quantity)
            fo.status = "CLOSED" if all(x.remaining == 0 for x in fo.lines) else "IN_PROGRESS"
            fo.updated_at = now
            if fulfillment.number not in fo.fulfillments:
                fo.fulfillments.append(fulfillment.number)
        self.fulfillments[fulfillment.number] = fulfillment
        order.fulfillments.append(fulfillment.number)
        self._touch(order.number)
        self._ledger.record(
            "fulfillment.create",
            f"Order/{order.number}",
            fulfillment=fulfillment.number,
            fulfillment_orders=sorted({fo.number for fo, _, _ in picked}),
        )
        self._emit("orders/updated", "Order", order.number)
        if all(
            line.fulfilled >= line.current_quantity for line in order.lines if not line.gift_card
        ):
            self._emit("orders/fulfilled", "Order", order.number)
        return fulfillment
