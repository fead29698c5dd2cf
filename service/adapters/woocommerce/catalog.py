"""Finding products and variations by SKU, with a cache of the ids that stock writes need."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from service.adapters.woocommerce.engine import RestEngine
from service.adapters.woocommerce.models import ProductRef, parsed

LOOKUP_CHUNK = 50  # SKUs per /products?sku=A,B,... request
_FIELDS = "id,sku,type,parent_id,manage_stock,stock_quantity"


class SkuCache:
    """SKU -> product reference, case-insensitive (as WooCommerce's lookup is), with an age limit.

    Stock writes read every item's answer; an item that turns out to be gone or changed is
    dropped here so the next write looks it up again.
    """

    def __init__(
        self, *, max_age_s: float = 3600.0, now: Callable[[], float] = time.monotonic
    ) -> None:
        self._max_age_s = max_age_s
        self._now = now
        self._refs: dict[str, tuple[float, ProductRef]] = {}

    def get(self, sku: str) -> ProductRef | None:
        """The cached reference, unless it is too old."""
        found = self._refs.get(sku.casefold())
        if found is None or self._now() - found[0] > self._max_age_s:
            return None
        return found[1]

    def put(self, ref: ProductRef) -> None:
        """Remember a reference."""
        self._refs[ref.sku.casefold()] = (self._now(), ref)

    def forget(self, sku: str) -> None:
        """Drop a reference that proved wrong."""
        self._refs.pop(sku.casefold(), None)


class CatalogCalls:
    """The catalogue half of the client."""

    def __init__(self, engine: RestEngine, *, batch_size: int = 100) -> None:
        self._engine = engine
        self._batch_size = batch_size
        self.skus = SkuCache()

    async def products_by_sku(self, skus: Iterable[str]) -> dict[str, ProductRef]:
        """Each SKU that exists, as the product or variation it names (exact matches only).

        Asked SKUs are the keys, as given; SKUs not found are absent. Known ones come from the
        cache; the rest are asked for in comma lists (a SKU that contains a comma alone).
        """
        wanted = list(dict.fromkeys(s for s in skus if s))
        found: dict[str, ProductRef] = {}
        missing: list[str] = []
        for sku in wanted:
            cached = self.skus.get(sku)
            if cached is not None:
                found[sku] = cached
            else:
                missing.append(sku)
        plain = [s for s in missing if "," not in s]
        queries = [plain[i : i + LOOKUP_CHUNK] for i in range(0, len(plain), LOOKUP_CHUNK)]
        queries += [[s] for s in missing if "," in s]
        by_key = {s.casefold(): s for s in missing}
        for chunk in queries:
            rows = await self._engine.read_all(
                "products", {"sku": ",".join(chunk), "_fields": _FIELDS}
            )
            for raw in rows:
                ref = parsed(ProductRef.from_json, raw, what="products by SKU")
                asked = by_key.get(ref.sku.casefold())
                if asked is not None:
                    self.skus.put(ref)
                    found[asked] = ref
        return found
