"""Gift cards: issue, redeem, refund and balance, with declines that carry a reason.

Ordering rules. A redeem checks for a void (a refund that named it first), for a
cancelled order and for a card whose currency is known to differ (Sitoo does not check
currencies) before it spends; it records the redemption, then checks again (the void,
the cancel, and the currency on the card Sitoo returns) and undoes itself if anything is
wrong. A redeem refused before spending still looks for a charge that an earlier
delivery made but never recorded (it died, or lost Sitoo's answer) and undoes it. A
refund naming a redemption voids it first and only then looks for it. Rolling a
redemption back always uses the op key ``{redeem event id}:rollback``, so whoever gets
there first (cancel, refund or the redeem itself) undoes it, and nobody undoes it twice.
A redeem delivered again after its refund is answered from its idempotency record: it
never spends again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from service.contracts.giftcards import (
    DeclineReason,
    GiftCardBalance,
    GiftCardIssued,
    GiftCardRedeem,
    GiftCardRefund,
)
from service.ports import (
    CardCurrencies,
    Clock,
    Lane,
    OrderTombstones,
    Redemption,
    RedemptionLedger,
    SitooPort,
)
from service.sitoo.errors import NotFound, Permanent
from service.sitoo.models import GiftCard, GiftCardResult, GiftCardTransactionIn, NewGiftCard
from service.usecases.giftcard_returns import balance_fields, give_back, undo_return
from service.usecases.outcome import Outcome, Rejected

_REASONS: dict[DeclineReason, str] = {
    "insufficient_funds": "the card's balance is lower than the amount",
    "expired": "the card has expired",
    "not_redeemable": "the card cannot be redeemed",
    "wrong_pin": "the PIN is missing or wrong",
    "unknown_card": "no such card",
    "currency_mismatch": "the card is in another currency",
    "voided": "the redemption was cancelled before it was applied",
}
_TEXT_HINTS: tuple[tuple[str, DeclineReason], ...] = (
    ("pin", "wrong_pin"),
    ("expired", "expired"),
    ("redeemable", "not_redeemable"),
    ("balance", "insufficient_funds"),
    ("insufficient", "insufficient_funds"),
    ("exceed", "insufficient_funds"),
)


def _decline(code: DeclineReason, **sitoo: str | None) -> Outcome:
    return Outcome.declined(code, _REASONS[code], **sitoo)


def decline_for_error(error: Permanent) -> DeclineReason | None:
    """The decline a refused gift-card call stands for, judged by status and errortext."""
    if isinstance(error, NotFound):
        return "unknown_card"
    text = error.errortext.lower()
    for hint, code in _TEXT_HINTS:
        if hint in text:
            return code
    return None


def check_card(
    card: GiftCard, *, amount: Decimal | None, currency: str | None, pin: str | None, now: datetime
) -> DeclineReason | None:
    """Why ``card`` cannot pay ``amount`` in ``currency`` now, or None if it can."""
    if currency is not None and card.currencycode is not None and card.currencycode != currency:
        return "currency_mismatch"
    if card.date_expires is not None and card.date_expires <= int(now.timestamp()):
        return "expired"
    if card.redeemable is False:
        return "not_redeemable"
    if card.requirespin and not pin:
        return "wrong_pin"
    if amount is not None and (card.moneyamount or Decimal(0)) < amount:
        return "insufficient_funds"
    return None


def _usable(card: GiftCard, now: datetime) -> bool:
    expired = card.date_expires is not None and card.date_expires <= int(now.timestamp())
    return card.redeemable is not False and not expired


async def _remember(currencies: CardCurrencies, card: GiftCard | None) -> None:
    if card is not None and card.cardnumber and card.currencycode:
        await currencies.remember(card.cardnumber, card.currencycode)


async def _read_card(
    sitoo: SitooPort, number: str, pin: str | None
) -> tuple[GiftCard | None, DeclineReason | None]:
    try:
        return await sitoo.get_giftcard(number, pin=pin, lane=Lane.INTERACTIVE), None
    except Permanent as error:
        code = decline_for_error(error)
        if code is None:
            raise
        return None, code


async def issue_giftcard(
    issued: GiftCardIssued, *, event_id: str, sitoo: SitooPort, currencies: CardCurrencies
) -> Outcome:
    """Create the card in Sitoo with its initial load, exactly once."""
    card = NewGiftCard(
        type=issued.kind,
        currencycode=issued.currency,
        cardnumber=issued.card_number,
        transactions=[
            GiftCardTransactionIn(moneyamount=issued.amount, merchant_reference=issued.order_id)
        ],
    )
    result = await sitoo.issue_giftcard(
        card, op_key=f"{event_id}:issue", pin=issued.pin, lane=Lane.INTERACTIVE
    )
    if result.giftcard is None:
        raise Rejected("unexpected_response", "Sitoo issued the card but returned no card")
    await _remember(currencies, result.giftcard)
    return Outcome.ok(
        **balance_fields(result.giftcard), transaction_ids=list(result.addedtransactionids)
    )


async def roll_back(
    redemption: Redemption, *, by: str, sitoo: SitooPort, redemptions: RedemptionLedger
) -> None:
    """Undo an applied redemption exactly once, whoever asks first, and the parts given back.

    Marked before anything is undone and the parts read after, while a part is recorded
    before it looks for the mark: one of the two always sees the other (giftcard_returns).
    """
    await redemptions.mark_rolled_back(redemption.redeem_event_id, by=by)
    await sitoo.rollback_giftcard_transactions(
        redemption.card_number,
        redemption.transaction_ids,
        op_key=f"{redemption.redeem_event_id}:rollback",
        lane=Lane.INTERACTIVE,
    )
    parts = await redemptions.returns(redemption.redeem_event_id)
    for event_id, ids in sorted(parts.items()):
        await undo_return(redemption.card_number, event_id, ids, sitoo=sitoo)


async def _voided(
    redeem: GiftCardRedeem,
    event_id: str,
    redemptions: RedemptionLedger,
    tombstones: OrderTombstones,
) -> bool:
    if await redemptions.is_void(event_id):
        return True
    return redeem.order_id is not None and await tombstones.is_cancelled(redeem.order_id)


async def _why_refused(
    error: Permanent, redeem: GiftCardRedeem, sitoo: SitooPort, clock: Clock
) -> DeclineReason | None:
    """The decline a refused redeem stands for: by the error text, else by the card's state."""
    code = decline_for_error(error)
    if code is not None:
        return code
    card, code = await _read_card(sitoo, redeem.card_number, redeem.pin)
    if card is not None:
        code = check_card(
            card, amount=redeem.amount, currency=redeem.currency, pin=redeem.pin, now=clock()
        )
    return code


