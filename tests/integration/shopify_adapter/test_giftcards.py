"""Gift cards between Sitoo and Shopify through the running service (real HTTP and Redis).

A Sitoo card is mirrored as a Shopify card whose balance follows Sitoo's; a Shopify order
paid with the mirror redeems the Sitoo card; cancelling the order rolls that back. Effects
are counted where they land: the sandbox's card history and the fake shop's card ledger.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from service.adapters.shopify import ShopifyClient, build_http_client
from service.adapters.shopify.giftcard_mirroring import balance_mark
from service.adapters.shopify.giftcard_mirrors import GiftCardMirrors
from service.adapters.shopify.giftcard_payments import redeem_event_id
from service.contracts.envelope import EVENT_FIELD
from service.fakes.shopify import WebhookConfig
from service.fakes.shopify.giftcards import GiftCard as ShopifyCard
from service.pollers.tracking import track_giftcards
from service.records.keys import DeploymentKeys
from service.records.streams import stream_names
from service.sandbox.giftcards import GiftCard as SitooCard
from tests.integration.shopify_adapter.conftest import (
    HOOK_SECRET,
    MERCHANT_TOKEN,
    STOCKHOLM,
    Stack,
    eventually,
)

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
def mirror_giftcards() -> bool:
    """The stack mirrors Sitoo's cards to Shopify."""
    return True


@pytest.fixture
def webhook_config() -> WebhookConfig:
    """Every delivery twice, each held back up to 0.3 s, besides the reconciliation poller:
    three paths to the same order, one redemption."""
    return WebhookConfig(
        secret=SecretStr(HOOK_SECRET),
        retry_schedule_s=[0.2] * 8,
        poll_interval_s=0.02,
        duplicate_rate=1.0,
        max_delay_s=0.3,
    )


def _number() -> str:
    return "70" + "".join(secrets.choice("0123456789") for _ in range(14))


def _sitoo_card(stack: Stack, number: str) -> SitooCard:
    return stack.sandbox.sandbox.giftcards.card(number)


def _shopify_card(stack: Stack, giftcard_id: str) -> ShopifyCard:
    return stack.shopify.shop.giftcards.cards[int(giftcard_id.rsplit("/", 1)[-1])]


def _adjustments(stack: Stack, giftcard_id: str) -> list[Any]:
    """The credits and debits sitoo-sync made (not those of checkouts and refunds)."""
    key = f"GiftCard/{giftcard_id.rsplit('/', 1)[-1]}"
    made = [
        *stack.shopify.shop.ledger_entries(kind="giftcard.credit", key=key),
        *stack.shopify.shop.ledger_entries(kind="giftcard.debit", key=key),
    ]
    return [entry for entry in made if "[sitoo-sync:" in (entry.detail.get("note") or "")]


async def _sandbox(stack: Stack, path: str, body: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=stack.sandbox.url, timeout=10) as admin:
        answer = await admin.post(f"/_sandbox{path}", json=body)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


async def _mirrored(stack: Stack, redis: Any, number: str, balance: str) -> str:
    """Wait until the card's mirror exists and holds ``balance``; its gid."""
    mirrors = GiftCardMirrors(redis, keys=DeploymentKeys.from_settings(stack.settings))

    async def mirror_id() -> str | None:
        found = (await mirrors.mirror(number)).giftcard_id
        if found is None or _shopify_card(stack, found).balance != Decimal(balance):
            return None
        return found

    giftcard_id: str = await eventually(mirror_id)
    return giftcard_id


async def _issued_and_mirrored(stack: Stack, redis: Any, amount: str) -> tuple[str, str]:
    """A card issued in Sitoo and tracked (as a sale or use in a store does); its mirror."""
    number = _number()
    await _sandbox(stack, "/giftcards", {"cardnumber": number, "amount": amount})
    await track_giftcards(redis, DeploymentKeys.from_settings(stack.settings), [number])
    return number, await _mirrored(stack, redis, number, amount)


async def _balance_events(stack: Stack, redis: Any, number: str) -> list[bytes]:
    """The card's balance events on the outbound stream, oldest first, as stored."""
    found = []
    for _, fields in await redis.xrange(stream_names(stack.settings).outbound):
        document = json.loads(fields[EVENT_FIELD.encode()])
        if document["type"] == "giftcard.balance_changed" and (
            document["data"]["cardnumber"] == number
        ):
            found.append(fields[EVENT_FIELD.encode()])
    return found


