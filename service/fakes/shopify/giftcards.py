"""Gift cards: codes shown once, balances moved by credit and debit transactions."""

from __future__ import annotations

import random
import re
import string
from dataclasses import dataclass, field
from decimal import Decimal

from service.fakes.common.clock import Clock
from service.fakes.common.ledger import Ledger
from service.fakes.shopify.clock import IdSequence

_CODE = re.compile(r"[a-z0-9]{8,20}")
_CODE_ALPHABET = string.ascii_lowercase + string.digits


class GiftCardRefused(Exception):
    """A gift-card write Shopify refuses with a userError."""

    def __init__(self, code: str, field: list[str] | None, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.field = field
        self.message = message


@dataclass
class GiftCardTransaction:
    """A credit (positive) or debit (negative) of a card."""

    number: int
    card: int
    amount: Decimal
    note: str | None
    processed_at: float
    order: int | None = None

    @property
    def kind(self) -> str:
        """The GraphQL type of the transaction."""
        return "GiftCardCreditTransaction" if self.amount > 0 else "GiftCardDebitTransaction"


@dataclass
class GiftCard:
    """A gift card; the code itself is only ever shown by the create call."""

    number: int
    code: str
    currency: str
    initial_value: Decimal
    balance: Decimal
    note: str | None = None
    expires_on: str | None = None
    customer: str | None = None
    deactivated_at: float | None = None
    order: int | None = None
    created_at: float = 0.0
    updated_at: float = 0.0
    transactions: list[GiftCardTransaction] = field(default_factory=list)

    @property
    def last_characters(self) -> str:
        """The last four characters of the code."""
        return self.code[-4:]

    @property
    def masked_code(self) -> str:
        """All but the last four characters masked."""
        return "•••• •••• •••• " + self.last_characters

    @property
    def enabled(self) -> bool:
        """Not deactivated."""
        return self.deactivated_at is None


class GiftCardBook:
    """Every gift card of the shop."""

    def __init__(self, clock: Clock, ids: IdSequence, ledger: Ledger, currency: str) -> None:
        self._clock = clock
        self._ids = ids
        self._ledger = ledger
        self._currency = currency
        self._rng = random.Random(4242)  # noqa: S311 - reproducible generated codes
        self.cards: dict[int, GiftCard] = {}

    def create(
        self,
        initial_value: Decimal,
        *,
        code: str | None = None,
        note: str | None = None,
        expires_on: str | None = None,
        customer: str | None = None,
        record: bool = True,
    ) -> GiftCard:
        """A new card; the code is given (8-20 letters or digits) or 16 generated characters."""
        if initial_value <= 0:
            raise GiftCardRefused(
                "GREATER_THAN", ["input", "initialValue"], "Initial value must be greater than 0"
            )
        if code is None:
            code = "".join(self._rng.choice(_CODE_ALPHABET) for _ in range(16))
        normalised = code.lower()
        if len(normalised) < 8:  # noqa: PLR2004 - Shopify's documented minimum
            raise GiftCardRefused("TOO_SHORT", ["input", "code"], "Code is too short")
        if len(normalised) > 20:  # noqa: PLR2004 - Shopify's documented maximum
            raise GiftCardRefused("TOO_LONG", ["input", "code"], "Code is too long")
        if not _CODE.fullmatch(normalised):
            raise GiftCardRefused(
                "INVALID", ["input", "code"], "Code can only contain letters and numbers"
            )
        if any(card.code == normalised for card in self.cards.values()):
            raise GiftCardRefused("TAKEN", ["input", "code"], "Code has already been taken")
        now = self._clock.now()
        card = GiftCard(
            self._ids.next("GiftCard"),
            normalised,
            self._currency,
            initial_value,
            initial_value,
            note=note,
            expires_on=expires_on,
            customer=customer,
            created_at=now,
            updated_at=now,
        )
        self.cards[card.number] = card
        if record:
            self._ledger.record(
                "giftcard.create",
                f"GiftCard/{card.number}",
                initial_value=str(initial_value),
                note=note,
                last_characters=card.last_characters,
            )
        return card

    def card(self, number: int) -> GiftCard:
        """A card by number, or GIFT_CARD_NOT_FOUND."""
        card = self.cards.get(number)
        if card is None:
            raise GiftCardRefused("GIFT_CARD_NOT_FOUND", ["id"], "Gift card not found")
        return card

    def adjust(
        self,
        number: int,
        amount: Decimal,
        currency: str,
        *,
        debit: bool,
        note: str | None,
        processed_at: float | None = None,
        order: int | None = None,
    ) -> GiftCardTransaction:
        """Credit or debit a positive amount; there is no idempotency key (FACTS.md §8)."""
        card = self.card(number)
        field_name = "debitAmount" if debit else "creditAmount"
        input_name = "debitInput" if debit else "creditInput"
        if amount <= 0:
            raise GiftCardRefused(
                "NEGATIVE_OR_ZERO_AMOUNT",
                [input_name, field_name, "amount"],
                "The amount must be greater than zero",
            )
        if currency != card.currency:
            raise GiftCardRefused(
                "MISMATCHING_CURRENCY",
                [input_name, field_name, "currencyCode"],
                "The currency provided does not match the currency of the gift card",
            )
        if not card.enabled:
            raise GiftCardRefused("INVALID", ["id"], "The gift card is deactivated")
        if debit and amount > card.balance:
            raise GiftCardRefused(
                "INSUFFICIENT_FUNDS",
                [input_name, field_name, "amount"],
                "The gift card does not have sufficient funds to satisfy the request",
            )
        signed = -amount if debit else amount
        now = self._clock.now()
        transaction = GiftCardTransaction(
            self._ids.next("GiftCardTransaction"),
            number,
            signed,
            note,
            processed_at if processed_at is not None else now,
            order=order,
        )
        card.balance += signed
        card.updated_at = now
        card.transactions.append(transaction)
        self._ledger.record(
            "giftcard.debit" if debit else "giftcard.credit",
            f"GiftCard/{number}",
            amount=str(amount),
            note=note,
            balance_after=str(card.balance),
            transaction=transaction.number,
        )
        return transaction

    def deactivate(self, number: int) -> GiftCard:
        """Deactivate for good (a deactivated card cannot be re-enabled)."""
        card = self.card(number)
        if card.deactivated_at is None:
            card.deactivated_at = self._clock.now()
            card.updated_at = card.deactivated_at
            self._ledger.record("giftcard.deactivate", f"GiftCard/{number}")
        return card

    def transaction(self, number: int) -> GiftCardTransaction | None:
        """A transaction by number, on any card."""
        for card in self.cards.values():
            for transaction in card.transactions:
                if transaction.number == number:
                    return transaction
        return None
