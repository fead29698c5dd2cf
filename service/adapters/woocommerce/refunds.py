"""WooCommerce refunds as ``order.refunded`` events (no I/O here).

A refund reaches us only as an ``order.updated`` whose ``refunds[]`` gained an entry
``{id, reason, total}`` (FACTS.md §1.1, §5.4); its lines and amount are read from
``GET /orders/<id>/refunds``. Each refund becomes one event, ``wc-refund-<refund id>``,
derived from the order and the whole list of its refunds, so the web hook, a repeat of it
and the reconciliation poller build the same event, and the appender keeps the first.

* ``complete`` is true when this refund and those made before it (by refund id, which
  WooCommerce hands out in order) give back every unit of every SKU of the order. It depends
  only on refunds that already exist, never on the order's status at the moment it was read,
  so it is the same whoever sees the refund first. A full refund by amount alone (no units,
  e.g. the status set to ``refunded`` by hand) is not complete: the ``refunded`` status
  itself still yields ``order.cancelled``, which cancels the Sitoo order and rolls back the
  gift cards; both events leave one cancellation and one rollback (the cancel compares
  state first, a redemption is rolled back once whoever asks first).
* Quantities are negative in WooCommerce's refund lines; the event carries whole positive
  units, and lines with no units (money only) are left out.
* Restock: WooCommerce restocks its own stock (``api_restock``), and that stock is a copy
  of one Sitoo warehouse's (``STOCK_WAREHOUSE_ID``, mastered by Sitoo, never pushed from
  WooCommerce to Sitoo). So refunded units name that warehouse; without it they name none.
  The refund resource does not say whether the merchant unticked "restock": units refunded
  are taken as restocked, WooCommerce's default. Sitoo only adds the stock once its order
  was delivered or picked up (see ``usecases/refunds.py``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from service.adapters.woocommerce.models import Refund
from service.adapters.woocommerce.translate import (
    SOURCE,
    Untranslatable,
    webshop_order_id,
)
from service.contracts.envelope import SCHEMA_VERSION, Envelope, describe_validation_error
from service.contracts.orders import OrderRefunded

_NOTE_LIMIT = 200


def refund_event_id(refund_id: int) -> str:
    """The id of the ``order.refunded`` event of WooCommerce refund ``refund_id``."""
    return f"wc-refund-{refund_id}"


def listed_refund_ids(raw: dict[str, Any]) -> tuple[int, ...]:
    """The refund ids the order resource lists (``refunds[{id, reason, total}]``)."""
    found: list[int] = []
    for entry in raw.get("refunds") or []:
        refund_id = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(refund_id, int) or isinstance(refund_id, bool) or refund_id < 1:
            raise Untranslatable(f"refunds[] entry {str(entry)[:60]!r} has no numeric id")
        found.append(refund_id)
    return tuple(found)


def _units_ordered(raw: dict[str, Any]) -> Counter[str]:
    units: Counter[str] = Counter()
    for item in raw.get("line_items") or []:
        sku = str(item.get("sku") or "").strip()
        quantity = item.get("quantity")
        if sku and isinstance(quantity, int) and quantity > 0:
            units[sku] += quantity
    return units


def _refunded_lines(refund: Refund, restock_warehouse_id: int | None) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    for line in refund.lines:
        units = abs(line.quantity)
        if units == 0:
            continue  # money given back on a line, no units
        sku = line.sku.strip()
        if not sku:
            raise Untranslatable(
                f"refund {refund.id}: line {line.id} has no SKU (the product lost its SKU or "
                "was deleted): Sitoo matches products by SKU"
            )
        lines.append({"sku": sku, "quantity": units, "restock_warehouse_id": restock_warehouse_id})
    return lines


def _note(text: str) -> str | None:
    # The contract's text allows no line breaks or other control characters.
    cleaned = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return cleaned[:_NOTE_LIMIT] or None


def _occurred_at(refund: Refund, raw: dict[str, Any]) -> datetime:
    if refund.date_created_gmt is not None:
        return refund.date_created_gmt
    modified = raw.get("date_modified_gmt")
    if isinstance(modified, str) and modified:
        return datetime.fromisoformat(modified).replace(tzinfo=UTC)
    raise Untranslatable(f"refund {refund.id} has no date_created_gmt")


def refund_events(
    raw: dict[str, Any],
    order_id: int,
    refunds: Sequence[Refund],
    *,
    restock_warehouse_id: int | None,
) -> tuple[Envelope, ...]:
    """``order.refunded`` for each refund of the order, oldest first (raises Untranslatable)."""
    ordered_units = _units_ordered(raw)
    given_back: Counter[str] = Counter()
    currency = str(raw.get("currency") or "")
    events: list[Envelope] = []
    for refund in sorted(refunds, key=lambda r: r.id):
        lines = _refunded_lines(refund, restock_warehouse_id)
        for line in lines:
            given_back[line["sku"]] += line["quantity"]
        complete = bool(ordered_units) and all(
            given_back[sku] >= units for sku, units in ordered_units.items()
        )
        data: dict[str, Any] = {
            "order_id": webshop_order_id(order_id),
            "refund_id": str(refund.id),
            "currency": currency,
            "amount": str(refund.amount),
            "lines": lines,
            "complete": complete,
            "note": _note(refund.reason),
        }
        try:
            payload = OrderRefunded.model_validate(data)
        except ValidationError as exc:
            reason = describe_validation_error(exc, prefix="data.")
            raise Untranslatable(f"refund {refund.id}: {reason}") from None
        events.append(
            Envelope(
                event_id=refund_event_id(refund.id),
                type="order.refunded",
                schema_version=SCHEMA_VERSION,
                occurred_at=_occurred_at(refund, raw),
                source=SOURCE,
                correlation_id=f"wc-order-{order_id}",
                data=payload.model_dump(mode="json"),
            )
        )
    return tuple(events)
