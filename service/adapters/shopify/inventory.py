"""Inventory calls: variants by SKU, levels per location, batched compare-and-set writes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from service.adapters.shopify import queries
from service.adapters.shopify.calls import ShopifyCalls, nodes
from service.adapters.shopify.models import (
    AppliedChange,
    InventorySetResult,
    LocationLevel,
    LocationLevelPage,
    QuantityChange,
    VariantRef,
    parsed,
)
from service.adapters.shopify.protocol import raise_user_errors, user_errors
from service.adapters.shopify.references import batch_key

_SKU_BATCH = 50


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _quantities(
    version: str, changes: Sequence[QuantityChange]
) -> tuple[list[dict[str, Any]], bool]:
    """The quantities input, and ignoreCompareQuantity for versions before 2026-01."""
    if version >= "2026-01":
        # The key must be present on every quantity from 2026-04: null skips the check.
        return [
            {
                "inventoryItemId": c.inventory_item_id,
                "locationId": c.location_id,
                "quantity": c.quantity,
                "changeFromQuantity": c.change_from,
            }
            for c in changes
        ], False
    skip = [c.change_from is None for c in changes]
    if any(skip) and not all(skip):
        raise ValueError("before 2026-01 a batch either compares every quantity or none")
    entries = []
    for c in changes:
        entry: dict[str, Any] = {
            "inventoryItemId": c.inventory_item_id,
            "locationId": c.location_id,
            "quantity": c.quantity,
        }
        if c.change_from is not None:
            entry["compareQuantity"] = c.change_from
        entries.append(entry)
    return entries, all(skip)


def _result(payload: Any) -> InventorySetResult:  # noqa: ANN401 - raw JSON
    group = payload.get("inventoryAdjustmentGroup") or {}
    return InventorySetResult(
        group_id=group.get("id"),
        changes=tuple(
            AppliedChange(
                name=c["name"],
                delta=c["delta"],
                quantity_after=c.get("quantityAfterChange"),
                inventory_item_id=(c.get("item") or {}).get("id"),
                location_id=(c.get("location") or {}).get("id"),
            )
            for c in group.get("changes") or []
        ),
    )


class InventoryCalls(ShopifyCalls):
    """The inventory half of the client."""

    async def variants_by_sku(self, skus: Iterable[str]) -> dict[str, list[VariantRef]]:
        """Variants per SKU (SKUs are not unique in Shopify: 0..n each), 50 SKUs per query."""
        wanted = list(dict.fromkeys(skus))
        found: dict[str, list[VariantRef]] = {sku: [] for sku in wanted}
        for chunk in _chunks(wanted, _SKU_BATCH):
            for sku in chunk:
                if '"' in sku or "\\" in sku:
                    raise ValueError(f"SKU {sku!r} cannot be searched for")
            query = " OR ".join(f'sku:"{sku}"' for sku in chunk)
            after: str | None = None
            while True:
                data = await self._engine.query(
                    queries.VARIANTS_BY_SKU,
                    {"query": query, "first": queries.VARIANTS_PAGE, "after": after},
                )
                connection = data["productVariants"]
                for node in nodes(connection):
                    ref = parsed(
                        lambda n: VariantRef(
                            id=n["id"], sku=n.get("sku"), inventory_item_id=n["inventoryItem"]["id"]
                        ),
                        node,
                        what="productVariants",
                    )
                    # Shopify's search is looser than equality; keep exact matches only.
                    if ref.sku in found:
                        found[ref.sku].append(ref)
                page = connection.get("pageInfo") or {}
                if not page.get("hasNextPage"):
                    break
                after = page.get("endCursor")
        return found

    async def inventory_levels(
        self,
        location_id: str,
        inventory_item_ids: Iterable[str],
        *,
        names: Sequence[str] = ("available",),
    ) -> dict[str, dict[str, int] | None]:
        """Named quantities per item at one location (None: the item is not stocked there)."""
        ids = list(dict.fromkeys(inventory_item_ids))
        levels: dict[str, dict[str, int] | None] = dict.fromkeys(ids)
        for chunk in _chunks(ids, queries.LEVELS_BATCH):
            data = await self._engine.query(
                queries.INVENTORY_LEVELS,
                {"ids": list(chunk), "locationId": location_id, "names": list(names)},
            )
            for node in data["nodes"] or []:
                if not isinstance(node, dict) or "id" not in node:
                    continue
                level = node.get("inventoryLevel")
                levels[node["id"]] = (
                    None
                    if level is None
                    else {q["name"]: int(q["quantity"]) for q in level.get("quantities") or []}
                )
        return levels

    async def set_inventory_quantities(
        self,
        changes: Sequence[QuantityChange],
        *,
        idempotency_key: str,
        name: str = "available",
        reason: str = "correction",
        reference_document_uri: str | None = None,
    ) -> list[InventorySetResult]:
        """Set absolute quantities with compare-and-set, ``batch_size`` per call.

        From 2026-01 each batch carries ``@idempotent(key:)`` derived from
        ``idempotency_key`` and its index, so a batch whose answer was lost is simply
        sent again and Shopify answers the first result. Before 2026-01 there is no key:
        a lost answer is settled by reading the levels back. A refused compare raises
        StaleQuantities (re-read and decide again); other refusals raise UserErrors.
        """
        results: list[InventorySetResult] = []
        for index, batch in enumerate(_chunks(list(changes), self._batch_size)):
            quantities, ignore = _quantities(self.version, batch)
            data: dict[str, Any] = {"name": name, "reason": reason, "quantities": quantities}
            if reference_document_uri is not None:
                data["referenceDocumentUri"] = reference_document_uri
            if self.version < "2026-01":
                data["ignoreCompareQuantity"] = ignore
            results.append(
                await self._set_batch(batch, data, batch_key(idempotency_key, index), name)
            )
        return results

    async def _set_batch(
        self, batch: Sequence[QuantityChange], data: Mapping[str, Any], key: str, name: str
    ) -> InventorySetResult:
        operation = queries.set_quantities(self.version)
        variables: dict[str, Any] = {"input": dict(data)}
        if self.version >= "2026-01":
            variables["key"] = key

            answer = await self._engine.mutate(operation, variables, repeatable=True)
            payload = answer["inventorySetQuantities"]
            raise_user_errors(user_errors(payload), what="inventorySetQuantities")
            return _result(payload)

        async def write() -> InventorySetResult:
            answer = await self._engine.mutate(operation, variables, repeatable=False)
            payload = answer["inventorySetQuantities"]
            raise_user_errors(user_errors(payload), what="inventorySetQuantities")
            return _result(payload)

        async def read_back() -> InventorySetResult | None:
            return await self._already_set(batch, name)

        return await self._engine.write_once(
            "inventorySetQuantities", write=write, reconcile=read_back
        )

    async def _already_set(
        self, batch: Sequence[QuantityChange], name: str
    ) -> InventorySetResult | None:
        """A result when every quantity of the batch already has its target value."""
        by_location: dict[str, list[QuantityChange]] = {}
        for change in batch:
            by_location.setdefault(change.location_id, []).append(change)
        for location_id, group in by_location.items():
            levels = await self.inventory_levels(
                location_id, [c.inventory_item_id for c in group], names=(name,)
            )
            for change in group:
                current = levels.get(change.inventory_item_id)
                if current is None or current.get(name) != change.quantity:
                    return None
        return InventorySetResult(group_id=None, changes=())

    async def location_levels(
        self, location_id: str, *, after: str | None = None
    ) -> LocationLevelPage:
        """One page of every ``available`` level at a location, with when each changed."""
        data = await self._engine.query(
            queries.LOCATION_LEVELS,
            {"id": location_id, "first": queries.LOCATION_LEVELS_PAGE, "after": after},
        )
        connection = (data.get("location") or {}).get("inventoryLevels") or {}
        page = connection.get("pageInfo") or {}

        def level(raw: Any) -> LocationLevel:  # noqa: ANN401 - raw JSON
            quantities = {q["name"]: int(q["quantity"]) for q in raw.get("quantities") or []}
            return LocationLevel(
                inventory_item_legacy_id=int(raw["item"]["legacyResourceId"]),
                available=quantities["available"],
                updated_at=raw["updatedAt"],
            )

        return LocationLevelPage(
            levels=tuple(parsed(level, raw, what="inventoryLevels") for raw in nodes(connection)),
            end_cursor=page.get("endCursor"),
            has_next_page=bool(page.get("hasNextPage")),
        )

    async def inventory_item_sku(self, inventory_item_id: str) -> tuple[bool, str | None]:
        """Whether the inventory item exists, and its SKU (None or empty: it has none)."""
        data = await self._engine.query(queries.INVENTORY_ITEM, {"id": inventory_item_id})
        raw = data.get("inventoryItem")
        if not isinstance(raw, dict):
            return False, None
        sku = raw.get("sku")
        return True, sku if isinstance(sku, str) and sku else None

    async def activate_inventory(self, inventory_item_id: str, location_id: str) -> None:
        """Stock an item at a location (needed before its quantity there can be set)."""
        answer = await self._engine.mutate(
            queries.INVENTORY_ACTIVATE,
            {"inventoryItemId": inventory_item_id, "locationId": location_id},
            repeatable=True,  # activating twice leaves the same single level
        )
        raise_user_errors(user_errors(answer["inventoryActivate"]), what="inventoryActivate")
