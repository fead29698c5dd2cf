"""One port for everything, or the web hook and /healthz, /readyz, /metrics on ports of their own.

The whole service (real Redis, the sandbox over HTTP) behind the launcher's own listener code,
asked over real sockets on both ports.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import socket
from collections.abc import AsyncIterator

import httpx
from pydantic import SecretStr

from service.app import build_service
from service.listeners import build_servers, serve
from service.sandbox import RunningSandbox
from service.settings import HttpSettings, Settings
from tests.integration.observability.conftest import service_settings

WEBHOOK_PASSWORD = "ops-port-webhook-password"
OPS_PATHS = ("/healthz", "/readyz", "/metrics")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _settings(sandbox: RunningSandbox, redis_url: str, unique: str, *, split: bool) -> Settings:
    http = HttpSettings(
        host="127.0.0.1",
        port=_free_port(),
        ops_port=_free_port() if split else None,
        webhook_password=SecretStr(WEBHOOK_PASSWORD),
        shutdown_grace_s=2,
    )
    return service_settings(sandbox, redis_url, unique, http=http)


@contextlib.asynccontextmanager
async def _running(settings: Settings) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """The service on its ports; an HTTP client per port (``main``, and ``ops`` when split)."""
    service = build_service(settings)
    listeners = service.listeners()
    servers = build_servers(listeners, settings.http, refused=service.metrics.refused)
    task = asyncio.create_task(serve(servers))
    async with contextlib.AsyncExitStack() as stack:
        clients = {
            listener.name: await stack.enter_async_context(
                httpx.AsyncClient(base_url=f"http://127.0.0.1:{listener.port}")
            )
            for listener in listeners
        }
        try:
            async with asyncio.timeout(20):
                while not all(server.started for server in servers):
                    await asyncio.sleep(0.05)
                ops = clients.get("ops", clients["main"])
                while (await ops.get("/readyz")).status_code != 200:
                    await asyncio.sleep(0.05)
            yield clients
        finally:
            servers[0].should_exit = True
            await task


def _batch() -> bytes:
    event = {"event_id": "evt-ops-1", "event_type": "order", "data": {"order_id": 1}}
    return json.dumps([event]).encode()


def _auth() -> dict[str, str]:
    token = base64.b64encode(f"sitoo:{WEBHOOK_PASSWORD}".encode()).decode()
    return {"Authorization": f"Basic {token}", "Content-Type": "application/json"}


async def test_one_port_serves_everything(
    sandbox: RunningSandbox, redis_url: str, unique: str
) -> None:
    """Without an ops port, the web hook and the operations paths share the one port."""
    settings = _settings(sandbox, redis_url, unique, split=False)
    async with _running(settings) as clients:
        assert set(clients) == {"main"}
        main = clients["main"]
        for path in OPS_PATHS:
            assert (await main.get(path)).status_code == 200, path
        answer = await main.post("/sitoo/events", content=_batch(), headers=_auth())
        assert answer.status_code == 200
        assert answer.json()["outcome"] == "stored"


async def test_ops_port_takes_health_and_metrics_off_the_web_hook_port(
    sandbox: RunningSandbox, redis_url: str, unique: str
) -> None:
    """Each port answers only its own paths; web-hook answers show in the ops port's metrics."""
    settings = _settings(sandbox, redis_url, unique, split=True)
    async with _running(settings) as clients:
        main, ops = clients["main"], clients["ops"]
        for path in OPS_PATHS:
            assert (await ops.get(path)).status_code == 200, path
            assert (await main.get(path)).status_code == 404, path
        assert (await ops.post("/sitoo/events", content=_batch(), headers=_auth())).status_code == (
            404
        )
        stored = await main.post("/sitoo/events", content=_batch(), headers=_auth())
        assert stored.status_code == 200
        refused = await main.post("/sitoo/events", content=_batch())
        assert refused.status_code == 401
        metrics = (await ops.get("/metrics")).text
    accepted = 'sitoo_sync_webhook_requests_total{outcome="accepted",status_code="200"} 1.0'
    unauthorized = 'sitoo_sync_webhook_requests_total{outcome="unauthorized",status_code="401"} 1.0'
    assert accepted in metrics
    assert unauthorized in metrics


async def test_an_oversized_head_on_the_web_hook_port_is_counted_on_the_ops_port(
    sandbox: RunningSandbox, redis_url: str, unique: str
) -> None:
    """The limits guard the running service, and each refusal is counted by listener."""
    settings = _settings(sandbox, redis_url, unique, split=True)
    async with _running(settings) as clients:
        reader, writer = await asyncio.open_connection("127.0.0.1", settings.http.port)
        writer.write(b"POST /sitoo/events HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 40_000 + b"\r\n\r\n")
        await writer.drain()
        assert (await reader.read(16)).startswith(b"HTTP/1.1 431")
        writer.close()
        metrics = (await clients["ops"].get("/metrics")).text
    line = 'sitoo_sync_http_requests_refused_total{listener="main",reason="header_too_large"} 1.0'
    assert line in metrics
