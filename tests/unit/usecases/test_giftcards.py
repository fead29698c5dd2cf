"""Gift-card redeem, refund, issue and balance against fake ports."""

from __future__ import annotations

from decimal import Decimal

import pytest

from service.contracts.giftcards import (
    GiftCardBalance,
    GiftCardIssued,
    GiftCardRedeem,
    GiftCardRefund,
)
from service.sitoo.errors import ServiceUnavailable
from service.sitoo.models import GiftCardTransactionIn
from service.usecases.giftcard_returns import RedemptionNotApplied
from service.usecases.giftcards import (
    giftcard_balance,
    issue_giftcard,
    redeem_giftcard,
    refund_giftcard,
)
from service.usecases.outcome import Outcome, Rejected
from tests.unit.usecases.fakes import (
    NOW,
    FakeCard,
    FakeCurrencies,
    FakeRedemptions,
    FakeSitoo,
    FakeTombstones,
    clock,
)


class World:
    """The fakes one test works with."""

    def __init__(self) -> None:
        self.sitoo = FakeSitoo()
        self.redemptions = FakeRedemptions()
        self.tombstones = FakeTombstones()
        self.currencies = FakeCurrencies()
        self.sitoo.cards["10010000"] = FakeCard("10010000", Decimal("500.00"))
        self.sitoo.cards["20020000"] = FakeCard("20020000", Decimal("300.00"), pin="1234")

    async def redeem(self, event_id: str = "r-1", **fields: object) -> Outcome:
        data: dict[str, object] = {"card_number": "10010000", "amount": "100.00", "currency": "SEK"}
        data.update(fields)
        return await redeem_giftcard(
            GiftCardRedeem.model_validate(data),
            event_id=event_id,
            sitoo=self.sitoo,
            redemptions=self.redemptions,
            tombstones=self.tombstones,
            currencies=self.currencies,
            clock=clock,
        )

    async def refund(self, event_id: str = "f-1", **fields: object) -> Outcome:
        data: dict[str, object] = {"card_number": "10010000", "currency": "SEK"}
        data.update(fields)
        return await refund_giftcard(
            GiftCardRefund.model_validate(data),
            event_id=event_id,
            sitoo=self.sitoo,
            redemptions=self.redemptions,
            currencies=self.currencies,
        )

    def balance(self, number: str = "10010000") -> Decimal:
        return self.sitoo.cards[number].balance


@pytest.fixture
def world() -> World:
    """Fresh fakes with two cards."""
    return World()


async def test_redeem_takes_the_amount_once(world: World) -> None:
    """A redeem delivered twice spends once and answers the same both times."""
    first = await world.redeem()
    second = await world.redeem()
    assert first.succeeded
    assert second.succeeded
    assert first.sitoo["transaction_ids"] == second.sitoo["transaction_ids"]
    assert world.balance() == Decimal("400.00")
    assert world.sitoo.calls == ["add_giftcard_transactions"]  # no read before the write


@pytest.mark.parametrize(
    ("change", "fields", "code"),
    [
        ({}, {"amount": "600.00"}, "insufficient_funds"),
        ({}, {"currency": "EUR"}, "currency_mismatch"),
        ({"redeemable": False}, {}, "not_redeemable"),
        ({"expires": int(NOW.timestamp()) - 1}, {}, "expired"),
        ({}, {"card_number": "99990000"}, "unknown_card"),
    ],
)
async def test_declines_carry_their_reason(
    world: World, change: dict[str, object], fields: dict[str, object], code: str
) -> None:
    """Each refusal is a decline with its reason code and spends nothing."""
    for name, value in change.items():
        setattr(world.sitoo.cards["10010000"], name, value)
    outcome = await world.redeem(**fields)
    assert not outcome.succeeded
    assert outcome.reason_code == code
    assert world.balance() == Decimal("500.00")


async def test_pin_is_checked(world: World) -> None:
    """A PIN card declines without or with a wrong PIN and accepts the right one."""
    missing = await world.redeem(card_number="20020000")
    wrong = await world.redeem("r-2", card_number="20020000", pin="9999")
    right = await world.redeem("r-3", card_number="20020000", pin="1234")
    assert (missing.reason_code, wrong.reason_code) == ("wrong_pin", "wrong_pin")
    assert right.succeeded
    assert world.balance("20020000") == Decimal("200.00")


async def test_refund_of_a_redemption_rolls_it_back_and_a_retry_never_respends(
    world: World,
) -> None:
    """Redeem, refund naming it, redeem delivered again: the money is spent zero times."""
    await world.redeem()
    refunded = await world.refund(redemption_event_id="r-1")
    retried = await world.redeem()
    assert refunded.sitoo["rolled_back"] is True
    assert retried.succeeded  # the same answer as the first time
    assert world.balance() == Decimal("500.00")
    assert len(world.sitoo.rollbacks) == 1


