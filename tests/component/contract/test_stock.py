"""Contract of warehouse items and warehouse transactions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from .client import ContractClient
from .steps import (
    SITE,
    products,
    store_warehouse,
    unique_externalid,
    virtual_warehouse,
    warehouses,
    with_skus,
)


def _items_path(warehouseid: int) -> str:
    return f"{SITE}/warehouses/{warehouseid}/warehouseitems.json"


async def _stock(api: ContractClient, warehouseid: int, skus: list[str]) -> dict[str, Any]:
    page = await api.call("GET", _items_path(warehouseid), params={"sku": ",".join(skus)})
    return {item["sku"]: item for item in page["items"]}


@pytest.mark.covers("getWarehouseItems")
async def test_warehouse_items_filter_by_sku_and_page(api: ContractClient) -> None:
    """A sku list selects exactly those items; start/num page through the warehouse."""
    warehouse = await store_warehouse(api)
    path = _items_path(warehouse["warehouseid"])
    first = await api.call("GET", path, params={"start": "0", "num": "3"})
    second = await api.call("GET", path, params={"start": "3", "num": "3"})
    assert first["totalcount"] == second["totalcount"] > 6
    skus = [item["sku"] for item in first["items"] + second["items"]]
    assert len(set(skus)) == 6
    chosen = await _stock(api, warehouse["warehouseid"], skus[:2])
    assert sorted(chosen) == sorted(skus[:2])


@pytest.mark.covers("getWarehouseItems")
async def test_warehouse_items_filter_by_modification_window(api: ContractClient) -> None:
    """datelastmodifiedfrom/to select items whose datelastmodified lies in the window."""
    warehouse = await store_warehouse(api)
    path = _items_path(warehouse["warehouseid"])
    everything = await api.call("GET", path, params={"num": "1000"})
    dates = sorted(item["datelastmodified"] or 0 for item in everything["items"])
    window = {"datelastmodifiedfrom": str(dates[-1]), "datelastmodifiedto": str(dates[-1])}
    latest = await api.call("GET", path, params=window | {"num": "1000"})
    assert latest["totalcount"] >= 1
    assert {item["datelastmodified"] for item in latest["items"]} == {dates[-1]}


@pytest.mark.covers("batchSetWarehouseItems", "getWarehouseItems")
async def test_virtual_warehouse_items_are_set_from_the_spec_example(api: ContractClient) -> None:
    """The example's items, plus an absolute total, set a virtual warehouse's stock."""
    warehouse = await virtual_warehouse(api)
    skus = [product["sku"] for product in await products(api, 2)]
    body = with_skus(api.spec.request_example("batchSetWarehouseItems"), skus)
    body[0] |= {"decimaltotal": "17.000", "moneytotal": "170.00"}
    envelope = await api.call("PUT", _items_path(warehouse["warehouseid"]), body=body)
    assert [element["statuscode"] for element in envelope] == [200, 200]
    stock = await _stock(api, warehouse["warehouseid"], skus)
    assert [element["return"] for element in envelope] == [
        stock[sku]["warehouseitemid"] for sku in skus
    ]
    assert stock[skus[0]]["decimaltotal"] == "17.000"
    assert stock[skus[1]]["binlocation"] == body[1]["binlocation"]


@pytest.mark.covers("batchAddWarehouseTransactions", "getAllWarehouseTransactions")
async def test_transactions_from_the_spec_example_move_stock(api: ContractClient) -> None:
    """The example's move-out/move-in pair answers a batch envelope and moves both totals."""
    fifo = [w for w in await warehouses(api) if w["warehousetype"] == 10]
    source, target = fifo[0]["warehouseid"], fifo[1]["warehouseid"]
    sku = (await products(api, 1))[0]["sku"]
    before = [(await _stock(api, w, [sku]))[sku]["decimaltotal"] for w in (source, target)]
    body = with_skus(api.spec.request_example("batchAddWarehouseTransactions"), [sku])
    body[0] |= {"warehouseid": source, "externalid": unique_externalid("out")}
    body[1] |= {"warehouseid": target, "externalid": unique_externalid("in")}
    envelope = await api.call("POST", f"{SITE}/warehousetransactions.json", body=body)
    assert isinstance(envelope, list)
    assert [element["statuscode"] for element in envelope] == [200, 200]
    after = [(await _stock(api, w, [sku]))[sku]["decimaltotal"] for w in (source, target)]
    assert Decimal(after[0]) == Decimal(before[0]) - 13
    assert Decimal(after[1]) == Decimal(before[1]) + 13
    ids = [str(element["return"]) for element in envelope]
    listed = await api.call(
        "GET",
        f"{SITE}/warehousetransactions.json",
        params={"warehousetransactionid": ",".join(ids), "sort": "warehousetransactionid"},
    )
    assert [str(tx["warehousetransactionid"]) for tx in listed["items"]] == sorted(ids, key=int)
    assert [tx["externalid"] for tx in listed["items"]] == [b["externalid"] for b in body]


