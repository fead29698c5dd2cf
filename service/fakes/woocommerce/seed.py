"""Initial data of the fake store: demo (100 SKUs, a variable product, pick-up points) or empty."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from service.fakes.woocommerce.store import FakeWooCommerce

DEMO_SKUS = tuple(f"SKU-{n:04d}" for n in range(1, 101))
# Every fifth demo SKU does not manage stock, so "ignored unless managed" is always at hand.
UNMANAGED_SKUS = frozenset(DEMO_SKUS[4::5])
DEMO_PICKUP_LOCATIONS = (
    ("Store Stockholm", "Drottninggatan 1, 111 51 Stockholm", "Open 10-19"),
    ("Store Gothenburg", "Kungsgatan 2, 411 19 Göteborg", "Open 10-18"),
)
VARIABLE_SKU = "TEE"
VARIATION_SKUS = ("TEE-S", "TEE-M", "TEE-L")


def _empty(store: FakeWooCommerce) -> None:
    del store


def _demo(store: FakeWooCommerce) -> None:
    for name, address, details in DEMO_PICKUP_LOCATIONS:
        store.add_pickup_location(name, address=address, details=details)
    for index, sku in enumerate(DEMO_SKUS):
        managed = sku not in UNMANAGED_SKUS
        store.catalog.add(
            name=f"Product {sku}",
            sku=sku,
            price=Decimal(100 + 9 * index),
            manage_stock=managed,
            stock_quantity=5 + index % 25 if managed else None,
        )
    tee = store.catalog.add(
        name="T-shirt", sku=VARIABLE_SKU, product_type="variable", price=Decimal(199)
    )
    for size, sku in zip(("S", "M", "L"), VARIATION_SKUS, strict=True):
        store.catalog.add(
            name=size,
            sku=sku,
            parent=tee,
            price=Decimal(199),
            manage_stock=True,
            stock_quantity=10,
            attributes=[{"id": 0, "name": "Size", "option": size}],
        )


SEEDS: dict[str, Callable[[FakeWooCommerce], None]] = {"demo": _demo, "empty": _empty}
