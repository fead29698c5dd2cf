"""Contract of warehouse batches: open, stage items, remove items, close into one transaction."""

from __future__ import annotations

from decimal import Decimal

import pytest

from .client import ContractClient
from .steps import SITE, products, store_warehouse, with_skus


def _batches(warehouseid: int) -> str:
    return f"{SITE}/warehouses/{warehouseid}/warehousebatches"


@pytest.mark.covers(
    "addWarehouseBatch",
    "batchSetWarehouseBatchItems",
    "batchDeleteWarehouseBatchItems",
    "updateWarehouseBatch",
    "getWarehouseBatch",
    "getWarehouseBatches",
    "getWarehouseTransaction",
)
async def test_stocktaking_batch_from_the_spec_examples(api: ContractClient) -> None:
    """The examples' stock-taking batch sets the counted level through one type-50 transaction."""
    warehouseid = (await store_warehouse(api))["warehouseid"]
    skus = [product["sku"] for product in await products(api, 3)]
    base = _batches(warehouseid)

    batchid = await api.call(
        "POST", f"{base}.json", body=api.spec.request_example("addWarehouseBatch")
    )
    assert isinstance(batchid, int)
    items = with_skus(api.spec.request_example("batchSetWarehouseBatchItems"), skus)
    staged = await api.call("PUT", f"{base}/{batchid}/warehousebatchitems.json", body=items)
    assert staged is True or [element["statuscode"] for element in staged] == [200] * 3
    removed = with_skus(api.spec.request_example("batchDeleteWarehouseBatchItems"), skus[1:])
    dropped = await api.call("DELETE", f"{base}/{batchid}/warehousebatchitems.json", body=removed)
    assert dropped is True or [element["statuscode"] for element in dropped] == [200] * 2

    open_batches = await api.call("GET", f"{base}.json", params={"warehousebatchstate": "10"})
    assert batchid in [batch["warehousebatchid"] for batch in open_batches["items"]]

    closing = api.spec.request_example("updateWarehouseBatch")
    assert await api.call("PUT", f"{base}/{batchid}.json", body=closing) is True

    batch = await api.call("GET", f"{base}/{batchid}.json")
    assert batch["warehousebatchstate"] == 20
    transactionid = batch["warehousetransactionid"]
    assert isinstance(transactionid, int)
    transaction = await api.call(
        "GET",
        f"{SITE}/warehouses/{warehouseid}/warehousetransactions/{transactionid}.json",
    )
    assert transaction["transactiontype"] == 50
    # Only the first SKU stayed in the batch; its counted level is the example's 9.
    assert [line["sku"] for line in transaction["items"]] == [skus[0]]
    assert Decimal(transaction["items"][0]["decimaltotal"]) == Decimal(items[0]["decimalquantity"])


@pytest.mark.covers("getWarehouseBatchItems")
async def test_staged_batch_items_are_listed(api: ContractClient) -> None:
    """Items put into an open batch are listed with their quantities before the close."""
    warehouseid = (await store_warehouse(api))["warehouseid"]
    skus = [product["sku"] for product in await products(api, 3)]
    base = _batches(warehouseid)
    batchid = await api.call("POST", f"{base}.json", body={"transactiontype": 50})
    items = with_skus(api.spec.request_example("batchSetWarehouseBatchItems"), skus)
    await api.call("PUT", f"{base}/{batchid}/warehousebatchitems.json", body=items)
    listed = await api.call("GET", f"{base}/{batchid}/warehousebatchitems.json")
    assert listed["totalcount"] == 3
    assert {item["sku"]: item["decimalquantity"] for item in listed["items"]} == {
        item["sku"]: item["decimalquantity"] for item in items
    }


async def test_closing_an_unknown_batch_is_not_found(api: ContractClient) -> None:
    """Closing a batch that does not exist answers 404 with a Sitoo error body."""
    warehouseid = (await store_warehouse(api))["warehouseid"]
    error = await api.call(
        "PUT",
        f"{_batches(warehouseid)}/987654.json",
        body={"warehousebatchstate": 20},
        expect=404,
    )
    assert error["statuscode"] == 404
