"""Shopify's global ids: gid://shopify/Kind/123 and the legacy numeric id inside."""

from __future__ import annotations

import re

_GID = re.compile(r"gid://shopify/([A-Za-z]+)/(\d+)(?:\?.*)?")


def gid(kind: str, number: int) -> str:
    """gid://shopify/{kind}/{number}."""
    return f"gid://shopify/{kind}/{number}"


def parse_gid(value: object) -> tuple[str, int] | None:
    """(kind, number) of a well-formed gid, else None."""
    if not isinstance(value, str):
        return None
    match = _GID.fullmatch(value.strip())
    return None if match is None else (match.group(1), int(match.group(2)))


def number_of(value: object, kind: str) -> int | None:
    """The number of a gid of this kind, else None (a gid of another kind is not found)."""
    parsed = parse_gid(value)
    return parsed[1] if parsed is not None and parsed[0] == kind else None
