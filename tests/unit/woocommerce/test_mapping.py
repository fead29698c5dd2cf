"""The WooCommerce mapping settings and the start-up check against Sitoo's stores."""

from __future__ import annotations

import pytest

from service.adapters.woocommerce.mapping import MappingRefused, check_mapping, pickup_map
from service.settings import ConfigurationError, load_settings
from service.settings_woocommerce import WooCommerceSettings
from service.sitoo.catalog_models import Store, Warehouse
from service.sitoo.limiter import Lane

PREFIX = "SITOO_SYNC_WOOCOMMERCE__"


class Sitoo:
    """Two stores and their warehouses, as Sitoo lists them."""

    async def list_stores(self, *, lane: Lane = Lane.BULK) -> list[Store]:
        del lane
        return [Store(storeid=1, externalid="STORE-1"), Store(storeid=2, externalid="STORE-2")]

    async def list_warehouses(self, *, lane: Lane = Lane.BULK) -> list[Warehouse]:
        del lane
        return [Warehouse(warehouseid=11, storeid=1), Warehouse(warehouseid=12, storeid=2)]


def _complete(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{PREFIX}URL", "https://shop.example.com")
    monkeypatch.setenv(f"{PREFIX}CONSUMER_KEY", "ck_secret_key_value")
    monkeypatch.setenv(f"{PREFIX}CONSUMER_SECRET", "cs_secret_value")
    monkeypatch.setenv(f"{PREFIX}WEBHOOK_SECRET", "whsec_value")


def test_the_mapping_comes_from_json_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    _complete(monkeypatch)
    monkeypatch.setenv(f"{PREFIX}PICKUP_LOCATIONS", '{"Store Stockholm": "STORE-1"}')
    monkeypatch.setenv(f"{PREFIX}STOCK_WAREHOUSE_ID", "11")
    monkeypatch.setenv(f"{PREFIX}PICKED_UP_STATUS", "")
    settings = load_settings().woocommerce
    assert settings.pickup_locations == {"Store Stockholm": "STORE-1"}
    assert settings.stock_warehouse_id == 11
    assert settings.picked_up_status is None
    assert settings.ready_status is None
    assert pickup_map(settings).store_for(" store stockholm ") == "STORE-1"


def test_a_name_listed_twice_fails_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    _complete(monkeypatch)
    monkeypatch.setenv(f"{PREFIX}PICKUP_LOCATIONS", '{"A": "STORE-1", "a ": "STORE-2"}')
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    assert str(caught.value).startswith(f"{PREFIX}PICKUP_LOCATIONS:")
    assert "\n" not in str(caught.value)


async def test_a_known_mapping_passes() -> None:
    settings = WooCommerceSettings(
        pickup_locations={"Store Stockholm": "STORE-1"},
        local_pickup_store="STORE-2",
        stock_warehouse_id=12,
    )
    await check_mapping(settings, Sitoo())


async def test_unknown_stores_and_warehouses_are_refused_in_one_line() -> None:
    settings = WooCommerceSettings(
        pickup_locations={"Store Stockholm": "STORE-1", "Store Oslo": "STORE-9"},
        local_pickup_store="STORE-8",
        stock_warehouse_id=99,
    )
    with pytest.raises(MappingRefused) as caught:
        await check_mapping(settings, Sitoo())
    message = str(caught.value)
    assert "\n" not in message
    assert f"{PREFIX}PICKUP_LOCATIONS names unknown Sitoo stores: STORE-9" in message
    assert f"{PREFIX}LOCAL_PICKUP_STORE names an unknown Sitoo store: STORE-8" in message
    assert f"{PREFIX}STOCK_WAREHOUSE_ID names an unknown Sitoo warehouse: 99" in message
