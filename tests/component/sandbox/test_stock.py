"""Warehouse items, transactions and batches over HTTP."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from service.sandbox import Sandbox
from tests.component.sandbox.conftest import FakeTime

WEB = 4  # the demo's virtual warehouse
TXS = "/sites/1/warehousetransactions.json"


def move(warehouseid: int, sku: str, qty: str, externalid: str) -> dict[str, Any]:
    """One move-in/out transaction body."""
    return {
        "warehouseid": warehouseid,
        "transactiontype": 10 if not qty.startswith("-") else 20,
        "description": "move",
        "externalid": externalid,
        "items": [{"sku": sku, "decimalquantity": f"{Decimal(qty):.3f}", "moneypricein": "10.00"}],
    }


async def item(client: httpx.AsyncClient, warehouseid: int, sku: str) -> dict[str, Any]:
    """One warehouse item."""
    url = f"/sites/1/warehouses/{warehouseid}/warehouseitems.json"
    found: dict[str, Any] = (await client.get(url, params={"sku": sku})).json()["items"][0]
    return found


async def test_catalog_reads(client: httpx.AsyncClient) -> None:
    """Sites, stores, warehouses (FIFO and virtual) and products by SKU list."""
    sites = (await client.get("/sites.json")).json()
    assert sites["items"][0]["eshopid"] == 1
    stores = (await client.get("/sites/1/stores.json")).json()
    assert stores["totalcount"] == 3
    store = (await client.get("/sites/1/stores/2.json")).json()
    assert store["externalid"] == "STORE-2"
    warehouses = (await client.get("/sites/1/warehouses.json")).json()["items"]
    assert [(w["warehousetype"], w["storeid"]) for w in warehouses] == [
        (10, 1),
        (10, 2),
        (10, 3),
        (20, None),
    ]
    assert (await client.get("/sites/1/warehouses/9.json")).status_code == 404
    products = (
        await client.get(
            "/sites/1/products.json", params={"sku": "SKU-0100,SKU-0001", "fields": "sku"}
        )
    ).json()
    assert products == {"totalcount": 2, "items": [{"sku": "SKU-0001"}, {"sku": "SKU-0100"}]}
    page = (await client.get("/sites/1/products.json", params={"start": 95, "num": 10})).json()
    assert (page["totalcount"], len(page["items"])) == (100, 5)


async def test_items_filter_by_modified_time(
    client: httpx.AsyncClient, fake_time: FakeTime
) -> None:
    """Only items touched since the watermark come back, with three-decimal strings."""
    fake_time.value += 100
    await client.post(TXS, json=[move(1, "SKU-0005", "3", "X1")])
    url = "/sites/1/warehouses/1/warehouseitems.json"
    changed = (await client.get(url, params={"datelastmodifiedfrom": int(fake_time.value)})).json()
    assert [i["sku"] for i in changed["items"]] == ["SKU-0005"]
    assert changed["items"][0]["decimaltotal"].endswith(".000")
    everything = (await client.get(url, params={"num": 1000})).json()
    assert everything["totalcount"] == 100


async def test_put_items_on_virtual_answers_a_batch_envelope(
    client: httpx.AsyncClient, sandbox: Sandbox, fake_time: FakeTime
) -> None:
    """Absolute totals on the virtual warehouse; unknown SKU fails only its element."""
    fake_time.value += 10
    url = f"/sites/1/warehouses/{WEB}/warehouseitems.json"
    body = [{"sku": "SKU-0001", "decimaltotal": "42.000"}, {"sku": "NOPE", "decimaltotal": "1.000"}]
    answer = (await client.put(url, json=body)).json()
    assert answer[0]["statuscode"] == 200
    assert isinstance(answer[0]["return"], int)
    assert answer[1]["statuscode"] == 400
    shown = await item(client, WEB, "SKU-0001")
    assert (shown["decimaltotal"], shown["datelastmodified"]) == ("42.000", int(fake_time.value))
    assert [e.key for e in sandbox.ledger_entries(kind="warehouseitem.set")] == [f"{WEB}:SKU-0001"]


async def test_put_totals_on_fifo_is_400(client: httpx.AsyncClient) -> None:
    """FIFO totals move only through transactions."""
    url = "/sites/1/warehouses/1/warehouseitems.json"
    response = await client.put(url, json=[{"sku": "SKU-0001", "decimaltotal": "1.000"}])
    assert response.status_code == 400


async def test_transactions_single_id_or_envelope(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    """One element answers a bare id; several answer an envelope with per-element errors."""
    shown = await item(client, 1, "SKU-0003")
    before = float(shown["decimaltotal"])
    single = await client.post(TXS, json=[move(1, "SKU-0003", "5", "T-1")])
    assert isinstance(single.json(), int)
    several = (
        await client.post(
            TXS,
            json=[
                move(1, "SKU-0003", "-2", "T-2"),
                move(1, "NOPE", "1", "T-3"),
                move(WEB, "SKU-0003", "1", "T-4"),
            ],
        )
    ).json()
    assert [e["statuscode"] for e in several] == [200, 400, 400]
    assert float((await item(client, 1, "SKU-0003"))["decimaltotal"]) == before + 3
    assert [e.key for e in sandbox.ledger_entries(kind="warehouse.transaction")] == ["T-1", "T-2"]
    too_many = await client.post(TXS, json=[move(1, "SKU-0003", "1", "x")] * 1001)
    assert too_many.status_code == 400
    read_only = await client.post(
        TXS, json=[{**move(1, "SKU-0003", "1", "y"), "transactiontype": 30}]
    )
    assert read_only.status_code == 400


async def test_transaction_reads_filter_and_sort(client: httpx.AsyncClient) -> None:
    """Cursor reads with warehousetransactionidfrom and ascending sort; per-warehouse reads."""
    ids = [
        (await client.post(TXS, json=[move(1 + n % 2, "SKU-0001", "1", f"C{n}")])).json()
        for n in range(4)
    ]
    asc = (
        await client.get(
            TXS, params={"warehousetransactionidfrom": ids[1], "sort": "warehousetransactionid"}
        )
    ).json()
    assert [t["warehousetransactionid"] for t in asc["items"]] == ids[1:]
    desc = (await client.get(TXS)).json()
    assert [t["warehousetransactionid"] for t in desc["items"]] == ids[::-1]
    per = (await client.get("/sites/1/warehouses/2/warehousetransactions.json")).json()
    assert {t["externalid"] for t in per["items"]} == {"C1", "C3"}
    one = await client.get(f"/sites/1/warehouses/1/warehousetransactions/{ids[0]}.json")
    assert one.json()["items"][0]["moneyvalue"] == "10.00"
    assert (
        await client.get(f"/sites/1/warehouses/2/warehousetransactions/{ids[0]}.json")
    ).status_code == 404


async def test_stocktaking_batch_commits_one_transaction(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    """Open, add, remove, close: the counted level is reached through one type-50 transaction."""
    base = "/sites/1/warehouses/2/warehousebatches"
    batchid = (
        await client.post(f"{base}.json", json={"transactiontype": 50, "externalid": "COUNT-1"})
    ).json()
    items_url = f"{base}/{batchid}/warehousebatchitems.json"
    put = await client.put(
        items_url,
        json=[
            {"sku": "SKU-0007", "decimalquantity": "3.000"},
            {"sku": "SKU-0008", "decimalquantity": "1.000"},
        ],
    )
    assert [e["statuscode"] for e in put.json()] == [200, 200]
    removed = await client.request("DELETE", items_url, json=[{"sku": "SKU-0008"}])
    assert removed.json() == [{"statuscode": 200, "return": True}]
    assert (await client.get(items_url)).json()["totalcount"] == 1
    assert (await client.get(f"{base}.json")).json()["totalcount"] == 1
    close = await client.put(f"{base}/{batchid}.json", json={"warehousebatchstate": 20})
    assert close.json() is True
    shown = await item(client, 2, "SKU-0007")
    assert shown["decimaltotal"] == "3.000"
    assert shown["datelaststocktaking"] is not None
    batch = (await client.get(f"{base}/{batchid}.json")).json()
    assert batch["warehousebatchstate"] == 20
    txs = sandbox.ledger_entries(kind="warehouse.transaction", key="COUNT-1")
    assert len(txs) == 1
    assert txs[0].detail["warehousetransactionid"] == batch["warehousetransactionid"]
    again = await client.put(f"{base}/{batchid}.json", json={"warehousebatchstate": 20})
    assert again.status_code == 400
    assert (
        await client.post(
            f"/sites/1/warehouses/{WEB}/warehousebatches.json", json={"transactiontype": 50}
        )
    ).status_code == 400