def _wrong_after_spending(card: GiftCard | None, redeem: GiftCardRedeem) -> DeclineReason | None:
    """Rules Sitoo does not enforce itself, checked on the card its answer returns."""
    if card is None:
        return None
    if card.currencycode is not None and card.currencycode != redeem.currency:
        return "currency_mismatch"
    if card.moneyamount is not None and card.moneyamount < 0:
        return "insufficient_funds"
    return None


def _redemption(
    redeem: GiftCardRedeem,
    event_id: str,
    result: GiftCardResult,
    *,
    undo: DeclineReason | None = None,
) -> Redemption:
    return Redemption(
        redeem_event_id=event_id,
        card_number=redeem.card_number,
        amount=redeem.amount,
        currency=redeem.currency,
        transaction_ids=list(result.addedtransactionids),
        order_id=redeem.order_id,
        undo=undo,
    )


async def _answer_again(
    recorded: Redemption,
    redeem: GiftCardRedeem,
    *,
    sitoo: SitooPort,
    redemptions: RedemptionLedger,
    tombstones: OrderTombstones,
) -> Outcome:
    """A redeem delivered again after its charge was recorded: finish any undo, same answer.

    The first delivery may have died between deciding to undo (a rule Sitoo does not
    enforce, or a void seen on its re-check) and rolling back; that decline stands
    whoever rolls back. A rollback made by a refund or a cancel of a redemption that had
    succeeded leaves it a success.
    """
    event_id = recorded.redeem_event_id
    undo = recorded.undo
    if (
        undo is None
        and recorded.rolled_back_by in {None, event_id}
        and await _voided(redeem, event_id, redemptions, tombstones)
    ):
        undo = "voided"
    if undo is not None:
        # Idempotent by its op key: nothing is sent if a refund or a cancel got there first.
        await roll_back(recorded, by=event_id, sitoo=sitoo, redemptions=redemptions)
        return _decline(undo, card_number=recorded.card_number)
    return Outcome.ok(
        card_number=recorded.card_number,
        amount=f"{recorded.amount:f}",
        transaction_ids=list(recorded.transaction_ids),
        rolled_back_by=recorded.rolled_back_by,
    )


