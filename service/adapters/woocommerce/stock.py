"""Stock to WooCommerce: absolute quantities through the batch endpoints, read item by item.

WooCommerce has no compare-and-set and no idempotency key. An absolute quantity is safe to
send again: a repeat leaves the same number. So a batch whose answer is lost is simply sent
again (``repeatable``). What a repeat cannot fix is a checkout that sold a unit between
Sitoo's count and our write: the absolute value overwrites that sale with or without
repeats. The next stock event or reconciliation corrects it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from service.adapters.woocommerce.catalog import CatalogCalls
from service.adapters.woocommerce.models import ProductRef

Outcome = Literal["set", "not_managed", "parent_manages", "unknown_sku", "rejected"]


@dataclass(frozen=True, slots=True)
class StockLevel:
    """The quantity one SKU should show in the shop."""

    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class StockResult:
    """What happened to one SKU's quantity."""

    sku: str
    outcome: Outcome
    quantity: int | None = None  # the quantity the shop now shows, when it answered one
    code: str | None = None  # WooCommerce's error code, for a rejected item
    message: str | None = None


@dataclass(frozen=True, slots=True)
class StockReport:
    """The outcome of one stock write, per SKU."""

    results: tuple[StockResult, ...]

    def by_outcome(self, outcome: Outcome) -> list[StockResult]:
        """The results with this outcome."""
        return [r for r in self.results if r.outcome == outcome]


def _path(ref: ProductRef) -> str:
    return f"products/{ref.parent_id}/variations/batch" if ref.is_variation else "products/batch"


class StockCalls(CatalogCalls):
    """The stock half of the client."""

    async def set_stock(self, levels: Iterable[StockLevel]) -> StockReport:
        """Set each SKU's quantity (absolute). Only products that manage stock are written:
        WooCommerce would silently ignore the others (FACTS.md §5.2)."""
        wanted = {level.sku: level.quantity for level in levels}
        refs = await self.products_by_sku(wanted)
        results: list[StockResult] = []
        groups: dict[str, list[tuple[ProductRef, int]]] = {}
        for sku, quantity in wanted.items():
            ref = refs.get(sku)
            if ref is None:
                results.append(StockResult(sku, "unknown_sku"))
            elif ref.manage_stock == "parent":
                results.append(StockResult(sku, "parent_manages"))
            elif not ref.manage_stock:
                results.append(StockResult(sku, "not_managed"))
            else:
                groups.setdefault(_path(ref), []).append((ref, quantity))
        for path, items in groups.items():
            for start in range(0, len(items), self._batch_size):
                chunk = items[start : start + self._batch_size]
                results.extend(await self._write_chunk(path, chunk))
        return StockReport(tuple(results))

    async def _write_chunk(
        self, path: str, chunk: Sequence[tuple[ProductRef, int]]
    ) -> list[StockResult]:
        body = {"update": [{"id": ref.id, "stock_quantity": qty} for ref, qty in chunk]}
        answer = await self._engine.write("POST", path, body, repeatable=True)
        items = answer.data.get("update") if isinstance(answer.data, dict) else None
        by_id: dict[int, Any] = {}
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and isinstance(item.get("id"), int):
                by_id[item["id"]] = item
        return [self._read_item(ref, qty, by_id.get(ref.id)) for ref, qty in chunk]

    def _read_item(self, ref: ProductRef, quantity: int, item: Any) -> StockResult:  # noqa: ANN401
        """One item of a batch answer: HTTP 200 says nothing about the items themselves."""
        if not isinstance(item, dict):
            self.skus.forget(ref.sku)
            return StockResult(ref.sku, "rejected", message="missing from the batch answer")
        error = item.get("error")
        if isinstance(error, dict):
            self.skus.forget(ref.sku)  # gone, or no longer what the cache says: look again
            return StockResult(
                ref.sku, "rejected", code=str(error.get("code")), message=str(error.get("message"))
            )
        shown = item.get("stock_quantity")
        if item.get("manage_stock") is False or shown is None:
            # Stock management was switched off since the lookup: WooCommerce ignored it.
            self.skus.forget(ref.sku)
            return StockResult(ref.sku, "not_managed")
        if shown != quantity:
            return StockResult(
                ref.sku, "rejected", quantity=shown, message=f"the shop shows {shown}"
            )
        return StockResult(ref.sku, "set", quantity=shown)
