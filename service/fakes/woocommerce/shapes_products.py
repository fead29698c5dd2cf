"""Products and variations as the REST API (and product web hooks) show them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from service.fakes.woocommerce.catalog import Catalog, Product
from service.fakes.woocommerce.order_model import money
from service.fakes.woocommerce.times import SiteTime
from service.fakes.woocommerce.wp_json import links


def _price(value: Decimal | None) -> str:
    return "" if value is None else money(value)


def _stock(product: Product, catalog: Catalog) -> dict[str, Any]:
    manage: bool | str = product.manage_stock
    if product.type == "variation" and not product.manage_stock:
        parent = catalog.get(product.parent_id)
        if parent is not None and parent.manage_stock:
            manage = "parent"  # the variation's stock is its parent's (FACTS.md §5.2)
    return {
        "manage_stock": manage,
        "stock_quantity": product.stock_quantity,
        "stock_status": product.stock_status,
        "backorders": product.backorders,
        "backorders_allowed": product.backorders != "no",
        "backordered": False,
    }


def product_json(product: Product, catalog: Catalog, time: SiteTime, base: str) -> dict[str, Any]:
    """GET /products/<id> (a variation found this way has type "variation" and a parent_id)."""
    price = _price(product.regular_price)
    slug = product.name.lower().replace(" ", "-")
    return {
        "id": product.id,
        "name": product.name,
        "slug": slug,
        "permalink": f"{base.split('/wp-json', 1)[0]}/product/{slug}/",
        **time.pair("date_created", product.created_at),
        **time.pair("date_modified", product.modified_at),
        "type": product.type,
        "status": product.status,
        "featured": False,
        "catalog_visibility": "visible",
        "description": "",
        "short_description": "",
        "sku": product.sku,
        "price": price,
        "regular_price": price,
        "sale_price": "",
        **time.pair("date_on_sale_from", None),
        **time.pair("date_on_sale_to", None),
        "on_sale": False,
        "purchasable": product.regular_price is not None,
        "total_sales": product.total_sales,
        "virtual": False,
        "downloadable": False,
        "downloads": [],
        "download_limit": -1,
        "download_expiry": -1,
        "external_url": "",
        "button_text": "",
        "tax_status": "taxable",
        "tax_class": "",
        **_stock(product, catalog),
        "sold_individually": False,
        "weight": "",
        "dimensions": {"length": "", "width": "", "height": ""},
        "shipping_required": True,
        "shipping_taxable": True,
        "shipping_class": "",
        "shipping_class_id": 0,
        "reviews_allowed": True,
        "average_rating": "0.00",
        "rating_count": 0,
        "upsell_ids": [],
        "cross_sell_ids": [],
        "parent_id": product.parent_id,
        "purchase_note": "",
        "categories": [],
        "tags": [],
        "images": [],
        "attributes": product.attributes,
        "default_attributes": [],
        "variations": list(product.variations),
        "grouped_products": [],
        "menu_order": 0,
        "meta_data": [],
        "_links": links(base, f"products/{product.id}", "products"),
    }


def variation_json(product: Product, catalog: Catalog, time: SiteTime, base: str) -> dict[str, Any]:
    """GET /products/<parent>/variations/<id>."""
    price = _price(product.regular_price)
    parent = product.parent_id
    return {
        "id": product.id,
        "type": "variation",
        "name": product.name,
        "parent_id": parent,
        **time.pair("date_created", product.created_at),
        **time.pair("date_modified", product.modified_at),
        "description": "",
        "permalink": f"{base.split('/wp-json', 1)[0]}/?p={product.id}",
        "sku": product.sku,
        "price": price,
        "regular_price": price,
        "sale_price": "",
        **time.pair("date_on_sale_from", None),
        **time.pair("date_on_sale_to", None),
        "on_sale": False,
        "status": product.status,
        "purchasable": product.regular_price is not None,
        "virtual": False,
        "downloadable": False,
        "downloads": [],
        "download_limit": -1,
        "download_expiry": -1,
        "tax_status": "taxable",
        "tax_class": "",
        **_stock(product, catalog),
        "weight": "",
        "dimensions": {"length": "", "width": "", "height": ""},
        "shipping_class": "",
        "shipping_class_id": 0,
        "image": None,
        "attributes": product.attributes,
        "menu_order": 0,
        "meta_data": [],
        "_links": links(
            base,
            f"products/{parent}/variations/{product.id}",
            f"products/{parent}/variations",
            up=f"products/{parent}",
        ),
    }
