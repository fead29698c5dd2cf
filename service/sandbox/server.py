"""Serving the sandbox over real HTTP with uvicorn, in the caller's event loop or forever."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass

import uvicorn

from service.sandbox.app import create_sandbox_app
from service.sandbox.config import SandboxConfig
from service.sandbox.gate import ConnectionDropped
from service.sandbox.sandbox import Sandbox


def base_url(host_url: str, account_id: int) -> str:
    """The Sitoo base URL of an account: http://127.0.0.1:8900 -> .../v2/accounts/90001."""
    return f"{host_url.rstrip('/')}/v2/accounts/{account_id}"


@dataclass(frozen=True)
class RunningSandbox:
    """A sandbox being served on a real port."""

    url: str
    base_url: str
    sandbox: Sandbox
    port: int


class _HideInjectedDrops(logging.Filter):
    """An injected drop is the point of the exercise, not an application error worth a trace."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, ConnectionDropped)


_DROP_FILTER = _HideInjectedDrops()


def _bind(host: str, port: int) -> socket.socket:
    # IPPROTO_TCP explicitly: asyncio only disables Nagle on sockets that say they are TCP.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)  # noqa: FBT003 - socket API
    return sock


@contextlib.asynccontextmanager
async def serve_sandbox(
    config: SandboxConfig, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[RunningSandbox]:
    """Run the sandbox on a real socket in this event loop until the block ends."""
    app = create_sandbox_app(config)
    sock = _bind(host, port)
    actual_port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            log_config=None,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
    )
    logging.getLogger("uvicorn.error").addFilter(_DROP_FILTER)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()  # surfaces the startup error
            await asyncio.sleep(0.01)
        url = f"http://{host}:{actual_port}"
        yield RunningSandbox(
            url=url,
            base_url=base_url(url, config.account_id),
            sandbox=app.state.sandbox,
            port=actual_port,
        )
    finally:
        server.should_exit = True
        await task
        sock.close()


async def _serve_until_cancelled(config: SandboxConfig, host: str, port: int) -> None:
    async with serve_sandbox(config, host, port) as running:
        logging.getLogger(__name__).info(
            "sandbox listening on %s (base URL %s)", running.url, running.base_url
        )
        await asyncio.Event().wait()


def run_sandbox_forever(config: SandboxConfig, host: str = "127.0.0.1", port: int = 8900) -> None:
    """Serve the sandbox until the process is interrupted (for the CLI)."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_until_cancelled(config, host, port))
