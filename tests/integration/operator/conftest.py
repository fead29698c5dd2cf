"""Running operator commands in a worker thread against a served sandbox and the test Redis."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
from click.testing import Result
from typer.testing import CliRunner

from service.cli import cli


@dataclass(frozen=True)
class Names:
    """This test's own Redis key prefix and stream names."""

    prefix: str
    outbound: str
    orders: str
    giftcards: str
    requests: str
    stock: str
    webhooks: str
    results: str
    group: str


@pytest.fixture
def names(unique: str) -> Names:
    """Names no other test uses."""
    return Names(
        prefix=unique,
        outbound=f"{unique}.out",
        orders=f"{unique}.orders",
        giftcards=f"{unique}.giftcards",
        requests=f"{unique}.requests",
        stock=f"{unique}.stock",
        webhooks=f"{unique}.webhooks",
        results=f"{unique}.results",
        group=f"{unique}-group",
    )


@pytest.fixture
def operator_env(monkeypatch: pytest.MonkeyPatch, redis_url: str, names: Names) -> None:
    """SITOO_SYNC_* variables pointing the commands at the test Redis and this test's names."""
    values = {
        "REDIS__URL": redis_url,
        "REDIS__KEY_PREFIX": names.prefix,
        "STREAMS__OUTBOUND": names.outbound,
        "STREAMS__ORDERS": names.orders,
        "STREAMS__GIFTCARDS": names.giftcards,
        "STREAMS__GIFTCARD_REQUESTS": names.requests,
        "STREAMS__STOCK": names.stock,
        "STREAMS__SITOO_WEBHOOKS": names.webhooks,
        "STREAMS__RESULTS": names.results,
        "STREAMS__GROUP": names.group,
        "STREAMS__CONSUMER": "replica-1",
    }
    for name, value in values.items():
        monkeypatch.setenv(f"SITOO_SYNC_{name}", value)


def point_at_sitoo(
    monkeypatch: pytest.MonkeyPatch,
    base_url: str,
    *,
    api_id: str = "sandbox",
    password: str = "sandbox",  # noqa: S107 - the sandbox's well-known test password
    site_id: int = 1,
) -> None:
    """Configure the Sitoo credentials the commands use."""
    monkeypatch.setenv("SITOO_SYNC_SITOO__BASE_URL", base_url)
    monkeypatch.setenv("SITOO_SYNC_SITOO__API_ID", api_id)
    monkeypatch.setenv("SITOO_SYNC_SITOO__API_PASSWORD", password)
    monkeypatch.setenv("SITOO_SYNC_SITOO__SITE_ID", str(site_id))
    monkeypatch.setenv("SITOO_SYNC_SITOO__CALL_DEADLINE_S", "20")


async def invoke(*args: str) -> Result:
    """Run ``sitoo-sync <args>`` in a thread, so this test's event loop keeps serving."""
    return await asyncio.to_thread(CliRunner().invoke, cli, list(args))
