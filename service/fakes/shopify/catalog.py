"""Locations, products, variants, inventory items and their levels with named quantities."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from service.fakes.common.clock import Clock
from service.fakes.shopify.clock import IdSequence

# Named quantities of a level. on_hand = available + committed + the unavailable ones;
# incoming is outside on_hand (FACTS.md §5.1).
UNAVAILABLE = ("reserved", "damaged", "safety_stock", "quality_control")
QUANTITY_NAMES = ("available", "on_hand", "committed", "incoming", *UNAVAILABLE)


@dataclass
class Location:
    """A Shopify location (store, warehouse)."""

    number: int
    name: str
    is_active: bool = True
    fulfills_online_orders: bool = True
    address1: str = ""
    city: str = ""
    country_code: str = "SE"
    created_at: float = 0.0
    updated_at: float = 0.0


@dataclass
class Product:
    """A product; its variants carry SKUs."""

    number: int
    title: str
    handle: str
    created_at: float = 0.0


@dataclass
class InventoryLevel:
    """Quantities of one inventory item at one location."""

    number: int
    item: int
    location: int
    available: int = 0
    committed: int = 0
    incoming: int = 0
    reserved: int = 0
    damaged: int = 0
    safety_stock: int = 0
    quality_control: int = 0
    created_at: float = 0.0
    updated_at: float = 0.0

    @property
    def on_hand(self) -> int:
        """Everything physically at the location."""
        unavailable = self.reserved + self.damaged + self.safety_stock + self.quality_control
        return self.available + self.committed + unavailable

    def quantity(self, name: str) -> int:
        """One named quantity."""
        value: int = getattr(self, name)
        return value


@dataclass
class InventoryItem:
    """The stock-keeping side of a variant (1:1)."""

    number: int
    variant: int
    sku: str | None
    tracked: bool = True
    levels: dict[int, InventoryLevel] = field(default_factory=dict)  # location -> level
    created_at: float = 0.0
    updated_at: float = 0.0


@dataclass
class Variant:
    """A product variant: SKU, price and its inventory item."""

    number: int
    product: int
    title: str
    sku: str | None
    price: Decimal
    inventory_item: int = 0
    created_at: float = 0.0
    updated_at: float = 0.0


class Catalog:
    """Every location, product, variant, inventory item and level of the shop."""

    def __init__(self, clock: Clock, ids: IdSequence) -> None:
        self._clock = clock
        self._ids = ids
        self.locations: dict[int, Location] = {}
        self.products: dict[int, Product] = {}
        self.variants: dict[int, Variant] = {}
        self.items: dict[int, InventoryItem] = {}
        self.levels: dict[int, InventoryLevel] = {}

    def add_location(self, name: str, *, city: str = "", is_active: bool = True) -> Location:
        """A new location."""
        now = self._clock.now()
        location = Location(
            self._ids.next("Location"),
            name,
            is_active=is_active,
            city=city,
            created_at=now,
            updated_at=now,
        )
        self.locations[location.number] = location
        return location

    def add_variant(
        self,
        sku: str | None,
        *,
        title: str | None = None,
        price: Decimal = Decimal("100.00"),
        product_title: str | None = None,
    ) -> Variant:
        """A new product with one variant and its inventory item (not stocked anywhere yet)."""
        now = self._clock.now()
        name = product_title or title or sku or "Product"
        product = Product(
            self._ids.next("Product"), name, name.lower().replace(" ", "-"), created_at=now
        )
        self.products[product.number] = product
        variant = Variant(
            self._ids.next("ProductVariant"),
            product.number,
            title or "Default Title",
            sku,
            price,
            created_at=now,
            updated_at=now,
        )
        item = InventoryItem(
            self._ids.next("InventoryItem"), variant.number, sku, created_at=now, updated_at=now
        )
        variant.inventory_item = item.number
        self.variants[variant.number] = variant
        self.items[item.number] = item
        return variant

    def stock(self, item_number: int, location_number: int) -> InventoryLevel:
        """The item's level at the location, activating it (at 0) when it has none."""
        item = self.items[item_number]
        level = item.levels.get(location_number)
        if level is None:
            now = self._clock.now()
            level = InventoryLevel(
                self._ids.next("InventoryLevel"),
                item_number,
                location_number,
                created_at=now,
                updated_at=now,
            )
            item.levels[location_number] = level
            self.levels[level.number] = level
        return level

    def level(self, item_number: int, location_number: int) -> InventoryLevel | None:
        """The level if the item is stocked at the location."""
        item = self.items.get(item_number)
        return None if item is None else item.levels.get(location_number)

    def variants_by_sku(self, sku: str) -> list[Variant]:
        """Variants whose SKU equals this one, case-insensitively (SKUs are not unique)."""
        wanted = sku.casefold()
        return [
            v for v in self.variants.values() if v.sku is not None and v.sku.casefold() == wanted
        ]

    def change(self, level: InventoryLevel, name: str, delta: int) -> None:
        """Move one named quantity; on_hand moves available (it is derived otherwise)."""
        target = "available" if name == "on_hand" else name
        setattr(level, target, level.quantity(target) + delta)
        level.updated_at = self._clock.now()
        self.items[level.item].updated_at = level.updated_at
