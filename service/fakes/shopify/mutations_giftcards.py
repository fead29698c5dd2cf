"""giftCardCreate (the code shown once), giftCardCredit, giftCardDebit, giftCardDeactivate."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLResolveInfo

from service.fakes.shopify.access import context, require, user_error
from service.fakes.shopify.clock import parse_time
from service.fakes.shopify.giftcards import GiftCardRefused
from service.fakes.shopify.ids import number_of
from service.fakes.shopify.views_giftcards import giftcard, giftcard_transaction


def _refused(refused: GiftCardRefused) -> dict[str, Any]:
    return user_error(refused.message, refused.field, refused.code)


def giftcard_create(info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
    """Issue a card; giftCardCode is the only time the full code is ever returned."""
    require(info, "write_gift_cards")
    shop = context(info).shop
    try:
        card = shop.giftcards.create(
            input["initialValue"],
            code=input.get("code"),
            note=input.get("note"),
            expires_on=input.get("expiresOn"),
            customer=input.get("customerId"),
        )
    except GiftCardRefused as refused:
        return {"giftCard": None, "giftCardCode": None, "userErrors": [_refused(refused)]}
    return {"giftCard": giftcard(shop, card), "giftCardCode": card.code, "userErrors": []}


def _adjust(
    info: GraphQLResolveInfo, card_id: str, data: dict[str, Any], *, debit: bool
) -> dict[str, Any]:
    require(info, "write_gift_cards")
    shop = context(info).shop
    key = "giftCardDebitTransaction" if debit else "giftCardCreditTransaction"
    amount = data["debitAmount" if debit else "creditAmount"]
    number = number_of(card_id, "GiftCard")
    processed = data.get("processedAt")
    if number is None:
        error = user_error("Gift card not found", ["id"], "GIFT_CARD_NOT_FOUND")
        return {key: None, "userErrors": [error]}
    try:
        transaction = shop.giftcards.adjust(
            number,
            amount["amount"],
            amount["currencyCode"],
            debit=debit,
            note=data.get("note"),
            processed_at=parse_time(processed) if processed else None,
        )
    except GiftCardRefused as refused:
        return {key: None, "userErrors": [_refused(refused)]}
    return {key: giftcard_transaction(shop, transaction), "userErrors": []}


def giftcard_credit(
    info: GraphQLResolveInfo, id: str, creditInput: dict[str, Any]
) -> dict[str, Any]:
    """Add to the balance; repeating the call credits again (no idempotency key)."""
    return _adjust(info, id, creditInput, debit=False)


def giftcard_debit(info: GraphQLResolveInfo, id: str, debitInput: dict[str, Any]) -> dict[str, Any]:
    """Take from the balance; repeating the call debits again (FACTS.md §10.9)."""
    return _adjust(info, id, debitInput, debit=True)


def giftcard_deactivate(info: GraphQLResolveInfo, id: str) -> dict[str, Any]:
    """Deactivate a card for good."""
    require(info, "write_gift_cards")
    shop = context(info).shop
    number = number_of(id, "GiftCard")
    if number is None or number not in shop.giftcards.cards:
        error = user_error("Gift card not found", ["id"], "GIFT_CARD_NOT_FOUND")
        return {"giftCard": None, "userErrors": [error]}
    return {"giftCard": giftcard(shop, shop.giftcards.deactivate(number)), "userErrors": []}
