"""WooCommerce orders as canonical events: pure, the same for a web hook and the poller.

A WooCommerce web hook says "this order changed, here is how it looks now" (FACTS.md §2.1:
the body is built when it is sent, and several changes merge into one delivery). So the
translation looks only at the state the order has reached, never at which topic carried it,
and derives each event id from the order id and that state. A delivery repeated, merged,
late, or replaced by the reconciliation poller therefore gives the same event ids, and each
canonical event is appended once.

============================  =======================================================
status reached                canonical event
============================  =======================================================
processing, on-hold,          ``order.placed`` (``wc-order-<id>-placed``), click-and-collect
completed                     when the shipping line is a pick-up method (FACTS.md §3.1)
cancelled, refunded           ``order.cancelled`` (``wc-order-<id>-cancelled``)
pending, failed               nothing yet (not paid: the order is placed when it is)
checkout-draft, trash,        nothing (a Checkout-block draft, or a deleted order)
draft, auto-draft
============================  =======================================================

Refunds do not change this table: a partly refunded order stays placed. Each refund the
order lists becomes its own ``order.refunded`` (``wc-refund-<refund id>``), built from the
refunds endpoint beside this translation (:mod:`.refunds`, :mod:`.order_translation`); a
``refunded`` order gives its refunds and ``order.cancelled``. What cannot be turned into a
valid event (a line without SKU, an unmapped pick-up location, fees, totals that do not add
up) is ``untranslatable`` with the reason, for a dead letter.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, ValidationError

from service.contracts.envelope import SCHEMA_VERSION, Envelope, describe_validation_error
from service.contracts.orders import OrderCancelled, OrderPlaced

SOURCE = "woocommerce"
CENT = Decimal("0.01")
PLACED_STATUSES = frozenset({"processing", "on-hold", "completed"})
CANCELLED_STATUSES = frozenset({"cancelled", "refunded"})
UNPAID_STATUSES = frozenset({"pending", "failed"})
# Core's pick-up methods (filter woocommerce_local_pickup_methods): only the Checkout
# block's pickup_location names its location; the legacy ones name none (FACTS.md §3.1).
BLOCK_PICKUP = "pickup_location"
LEGACY_PICKUPS = frozenset({"local_pickup", "legacy_local_pickup"})
_NAME_LIMIT = 100
_PHONE_CHARS = frozenset("0123456789+() -")


class Untranslatable(Exception):
    """The order cannot become a valid canonical event; the message is the reason."""


@dataclass(frozen=True, slots=True)
class PickupMap:
    """Pick-up location name (as WooCommerce shows it) -> Sitoo store externalid."""

    by_name: Mapping[str, str] = field(default_factory=dict)
    legacy_store: str | None = None  # the store for the legacy local_pickup method, if any

    def store_for(self, name: str) -> str | None:
        """The Sitoo store of a location; names match ignoring case and outer spaces."""
        wanted = name.strip().casefold()
        for known, store in self.by_name.items():
            if known.strip().casefold() == wanted:
                return store
        return None


@dataclass(frozen=True, slots=True)
class Translation:
    """What one state of one order becomes: events, or why none, or why it cannot."""

    order_id: int | None
    events: tuple[Envelope, ...] = ()
    ignored: str | None = None  # nothing to do, and nothing wrong
    untranslatable: str | None = None  # for a dead letter

    @property
    def outcome(self) -> str:
        """``events``, ``ignored`` or ``untranslatable`` (for logs and metrics)."""
        if self.untranslatable is not None:
            return "untranslatable"
        return "ignored" if self.ignored is not None else "events"


def webshop_order_id(order_id: int) -> str:
    """The canonical ``order_id`` of a WooCommerce order (Sitoo's externalid derives from it)."""
    return f"wc-{order_id}"


def order_id_from_webshop(value: str | None) -> int | None:
    """The WooCommerce order id inside a canonical ``order_id``; None when it is not one."""
    if value is None or not value.startswith("wc-"):
        return None
    digits = value[3:]
    return int(digits) if digits.isdigit() else None


def event_id(order_id: int, state: str) -> str:
    """The id of the event for ``order_id`` reaching ``state`` (placed, cancelled)."""
    return f"wc-order-{order_id}-{state}"


def translate_order(raw: object, pickups: PickupMap) -> Translation:
    """The canonical events for an order resource (a web-hook body or a REST answer)."""
    order_id = raw.get("id") if isinstance(raw, dict) else None
    if not isinstance(raw, dict) or not _is_id(order_id):
        return Translation(None, untranslatable="not an order: no JSON object with a numeric id")
    assert isinstance(order_id, int)  # noqa: S101 - narrowed by _is_id, for the type checker
    status = raw.get("status")
    try:
        if status in PLACED_STATUSES:
            return Translation(order_id, events=(_placed(raw, order_id, pickups),))
        if status in CANCELLED_STATUSES:
            return Translation(order_id, events=(_cancelled(raw, order_id, str(status)),))
    except Untranslatable as exc:
        reason = str(exc)
    except (KeyError, TypeError, ValueError, AttributeError, InvalidOperation) as exc:
        reason = f"unexpected shape ({type(exc).__name__}: {exc})"
    else:
        why = "not paid yet" if status in UNPAID_STATUSES else "nothing to translate"
        return Translation(order_id, ignored=f"status {status!s:.40}: {why}")
    return Translation(order_id, untranslatable=f"order {order_id}: {reason}")


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


# --- order.cancelled ----------------------------------------------------------------------


def _cancelled(raw: dict[str, Any], order_id: int, status: str) -> Envelope:
    reason = "refunded in WooCommerce" if status == "refunded" else "cancelled in WooCommerce"
    payload = _valid(OrderCancelled, {"order_id": webshop_order_id(order_id), "reason": reason})
    return _envelope(raw, order_id, "cancelled", "order.cancelled", payload)


# --- order.placed -------------------------------------------------------------------------


def _placed(raw: dict[str, Any], order_id: int, pickups: PickupMap) -> Envelope:
    fees = [f for f in raw.get("fee_lines") or [] if _money(f.get("total")) != 0]
    if fees:
        names = ", ".join(str(f.get("name") or "?")[:40] for f in fees[:3])
        raise Untranslatable(f"fee lines ({names}) have no place in a Sitoo order")
    lines = [_line(item) for item in raw.get("line_items") or []]
    if not lines:
        raise Untranslatable("the order has no line items")
    total = _money(raw.get("total"))
    shipping = _shipping(raw.get("shipping_lines") or [])
    _absorb_rounding(lines, total - sum((line.gross for line in lines), _shipped(shipping)))
    data: dict[str, Any] = {
        "order_id": webshop_order_id(order_id),
        "currency": str(raw.get("currency") or ""),
        "customer": _customer(raw.get("billing") or {}),
        "fulfilment": _fulfilment(raw, pickups),
        "lines": [line.as_contract() for line in lines],
        "shipping": shipping,
        "payments": [_payment(raw, total)] if total > 0 else [],
        "total": str(total),
    }
    if total <= 0:
        raise Untranslatable("the order total is 0: a Sitoo order needs a payment")
    payload = _valid(OrderPlaced, data)
    return _envelope(raw, order_id, "placed", "order.placed", payload)


@dataclass(slots=True)
class _Line:
    """An order line with its tax included, before it is put in the contract's terms."""

    sku: str
    name: str
    quantity: int
    gross_before: Decimal  # subtotal + subtotal_tax: before coupons
    gross: Decimal  # total + total_tax, to the cent: what the customer pays for the line
    vat_rate: Decimal

    def as_contract(self) -> dict[str, Any]:
        # Prices include VAT in the contract; WooCommerce keeps net amounts and the tax apart.
        # Rounding the unit price up keeps the line's discount non-negative and exact.
        unit = (max(self.gross_before, self.gross) / self.quantity).quantize(
            CENT, rounding=ROUND_CEILING
        )
        return {
            "sku": self.sku,
            "name": self.name,
            "quantity": self.quantity,
            "unit_price": str(unit),
            "discount": str(unit * self.quantity - self.gross),
            "vat_rate": _percent(self.vat_rate),
        }


def _line(item: dict[str, Any]) -> _Line:
    sku = str(item.get("sku") or "").strip()
    if not sku:
        raise Untranslatable(
            f"line {item.get('id')} ({_name(item.get('name'))}) has no SKU: "
            "Sitoo matches products by SKU"
        )
    quantity = item["quantity"]
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        raise Untranslatable(f"line {item.get('id')} has quantity {quantity!r}")
    net_after = _money(item.get("total"))
    tax_after = _money(item.get("total_tax"))
    return _Line(
        sku=sku,
        name=_name(item.get("name")) or sku,
        quantity=quantity,
        gross_before=_money(item.get("subtotal")) + _money(item.get("subtotal_tax")),
        gross=(net_after + tax_after).quantize(CENT, rounding=ROUND_HALF_UP),
        vat_rate=_rate(net_after, tax_after, item),
    )


def _shipped(shipping: dict[str, Any] | None) -> Decimal:
    return Decimal(shipping["price"]) if shipping else Decimal(0)


def _absorb_rounding(lines: list[_Line], difference: Decimal) -> None:
    """Put the cents between the order's total and its rounded lines on the largest line.

    With tax rounded per order (WooCommerce's "round tax at subtotal level"), lines keep
    unrounded tax and the total is rounded once, so the rounded lines can miss the total by
    a cent or so per line. More than that is a real disagreement, left for the contract to
    refuse (a dead letter with the reason).
    """
    if difference == 0 or abs(difference) > CENT * (len(lines) + 1):
        return
    largest = max(lines, key=lambda line: line.gross)
    if largest.gross + difference > 0:
        largest.gross += difference


def _rate(net: Decimal, tax: Decimal, item: dict[str, Any]) -> Decimal:
    """VAT in percent: the net and tax before discounts are the larger, so the more exact."""
    before_net = _money(item.get("subtotal"))
    before_tax = _money(item.get("subtotal_tax"))
    if before_net > 0:
        net, tax = before_net, before_tax
    if net <= 0 or tax <= 0:
        return Decimal(0)
    return (tax / net * 100).quantize(CENT)


def _shipping(lines: list[dict[str, Any]]) -> dict[str, Any] | None:
    net = sum((_money(s.get("total")) for s in lines), Decimal(0))
    tax = sum((_money(s.get("total_tax")) for s in lines), Decimal(0))
    gross = (net + tax).quantize(CENT, rounding=ROUND_HALF_UP)
    if gross == 0:
        return None
    title = next((_name(s.get("method_title")) for s in lines if s.get("method_title")), None)
    rate = (tax / net * 100).quantize(CENT) if net > 0 and tax > 0 else Decimal(0)
    return {"name": title or "Shipping", "price": str(gross), "vat_rate": _percent(rate)}


def _fulfilment(raw: dict[str, Any], pickups: PickupMap) -> dict[str, Any]:
    for line in raw.get("shipping_lines") or []:
        method = str(line.get("method_id") or "")
        if method == BLOCK_PICKUP:
            meta = {str(m.get("key")): m.get("value") for m in line.get("meta_data") or []}
            name = meta.get("pickup_location")
            if not isinstance(name, str) or not name.strip():
                raise Untranslatable("a pickup_location shipping line without a location name")
            store = pickups.store_for(name)
            if store is None:
                raise Untranslatable(
                    f"pick-up location {name.strip()[:60]!r} is not mapped to a Sitoo store "
                    "(SITOO_SYNC_WOOCOMMERCE__PICKUP_LOCATIONS)"
                )
            return {"kind": "pickup", "store_externalid": store}
        if method in LEGACY_PICKUPS:
            if pickups.legacy_store is None:
                raise Untranslatable(
                    f"{method} names no location; set SITOO_SYNC_WOOCOMMERCE__LOCAL_PICKUP_STORE "
                    "or use the Checkout block's pick-up locations"
                )
            return {"kind": "pickup", "store_externalid": pickups.legacy_store}
    return {"kind": "delivery", "address": _address(raw)}


def _address(raw: dict[str, Any]) -> dict[str, Any]:
    shipping = raw.get("shipping") or {}
    billing = raw.get("billing") or {}
    source = shipping if shipping.get("address_1") else billing
    name = " ".join(
        part for part in (source.get("first_name"), source.get("last_name")) if part
    ).strip()
    street = ", ".join(p for p in (source.get("address_1"), source.get("address_2")) if p)
    return {
        "name": _name(name or source.get("company")) or "-",
        "street": str(street)[:200],
        "postal_code": str(source.get("postcode") or "").strip(),
        "city": _name(source.get("city")) or "",
        "country": str(source.get("country") or ""),
    }


def _customer(billing: dict[str, Any]) -> dict[str, Any]:
    email = str(billing.get("email") or "").strip()
    phone = str(billing.get("phone") or "").strip()
    return {
        # What the contract cannot take is left out rather than refusing the whole order.
        "email": email if "@" in email and " " not in email and len(email) <= 200 else None,  # noqa: PLR2004
        "first_name": _name(billing.get("first_name")),
        "last_name": _name(billing.get("last_name")),
        "phone": phone if phone and set(phone) <= _PHONE_CHARS and len(phone) <= 40 else None,  # noqa: PLR2004
    }


def _payment(raw: dict[str, Any], total: Decimal) -> dict[str, Any]:
    method = _name(raw.get("payment_method_title")) or _name(raw.get("payment_method"))
    reference = str(raw.get("transaction_id") or "").strip()[:100]
    return {
        "method": method or "WooCommerce",
        "amount": str(total),
        # date_paid is set when the gateway took the money (or the merchant marked it paid).
        "state": "captured" if raw.get("date_paid_gmt") else "authorised",
        "reference": reference or None,
    }


# --- shared -------------------------------------------------------------------------------


def _name(value: object) -> str | None:
    """A display name: HTML entities decoded (WooCommerce stores "&ndash;"), one line, cut."""
    if not isinstance(value, str):
        return None
    text = " ".join(html.unescape(value).split())
    return text[:_NAME_LIMIT] or None


def _percent(rate: Decimal) -> str:
    """A rate without trailing zeros ("7.5", "25"), as a merchant writes it."""
    text = f"{rate:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _money(value: object) -> Decimal:
    if value is None or value == "":
        return Decimal(0)
    number = Decimal(str(value))
    if not number.is_finite():
        raise Untranslatable(f"amount {value!r} is not a number")
    return number


def _valid(model: type[BaseModel], data: dict[str, Any]) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Untranslatable(describe_validation_error(exc, prefix="data.")) from None


def _occurred_at(raw: dict[str, Any], state: str) -> datetime:
    names = ("date_created_gmt", "date_modified_gmt")
    if state != "placed":
        names = ("date_modified_gmt", "date_created_gmt")
    for name in names:
        value = raw.get(name)
        if isinstance(value, str) and value:
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
    raise Untranslatable("the order has neither date_created_gmt nor date_modified_gmt")


def _envelope(
    raw: dict[str, Any], order_id: int, state: str, event_type: str, payload: BaseModel
) -> Envelope:
    return Envelope(
        event_id=event_id(order_id, state),
        type=event_type,
        schema_version=SCHEMA_VERSION,
        occurred_at=_occurred_at(raw, state),
        source=SOURCE,
        correlation_id=f"wc-order-{order_id}",
        data=payload.model_dump(mode="json"),
    )
