"""inventorySetQuantities' checks per API version (FACTS.md §5.2), as a plan or userErrors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from service.fakes.shopify.access import user_error
from service.fakes.shopify.catalog import Catalog, InventoryLevel
from service.fakes.shopify.ids import number_of

SETTABLE = ("available", "on_hand")
LIMIT = 1_000_000_000
REASONS = frozenset(
    {
        "correction",
        "cycle_count_available",
        "damaged",
        "movement_created",
        "movement_updated",
        "movement_received",
        "movement_canceled",
        "other",
        "promotion",
        "quality_control",
        "received",
        "reservation_created",
        "reservation_deleted",
        "reservation_updated",
        "restock",
        "safety_stock",
        "shrinkage",
    }
)


class MissingChangeFrom(Exception):
    """From 2026-04 every quantity must carry the changeFromQuantity key (null to skip)."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


@dataclass(frozen=True)
class PlannedSet:
    """One quantity to set, checked."""

    level: InventoryLevel
    quantity: int
    current: int


def _field(index: int, name: str) -> list[str]:
    return ["input", "quantities", str(index), name]


def _compare(
    version: str, data: dict[str, Any], quantity: dict[str, Any], index: int, current: int
) -> dict[str, Any] | None:
    """The compare-and-set error of one quantity, if any."""
    if version >= "2026-04" and "changeFromQuantity" not in quantity:
        raise MissingChangeFrom(index)
    if version >= "2026-01" and "changeFromQuantity" in quantity:
        expected = quantity["changeFromQuantity"]
        if expected is not None and expected != current:
            return user_error(
                "The changeFromQuantity does not match the current quantity.",
                _field(index, "changeFromQuantity"),
                "CHANGE_FROM_QUANTITY_STALE",
            )
        return None
    if data.get("ignoreCompareQuantity"):
        return None
    if quantity.get("compareQuantity") is None:
        return user_error(
            "The compareQuantity argument must be given to each quantity or ignored using "
            "ignoreCompareQuantity.",
            _field(index, "compareQuantity"),
            "COMPARE_QUANTITY_REQUIRED",
        )
    if quantity["compareQuantity"] != current:
        return user_error(
            "The specified compare quantity is stale.",
            _field(index, "compareQuantity"),
            "COMPARE_QUANTITY_STALE",
        )
    return None


def _header_errors(data: dict[str, Any]) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    if data["name"] not in SETTABLE:
        errors.append(
            user_error(
                "The quantity name must be either 'available' or 'on_hand'.",
                ["input", "name"],
                "INVALID_NAME",
            )
        )
    if data["reason"] not in REASONS:
        errors.append(
            user_error("The specified reason is invalid.", ["input", "reason"], "INVALID_REASON")
        )
    uri = data.get("referenceDocumentUri")
    if uri is not None and (":" not in uri or uri.startswith(":") or " " in uri):
        errors.append(
            user_error(
                "The specified reference document is invalid.",
                ["input", "referenceDocumentUri"],
                "INVALID_REFERENCE_DOCUMENT",
            )
        )
    return errors


def plan(
    catalog: Catalog, version: str, data: dict[str, Any]
) -> tuple[list[PlannedSet], list[dict[str, Any]]]:
    """The checked plan, or the userErrors that refuse the whole call (nothing is applied)."""
    errors = _header_errors(data)
    planned: list[PlannedSet] = []
    seen: set[tuple[int, int]] = set()
    name = data["name"] if data["name"] in SETTABLE else "available"
    for index, quantity in enumerate(data["quantities"]):
        item = number_of(quantity["inventoryItemId"], "InventoryItem")
        place = number_of(quantity["locationId"], "Location")
        if item is None or item not in catalog.items:
            errors.append(
                user_error(
                    "The specified inventory item could not be found.",
                    _field(index, "inventoryItemId"),
                    "INVALID_INVENTORY_ITEM",
                )
            )
            continue
        if place is None or place not in catalog.locations:
            errors.append(
                user_error(
                    "The specified location could not be found.",
                    _field(index, "locationId"),
                    "INVALID_LOCATION",
                )
            )
            continue
        if (item, place) in seen:
            errors.append(
                user_error(
                    "The combination of inventoryItemId and locationId must be unique.",
                    _field(index, "locationId"),
                    "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
                )
            )
            continue
        seen.add((item, place))
        level = catalog.level(item, place)
        if level is None:
            errors.append(
                user_error(
                    "The specified inventory item is not stocked at the location.",
                    _field(index, "locationId"),
                    "ITEM_NOT_STOCKED_AT_LOCATION",
                )
            )
            continue
        value = quantity["quantity"]
        if value > LIMIT:
            errors.append(
                user_error(
                    f"The quantity can't be higher than {LIMIT:,}.",
                    _field(index, "quantity"),
                    "INVALID_QUANTITY_TOO_HIGH",
                )
            )
            continue
        if value < -LIMIT:
            errors.append(
                user_error(
                    f"The quantity can't be lower than -{LIMIT:,}.",
                    _field(index, "quantity"),
                    "INVALID_QUANTITY_TOO_LOW",
                )
            )
            continue
        if name == "on_hand" and value < 0:
            errors.append(
                user_error(
                    "The on_hand quantity can't be negative.",
                    _field(index, "quantity"),
                    "INVALID_QUANTITY_NEGATIVE",
                )
            )
            continue
        current = level.quantity(name)
        stale = _compare(version, data, quantity, index, current)
        if stale is not None:
            errors.append(stale)
            continue
        planned.append(PlannedSet(level, value, current))
    return planned, errors
