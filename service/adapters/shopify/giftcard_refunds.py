"""Shopify refunds paid back to a mirrored gift card as ``giftcard.refund`` (no I/O).

Shopify returns a gift-card payment's money to the card itself: a refund transaction,
gateway ``gift_card``, kind ``REFUND``, whose parent is the payment. When that payment was
redeemed in Sitoo (its card mirrors a Sitoo card), the Sitoo card gets the same amount
back, as event ``shopify-giftcard-refund-<refund transaction id>`` naming the redemption,
so the web hook, its retries and the reconciliation poller derive one load.

One rule keeps the money from coming back twice: a refund that leaves nothing of the order
is returned by rolling back the order's redemptions (``order.refunded`` with ``complete``,
like a cancellation), so its own gift-card transactions are not loaded; and rolling back a
redemption also undoes the loads made onto it before, which leaves the Sitoo card exactly
where it was before the order, as Shopify leaves the mirror.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from service.adapters.common.emitting import CanonicalEvent
from service.adapters.shopify.giftcard_payments import (
    GIFT_CARD_GATEWAY,
    giftcard_payments,
    redeem_event_id,
)
from service.adapters.shopify.refund_translation import completeness
from service.adapters.shopify.translation import SOURCE, legacy_id, webshop_order_id
from service.contracts.envelope import SCHEMA_VERSION, Envelope
from service.contracts.registry import Channel

if TYPE_CHECKING:
    from service.adapters.shopify.models import Order, OrderTransaction, Refund


def refund_event_id(transaction_id: str) -> str:
    """The load's event id, from the Shopify refund transaction's id."""
    return f"shopify-giftcard-refund-{legacy_id(transaction_id)}"


def _returned_to_card(transaction: OrderTransaction) -> bool:
    return (
        transaction.gateway == GIFT_CARD_GATEWAY
        and transaction.kind == "REFUND"
        and transaction.status == "SUCCESS"
        and transaction.amount.amount > 0
        and transaction.parent_id is not None
    )


def giftcard_refund_events(
    order: Order,
    refunds: Sequence[Refund],
    sitoo_cards: Mapping[str, str],
    *,
    since: datetime | None = None,
) -> tuple[CanonicalEvent, ...]:
    """``giftcard.refund`` per partial refund's money back to a mirror (gid → Sitoo number)."""
    payments = {p.id: p for p in giftcard_payments(order)}
    events: list[CanonicalEvent] = []
    for refund, complete in completeness(order, refunds):
        if complete:
            continue  # the rollback of the order's redemptions returns it
        if since is not None and (refund.created_at is None or refund.created_at < since):
            continue
        for transaction in refund.transactions:
            if not _returned_to_card(transaction):
                continue
            payment = payments.get(transaction.parent_id or "")
            card_id = payment.gift_card_id if payment is not None else None
            card_number = sitoo_cards.get(card_id) if card_id is not None else None
            if payment is None or card_number is None:
                continue  # a card that mirrors nothing in Sitoo: Shopify's own business
            envelope = Envelope(
                event_id=refund_event_id(transaction.id),
                type="giftcard.refund",
                schema_version=SCHEMA_VERSION,
                occurred_at=transaction.created_at or refund.created_at or order.updated_at,
                source=SOURCE,
                data={
                    "card_number": card_number,
                    "currency": transaction.amount.currency_code,
                    "amount": str(transaction.amount.amount),
                    "redemption_event_id": redeem_event_id(payment.id),
                    "order_id": webshop_order_id(order.id),
                },
                correlation_id=order.name,
            )
            events.append(CanonicalEvent(Channel.GIFTCARDS, envelope))
    return tuple(events)


def refund_card_ids(order: Order) -> list[str]:
    """The gift cards the order was paid with (those a refund can give money back to)."""
    return [p.gift_card_id for p in giftcard_payments(order) if p.gift_card_id is not None]
