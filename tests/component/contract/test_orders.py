"""Contract of orders: create, read one, list per site and account, update, refusals."""

from __future__ import annotations

import pytest

from .client import ContractClient
from .conftest import SITE_ID
from .steps import SITE, create_order, order_body, store_warehouse, unique_externalid


@pytest.mark.covers("addOrder", "getOrder")
async def test_order_from_the_spec_example_reads_back(api: ContractClient) -> None:
    """The example order is stored with 0-based lines, totals and the fields we sent."""
    orderid, sent = await create_order(api)
    order = await api.call("GET", f"{SITE}/orders/{orderid}.json")
    assert order["orderid"] == orderid
    assert order["eshopid"] == SITE_ID
    assert order["externalid"] == sent["externalid"]
    assert order["warehouseid"] == sent["warehouseid"]
    assert [item["orderitemid"] for item in order["orderitems"]] == [0, 1, 2]
    assert [item["sku"] for item in order["orderitems"]] == [
        line["sku"] for line in sent["orderitems"]
    ]
    # 125.00 + (250.00 - 50.00) + 106.00, all VAT-inclusive.
    assert order["moneytotal_gross_all"] == "431.00"
    assert order["additionaldata"] == sent["additionaldata"]
    assert order["payments"][0]["moneyamount"] == "431.00"


@pytest.mark.covers("getOrders", "getAllOrders")
async def test_orders_are_found_by_externalid_per_site_and_per_account(
    api: ContractClient,
) -> None:
    """Both list endpoints find the order by externalid; the account one also by eshopid."""
    orderid, sent = await create_order(api)
    per_site = await api.call(
        "GET", f"{SITE}/orders.json", params={"externalid": sent["externalid"]}
    )
    per_account = await api.call(
        "GET",
        "/orders.json",
        params={"externalid": sent["externalid"], "eshopid": str(SITE_ID)},
    )
    assert [order["orderid"] for order in per_site["items"]] == [orderid]
    assert per_account["items"] == per_site["items"]


@pytest.mark.covers("getAllOrders")
async def test_order_id_cursor_with_ascending_sort(api: ContractClient) -> None:
    """orderidfrom plus sort=orderid reads the newer orders in creation order."""
    first, _ = await create_order(api)
    second, _ = await create_order(api)
    third, _ = await create_order(api)
    page = await api.call(
        "GET",
        "/orders.json",
        params={"orderidfrom": str(first + 1), "sort": "orderid", "fields": "orderid,externalid"},
    )
    assert [order["orderid"] for order in page["items"]] == [second, third]


@pytest.mark.covers("getOrders")
async def test_open_orders_of_a_warehouse_default_to_newest_first(api: ContractClient) -> None:
    """orderstate and warehouseid filters combine; the default sort is -orderid."""
    first, sent = await create_order(api)
    second, _ = await create_order(api)
    page = await api.call(
        "GET",
        f"{SITE}/orders.json",
        params={"orderstate": "0", "warehouseid": str(sent["warehouseid"]), "num": "2"},
    )
    assert [order["orderid"] for order in page["items"]] == [second, first]


@pytest.mark.covers("updateOrder", "getOrder")
async def test_partial_update_from_the_spec_example_keeps_the_rest(api: ContractClient) -> None:
    """The example's two-field PUT answers true and leaves every other field alone."""
    orderid, _ = await create_order(api)
    before = await api.call("GET", f"{SITE}/orders/{orderid}.json")
    change = api.spec.request_example("updateOrder")
    assert await api.call("PUT", f"{SITE}/orders/{orderid}.json", body=change) is True
    after = await api.call("GET", f"{SITE}/orders/{orderid}.json")
    assert after == before | change


@pytest.mark.covers("updateOrder")
async def test_cancelling_an_order_is_a_state_update(api: ContractClient) -> None:
    """orderstateid 20 cancels the order and the state reads back."""
    orderid, _ = await create_order(api)
    assert await api.call("PUT", f"{SITE}/orders/{orderid}.json", body={"orderstateid": 20})
    order = await api.call("GET", f"{SITE}/orders/{orderid}.json")
    assert order["orderstateid"] == 20


async def test_a_second_order_with_the_same_externalid_is_refused(api: ContractClient) -> None:
    """A duplicate externalid answers 400 with an errortext naming it."""
    _, sent = await create_order(api)
    error = await api.call("POST", f"{SITE}/orders.json", body=sent, expect=400)
    assert error["statuscode"] == 400
    assert sent["externalid"] in error["errortext"]


@pytest.mark.malformed_requests
async def test_money_without_two_decimals_is_refused(api: ContractClient) -> None:
    """A money string without its two decimals ("230") is outside the description and refused."""
    warehouse = await store_warehouse(api)
    body = await order_body(
        api, warehouseid=warehouse["warehouseid"], currencycode=warehouse["currencycode"]
    )
    body["orderitems"][0]["moneyrowprice"] = "230"
    error = await api.call(
        "POST", f"{SITE}/orders.json", body=body, expect=400, request_in_spec=False
    )
    assert error["statuscode"] == 400


@pytest.mark.malformed_requests
async def test_an_order_without_its_type_is_refused(api: ContractClient) -> None:
    """A body the description rejects (no ordertypeid) is also refused by the API."""
    body = {"externalid": unique_externalid("bad"), "orderitems": []}
    error = await api.call(
        "POST", f"{SITE}/orders.json", body=body, expect=400, request_in_spec=False
    )
    assert error["statuscode"] == 400


async def test_an_unknown_order_is_not_found(api: ContractClient) -> None:
    """Reading an order id that does not exist answers 404 with a Sitoo error body."""
    error = await api.call("GET", f"{SITE}/orders/99999999.json", expect=404)
    assert error["statuscode"] == 404
