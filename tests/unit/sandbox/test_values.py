"""Money, quantity, id and list rules of the sandbox."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.sandbox.errors import SandboxError
from service.sandbox.values import (
    check_card_number,
    check_external_id,
    check_string_map,
    format_money,
    format_quantity,
    mask_card_number,
    parse_int,
    parse_money,
    parse_quantity,
    split_int_list,
    split_list,
)


@pytest.mark.parametrize("text", ["230.00", "0.00", "-299.00", "1234567.89"])
def test_money_with_two_decimals_is_accepted(text: str) -> None:
    """Money strings with exactly two decimals parse to the same Decimal."""
    assert parse_money(text, "m") == Decimal(text)


@pytest.mark.parametrize("value", ["230", "230.0", "230.000", "abc", 230, 230.0, None, "1e3"])
def test_money_without_two_decimals_is_refused(value: object) -> None:
    """ "230" and other shapes are a 400 naming the field, as the real API does."""
    with pytest.raises(SandboxError) as caught:
        parse_money(value, "moneyrowprice")
    assert caught.value.status == 400
    assert "moneyrowprice" in caught.value.text


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False))
def test_money_formatting_round_trips(value: Decimal) -> None:
    """Formatting then parsing a two-decimal amount gives it back."""
    assert parse_money(format_money(value), "m") == value


def test_quantities_have_up_to_three_decimals_and_format_with_three() -> None:
    """Quantities accept 0-3 decimals and always print three."""
    assert parse_quantity("5", "q") == Decimal(5)
    assert parse_quantity("-1.5", "q") == Decimal("-1.5")
    assert format_quantity(Decimal(5)) == "5.000"
    with pytest.raises(SandboxError):
        parse_quantity("1.2345", "q")
    with pytest.raises(SandboxError):
        parse_quantity(5, "q")


@given(st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True))
def test_valid_external_ids_are_accepted(value: str) -> None:
    """Any 1-40 characters of [A-Za-z0-9_-] is a valid order externalid."""
    assert check_external_id(value) == value


@pytest.mark.parametrize("value", ["", "a" * 41, "has space", "ö", "a.b", 12])
def test_invalid_external_ids_are_refused(value: object) -> None:
    """Empty, too long, other characters or non-strings are a 400."""
    with pytest.raises(SandboxError):
        check_external_id(value)


def test_booleans_are_not_integers() -> None:
    """JSON true is not accepted where an integer id is expected."""
    with pytest.raises(SandboxError):
        parse_int(True, "orderid")  # noqa: FBT003 - the value under test
    assert parse_int(7, "orderid") == 7


def test_card_numbers_are_masked_like_sitoo() -> None:
    """The display form keeps the first two and last four digits."""
    assert mask_card_number("95116763063530548720") == "95** **** **** **** 8720"
    with pytest.raises(SandboxError):
        check_card_number("95-11")


def test_additional_data_values_must_be_strings() -> None:
    """additionaldata is a string-to-string map."""
    assert check_string_map({"a": "1"}, "additionaldata") == {"a": "1"}
    with pytest.raises(SandboxError):
        check_string_map({"a": 1}, "additionaldata")


def test_comma_lists_are_split_and_trimmed() -> None:
    """Multi-value query filters are comma separated."""
    assert split_list("a, b,,c") == ["a", "b", "c"]
    assert split_list(None) == []
    assert split_int_list("1,2", "orderid") == [1, 2]
    with pytest.raises(SandboxError):
        split_int_list("1,x", "orderid")
