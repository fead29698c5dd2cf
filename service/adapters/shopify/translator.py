"""The Shopify :class:`~service.adapters.common.translating.Translator`: topic by topic.

Order topics name an order; the order is read from the Admin API and translated from
its current state (:func:`~service.adapters.shopify.translation.order_events`), so a web
hook that arrives late, twice or out of order says the same as the reconciliation
poller. A placed order's gift-card payments with a card that mirrors a Sitoo card come
with it as ``giftcard.redeem`` (:mod:`~service.adapters.shopify.giftcard_payments`).
``inventory_levels/update`` becomes ``stock.set`` only for locations whose stock
Shopify masters: levels at Sitoo-mastered locations are the service's own writes coming
back, and are not echoed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import TypeAdapter, ValidationError

from service.adapters.common.errors import ReadInterrupted
from service.adapters.common.translating import RawDelivery, Translated, Untranslatable
from service.adapters.shopify.giftcard_payments import giftcard_payments, giftcard_redeems
from service.adapters.shopify.giftcard_refunds import giftcard_refund_events, refund_card_ids
from service.adapters.shopify.refund_translation import may_have_refunds, refund_events
from service.adapters.shopify.translation import (
    LevelChange,
    NotTranslatable,
    NotYetRouted,
    legacy_id,
    order_events,
    stock_event,
)
from service.contracts.sanity import InsaneInput, load_json

if TYPE_CHECKING:
    from service.adapters.common.emitting import CanonicalEvent
    from service.adapters.shopify.models import Order, Refund
    from service.settings_shopify import ShopifySettings

ORDER_TOPICS = frozenset(
    {"orders/create", "orders/updated", "orders/paid", "orders/cancelled", "orders/fulfilled"}
)
INVENTORY_TOPIC = "inventory_levels/update"
REFUND_TOPIC = "refunds/create"
# Topics a subscription may carry that say nothing the order topics do not.
QUIET_TOPICS = frozenset({"fulfillment_orders/order_routing_complete", "app/uninstalled"})
_TIME: TypeAdapter[datetime] = TypeAdapter(datetime)


class MirroredCards(Protocol):
    """Which Shopify gift cards mirror a Sitoo card."""

    async def sitoo_cards(self, giftcard_ids: list[str]) -> dict[str, str]:
        """The Sitoo card number per Shopify card id that is a mirror."""
        ...


class ShopifyReads(Protocol):
    """The Admin API reads translation needs."""

    async def get_order(self, order_id: str) -> Order | None:
        """The order (None: not found)."""
        ...

    async def inventory_item_sku(self, inventory_item_id: str) -> tuple[bool, str | None]:
        """Whether the item exists, and its SKU."""
        ...

    async def order_refunds(self, order_id: str) -> list[Refund]:
        """The order's refunds with their lines."""
        ...


def _document(body: bytes) -> dict[str, Any]:
    try:
        # Shopify's numbers are read as they came (floats); keys named twice are refused.
        document = load_json(body, exact_numbers=False)
    except InsaneInput as exc:
        raise NotTranslatable(f"body: {exc}") from None
    if not isinstance(document, dict):
        raise NotTranslatable("body is not a JSON object")
    return document


