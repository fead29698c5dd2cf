"""Contract of what follows an order: deliveries and log items."""

from __future__ import annotations

import pytest

from .client import ContractClient
from .steps import SITE, create_order


@pytest.mark.covers("addOrderDelivery", "getOrderDeliveries", "getAllWarehouseTransactions")
async def test_delivery_from_the_spec_example_creates_a_sales_transaction(
    api: ContractClient,
) -> None:
    """The example delivery is listed and moves stock through a type-30 transaction."""
    orderid, sent = await create_order(api)
    body = api.spec.request_example("addOrderDelivery") | {"warehouseid": sent["warehouseid"]}
    deliveryid = await api.call("POST", f"{SITE}/orders/{orderid}/orderdeliveries.json", body=body)
    assert isinstance(deliveryid, int)
    deliveries = await api.call("GET", f"{SITE}/orders/{orderid}/orderdeliveries.json")
    assert [delivery["orderdeliveryid"] for delivery in deliveries["items"]] == [deliveryid]
    delivered = deliveries["items"][0]["orderdeliveryitems"]
    assert [(item["orderitemid"], item["quantity"]) for item in delivered] == [
        (item["orderitemid"], item["quantity"]) for item in body["orderdeliveryitems"]
    ]
    sales = await api.call(
        "GET",
        f"{SITE}/warehousetransactions.json",
        params={"warehouseid": str(sent["warehouseid"]), "transactiontype": "30", "num": "1"},
    )
    newest = sales["items"][0]
    assert newest["orderdeliveryid"] == deliveryid
    assert sorted(line["decimalquantity"] for line in newest["items"]) == sorted(
        ["-1.000", "-2.000", "-1.000"]
    )


@pytest.mark.covers("addOrderDelivery")
async def test_delivery_without_stock_movement(api: ContractClient) -> None:
    """ignorestock=true is a declared query flag and the delivery is still recorded."""
    orderid, sent = await create_order(api)
    body = {
        "warehouseid": sent["warehouseid"],
        "orderdeliveryitems": [{"orderitemid": 0, "quantity": 1}],
    }
    await api.call(
        "POST",
        f"{SITE}/orders/{orderid}/orderdeliveries.json",
        body=body,
        params={"ignorestock": "true"},
    )


async def test_delivering_more_than_ordered_is_refused(api: ContractClient) -> None:
    """A delivery quantity above the ordered quantity answers 400 with a Sitoo error body."""
    orderid, sent = await create_order(api)
    body = {
        "warehouseid": sent["warehouseid"],
        "orderdeliveryitems": [{"orderitemid": 0, "quantity": 50}],
    }
    error = await api.call(
        "POST", f"{SITE}/orders/{orderid}/orderdeliveries.json", body=body, expect=400
    )
    assert error["statuscode"] == 400


@pytest.mark.covers("addOrderLogItem", "getOrderLogItems")
async def test_ready_for_pickup_log_item_from_the_spec_example(api: ContractClient) -> None:
    """The example's log item 900 answers true and is listed on the order."""
    orderid, _ = await create_order(api)
    path = f"{SITE}/orders/{orderid}/orderlogitems.json"
    body = api.spec.request_example("addOrderLogItem")
    assert await api.call("POST", path, body=body) is True
    logged = await api.call("GET", path)
    assert 900 in [entry["orderlogtypeid"] for entry in logged["items"]]
    assert all(entry["orderid"] == orderid for entry in logged["items"])


async def test_read_only_log_types_are_refused(api: ContractClient) -> None:
    """Only 900 and 910 may be posted: type 70 answers 400 with a Sitoo error body."""
    orderid, _ = await create_order(api)
    error = await api.call(
        "POST",
        f"{SITE}/orders/{orderid}/orderlogitems.json",
        body={"orderlogtypeid": 70},
        expect=400,
    )
    assert error["statuscode"] == 400
