"""Orders over HTTP: creation rules, reads, updates, reservations, deliveries, log items."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from service.sandbox import Sandbox
from tests.component.sandbox.conftest import FakeTime

ORDERS = "/sites/1/orders.json"


def web_order(externalid: str = "WEB-1", **changes: Any) -> dict[str, Any]:
    """A click-and-collect order for store warehouse 1, reserved for a day."""
    order: dict[str, Any] = {
        "ordertypeid": 10,
        "externalid": externalid,
        "paymentstateid": 20,
        "warehouseid": 1,
        "datereserved": 1_700_000_000 + 86_400,
        "email": "a@example.com",
        "orderitems": [
            {
                "productname": "P1",
                "sku": "SKU-0001",
                "quantity": 1,
                "moneyrowprice": "125.00",
                "vatvalue": 25,
            },
            {
                "productname": "P2",
                "sku": "SKU-0002",
                "quantity": 2,
                "moneyrowprice": "250.00",
                "moneyrowdiscount": "50.00",
                "vatvalue": 25,
            },
        ],
        "payments": [{"name": "Web", "moneyamount": "325.00"}],
        "additionaldata": {"webshop-order": "1"},
    }
    order.update(changes)
    return order


async def create(client: httpx.AsyncClient, body: dict[str, Any]) -> int:
    """POST an order and return its id."""
    response = await client.post(ORDERS, json=body)
    assert response.status_code == 200, response.text
    orderid = response.json()
    assert isinstance(orderid, int)
    return orderid


async def stock(client: httpx.AsyncClient, sku: str, warehouseid: int = 1) -> dict[str, Any]:
    """The warehouse item of a SKU."""
    response = await client.get(f"/sites/1/warehouses/{warehouseid}/warehouseitems.json?sku={sku}")
    item: dict[str, Any] = response.json()["items"][0]
    return item


async def test_create_returns_bare_id_and_stores_computed_totals(client: httpx.AsyncClient) -> None:
    """The stored order has 0-based lines and totals derived from VAT-inclusive rows."""
    orderid = await create(client, web_order())
    order = (await client.get(f"/sites/1/orders/{orderid}.json")).json()
    assert [i["orderitemid"] for i in order["orderitems"]] == [0, 1]
    assert order["moneytotal_net"] == "260.00"
    assert order["moneytotal_vat"] == "65.00"
    assert order["moneytotal_gross_all"] == "325.00"
    assert order["orderitems"][1]["moneynetpriceperunit"] == "80.00"
    assert order["orderitems"][1]["additionaldata"]["orderitem-moneyrowdiscount"] == "50.00"
    assert order["payments"][0]["moneyamount"] == "325.00"
    assert order["orderlogitems"][0]["orderlogtypeid"] == 0
    assert (order["externalid"], order["eshopid"], order["orderstateid"]) == ("WEB-1", 1, 0)


@pytest.mark.malformed_requests
@pytest.mark.parametrize(
    ("change", "text"),
    [
        ({"ordertypeid": 99}, "ordertypeid"),
        ({"orderstateid": 5}, "orderstateid"),
        ({"paymentstateid": 11}, "paymentstateid"),
        ({"externalid": "bad id!"}, "externalid"),
        ({"orderitems": [{"productname": "x", "sku": "NOPE", "quantity": 1}]}, "NOPE"),
        (
            {"orderitems": [{"productname": "x", "quantity": 1, "moneyrowprice": "230"}]},
            "moneyrowprice",
        ),
        ({"orderitems": [{"productname": "x", "quantity": "1"}]}, "quantity"),
        ({"payments": [{"name": "x", "moneyamount": "1"}]}, "moneyamount"),
        ({"additionaldata": {"k": 1}}, "additionaldata"),
        ({"warehouseid": 999}, "999"),
    ],
)
async def test_invalid_orders_are_400_and_not_stored(
    client: httpx.AsyncClient, sandbox: Sandbox, change: dict[str, Any], text: str
) -> None:
    """Each broken field is a 400 whose errortext names it; nothing is applied."""
    response = await client.post(ORDERS, json=web_order(**change))
    assert response.status_code == 400
    assert text in response.json()["errortext"]
    assert sandbox.ledger_entries() == []


async def test_duplicate_externalid_is_a_400_naming_it(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    """A second create with the same externalid is refused; one order exists."""
    await create(client, web_order("DUP-1"))
    response = await client.post(ORDERS, json=web_order("DUP-1"))
    assert response.status_code == 400
    assert "DUP-1" in response.json()["errortext"]
    assert len(sandbox.ledger_entries(kind="order.create", key="DUP-1")) == 1


async def test_list_filters_sort_paging_and_fields(client: httpx.AsyncClient) -> None:
    """externalid, orderidfrom, orderstate, warehouseid filters; -orderid default; fields."""
    ids = [await create(client, web_order(f"L-{n}", warehouseid=1 + n % 2)) for n in range(4)]
    listing = (await client.get(ORDERS)).json()
    assert listing["totalcount"] == 4
    assert [o["orderid"] for o in listing["items"]] == sorted(ids, reverse=True)
    found = (await client.get(ORDERS, params={"externalid": "L-1,L-3", "fields": "orderid"})).json()
    assert found["items"] == [{"orderid": ids[3]}, {"orderid": ids[1]}]
    after = await client.get(
        ORDERS, params={"orderidfrom": ids[1], "sort": "orderid", "num": 2, "start": 1}
    )
    assert [o["orderid"] for o in after.json()["items"]] == [ids[2], ids[3]]
    in_two = (await client.get(ORDERS, params={"warehouseid": "2", "orderstate": "0"})).json()
    assert {o["orderid"] for o in in_two["items"]} == {ids[1], ids[3]}
    account = (await client.get("/orders.json", params={"eshopid": 1, "externalid": "L-0"})).json()
    assert [o["orderid"] for o in account["items"]] == [ids[0]]
    assert (await client.get(ORDERS, params={"sort": "date"})).status_code == 400


async def test_reservation_lowers_available_until_datereserved(
    client: httpx.AsyncClient, fake_time: FakeTime
) -> None:
    """An open order reserves without touching datelastmodified; expiry releases it."""
    before = await stock(client, "SKU-0002")
    await create(client, web_order(datereserved=int(fake_time.value) + 3600))
    during = await stock(client, "SKU-0002")
    assert during["decimalreserved"] == "2.000"
    assert float(during["decimalavailable"]) == float(before["decimalavailable"]) - 2
    assert during["datelastmodified"] == before["datelastmodified"]
    fake_time.value += 3601
    assert (await stock(client, "SKU-0002"))["decimalreserved"] == "0.000"


async def test_cancel_releases_and_final_states_stay_final(client: httpx.AsyncClient) -> None:
    """Cancelling frees the reservation; a cancelled order cannot be closed; repeating is fine."""
    orderid = await create(client, web_order())
    url = f"/sites/1/orders/{orderid}.json"
    assert (await client.put(url, json={"orderstateid": 20})).json() is True
    assert (await stock(client, "SKU-0002"))["decimalreserved"] == "0.000"
    assert (await client.put(url, json={"orderstateid": 20})).status_code == 200
    refused = await client.put(url, json={"orderstateid": 10})
    assert refused.status_code == 400
    assert "cancelled" in refused.json()["errortext"]


async def test_partial_update_changes_only_given_fields(client: httpx.AsyncClient) -> None:
    """PUT patches header fields and merges additionaldata; lines cannot change."""
    orderid = await create(client, web_order())
    url = f"/sites/1/orders/{orderid}.json"
    response = await client.put(url, json={"namefirst": "Ada", "additionaldata": {"x": "y"}})
    assert response.json() is True
    order = (await client.get(url)).json()
    assert (order["namefirst"], order["email"]) == ("Ada", "a@example.com")
    assert order["additionaldata"] == {"webshop-order": "1", "x": "y"}
    assert (await client.put(url, json={"orderitems": []})).status_code == 400
    assert (await client.put("/sites/1/orders/999999.json", json={})).status_code == 404


async def test_delivery_moves_stock_with_a_type_30_transaction(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    """A delivery reduces on-hand, ends the reservation and points back from the transaction."""
    orderid = await create(client, web_order())
    before = await stock(client, "SKU-0002")
    url = f"/sites/1/orders/{orderid}/orderdeliveries.json"
    body = {"warehouseid": 1, "orderdeliveryitems": [{"orderitemid": 1, "quantity": 2}]}
    deliveryid = (await client.post(url, json=body)).json()
    after = await stock(client, "SKU-0002")
    assert float(after["decimaltotal"]) == float(before["decimaltotal"]) - 2
    assert after["decimalreserved"] == "0.000"
    txs = await client.get("/sites/1/warehousetransactions.json", params={"transactiontype": 30})
    tx = txs.json()["items"][0]
    assert (tx["orderdeliveryid"], tx["items"][0]["decimalquantity"]) == (deliveryid, "-2.000")
    listed = (await client.get(url)).json()
    assert listed["items"][0]["orderdeliveryitems"][0]["quantity"] == 2
    again = await client.post(url, json=body)
    assert again.status_code == 400
    assert len(sandbox.ledger_entries(kind="order.delivery")) == 1


async def test_delivery_with_ignorestock_leaves_stock(client: httpx.AsyncClient) -> None:
    """ignorestock=true records the delivery without a transaction."""
    orderid = await create(client, web_order())
    before = await stock(client, "SKU-0001")
    body = {"warehouseid": 1, "orderdeliveryitems": [{"orderitemid": 0, "quantity": 1}]}
    url = f"/sites/1/orders/{orderid}/orderdeliveries.json?ignorestock=true"
    assert (await client.post(url, json=body)).status_code == 200
    assert (await stock(client, "SKU-0001"))["decimaltotal"] == before["decimaltotal"]


async def test_log_items_accept_only_900_and_910(client: httpx.AsyncClient) -> None:
    """Ready-for-pickup posts; other types are refused."""
    orderid = await create(client, web_order())
    url = f"/sites/1/orders/{orderid}/orderlogitems.json"
    assert (await client.post(url, json={"orderlogtypeid": 900})).json() is True
    assert (await client.post(url, json={"orderlogtypeid": 21})).status_code == 400
    types = [i["orderlogtypeid"] for i in (await client.get(url)).json()["items"]]
    assert types == [0, 900]
