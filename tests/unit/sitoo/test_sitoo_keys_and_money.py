"""Natural keys and Sitoo's money/quantity formats."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.sitoo.keys import (
    giftcard_number,
    luhn_valid,
    operation_reference,
    order_externalid,
)
from service.sitoo.money import AmountError, format_money, format_quantity, parse_decimal

_EXTERNALID = re.compile(r"[A-Za-z0-9_-]{1,40}")
_SAFE = st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True)
_ANY_ID = st.one_of(st.text(min_size=1, max_size=80), _SAFE, st.just("h--abc"))


@given(_ANY_ID)
def test_order_externalid_fits_sitoo_charset_and_length(webshop_id: str) -> None:
    """Every mapped id matches [A-Za-z0-9_-]{1,40}."""
    assert _EXTERNALID.fullmatch(order_externalid(webshop_id))


@given(_ANY_ID, _ANY_ID)
def test_order_externalid_is_injective(first: str, second: str) -> None:
    """Two different webshop ids never map to the same externalid."""
    if first != second:
        assert order_externalid(first) != order_externalid(second)


@given(st.lists(_ANY_ID, min_size=2, max_size=50, unique=True))
def test_order_externalid_has_no_collisions_in_a_batch(ids: list[str]) -> None:
    """A set of distinct ids keeps its size after mapping."""
    assert len({order_externalid(i) for i in ids}) == len(ids)


def test_safe_ids_stay_readable_and_others_are_hashed() -> None:
    """Short safe ids map to themselves; unsafe or prefix-clashing ids get the hashed form."""
    assert order_externalid("WEB-10023") == "WEB-10023"
    hashed = order_externalid("order #10023 / ü")
    assert hashed.startswith("h--")
    assert len(hashed) == 40
    assert order_externalid("h--x") != "h--x"
    assert order_externalid("a" * 41).startswith("h--")


@given(st.text(min_size=1, max_size=200), st.integers(min_value=0, max_value=999))
def test_operation_reference_is_short_and_safe(op_key: str, index: int) -> None:
    """References fit the externalid charset and 40 characters and differ per index."""
    reference = operation_reference(op_key, index)
    assert _EXTERNALID.fullmatch(reference)
    assert reference != operation_reference(op_key, index + 1)
    assert reference == operation_reference(op_key, index)


def test_operation_reference_rejects_negative_index() -> None:
    """A negative element index is a programming error."""
    with pytest.raises(ValueError, match="negative"):
        operation_reference("k", -1)


@given(st.text(min_size=1, max_size=100))
def test_giftcard_number_is_twenty_digits_with_luhn(op_key: str) -> None:
    """Derived card numbers are 20 digits, deterministic and Luhn-valid."""
    number = giftcard_number(op_key)
    assert len(number) == 20
    assert number.isdigit()
    assert luhn_valid(number)
    assert giftcard_number(op_key) == number


def test_luhn_detects_a_changed_digit() -> None:
    """The check digit catches a single-digit change."""
    number = giftcard_number("evt-1:issue")
    changed = number[:5] + str((int(number[5]) + 1) % 10) + number[6:]
    assert not luhn_valid(changed)
    assert luhn_valid("79927398713")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("12.5"), "12.50"),
        (Decimal(230), "230.00"),
        (Decimal("-299.00"), "-299.00"),
        (Decimal("1.230"), "1.23"),
        (Decimal("1E+3"), "1000.00"),
        (0, "0.00"),
        ("7.1", "7.10"),
    ],
)
def test_format_money(value: Decimal | int | str, expected: str) -> None:
    """Money is a plain string with exactly two decimals."""
    assert format_money(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(Decimal(5), "5.000"), (Decimal("-2.5"), "-2.500"), (Decimal("0.125"), "0.125"), (3, "3.000")],
)
def test_format_quantity(value: Decimal | int, expected: str) -> None:
    """Quantities are plain strings with exactly three decimals."""
    assert format_quantity(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (Decimal("1.005"), "more than 2 decimals"),
        (Decimal("NaN"), "finite"),
        (Decimal("Infinity"), "finite"),
        (Decimal("-Infinity"), "finite"),
        (1.5, "not float"),
        (True, "not bool"),
        ("abc", "not a number"),
    ],
)
def test_format_money_refuses_lossy_values(value: object, message: str) -> None:
    """NaN, infinity, floats and sub-cent precision are refused with a reason, never rounded."""
    with pytest.raises(AmountError, match=message):
        format_money(value)  # type: ignore[arg-type]


def test_format_quantity_refuses_a_fourth_decimal() -> None:
    """Four decimals do not fit a Sitoo quantity."""
    with pytest.raises(AmountError, match="more than 3 decimals"):
        format_quantity(Decimal("1.0001"))


@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=2, min_value=-(10**9), max_value=10**9
    )
)
def test_money_round_trips(value: Decimal) -> None:
    """Formatting then parsing gives the same amount back."""
    assert Decimal(format_money(value)) == value


def test_parse_decimal_reads_sitoo_strings() -> None:
    """Numeric strings and numbers become Decimal; other values are left for validation."""
    assert parse_decimal("123.50") == Decimal("123.50")
    assert parse_decimal(2) == Decimal(2)
    assert parse_decimal(0.1) == Decimal("0.1")
    assert parse_decimal("n/a") == "n/a"
    assert parse_decimal(None) is None


def test_vat_percentage_is_sent_as_a_json_number() -> None:
    """Sitoo types vatvalue as a number; money stays a two-decimal string beside it."""
    from service.sitoo.models import NewOrderItem  # noqa: PLC0415

    whole = NewOrderItem(productname="Mug", quantity=2, vatvalue=Decimal(25), moneyrowprice="250")
    assert whole.to_json()["vatvalue"] == 25
    assert whole.to_json()["moneyrowprice"] == "250.00"
    reduced = NewOrderItem(productname="Book", quantity=1, vatvalue=Decimal("12.5"))
    assert reduced.to_json()["vatvalue"] == 12.5


def test_new_order_carries_reserved_payment_and_delivery_address() -> None:
    """An authorised web payment goes in reservedpayments; an address in delivery_* fields."""
    from service.sitoo.models import NewOrder, NewReservedPayment  # noqa: PLC0415

    order = NewOrder(
        externalid="web-1001",
        paymentstateid=15,
        delivery_address="Storgatan 1",
        delivery_countryid="SE",
        reservedpayments=[NewReservedPayment(id="auth-1", name="Card", moneyreserved="99.5")],
    )
    body = order.to_json()
    assert body["reservedpayments"] == [{"id": "auth-1", "name": "Card", "moneyreserved": "99.50"}]
    assert body["delivery_countryid"] == "SE"
