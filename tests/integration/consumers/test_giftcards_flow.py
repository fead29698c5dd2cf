"""Gift cards end to end: request-reply, declines, refunds, out-of-order pairs, duplicates."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
import redis.asyncio as aioredis

from service.sandbox import RunningSandbox
from service.settings import Settings
from tests.integration.consumers.conftest import (
    Publish,
    envelope,
    read_results,
    results_by_inbound,
    settled,
)

CARD = "95000000000000000001"  # demo seed: 500.00 SEK
PIN_CARD = "95000000000000000002"  # demo seed: 300.00 SEK, PIN 1234
EXPIRED_CARD = "95000000000000000003"


def redeem(amount: str = "100.00", card: str = CARD, **extra: Any) -> dict[str, Any]:
    """A giftcard.redeem envelope."""
    return envelope(
        "giftcard.redeem", {"card_number": card, "amount": amount, "currency": "SEK", **extra}
    )


async def ask(
    redis: aioredis.Redis, publish: Publish, settings: Settings, document: dict[str, Any], key: str
) -> dict[str, Any]:
    """Send a request with reply_to and wait for the reply."""
    await publish(settings.streams.giftcard_requests, document, reply_to=key)
    popped = await redis.blpop([key], timeout=10)
    assert popped is not None, "no reply within 10 s"
    reply: dict[str, Any] = json.loads(popped[1])
    return reply


def balance(sandbox: RunningSandbox, card: str = CARD) -> Decimal:
    """The card's balance in the sandbox."""
    return Decimal(sandbox.sandbox.giftcard_state(card)["giftcard"]["moneyamount"])


@pytest.mark.usefixtures("service")
async def test_redeem_and_balance_requests_are_answered(
    settings: Settings,
    sandbox: RunningSandbox,
    redis: aioredis.Redis,
    publish: Publish,
    unique: str,
) -> None:
    """Redeem and balance replies arrive on reply_to; the list expires; results are emitted."""
    approved = await ask(redis, publish, settings, redeem("120.00"), f"reply:{unique}:1")
    assert approved["status"] == "approved"
    assert approved["balance"] == "380.00"
    assert approved["transaction_ids"]
    asked = envelope("giftcard.balance", {"card_number": CARD, "currency": "SEK"})
    read = await ask(redis, publish, settings, asked, f"reply:{unique}:2")
    assert (read["status"], read["balance"]) == ("approved", "380.00")
    assert 0 < await redis.ttl(f"reply:{unique}:1") <= settings.consumers.reply_ttl_s or (
        not await redis.exists(f"reply:{unique}:1")
    )
    results = await read_results(redis, settings.streams.results, count=2)
    assert [r["type"] for r in results] == [
        "giftcard.redeem.succeeded",
        "giftcard.balance.succeeded",
    ]


@pytest.mark.usefixtures("service")
async def test_declines_name_their_reason(
    settings: Settings,
    sandbox: RunningSandbox,
    redis: aioredis.Redis,
    publish: Publish,
    unique: str,
) -> None:
    """Insufficient funds, wrong PIN, expired, unknown card and currency are explicit."""
    cases = [
        (redeem("9999.00"), "insufficient_funds"),
        (redeem("1.00", PIN_CARD, pin="0000"), "wrong_pin"),
        (redeem("1.00", EXPIRED_CARD), "expired"),
        (redeem("1.00", "12345678901234567890"), "unknown_card"),
        (
            envelope("giftcard.redeem", {"card_number": CARD, "amount": "1", "currency": "EUR"}),
            "currency_mismatch",
        ),
    ]
    for index, (document, code) in enumerate(cases):
        reply = await ask(redis, publish, settings, document, f"reply:{unique}:{index}")
        assert (reply["status"], reply["reason_code"]) == ("declined", code)
    assert balance(sandbox) == Decimal("500.00")
    # Sitoo does not check the currency: that redeem, on a card not seen before, was applied
    # and rolled back at once.
    assert len(sandbox.sandbox.ledger_entries(kind="giftcard.transaction")) == 1
    assert len(sandbox.sandbox.ledger_entries(kind="giftcard.rollback")) == 1
    # Now the card's currency is known: the next such redeem is refused without a write.
    again = envelope("giftcard.redeem", {"card_number": CARD, "amount": "1", "currency": "EUR"})
    reply = await ask(redis, publish, settings, again, f"reply:{unique}:again")
    assert (reply["status"], reply["reason_code"]) == ("declined", "currency_mismatch")
    assert len(sandbox.sandbox.ledger_entries(kind="giftcard.transaction")) == 1


