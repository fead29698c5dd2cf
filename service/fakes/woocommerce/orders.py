"""Order operations: place, change status (with its stock and notes), add notes, refund."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from service.fakes.common.clock import Clock, IdSequence
from service.fakes.common.ledger import Ledger
from service.fakes.woocommerce.catalog import Catalog, Product, move_stock
from service.fakes.woocommerce.order_model import (
    STOCK_TAKING_STATUSES,
    LineItem,
    Note,
    Order,
    Refund,
    RefundLine,
    ShippingLine,
    money,
)
from service.fakes.woocommerce.wp_json import WooError

Emit = Callable[[str, str, int], None]  # (resource, event, id): a hook fired for a web hook

STATUS_NAMES = {
    "pending": "Pending payment",
    "processing": "Processing",
    "on-hold": "On hold",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "refunded": "Refunded",
    "failed": "Failed",
    "checkout-draft": "Draft",
}


@dataclass(frozen=True)
class OrderLine:
    """A line to place: a product or variation, or a custom line (no product) with a price."""

    quantity: int
    product: Product | None = None
    name: str = ""
    price: Decimal | None = None


class OrderBook:
    """Every order; each change saves the order as WooCommerce does (time, ledger, hooks)."""

    def __init__(
        self, *, clock: Clock, ids: IdSequence, ledger: Ledger, catalog: Catalog, emit: Emit
    ) -> None:
        self._clock = clock
        self._ids = ids
        self._ledger = ledger
        self._catalog = catalog
        self._emit = emit
        self.orders: dict[int, Order] = {}

    def get(self, number: int) -> Order | None:
        """An order by id."""
        return self.orders.get(number)

    def place(
        self,
        *,
        lines: list[OrderLine],
        shipping: ShippingLine | None,
        status: str,
        currency: str,
        billing: dict[str, str],
        payment_method: str,
        payment_method_title: str,
        customer_note: str = "",
        created_via: str = "checkout",
    ) -> Order:
        """A new order, as a checkout leaves it; ``order.created`` unless it is a draft."""
        now = self._clock.now()
        order = Order(
            id=self._ids.next("post"),
            order_key=f"wc_order_{secrets.token_hex(7)[:13]}",
            status=status,
            currency=currency,
            created_via=created_via,
            created_at=now,
            modified_at=now,
            billing=billing,
            shipping={k: v for k, v in billing.items() if k not in {"email", "phone"}},
            payment_method=payment_method,
            payment_method_title=payment_method_title,
            customer_note=customer_note,
        )
        for line in lines:
            product = line.product
            order.line_items.append(
                LineItem(
                    id=self._ids.next("order_item"),
                    name=product.name if product is not None else line.name,
                    product_id=(product.parent_id or product.id) if product else 0,
                    variation_id=product.id if product and product.type == "variation" else 0,
                    quantity=line.quantity,
                    price=line.price
                    if line.price is not None
                    else (product.regular_price if product else None) or Decimal(0),
                    sku=product.sku if product is not None else "",
                )
            )
        if shipping is not None:
            order.shipping_lines.append(shipping)
        if status in STOCK_TAKING_STATUSES:
            order.paid_at = now
            self._take_stock(order)
        if status == "completed":
            order.completed_at = now
        self.orders[order.id] = order
        self._ledger.record(
            "order.create", f"order/{order.id}", status=status, total=money(order.total)
        )
        if status != "checkout-draft":
            order.announced = True
            self._emit("order", "created", order.id)
        else:
            # A Checkout-block draft is re-saved while the customer is still checking out.
            self._emit("order", "updated", order.id)
        return order

    def save(self, order: Order, changes: dict[str, Any]) -> None:
        """Record a save: a new modified time (even without changes), ledger, order.updated."""
        order.modified_at = self._clock.now()
        self._ledger.record("order.update", f"order/{order.id}", changes=changes)
        if not order.announced and order.status != "checkout-draft":
            order.announced = True  # woocommerce_new_order fires when a draft is placed
            self._emit("order", "created", order.id)
        self._emit("order", "updated", order.id)

    def set_status(self, order: Order, status: str) -> dict[str, Any]:
        """Move the order to ``status`` (no save); the transition's notes and stock effects."""
        old = order.status
        if status == old:
            return {}
        order.status = status
        now = self._clock.now()
        if status in {"processing", "completed"} and order.paid_at is None:
            order.paid_at = now
        if status == "completed":
            order.completed_at = now
        self.add_note(
            order,
            f"Order status changed from {STATUS_NAMES[old]} to {STATUS_NAMES[status]}.",
            record=False,
        )
        if status in STOCK_TAKING_STATUSES:
            self._take_stock(order)
        elif status in {"cancelled", "pending"}:
            self._return_stock(order)
        return {"status": [old, status]}

    def add_note(
        self,
        order: Order,
        text: str,
        *,
        customer_note: bool = False,
        added_by_user: bool = False,
        author: str = "system",
        record: bool = True,
    ) -> Note:
        """A note; a comment, so the order is not saved and no web hook fires (FACTS.md §5.3)."""
        note = Note(
            id=self._ids.next("comment"),
            note=text,
            customer_note=customer_note,
            added_by_user=added_by_user,
            author=author,
            created_at=self._clock.now(),
        )
        order.notes.append(note)
        if record:
            self._ledger.record(
                "order_note.create",
                f"order/{order.id}",
                note_id=note.id,
                note=text,
                customer_note=customer_note,
            )
        return note

    def refund(
        self,
        order: Order,
        *,
        amount: Decimal,
        reason: str,
        lines: list[tuple[LineItem, int]],
        restock: bool,
        refunded_by: int,
    ) -> Refund:
        """A refund (never through a gateway here); a full one moves the order to refunded."""
        if amount <= 0 or amount + order.refunded > order.total:
            raise WooError(
                "woocommerce_rest_cannot_create_order_refund", "Invalid refund amount.", 500
            )
        refund = Refund(
            id=self._ids.next("post"),
            amount=amount,
            reason=reason,
            refunded_by=refunded_by,
            refunded_payment=False,
            created_at=self._clock.now(),
        )
        for item, quantity in lines:
            refund.lines.append(
                RefundLine(
                    id=self._ids.next("order_item"),
                    line_item_id=item.id,
                    name=item.name,
                    product_id=item.product_id,
                    variation_id=item.variation_id,
                    quantity=-quantity,
                    total=-(item.price * quantity),
                    sku=item.sku,
                )
            )
            if restock:
                self._move_line_stock(order, item, quantity, "increased")
        order.refunds.append(refund)
        self._ledger.record(
            "order_refund.create", f"order/{order.id}", refund_id=refund.id, amount=money(amount)
        )
        changes: dict[str, Any] = {"refunds": [len(order.refunds) - 1, len(order.refunds)]}
        if order.refunded >= order.total:
            changes |= self.set_status(order, "refunded")
        self.save(order, changes)
        return refund

    def _take_stock(self, order: Order) -> None:
        if order.stock_reduced:
            return
        order.stock_reduced = True
        for item in order.line_items:
            self._move_line_stock(order, item, -item.quantity, "reduced")

    def _return_stock(self, order: Order) -> None:
        if not order.stock_reduced:
            return
        order.stock_reduced = False
        for item in order.line_items:
            self._move_line_stock(order, item, item.quantity, "increased")

    def _move_line_stock(self, order: Order, item: LineItem, change: int, verb: str) -> None:
        product = self._catalog.get(item.variation_id or item.product_id)
        holder = self._catalog.stock_holder(product) if product is not None else None
        if holder is None:
            return
        before = holder.stock_quantity
        moved = move_stock(holder, change)
        # Stock moved by an order fires no product web hook (FACTS.md §6.9).
        self._ledger.record("product.stock_by_order", f"product/{holder.id}", changes=moved)
        self.add_note(
            order,
            f"Stock levels {verb}: {holder.name} ({holder.sku}) "
            f"{before}&rarr;{holder.stock_quantity}",
            record=False,
        )
