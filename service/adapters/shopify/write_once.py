"""One Shopify order write per Sitoo event: made once, by one replica at a time.

The pick-up progress and the store cancellations share this rule; the record of each write
(made, or being made by whom) is :mod:`service.records.steps`. A write that Shopify
refuses for good dead-letters the outbound entry with the reason; any other failure leaves
it for a retry, and the write is looked up again then (the callers read the order first).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from service.adapters.common.errors import WebshopError
from service.sitoo.errors import Disposition

if TYPE_CHECKING:
    from service.adapters.common.outbound import Applied
    from service.records.steps import WrittenSteps

# How long a write is remembered as done: longer than any redelivery of its event.
DONE_TTL_S = 90 * 86_400


def settle_failure(exc: WebshopError, entry_id: str, outcome: Applied) -> None:
    """A refused write is a dead letter with the reason; anything else is retried."""
    if exc.disposition is Disposition.DEAD_LETTER:
        outcome.failed[entry_id] = f"{type(exc).__name__}: {exc}"
    else:
        outcome.retry.add(entry_id)


async def write_once(
    steps: WrittenSteps,
    what: str,
    entry_id: str,
    outcome: Applied,
    write: Callable[[], Awaitable[str | None]],
) -> None:
    """Run ``write`` unless it was made or is being made; it answers a reason when it cannot."""
    taken = await steps.take(what)
    if taken.decision == "done":
        outcome.done.add(entry_id)
        return
    if taken.decision == "busy":
        outcome.retry.add(entry_id)  # another replica is making it; seen done next time
        return
    try:
        problem = await write()
    except WebshopError as exc:
        await steps.release(taken)
        settle_failure(exc, entry_id, outcome)
        return
    except Exception:
        await steps.release(taken)
        raise
    if problem is not None:
        await steps.release(taken)
        outcome.failed[entry_id] = problem
        return
    await steps.made(taken)
    outcome.done.add(entry_id)
