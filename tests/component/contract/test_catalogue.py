"""Contract of the read-only catalogue: sites, stores, warehouses and products."""

from __future__ import annotations

import pytest

from .client import ContractClient
from .conftest import SITE_ID
from .steps import SITE, WAREHOUSE_FIFO, WAREHOUSE_VIRTUAL, warehouses


@pytest.mark.covers("getSites")
async def test_sites_list_the_site_by_its_eshopid(api: ContractClient) -> None:
    """getSites answers an envelope whose site carries the integer eshopid used in paths."""
    page = await api.call("GET", "/sites.json")
    assert page["totalcount"] == len(page["items"]) >= 1
    assert SITE_ID in [site["eshopid"] for site in page["items"]]


@pytest.mark.covers("getStores", "getStore")
async def test_each_listed_store_reads_the_same_alone(api: ContractClient) -> None:
    """Every store in getStores is answered identically by getStore."""
    page = await api.call("GET", f"{SITE}/stores.json")
    assert page["totalcount"] == len(page["items"]) >= 1
    for store in page["items"]:
        one = await api.call("GET", f"{SITE}/stores/{store['storeid']}.json")
        assert one == store


@pytest.mark.covers("getWarehouses", "getWarehouse")
async def test_warehouses_include_store_fifo_and_virtual_ones(api: ContractClient) -> None:
    """Both warehouse types are listed, and each warehouse reads the same alone."""
    listed = await warehouses(api)
    types = {warehouse["warehousetype"] for warehouse in listed}
    assert {WAREHOUSE_FIFO, WAREHOUSE_VIRTUAL} <= types
    assert any(warehouse["storeid"] is not None for warehouse in listed)
    for warehouse in listed:
        one = await api.call("GET", f"{SITE}/warehouses/{warehouse['warehouseid']}.json")
        assert one == warehouse


@pytest.mark.covers("getWarehouses")
async def test_warehouse_paging_splits_the_list(api: ContractClient) -> None:
    """start/num page through the warehouses without losing or repeating one."""
    everything = await warehouses(api)
    first = await api.call("GET", f"{SITE}/warehouses.json", params={"start": "0", "num": "2"})
    rest = await api.call("GET", f"{SITE}/warehouses.json", params={"start": "2", "num": "100"})
    assert first["totalcount"] == rest["totalcount"] == len(everything)
    assert first["items"] + rest["items"] == everything


@pytest.mark.covers("getProducts")
async def test_products_filter_on_a_comma_separated_sku_list(api: ContractClient) -> None:
    """getProducts with sku=A,B,C answers exactly those products."""
    first_page = await api.call("GET", f"{SITE}/products.json", params={"num": "5"})
    assert first_page["totalcount"] > 5
    wanted = [product["sku"] for product in first_page["items"][1:4]]
    page = await api.call("GET", f"{SITE}/products.json", params={"sku": ",".join(wanted)})
    assert page["totalcount"] == 3
    assert sorted(product["sku"] for product in page["items"]) == sorted(wanted)


@pytest.mark.covers("getProducts")
async def test_products_honour_the_field_list(api: ContractClient) -> None:
    """fields=productid,sku answers only those fields, still valid against product-read."""
    page = await api.call(
        "GET", f"{SITE}/products.json", params={"num": "3", "fields": "productid,sku"}
    )
    assert len(page["items"]) == 3
    assert all(set(product) == {"productid", "sku"} for product in page["items"])


@pytest.mark.covers("getProducts")
async def test_products_page_defaults_to_ten(api: ContractClient) -> None:
    """Without start/num the first ten products come back, with the full totalcount."""
    page = await api.call("GET", f"{SITE}/products.json")
    assert len(page["items"]) == 10
    assert page["totalcount"] > 10
