"""Gift cards over HTTP: issue, read with PIN, redeem/load, refusals and rollback."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from service.sandbox import Sandbox, SandboxConfig, create_sandbox_app, sandbox_transport
from service.sandbox.seed import (
    DEMO_GIFTCARD,
    DEMO_GIFTCARD_BLOCKED,
    DEMO_GIFTCARD_EXPIRED,
    DEMO_GIFTCARD_PIN,
    DEMO_GIFTCARD_WITH_PIN,
)
from tests.component.sandbox.conftest import BASE, FakeTime

CARDS = "/sites/1/giftcards"


async def redeem(
    client: httpx.AsyncClient, card: str, body: Any, pin: str | None = None
) -> httpx.Response:
    """POST transactions to a card."""
    params = {"pin": pin} if pin else None
    return await client.post(f"{CARDS}/{card}/transactions.json", json=body, params=params)


async def test_issue_generates_a_20_digit_number(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    """Without cardnumber a 20-digit one is generated; the answer has two ids per load."""
    body = {
        "type": "giftcard",
        "currencycode": "SEK",
        "transactions": [{"moneyamount": "250.00", "merchant_reference": "WEB-9"}],
    }
    response = await client.post(f"{CARDS}.json", json=body)
    assert response.status_code == 200
    answer = response.json()
    card = answer["giftcard"]
    assert len(card["cardnumber"]) == 20
    assert card["cardnumber"].isdigit()
    assert (card["moneyamount"], card["requirespin"], card["redeemable"]) == ("250.00", False, True)
    assert len(answer["addedtransactionids"]) == 2
    assert len(answer["addedtransactionids"][1]) == 40
    assert [e.key for e in sandbox.ledger_entries(kind="giftcard.issue")] == [card["cardnumber"]]


async def test_issue_with_number_and_pin_then_read(client: httpx.AsyncClient) -> None:
    """A given number and ?pin= are kept; a read checks a given PIN; duplicates are refused."""
    body = {"type": "creditnote", "currencycode": "SEK", "cardnumber": "95123"}
    response = await client.post(f"{CARDS}.json", json=body, params={"pin": "4321"})
    assert response.json()["print_pin"] == "4321"
    assert (await client.get(f"{CARDS}/95123.json")).json()["cardnumber"] == "95123"
    wrong = await client.get(f"{CARDS}/95123.json", params={"pin": "0000"})
    assert (wrong.status_code, wrong.json()["errortext"]) == (400, "Invalid pin")
    card = (await client.get(f"{CARDS}/95123.json", params={"pin": "4321"})).json()
    assert (card["type"], card["requirespin"], card["moneyamount"]) == ("creditnote", True, "0.00")
    assert (await client.post(f"{CARDS}.json", json=body)).status_code == 400


@pytest.mark.malformed_requests
async def test_issue_validation(client: httpx.AsyncClient) -> None:
    """type and currencycode are required and checked."""
    for body in (
        {"type": "voucher", "currencycode": "SEK"},
        {"type": "giftcard"},
        {"type": "giftcard", "currencycode": "kr"},
    ):
        assert (await client.post(f"{CARDS}.json", json=body)).status_code == 400


async def test_unknown_card_is_404(client: httpx.AsyncClient) -> None:
    """Reading or redeeming an unknown card is 404."""
    assert (await client.get(f"{CARDS}/999.json")).status_code == 404
    assert (await redeem(client, "999", {"moneyamount": "-1.00"})).status_code == 404


async def test_redeem_then_read_history(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    """A redeem lowers the balance and is visible in the history with its references."""
    body = {"moneyamount": "-120.00", "transaction_reference": "RCPT-1", "merchant_reference": "M"}
    answer = (await redeem(client, DEMO_GIFTCARD, body)).json()
    assert answer["giftcard"]["moneyamount"] == "380.00"
    card = (await client.get(f"{CARDS}/{DEMO_GIFTCARD}.json")).json()
    assert card["transactions"][-1]["transaction_reference"] == "RCPT-1"
    added = answer["addedtransactionids"]
    assert card["transactions"][-1]["transactionid"] == added[0]
    assert [e.key for e in sandbox.ledger_entries(kind="giftcard.transaction")] == ["RCPT-1"]


@pytest.mark.malformed_requests
async def test_an_array_of_transactions_is_refused_as_sitoo_describes_one_object(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    """The description takes one transaction object per request: an array is a 400."""
    refused = await redeem(
        client, DEMO_GIFTCARD, [{"moneyamount": "100.00"}, {"moneyamount": "-600.00"}]
    )
    assert refused.status_code == 400
    assert refused.json()["errortext"] == "Invalid request body: expected an object, got an array."
    assert sandbox.ledger_entries(kind="giftcard.transaction") == []
    assert [v.operation for v in sandbox.violations.recent()] == ["addGiftCardTransaction"]


@pytest.mark.malformed_requests
async def test_a_lenient_sandbox_applies_an_array_all_or_nothing(fake_time: FakeTime) -> None:
    """Lenient, the array is served (and still recorded): an overdraft refuses it whole."""
    app = create_sandbox_app(SandboxConfig(strict=False), now=fake_time)
    sandbox: Sandbox = app.state.sandbox
    async with httpx.AsyncClient(
        transport=sandbox_transport(app), base_url=BASE, auth=("sandbox", "sandbox")
    ) as client:
        ok = await redeem(
            client, DEMO_GIFTCARD, [{"moneyamount": "100.00"}, {"moneyamount": "-600.00"}]
        )
        assert ok.json()["giftcard"]["moneyamount"] == "0.00"
        assert len(ok.json()["addedtransactionids"]) == 4
        refused = await redeem(client, DEMO_GIFTCARD, [{"moneyamount": "-0.01"}])
        assert refused.status_code == 400
        assert "Insufficient balance" in refused.json()["errortext"]
        mixed = await redeem(
            client, DEMO_GIFTCARD_WITH_PIN, [{"moneyamount": "5.00"}, {"moneyamount": "-1.00"}]
        )
        assert mixed.json()["errortext"] == "Pin required"
    assert len(sandbox.ledger_entries(kind="giftcard.transaction")) == 2
    assert sandbox.violations.count == 3
    assert not any(violation.refused for violation in sandbox.violations.recent())


async def test_refusals_have_distinct_texts(client: httpx.AsyncClient) -> None:
    """Expired, not redeemable, missing and wrong PIN each have their own errortext."""
    texts = set()
    for card, pin in (
        (DEMO_GIFTCARD_EXPIRED, None),
        (DEMO_GIFTCARD_BLOCKED, None),
        (DEMO_GIFTCARD_WITH_PIN, None),
        (DEMO_GIFTCARD_WITH_PIN, "0"),
    ):
        response = await redeem(client, card, {"moneyamount": "-1.00"}, pin)
        assert response.status_code == 400
        texts.add(response.json()["errortext"])
    assert len(texts) == 4
    ok = await redeem(client, DEMO_GIFTCARD_WITH_PIN, {"moneyamount": "-1.00"}, DEMO_GIFTCARD_PIN)
    assert ok.json()["giftcard"]["moneyamount"] == "299.00"


async def test_rollback_removes_the_transactions(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    """DELETE with the added ids restores the balance; a second rollback is refused."""
    added = (
        await redeem(
            client, DEMO_GIFTCARD, {"moneyamount": "-50.00", "transaction_reference": "R-9"}
        )
    ).json()
    url = f"{CARDS}/{DEMO_GIFTCARD}/transactions.json"
    ids = added["addedtransactionids"]
    response = await client.request("DELETE", url, json=ids)
    assert response.json() is True
    card = (await client.get(f"{CARDS}/{DEMO_GIFTCARD}.json")).json()
    assert card["moneyamount"] == "500.00"
    assert (await client.request("DELETE", url, json=ids)).status_code == 400
    assert [e.key for e in sandbox.ledger_entries(kind="giftcard.rollback")] == ["R-9"]


@pytest.mark.malformed_requests
async def test_pin_is_needed_for_redeems_only_and_checked_whenever_given(
    client: httpx.AsyncClient,
) -> None:
    """Loads, reads and rollbacks work without the PIN; a wrong PIN is refused on each."""
    card_path = f"{CARDS}/{DEMO_GIFTCARD_WITH_PIN}"
    load = await redeem(client, DEMO_GIFTCARD_WITH_PIN, {"moneyamount": "25.00"})
    assert load.status_code == 200
    added = load.json()["addedtransactionids"]
    assert (await client.get(f"{card_path}.json")).json()["moneyamount"] == "325.00"
    wrong = {"pin": "0"}
    refused = [
        await client.get(f"{card_path}.json", params=wrong),
        await client.post(
            f"{card_path}/transactions.json", json={"moneyamount": "1.00"}, params=wrong
        ),
    ]
    assert [r.json()["errortext"] for r in refused] == ["Invalid pin"] * 2
    # The rollback takes no PIN in the description: sending one is a malformed request.
    with_pin = await client.request(
        "DELETE", f"{card_path}/transactions.json", json=added, params=wrong
    )
    assert with_pin.json()["errortext"] == "Unknown parameter 'pin'."
    rollback = await client.request("DELETE", f"{card_path}/transactions.json", json=added)
    assert rollback.json() is True
    assert (await client.get(f"{card_path}.json")).json()["moneyamount"] == "300.00"
