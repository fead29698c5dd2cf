"""inventorySetQuantities (compare-and-set, @idempotent) and inventoryActivate."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo
from graphql.execution.values import get_directive_values

from service.fakes.shopify import inventory_rules
from service.fakes.shopify.access import context, require, user_error
from service.fakes.shopify.clock import iso
from service.fakes.shopify.ids import gid, number_of
from service.fakes.shopify.pagination import MAX_PAGE
from service.fakes.shopify.views_catalog import inventory_item, inventory_level, location


def idempotency_key(info: GraphQLResolveInfo) -> str | None:
    """The key of @idempotent(key:) on this field, if the version has the directive."""
    directive = info.schema.get_directive("idempotent")
    if directive is None:
        return None
    values = get_directive_values(directive, info.field_nodes[0], info.variable_values)
    return None if values is None else str(values["key"])


def _changes(plan: list[inventory_rules.PlannedSet], name: str) -> list[dict[str, Any]]:
    changes: list[dict[str, Any]] = []
    for planned in plan:
        delta = planned.quantity - planned.current
        level = planned.level
        other = "on_hand" if name == "available" else "available"
        changes.extend(
            {
                "name": quantity_name,
                "delta": delta,
                "quantityAfterChange": level.quantity(quantity_name),
                "ledgerDocumentUri": None,
                "item_number": level.item,
                "location_number": level.location,
            }
            for quantity_name in (name, other)
        )
    return changes


def _apply(info: GraphQLResolveInfo, data: dict[str, Any], key: str | None) -> dict[str, Any]:
    ctx = context(info)
    shop = ctx.shop
    planned, errors = inventory_rules.plan(shop.catalog, ctx.version, data)
    if errors:
        return {"inventoryAdjustmentGroup": None, "userErrors": errors}
    for item in planned:
        shop.catalog.change(item.level, data["name"], item.quantity - item.current)
    number = shop.ids.next("InventoryAdjustmentGroup")
    changes = _changes(planned, data["name"])
    shop.ledger.record(
        "inventory.set",
        key or f"InventoryAdjustmentGroup/{number}",
        name=data["name"],
        reason=data["reason"],
        reference_document_uri=data.get("referenceDocumentUri"),
        quantities=[
            {
                "inventory_item_id": p.level.item,
                "location_id": p.level.location,
                "quantity": p.quantity,
                "delta": p.quantity - p.current,
            }
            for p in planned
        ],
    )
    for item in planned:
        shop.emit("inventory_levels/update", "InventoryLevel", item.level.number)
    created = iso(shop.clock.now())

    def resolve_changes(
        info: GraphQLResolveInfo,
        inventoryItemIds: list[str] | None = None,
        locationIds: list[str] | None = None,
        quantityNames: list[str] | None = None,
    ) -> list[dict[str, Any]]:
        chosen = [
            c
            for c in changes
            if (
                inventoryItemIds is None
                or gid("InventoryItem", c["item_number"]) in inventoryItemIds
            )
            and (locationIds is None or gid("Location", c["location_number"]) in locationIds)
            and (quantityNames is None or c["name"] in quantityNames)
        ]
        return [
            {
                **c,
                "item": inventory_item(shop, shop.catalog.items[c["item_number"]]),
                "location": location(shop, shop.catalog.locations[c["location_number"]]),
            }
            for c in chosen
        ]

    group = {
        "__typename": "InventoryAdjustmentGroup",
        "id": gid("InventoryAdjustmentGroup", number),
        "createdAt": created,
        "reason": data["reason"],
        "referenceDocumentUri": data.get("referenceDocumentUri"),
        "changes": resolve_changes,
    }
    return {"inventoryAdjustmentGroup": group, "userErrors": []}


def _replayed(info: GraphQLResolveInfo, key: str, data: dict[str, Any]) -> dict[str, Any] | None:
    """The answer for a key seen before, or None for a new key."""
    ctx = context(info)
    keys = ctx.shop.idempotency
    remembered = keys.recall(ctx.app, key)
    if remembered is None:
        return None
    if remembered.fingerprint != keys.fingerprint("inventorySetQuantities", data):
        error = user_error(
            "The same idempotency key was used with different parameters.",
            ["idempotencyKey"],
            "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
        )
        return {"inventoryAdjustmentGroup": None, "userErrors": [error]}
    if remembered.failed and ctx.version >= "2026-04":
        error = user_error(
            "The previous attempt with this idempotency key failed. Retry with a new key.",
            ["idempotencyKey"],
            "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED",
        )
        return {"inventoryAdjustmentGroup": None, "userErrors": [error]}
    result: dict[str, Any] = remembered.result
    return result


def inventory_set_quantities(info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
    """Set absolute quantities, all or nothing."""
    require(info, "write_inventory")
    ctx = context(info)
    if len(input["quantities"]) > MAX_PAGE:
        raise GraphQLError(
            f"The input array size of {len(input['quantities'])} is greater than the maximum "
            f"allowed of {MAX_PAGE}.",
            extensions={"code": "MAX_INPUT_SIZE_EXCEEDED"},
        )
    key = idempotency_key(info)
    if key is None and ctx.version >= "2026-04":
        # FACTS.md §10.6/§10.8: required from 2026-04; refused as a request-level error.
        raise GraphQLError(
            "The @idempotent directive is required for this mutation.",
            extensions={"code": "BAD_REQUEST"},
        )
    if key is not None:
        replay = _replayed(info, key, input)
        if replay is not None:
            return replay
    try:
        result = _apply(info, input, key)
    except inventory_rules.MissingChangeFrom as missing:
        raise GraphQLError(
            f"Variable $input.quantities.{missing.index}.changeFromQuantity must be provided: "
            "pass the expected current quantity, or null to skip the check.",
            extensions={"code": "INVALID_VARIABLE"},
        ) from None
    if key is not None:
        fingerprint = ctx.shop.idempotency.fingerprint("inventorySetQuantities", input)
        ctx.shop.idempotency.remember(
            ctx.app, key, fingerprint, result, failed=bool(result["userErrors"])
        )
    return result


def inventory_activate(
    info: GraphQLResolveInfo,
    inventoryItemId: str,
    locationId: str,
    available: int | None = None,
) -> dict[str, Any]:
    """Stock an item at a location (a level at 0, or ``available``)."""
    require(info, "write_inventory")
    shop = context(info).shop
    item = number_of(inventoryItemId, "InventoryItem")
    place = number_of(locationId, "Location")
    if item is None or item not in shop.catalog.items:
        return {
            "inventoryLevel": None,
            "userErrors": [user_error("Inventory item does not exist", ["inventoryItemId"])],
        }
    if place is None or place not in shop.catalog.locations:
        return {
            "inventoryLevel": None,
            "userErrors": [user_error("Location does not exist", ["locationId"])],
        }
    existed = shop.catalog.level(item, place) is not None
    level = shop.catalog.stock(item, place)
    if not existed:
        if available:
            shop.catalog.change(level, "available", available)
        shop.ledger.record(
            "inventory.activate", f"InventoryLevel/{level.number}", available=available
        )
    return {"inventoryLevel": inventory_level(shop, level), "userErrors": []}
