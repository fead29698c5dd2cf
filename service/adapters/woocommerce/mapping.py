"""The WooCommerce mapping: pick-up locations to Sitoo stores, the shop's stock to a warehouse.

Checked once at start against Sitoo: a mapping that names a store or warehouse Sitoo does not
have would otherwise fail order by order, long after the service looked healthy.
"""

from __future__ import annotations

from collections.abc import Sequence

from service.adapters.common.sitoo_directory import StoresAndWarehouses, stores_and_warehouses
from service.adapters.woocommerce.translate import PickupMap
from service.settings import ConfigurationError
from service.settings_woocommerce import WooCommerceSettings
from service.sitoo.catalog_models import Store, Warehouse

_PREFIX = "SITOO_SYNC_WOOCOMMERCE__"


class MappingRefused(ConfigurationError):
    """The mapping names what Sitoo does not have; the message is one line naming the setting."""


def pickup_map(settings: WooCommerceSettings) -> PickupMap:
    """The translation's view of the pick-up settings."""
    return PickupMap(dict(settings.pickup_locations), legacy_store=settings.local_pickup_store)


def mapping_problems(
    settings: WooCommerceSettings, stores: Sequence[Store], warehouses: Sequence[Warehouse]
) -> list[str]:
    """What the mapping names that Sitoo does not have, one phrase per setting."""
    known_stores = {s.externalid for s in stores if s.externalid}
    problems: list[str] = []
    unknown = sorted(
        {store for store in settings.pickup_locations.values() if store not in known_stores}
    )
    if unknown:
        problems.append(
            f"{_PREFIX}PICKUP_LOCATIONS names unknown Sitoo stores: {', '.join(unknown)}"
        )
    legacy = settings.local_pickup_store
    if legacy is not None and legacy not in known_stores:
        problems.append(f"{_PREFIX}LOCAL_PICKUP_STORE names an unknown Sitoo store: {legacy}")
    wanted = settings.stock_warehouse_id
    if wanted is not None and wanted not in {w.warehouseid for w in warehouses}:
        problems.append(f"{_PREFIX}STOCK_WAREHOUSE_ID names an unknown Sitoo warehouse: {wanted}")
    return problems


async def check_mapping(settings: WooCommerceSettings, sitoo: StoresAndWarehouses) -> None:
    """Raise MappingRefused (one line) when the mapping names unknown stores or warehouses."""
    stores, warehouses = await stores_and_warehouses(sitoo)
    problems = mapping_problems(settings, stores, warehouses)
    if problems:
        raise MappingRefused("; ".join(problems))
