"""Marks the writes a client makes so that a write can be found again after a lost answer."""

from __future__ import annotations

import re

_SAFE = re.compile(r"[A-Za-z0-9_.:-]{1,80}")


def check_reference(reference: str) -> str:
    """A caller's reference must be short and plain, so it can sit inside a note verbatim."""
    if not _SAFE.fullmatch(reference):
        raise ValueError("a reference is 1-80 of A-Z a-z 0-9 _ . : -")
    return reference


def note_marker(reference: str) -> str:
    """The text a note carries for ``reference``: ``[sitoo-sync:REF]``."""
    return f"[sitoo-sync:{check_reference(reference)}]"


def tagged_note(note: str | None, reference: str) -> str:
    """The note to send: the caller's text (if any) followed by the marker."""
    marker = note_marker(reference)
    return f"{note} {marker}" if note else marker
