"""Money (two decimals) and quantities (three decimals) formatted exactly as Sitoo wants."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

MONEY_PLACES = 2
QUANTITY_PLACES = 3


class AmountError(ValueError):
    """A value cannot be sent to Sitoo without losing or inventing precision."""


def _checked(value: Decimal | int | str, places: int, kind: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        # A float has already lost the exact cents; refuse it instead of guessing.
        raise AmountError(f"{kind} must be a Decimal, int or str, not {type(value).__name__}")
    try:
        number = Decimal(value)
    except InvalidOperation as exc:
        raise AmountError(f"{kind} {value!r} is not a number") from exc
    if not number.is_finite():
        raise AmountError(f"{kind} must be finite, got {value!r}")
    step = Decimal(1).scaleb(-places)
    if number != number.quantize(step):
        raise AmountError(
            f"{kind} {value!r} has more than {places} decimals; round it explicitly before sending"
        )
    return number.quantize(step)


def format_money(value: Decimal | int | str) -> str:
    """``Decimal("12.5")`` → ``"12.50"``; refuses NaN, infinity and sub-cent precision."""
    return f"{_checked(value, MONEY_PLACES, 'money amount'):f}"


def format_quantity(value: Decimal | int | str) -> str:
    """``Decimal("5")`` → ``"5.000"``; refuses NaN, infinity and more than three decimals."""
    return f"{_checked(value, QUANTITY_PLACES, 'quantity'):f}"


def parse_decimal(value: object) -> object:
    """Sitoo's numeric strings (and numbers) as Decimal; anything else is left to pydantic."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str | int) and not isinstance(value, bool):
        try:
            return Decimal(value)
        except InvalidOperation:
            return value
    return value


Money = Annotated[
    Decimal,
    BeforeValidator(parse_decimal),
    PlainSerializer(format_money, return_type=str, when_used="json-unless-none"),
]
Quantity = Annotated[
    Decimal,
    BeforeValidator(parse_decimal),
    PlainSerializer(format_quantity, return_type=str, when_used="json-unless-none"),
]


def percent_number(value: Decimal) -> int | float:
    """A percentage as the JSON number Sitoo expects (``vatvalue`` is a number, not a string)."""
    return int(value) if value == value.to_integral_value() else float(value)


Percent = Annotated[
    Decimal,
    BeforeValidator(parse_decimal),
    PlainSerializer(percent_number, return_type=int | float, when_used="json-unless-none"),
]
