"""Shopify-only references: gift-card codes and @idempotent batch keys derived from a reference."""

from __future__ import annotations

import hashlib
import uuid

from service.adapters.common.references import check_reference, note_marker, tagged_note

_NAMESPACE = uuid.UUID("7a3c1e5e-3f0b-4d8e-9a61-5b2f0c9d4e17")
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"

__all__ = ["batch_key", "check_reference", "giftcard_code", "note_marker", "tagged_note"]


def giftcard_code(reference: str) -> str:
    """A 16-character code (a-z, 0-9) derived from the reference.

    Shopify shows a card's code only in the create answer; choosing it ourselves means a
    lost answer still leaves us the code, and a retry that finds the code TAKEN knows why.
    """
    number = int(
        hashlib.blake2b(check_reference(reference).encode(), digest_size=16).hexdigest(), 16
    )
    digits = []
    for _ in range(16):
        number, rest = divmod(number, 36)
        digits.append(_ALPHABET[rest])
    return "".join(digits)


def batch_key(key: str, index: int) -> str:
    """The @idempotent key of batch ``index`` of one logical write: a UUID derived from both."""
    return str(uuid.uuid5(_NAMESPACE, f"{key}#{index}"))
