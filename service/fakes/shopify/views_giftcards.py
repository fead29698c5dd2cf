"""GraphQL shapes of gift cards and their credit and debit transactions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphql import GraphQLResolveInfo

from service.fakes.shopify.access import require
from service.fakes.shopify.clock import iso
from service.fakes.shopify.giftcards import GiftCard, GiftCardTransaction
from service.fakes.shopify.ids import gid
from service.fakes.shopify.pagination import connection

if TYPE_CHECKING:
    from service.fakes.shopify.shop import FakeShopify


def _money(amount: Any, currency: str) -> dict[str, Any]:
    return {"amount": amount, "currencyCode": currency}


def giftcard_transaction(shop: FakeShopify, found: GiftCardTransaction) -> dict[str, Any]:
    """A GiftCardCreditTransaction or GiftCardDebitTransaction (amount signed as Shopify shows)."""
    card = shop.giftcards.cards[found.card]
    return {
        "__typename": found.kind,
        "id": gid(found.kind, found.number),
        "amount": _money(found.amount, card.currency),
        "processedAt": iso(found.processed_at),
        "note": found.note,
        "giftCard": lambda _info: giftcard(shop, card),
    }


def giftcard(shop: FakeShopify, card: GiftCard) -> dict[str, Any]:
    """A GiftCard: never its code, only the last characters and the masked code."""
    from service.fakes.shopify.views_orders import order_view  # noqa: PLC0415 - views refer to each other

    def transactions(info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
        require(info, "read_gift_card_transactions")
        return connection(
            card.transactions,
            args,
            key=lambda t: [t.number],
            view=lambda t: giftcard_transaction(shop, t),
        )

    order = shop.orders.orders.get(card.order) if card.order is not None else None
    return {
        "__typename": "GiftCard",
        "id": gid("GiftCard", card.number),
        "legacyResourceId": card.number,
        "balance": _money(card.balance, card.currency),
        "initialValue": _money(card.initial_value, card.currency),
        "enabled": card.enabled,
        "deactivatedAt": None if card.deactivated_at is None else iso(card.deactivated_at),
        "expiresOn": card.expires_on,
        "createdAt": iso(card.created_at),
        "updatedAt": iso(card.updated_at),
        "lastCharacters": card.last_characters,
        "maskedCode": card.masked_code,
        "note": card.note,
        "order": (lambda _info: order_view(shop, order)) if order is not None else None,
        "transactions": transactions,
    }
