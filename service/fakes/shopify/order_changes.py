"""Changes to placed orders: cancel (restock, refund), refunds made in the shop, tags."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from service.fakes.shopify.order_model import Order, Refund, RefundLine, Transaction
from service.fakes.shopify.order_store import OrderRefused, OrderStore

_PAID_KINDS = ("SALE", "CAPTURE")


class OrderChanges(OrderStore):
    """Cancelling, refunding and tagging orders."""

    # --- cancel, tags, refunds -----------------------------------------------------------

    def cancel(
        self, number: int, *, reason: str, restock: bool, refund: bool, staff_note: str | None
    ) -> None:
        """Cancel an order (irreversible): close its fulfillment orders, restock, refund."""
        order = self.orders.get(number)
        if order is None:
            raise OrderRefused("Order does not exist", ["orderId"], "NOT_FOUND")
        if order.cancelled_at is not None:
            raise OrderRefused("Order has already been cancelled", ["orderId"])
        if order.fulfillments:
            raise OrderRefused("Cannot cancel an order with fulfillments", ["orderId"])
        now = self._clock.now()
        order.cancelled_at = now
        order.cancel_reason = reason.lower()
        order.closed_at = now
        restocked: list[RefundLine] = []
        for fo_number in order.fulfillment_orders:
            fo = self.fulfillment_orders[fo_number]
            for fo_line in fo.lines:
                line = order.line(fo_line.line_item)
                if restock and fo_line.remaining and line.variant in self._catalog.variants:
                    item = self._catalog.variants[line.variant].inventory_item
                    level = self._catalog.stock(item, fo.location)
                    self._catalog.change(level, "committed", -fo_line.remaining)
                    self._catalog.change(level, "available", fo_line.remaining)
                    self._emit("inventory_levels/update", "InventoryLevel", level.number)
                if fo_line.remaining:
                    restocked.append(
                        RefundLine(
                            self._ids.next("RefundLineItem"),
                            line.number,
                            fo_line.remaining,
                            "CANCEL" if restock else "NO_RESTOCK",
                            fo.location if restock else None,
                            line.price * fo_line.remaining,
                        )
                    )
                fo_line.remaining = 0
            fo.status = "CANCELLED"
            fo.updated_at = now
        if refund:
            self._refund(order, restocked, note=staff_note, restock=restock)
        order.updated_at = now
        self._ledger.record(
            "order.cancel", f"Order/{number}", reason=reason, restock=restock, refund=refund
        )
        self._emit("orders/cancelled", "Order", number)
        self._emit("orders/updated", "Order", number)

    def _refund(
        self,
        order: Order,
        lines: list[RefundLine],
        *,
        note: str | None,
        restock: bool,
        amount: Decimal | None = None,
    ) -> Refund:
        """Money back to the original payments in order: ``amount``, or all that is left."""
        now = self._clock.now()
        moved: list[int] = []
        wanted = amount
        for number in list(order.transactions):
            if wanted is not None and wanted <= 0:
                break
            paid = self.transactions[number]
            if paid.kind not in _PAID_KINDS or paid.status != "SUCCESS":
                continue
            refunded = sum(
                (t.amount for t in self.transactions.values() if t.parent == paid.number),
                Decimal(0),
            )
            left = paid.amount - refunded
            if wanted is not None:
                left = min(left, wanted)
                wanted -= left
            if left <= 0:
                continue
            if paid.receipt.get("gift_card_id") is not None:
                card = self._giftcards.card(int(str(paid.receipt["gift_card_id"])))
                self._giftcards.adjust(
                    card.number,
                    left,
                    card.currency,
                    debit=False,
                    note=f"Refund {order.name}",
                    order=order.number,
                )
            back = Transaction(
                self._ids.next("OrderTransaction"),
                order.number,
                "REFUND",
                paid.gateway,
                left,
                receipt=dict(paid.receipt),
                parent=paid.number,
                created_at=now,
            )
            self.transactions[back.number] = back
            order.transactions.append(back.number)
            moved.append(back.number)
        for line in lines:
            order.line(line.line_item).refunded += line.quantity
        refund = Refund(
            self._ids.next("Refund"), order.number, note, restock, lines, moved, created_at=now
        )
        self.refunds[refund.number] = refund
        order.refunds.append(refund.number)
        if moved:
            order.financial_status = "refunded" if amount is None else "partially_refunded"
        self._emit("refunds/create", "Refund", refund.number)
        return refund

    def refund_lines(
        self, number: int, lines: Sequence[tuple[int, int]], *, restock: bool, note: str | None
    ) -> Refund:
        """A refund of some units made in the shop admin (restocked at their location)."""
        order = self.orders[number]
        refund_lines: list[RefundLine] = []
        for line_number, quantity in lines:
            line = order.line(line_number)
            if quantity <= 0 or quantity > line.current_quantity:
                raise OrderRefused(f"Cannot refund {quantity} of line {line_number}")
            location = self._location_of(order, line_number)
            if restock and location is not None and line.variant in self._catalog.variants:
                item = self._catalog.variants[line.variant].inventory_item
                level = self._catalog.stock(item, location)
                self._catalog.change(level, "available", quantity)
                self._emit("inventory_levels/update", "InventoryLevel", level.number)
            refund_lines.append(
                RefundLine(
                    self._ids.next("RefundLineItem"),
                    line_number,
                    quantity,
                    "RETURN" if restock else "NO_RESTOCK",
                    location if restock else None,
                    line.price * quantity,
                )
            )
        refund = self._refund(
            order,
            refund_lines,
            note=note,
            restock=restock,
            amount=sum((line.subtotal for line in refund_lines), Decimal(0)),
        )
        self._touch(number)
        self._ledger.record("order.refund", f"Order/{number}", refund=refund.number)
        self._emit("orders/updated", "Order", number)
        return refund

    def tags_add(self, number: int, tags: Sequence[str]) -> list[str]:
        """Add tags (existing ones stay); returns the ones that were new."""
        order = self.orders[number]
        cleaned = [t.strip() for t in tags if t.strip()]
        added = [
            t
            for t in dict.fromkeys(cleaned)
            if t.casefold() not in {x.casefold() for x in order.tags}
        ]
        if added:
            order.tags.extend(added)
            self._touch(number)
            self._ledger.record("order.tags_add", f"Order/{number}", added=added)
            self._emit("orders/updated", "Order", number)
        return added
