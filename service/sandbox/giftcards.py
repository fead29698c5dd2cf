"""Gift cards and credit notes: issue, read, load/redeem, roll back.

PIN rule (FACTS.md §6: ``requirespin`` says whether *redeeming* needs the PIN; a given
``?pin=`` is validated): a redeem (a negative transaction) on a PIN card needs its PIN;
reads, loads and rollbacks do not (reads can be made to, by configuration); a PIN that
is given is always checked.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from service.sandbox.clock import Clock, IdSequence
from service.sandbox.errors import bad_request, not_found
from service.sandbox.ledger import Ledger
from service.sandbox.values import (
    ZERO,
    check_card_number,
    check_currency,
    format_money,
    mask_card_number,
    parse_money,
    parse_optional_str,
    parse_str,
)

CARD_TYPES = frozenset({"giftcard", "creditnote"})
DAY_S = 86_400


@dataclass(frozen=True)
class CardTransaction:
    """One load (positive) or redeem (negative) on a card; two ids as Sitoo hands out."""

    transactionid: str
    hexid: str
    date: int
    moneyamount: Decimal
    merchant_reference: str | None = None
    staff_reference: str | None = None
    transaction_reference: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The transaction as it appears in the card's history."""
        return {
            "transactionid": self.transactionid,
            "date": self.date,
            "moneyamount": format_money(self.moneyamount),
            "merchant_reference": self.merchant_reference,
            "staff_reference": self.staff_reference,
            "transaction_reference": self.transaction_reference,
        }

    @property
    def reference(self) -> str:
        """The natural key: the transaction reference, else the merchant reference, else the id."""
        return self.transaction_reference or self.merchant_reference or self.transactionid


@dataclass
class GiftCard:
    """A card, its PIN and its history; the balance is the sum of the history."""

    cardnumber: str
    type: str
    currencycode: str
    date_created: int
    date_expires: int | None
    redeemable: bool = True
    pin: str | None = None
    transactions: list[CardTransaction] = field(default_factory=list)
    rolled_back: list[CardTransaction] = field(default_factory=list)

    @property
    def balance(self) -> Decimal:
        """Current balance."""
        return sum((t.moneyamount for t in self.transactions), ZERO)

    def to_json(self) -> dict[str, Any]:
        """The card as Sitoo returns it."""
        return {
            "type": self.type,
            "currencycode": self.currencycode,
            "cardnumber": self.cardnumber,
            "cardnumber_display": mask_card_number(self.cardnumber),
            "redeemable": self.redeemable,
            "date_expires": self.date_expires,
            "date_created": self.date_created,
            "moneyamount": format_money(self.balance),
            "requirespin": self.pin is not None,
            "transactions": [t.to_json() for t in self.transactions],
        }


def check_pin(card: GiftCard, pin: str | None, *, required: bool = True) -> None:
    """A given PIN must be the card's; a missing one is refused only when ``required``."""
    if card.pin is None:
        return
    if pin is None or pin == "":
        if required:
            raise bad_request("Pin required")
        return
    if pin != card.pin:
        raise bad_request("Invalid pin")


def check_usable(card: GiftCard, now: int) -> None:
    """Expired and blocked cards take no transactions at all."""
    if card.date_expires is not None and card.date_expires <= now:
        raise bad_request("Gift card has expired")
    if not card.redeemable:
        raise bad_request("Gift card is not redeemable")


def check_amounts(balance: Decimal, amounts: list[Decimal]) -> None:
    """Zero amounts are refused; redeems may not take the balance below zero at any step."""
    running = balance
    for amount in amounts:
        if amount == ZERO:
            raise bad_request("Invalid field value 'moneyamount' should not be 0.00.")
        running += amount
        if running < ZERO:
            raise bad_request(
                f"Insufficient balance: the card has {format_money(balance)}, "
                f"the transactions need {format_money(-sum(amounts, ZERO))}"
            )


@dataclass(frozen=True)
class TransactionRequest:
    """A validated transaction from a request body."""

    moneyamount: Decimal
    merchant_reference: str | None
    staff_reference: str | None
    transaction_reference: str | None


def parse_transaction(raw: object) -> TransactionRequest:
    """Validate one {moneyamount, merchant_reference, ...} object."""
    if not isinstance(raw, dict):
        raise bad_request("Invalid value in transactions")
    if "moneyamount" not in raw:
        raise bad_request("Missing required field 'moneyamount'.")
    return TransactionRequest(
        moneyamount=parse_money(raw["moneyamount"], "moneyamount"),
        merchant_reference=parse_optional_str(raw.get("merchant_reference"), "merchant_reference"),
        staff_reference=parse_optional_str(raw.get("staff_reference"), "staff_reference"),
        transaction_reference=parse_optional_str(
            raw.get("transaction_reference"), "transaction_reference"
        ),
    )


