"""Contract of gift cards: issue, read, load/redeem and roll back."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from .client import ContractClient
from .steps import SITE, store_warehouse


def _card_number() -> str:
    # 20 digits like Sitoo's, from a fresh uuid so no two tests share a card.
    return "96" + str(uuid.uuid4().int)[:18]


async def _issue(api: ContractClient, **query: str) -> dict[str, Any]:
    currency = (await store_warehouse(api))["currencycode"]
    body = api.spec.request_example("addGiftCard") | {
        "currencycode": currency,
        "cardnumber": _card_number(),
    }
    answer: dict[str, Any] = await api.call(
        "POST", f"{SITE}/giftcards.json", body=body, params=query or None
    )
    return answer


@pytest.mark.covers("addGiftCard", "getGiftCard")
async def test_card_from_the_spec_example_is_issued_and_read(api: ContractClient) -> None:
    """The example card is issued with its 500.00 load and reads back as the bare card."""
    issued = await _issue(api)
    card = issued["giftcard"]
    assert card["moneyamount"] == "500.00"
    assert len(issued["addedtransactionids"]) == 2
    read = await api.call("GET", f"{SITE}/giftcards/{card['cardnumber']}.json")
    assert read == card


@pytest.mark.covers("addGiftCard")
async def test_issue_without_a_number_generates_a_twenty_digit_one(api: ContractClient) -> None:
    """Leaving cardnumber out makes the API choose a 20-digit card number."""
    currency = (await store_warehouse(api))["currencycode"]
    body = {"type": "giftcard", "currencycode": currency}
    issued = await api.call("POST", f"{SITE}/giftcards.json", body=body)
    number = issued["giftcard"]["cardnumber"]
    assert len(number) == 20
    assert number.isdigit()
    assert issued["addedtransactionids"] == []


@pytest.mark.covers("addGiftCard", "getGiftCard")
async def test_pin_card_is_read_with_its_pin(api: ContractClient) -> None:
    """?pin= on issue protects the card; ?pin= on read opens it."""
    issued = await _issue(api, pin="4711")
    number = issued["giftcard"]["cardnumber"]
    assert issued["giftcard"]["requirespin"] is True
    read = await api.call("GET", f"{SITE}/giftcards/{number}.json", params={"pin": "4711"})
    assert read["cardnumber"] == number


@pytest.mark.covers("addGiftCardTransaction", "deleteGiftCardTransactions", "getGiftCard")
async def test_redeem_from_the_spec_example_and_roll_it_back(api: ContractClient) -> None:
    """The example redeem of 299.00 leaves 201.00; rolling its ids back restores 500.00."""
    number = (await _issue(api))["giftcard"]["cardnumber"]
    path = f"{SITE}/giftcards/{number}/transactions.json"
    redeem = api.spec.request_example("addGiftCardTransaction") | {
        "transaction_reference": f"op-{uuid.uuid4().hex[:8]}"
    }
    answer = await api.call("POST", path, body=redeem)
    assert answer["giftcard"]["moneyamount"] == "201.00"
    added = answer["addedtransactionids"]
    assert len(added) == 2
    history = answer["giftcard"]["transactions"]
    assert history[-1]["transaction_reference"] == redeem["transaction_reference"]

    assert await api.call("DELETE", path, body=added) is True
    card = await api.call("GET", f"{SITE}/giftcards/{number}.json")
    assert card["moneyamount"] == "500.00"
    assert redeem["transaction_reference"] not in [
        transaction["transaction_reference"] for transaction in card["transactions"]
    ]


@pytest.mark.malformed_requests
async def test_several_transactions_in_one_call_are_refused(api: ContractClient) -> None:
    """An array body (the description takes one object) is a 400 and changes nothing."""
    number = (await _issue(api))["giftcard"]["cardnumber"]
    body = [
        {"moneyamount": "100.00", "merchant_reference": "refill"},
        {"moneyamount": "-50.00", "merchant_reference": "web"},
    ]
    error = await api.call(
        "POST",
        f"{SITE}/giftcards/{number}/transactions.json",
        body=body,
        expect=400,
        request_in_spec=False,
    )
    assert error["errortext"] == "Invalid request body: expected an object, got an array."
    card = await api.call("GET", f"{SITE}/giftcards/{number}.json")
    assert Decimal(card["moneyamount"]) == Decimal("500.00")


async def test_redeeming_beyond_the_balance_is_refused(api: ContractClient) -> None:
    """A redeem larger than the balance answers 400 with a Sitoo error body."""
    number = (await _issue(api))["giftcard"]["cardnumber"]
    error = await api.call(
        "POST",
        f"{SITE}/giftcards/{number}/transactions.json",
        body={"moneyamount": "-500.01"},
        expect=400,
    )
    assert error["statuscode"] == 400
    assert error["errortext"]


async def test_a_wrong_pin_is_refused(api: ContractClient) -> None:
    """A transaction on a PIN card with the wrong PIN answers a Sitoo error body."""
    number = (await _issue(api, pin="4711"))["giftcard"]["cardnumber"]
    error = await api.call(
        "POST",
        f"{SITE}/giftcards/{number}/transactions.json",
        body={"moneyamount": "-1.00"},
        params={"pin": "0000"},
        expect=400,
    )
    assert error["statuscode"] == 400


async def test_an_unknown_card_is_not_found(api: ContractClient) -> None:
    """Reading a card number that was never issued answers 404 with a Sitoo error body."""
    error = await api.call("GET", f"{SITE}/giftcards/{_card_number()}.json", expect=404)
    assert error["statuscode"] == 404


async def test_rolling_back_unknown_ids_is_refused(api: ContractClient) -> None:
    """A rollback naming transaction ids the card never had answers 400."""
    number = (await _issue(api))["giftcard"]["cardnumber"]
    error = await api.call(
        "DELETE",
        f"{SITE}/giftcards/{number}/transactions.json",
        body=["1", "ffffffffffffffffffffffffffffffffffffffff"],
        expect=400,
    )
    assert error["statuscode"] == 400