@pytest.mark.covers("batchAddWarehouseTransactions", "getWarehouseTransactions")
async def test_single_transaction_is_listed_per_warehouse(api: ContractClient) -> None:
    """One posted transaction shows up first in its warehouse's descending list."""
    warehouse = (await store_warehouse(api))["warehouseid"]
    sku = (await products(api, 1))[0]["sku"]
    body = [
        {
            "warehouseid": warehouse,
            "transactiontype": 10,
            "description": "Delivery from supplier",
            "externalid": unique_externalid("po"),
            "reasoncode": None,
            "items": [{"sku": sku, "decimalquantity": "4.000", "moneypricein": "12.50"}],
        }
    ]
    answer = await api.call("POST", f"{SITE}/warehousetransactions.json", body=body)
    transactionid = answer if isinstance(answer, int) else answer[0]["return"]
    listed = await api.call(
        "GET",
        f"{SITE}/warehouses/{warehouse}/warehousetransactions.json",
        params={"num": "5", "transactiontype": "10"},
    )
    newest = listed["items"][0]
    assert newest["warehousetransactionid"] == transactionid
    assert newest["items"][0]["sku"] == sku
    assert newest["items"][0]["decimalquantity"] == "4.000"


@pytest.mark.covers("batchAddWarehouseTransactions", "getAllWarehouseTransactions")
async def test_transaction_id_cursor_reads_forward(api: ContractClient) -> None:
    """warehousetransactionidfrom with ascending sort returns exactly the newer transactions."""
    warehouse = (await store_warehouse(api))["warehouseid"]
    sku = (await products(api, 1))[0]["sku"]
    body = [
        {
            "warehouseid": warehouse,
            "transactiontype": 10,
            "externalid": unique_externalid(f"in{index}"),
            "items": [{"sku": sku, "decimalquantity": "1.000"}],
        }
        for index in range(3)
    ]
    envelope = await api.call("POST", f"{SITE}/warehousetransactions.json", body=body)
    ids = [element["return"] for element in envelope]
    later = await api.call(
        "GET",
        f"{SITE}/warehousetransactions.json",
        params={"warehousetransactionidfrom": str(ids[0] + 1), "sort": "warehousetransactionid"},
    )
    assert [tx["warehousetransactionid"] for tx in later["items"]] == ids[1:]
    assert later["totalcount"] == 2


async def test_unknown_sku_fails_only_its_element(api: ContractClient) -> None:
    """A transaction for an unknown SKU gets its own error element in a valid envelope."""
    warehouse = (await store_warehouse(api))["warehouseid"]
    sku = (await products(api, 1))[0]["sku"]
    line = {"transactiontype": 10, "warehouseid": warehouse, "description": "In"}
    body = [
        line | {"items": [{"sku": sku, "decimalquantity": "1.000"}]},
        line | {"items": [{"sku": "NO-SUCH-SKU", "decimalquantity": "1.000"}]},
    ]
    envelope = await api.call("POST", f"{SITE}/warehousetransactions.json", body=body)
    assert envelope[0]["statuscode"] == 200
    assert envelope[1]["statuscode"] >= 400
    assert envelope[1]["errortext"]


async def test_more_than_a_thousand_transactions_are_refused(api: ContractClient) -> None:
    """1001 transactions in one request answer 400 with a Sitoo error body."""
    warehouse = (await store_warehouse(api))["warehouseid"]
    sku = (await products(api, 1))[0]["sku"]
    one = {
        "warehouseid": warehouse,
        "transactiontype": 10,
        "items": [{"sku": sku, "decimalquantity": "1.000"}],
    }
    error = await api.call(
        "POST", f"{SITE}/warehousetransactions.json", body=[one] * 1001, expect=400
    )
    assert error["statuscode"] == 400


async def test_setting_stock_on_a_fifo_warehouse_is_refused(api: ContractClient) -> None:
    """decimaltotal on a FIFO warehouse is read-only: 400 with a Sitoo error body."""
    warehouse = (await store_warehouse(api))["warehouseid"]
    sku = (await products(api, 1))[0]["sku"]
    error = await api.call(
        "PUT",
        _items_path(warehouse),
        body=[{"sku": sku, "decimaltotal": "3.000"}],
        expect=400,
    )
    assert error["statuscode"] == 400
