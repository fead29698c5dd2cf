"""The start-up check of ``SITOO_SYNC_SHOPIFY__LOCATIONS`` against Sitoo's stores and warehouses."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from service.usecases.directory import VIRTUAL_WAREHOUSE

if TYPE_CHECKING:
    from service.settings_shopify import LocationMapping
    from service.sitoo.catalog_models import Store, Warehouse

SETTING = "SITOO_SYNC_SHOPIFY__LOCATIONS"


def location_map_problem(
    locations: dict[str, LocationMapping], stores: Iterable[Store], warehouses: Iterable[Warehouse]
) -> str | None:
    """One line naming the first mapping Sitoo cannot honour, or None when all are fine.

    A store must exist; a warehouse must exist (and belong to the store when both are
    given); a location whose stock Shopify masters needs a virtual warehouse, because its
    levels are copied into Sitoo as absolute values (``stock.set``).
    """
    store_ids = {s.storeid for s in stores if s.storeid is not None}
    by_id = {w.warehouseid: w for w in warehouses if w.warehouseid is not None}
    for location, mapping in sorted(locations.items()):
        where = f"{SETTING}: location {location}"
        if mapping.store_id is not None and mapping.store_id not in store_ids:
            return f"{where} names store {mapping.store_id}, which is not a Sitoo store"
        warehouse = by_id.get(mapping.warehouse_id)
        if warehouse is None:
            return f"{where} names warehouse {mapping.warehouse_id}, which is not a Sitoo warehouse"
        if (
            mapping.store_id is not None
            and warehouse.storeid is not None
            and warehouse.storeid != mapping.store_id
        ):
            return (
                f"{where}: warehouse {mapping.warehouse_id} belongs to store {warehouse.storeid}, "
                f"not {mapping.store_id}"
            )
        if mapping.stock_master == "shopify" and warehouse.warehousetype != VIRTUAL_WAREHOUSE:
            return (
                f"{where}: Shopify masters its stock, so warehouse {mapping.warehouse_id} "
                "must be a virtual warehouse"
            )
    return None
