"""Writing a product or variation: the fields the fake keeps, stock rules, save and web hook."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from service.fakes.woocommerce.catalog import BACKORDERS, STOCK_STATUSES, Product, set_stock
from service.fakes.woocommerce.store import FakeWooCommerce
from service.fakes.woocommerce.wp_json import WooError

VARIATION_ENDPOINT = (
    "To manipulate product variations you should use the "
    "/products/<product_id>/variations/<id> endpoint."
)


def as_bool(value: object) -> bool:
    """``wc_string_to_bool``: true, 1, "yes", "true", "1" are true."""
    if isinstance(value, str):
        return value.strip().lower() in {"yes", "true", "1"}
    return bool(value)


def _manage(value: object) -> bool | None:
    if value is None:
        return None
    if value == "parent":
        return False  # a variation set to follow its parent's stock manages none itself
    return as_bool(value)


def _sku(store: FakeWooCommerce, product: Product, sku: object) -> dict[str, list[Any]]:
    text = str(sku).strip()
    if text == product.sku:
        return {}
    holder = store.catalog.by_sku(text) if text else None
    if holder is not None and holder.id != product.id:
        raise WooError(
            "product_invalid_sku", "Invalid or duplicated SKU.", 400, resource_id=product.id
        )
    change = {"sku": [product.sku, text]}
    product.sku = text
    return change


def _price(product: Product, value: object) -> dict[str, list[Any]]:
    try:
        price = Decimal(str(value)) if str(value).strip() else None
    except InvalidOperation:
        price = None
    if price == product.regular_price:
        return {}
    change = {"regular_price": [str(product.regular_price), str(price)]}
    product.regular_price = price
    return change


def update_product(store: FakeWooCommerce, product: Product, data: dict[str, Any]) -> None:
    """Apply ``data`` (a PUT body or one batch item) and save the product.

    Every save gets a new modified time and fires ``product.updated``, changes or not
    (FACTS.md §6.11 for the stock rules).
    """
    changes: dict[str, Any] = {}
    if data.get("sku") is not None:
        changes |= _sku(store, product, data["sku"])
    if data.get("name") is not None and str(data["name"]) != product.name:
        changes["name"] = [product.name, str(data["name"])]
        product.name = str(data["name"])
    if data.get("regular_price") is not None:
        changes |= _price(product, data["regular_price"])
    if data.get("backorders") in BACKORDERS and data["backorders"] != product.backorders:
        changes["backorders"] = [product.backorders, data["backorders"]]
        product.backorders = data["backorders"]
    changes |= set_stock(
        product,
        manage_stock=_manage(data.get("manage_stock")),
        quantity=data.get("stock_quantity"),
        delta=data.get("inventory_delta"),
        site_manages=store.config.manage_stock,
    )
    wanted_status = data.get("stock_status")
    if (
        wanted_status in STOCK_STATUSES
        and not product.manage_stock
        and wanted_status != product.stock_status
    ):
        changes["stock_status"] = [product.stock_status, wanted_status]
        product.stock_status = wanted_status
    store.catalog.touch(product)
    store.ledger.record("product.update", f"product/{product.id}", changes=changes)
    store.emit("product", "updated", product.id)


def product_to_update(store: FakeWooCommerce, number: object) -> Product:
    """The product a PUT /products/<id> (or its batch item) may change."""
    product = store.catalog.get(int(str(number))) if str(number).isdigit() else None
    if product is None:
        raise WooError("woocommerce_rest_product_invalid_id", "Invalid ID.", 400)
    if product.type == "variation":
        raise WooError("woocommerce_rest_invalid_product_id", VARIATION_ENDPOINT, 404)
    return product


def variation_to_update(store: FakeWooCommerce, parent_id: int, number: object) -> Product:
    """The variation a PUT /products/<parent>/variations/<id> (or batch item) may change."""
    variation = store.catalog.get(int(str(number))) if str(number).isdigit() else None
    if variation is None or variation.type != "variation" or variation.parent_id != parent_id:
        raise WooError("woocommerce_rest_product_variation_invalid_id", "Invalid ID.", 400)
    return variation


def create_product(
    store: FakeWooCommerce, data: dict[str, Any], parent: Product | None = None
) -> Product:
    """POST /products (or a variation of ``parent``) with the fields the fake keeps."""
    kind = str(data.get("type") or "simple")
    if parent is None and kind not in {"simple", "variable", "grouped", "external"}:
        raise WooError("woocommerce_rest_invalid_product_type", "Invalid product type.", 400)
    price_text = str(data.get("regular_price") or "").strip()
    try:
        price = Decimal(price_text) if price_text else None
    except InvalidOperation:
        price = None
    product = store.catalog.add(
        name=str(data.get("name") or ("Variation" if parent else "Product")),
        sku=str(data.get("sku") or ""),
        product_type=kind,  # type: ignore[arg-type]
        parent=parent,
        price=price,
    )
    set_stock(
        product,
        manage_stock=_manage(data.get("manage_stock")),
        quantity=data.get("stock_quantity"),
        site_manages=store.config.manage_stock,
    )
    store.ledger.record("product.create", f"product/{product.id}", sku=product.sku)
    store.emit("product", "created", product.id)
    return product
