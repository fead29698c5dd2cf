"""The HTTP listeners of one process: which paths each port serves, and their limits.

One ASGI app serves every path. With ``SITOO_SYNC_HTTP__OPS_PORT`` set, two uvicorn
servers share it: the main port answers only the web hook and the ops port only
/healthz, /readyz and /metrics, each with its own connection limit, so clients holding
the web-hook port's connections cannot starve the probes. The main server runs the
app's lifespan and owns the signals; the ops server stops after it, so probes and the
last scrape keep answering through the graceful shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass

import structlog
import uvicorn
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from service.http_guard import RequestLimits, limited_protocol
from service.http_settings import HttpSettings

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Listener:
    """One port: its name (a metric label), the app and the paths it may answer (None: all)."""

    name: str
    port: int
    app: ASGIApp
    paths: frozenset[str] | None = None


def only_paths(app: ASGIApp, paths: Collection[str] | None) -> ASGIApp:
    """``app`` answering 404 for every HTTP path not in ``paths``; lifespan passes through."""
    if paths is None:
        return app
    allowed = frozenset(paths)
    not_found = PlainTextResponse("Not Found", status_code=404)

    async def filtered(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] not in allowed:
            await not_found(scope, receive, send)
            return
        await app(scope, receive, send)

    return filtered


class _SecondaryServer(uvicorn.Server):
    """A server that leaves SIGTERM/SIGINT to the main one and is stopped by it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _config(
    listener: Listener, http: HttpSettings, *, main: bool, refused: Callable[[str, str], None]
) -> uvicorn.Config:
    limits = RequestLimits(
        max_header_bytes=http.max_header_bytes,
        header_timeout_s=http.header_timeout_s,
        body_timeout_s=http.body_timeout_s,
        refused=lambda reason: refused(listener.name, reason),
    )
    return uvicorn.Config(
        only_paths(listener.app, listener.paths),
        host=http.host,
        port=listener.port,
        http=limited_protocol(limits),
        log_config=None,
        interface="asgi3",
        lifespan="on" if main else "off",
        timeout_keep_alive=max(1, round(http.keep_alive_s)),
        limit_concurrency=http.max_connections,
        # Open requests (web hooks) get the grace first; the consumers then get it again.
        timeout_graceful_shutdown=max(1, round(http.shutdown_grace_s)),
    )


def _bind(host: str, port: int) -> socket.socket:
    """Bind before anything starts, so a taken ops port fails the start with its name."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=2048)
    except OSError as error:
        raise OSError(
            error.errno, f"cannot listen on {host}:{port} (SITOO_SYNC_HTTP__OPS_PORT): {error}"
        ) from None


def build_servers(
    listeners: list[Listener],
    http: HttpSettings,
    *,
    refused: Callable[[str, str], None] = lambda _listener, _reason: None,
) -> list[uvicorn.Server]:
    """One uvicorn server per listener, the first one main (lifespan and signals)."""
    servers = [uvicorn.Server(_config(listeners[0], http, main=True, refused=refused))]
    servers += [
        _SecondaryServer(_config(listener, http, main=False, refused=refused))
        for listener in listeners[1:]
    ]
    return servers


async def serve(servers: list[uvicorn.Server]) -> None:
    """Run the servers until the main one stops (SIGTERM, or ``should_exit``), then the rest."""
    main, *secondary = servers
    sockets = [_bind(s.config.host, s.config.port) for s in secondary]
    tasks = [
        asyncio.create_task(server.serve(sockets=[sock]), name=f"http:{server.config.port}")
        for server, sock in zip(secondary, sockets, strict=True)
    ]
    for server in secondary:  # uvicorn logs only the ports it binds itself
        log.info("http.listening", host=server.config.host, port=server.config.port)
    try:
        await main.serve()
    finally:
        for server in secondary:
            server.should_exit = True
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        for sock in sockets:
            sock.close()
