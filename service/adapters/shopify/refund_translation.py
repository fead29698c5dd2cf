"""Shopify refunds as ``order.refunded`` events (no I/O here).

One event per refund, ``shopify-refund-<refund id>``, whoever sees it first: the
``refunds/create`` web hook, any later order web hook, or the reconciliation poller. Each
is derived from the order's refunds as the Admin API lists them, so every path builds the
same payload:

* ``complete`` is true when this refund and those made before it give back every unit of
  every line (units Shopify never shipped count too: nothing is left to hand over);
* a line is restocked into Sitoo only where Sitoo keeps the stock (a Sitoo-mastered mapped
  location with a ``warehouse_id``). Where Shopify masters the stock, the restock reaches
  Sitoo as the ``inventory_levels/update`` it causes, so it is not counted twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from service.adapters.common.emitting import CanonicalEvent
from service.adapters.shopify.translation import SOURCE, legacy_id, webshop_order_id
from service.contracts.envelope import SCHEMA_VERSION, Envelope
from service.contracts.registry import Channel

if TYPE_CHECKING:
    from service.adapters.shopify.models import Order, Refund, RefundLine
    from service.settings_shopify import ShopifySettings

# Financial states that say the order has refunds worth reading.
REFUNDED_STATUSES = frozenset({"PARTIALLY_REFUNDED", "REFUNDED"})
_NOT_RESTOCKED = "NO_RESTOCK"
_MAX_NOTE = 200


def may_have_refunds(order: Order) -> bool:
    """Whether the order shows a sign of a refund (a refunded state, or units taken off)."""
    if (order.financial_status or "").upper() in REFUNDED_STATUSES:
        return True
    return any(line.current_quantity < line.quantity for line in order.line_items)


def _restock_warehouse(line: RefundLine, settings: ShopifySettings) -> int | None:
    if line.restock_type.upper() == _NOT_RESTOCKED or line.location_id is None:
        return None
    mapping = settings.location(legacy_id(line.location_id))
    if mapping is None or mapping.stock_master != "sitoo":
        return None
    return mapping.warehouse_id


def _note(text: str | None) -> str | None:
    # Line breaks and other control characters are not allowed in the contract's text.
    cleaned = " ".join("".join(c if c.isprintable() else " " for c in text or "").split())
    cleaned = cleaned[:_MAX_NOTE]
    return cleaned or None


_EARLIEST = datetime.min.replace(tzinfo=UTC)


def _order_key(refund: Refund) -> tuple[datetime, int]:
    number = legacy_id(refund.id)
    return (refund.created_at or _EARLIEST, int(number) if number.isdigit() else 0)


def completeness(order: Order, refunds: Sequence[Refund]) -> list[tuple[Refund, bool]]:
    """The refunds oldest first, each with whether it and those before it gave back all."""
    units = {line.id: line.quantity for line in order.line_items if line.quantity > 0}
    given_back: Counter[str] = Counter()
    found: list[tuple[Refund, bool]] = []
    for refund in sorted(refunds, key=_order_key):
        for line in refund.lines:
            given_back[line.line_item_id] += line.quantity
        found.append((refund, bool(units) and all(given_back[i] >= q for i, q in units.items())))
    return found


def refund_events(
    order: Order,
    refunds: Sequence[Refund],
    settings: ShopifySettings,
    *,
    since: datetime | None = None,
) -> tuple[CanonicalEvent, ...]:
    """``order.refunded`` for each refund (created at or after ``since``, when given)."""
    events: list[CanonicalEvent] = []
    for refund, complete in completeness(order, refunds):
        if since is not None and (refund.created_at is None or refund.created_at < since):
            continue
        data: dict[str, Any] = {
            "order_id": webshop_order_id(order.id),
            "refund_id": legacy_id(refund.id),
            "currency": refund.total.currency_code,
            "amount": str(refund.total.amount),
            "lines": [
                {
                    "sku": line.sku,
                    "quantity": line.quantity,
                    "restock_warehouse_id": _restock_warehouse(line, settings),
                }
                # A line without a SKU (a gift card sold) has nothing in Sitoo to give back.
                for line in refund.lines
                if line.sku and line.quantity > 0
            ],
            "complete": complete,
        }
        note = _note(refund.note)
        if note is not None:
            data["note"] = note
        envelope = Envelope(
            event_id=f"shopify-refund-{legacy_id(refund.id)}",
            type="order.refunded",
            schema_version=SCHEMA_VERSION,
            occurred_at=refund.created_at or order.updated_at,
            source=SOURCE,
            data=data,
            correlation_id=order.name,
        )
        events.append(CanonicalEvent(Channel.ORDERS, envelope))
    return tuple(events)
