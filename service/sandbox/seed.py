"""Seed data: `demo` (stores, warehouses, 100 SKUs, gift cards) and `empty` (the site only)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from service.sandbox.values import WAREHOUSE_VIRTUAL

if TYPE_CHECKING:
    from service.sandbox.sandbox import Sandbox

DEMO_SKU_COUNT = 100
DEMO_STORES = (("Stockholm City", "STORE-1"), ("Göteborg", "STORE-2"), ("Malmö", "STORE-3"))
WEB_WAREHOUSE_EXTERNALID = "WH-WEB"
DEMO_GIFTCARD = "95000000000000000001"
DEMO_GIFTCARD_WITH_PIN = "95000000000000000002"
DEMO_GIFTCARD_PIN = "1234"
DEMO_GIFTCARD_EXPIRED = "95000000000000000003"
DEMO_GIFTCARD_BLOCKED = "95000000000000000004"
DAY_S = 86_400


def demo_sku(index: int) -> str:
    """SKU-0001 ... SKU-0100."""
    return f"SKU-{index:04d}"


def demo_price(index: int) -> Decimal:
    """A deterministic VAT-inclusive price between 100.00 and 999.00."""
    return Decimal(100 + (index * 37) % 900)


def demo_quantity(index: int, warehouse_rank: int) -> Decimal:
    """A deterministic on-hand level between 5 and 29."""
    return Decimal(5 + (index * 7 + warehouse_rank * 3) % 25)


def load_empty(sandbox: Sandbox) -> None:
    """The site exists; nothing else does."""
    del sandbox


def load_demo(sandbox: Sandbox) -> None:
    """Three stores with FIFO warehouses, a virtual web warehouse, 100 stocked SKUs, 4 cards."""
    warehouses = []
    for name, externalid in DEMO_STORES:
        store = sandbox.add_store(name, externalid=externalid, city=name)
        warehouses.append(
            sandbox.add_warehouse(
                f"{name} warehouse", storeid=store.storeid, externalid=f"WH-{externalid}"
            )
        )
    warehouses.append(
        sandbox.add_warehouse(
            "Web",
            warehousetype=WAREHOUSE_VIRTUAL,
            usetype=20,
            externalid=WEB_WAREHOUSE_EXTERNALID,
        )
    )
    for index in range(1, DEMO_SKU_COUNT + 1):
        sku = demo_sku(index)
        sandbox.catalog.add_product(sku, f"Product {index:04d}", demo_price(index), Decimal(25))
        for rank, warehouse in enumerate(warehouses):
            sandbox.stock.set_values(warehouse.warehouseid, sku, total=demo_quantity(index, rank))
    now = sandbox.clock.now()
    sandbox.put_giftcard(cardnumber=DEMO_GIFTCARD, amount="500.00")
    sandbox.put_giftcard(cardnumber=DEMO_GIFTCARD_WITH_PIN, amount="300.00", pin=DEMO_GIFTCARD_PIN)
    sandbox.put_giftcard(
        cardnumber=DEMO_GIFTCARD_EXPIRED, amount="200.00", date_expires=now - DAY_S
    )
    sandbox.put_giftcard(cardnumber=DEMO_GIFTCARD_BLOCKED, amount="100.00", redeemable=False)
    # Seeding is not traffic: tests start from an empty ledger.
    sandbox.ledger.clear()


SEEDS: dict[str, Callable[[Sandbox], None]] = {"demo": load_demo, "empty": load_empty}


def add_products(
    sandbox: Sandbox,
    count: int,
    *,
    prefix: str,
    warehouseids: list[int],
    quantity: Decimal,
    price: Decimal,
) -> list[str]:
    """Add `count` products (PREFIX-000001 ...) stocked in each given warehouse."""
    for warehouseid in warehouseids:
        sandbox.catalog.warehouse(warehouseid)
    first = len(sandbox.catalog.product_order) + 1
    skus = [f"{prefix}-{n:06d}" for n in range(first, first + count)]
    for sku in skus:
        sandbox.catalog.add_product(sku, sku, price, Decimal(25))
    for warehouseid in warehouseids:
        for sku in skus:
            sandbox.stock.set_values(warehouseid, sku, total=quantity)
    return skus
