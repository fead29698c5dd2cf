"""Gift-card payments become redemptions of mirrored cards; mirrors follow Sitoo's balance.

The real client reads and writes a fake shop in process; the mirror records live in a real
Redis.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from service.adapters.common.emitting import check
from service.adapters.common.translating import RawDelivery, Translated
from service.adapters.shopify import ShopifyClient
from service.adapters.shopify.giftcard_mirroring import (
    GiftCardMirroring,
    MirrorBusy,
    MirrorRefused,
)
from service.adapters.shopify.giftcard_mirrors import GiftCardMirrors
from service.adapters.shopify.translator import ShopifyTranslator
from service.contracts.outbound import GiftCardBalanceChanged, derive_event_id, outbound_envelope
from service.fakes.shopify import FakeShopify, FaultConfig
from service.fakes.shopify.order_intake import place_order
from service.records.keys import DeploymentKeys
from service.settings_shopify import ShopifySettings
from tests.component.shopify_adapter.conftest import STORE

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def mirrors(redis, unique) -> GiftCardMirrors:
    """Mirror records under this test's own prefix."""
    return GiftCardMirrors(redis, keys=DeploymentKeys(unique))


def _balance(
    number: str, balance: str, at: datetime, currency: str = "SEK", event_id: str | None = None
):
    payload = GiftCardBalanceChanged(
        cardnumber=number,
        balance=Decimal(balance),
        previous_balance=None,
        currency=currency,
        redeemable=True,
        last_transaction=None,
        at=at,
    )
    event_id = event_id or derive_event_id("giftcard.balance_changed", number, balance, at)
    return outbound_envelope(event_id, payload, occurred_at=at)


async def test_a_mirror_payment_is_a_redeem_and_a_shopify_only_card_a_payment(
    client: ShopifyClient, settings: ShopifySettings, shop: FakeShopify, mirrors
):
    """Two gift cards pay one order: the mirror's payment is redeemed in Sitoo under an id
    from Shopify's transaction id; the Shopify-only card is named in the note, not dropped."""
    mirror = shop.giftcards.create(Decimal(500), code="7000111122223333")
    own = shop.giftcards.create(Decimal(100))
    await mirrors.remember("7000111122223333", f"gid://shopify/GiftCard/{mirror.number}")
    order = place_order(
        shop,
        {
            "order": {"line_items": [{"sku": "SKU-0001", "quantity": 1, "price": "100.00"}]},
            "pickup_location_id": STORE,
            "gift_card_payments": [
                {"gift_card_id": mirror.number, "amount": "70.00"},
                {"gift_card_id": own.number, "amount": "30.00"},
            ],
        },
    )
    translator = ShopifyTranslator(client, settings, mirrors=mirrors)
    body = json.dumps({"id": order.number}).encode()
    delivery = RawDelivery("shopify", "orders/create", body, {}, "1-0", 0)
    outcome = await translator.translate(delivery)
    assert isinstance(outcome, Translated)
    placed, redeem = outcome.events
    for event in outcome.events:
        check(event)
    assert placed.envelope.type == "order.placed"
    assert [p["method"] for p in placed.envelope.data["payments"]] == ["Gift card", "Gift card"]
    paid_with_mirror = next(
        shop.orders.transactions[n]
        for n in order.transactions
        if shop.orders.transactions[n].receipt.get("gift_card_id") == mirror.number
    )
    assert redeem.envelope.event_id == f"shopify-giftcard-payment-{paid_with_mirror.number}"
    assert redeem.envelope.type == "giftcard.redeem"
    data = redeem.envelope.data
    assert (data["card_number"], Decimal(data["amount"])) == ("7000111122223333", Decimal(70))
    assert (data["currency"], data["order_id"]) == ("SEK", f"shopify-{order.number}")
    assert str(own.number) in outcome.note
    again = await translator.order_state(str(order.number))  # the poller's path
    assert isinstance(again, Translated)
    assert [e.envelope.event_id for e in again.events] == [
        e.envelope.event_id for e in outcome.events
    ]


