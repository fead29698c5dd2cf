"""Typed results of the Admin API calls (tolerant of fields Shopify adds) and write inputs."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from service.adapters.shopify.errors import UnexpectedResponse

T = TypeVar("T")


class ShopifyModel(BaseModel):
    """A Shopify object as read: unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class Money(ShopifyModel):
    """MoneyV2."""

    amount: Decimal
    currency_code: str


class Shop(ShopifyModel):
    """The shop the token belongs to."""

    name: str
    domain: str
    currency_code: str


class Location(ShopifyModel):
    """A location (store or warehouse)."""

    id: str
    legacy_id: int
    name: str
    is_active: bool


class VariantRef(ShopifyModel):
    """A variant found by SKU and its inventory item."""

    id: str
    sku: str | None
    inventory_item_id: str


@dataclass(frozen=True, slots=True)
class QuantityChange:
    """One absolute quantity to set; ``change_from`` is the expected current value (None: skip)."""

    inventory_item_id: str
    location_id: str
    quantity: int
    change_from: int | None


class LocationLevel(ShopifyModel):
    """An item's ``available`` at a location and when the level last changed."""

    inventory_item_legacy_id: int
    available: int
    updated_at: datetime


class LocationLevelPage(ShopifyModel):
    """One page of a location's levels and where the next starts."""

    levels: tuple[LocationLevel, ...]
    end_cursor: str | None
    has_next_page: bool


class AppliedChange(ShopifyModel):
    """One change of an inventory adjustment group."""

    name: str
    delta: int
    quantity_after: int | None = None
    inventory_item_id: str | None = None
    location_id: str | None = None


class InventorySetResult(ShopifyModel):
    """What one inventorySetQuantities call did (``group_id`` None: found by reading back)."""

    group_id: str | None
    changes: tuple[AppliedChange, ...] = ()


class LineItem(ShopifyModel):
    """An order line."""

    id: str
    sku: str | None
    name: str
    quantity: int
    current_quantity: int
    variant_id: str | None = None
    unit_price: Money | None = None
    is_gift_card: bool = False


class FulfillmentOrder(ShopifyModel):
    """Where and how an order's lines are fulfilled."""

    id: str
    status: str
    method_type: str | None
    location_id: str | None
    location_legacy_id: int | None = None
    location_name: str | None = None

    @property
    def is_pickup(self) -> bool:
        """Picked up by the customer at ``location_id`` (DeliveryMethodType PICK_UP)."""
        return self.method_type == "PICK_UP"


class ShippingCharge(ShopifyModel):
    """The order's shipping line."""

    title: str
    price: Money


class MailingAddress(ShopifyModel):
    """A shipping address (every part optional, as in Shopify)."""

    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    zip: str | None = None
    country_code: str | None = None


class OrderTransaction(ShopifyModel):
    """A payment, refund, ...; gift-card payments carry the card in the receipt."""

    id: str
    kind: str
    status: str
    gateway: str | None
    amount: Money
    receipt: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime | None = None
    parent_id: str | None = None  # a refund's: the payment it gives money back to

    @property
    def gift_card_id(self) -> str | None:
        """The gid of the gift card this transaction used, if it is a gift-card one."""
        value = self.receipt.get("gift_card_id")
        return None if value is None else f"gid://shopify/GiftCard/{value}"


class Order(ShopifyModel):
    """An order with its lines, fulfillment orders and transactions."""

    id: str
    legacy_id: int
    name: str
    created_at: datetime
    updated_at: datetime
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    closed: bool = False
    note: str | None = None
    tags: tuple[str, ...] = ()
    email: str | None = None
    financial_status: str | None = None
    fulfillment_status: str | None = None
    currency_code: str
    total_price: Money
    line_items: tuple[LineItem, ...] = ()
    fulfillment_orders: tuple[FulfillmentOrder, ...] = ()
    transactions: tuple[OrderTransaction, ...] = ()
    shipping: ShippingCharge | None = None
    shipping_address: MailingAddress | None = None


class OrderSummary(ShopifyModel):
    """An order as a list shows it."""

    id: str
    legacy_id: int
    name: str
    created_at: datetime
    updated_at: datetime
    cancelled_at: datetime | None = None


class OrderPage(ShopifyModel):
    """One page of orders and where the next starts."""

    orders: tuple[OrderSummary, ...]
    end_cursor: str | None
    has_next_page: bool


class RefundLine(ShopifyModel):
    """Units of one line given back."""

    line_item_id: str
    sku: str | None
    quantity: int
    restock_type: str
    location_id: str | None = None


class Refund(ShopifyModel):
    """A refund of an order."""

    id: str
    created_at: datetime | None
    note: str | None
    total: Money
    lines: tuple[RefundLine, ...] = ()
    transactions: tuple[OrderTransaction, ...] = ()


class GiftCard(ShopifyModel):
    """A gift card (never its code, which Shopify shows only at creation)."""

    id: str
    legacy_id: int
    enabled: bool
    balance: Money
    initial_value: Money
    last_characters: str
    note: str | None = None
    expires_on: str | None = None
    deactivated_at: datetime | None = None


class CreatedGiftCard(ShopifyModel):
    """A card just issued, with the code that will never be shown again."""

    gift_card: GiftCard
    code: str


class GiftCardTransaction(ShopifyModel):
    """A credit (positive amount) or debit (negative amount) of a card."""

    id: str
    kind: str  # "credit" or "debit"
    amount: Money
    note: str | None = None
    processed_at: datetime | None = None


class GiftCardAdjustment(ShopifyModel):
    """The outcome of a credit or debit: the transaction, and whether this call made it."""

    transaction: GiftCardTransaction
    applied_now: bool


class WebhookSubscription(ShopifyModel):
    """A shop-specific web-hook subscription."""

    id: str
    topic: str
    uri: str | None = None


def money(raw: Any) -> Money:  # noqa: ANN401 - raw JSON
    """MoneyV2 from JSON (also accepts a MoneyBag's shopMoney)."""
    if isinstance(raw, dict) and "shopMoney" in raw:
        raw = raw["shopMoney"]
    return Money(amount=raw["amount"], currency_code=raw["currencyCode"])


def receipt(raw: Any) -> dict[str, Any]:  # noqa: ANN401 - raw JSON
    """receiptJson as a dict (Shopify sends it as a JSON string)."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    return raw if isinstance(raw, dict) else {}


def parsed(build: Callable[[Any], T], raw: Any, *, what: str) -> T:  # noqa: ANN401 - raw JSON
    """Run a builder on raw JSON, turning shape errors into UnexpectedResponse."""
    try:
        result: T = build(raw)
    except (KeyError, TypeError, ValueError, ValidationError) as exc:
        raise UnexpectedResponse(
            f"{what}: unexpected answer shape ({type(exc).__name__}: {exc})"
        ) from None
    return result
