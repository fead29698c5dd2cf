"""Walking Sitoo collections: offset pages and monotonic id cursors."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from service.sitoo.models import Page

T = TypeVar("T")


async def iter_offset_pages(
    fetch: Callable[[int, int], Awaitable[Page[T]]], *, page_size: int
) -> AsyncIterator[T]:
    """Items of ``fetch(start, num)`` pages until ``totalcount`` or an empty page.

    Offset paging over a collection that changes while it is read can skip or repeat
    rows; use :func:`iter_id_cursor` for append-only feeds.
    """
    start = 0
    while True:
        page = await fetch(start, page_size)
        for item in page.items:
            yield item
        start += len(page.items)
        if not page.items or start >= page.totalcount:
            return


async def iter_id_cursor(
    fetch: Callable[[int, int], Awaitable[Page[T]]],
    id_of: Callable[[T], int | None],
    *,
    start_id: int,
    page_size: int,
) -> AsyncIterator[T]:
    """Items with id ≥ ``start_id`` in ascending id order, ``fetch(id_from, num)`` per page.

    ``fetch`` must sort ascending by the id and filter ``id >= id_from``; the next page
    starts after the highest id seen, so concurrent inserts are never skipped.
    """
    id_from = start_id
    while True:
        page = await fetch(id_from, page_size)
        highest = id_from - 1
        for item in page.items:
            item_id = id_of(item)
            if item_id is None or item_id < id_from:
                continue  # a server ignoring the filter must not make us loop forever
            highest = max(highest, item_id)
            yield item
        if len(page.items) < page_size or highest < id_from:
            return
        id_from = highest + 1
