"""The /_sandbox admin API: reset, faults, counters, ledger, state, set-up, clock, store actions."""

from __future__ import annotations

import httpx

from service.sandbox import Sandbox
from service.sandbox.seed import DEMO_GIFTCARD


async def test_faults_counters_and_ledger(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    """Faults set over HTTP apply; counters and ledger report them; DELETE clears counters."""
    put = await admin.put("/faults", json={"error_before_rate": 1, "writes_only": True})
    assert put.json()["error_before_rate"] == 1
    assert (await admin.put("/faults", json={"nope": 1})).status_code == 400
    assert (await client.post("/sites/1/orders.json", json={"ordertypeid": 10})).status_code >= 500
    await admin.put("/faults", json={})
    assert (
        await client.post("/sites/1/orders.json", json={"ordertypeid": 10, "externalid": "K1"})
    ).status_code == 200
    counters = (await admin.get("/requests")).json()
    assert counters["total"] == 2
    assert counters["faults"] == {"error_before": 1}
    assert counters["max_in_flight"] == {"sandbox": 1}
    ledger = (await admin.get("/ledger", params={"kind": "order.create"})).json()
    assert [(e["key"], e["api_id"], e["method"]) for e in ledger] == [("K1", "sandbox", "POST")]
    assert (await admin.get("/ledger", params={"key": "nothing"})).json() == []
    assert (await admin.delete("/requests")).json()["total"] == 0
    assert sandbox.counters.total == 0


async def test_reset_to_empty_and_back(admin: httpx.AsyncClient, client: httpx.AsyncClient) -> None:
    """The empty seed has the site only; demo brings the catalogue back."""
    assert (await admin.post("/reset", json={"seed": "empty"})).status_code == 200
    assert (await client.get("/sites/1/warehouses.json")).json()["totalcount"] == 0
    assert (await client.get("/sites.json")).json()["totalcount"] == 1
    await admin.post("/reset", json={"seed": "demo"})
    assert (await client.get("/sites/1/warehouses.json")).json()["totalcount"] == 4
    assert (await admin.post("/reset", json={"seed": "other"})).status_code == 400


async def test_setup_and_state(admin: httpx.AsyncClient, client: httpx.AsyncClient) -> None:
    """Stores, warehouses, products, stock and cards made by the admin API are visible."""
    store = (await admin.post("/stores", json={"name": "Uppsala", "externalid": "S-9"})).json()
    warehouse = (
        await admin.post("/warehouses", json={"name": "U", "storeid": store["storeid"]})
    ).json()
    wid = warehouse["warehouseid"]
    await admin.post(
        "/products", json={"sku": "NEW-1", "price": "50.00", "warehouseids": [wid], "quantity": "7"}
    )
    bulk = (
        await admin.post("/products", json={"count": 3, "prefix": "B", "warehouseids": [wid]})
    ).json()
    assert bulk["skus"] == 3
    await admin.put("/stock", json={"warehouseid": wid, "sku": "NEW-1", "quantity": "9"})
    state = (await admin.get("/state/stock", params={"warehouseid": wid})).json()
    assert [(i["sku"], i["decimaltotal"]) for i in state][:2] == [
        ("NEW-1", "9.000"),
        ("B-000102", "10.000"),
    ]
    card = (
        await admin.post(
            "/giftcards", json={"cardnumber": "777", "amount": "10.00", "redeemable": False}
        )
    ).json()
    assert card["redeemable"] is False
    changed = (await admin.put("/giftcards/777", json={"redeemable": True, "pin": "11"})).json()
    assert (changed["redeemable"], changed["requirespin"]) == (True, True)
    refused = await client.post(
        "/sites/1/giftcards/777/transactions.json", json={"moneyamount": "-1.00"}
    )
    assert refused.json()["errortext"] == "Pin required"
    gift = (await admin.get(f"/state/giftcards/{DEMO_GIFTCARD}")).json()
    assert gift["giftcard"]["moneyamount"] == "500.00"


async def test_clock_moves_expiry(admin: httpx.AsyncClient, client: httpx.AsyncClient) -> None:
    """Advancing the clock past date_expires makes a card expired."""
    card = (await admin.post("/giftcards", json={"cardnumber": "888", "amount": "10.00"})).json()
    now = (await admin.get("/clock")).json()["now"]
    moved = (await admin.put("/clock", json={"advance_s": card["date_expires"] - now + 1})).json()
    assert moved["now"] > card["date_expires"]
    refused = await client.post(
        "/sites/1/giftcards/888/transactions.json", json={"moneyamount": "-1.00"}
    )
    assert refused.json()["errortext"] == "Gift card has expired"


async def test_store_actions_over_http(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    """POS sale with a gift card, pick-up flow and a stock count through /_sandbox/actions."""
    sale = (
        await admin.post(
            "/actions/pos-sale",
            json={
                "storeid": 1,
                "lines": [{"sku": "SKU-0010", "quantity": 1}],
                "receipt_id": "R-100",
                "giftcard": DEMO_GIFTCARD,
                "giftcard_amount": "100.00",
            },
        )
    ).json()
    assert (sale["orderstateid"], sale["ordertypeid"], sale["warehouseid"]) == (10, 10, 1)
    assert sale["payments"][0]["additionaldata"] == {"giftcard-cardnumber": DEMO_GIFTCARD}
    card = (await client.get(f"/sites/1/giftcards/{DEMO_GIFTCARD}.json")).json()
    assert card["transactions"][-1]["transaction_reference"] == "R-100"
    order = {
        "ordertypeid": 10,
        "externalid": "PICK-1",
        "warehouseid": 2,
        "orderitems": [{"productname": "p", "sku": "SKU-0011", "quantity": 1}],
    }
    orderid = (await client.post("/sites/1/orders.json", json=order)).json()
    await admin.post("/actions/ready-for-pickup", json={"orderid": orderid})
    done = (await admin.post("/actions/picked-up", json={"orderid": orderid})).json()
    assert done["orderstateid"] == 10
    assert [i["orderlogtypeid"] for i in done["orderlogitems"]] == [0, 900]
    count = (
        await admin.post(
            "/actions/stock-count", json={"warehouseid": 3, "counts": {"SKU-0012": "2"}}
        )
    ).json()
    assert count["transactiontype"] == 50
    redeem = await admin.post(
        "/actions/redeem-giftcard",
        json={"cardnumber": DEMO_GIFTCARD, "amount": "10.00", "receipt_id": "R-101", "storeid": 2},
    )
    assert redeem.json()["moneyamount"] == "390.00"
    store_entries = [e for e in sandbox.ledger_entries() if e.method == "STORE"]
    assert {e.path for e in store_entries} >= {"store:pos_sale", "store:picked_up"}
    assert all(e.api_id is None for e in store_entries)
    state = (await admin.get("/state/orders", params={"externalid": "PICK-1"})).json()
    assert state[0]["orderdeliveries"][0]["warehouseid"] == 2