class GiftCardBook:
    """Every card of the account."""

    def __init__(
        self,
        clock: Clock,
        ids: IdSequence,
        ledger: Ledger,
        *,
        seed: str,
        validity_days: int,
        get_requires_pin: bool,
    ) -> None:
        self._clock = clock
        self._ids = ids
        self._ledger = ledger
        self._seed = seed
        self._rng = random.Random(f"giftcards:{seed}")  # noqa: S311 - card numbers are test data
        self._validity_days = validity_days
        self._get_requires_pin = get_requires_pin
        self.cards: dict[str, GiftCard] = {}

    def _new_number(self) -> str:
        while True:
            number = "95" + "".join(str(self._rng.randrange(10)) for _ in range(18))
            if number not in self.cards:
                return number

    def _transaction(self, card: GiftCard, request: TransactionRequest) -> CardTransaction:
        short = str(self._ids.next("giftcardtransaction", start=3001))
        digest = hashlib.sha1(  # noqa: S324 - an id, not a security measure
            f"{self._seed}:{card.cardnumber}:{short}".encode()
        ).hexdigest()
        return CardTransaction(
            transactionid=short,
            hexid=digest,
            date=self._clock.now(),
            moneyamount=request.moneyamount,
            merchant_reference=request.merchant_reference,
            staff_reference=request.staff_reference,
            transaction_reference=request.transaction_reference,
        )

    def card(self, cardnumber: str) -> GiftCard:
        """A card by number, or 404."""
        try:
            return self.cards[cardnumber]
        except KeyError:
            raise not_found("Gift card not found") from None

    def read(self, cardnumber: str, pin: str | None) -> GiftCard:
        """GET a card: 404 when unknown; a given PIN is checked (required if configured)."""
        card = self.card(cardnumber)
        check_pin(card, pin, required=self._get_requires_pin)
        return card

    def issue(
        self,
        body: object,
        *,
        pin: str | None = None,
        date_expires: int | None = None,
        redeemable: bool = True,
        api_issue: bool = True,
    ) -> tuple[GiftCard, list[str]]:
        """POST giftcards.json: create a card with its initial loads; returns added ids."""
        if not isinstance(body, dict):
            raise bad_request("Invalid value")
        kind = parse_str(body.get("type"), "type")
        if kind not in CARD_TYPES:
            raise bad_request("Invalid field value 'type' should be giftcard or creditnote.")
        if "currencycode" not in body:
            raise bad_request("Missing required field 'currencycode'.")
        currency = check_currency(body["currencycode"])
        raw_number = body.get("cardnumber")
        number = self._new_number() if raw_number is None else check_card_number(raw_number)
        if number in self.cards:
            raise bad_request(f"Gift card '{number}' already exists")
        raw_loads = body.get("transactions", [])
        if not isinstance(raw_loads, list):
            raise bad_request("Invalid field value 'transactions' should be array.")
        loads = [parse_transaction(raw) for raw in raw_loads]
        if any(load.moneyamount <= ZERO for load in loads):
            raise bad_request("Initial transactions must load a positive amount.")
        now = self._clock.now()
        card = GiftCard(
            cardnumber=number,
            type=kind,
            currencycode=currency,
            date_created=now,
            date_expires=date_expires
            if date_expires is not None
            else now + self._validity_days * DAY_S,
            redeemable=redeemable,
            pin=pin or None,
        )
        added = [self._transaction(card, load) for load in loads]
        card.transactions.extend(added)
        self.cards[number] = card
        self._ledger.record(
            "giftcard.issue",
            number,
            cardnumber=number,
            type=kind,
            currencycode=currency,
            moneyamount=format_money(card.balance),
            via_api=api_issue,
            references=[t.reference for t in added],
        )
        return card, [i for t in added for i in (t.transactionid, t.hexid)]

    def add_transactions(
        self, cardnumber: str, body: object, pin: str | None
    ) -> tuple[GiftCard, list[str]]:
        """POST transactions.json: all-or-nothing loads/redeems; redeems need the PIN."""
        card = self.card(cardnumber)
        raw_list = body if isinstance(body, list) else [body]
        if not raw_list:
            raise bad_request("No transactions given.")
        requests = [parse_transaction(raw) for raw in raw_list]
        check_pin(card, pin, required=any(r.moneyamount < ZERO for r in requests))
        check_usable(card, self._clock.now())
        check_amounts(card.balance, [r.moneyamount for r in requests])
        added = [self._transaction(card, request) for request in requests]
        card.transactions.extend(added)
        for transaction in added:
            self._ledger.record(
                "giftcard.transaction",
                transaction.reference,
                cardnumber=cardnumber,
                transactionid=transaction.transactionid,
                moneyamount=format_money(transaction.moneyamount),
                balance=format_money(card.balance),
            )
        return card, [i for t in added for i in (t.transactionid, t.hexid)]

    def rollback(self, cardnumber: str, body: object, pin: str | None = None) -> None:
        """DELETE transactions.json: undo the transactions named by their added ids."""
        card = self.card(cardnumber)
        check_pin(card, pin, required=False)
        if not isinstance(body, list) or not body or not all(isinstance(i, str) for i in body):
            raise bad_request("Expected a JSON array of transaction ids.")
        by_id = {i: t for t in card.transactions for i in (t.transactionid, t.hexid)}
        unknown = [i for i in body if i not in by_id]
        if unknown:
            raise bad_request(f"Unknown transaction id '{unknown[0]}' on this gift card")
        undo = {by_id[i] for i in body}
        remaining = [t for t in card.transactions if t not in undo]
        if sum((t.moneyamount for t in remaining), ZERO) < ZERO:
            raise bad_request("Rollback would make the balance negative")
        card.transactions = remaining
        for transaction in sorted(undo, key=lambda t: int(t.transactionid)):
            card.rolled_back.append(transaction)
            self._ledger.record(
                "giftcard.rollback",
                transaction.reference,
                cardnumber=cardnumber,
                transactionid=transaction.transactionid,
                moneyamount=format_money(transaction.moneyamount),
                balance=format_money(card.balance),
            )

    def response(
        self, card: GiftCard, added: list[str], *, print_pin: str | None = None
    ) -> dict[str, Any]:
        """The giftcardresponse envelope of issue and transaction calls."""
        return {
            "giftcard": card.to_json(),
            "addedtransactionids": added,
            "receipttext": None,
            "print_voucher": False,
            "print_pin": print_pin,
        }