async def _mirror_applied(stack: Stack, redis: Any, number: str, balance: str) -> None:
    """Wait until the mirror has applied Sitoo's event for ``balance`` (or a newer one).

    Sitoo reaching a balance and the poller's event for it reaching the mirror are two
    steps; a Shopify-side change made between them meets a balance read before it.
    """
    mirrors = GiftCardMirrors(redis, keys=DeploymentKeys.from_settings(stack.settings))

    async def applied() -> bool:
        read_at = [
            int(datetime.fromisoformat(d["data"]["at"]).timestamp() * 1000)
            for d in map(json.loads, await _balance_events(stack, redis, number))
            if Decimal(d["data"]["balance"]) == Decimal(balance)
        ]
        done = (await mirrors.mirror(number)).applied_at_ms
        return bool(read_at) and done is not None and done >= max(read_at)

    await eventually(applied)


async def _redeliver(stack: Stack, redis: Any, events: list[bytes]) -> None:
    for event in events:
        await redis.xadd(stream_names(stack.settings).outbound, {EVENT_FIELD: event})


async def _settle() -> None:
    """Let the pollers and the writer run a few more cycles."""
    await asyncio.sleep(1.5)


async def test_a_mirrored_card_follows_sitoo_after_in_store_use(stack: Stack, redis):
    """Sold in a store, mirrored once with its code; redeemed at a till, Shopify's balance
    follows; the same events delivered again, even after the record of one was lost (a
    kill between Shopify's answer and the record), adjust nothing twice."""
    number = _number()
    await _sandbox(stack, "/giftcards", {"cardnumber": number, "amount": "500.00"})
    # Paid with the card at a till: the orders poller sees the sale and tracks the card.
    await _sandbox(
        stack,
        "/actions/pos-sale",
        {
            "storeid": stack.store_id,
            "lines": [{"sku": "SKU-0001", "quantity": 1}],
            "receipt_id": f"R-{number[-6:]}",
            "giftcard": number,
            "giftcard_amount": "100.00",
        },
    )
    giftcard_id = await _mirrored(stack, redis, number, "400.00")
    mirror = _shopify_card(stack, giftcard_id)
    assert mirror.code == number  # the customer's card works online as it is
    assert number not in (mirror.note or "")
    assert _adjustments(stack, giftcard_id) == []  # created with the balance, nothing moved

    await _sandbox(
        stack,
        "/actions/redeem-giftcard",
        {"cardnumber": number, "amount": "50.00", "receipt_id": f"R2-{number[-6:]}"},
    )
    await eventually(lambda: _shopify_card(stack, giftcard_id).balance == Decimal("350.00"))
    [debit] = _adjustments(stack, giftcard_id)
    assert debit.kind == "giftcard.debit"

    created, debited = await _balance_events(stack, redis, number)
    await _redeliver(stack, redis, [created, debited])
    await _settle()
    # As if the writer died after Shopify applied the debit but before recording it: the
    # record still names the creation; the debit's event comes again.
    first = json.loads(created)
    at_ms = int(datetime.fromisoformat(first["data"]["at"]).timestamp() * 1000)
    mirrors = GiftCardMirrors(redis, keys=DeploymentKeys.from_settings(stack.settings))
    await mirrors.record_applied(number, balance_mark(first["event_id"], at_ms), at_ms)
    await _redeliver(stack, redis, [debited])
    await _settle()
    assert _shopify_card(stack, giftcard_id).balance == _sitoo_card(stack, number).balance
    assert _shopify_card(stack, giftcard_id).balance == Decimal("350.00")
    assert len(_adjustments(stack, giftcard_id)) == 1
    assert len(stack.shopify.shop.ledger_entries(kind="giftcard.create")) == 1


async def _order_paid_with(stack: Stack, payments: list[dict[str, str]], sku: str) -> int:
    body = {
        "order": {
            "email": "ada@example.com",
            "line_items": [{"sku": sku, "quantity": 1, "price": "100.00"}],
        },
        "pickup_location_id": STOCKHOLM,
        "gift_card_payments": payments,
    }
    answer = await stack.admin.post("/orders", json=body)
    assert answer.status_code == 201, answer.text
    return int(answer.json()["order"]["id"])


def _sitoo_orders(stack: Stack, externalid: str) -> list[Any]:
    return [o for o in stack.sandbox.sandbox.orders.orders.values() if o.externalid == externalid]


def _payment_transactions(stack: Stack, order: int) -> list[Any]:
    shop = stack.shopify.shop.orders
    return [shop.transactions[n] for n in shop.orders[order].transactions]


