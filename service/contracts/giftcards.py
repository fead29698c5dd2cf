"""Gift-card events: issue, redeem, refund and balance (the last two also as request-reply)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from service.contracts.envelope import EventId
from service.contracts.examples import EXAMPLES, sample_reply, schema_examples
from service.contracts.fields import CardNumber, Currency, Identifier, Pin, PositiveMoney

_STRICT = ConfigDict(extra="forbid", frozen=True)


class GiftCardIssued(BaseModel):
    """``giftcard.issued``: a gift card was sold online; create it in Sitoo with its load.

    Without ``card_number`` the service chooses one, derived from the event id, so a
    retried issue always finds the card it created; the number is in the result event.
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"examples": schema_examples("giftcard.issued")},
    )

    card_number: CardNumber | None = None
    amount: PositiveMoney = Field(description="The initial load.")
    currency: Currency
    kind: Literal["giftcard", "creditnote"] = "giftcard"
    pin: Pin | None = None
    order_id: Identifier | None = Field(default=None, description="The order that sold it.")


class GiftCardRedeem(BaseModel):
    """``giftcard.redeem``: take an amount off a card (checkout payment).

    The card is checked first: currency, expiry, redeemable, PIN and balance. A decline is
    a ``giftcard.redeem.failed`` result (and reply) with a reason code, not a dead letter.
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"examples": schema_examples("giftcard.redeem")},
    )

    card_number: CardNumber
    amount: PositiveMoney
    currency: Currency
    pin: Pin | None = None
    order_id: Identifier | None = Field(
        default=None, description="Redemptions for an order are rolled back when it is cancelled."
    )


class GiftCardRefund(BaseModel):
    """``giftcard.refund``: give money back to a card.

    Roll back a named redemption (``redemption_event_id`` alone: the event id of the
    ``giftcard.redeem``), load a new ``amount`` (alone), or give back part of a redemption
    (both). A rollback naming a redemption that has not happened (yet) voids it: that
    redeem, if it ever arrives, is declined with ``voided``. A part given back waits for its
    redemption, loads nothing if the redemption spent nothing, and is undone again when the
    redemption is rolled back, which already returns the whole amount.
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"examples": schema_examples("giftcard.refund")},
    )

    card_number: CardNumber
    currency: Currency
    redemption_event_id: EventId | None = None
    amount: PositiveMoney | None = None
    order_id: Identifier | None = None

    @model_validator(mode="after")
    def _one_at_least(self) -> GiftCardRefund:
        if self.redemption_event_id is None and self.amount is None:
            raise ValueError("give redemption_event_id, amount or both")
        return self


class GiftCardBalance(BaseModel):
    """``giftcard.balance``: read a card's balance (no effect); mostly used as request-reply."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"examples": schema_examples("giftcard.balance")},
    )

    card_number: CardNumber
    pin: Pin | None = None
    currency: Currency | None = Field(
        default=None, description="When given, a card in another currency is declined."
    )


DeclineReason = Literal[
    "insufficient_funds",
    "expired",
    "not_redeemable",
    "wrong_pin",
    "unknown_card",
    "currency_mismatch",
    "voided",
]


class GiftCardReply(BaseModel):
    """The JSON the service LPUSHes to a request's ``reply_to`` list."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"examples": [sample_reply(EXAMPLES["giftcard-redeem-request"])]},
    )

    request_event_id: str
    type: str
    status: Literal["approved", "declined", "failed"] = Field(
        description="declined: the card's answer, or the request itself was refused; "
        "failed: dead-lettered for any other reason (e.g. Sitoo kept failing)."
    )
    reason_code: Annotated[str, Field(max_length=40)] | None = Field(
        default=None,
        description="A decline: insufficient_funds, expired, not_redeemable, wrong_pin, "
        "unknown_card, currency_mismatch, voided, or for a refused request invalid_request "
        "and conflict; a failure: the dead letter's reason code.",
    )
    reason: str | None = None
    card_number: str | None = None
    balance: str | None = None
    currency: str | None = None
    transaction_ids: list[str] = Field(default_factory=list)