async def test_an_order_not_placed_again_redeems_nothing(
    client: ShopifyClient, settings: ShopifySettings, shop: FakeShopify, mirrors
):
    """The redemption goes with the placement: an order too old to be placed adds none."""
    mirror = shop.giftcards.create(Decimal(500), code="7000444455556666")
    await mirrors.remember("7000444455556666", f"gid://shopify/GiftCard/{mirror.number}")
    order = place_order(
        shop,
        {
            "order": {"line_items": [{"sku": "SKU-0001", "quantity": 1, "price": "100.00"}]},
            "pickup_location_id": STORE,
            "gift_card_payments": [{"gift_card_id": mirror.number, "amount": "100.00"}],
        },
    )
    translator = ShopifyTranslator(
        client,
        settings,
        mirrors=mirrors,
        placement_window=timedelta(days=1),
        clock=lambda: datetime.now(UTC) + timedelta(days=2),
    )
    outcome = await translator.order_state(str(order.number))
    assert isinstance(outcome, Translated)
    assert outcome.events == ()


async def test_mirror_is_made_once_then_follows_newest_balance(
    client: ShopifyClient, shop: FakeShopify, mirrors
):
    """Created with the balance; the next balance is one debit; a late older event and the
    same event again change nothing."""
    mirroring = GiftCardMirroring(client, mirrors)
    number = "7000999988887777"
    first, second = _balance(number, "300.00", T0), _balance(number, "120.00", T0 + timedelta(1))
    await mirroring.apply(first)
    giftcard_id = (await mirrors.mirror(number)).giftcard_id
    assert giftcard_id is not None
    card = shop.giftcards.cards[int(giftcard_id.rsplit("/", 1)[-1])]
    assert (card.code, card.balance) == (number, Decimal("300.00"))
    await mirroring.apply(second)
    assert await mirroring.apply(first) == "older than the balance applied last"
    assert await mirroring.apply(second) == "already applied"
    assert card.balance == Decimal("120.00")
    assert [t.amount for t in card.transactions] == [Decimal("-180.00")]
    assert await mirrors.sitoo_cards([giftcard_id]) == {giftcard_id: number}


async def test_a_lost_mirror_record_finds_the_card_it_created(
    client: ShopifyClient, shop: FakeShopify, mirrors, redis, unique
):
    """Killed after giftCardCreate, before storing the id: the retry finds the card by its
    code and note instead of creating another, and brings it to the newer balance."""
    mirroring = GiftCardMirroring(client, mirrors)
    number = "7000123412341234"
    await mirroring.apply(_balance(number, "300.00", T0))
    await redis.delete(DeploymentKeys(unique).shopify_giftcard_mirror(number))
    await mirroring.apply(_balance(number, "250.00", T0 + timedelta(1)))
    [card] = [c for c in shop.giftcards.cards.values() if c.code == number]
    assert card.balance == Decimal("250.00")
    assert (await mirrors.mirror(number)).giftcard_id == f"gid://shopify/GiftCard/{card.number}"


@pytest.mark.parametrize(
    "case",
    [
        ("123456789012345678901", "10.00", "SEK", "8-20 letters and digits"),
        ("7000555566667777", "10.00", "EUR", "is in EUR, the shop.s cards in SEK"),
    ],
    ids=["number-too-long", "other-currency"],
)
async def test_a_card_shopify_cannot_mirror_is_refused_with_the_reason(
    client: ShopifyClient, shop: FakeShopify, mirrors, case
):
    """Refused (a dead letter with the reason) before any card is made."""
    number, balance, currency, reason = case
    before = len(shop.giftcards.cards)
    with pytest.raises(MirrorRefused, match=reason):
        await GiftCardMirroring(client, mirrors).apply(_balance(number, balance, T0, currency))
    assert len(shop.giftcards.cards) == before


async def test_an_empty_card_gets_its_mirror_once_it_has_a_balance(
    client: ShopifyClient, shop: FakeShopify, mirrors
):
    """Shopify refuses an initial value of 0: nothing is made until there is a balance."""
    mirroring = GiftCardMirroring(client, mirrors)
    before = len(shop.giftcards.cards)
    await mirroring.apply(_balance("7000000011112222", "0.00", T0))
    assert len(shop.giftcards.cards) == before
    await mirroring.apply(_balance("7000000011112222", "25.00", T0 + timedelta(1)))
    assert len(shop.giftcards.cards) == before + 1


