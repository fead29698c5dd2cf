"""An order resource's canonical events: its state's events, and one per refund it lists.

Shared by the web-hook consumer and the reconciliation poller, so both derive the same
events from the same order. The state's events come from :mod:`.translate` (pure); the
refunds' lines and amounts are read through the client (``GET /orders/<id>/refunds``) only
when the order lists refunds and has reached a status that makes events. A failed read
raises the client's ``WebshopError``: retried, or dead-lettered when it is permanent.

Refunds go before the state's own event: ``order.placed`` first (a refund needs the Sitoo
order), then the refunds, then ``order.cancelled`` for a ``refunded`` order. One part that
cannot be translated makes the whole order untranslatable, with the reason, so a replay
derives every event again (those already appended are not appended twice).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from service.adapters.common.emitting import CanonicalEvent
from service.adapters.common.translating import Translated, Untranslatable
from service.adapters.woocommerce.models import Refund
from service.adapters.woocommerce.refunds import listed_refund_ids, refund_events
from service.adapters.woocommerce.translate import (
    CANCELLED_STATUSES,
    PLACED_STATUSES,
    PickupMap,
    translate_order,
)
from service.adapters.woocommerce.translate import Untranslatable as Unusable
from service.contracts.envelope import Envelope
from service.contracts.registry import Channel

_PLACED = "order.placed"


class RefundReader(Protocol):
    """Where an order's refunds are read (the WooCommerce client)."""

    async def order_refunds(self, order_id: int) -> list[Refund]:
        """Every refund of the order."""
        ...


@dataclass(frozen=True, slots=True)
class OrderTranslator:
    """Translates order resources; refunds read through ``refunds``."""

    pickups: PickupMap
    refunds: RefundReader
    restock_warehouse_id: int | None = None

    async def of(self, raw: object) -> Translated | Untranslatable:
        """The events of one order resource (a web-hook body or a REST answer)."""
        translation = translate_order(raw, self.pickups)
        if translation.untranslatable is not None:
            return Untranslatable(translation.untranslatable)
        order_id = translation.order_id
        assert isinstance(raw, dict)  # noqa: S101 - translate_order refused anything else
        if order_id is None or raw.get("status") not in PLACED_STATUSES | CANCELLED_STATUSES:
            return self._translated(translation.events, translation.ignored)
        try:
            listed = listed_refund_ids(raw)
            refunded: tuple[Envelope, ...] = ()
            if listed:
                found = await self.refunds.order_refunds(order_id)
                refunded = refund_events(
                    raw, order_id, found, restock_warehouse_id=self.restock_warehouse_id
                )
        except Unusable as exc:
            return Untranslatable(f"order {order_id}: {exc}")
        placed = tuple(e for e in translation.events if e.type == _PLACED)
        rest = tuple(e for e in translation.events if e.type != _PLACED)
        return self._translated(placed + refunded + rest, translation.ignored)

    @staticmethod
    def _translated(events: tuple[Envelope, ...], ignored: str | None) -> Translated:
        return Translated(tuple(CanonicalEvent(Channel.ORDERS, e) for e in events), ignored or "")
