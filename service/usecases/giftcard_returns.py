"""Parts of a gift-card redemption given back (a partial webshop refund to the card).

A part is a load onto the card tied to its redemption, kept in the redemption's record.
Rolling the redemption back returns the whole amount, so it undoes the parts too; a part
recorded after the rollback undoes itself. Each part's undo has its own op key
(``{event id}:undo``), so whichever of the two gets there first undoes it, once.
"""

from __future__ import annotations

from decimal import Decimal

from service.contracts.giftcards import GiftCardRefund
from service.ports import Lane, RedemptionLedger, SitooPort
from service.sitoo.models import GiftCard, GiftCardTransactionIn
from service.usecases.outcome import Outcome, Rejected


class RedemptionNotApplied(Exception):
    """A part given back names a redemption not recorded yet.

    Retried like a transient failure, since the redeem may still be on its way (the order
    is placed first); dead-lettered (``retries_exhausted``) when it never comes, because
    then the card was never charged.
    """


def balance_fields(card: GiftCard | None) -> dict[str, str | None]:
    """The card's number, balance and currency as a result's data carries them."""
    if card is None:
        return {}
    return {
        "card_number": card.cardnumber,
        "balance": f"{card.moneyamount:f}" if card.moneyamount is not None else None,
        "currency": card.currencycode,
    }


async def undo_return(
    card_number: str, event_id: str, transaction_ids: list[str], *, sitoo: SitooPort
) -> None:
    """Undo a part given back; its own op key makes it once, whoever undoes it."""
    await sitoo.rollback_giftcard_transactions(
        card_number, transaction_ids, op_key=f"{event_id}:undo", lane=Lane.INTERACTIVE
    )


async def give_back(
    refund: GiftCardRefund,
    redeem_id: str,
    amount: Decimal,
    *,
    event_id: str,
    sitoo: SitooPort,
    redemptions: RedemptionLedger,
) -> Outcome:
    """Load part of a redemption back onto its card, unless its rollback returns it all."""
    redemption = await redemptions.get(redeem_id)
    if redemption is None:
        if await redemptions.is_void(redeem_id):
            # Its redeem will be declined: the card was never charged for it.
            return Outcome.ok(card_number=refund.card_number, loaded=False, voided=redeem_id)
        raise RedemptionNotApplied(f"redemption {redeem_id!r} has not been applied (yet)")
    if redemption.card_number != refund.card_number:
        raise Rejected("card_mismatch", f"redemption {redeem_id!r} was made on another card")
    if redemption.undo is not None:
        # Declined after spending and undone: nothing of it is left to give back.
        return Outcome.ok(card_number=refund.card_number, loaded=False, undone=redeem_id)
    result = await sitoo.add_giftcard_transactions(
        refund.card_number,
        [GiftCardTransactionIn(moneyamount=amount, merchant_reference=refund.order_id)],
        op_key=f"{event_id}:load",
        lane=Lane.INTERACTIVE,
    )
    transaction_ids = list(result.addedtransactionids)
    await redemptions.add_return(redeem_id, event_id, transaction_ids)
    after = await redemptions.get(redeem_id)
    if after is not None and after.rolled_back_by is not None:
        # Rolled back meanwhile: that returned the whole amount, this part included.
        await undo_return(refund.card_number, event_id, transaction_ids, sitoo=sitoo)
        return Outcome.ok(
            card_number=refund.card_number, loaded=False, rolled_back_by=after.rolled_back_by
        )
    return Outcome.ok(
        **balance_fields(result.giftcard),
        amount=f"{amount:f}",
        redemption_event_id=redeem_id,
        transaction_ids=list(result.addedtransactionids),
    )