@pytest.mark.parametrize("mode", ["500", "drop"])
async def test_every_answer_lost_still_one_card_and_one_adjustment(
    client: ShopifyClient, shop: FakeShopify, mirrors, mode: str
):
    """Shopify applies each gift-card write and then the answer is lost (a 500, or the
    connection dropped): the client finds its own write by its note, so the card is made
    once and each balance change is one debit, not one per attempt."""
    shop.set_faults(
        FaultConfig(
            seed=3,
            mutations_only=True,
            operation_contains="giftCard",
            apply_then_fail_rate=1.0,
            apply_then_fail_mode=mode,  # type: ignore[arg-type]
        )
    )
    mirroring = GiftCardMirroring(client, mirrors)
    number = "7000246824682468"
    await mirroring.apply(_balance(number, "300.00", T0))
    await mirroring.apply(_balance(number, "260.00", T0 + timedelta(1)))
    await mirroring.apply(_balance(number, "200.00", T0 + timedelta(2)))
    [card] = [c for c in shop.giftcards.cards.values() if c.code == number]
    assert card.balance == Decimal("200.00")
    assert [t.amount for t in card.transactions] == [Decimal("-40.00"), Decimal("-60.00")]
    assert len(shop.ledger_entries(kind="giftcard.create")) == 1
    assert {k: v for k, v in shop.requests.items() if k != "200"}, "answers were lost"


async def test_a_card_another_replica_holds_is_left_for_later(
    client: ShopifyClient, shop: FakeShopify, mirrors
):
    """While one replica adjusts a card, another does not read the same balance and adjust
    it too: it is told to retry, and nothing reaches Shopify."""
    number = "7000135713571357"
    token = await mirrors.claim(number, 10_000)
    assert token is not None
    before = len(shop.giftcards.cards)
    with pytest.raises(MirrorBusy):
        await GiftCardMirroring(client, mirrors).apply(_balance(number, "80.00", T0))
    assert len(shop.giftcards.cards) == before
    await mirrors.release(number, token)
    await GiftCardMirroring(client, mirrors).apply(_balance(number, "80.00", T0))
    assert len(shop.giftcards.cards) == before + 1


async def test_a_lapsed_card_claim_is_taken_over_and_its_late_holder_cannot_let_it_go(
    mirrors: GiftCardMirrors,
) -> None:
    """A replica that stalled past its claim must not free the card for a third one."""
    number = "7000246824682468"
    stalled = await mirrors.claim(number, 200)
    assert stalled is not None
    assert await mirrors.claim(number, 10_000) is None
    await asyncio.sleep(0.3)
    taking_over = await mirrors.claim(number, 10_000)
    assert taking_over is not None
    await mirrors.release(number, stalled)
    assert await mirrors.claim(number, 10_000) is None
    await mirrors.release(number, taking_over)
    assert await mirrors.claim(number, 10_000) is not None


async def test_a_balance_that_comes_back_under_the_same_event_id_is_applied_again(
    client: ShopifyClient, shop: FakeShopify, mirrors
):
    """A rolled-back redemption gives the card its earlier balance and history back, so
    its event id too: that later change is still applied, not taken for the earlier one."""
    mirroring = GiftCardMirroring(client, mirrors)
    number = "7000864286428642"
    same = derive_event_id("giftcard.balance_changed", number, "200.00")
    await mirroring.apply(_balance(number, "300.00", T0))
    await mirroring.apply(_balance(number, "200.00", T0 + timedelta(1), event_id=same))
    await mirroring.apply(_balance(number, "100.00", T0 + timedelta(2)))
    await mirroring.apply(_balance(number, "200.00", T0 + timedelta(3), event_id=same))
    [card] = [c for c in shop.giftcards.cards.values() if c.code == number]
    assert card.balance == Decimal("200.00")
    assert [t.amount for t in card.transactions] == [
        Decimal("-100.00"),
        Decimal("-100.00"),
        Decimal("100.00"),
    ]
