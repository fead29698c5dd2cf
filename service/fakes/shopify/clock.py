"""The fake's clock (injectable, with an offset), its id counters and Shopify's time formats."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime


class Clock:
    """Seconds from a time source plus an offset tests and the admin API can move."""

    def __init__(self, source: Callable[[], float] = time.time) -> None:
        self._source = source
        self.offset_s = 0.0

    def now(self) -> float:
        """The fake's current time in Unix seconds."""
        return self._source() + self.offset_s

    def advance(self, seconds: float) -> None:
        """Move the fake's time forward (or back, if negative)."""
        self.offset_s += seconds

    def set_offset(self, seconds: float) -> None:
        """Set the offset from the time source outright."""
        self.offset_s = seconds


class IdSequence:
    """Monotonic integer ids per kind; large bases so they look like Shopify's."""

    _BASES = {  # noqa: RUF012 - constant table
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

    def __init__(self) -> None:
        self._last: dict[str, int] = {}

    def next(self, kind: str) -> int:
        """The next id of this kind."""
        value = self._last.get(kind, self._BASES.get(kind, 1) - 1) + 1
        self._last[kind] = value
        return value


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
