"""Natural keys we control at Sitoo, derived deterministically from our operation keys."""

from __future__ import annotations

import hashlib
import re

EXTERNALID_MAX = 40
_SAFE_EXTERNALID = re.compile(r"[A-Za-z0-9_-]{1,40}")
# Hashed ids start with this; a readable id that happens to start with it is hashed too,
# so the two kinds of output can never be equal.
_HASHED_PREFIX = "h--"


def _digest(text: str, size: int) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=size).hexdigest()


def order_externalid(webshop_order_id: str) -> str:
    """Map any webshop order id into Sitoo's ``externalid`` charset without collisions.

    Ids that already fit ``[A-Za-z0-9_-]{1,40}`` stay as they are so staff can read
    them in the POS; anything else becomes ``h--`` plus 148 bits of a BLAKE2b hash.
    """
    if _SAFE_EXTERNALID.fullmatch(webshop_order_id) and not webshop_order_id.startswith(
        _HASHED_PREFIX
    ):
        return webshop_order_id
    hashed = hashlib.blake2b(webshop_order_id.encode("utf-8"), digest_size=20).hexdigest()
    return _HASHED_PREFIX + hashed[: EXTERNALID_MAX - len(_HASHED_PREFIX)]


def operation_reference(op_key: str, index: int = 0) -> str:
    """A short, charset-safe reference for element ``index`` of operation ``op_key``.

    Written into gift-card ``transaction_reference``, warehouse-transaction and batch
    ``externalid`` and delivery ``orderdeliveryref`` so a write can be found again.
    Shape: ``ss-`` + 24 hex digits (96 bits of the key's hash) + ``-`` + index.
    """
    if index < 0:
        raise ValueError("index must not be negative")
    return f"ss-{_digest(op_key, 12)}-{index}"


def giftcard_number(op_key: str) -> str:
    """A 20-digit card number derived from the issuing operation, ending in a Luhn digit.

    Sitoo can generate card numbers, but then a lost response leaves nothing to look
    the card up by; choosing the number ourselves gives every issue a natural key.
    """
    body = str(int(_digest(op_key, 16), 16) % 10**19).zfill(19)
    return body + _luhn_digit(body)


def _luhn_digit(digits: str) -> str:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:  # noqa: PLR2004 - the Luhn rule
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    """True when the last digit of ``number`` is its Luhn check digit."""
    return number.isdigit() and len(number) > 1 and _luhn_digit(number[:-1]) == number[-1]