async def test_a_payment_with_a_mirror_redeems_the_sitoo_card_once(stack: Stack, redis):
    """60 paid with a mirror, 40 with a card Shopify sold: the Sitoo card is redeemed for 60,
    once; the Shopify-only card stays a payment on the Sitoo order; no balance moves back."""
    number, giftcard_id = await _issued_and_mirrored(stack, redis, "300.00")
    own = await stack.admin.post("/gift-cards", json={"initial_value": "50.00"})
    own.raise_for_status()
    own_id = own.json()["legacy_id"]
    order = await _order_paid_with(
        stack,
        [
            {"gift_card_id": giftcard_id.rsplit("/", 1)[-1], "amount": "60.00"},
            {"gift_card_id": str(own_id), "amount": "40.00"},
        ],
        "SKU-0007",
    )
    [sitoo_order] = await eventually(lambda: _sitoo_orders(stack, f"shopify-{order}"))
    methods = sorted((p["name"], Decimal(str(p["moneyamount"]))) for p in sitoo_order.payments)
    assert methods == [("Gift card", Decimal("40.00")), ("Gift card", Decimal("60.00"))]
    await eventually(lambda: _sitoo_card(stack, number).balance == Decimal("240.00"))
    await _settle()
    redeems = [t for t in _sitoo_card(stack, number).transactions if t.moneyamount < 0]
    assert [t.moneyamount for t in redeems] == [Decimal("-60.00")]
    # Shopify spent the mirror itself; following Sitoo's balance now moves nothing.
    assert _shopify_card(stack, giftcard_id).balance == Decimal("240.00")
    assert _adjustments(stack, giftcard_id) == []
    mirror_payment = next(
        t for t in _payment_transactions(stack, order) if t.amount == Decimal("60.00")
    )
    ledger = GiftCardMirrors(redis, keys=DeploymentKeys.from_settings(stack.settings))
    assert (await ledger.mirror(number)).giftcard_id == giftcard_id
    keys = DeploymentKeys.from_settings(stack.settings)
    assert await redis.exists(keys.redemption(redeem_event_id(str(mirror_payment.number))))


async def test_a_cancelled_order_rolls_back_its_gift_card_redemption(stack: Stack, redis):
    """Cancelled in Shopify (with the refund to the card): the Sitoo order is cancelled and
    the redemption rolled back once; both balances are whole again."""
    number, giftcard_id = await _issued_and_mirrored(stack, redis, "200.00")
    order = await _order_paid_with(
        stack, [{"gift_card_id": giftcard_id.rsplit("/", 1)[-1], "amount": "100.00"}], "SKU-0008"
    )
    [sitoo_order] = await eventually(lambda: _sitoo_orders(stack, f"shopify-{order}"))
    await eventually(lambda: _sitoo_card(stack, number).balance == Decimal("100.00"))

    settings = stack.settings.shopify.model_copy(update={"access_token": SecretStr(MERCHANT_TOKEN)})
    async with build_http_client(settings) as http:
        merchant = ShopifyClient(http=http, settings=settings)
        assert await merchant.cancel_order(f"gid://shopify/Order/{order}", refund=True)
    await eventually(
        lambda: stack.sandbox.sandbox.orders.get(sitoo_order.orderid).orderstateid == 20
    )
    await eventually(lambda: _sitoo_card(stack, number).balance == Decimal("200.00"))
    await _settle()
    card = _sitoo_card(stack, number)
    assert card.balance == Decimal("200.00")
    assert len(card.rolled_back) == 1
    await eventually(lambda: _shopify_card(stack, giftcard_id).balance == Decimal("200.00"))
    # Shopify's own refund made the mirror whole. Had a balance read between the refund and
    # the rollback reached Shopify, it was moved there and back: never more than that.
    moved = sum(
        (
            Decimal(e.detail["amount"]) * (-1 if e.kind == "giftcard.debit" else 1)
            for e in _adjustments(stack, giftcard_id)
        ),
        Decimal(0),
    )
    assert moved == 0
    assert len(_adjustments(stack, giftcard_id)) in {0, 2}


async def _giftcard_events(stack: Stack, redis: Any, kind: str) -> list[bytes]:
    """The ``kind`` events on the gift-cards stream, as stored."""
    found = []
    for _, fields in await redis.xrange(stream_names(stack.settings).giftcards):
        if json.loads(fields[EVENT_FIELD.encode()])["type"] == kind:
            found.append(fields[EVENT_FIELD.encode()])
    return found


