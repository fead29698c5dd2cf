"""Collections: filter by modification time, sort, page, and the X-WP-* and Link headers."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from service.fakes.woocommerce.times import SiteTime

T = TypeVar("T")


def in_window(
    moment: float, params: dict[str, Any], time: SiteTime, *, after: str, before: str
) -> bool:
    """Strictly after ``params[after]`` and before ``params[before]`` (WP_Date_Query)."""
    gmt = bool(params.get("dates_are_gmt"))
    whole = int(moment)  # WordPress stores whole seconds
    if params.get(after) is not None and not whole > time.parse(params[after], gmt=gmt):
        return False
    return params.get(before) is None or whole < time.parse(params[before], gmt=gmt)


def ordered(items: list[T], params: dict[str, Any], keys: dict[str, Callable[[T], Any]]) -> list[T]:
    """Sorted by ``orderby`` (ties by id, as MySQL's order for equal keys is not stable)."""
    key = keys[params["orderby"]]
    found = sorted(items, key=lambda item: (key(item), getattr(item, "id", 0)))
    return found if params.get("order") == "asc" else found[::-1]


def _link(url: str, page: int) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "page"]
    query.append(("page", str(page)))
    return urlunsplit(parts._replace(query=urlencode(query)))


def page(items: Sequence[T], params: dict[str, Any], url: str) -> tuple[list[T], dict[str, str]]:
    """One page of ``items`` and the headers that say how many there are."""
    per_page = int(params["per_page"])
    offset = params.get("offset")
    current = int(params["page"])
    start = int(offset) if offset else (current - 1) * per_page
    total = len(items)
    pages = math.ceil(total / per_page) if total else 0
    headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
    links = []
    if current > 1:
        links.append(f'<{_link(url, min(current - 1, max(pages, 1)))}>; rel="prev"')
    if pages > current:
        links.append(f'<{_link(url, current + 1)}>; rel="next"')
    if links:
        headers["Link"] = ", ".join(links)
    return list(items[start : start + per_page]), headers
