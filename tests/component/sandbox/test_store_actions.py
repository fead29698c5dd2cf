"""Store actions as Python methods, checked through the Sitoo API a client would use."""

from __future__ import annotations

import httpx
import pytest

from service.sandbox import SaleLine, Sandbox
from service.sandbox.errors import SandboxError
from service.sandbox.seed import DEMO_GIFTCARD_PIN, DEMO_GIFTCARD_WITH_PIN


async def test_pos_sale_reduces_stock_and_shows_as_closed_order(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    """A till sale is a closed type-10 order with a delivery that lowered on-hand."""
    before = sandbox.stock_state(warehouseid=3, sku="SKU-0020")[0]["decimaltotal"]
    order = sandbox.staff.pos_sale(3, [SaleLine("SKU-0020", 2)], receipt_id="R-1")
    after = sandbox.stock_state(warehouseid=3, sku="SKU-0020")[0]["decimaltotal"]
    assert float(after) == float(before) - 2
    listed = (await client.get("/sites/1/orders.json", params={"orderstate": 10})).json()
    assert [o["orderid"] for o in listed["items"]] == [order.orderid]
    assert listed["items"][0]["additionaldata"]["pos-receiptid"] == "R-1"


def test_pos_sale_with_pin_card_needs_the_pin(sandbox: Sandbox) -> None:
    """Paying with a PIN card without its PIN fails and changes nothing."""
    with pytest.raises(SandboxError):
        sandbox.staff.pos_sale(
            1,
            [SaleLine("SKU-0001")],
            receipt_id="R-2",
            giftcard=DEMO_GIFTCARD_WITH_PIN,
            giftcard_amount="10.00",
        )
    assert sandbox.ledger_entries() == []
    sandbox.staff.pos_sale(
        1,
        [SaleLine("SKU-0001")],
        receipt_id="R-3",
        giftcard=DEMO_GIFTCARD_WITH_PIN,
        giftcard_amount="10.00",
        pin=DEMO_GIFTCARD_PIN,
    )
    assert sandbox.giftcard_state(DEMO_GIFTCARD_WITH_PIN)["giftcard"]["moneyamount"] == "290.00"


def test_reject_pickup_and_stock_count(sandbox: Sandbox) -> None:
    """910 is logged; a count sets the level and stamps datelaststocktaking."""
    order = sandbox.orders.create({"ordertypeid": 10, "warehouseid": 1})
    sandbox.staff.reject_pickup(order.orderid)
    assert order.logitems[-1]["orderlogtypeid"] == 910
    tx = sandbox.staff.stock_count(1, {"SKU-0030": "4"})
    item = sandbox.stock_state(warehouseid=1, sku="SKU-0030")[0]
    assert (item["decimaltotal"], item["datelaststocktaking"]) == ("4.000", tx.datecreated)
