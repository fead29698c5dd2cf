"""Starts the service, standing in an embedded Redis and the sandbox when none is configured."""

from __future__ import annotations

import contextlib
import secrets
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import structlog
import uvicorn
from pydantic import AnyHttpUrl, SecretStr

from service import listeners
from service.app import build_service
from service.embedded import embedded_redis
from service.settings import Settings

log = structlog.get_logger(__name__)

SANDBOX_API_ID = "sandbox"
LOCAL_DATA_DIR = Path(".local")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def local_stand_ins(settings: Settings) -> AsyncIterator[Settings]:
    """Yield settings completed with a sandbox and an embedded Redis where none is configured."""
    async with contextlib.AsyncExitStack() as stack:
        if settings.sitoo.uses_sandbox:
            from service.sandbox import SandboxConfig, serve_sandbox  # noqa: PLC0415

            password = secrets.token_urlsafe(18)
            # API users configured besides the primary one are accepted by the sandbox too.
            users = {c.api_id: c.api_password for c in settings.sitoo.credentials()}
            config = SandboxConfig(
                credentials={**users, SANDBOX_API_ID: SecretStr(password)},
                seed=settings.sandbox.seed,
                strict=settings.sandbox.strict,
            )
            running = await stack.enter_async_context(
                serve_sandbox(config, host="127.0.0.1", port=settings.sandbox.port)
            )
            log.warning(
                "sitoo.sandbox_in_use",
                message="no Sitoo credentials configured: using the built-in sandbox, NOT a real "
                "Sitoo; set SITOO_SYNC_SITOO__BASE_URL, __API_ID and __API_PASSWORD for a real one",
                sandbox_url=running.base_url,
            )
            sitoo = settings.sitoo.model_copy(
                update={
                    "base_url": AnyHttpUrl(running.base_url),
                    "api_id": SANDBOX_API_ID,
                    "api_password": SecretStr(password),
                }
            )
            settings = settings.model_copy(update={"sitoo": sitoo})
        if settings.redis.url is None:
            url = stack.enter_context(embedded_redis(LOCAL_DATA_DIR / "redis", port=_free_port()))
            log.warning(
                "redis.embedded_in_use",
                message="no Redis URL configured: started an embedded Redis for development; "
                "set SITOO_SYNC_REDIS__URL in production",
                redis_url=url,
                data_dir=str(LOCAL_DATA_DIR / "redis"),
            )
            settings = settings.model_copy(
                update={"redis": settings.redis.model_copy(update={"url": SecretStr(url)})}
            )
        yield settings


async def serve(settings: Settings) -> None:
    """Run the service until it is told to stop."""
    async with local_stand_ins(settings) as effective:
        servers: list[uvicorn.Server] = []

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
        await listeners.serve(servers)
