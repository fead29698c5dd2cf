"""Stopping a background task for sure, even when a cancel is lost on the way."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from service.tasks import stop_task, stop_tasks


@dataclass
class Stubborn:
    """A task that carries on after a cancel, as one whose cancel was lost does."""

    to_lose: int
    lost: int = 0

    def start(self) -> asyncio.Task[None]:
        async def run() -> None:
            while True:
                try:
                    await asyncio.sleep(1)
                except asyncio.CancelledError:
                    if self.lost >= self.to_lose:
                        raise
                    self.lost += 1

        return asyncio.create_task(run())


async def test_a_task_that_loses_cancels_is_cancelled_again_until_it_ends() -> None:
    stubborn = Stubborn(to_lose=3)
    task = stubborn.start()
    await asyncio.sleep(0)
    async with asyncio.timeout(5):
        await stop_tasks([task])
    assert task.cancelled()
    assert stubborn.lost == 3


async def test_what_a_task_raised_stays_on_it_and_stop_task_raises_it() -> None:
    async def failing() -> None:
        raise KeyError("token")

    task = asyncio.create_task(failing())
    await asyncio.sleep(0)
    await stop_tasks([task])
    assert isinstance(task.exception(), KeyError)
    with pytest.raises(KeyError, match="token"):
        await stop_task(task)


async def test_a_caller_cancelled_while_waiting_cancels_the_tasks_once_more() -> None:
    stubborn = Stubborn(to_lose=10**9)
    task = stubborn.start()
    await asyncio.sleep(0)
    stopper = asyncio.create_task(stop_tasks([task]))
    try:
        await asyncio.sleep(0.2)
        assert stubborn.lost >= 2  # cancelled again and again while it ran on
        before = stubborn.lost
        stopper.cancel()
        with pytest.raises(asyncio.CancelledError):
            await stopper
        await asyncio.sleep(0.01)
        on_the_way_out = stubborn.lost
        assert on_the_way_out > before  # the way out cancelled it once more
        await asyncio.sleep(0.2)
        assert stubborn.lost == on_the_way_out  # and then left it alone
    finally:
        stubborn.to_lose = 0
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
