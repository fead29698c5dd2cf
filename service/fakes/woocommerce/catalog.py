"""Products and variations: SKUs, and one stock figure each that counts only when managed."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from service.fakes.common.clock import Clock, IdSequence
from service.fakes.woocommerce.wp_json import WooError

ProductType = Literal["simple", "variable", "variation", "grouped", "external"]
STOCK_STATUSES = ("instock", "outofstock", "onbackorder")
BACKORDERS = ("no", "notify", "yes")
NEVER_STOCKED: frozenset[str] = frozenset({"grouped", "external"})


@dataclass
class Product:
    """A product or a variation (a post of type product / product_variation)."""

    id: int
    type: ProductType
    name: str
    sku: str
    created_at: float
    modified_at: float
    parent_id: int = 0
    status: str = "publish"
    regular_price: Decimal | None = None
    manage_stock: bool = False
    stock_quantity: int | None = None
    stock_status: str = "instock"
    backorders: str = "no"
    total_sales: int = 0
    variations: list[int] = field(default_factory=list)
    attributes: list[dict[str, Any]] = field(default_factory=list)


class Catalog:
    """Every product and variation, found by id or by SKU (case-insensitively, as MySQL does)."""

    def __init__(self, clock: Clock, ids: IdSequence) -> None:
        self._clock = clock
        self._ids = ids
        self.items: dict[int, Product] = {}

    def add(
        self,
        *,
        name: str,
        sku: str = "",
        product_type: ProductType = "simple",
        parent: Product | None = None,
        price: Decimal | None = None,
        manage_stock: bool = False,
        stock_quantity: int | None = None,
        attributes: list[dict[str, Any]] | None = None,
    ) -> Product:
        """A new product, or a variation of ``parent``; a SKU already in use is refused."""
        if sku and self.by_sku(sku) is not None:
            raise WooError("product_invalid_sku", "Invalid or duplicated SKU.", 400, resource_id=0)
        now = self._clock.now()
        product = Product(
            id=self._ids.next("post"),
            type="variation" if parent is not None else product_type,
            name=name if parent is None else f"{parent.name} - {name}",
            sku=sku,
            created_at=now,
            modified_at=now,
            parent_id=parent.id if parent is not None else 0,
            regular_price=price,
            attributes=list(attributes or []),
        )
        if parent is not None:
            parent.variations.append(product.id)
        self.items[product.id] = product
        set_stock(product, manage_stock=manage_stock, quantity=stock_quantity, site_manages=True)
        return product

    def get(self, number: int) -> Product | None:
        """A product or variation by id."""
        return self.items.get(number)

    def by_sku(self, sku: str) -> Product | None:
        """The product or variation with this SKU (exact, case-insensitive), if any."""
        wanted = sku.casefold()
        for product in self.items.values():
            if product.sku and product.sku.casefold() == wanted:
                return product
        return None

    def stock_holder(self, product: Product) -> Product | None:
        """Whose stock an order line moves: the variation, its managing parent, or nobody."""
        if product.manage_stock:
            return product
        if product.type == "variation":
            parent = self.items.get(product.parent_id)
            if parent is not None and parent.manage_stock:
                return parent
        return None

    def touch(self, product: Product) -> None:
        """Every save records a new modification time, changes or not (FACTS.md §3)."""
        product.modified_at = self._clock.now()


def _derive_status(product: Product) -> None:
    if not product.manage_stock or product.stock_quantity is None:
        return
    if product.stock_quantity > 0:
        product.stock_status = "instock"
    elif product.backorders != "no":
        product.stock_status = "onbackorder"
    else:
        product.stock_status = "outofstock"


def stock_amount(value: object) -> int:
    """``wc_stock_amount``: PHP's intval, so decimals are truncated toward zero."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    try:
        return int(Decimal(str(value).strip() or "0"))
    except ArithmeticError:
        return 0


def set_stock(
    product: Product,
    *,
    manage_stock: bool | None = None,
    quantity: object = None,
    delta: object = None,
    site_manages: bool,
) -> dict[str, list[Any]]:
    """Apply a stock write as WooCommerce's REST controller does; returns what changed.

    With the site option off, nothing about stock is stored. ``manage_stock`` is applied
    first; a product that then manages stock takes ``quantity`` (absolute, truncated to an
    integer) or else ``delta`` (relative, ``inventory_delta``); one that does not has its
    quantity reset to null whatever was sent (FACTS.md §5.2, §6.11).
    """
    before = (product.manage_stock, product.stock_quantity, product.stock_status)
    if site_manages and product.type not in NEVER_STOCKED:
        if manage_stock is not None:
            product.manage_stock = manage_stock
        if product.manage_stock:
            if quantity is not None:
                product.stock_quantity = stock_amount(quantity)
            elif delta is not None:
                product.stock_quantity = (product.stock_quantity or 0) + stock_amount(delta)
            elif product.stock_quantity is None:
                product.stock_quantity = 0
        else:
            product.stock_quantity = None
    elif product.type in NEVER_STOCKED:
        product.manage_stock = False
        product.stock_quantity = None
    _derive_status(product)
    after = (product.manage_stock, product.stock_quantity, product.stock_status)
    names = ("manage_stock", "stock_quantity", "stock_status")
    return {n: [b, a] for n, b, a in zip(names, before, after, strict=True) if b != a}


def move_stock(product: Product, change: int) -> dict[str, list[Any]]:
    """An order reducing (negative) or restoring (positive) a managed product's stock."""
    before = (product.stock_quantity, product.stock_status)
    product.stock_quantity = (product.stock_quantity or 0) + change
    _derive_status(product)
    names = ("stock_quantity", "stock_status")
    after = (product.stock_quantity, product.stock_status)
    return {n: [b, a] for n, b, a in zip(names, before, after, strict=True) if b != a}
