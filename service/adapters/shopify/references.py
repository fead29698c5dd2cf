"""Marks the client writes into Shopify so that a write can be found again after a lost answer."""

from __future__ import annotations

import hashlib
import re
import uuid

_NAMESPACE = uuid.UUID("7a3c1e5e-3f0b-4d8e-9a61-5b2f0c9d4e17")
_SAFE = re.compile(r"[A-Za-z0-9_.:-]{1,80}")
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def check_reference(reference: str) -> str:
    """A caller's reference must be short and plain, so it can sit inside a note verbatim."""
    if not _SAFE.fullmatch(reference):
        raise ValueError("a reference is 1-80 of A-Z a-z 0-9 _ . : -")
    return reference


def note_marker(reference: str) -> str:
    """The text a gift-card note carries for ``reference``: ``[sitoo-sync:REF]``."""
    return f"[sitoo-sync:{check_reference(reference)}]"


def tagged_note(note: str | None, reference: str) -> str:
    """The note to send: the caller's text (if any) followed by the marker."""
    marker = note_marker(reference)
    return f"{note} {marker}" if note else marker


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
