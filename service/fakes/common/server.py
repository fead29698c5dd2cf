"""Serving a fake over real HTTP with uvicorn, with an optional background loop beside it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from service.fakes.common.responses import ConnectionDropped

Background = Callable[[], Awaitable[None]]


class _HideInjectedDrops(logging.Filter):
    """An injected drop is the point of the exercise, not an application error worth a trace."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, ConnectionDropped)


_DROP_FILTER = _HideInjectedDrops()


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)  # noqa: FBT003 - socket API
    return sock


async def _repeat(step: Background, interval_s: Callable[[], float]) -> None:
    while True:
        with contextlib.suppress(Exception):  # one failed pass must not end the loop
            await step()
        await asyncio.sleep(interval_s())


@contextlib.asynccontextmanager
async def serve_app(
    app: ASGIApp,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    background: Background | None = None,
    interval_s: Callable[[], float] = lambda: 0.05,
) -> AsyncIterator[int]:
    """Serve ``app`` on a real socket in this event loop until the block ends; yields the port.

    ``background`` (e.g. sending due web hooks) runs every ``interval_s()`` seconds meanwhile.
    """
    sock = _bind(host, port)
    actual_port = int(sock.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(
            app, log_config=None, access_log=False, lifespan="off", timeout_graceful_shutdown=1
        )
    )
    logging.getLogger("uvicorn.error").addFilter(_DROP_FILTER)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    loop = asyncio.create_task(_repeat(background, interval_s)) if background else None
    try:
        while not server.started:
            if task.done():
                task.result()  # surfaces the startup error
            await asyncio.sleep(0.01)
        yield actual_port
    finally:
        if loop is not None:
            loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await loop
        server.should_exit = True
        await task
        sock.close()


def run_until_interrupted(serve: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run ``serve`` (which serves until cancelled) until the process is interrupted."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())