async def test_refund_before_its_redemption_voids_it(world: World) -> None:
    """A refund overtaking its redeem leaves a tombstone; the redeem is then declined."""
    refunded = await world.refund(redemption_event_id="r-1")
    redeemed = await world.redeem()
    assert refunded.sitoo == {"card_number": "10010000", "voided": "r-1", "rolled_back": False}
    assert redeemed.reason_code == "voided"
    assert world.balance() == Decimal("500.00")


async def test_redeem_voided_while_running_undoes_itself(world: World) -> None:
    """A refund landing between the redeem's write and its re-check still wins."""
    original = world.sitoo.add_giftcard_transactions

    async def write_then_void(*args: object, **kwargs: object) -> object:
        result = await original(*args, **kwargs)  # type: ignore[arg-type]
        await world.redemptions.void("r-1")
        return result

    world.sitoo.add_giftcard_transactions = write_then_void  # type: ignore[assignment]
    outcome = await world.redeem()
    assert outcome.reason_code == "voided"
    assert world.balance() == Decimal("500.00")


async def test_void_after_an_unrecorded_charge_undoes_the_charge(world: World) -> None:
    """Charged, died before recording, then refunded: the redelivered redeem undoes it."""
    await world.redeem()
    world.redemptions.records.clear()  # the process died before recording the redemption
    refunded = await world.refund(redemption_event_id="r-1")
    retried = await world.redeem()
    assert refunded.sitoo["rolled_back"] is False  # the refund could not see the charge
    assert retried.reason_code == "voided"
    assert world.balance() == Decimal("500.00")
    assert len(world.sitoo.rollbacks) == 1


async def test_voided_redeem_that_never_charged_writes_nothing(world: World) -> None:
    """A refund overtaking its redeem: the redeem looks for a charge, finds none, spends none."""
    await world.refund(redemption_event_id="r-1")
    await world.redeem()
    assert "add_giftcard_transactions" not in world.sitoo.calls
    assert world.sitoo.rollbacks == []


async def test_undo_interrupted_by_a_crash_is_finished_on_redelivery(world: World) -> None:
    """Wrong currency: charged, recorded, rollback failed; the redelivery undoes and declines."""
    world.sitoo.fail_next["rollback_giftcard_transactions"] = ServiceUnavailable("down")
    with pytest.raises(ServiceUnavailable):
        await world.redeem(currency="EUR")
    assert world.balance() == Decimal("400.00")  # charged, not yet undone
    retried = await world.redeem(currency="EUR")
    assert retried.reason_code == "currency_mismatch"
    assert world.balance() == Decimal("500.00")
    again = await world.redeem(currency="EUR")
    assert again.reason_code == "currency_mismatch"
    assert len(world.sitoo.rollbacks) == 1


async def test_undo_finished_by_a_refund_still_answers_the_decline(world: World) -> None:
    """Wrong currency, died before undoing; a refund rolls it back; the redelivery declines."""
    world.sitoo.fail_next["rollback_giftcard_transactions"] = ServiceUnavailable("down")
    with pytest.raises(ServiceUnavailable):
        await world.redeem(currency="EUR")
    refunded = await world.refund(redemption_event_id="r-1")
    retried = await world.redeem(currency="EUR")
    assert refunded.sitoo["rolled_back"] is True
    assert retried.reason_code == "currency_mismatch"
    assert world.balance() == Decimal("500.00")
    assert len(world.sitoo.rollbacks) == 1


async def test_void_seen_on_the_recheck_is_undone_even_after_a_crash(world: World) -> None:
    """The refund missed the record, the redeem saw the void and died: redelivery undoes."""
    original = world.sitoo.add_giftcard_transactions

    async def write_then_void(*args: object, **kwargs: object) -> object:
        result = await original(*args, **kwargs)  # type: ignore[arg-type]
        await world.refund(redemption_event_id="r-1")  # sees no record yet
        return result

    world.sitoo.add_giftcard_transactions = write_then_void  # type: ignore[assignment]
    world.sitoo.fail_next["rollback_giftcard_transactions"] = ServiceUnavailable("down")
    with pytest.raises(ServiceUnavailable):
        await world.redeem()
    retried = await world.redeem()
    assert retried.reason_code == "voided"
    assert world.balance() == Decimal("500.00")


async def test_redeem_for_a_cancelled_order_is_declined(world: World) -> None:
    """A redeem naming an order the webshop already cancelled spends nothing."""
    await world.tombstones.mark_cancelled("W-9")
    outcome = await world.redeem(order_id="W-9")
    assert outcome.reason_code == "voided"


async def test_refund_of_an_amount_loads_the_card(world: World) -> None:
    """A refund with an amount is a positive transaction."""
    outcome = await world.refund(amount="25.50")
    assert outcome.succeeded
    assert world.balance() == Decimal("525.50")


