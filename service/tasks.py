"""Stopping background tasks for sure: one ``cancel()`` is not always enough on Python 3.11.

On Python 3.11, ``asyncio.wait_for`` returns the inner result when a cancellation arrives
just as the inner await completes, and the cancellation is lost (CPython gh-86296, fixed
in 3.12). redis-py awaits through ``wait_for`` while it sends a command, so a task cancelled
in the middle of a Redis call can carry on as if nothing happened. With redis-py 8.2 and a
loop of EVAL calls, about two cancels in five were lost that way. A heartbeat that renews
a lease is such a loop: cancelled once, it could go on renewing for ever, and whoever
awaited it after the cancel would wait for ever too (an inbound entry then stays pending,
its event leased by a worker that never finishes).

:func:`stop_tasks` cancels again until every task has ended.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

# How long one cancel is given before the next: a lost cancel costs at most this.
RECANCEL_EVERY_S = 0.01


async def stop_tasks(tasks: Iterable[asyncio.Task[object]]) -> None:
    """Cancel ``tasks`` and wait until each has ended, cancelling again while any runs on.

    What the tasks raise is left on them (read it with ``task.exception()``). If the
    caller is cancelled while waiting, the tasks are cancelled once more on the way out.
    """
    pending = {task for task in tasks if not task.done()}
    try:
        while pending:
            for task in pending:
                task.cancel()
            _, pending = await asyncio.wait(pending, timeout=RECANCEL_EVERY_S)
    except asyncio.CancelledError:
        for task in pending:
            task.cancel()
        raise


async def stop_task(task: asyncio.Task[object]) -> None:
    """Stop ``task`` as :func:`stop_tasks` does, then raise what it raised, if anything."""
    await stop_tasks([task])
    if not task.cancelled() and (error := task.exception()) is not None:
        raise error
