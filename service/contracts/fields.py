"""Bounded, explicit field types shared by every inbound event."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer

from service.contracts.sanity import FORBIDDEN_CHARACTERS

MAX_MONEY = Decimal("10000000.00")  # ten million per amount: far above any real basket
MAX_QUANTITY = 100_000
MAX_STOCK_LEVEL = Decimal(10_000_000)
_CURRENCY = re.compile(r"[A-Z]{3}")
_DECIMAL_TEXT = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")
"""How a number may be spelled as a string: ``249``, ``249.00``, ``-1.5``; nothing else."""


def _decimal(value: object, *, places: int, kind: str) -> Decimal:
    """Strings and numbers to an exact Decimal, refusing floats' guesses and extra decimals.

    The one money and quantity rule: inbound JSON numbers arrive as exact decimals (see
    :func:`service.contracts.sanity.load_json`), so ``249.001`` is seen as written; a
    string must be plain decimal notation (no spaces, signs other than ``-``, exponents,
    ``_`` separators, leading zeros, ``NaN`` or ``Infinity``).
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValueError(f"{kind} must be a number or a numeric string")  # noqa: TRY004 - pydantic wants ValueError
    if isinstance(value, str) and not _DECIMAL_TEXT.fullmatch(value):
        raise ValueError(f"{kind} must be written like 249 or 249.00")
    text = repr(value) if isinstance(value, float) else value
    try:
        number = Decimal(text) if not isinstance(text, Decimal) else text
    except InvalidOperation:
        raise ValueError(f"{kind} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{kind} must be finite")
    if number.as_tuple().exponent < -places:  # type: ignore[operator] # finite: int exponent
        raise ValueError(f"{kind} has more than {places} decimals")
    return number


def _money(value: object) -> Decimal:
    return _decimal(value, places=2, kind="amount")


def _quantity(value: object) -> Decimal:
    return _decimal(value, places=3, kind="quantity")


def _rate(value: object) -> Decimal:
    return _decimal(value, places=2, kind="VAT rate")


def _no_control_characters(value: str) -> str:
    if FORBIDDEN_CHARACTERS.search(value):
        raise ValueError("must not contain control characters")
    return value


def _currency(value: str) -> str:
    if not _CURRENCY.fullmatch(value):
        raise ValueError("must be an ISO 4217 code in upper case, e.g. SEK")
    return value


def _as_text(value: Decimal) -> str:
    return f"{value:f}"


def _as_money_text(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):f}"


Money = Annotated[
    Decimal,
    BeforeValidator(_money),
    Field(ge=0, le=MAX_MONEY),
    PlainSerializer(_as_money_text, return_type=str, when_used="json"),
]
"""A non-negative amount with at most two decimals, as a string or a number."""

PositiveMoney = Annotated[
    Decimal,
    BeforeValidator(_money),
    Field(gt=0, le=MAX_MONEY),
    PlainSerializer(_as_money_text, return_type=str, when_used="json"),
]
"""An amount above zero with at most two decimals."""

VatRate = Annotated[
    Decimal,
    BeforeValidator(_rate),
    Field(ge=0, le=100),
    PlainSerializer(_as_text, return_type=str, when_used="json"),
]
"""A VAT rate in percent, 0-100, at most two decimals (25 means 25 %)."""

StockLevel = Annotated[
    Decimal,
    BeforeValidator(_quantity),
    Field(ge=0, le=MAX_STOCK_LEVEL),
    PlainSerializer(_as_text, return_type=str, when_used="json"),
]
"""An absolute stock level, at most three decimals."""

StockDelta = Annotated[
    Decimal,
    BeforeValidator(_quantity),
    Field(ge=-MAX_STOCK_LEVEL, le=MAX_STOCK_LEVEL),
    PlainSerializer(_as_text, return_type=str, when_used="json"),
]
"""A signed stock change, at most three decimals; zero is refused by the event."""

Quantity = Annotated[int, Field(strict=True, ge=1, le=MAX_QUANTITY)]
"""A whole number of units on an order line."""

Currency = Annotated[str, AfterValidator(_currency)]
"""ISO 4217 code in upper case."""


Identifier = Annotated[
    str, Field(min_length=1, max_length=100), AfterValidator(_no_control_characters)
]
"""A webshop identifier (order id, store code, …): 1-100 printable characters."""

Sku = Annotated[str, Field(pattern=r"^[A-Za-z0-9_+\-/.]{1,100}$")]
"""A Sitoo SKU: letters, digits and _ + - / . (1-100 characters)."""

CardNumber = Annotated[str, Field(pattern=r"^[0-9]{8,30}$")]
"""A gift-card number: 8-30 digits, always as a string."""

Pin = Annotated[str, Field(pattern=r"^[0-9A-Za-z]{1,20}$")]
"""A gift-card PIN."""

ShortText = Annotated[
    str, Field(min_length=1, max_length=200), AfterValidator(_no_control_characters)
]
"""Free text up to 200 printable characters."""

Name = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_no_control_characters)]
"""A person's or product's name, 1-100 printable characters."""
