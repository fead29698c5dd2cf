"""The location map: parsed from JSON, and checked against Sitoo's stores and warehouses."""

from __future__ import annotations

import json

import pytest

from service.adapters.shopify.locations import location_map_problem
from service.settings import ConfigurationError, load_settings
from service.sitoo.catalog_models import Store, Warehouse

STORES = [Store(storeid=1), Store(storeid=2)]
WAREHOUSES = [
    Warehouse(warehouseid=10, storeid=1, warehousetype=10),
    Warehouse(warehouseid=20, storeid=2, warehousetype=10),
    Warehouse(warehouseid=30, warehousetype=20),
]


def _settings(monkeypatch: pytest.MonkeyPatch, locations: str):
    monkeypatch.setenv("SITOO_SYNC_SHOPIFY__ADMIN_URL", "http://127.0.0.1:8901")
    monkeypatch.setenv("SITOO_SYNC_SHOPIFY__ACCESS_TOKEN", "shpat_x")
    monkeypatch.setenv("SITOO_SYNC_SHOPIFY__WEBHOOK_SECRET", "s")
    monkeypatch.setenv("SITOO_SYNC_SHOPIFY__LOCATIONS", locations)
    return load_settings()


def test_ids_may_be_numeric_or_gids(monkeypatch):
    """Both spellings of a location id name the same mapping."""
    mapping = {"store_id": 1, "warehouse_id": 10, "stock_master": "sitoo"}
    settings = _settings(monkeypatch, json.dumps({"gid://shopify/Location/7": mapping}))
    assert settings.shopify.location(7) == settings.shopify.location("gid://shopify/Location/7")
    assert settings.shopify.location(8) is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('{"abc": {"warehouse_id": 1, "stock_master": "sitoo"}}', "is not a Shopify location id"),
        ('{"7": {"warehouse_id": 1, "stock_master": "both"}}', "__7__STOCK_MASTER: Input"),
        ('{"7": {"stock_master": "sitoo"}}', "__7__WAREHOUSE_ID: Field required"),
        ("[1]", "LOCATIONS"),
    ],
)
def test_a_malformed_map_stops_the_service_in_one_line(monkeypatch, value, message):
    """Bad JSON shapes fail when the settings load, naming the variable."""
    with pytest.raises(ConfigurationError) as caught:
        _settings(monkeypatch, value)
    text = str(caught.value)
    assert text.startswith("SITOO_SYNC_SHOPIFY__LOCATIONS")
    assert message in text
    assert "\n" not in text


def _mapping(monkeypatch, **fields):
    return _settings(monkeypatch, json.dumps({"7": fields})).shopify.locations


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"store_id": 1, "warehouse_id": 10, "stock_master": "sitoo"}, None),
        ({"warehouse_id": 30, "stock_master": "shopify"}, None),
        (
            {"store_id": 9, "warehouse_id": 10, "stock_master": "sitoo"},
            "names store 9, which is not a Sitoo store",
        ),
        (
            {"store_id": 1, "warehouse_id": 99, "stock_master": "sitoo"},
            "names warehouse 99, which is not a Sitoo warehouse",
        ),
        (
            {"store_id": 1, "warehouse_id": 20, "stock_master": "sitoo"},
            "warehouse 20 belongs to store 2, not 1",
        ),
        (
            {"store_id": 1, "warehouse_id": 10, "stock_master": "shopify"},
            "must be a virtual warehouse",
        ),
    ],
)
def test_the_start_up_check_names_what_sitoo_lacks(monkeypatch, fields, problem):
    """One line naming the setting and the first thing Sitoo cannot honour."""
    found = location_map_problem(_mapping(monkeypatch, **fields), STORES, WAREHOUSES)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert found.startswith("SITOO_SYNC_SHOPIFY__LOCATIONS: location 7")
        assert problem in found
        assert "\n" not in found
