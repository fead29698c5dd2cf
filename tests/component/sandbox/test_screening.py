"""The strict sandbox: requests outside Sitoo's description are refused with Sitoo's 400."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from service.sandbox import FaultConfig, Sandbox, SandboxConfig, create_sandbox_app
from service.sandbox.seed import DEMO_GIFTCARD, DEMO_GIFTCARD_PIN, DEMO_GIFTCARD_WITH_PIN
from service.sandbox.transport import sandbox_transport
from tests.component.sandbox.conftest import BASE, FakeTime

pytestmark = pytest.mark.malformed_requests

ORDERS = "/sites/1/orders.json"
CARD = f"/sites/1/giftcards/{DEMO_GIFTCARD}"
TXS = "/sites/1/warehousetransactions.json"


def order(**changes: Any) -> dict[str, Any]:
    """A valid order body."""
    body: dict[str, Any] = {
        "externalid": "screen-1",
        "ordertypeid": 10,
        "orderitems": [{"productname": "P", "quantity": 1, "sku": "SKU-0001"}],
    }
    body.update(changes)
    return body


async def refused(response: httpx.Response) -> str:
    """The errortext of a Sitoo 400, after checking it is exactly that."""
    assert response.status_code == 400, response.text
    body = response.json()
    assert set(body) == {"statuscode", "errortext"}
    assert body["statuscode"] == 400
    text: str = body["errortext"]
    return text


@pytest.mark.parametrize(
    ("params", "text"),
    [
        ({"order_id": "1"}, "Unknown parameter 'order_id'."),
        ({"num": "ten"}, "Invalid value 'ten' for query parameter 'num': expected an integer."),
        ({"num": "1.5"}, "Invalid value '1.5' for query parameter 'num': expected an integer."),
        (
            {"orderid": "1,x"},
            (
                "Invalid value '1,x' for query parameter 'orderid': "
                "expected a comma-separated list of integers."
            ),
        ),
    ],
)
async def test_query_parameters_are_checked(
    client: httpx.AsyncClient, params: dict[str, str], text: str
) -> None:
    """Unknown names and values of the wrong type are refused, naming the parameter."""
    assert await refused(await client.get(ORDERS, params=params)) == text


async def test_a_repeated_parameter_is_refused(client: httpx.AsyncClient) -> None:
    """Sitoo would silently use only the last value; the sandbox refuses the misreading."""
    response = await client.get("/sites/1/products.json?sku=SKU-0001&sku=SKU-0002")
    assert await refused(response) == (
        "Parameter 'sku' given more than once; send one comma-separated value."
    )


async def test_a_pin_is_never_echoed(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    """A PIN of the wrong type is refused without repeating it, and paths keep no query."""
    response = await client.get(f"{CARD}.json", params={"pin": DEMO_GIFTCARD_PIN, "x": "1"})
    assert await refused(response) == "Unknown parameter 'x'."
    assert DEMO_GIFTCARD_PIN not in str(sandbox.violations.snapshot())


@pytest.mark.parametrize(
    ("body", "text"),
    [
        (
            order(ordertypeid=None),
            "Invalid field value 'ordertypeid' should be integer (got null).",
        ),
        (
            {k: v for k, v in order().items() if k != "ordertypeid"},
            "Missing required field 'ordertypeid'.",
        ),
        (
            order(orderitems=[{"productname": "P"}]),
            "Missing required field 'orderitems[0].quantity'.",
        ),
        (
            order(orderitems=[{"productname": "P", "quantity": "1"}]),
            "Invalid field value 'orderitems[0].quantity' should be integer (got a string).",
        ),
        (
            order(orderitems=[{"productname": "P", "quantity": 1.0}]),
            "Invalid field value 'orderitems[0].quantity' should be integer (got a number).",
        ),
        (order(colour="red"), "Unknown field 'colour'."),
        (
            order(orderitems=[{"productname": "P", "quantity": 1, "price": "1.00"}]),
            "Unknown field 'orderitems[0].price'.",
        ),
        (
            order(payments=[{"name": "Card", "moneyamount": "230"}]),
            (
                "Invalid field value 'payments[0].moneyamount' should be a money string with two "
                'decimals, like "12.50".'
            ),
        ),
        (
            order(additionaldata={"webshop": 7}),
            "Invalid field value 'additionaldata.webshop' should be string (got an integer).",
        ),
        ([order()], "Invalid request body: expected an object, got an array."),
    ],
)
async def test_order_bodies_are_checked(
    client: httpx.AsyncClient, sandbox: Sandbox, body: object, text: str
) -> None:
    """Missing, mistyped, unknown and null fields are refused with a text naming the field."""
    assert await refused(await client.post(ORDERS, json=body)) == text
    assert sandbox.find_orders() == []
    assert sandbox.ledger_entries() == []


async def test_nulls_the_description_allows_are_accepted(client: httpx.AsyncClient) -> None:
    """datereserved: null clears a reservation (its description says so)."""
    orderid = (await client.post(ORDERS, json=order(datereserved=1_900_000_000))).json()
    response = await client.put(f"/sites/1/orders/{orderid}.json", json={"datereserved": None})
    assert response.json() is True


async def test_arrays_and_objects_are_not_interchangeable(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    """One transaction object where Sitoo takes one; an array where it takes a batch."""
    movement = {
        "warehouseid": 1,
        "transactiontype": 10,
        "items": [{"sku": "SKU-0001", "decimalquantity": "1.000"}],
    }
    assert await refused(await client.post(TXS, json=movement)) == (
        "Invalid request body: expected an array, got an object."
    )
    redeem = [{"moneyamount": "-1.00"}]
    assert await refused(await client.post(f"{CARD}/transactions.json", json=redeem)) == (
        "Invalid request body: expected an object, got an array."
    )
    assert sandbox.ledger_entries() == []


async def test_bodies_need_json_and_reads_take_none(client: httpx.AsyncClient) -> None:
    """A body that is not declared JSON, a GET with a body and an empty POST are refused."""
    text_body = await client.post(
        ORDERS, content=b'{"ordertypeid": 10}', headers={"Content-Type": "text/plain"}
    )
    assert await refused(text_body) == "Content-Type must be application/json."
    read_with_body = await client.request("GET", ORDERS, json={"orderid": 1})
    assert await refused(read_with_body) == "This request takes no body."
    empty = await client.post(ORDERS, headers={"Content-Type": "application/json"})
    assert await refused(empty) == "Missing request body."


async def test_each_refusal_is_recorded_and_the_admin_api_shows_it(
    client: httpx.AsyncClient, admin: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    """GET /_sandbox/violations counts them per operation; reset keeps them, DELETE clears."""
    await client.get(ORDERS, params={"bogus": "1"})
    await client.post(f"{CARD}/transactions.json", json=[{"moneyamount": "-1.00"}])
    shown = (await admin.get("/violations")).json()
    assert shown["count"] == 2
    assert shown["by_operation"] == {"addGiftCardTransaction": 1, "getOrders": 1}
    first = shown["recent"][0]
    assert first == {
        "seq": 1,
        "at": first["at"],
        "api_id": "sandbox",
        "method": "GET",
        "path": "/v2/accounts/90001/sites/1/orders.json",
        "operation": "getOrders",
        "errortext": "Unknown parameter 'bogus'.",
        "refused": True,
    }
    await admin.post("/reset", json={"seed": "demo"})
    assert (await admin.get("/violations")).json()["count"] == 2
    assert (await admin.delete("/violations")).json()["count"] == 0
    assert sandbox.violations.count == 0


async def test_unauthenticated_requests_are_refused_before_they_are_screened(
    make_client: Any, sandbox: Sandbox
) -> None:
    """Wrong credentials answer 401 whatever the body: not a request of the API user."""
    async with make_client(auth=("sandbox", "wrong")) as stranger:
        response = await stranger.post(ORDERS, json=[1, 2])
    assert response.status_code == 401
    assert sandbox.violations.count == 0


async def test_a_refused_request_draws_no_fault(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    """Screening comes before faults: a malformed request is refused even under faults."""
    sandbox.set_faults(FaultConfig(error_before_rate=1.0))
    assert await refused(await client.get(ORDERS, params={"bogus": "1"}))
    assert sandbox.counters.snapshot()["faults"] == {}
    assert (await client.get(ORDERS)).status_code in {500, 503}


async def test_lenient_sandbox_serves_and_records(fake_time: FakeTime) -> None:
    """strict=False: the request is served as before and recorded as not refused."""
    app = create_sandbox_app(SandboxConfig(strict=False), now=fake_time)
    sandbox: Sandbox = app.state.sandbox
    async with httpx.AsyncClient(
        transport=sandbox_transport(app), base_url=BASE, auth=("sandbox", "sandbox")
    ) as client:
        pin = {"pin": DEMO_GIFTCARD_PIN, "extra": "1"}
        response = await client.get(f"/sites/1/giftcards/{DEMO_GIFTCARD_WITH_PIN}.json", params=pin)
    assert response.status_code == 200
    assert [(v.errortext, v.refused) for v in sandbox.violations.recent()] == [
        ("Unknown parameter 'extra'.", False)
    ]


DOCS = Path(__file__).resolve().parents[3] / "docs" / "sandbox.md"
TEXT = {"Content-Type": "text/plain"}
# The request behind each row of the errortext table in docs/sandbox.md.
DOCUMENTED_REQUESTS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "`GET orders.json?order_id=1`": ("GET", ORDERS + "?order_id=1", {}),
    "`GET orders.json?num=ten`": ("GET", ORDERS + "?num=ten", {}),
    "`GET products.json?sku=A&sku=B`": ("GET", "/sites/1/products.json?sku=A&sku=B", {}),
    "order without `ordertypeid`": (
        "POST",
        ORDERS,
        {"json": {k: v for k, v in order().items() if k != "ordertypeid"}},
    ),
    'order line with `"quantity": "1"`': (
        "POST",
        ORDERS,
        {"json": order(orderitems=[{"productname": "P", "quantity": "1"}])},
    ),
    'order with `"colour": "red"`': ("POST", ORDERS, {"json": order(colour="red")}),
    'payment `"moneyamount": "230"`': (
        "POST",
        ORDERS,
        {"json": order(payments=[{"name": "Card", "moneyamount": "230"}])},
    ),
    "a list posted to `giftcards/{n}/transactions.json`": (
        "POST",
        f"{CARD}/transactions.json",
        {"json": [{"moneyamount": "-1.00"}]},
    ),
    "one object posted to `warehousetransactions.json`": (
        "POST",
        TXS,
        {"json": {"warehouseid": 1, "transactiontype": 10, "items": []}},
    ),
    "a body sent as `text/plain`": ("POST", ORDERS, {"content": b"{}", "headers": TEXT}),
    "`GET` with a body": ("GET", ORDERS, {"json": {}}),
}


def _documented_rows() -> list[tuple[str, str]]:
    lines = DOCS.read_text(encoding="utf-8").splitlines()
    start = lines.index("| request | errortext |") + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        request, text = (cell.strip() for cell in line.strip("|").split(" | "))
        rows.append((request, text.strip("`")))
    return rows


async def test_every_documented_refusal_is_what_the_sandbox_answers(
    client: httpx.AsyncClient,
) -> None:
    """Each row of the errortext table in docs/sandbox.md, sent, gives its documented text."""
    rows = _documented_rows()
    assert {request for request, _ in rows} == set(DOCUMENTED_REQUESTS)
    for request, text in rows:
        method, url, options = DOCUMENTED_REQUESTS[request]
        assert await refused(await client.request(method, url, **options)) == text, request