def _id(value: object, what: str) -> str:
    text = legacy_id(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""
    if not text.isdigit():
        raise NotTranslatable(f"body has no {what} id")
    return text


def level_change(document: dict[str, Any]) -> LevelChange:
    """The level a body reports (the bare resource, or wrapped in ``inventory_level``)."""
    level = document.get("inventory_level", document)
    if not isinstance(level, dict):
        raise NotTranslatable("inventory_level is not an object")
    available = level.get("available")
    if not isinstance(available, int) or isinstance(available, bool):
        raise NotTranslatable("body has no whole number 'available'")
    try:
        updated_at = _TIME.validate_python(level.get("updated_at"))
    except ValidationError:
        raise NotTranslatable("body has no valid 'updated_at'") from None
    if updated_at.tzinfo is None:
        raise NotTranslatable("'updated_at' has no offset")
    return LevelChange(
        inventory_item_id=_id(level.get("inventory_item_id"), "inventory item"),
        location_id=_id(level.get("location_id"), "location"),
        available=available,
        updated_at=updated_at,
    )


def _now() -> datetime:
    return datetime.now(UTC)


class ShopifyTranslator:
    """Turns stored Shopify deliveries into canonical events.

    ``placement_window``: an order created longer ago than this is not placed again. The
    marks that keep an event from being appended twice expire (with the idempotency
    records); an old order that changes (a late refund, a tag) must not come back as a
    new placement after they have.
    """

    def __init__(
        self,
        shopify: ShopifyReads,
        settings: ShopifySettings,
        *,
        placement_window: timedelta | None = None,
        clock: Callable[[], datetime] = _now,
        mirrors: MirroredCards | None = None,
    ) -> None:
        self._shopify = shopify
        self._mirrors = mirrors
        self._settings = settings
        self._window = placement_window
        self._clock = clock

    async def translate(self, delivery: RawDelivery) -> Translated | Untranslatable:
        """The events a delivery stands for (Admin API failures raise WebshopErrors)."""
        try:
            if delivery.topic in ORDER_TOPICS:
                return await self._order(_document(delivery.body))
            if delivery.topic == REFUND_TOPIC:
                # The refund names its order; the order's refunds as read now say the rest.
                document = _document(delivery.body)
                wrapped = document.get("refund")  # as the REST API answers it
                if isinstance(wrapped, dict):
                    document = wrapped
                order_id = _id(document.get("order_id"), "order")
                return await self._order({"id": order_id}, refunded=True)
            if delivery.topic == INVENTORY_TOPIC:
                return await self._level(level_change(_document(delivery.body)))
        except NotTranslatable as exc:
            return Untranslatable(str(exc))
        if delivery.topic in QUIET_TOPICS:
            return Translated(note=f"{delivery.topic}: nothing to do")
        return Untranslatable(f"topic {delivery.topic or '(none)'!r} is not translated")

    async def order_state(self, order_id: str) -> Translated | Untranslatable:
        """The events of an order's current state, by numeric id or gid."""
        try:
            return await self._order({"id": order_id})
        except NotTranslatable as exc:
            return Untranslatable(str(exc))

    async def _order(self, document: dict[str, Any], *, refunded: bool = False) -> Translated:
        wrapped = document.get("order")  # a REST resource as the REST API answers it
        if isinstance(wrapped, dict):
            document = wrapped
        number = _id(document.get("admin_graphql_api_id") or document.get("id"), "order")
        order = await self._shopify.get_order(f"gid://shopify/Order/{number}")
        if order is None:
            raise NotTranslatable(f"order {number} is not in Shopify")
        place = self._window is None or self._clock() - order.created_at <= self._window
        refunds = await self._refunds(order, refunded=refunded)
        try:
            found = order_events(order, self._settings, place=place)
        except NotYetRouted as exc:
            # Fulfillment orders follow the order within moments: read it again later.
            raise ReadInterrupted(str(exc)) from None
        return await self._with_redeems(order, Translated(found.events + refunds, note=found.note))

    async def _refunds(self, order: Order, *, refunded: bool) -> tuple[CanonicalEvent, ...]:
        if not refunded and not may_have_refunds(order):
            return ()
        # Like placements, refunds older than the window are not sent again: the marks that
        # keep an event from being appended twice are gone by then.
        since = None if self._window is None else self._clock() - self._window
        found = await self._shopify.order_refunds(order.id)
        events = refund_events(order, found, self._settings, since=since)
        card_ids = refund_card_ids(order)
        if not card_ids or self._mirrors is None:
            return events
        cards = await self._mirrors.sitoo_cards(card_ids)
        return events + giftcard_refund_events(order, found, cards, since=since)

    async def _with_redeems(self, order: Order, translated: Translated) -> Translated:
        """Add the redemptions of mirrored gift cards; they go with the order's placement."""
        payments = giftcard_payments(order)
        if not payments or all(e.envelope.type != "order.placed" for e in translated.events):
            return translated
        ids = [p.gift_card_id for p in payments if p.gift_card_id is not None]
        cards = await self._mirrors.sitoo_cards(ids) if self._mirrors is not None else {}
        redeems = giftcard_redeems(order, cards)
        note = "; ".join(n for n in (translated.note, redeems.note) if n)
        return Translated((*translated.events, *redeems.events), note=note)

    async def _level(self, change: LevelChange) -> Translated:
        mapping = self._settings.location(change.location_id)
        if mapping is None:
            return Translated(note=f"location {change.location_id} is not mapped")
        if mapping.stock_master != "shopify":
            return Translated(note=f"Sitoo masters location {change.location_id}: not echoed")
        item = f"gid://shopify/InventoryItem/{change.inventory_item_id}"
        exists, sku = await self._shopify.inventory_item_sku(item)
        if not exists:
            raise NotTranslatable(f"inventory item {change.inventory_item_id} is not in Shopify")
        if sku is None:
            raise NotTranslatable(f"inventory item {change.inventory_item_id} has no SKU")
        return Translated((stock_event(change, sku, mapping),))