@pytest.mark.usefixtures("service")
async def test_duplicate_redeem_spends_once(
    settings: Settings,
    sandbox: RunningSandbox,
    redis: aioredis.Redis,
    publish: Publish,
) -> None:
    """The same redeem event published three times takes the money once."""
    document = redeem("50.00")
    for _ in range(3):
        await publish(settings.streams.giftcards, document)
    await read_results(redis, settings.streams.results, count=1)
    await settled(redis, settings.streams.giftcards)
    assert balance(sandbox) == Decimal("450.00")
    assert len(sandbox.sandbox.ledger_entries(kind="giftcard.transaction")) == 1


@pytest.mark.usefixtures("service")
async def test_a_lost_reply_is_asked_for_again_on_a_new_list(
    settings: Settings,
    sandbox: RunningSandbox,
    redis: aioredis.Redis,
    publish: Publish,
    unique: str,
) -> None:
    """The same request on a new reply list gets the recorded answer; nothing is spent twice."""
    document = redeem("30.00")
    first = await ask(redis, publish, settings, document, f"reply:{unique}:first")
    again = await ask(redis, publish, settings, document, f"reply:{unique}:again")
    assert first["status"] == again["status"] == "approved"
    assert first["transaction_ids"] == again["transaction_ids"]
    assert balance(sandbox) == Decimal("470.00")
    assert len(sandbox.sandbox.ledger_entries(kind="giftcard.transaction")) == 1


@pytest.mark.usefixtures("service")
async def test_refund_before_redeem_voids_it_and_redeem_after_refund_never_respends(
    settings: Settings,
    sandbox: RunningSandbox,
    redis: aioredis.Redis,
    publish: Publish,
) -> None:
    """Out of order: refund first voids the redeem; in order: a re-sent redeem does not spend."""
    early = redeem("10.00")
    await publish(
        settings.streams.giftcards,
        envelope(
            "giftcard.refund",
            {"card_number": CARD, "currency": "SEK", "redemption_event_id": early["event_id"]},
        ),
    )
    await publish(settings.streams.giftcards, early)
    normal = redeem("30.00")
    await publish(settings.streams.giftcards, normal)
    refund = envelope(
        "giftcard.refund",
        {"card_number": CARD, "currency": "SEK", "redemption_event_id": normal["event_id"]},
    )
    await publish(settings.streams.giftcards, refund)
    await publish(settings.streams.giftcards, normal)  # the redeem delivered again
    results = await results_by_inbound(redis, settings.streams.results, count=4)
    assert results[early["event_id"]]["data"]["reason_code"] == "voided"
    assert results[refund["event_id"]]["data"]["sitoo"]["rolled_back"] is True
    await settled(redis, settings.streams.giftcards)
    assert balance(sandbox) == Decimal("500.00")
    assert len(sandbox.sandbox.ledger_entries(kind="giftcard.transaction")) == 1
    assert len(sandbox.sandbox.ledger_entries(kind="giftcard.rollback")) == 1
    await settled(redis, settings.streams.giftcards)


@pytest.mark.usefixtures("service")
async def test_issue_creates_a_card_once(
    settings: Settings,
    sandbox: RunningSandbox,
    redis: aioredis.Redis,
    publish: Publish,
) -> None:
    """giftcard.issued without a number gets a derived one, issued once despite a duplicate."""
    document = envelope("giftcard.issued", {"amount": "250.00", "currency": "SEK"})
    await publish(settings.streams.giftcards, document)
    await publish(settings.streams.giftcards, document)
    result = (await results_by_inbound(redis, settings.streams.results, count=1))[
        document["event_id"]
    ]
    number = result["data"]["sitoo"]["card_number"]
    await settled(redis, settings.streams.giftcards)
    assert balance(sandbox, number) == Decimal("250.00")
    assert len(sandbox.sandbox.ledger_entries(kind="giftcard.issue")) == 1
