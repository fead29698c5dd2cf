"""Gift-card calls: issue once, read, and credit or debit once although Shopify has no key.

Shopify's giftCardCredit/giftCardDebit take no idempotency key and a repeated call moves
the balance again. Every adjustment therefore carries ``[sitoo-sync:REF]`` in its note;
before writing, and after any lost answer, the card's transactions are searched for that
marker, and the write goes out only while it is proven absent. Issuing works the same
way with a code derived from the reference (a retry that meets TAKEN looks the card up).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from service.adapters.shopify import giftcard_queries
from service.adapters.shopify.calls import ShopifyCalls, nodes
from service.adapters.shopify.errors import ReconciliationFailed, UserErrors
from service.adapters.shopify.models import (
    CreatedGiftCard,
    GiftCard,
    GiftCardAdjustment,
    GiftCardTransaction,
    money,
    parsed,
)
from service.adapters.shopify.protocol import raise_user_errors, user_errors
from service.adapters.shopify.references import giftcard_code, note_marker, tagged_note

MAX_TRANSACTION_PAGES = 10


def _card(raw: Any) -> GiftCard:  # noqa: ANN401 - raw JSON
    return GiftCard(
        id=raw["id"],
        legacy_id=int(raw["legacyResourceId"]),
        enabled=bool(raw["enabled"]),
        balance=money(raw["balance"]),
        initial_value=money(raw["initialValue"]),
        last_characters=raw["lastCharacters"],
        note=raw.get("note"),
        expires_on=raw.get("expiresOn"),
        deactivated_at=raw.get("deactivatedAt"),
    )


def _transaction(raw: Any) -> GiftCardTransaction:  # noqa: ANN401 - raw JSON
    kind = raw.get("__typename") or ""
    amount = money(raw["amount"])
    return GiftCardTransaction(
        id=raw["id"],
        kind="debit" if "Debit" in kind or amount.amount < 0 else "credit",
        amount=amount,
        note=raw.get("note"),
        processed_at=raw.get("processedAt"),
    )


class GiftCardCalls(ShopifyCalls):
    """The gift-card half of the client."""

    async def get_giftcard(self, giftcard_id: str) -> GiftCard | None:
        """A card's balance and state (None: not found)."""
        data = await self._engine.query(giftcard_queries.GIFT_CARD, {"id": giftcard_id})
        raw = data.get("giftCard")
        return None if raw is None else parsed(_card, raw, what="giftCard")

    async def find_giftcards(self, last_characters: str) -> list[GiftCard]:
        """Every card whose code ends with these four characters (Shopify never returns
        codes). All pages: the answer proves a card absent before it is created again."""
        found: list[GiftCard] = []
        after: str | None = None
        while True:
            data = await self._engine.query(
                giftcard_queries.GIFT_CARDS_BY_LAST_CHARACTERS,
                {
                    "query": last_characters,
                    "first": giftcard_queries.GIFT_CARDS_PAGE,
                    "after": after,
                },
            )
            connection = data.get("giftCards") or {}
            found.extend(parsed(_card, raw, what="giftCards") for raw in nodes(connection))
            page = connection.get("pageInfo") or {}
            after = page.get("endCursor")
            if not page.get("hasNextPage") or not after:
                return found

    async def create_giftcard(
        self,
        initial_value: Decimal,
        *,
        reference: str,
        code: str | None = None,
        note: str | None = None,
        expires_on: date | None = None,
        unknown: bool = False,
    ) -> CreatedGiftCard:
        """Issue a card once for ``reference``; its code is derived from it unless given."""
        chosen = (code or giftcard_code(reference)).lower()
        marker = note_marker(reference)
        body: dict[str, Any] = {
            "initialValue": str(initial_value),
            "code": chosen,
            "note": tagged_note(note, reference),
        }
        if expires_on is not None:
            body["expiresOn"] = expires_on.isoformat()

        async def existing() -> CreatedGiftCard | None:
            for card in await self.find_giftcards(chosen[-4:]):
                if card.note and marker in card.note:
                    return CreatedGiftCard(gift_card=card, code=chosen)
            return None

        async def write() -> CreatedGiftCard:
            answer = await self._engine.mutate(
                giftcard_queries.GIFT_CARD_CREATE, {"input": body}, repeatable=False
            )
            payload = answer["giftCardCreate"]
            errors = user_errors(payload)
            if errors and "TAKEN" in {e.code for e in errors}:
                found = await existing()
                if found is not None:
                    return found
            raise_user_errors(errors, what="giftCardCreate")
            card = parsed(_card, payload["giftCard"], what="giftCardCreate")
            return CreatedGiftCard(gift_card=card, code=str(payload.get("giftCardCode") or chosen))

        return await self._engine.write_once(
            "giftCardCreate", write=write, reconcile=existing, unknown=unknown
        )

    async def giftcard_transactions(
        self, giftcard_id: str, *, max_pages: int = MAX_TRANSACTION_PAGES
    ) -> list[GiftCardTransaction]:
        """The card's transactions, newest first (up to ``max_pages`` pages)."""
        found, _ = await self._newest_transactions(giftcard_id, max_pages)
        return found

    async def _newest_transactions(
        self, giftcard_id: str, max_pages: int
    ) -> tuple[list[GiftCardTransaction], bool]:
        """Up to ``max_pages`` pages of transactions, newest first, and whether that is all."""
        found: list[GiftCardTransaction] = []
        after: str | None = None
        for _ in range(max_pages):
            data = await self._engine.query(
                giftcard_queries.GIFT_CARD_TRANSACTIONS,
                {
                    "id": giftcard_id,
                    "first": giftcard_queries.GIFT_CARD_TRANSACTIONS_PAGE,
                    "after": after,
                },
            )
            card = data.get("giftCard")
            if card is None:
                raise UserErrors("giftCard: not found", errors=())
            connection = card.get("transactions") or {}
            found.extend(
                parsed(_transaction, raw, what="transactions") for raw in nodes(connection)
            )
            page = connection.get("pageInfo") or {}
            if not page.get("hasNextPage"):
                return found, True
            after = page.get("endCursor")
        return found, False

    async def find_giftcard_adjustment(
        self, giftcard_id: str, reference: str, *, max_pages: int = MAX_TRANSACTION_PAGES
    ) -> GiftCardTransaction | None:
        """The transaction whose note carries ``reference``, if there is one.

        None only when every transaction was read: a card with more than ``max_pages`` pages
        of newer transactions cannot prove the adjustment absent, so that raises
        ReconciliationFailed (the outcome stays unknown) rather than allow a second one.
        """
        marker = note_marker(reference)
        found, whole = await self._newest_transactions(giftcard_id, max_pages)
        for transaction in found:
            if transaction.note and marker in transaction.note:
                return transaction
        if not whole:
            raise ReconciliationFailed(
                f"gift card {giftcard_id}: {reference} is not among its newest "
                f"{len(found)} transactions, and the older ones were not read"
            )
        return None

    async def credit_giftcard(
        self,
        giftcard_id: str,
        amount: Decimal,
        currency: str,
        *,
        reference: str,
        note: str | None = None,
    ) -> GiftCardAdjustment:
        """Add ``amount`` once for ``reference``."""
        return await self._adjust(
            giftcard_id, amount, currency, reference=reference, note=note, debit=False
        )

    async def debit_giftcard(
        self,
        giftcard_id: str,
        amount: Decimal,
        currency: str,
        *,
        reference: str,
        note: str | None = None,
    ) -> GiftCardAdjustment:
        """Take ``amount`` once for ``reference`` (INSUFFICIENT_FUNDS raises UserErrors)."""
        return await self._adjust(
            giftcard_id, amount, currency, reference=reference, note=note, debit=True
        )

    async def set_giftcard_balance(
        self, giftcard_id: str, target: Decimal, *, reference: str, note: str | None = None
    ) -> GiftCardAdjustment | None:
        """Move the balance to ``target`` with one credit or debit for ``reference``.

        None when the balance already is the target. The difference is computed from a
        fresh read, so a checkout spending the card between that read and the write
        leaves the balance off by that amount: read again and adjust with a new reference.
        """
        earlier = await self.find_giftcard_adjustment(giftcard_id, reference)
        if earlier is not None:
            return GiftCardAdjustment(transaction=earlier, applied_now=False)
        card = await self.get_giftcard(giftcard_id)
        if card is None:
            raise UserErrors(f"giftCard {giftcard_id}: not found", errors=())
        delta = target - card.balance.amount
        if delta == 0:
            return None
        return await self._adjust(
            giftcard_id,
            abs(delta),
            card.balance.currency_code,
            reference=reference,
            note=note,
            debit=delta < 0,
            looked=True,
        )

    async def _adjust(
        self,
        giftcard_id: str,
        amount: Decimal,
        currency: str,
        *,
        reference: str,
        note: str | None,
        debit: bool,
        looked: bool = False,
    ) -> GiftCardAdjustment:
        operation = giftcard_queries.GIFT_CARD_DEBIT if debit else giftcard_queries.GIFT_CARD_CREDIT
        field, input_name = (
            ("giftCardDebit", "debitInput") if debit else ("giftCardCredit", "creditInput")
        )
        amount_name = "debitAmount" if debit else "creditAmount"
        variables = {
            "id": giftcard_id,
            input_name: {
                amount_name: {"amount": str(amount), "currencyCode": currency},
                "note": tagged_note(note, reference),
            },
        }

        async def earlier() -> GiftCardAdjustment | None:
            found = await self.find_giftcard_adjustment(giftcard_id, reference)
            return (
                None if found is None else GiftCardAdjustment(transaction=found, applied_now=False)
            )

        async def write() -> GiftCardAdjustment:
            answer = await self._engine.mutate(operation, variables, repeatable=False)
            payload = answer[field]
            raise_user_errors(user_errors(payload), what=field)
            key = "giftCardDebitTransaction" if debit else "giftCardCreditTransaction"
            raw = dict(payload[key])
            raw["__typename"] = "GiftCardDebitTransaction" if debit else "GiftCardCreditTransaction"
            return GiftCardAdjustment(
                transaction=parsed(_transaction, raw, what=field), applied_now=True
            )

        # Look before the first write too: a redelivered event may find its own earlier write.
        return await self._engine.write_once(
            field, write=write, reconcile=earlier, unknown=not looked
        )
