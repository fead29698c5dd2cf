"""Shopify gift-card payments on an order as ``giftcard.redeem`` of the Sitoo card (no I/O).

Shopify spends the card itself at checkout; a payment with it is an order transaction,
gateway ``gift_card``, whose receipt names the card by its numeric id only (FACTS.md
§3.3). A card that mirrors a Sitoo card (its id was stored when the mirror was made) is
redeemed in Sitoo for the same amount, as event ``shopify-giftcard-payment-<transaction
id>`` with the order's ``order_id``, so the web hook, its retries and the reconciliation
poller derive the same redemption, and cancelling the order rolls it back. A card with no
Sitoo counterpart (issued or sold in Shopify) is not redeemed anywhere: the payment stays
a plain ``Gift card`` payment on the Sitoo order, as every gift-card payment is, and the
translation's note names it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from service.adapters.common.emitting import CanonicalEvent
from service.adapters.shopify.translation import (
    SOURCE,
    legacy_id,
    webshop_order_id,
)
from service.contracts.envelope import SCHEMA_VERSION, Envelope
from service.contracts.registry import Channel

if TYPE_CHECKING:
    from service.adapters.shopify.models import Order, OrderTransaction

GIFT_CARD_GATEWAY = "gift_card"
_SPENT = frozenset({"SALE", "CAPTURE"})


def redeem_event_id(transaction_id: str) -> str:
    """The redemption's event id, from the Shopify transaction's id."""
    return f"shopify-giftcard-payment-{legacy_id(transaction_id)}"


def giftcard_payments(order: Order) -> list[OrderTransaction]:
    """The order's successful gift-card payments that name their card."""
    return [
        t
        for t in order.transactions
        if t.gateway == GIFT_CARD_GATEWAY
        and t.kind in _SPENT
        and t.status == "SUCCESS"
        and t.amount.amount > 0
        and t.gift_card_id is not None
    ]


@dataclass(frozen=True, slots=True)
class GiftCardRedeems:
    """The redemptions an order's gift-card payments stand for, and what was left alone."""

    events: tuple[CanonicalEvent, ...]
    note: str = ""


def giftcard_redeems(order: Order, sitoo_cards: Mapping[str, str]) -> GiftCardRedeems:
    """``giftcard.redeem`` per payment with a mirrored card (``sitoo_cards``: gid → number)."""
    events: list[CanonicalEvent] = []
    plain: list[str] = []
    for payment in giftcard_payments(order):
        card_id = payment.gift_card_id
        assert card_id is not None  # noqa: S101 - giftcard_payments keeps only these
        card_number = sitoo_cards.get(card_id)
        if card_number is None:
            plain.append(legacy_id(card_id))
            continue
        envelope = Envelope(
            event_id=redeem_event_id(payment.id),
            type="giftcard.redeem",
            schema_version=SCHEMA_VERSION,
            occurred_at=payment.created_at or order.created_at,
            source=SOURCE,
            data={
                "card_number": card_number,
                "amount": str(payment.amount.amount),
                "currency": payment.amount.currency_code,
                "order_id": webshop_order_id(order.id),
            },
            correlation_id=order.name,
        )
        events.append(CanonicalEvent(Channel.GIFTCARDS, envelope))
    note = ""
    if plain:
        note = "gift card(s) " + ", ".join(plain) + " mirror no Sitoo card: payment only"
    return GiftCardRedeems(tuple(events), note=note)