async def test_part_given_back_loads_once_and_the_rollback_undoes_it(world: World) -> None:
    """A part of a redemption given back loads once; rolling the redemption back undoes it."""
    await world.redeem(order_id="W-1")
    first = await world.refund("g-1", redemption_event_id="r-1", amount="40.00")
    again = await world.refund("g-1", redemption_event_id="r-1", amount="40.00")
    assert first.succeeded
    assert again.succeeded
    assert world.balance() == Decimal("440.00")
    await world.refund("f-9", redemption_event_id="r-1")  # the order ends: all back
    assert world.balance() == Decimal("500.00")


async def test_part_given_back_after_the_rollback_undoes_itself(world: World) -> None:
    """The rollback came first and returned everything: the late part adds nothing."""
    await world.redeem(order_id="W-1")
    await world.refund("f-9", redemption_event_id="r-1")
    late = await world.refund("g-1", redemption_event_id="r-1", amount="40.00")
    assert late.sitoo["loaded"] is False
    assert world.balance() == Decimal("500.00")


async def test_part_given_back_waits_for_its_redemption(world: World) -> None:
    """Before its redeem is applied a part is retried; after a void it loads nothing."""
    with pytest.raises(RedemptionNotApplied):
        await world.refund("g-1", redemption_event_id="r-1", amount="40.00")
    await world.redemptions.void("r-1")
    voided = await world.refund("g-1", redemption_event_id="r-1", amount="40.00")
    assert voided.sitoo["loaded"] is False
    assert world.balance() == Decimal("500.00")


async def test_refund_to_an_unknown_card_is_rejected(world: World) -> None:
    """Money cannot be returned to a card that does not exist: an operator must look."""
    with pytest.raises(Rejected) as caught:
        await world.refund(card_number="99990000", amount="10")
    assert caught.value.code == "unknown_card"


async def test_issue_once_and_balance(world: World) -> None:
    """Issuing twice creates one card; the balance reads it back."""
    issued = GiftCardIssued.model_validate(
        {"card_number": "30030000", "amount": "250.00", "currency": "SEK"}
    )
    first = await issue_giftcard(
        issued, event_id="i-1", sitoo=world.sitoo, currencies=world.currencies
    )
    await issue_giftcard(issued, event_id="i-1", sitoo=world.sitoo, currencies=world.currencies)
    assert first.sitoo["card_number"] == "30030000"
    assert world.sitoo.calls.count("issue_giftcard") == 1
    balance = await giftcard_balance(
        GiftCardBalance(card_number="30030000"),
        sitoo=world.sitoo,
        currencies=world.currencies,
        clock=clock,
    )
    assert balance.sitoo["balance"] == "250.00"
    assert balance.sitoo["redeemable"] is True


async def test_redeem_retried_after_a_crash_is_not_declined_by_its_own_spend(
    world: World,
) -> None:
    """Spent 450 of 500, record lost: the retry answers approved instead of 'insufficient'."""
    await world.redeem(amount="450.00")
    world.redemptions.records.clear()  # the process died before recording the redemption
    retried = await world.redeem(amount="450.00")
    assert retried.succeeded
    assert world.balance() == Decimal("50.00")
    assert world.sitoo.calls.count("add_giftcard_transactions") == 1


async def test_known_currency_mismatch_is_refused_without_a_write(world: World) -> None:
    """Once the card's currency is known, a redeem in another one never reaches Sitoo."""
    await world.redeem("r-0", amount="1.00")  # Sitoo's answer tells the card is in SEK
    outcome = await world.redeem(currency="EUR")
    assert outcome.reason_code == "currency_mismatch"
    assert world.sitoo.calls.count("add_giftcard_transactions") == 1  # only the first
    assert world.sitoo.rollbacks == []
    assert world.balance() == Decimal("499.00")


async def test_unknown_currency_mismatch_is_written_then_undone(world: World) -> None:
    """A card never seen: the currency is checked on Sitoo's answer and the charge undone."""
    outcome = await world.redeem(currency="EUR")
    assert outcome.reason_code == "currency_mismatch"
    assert len(world.sitoo.rollbacks) == 1
    assert world.balance() == Decimal("500.00")
    assert world.currencies.currencies["10010000"] == "SEK"


async def test_mismatch_learnt_after_a_lost_charge_still_undoes_the_charge(world: World) -> None:
    """Charged in EUR and died; the currency is learnt meanwhile; the redelivery undoes it."""
    charge = [GiftCardTransactionIn(moneyamount=Decimal("-100.00"))]
    # The first delivery's write reached Sitoo; the process died before anything else.
    await world.sitoo.add_giftcard_transactions("10010000", charge, op_key="r-1:redeem")
    await giftcard_balance(
        GiftCardBalance(card_number="10010000"),
        sitoo=world.sitoo,
        currencies=world.currencies,
        clock=clock,
    )
    retried = await world.redeem(currency="EUR")
    assert retried.reason_code == "currency_mismatch"
    assert world.sitoo.calls.count("add_giftcard_transactions") == 1  # never charged twice
    assert len(world.sitoo.rollbacks) == 1
    assert world.balance() == Decimal("500.00")