async def test_a_partial_refund_to_a_mirror_loads_the_sitoo_card_once(stack: Stack, redis):
    """150 of 200 paid with a mirror; one unit refunded (100, back to the card by Shopify):
    the Sitoo card gets 100 once, delivered twice and replayed, and the mirror, already
    credited by Shopify, is not moved. The refund of the rest (50 more to the card) rolls
    the redemption back and undoes the 100: both balances end where they began."""
    number, giftcard_id = await _issued_and_mirrored(stack, redis, "300.00")
    body = {
        "order": {"line_items": [{"sku": "SKU-0006", "quantity": 2, "price": "100.00"}]},
        "pickup_location_id": STOCKHOLM,
        "gift_card_payments": [
            {"gift_card_id": giftcard_id.rsplit("/", 1)[-1], "amount": "150.00"}
        ],
    }
    answer = await stack.admin.post("/orders", json=body)
    assert answer.status_code == 201, answer.text
    order = int(answer.json()["order"]["id"])
    line = int(answer.json()["order"]["line_items"][0]["id"])
    await eventually(lambda: _sitoo_orders(stack, f"shopify-{order}"))
    await eventually(lambda: _sitoo_card(stack, number).balance == Decimal("150.00"))
    # The transient this test does not cover (a balance read before Shopify's refund, applied
    # after it) is described in docs/shopify.md; the final half below tolerates it.
    await _mirror_applied(stack, redis, number, "150.00")

    async def refund_one() -> None:
        made = await stack.admin.post(
            f"/orders/{order}/refunds",
            json={"lines": [{"line_item_id": line, "quantity": 1}], "restock": False},
        )
        made.raise_for_status()

    await refund_one()
    assert _shopify_card(stack, giftcard_id).balance == Decimal("250.00")  # Shopify's own
    await eventually(lambda: _sitoo_card(stack, number).balance == Decimal("250.00"))
    [load] = await _giftcard_events(stack, redis, "giftcard.refund")
    await redis.xadd(stream_names(stack.settings).giftcards, {EVENT_FIELD: load})
    await _settle()
    loads = [t for t in _sitoo_card(stack, number).transactions if t.moneyamount > 0]
    assert [t.moneyamount for t in loads] == [Decimal("300.00"), Decimal("100.00")]  # issue, load
    assert _sitoo_card(stack, number).balance == Decimal("250.00")
    assert _shopify_card(stack, giftcard_id).balance == Decimal("250.00")
    assert _adjustments(stack, giftcard_id) == []  # following Sitoo moved nothing

    await refund_one()  # the rest: 50 more back to the card, 50 to the other payment
    await eventually(lambda: _sitoo_card(stack, number).balance == Decimal("300.00"))
    await _settle()
    card = _sitoo_card(stack, number)
    assert card.balance == Decimal("300.00")
    assert len(await _giftcard_events(stack, redis, "giftcard.refund")) == 2  # one replayed
    # A balance read between Shopify's refund and the rollback moves the mirror and back.
    await eventually(lambda: _shopify_card(stack, giftcard_id).balance == Decimal("300.00"))
    moved = sum(
        (
            Decimal(e.detail["amount"]) * (-1 if e.kind == "giftcard.debit" else 1)
            for e in _adjustments(stack, giftcard_id)
        ),
        Decimal(0),
    )
    assert moved == 0


async def test_a_card_the_webshop_issues_in_sitoo_is_mirrored(stack: Stack, redis):
    """A card issued through ``giftcard.issued`` is followed by the poller from then on (no
    store sale or payment names it), so it gets its mirror and the mirror follows in-store
    use."""
    number = _number()
    event = {
        "event_id": f"issue-{number}",
        "type": "giftcard.issued",
        "schema_version": 1,
        "occurred_at": "2026-03-01T12:00:00Z",
        "source": "webshop",
        "data": {"card_number": number, "amount": "80.00", "currency": "SEK"},
    }
    await redis.xadd(stream_names(stack.settings).giftcards, {EVENT_FIELD: json.dumps(event)})
    giftcard_id = await _mirrored(stack, redis, number, "80.00")
    await _sandbox(
        stack,
        "/actions/redeem-giftcard",
        {"cardnumber": number, "amount": "30.00", "receipt_id": f"R-{number[-6:]}"},
    )
    await eventually(lambda: _shopify_card(stack, giftcard_id).balance == Decimal("50.00"))
