"""Pure value rules of the Sitoo API: money, quantities, ids, code lists, query lists."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from service.sandbox.errors import bad_request

ORDER_TYPES = frozenset({10, 100, 110})
ORDER_STATES = frozenset({0, 10, 20, -1})
PAYMENT_STATES = frozenset({0, 10, 15, 20, 30, 40})
ORDER_OPEN, ORDER_CLOSED, ORDER_CANCELLED, ORDER_ABANDONED = 0, 10, 20, -1
POSTABLE_LOG_TYPES = frozenset({900, 910})
LOG_READY_FOR_PICKUP, LOG_PICKUP_REJECTED = 900, 910

WAREHOUSE_FIFO, WAREHOUSE_VIRTUAL = 10, 20
TX_MOVE_IN, TX_MOVE_OUT, TX_SALES, TX_REFUND, TX_STOCKTAKING = 10, 20, 30, 40, 50
READ_ONLY_TX_TYPES = frozenset({TX_SALES, TX_REFUND, TX_STOCKTAKING})
BATCH_OPEN, BATCH_CLOSED = 10, 20
MAX_TRANSACTIONS_PER_REQUEST = 1000

CENT = Decimal("0.01")
MILLI = Decimal("0.001")
ZERO = Decimal(0)

_MONEY = re.compile(r"-?\d{1,15}\.\d{2}")
_QUANTITY = re.compile(r"-?\d{1,15}(\.\d{1,3})?")
_EXTERNAL_ID = re.compile(r"[A-Za-z0-9_-]{1,40}")
_CARD_NUMBER = re.compile(r"[A-Za-z0-9]{1,40}")
_CURRENCY = re.compile(r"[A-Z]{3}")


def parse_money(value: object, field: str) -> Decimal:
    """A Sitoo money string with exactly two decimals ("230.00"); "230" is refused."""
    if not isinstance(value, str) or _MONEY.fullmatch(value) is None:
        raise bad_request(
            f"Invalid field value '{field}' should be a money string with two decimals."
        )
    return Decimal(value)


def format_money(value: Decimal) -> str:
    """Two decimals, half up, no exponent: Decimal("5") -> "5.00"."""
    return f"{value.quantize(CENT, rounding=ROUND_HALF_UP):f}"


def parse_quantity(value: object, field: str) -> Decimal:
    """A decimal quantity string with up to three decimals ("5", "5.5", "5.000")."""
    if not isinstance(value, str) or _QUANTITY.fullmatch(value) is None:
        raise bad_request(
            f"Invalid field value '{field}' should be a decimal string with up to three decimals."
        )
    return Decimal(value)


def format_quantity(value: Decimal) -> str:
    """Three decimals: Decimal("5") -> "5.000"."""
    return f"{value.quantize(MILLI, rounding=ROUND_HALF_UP):f}"


def parse_int(value: object, field: str) -> int:
    """A JSON integer (booleans are not integers here)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request(f"Invalid field value '{field}' should be integer.")
    return value


def parse_optional_int(value: object, field: str) -> int | None:
    """A JSON integer or null."""
    return None if value is None else parse_int(value, field)


def parse_str(value: object, field: str) -> str:
    """A JSON string."""
    if not isinstance(value, str):
        raise bad_request(f"Invalid field value '{field}' should be string.")
    return value


def parse_optional_str(value: object, field: str) -> str | None:
    """A JSON string or null."""
    return None if value is None else parse_str(value, field)


def parse_code(value: object, field: str, allowed: frozenset[int]) -> int:
    """An integer from a fixed code list."""
    code = parse_int(value, field)
    if code not in allowed:
        raise bad_request(f"Invalid value {code} for '{field}'.")
    return code


def check_external_id(value: object) -> str:
    """Order externalid: 1-40 characters of [A-Za-z0-9_-]."""
    text = parse_str(value, "externalid")
    if _EXTERNAL_ID.fullmatch(text) is None:
        raise bad_request(
            "Invalid field value 'externalid' should be 1-40 characters of A-Z, a-z, 0-9, _ and -."
        )
    return text


def check_card_number(value: object) -> str:
    """Gift-card number: 1-40 letters or digits."""
    text = parse_str(value, "cardnumber")
    if _CARD_NUMBER.fullmatch(text) is None:
        raise bad_request("Invalid field value 'cardnumber' should be 1-40 letters or digits.")
    return text


def check_currency(value: object) -> str:
    """An ISO 4217 code in capitals."""
    text = parse_str(value, "currencycode")
    if _CURRENCY.fullmatch(text) is None:
        raise bad_request("Invalid field value 'currencycode' should be an ISO 4217 code.")
    return text


def check_string_map(value: object, field: str) -> dict[str, str]:
    """additionaldata: an object whose values are all strings."""
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise bad_request(f"Invalid value in {field} (Not string)")
    return dict(value)


def mask_card_number(number: str) -> str:
    """95116763063530548720 -> "95** **** **** **** 8720" as Sitoo displays it."""
    if len(number) <= 6:  # noqa: PLR2004 - too short to hide anything
        return number
    hidden = number[:2] + "*" * (len(number) - 6) + number[-4:]
    return " ".join(hidden[i : i + 4] for i in range(0, len(hidden), 4))


def split_list(raw: str | None) -> list[str]:
    """A comma-separated query value as a list (empty entries dropped)."""
    if raw is None:
        return []
    return [part.strip() for part in raw.split(",") if part.strip()]


def split_int_list(raw: str | None, name: str) -> list[int]:
    """A comma-separated list of integers from the query string."""
    try:
        return [int(part) for part in split_list(raw)]
    except ValueError:
        raise bad_request(f"Invalid value for '{name}'.") from None


def query_int(raw: str | None, name: str) -> int | None:
    """One integer query parameter, or None when absent."""
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise bad_request(f"Invalid value for '{name}'.") from None


def query_bool(raw: str | None) -> bool:
    """A boolean query flag: true/1/yes."""
    return raw is not None and raw.strip().lower() in {"true", "1", "yes"}
