"""Shopify's id bases and time formats (the clock itself is the shared one)."""

from __future__ import annotations

from datetime import UTC, datetime

from service.fakes.common.clock import IdSequence as _IdSequence

# Large bases so the ids look like Shopify's.
_BASES = {
    "Location": 70_000_000_001,
    "Product": 80_000_000_001,
    "ProductVariant": 81_000_000_001,
    "InventoryItem": 82_000_000_001,
    "InventoryLevel": 83_000_000_001,
    "Order": 5_500_000_000_001,
    "LineItem": 14_000_000_000_001,
    "FulfillmentOrder": 6_600_000_000_001,
    "FulfillmentOrderLineItem": 15_000_000_000_001,
    "Fulfillment": 5_100_000_000_001,
    "OrderTransaction": 7_100_000_000_001,
    "Refund": 9_100_000_000_001,
    "RefundLineItem": 9_200_000_000_001,
    "GiftCard": 600_000_000_001,
    "GiftCardTransaction": 610_000_000_001,
    "WebhookSubscription": 1_400_000_000_001,
    "Job": 1,
    "InventoryAdjustmentGroup": 30_000_000_001,
    "DeliveryMethod": 40_000_000_001,
}


class IdSequence(_IdSequence):
    """Monotonic integer ids per kind, from Shopify-looking bases."""

    def __init__(self) -> None:
        super().__init__(_BASES)


def iso(seconds: float) -> str:
    """Shopify's DateTime: ISO 8601 in UTC with a Z, whole seconds."""
    return datetime.fromtimestamp(int(seconds), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_precise(seconds: float) -> str:
    """X-Shopify-Triggered-At: ISO 8601 in UTC with fractional seconds."""
    return (
        datetime.fromtimestamp(seconds, UTC)
        .isoformat(timespec="microseconds")
        .replace("+00:00", "Z")
    )


def rest_time(seconds: float) -> str:
    """The REST/web-hook time format: ISO 8601 with an offset."""
    return datetime.fromtimestamp(int(seconds), UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def parse_time(text: str) -> float:
    """An ISO 8601 date or time (Z or offset; a bare date is midnight UTC) as Unix seconds."""
    value = datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()
