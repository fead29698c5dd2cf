"""Starts the service, standing in an embedded Redis and the sandbox when none is configured."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import structlog
import uvicorn

from service import listeners
from service.app import build_service
from service.devstack.banner import render_banner
from service.devstack.stack import StandIns, local_stand_ins
from service.devstack.state import DevStack, SandboxEndpoint, remove_state, write_state
from service.devstack.webshops import WebshopChoice, subscribe_webhooks
from service.settings import Settings
from service.tasks import stop_tasks

log = structlog.get_logger(__name__)

_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextlib.contextmanager
def _signals_noted(received: list[int], servers: list[uvicorn.Server]) -> Iterator[None]:
    """Turn SIGTERM/SIGINT into a graceful stop for the whole lifetime of the stand-ins.

    uvicorn handles these signals while it serves and re-raises them when it is done; without
    a handler of ours the re-raised SIGTERM would kill the process before the embedded Redis
    is stopped and the sandbox saved. A signal that arrives during start-up stops the server
    as soon as it runs.
    """

    def note(sig: int, frame: FrameType | None) -> None:
        del frame
        received.append(sig)
        for server in servers:
            server.should_exit = True

    previous = {sig: signal.signal(sig, note) for sig in _STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _dev_stack(stand_ins: StandIns) -> DevStack:
    settings = stand_ins.settings
    host = "127.0.0.1" if settings.http.host in {"0.0.0.0", "::", ""} else settings.http.host  # noqa: S104 - comparing, not binding
    sandbox = None
    if stand_ins.sandbox is not None:
        running = stand_ins.sandbox
        api_id = settings.sitoo.api_id or ""
        password = settings.sitoo.api_password
        sandbox = SandboxEndpoint(
            base_url=running.base_url,
            admin_url=f"{running.url}/_sandbox",
            api_id=api_id,
            api_password=password.get_secret_value() if password is not None else "",
        )
    return DevStack(
        pid=os.getpid(),
        service_url=f"http://{host}:{settings.http.port}",
        redis_url=stand_ins.redis.url if stand_ins.redis is not None else None,
        sandbox=sandbox,
        key_prefix=settings.redis.key_prefix,
    )


def _announce(stand_ins: StandIns) -> None:
    stack = _dev_stack(stand_ins)
    path = write_state(stand_ins.root, stack)
    shown = Path(os.path.relpath(path)) if path.is_relative_to(Path.cwd()) else path
    banner = render_banner(
        stack,
        redis_server=stand_ins.redis.version if stand_ins.redis is not None else None,
        state_file=shown,
        notes=stand_ins.notes,
        webshops=[row for shop in stand_ins.webshops for row in shop.rows],
    )
    sys.stdout.write(banner + "\n")
    sys.stdout.flush()
    log.info("devstack.ready", state_file=str(path), service=stack.service_url)


async def _announce_when_started(server: uvicorn.Server, stand_ins: StandIns) -> None:
    """Once the service answers: write the state file and print the banner, once."""
    # uvicorn only offers a flag for "started", no event to wait on.
    while not server.started:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    await subscribe_webhooks(stand_ins.webshops, _dev_stack(stand_ins).service_url)
    _announce(stand_ins)


async def serve(
    settings: Settings,
    *,
    reset: bool = False,
    root: Path | None = None,
    webshops: WebshopChoice = WebshopChoice(),  # noqa: B008 - frozen, never mutated
) -> int | None:
    """Run the service until it is told to stop; the stop signal received, if any."""
    received: list[int] = []
    servers: list[uvicorn.Server] = []
    here = (root or Path.cwd()).resolve()
    with _signals_noted(received, servers):
        async with local_stand_ins(
            settings, root=here, reset=reset, webshops=webshops
        ) as stand_ins:
            effective = stand_ins.settings

            def request_exit() -> None:
                # A subscriber died for good: stop like on SIGTERM so the process is restarted.
                for server in servers:
                    server.should_exit = True

            service = build_service(effective, request_exit=request_exit)
            servers.extend(
                listeners.build_servers(
                    service.listeners(), effective.http, refused=service.metrics.refused
                )
            )
            server = servers[0]  # the main listener: it owns the lifespan and the signals
            server.should_exit = bool(received)
            announce = (
                asyncio.create_task(_announce_when_started(server, stand_ins))
                if stand_ins.any
                else None
            )
            try:
                await listeners.serve(servers)
            except SystemExit:
                # uvicorn leaves a failed start with sys.exit(3); bad configuration is
                # reported as such, in one line, by the command.
                if service.refusal.error is not None:
                    raise service.refusal.error from None
                raise
            finally:
                if announce is not None:
                    await stop_tasks([announce])
                    remove_state(here, os.getpid())
    return received[0] if received else None