async def redeem_giftcard(
    redeem: GiftCardRedeem,
    *,
    event_id: str,
    sitoo: SitooPort,
    redemptions: RedemptionLedger,
    tombstones: OrderTombstones,
    currencies: CardCurrencies,
    clock: Clock,
) -> Outcome:
    """Take the amount off the card once; a decline names its reason."""
    recorded = await redemptions.get(event_id)
    if recorded is not None:  # charged on an earlier delivery: answer the same again
        return await _answer_again(
            recorded, redeem, sitoo=sitoo, redemptions=redemptions, tombstones=tombstones
        )
    charge = [GiftCardTransactionIn(moneyamount=-redeem.amount, merchant_reference=redeem.order_id)]
    op_key = f"{event_id}:redeem"
    refuse: DeclineReason | None = None
    if await _voided(redeem, event_id, redemptions, tombstones):
        refuse = "voided"
    elif await currencies.known(redeem.card_number) not in {None, redeem.currency}:
        refuse = "currency_mismatch"  # Sitoo would take it: it does not check currencies
    if refuse is not None:
        # An earlier delivery may have charged the card and died (or lost the answer)
        # before recording it, and what is known now came in between: find it, undo it.
        earlier = await sitoo.find_giftcard_transactions(
            redeem.card_number, charge, op_key=op_key, pin=redeem.pin, lane=Lane.INTERACTIVE
        )
        if earlier is not None:
            redemption = _redemption(redeem, event_id, earlier, undo=refuse)
            await redemptions.record(redemption)
            await roll_back(redemption, by=event_id, sitoo=sitoo, redemptions=redemptions)
        return _decline(refuse, card_number=redeem.card_number)
    # One Sitoo round trip on the happy path: Sitoo itself refuses an unknown card, a wrong
    # PIN, an expired or blocked card and a short balance. A redelivery after a crash is
    # answered from the client's record of this op key, so nothing is checked or spent twice.
    try:
        result = await sitoo.add_giftcard_transactions(
            redeem.card_number, charge, op_key=op_key, pin=redeem.pin, lane=Lane.INTERACTIVE
        )
    except Permanent as error:
        code = await _why_refused(error, redeem, sitoo, clock)
        if code is None:
            raise
        return _decline(code, card_number=redeem.card_number)
    await _remember(currencies, result.giftcard)
    undo = _wrong_after_spending(result.giftcard, redeem)
    redemption = _redemption(redeem, event_id, result, undo=undo)
    await redemptions.record(redemption)  # with ``undo``, so a redelivery finishes the undo
    if undo is None and await _voided(redeem, event_id, redemptions, tombstones):
        undo = "voided"
    if undo is not None:
        await roll_back(redemption, by=event_id, sitoo=sitoo, redemptions=redemptions)
        return _decline(undo, card_number=redeem.card_number)
    return Outcome.ok(
        **balance_fields(result.giftcard),
        amount=f"{redeem.amount:f}",
        transaction_ids=list(result.addedtransactionids),
    )


async def refund_giftcard(
    refund: GiftCardRefund,
    *,
    event_id: str,
    sitoo: SitooPort,
    redemptions: RedemptionLedger,
    currencies: CardCurrencies,
) -> Outcome:
    """Roll back a named redemption (voiding it if unseen), give part of it back, or load."""
    if refund.redemption_event_id is not None and refund.amount is not None:
        return await give_back(
            refund,
            refund.redemption_event_id,
            refund.amount,
            event_id=event_id,
            sitoo=sitoo,
            redemptions=redemptions,
        )
    if refund.redemption_event_id is not None:
        redeem_id = refund.redemption_event_id
        await redemptions.void(redeem_id)  # first, so a redeem racing us undoes itself
        redemption = await redemptions.get(redeem_id)
        if redemption is None:
            return Outcome.ok(card_number=refund.card_number, voided=redeem_id, rolled_back=False)
        if redemption.card_number != refund.card_number:
            raise Rejected("card_mismatch", f"redemption {redeem_id!r} was made on another card")
        await roll_back(redemption, by=event_id, sitoo=sitoo, redemptions=redemptions)
        return Outcome.ok(
            card_number=refund.card_number,
            voided=redeem_id,
            rolled_back=True,
            transaction_ids=list(redemption.transaction_ids),
        )
    amount = refund.amount if refund.amount is not None else Decimal(0)
    card, declined = await _read_card(sitoo, refund.card_number, None)
    await _remember(currencies, card)
    if card is not None and card.currencycode not in {None, refund.currency}:
        declined = "currency_mismatch"
    if declined is not None:
        raise Rejected(declined, f"refund to card refused: {_REASONS[declined]}")
    result = await sitoo.add_giftcard_transactions(
        refund.card_number,
        [GiftCardTransactionIn(moneyamount=amount, merchant_reference=refund.order_id)],
        op_key=f"{event_id}:load",
        lane=Lane.INTERACTIVE,
    )
    return Outcome.ok(
        **balance_fields(result.giftcard),
        amount=f"{amount:f}",
        transaction_ids=list(result.addedtransactionids),
    )


async def giftcard_balance(
    balance: GiftCardBalance, *, sitoo: SitooPort, currencies: CardCurrencies, clock: Clock
) -> Outcome:
    """Read the card; declines for an unknown card, a wrong (given) PIN or another currency."""
    card, declined = await _read_card(sitoo, balance.card_number, balance.pin)
    await _remember(currencies, card)
    if card is not None:
        declined = check_card(
            card, amount=None, currency=balance.currency, pin=balance.pin, now=clock()
        )
        if declined in {"expired", "not_redeemable"}:
            declined = None  # the balance is still worth showing; the flags say why
        if declined == "wrong_pin" and balance.pin is None:
            # ``requirespin`` guards redeeming only; Sitoo checks a PIN that is given.
            declined = None
    if declined is not None:
        return _decline(declined, card_number=balance.card_number)
    assert card is not None  # noqa: S101 - _read_card returns a card or a decline
    expires = (
        datetime.fromtimestamp(card.date_expires, UTC).isoformat().replace("+00:00", "Z")
        if card.date_expires is not None
        else None
    )
    return Outcome.ok(
        **balance_fields(card),
        redeemable=_usable(card, clock()),
        expires_at=expires,
    )
