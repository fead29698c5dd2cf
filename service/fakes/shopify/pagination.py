"""Relay connections as Shopify serves them: first/last, opaque cursors, nodes and edges."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from graphql import GraphQLError

MAX_PAGE = 250
T = TypeVar("T")


def cursor_of(key: Sequence[Any]) -> str:
    """An opaque cursor for an item's sort key."""
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode()


def _key_of(cursor: str) -> list[Any]:
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, UnicodeDecodeError):
        raise GraphQLError("Invalid cursor for current pagination sort.") from None
    if not isinstance(key, list):
        raise GraphQLError("Invalid cursor for current pagination sort.")
    return key


def page_size(args: dict[str, Any]) -> int:
    """The number of items asked for; Shopify insists on first or last, at most 250."""
    first, last = args.get("first"), args.get("last")
    if first is None and last is None:
        raise GraphQLError("you must provide one of first or last")
    size = first if first is not None else last
    if size is None or size < 0:
        raise GraphQLError("first and last must be positive")
    if size > MAX_PAGE:
        raise GraphQLError(f"The maximum number of items that can be requested is {MAX_PAGE}.")
    return int(size)


def connection(
    items: Sequence[T],
    args: dict[str, Any],
    *,
    key: Callable[[T], Sequence[Any]],
    view: Callable[[T], dict[str, Any]],
) -> dict[str, Any]:
    """A connection over items sorted by ``key`` (reverse=True turns the order round)."""
    size = page_size(args)
    reverse = bool(args.get("reverse"))
    ordered = sorted(items, key=lambda item: list(key(item)), reverse=reverse)
    keyed = [(list(key(item)), item) for item in ordered]
    if args.get("after"):
        after = _key_of(args["after"])
        keyed = [(k, i) for k, i in keyed if (k < after if reverse else k > after)]
    if args.get("before"):
        before = _key_of(args["before"])
        keyed = [(k, i) for k, i in keyed if (k > before if reverse else k < before)]
    if args.get("first") is not None:
        window, more_after, more_before = keyed[:size], len(keyed) > size, bool(args.get("after"))
    else:
        window = keyed[-size:] if size else []
        more_after, more_before = bool(args.get("before")), len(keyed) > size
    edges = [{"cursor": cursor_of(k), "node": view(i)} for k, i in window]
    return {
        "edges": edges,
        "nodes": [edge["node"] for edge in edges],
        "pageInfo": {
            "hasNextPage": more_after,
            "hasPreviousPage": more_before,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }
