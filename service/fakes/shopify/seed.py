"""Initial data of the fake shop: demo (locations, 100 SKUs, a gift card) or empty."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from service.fakes.shopify.shop import FakeShopify

DEMO_LOCATIONS = ("Store Stockholm", "Store Gothenburg", "Web Warehouse")
DEMO_SKUS = tuple(f"SKU-{n:04d}" for n in range(1, 101))
DEMO_GIFT_CARD_CODE = "demogiftcard0001"


def _empty(shop: FakeShopify) -> None:
    del shop


def _demo(shop: FakeShopify) -> None:
    locations = [shop.catalog.add_location(name, city=name.split()[-1]) for name in DEMO_LOCATIONS]
    for index, sku in enumerate(DEMO_SKUS):
        variant = shop.catalog.add_variant(
            sku, product_title=f"Product {sku}", price=Decimal(100 + 9 * index)
        )
        for offset, location in enumerate(locations):
            level = shop.catalog.stock(variant.inventory_item, location.number)
            level.available = 5 + (index + offset * 7) % 25
    shop.giftcards.create(Decimal("500.00"), code=DEMO_GIFT_CARD_CODE, note="demo", record=False)


SEEDS: dict[str, Callable[[FakeShopify], None]] = {"demo": _demo, "empty": _empty}
