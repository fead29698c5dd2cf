"""Gift-card rules: PIN, expiry, blocking and balance."""

from __future__ import annotations

from decimal import Decimal

import pytest

from service.sandbox.errors import SandboxError
from service.sandbox.giftcards import GiftCard, check_amounts, check_pin, check_usable


def _card(**changes: object) -> GiftCard:
    card = GiftCard(
        cardnumber="95000000000000000009",
        type="giftcard",
        currencycode="SEK",
        date_created=100,
        date_expires=1_000,
    )
    for name, value in changes.items():
        setattr(card, name, value)
    return card


def _error_text(call: object, *args: object) -> str:
    assert callable(call)
    with pytest.raises(SandboxError) as caught:
        call(*args)
    assert caught.value.status == 400
    return caught.value.text


def test_pin_rules() -> None:
    """A PIN card needs the right PIN; a card without PIN ignores it."""
    check_pin(_card(), None)
    check_pin(_card(pin="1234"), "1234")
    assert _error_text(check_pin, _card(pin="1234"), None) == "Pin required"
    assert _error_text(check_pin, _card(pin="1234"), "9999") == "Invalid pin"


def test_expired_and_blocked_cards_have_distinct_errors() -> None:
    """Expired at date_expires; not redeemable is its own error."""
    check_usable(_card(), 999)
    assert "expired" in _error_text(check_usable, _card(), 1_000)
    assert "not redeemable" in _error_text(check_usable, _card(redeemable=False), 10)


def test_redeem_beyond_balance_is_refused_with_a_reason() -> None:
    """The running balance may not go below zero; zero amounts are refused."""
    check_amounts(Decimal(100), [Decimal(-100)])
    check_amounts(Decimal(100), [Decimal(50), Decimal(-150)])
    assert "Insufficient balance" in _error_text(check_amounts, Decimal(100), [Decimal("-100.01")])
    assert "0.00" in _error_text(check_amounts, Decimal(100), [Decimal(0)])
