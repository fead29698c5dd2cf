"""Auth, account, site, IP allow-list, routing errors and the per-user concurrency limit."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from starlette.applications import Starlette

from service.sandbox import (
    FaultConfig,
    Sandbox,
    SandboxConfig,
    create_sandbox_app,
    sandbox_transport,
)
from tests.component.sandbox.conftest import ClientFactory

ORDER = {"ordertypeid": 10, "externalid": "WEB-1"}


async def test_missing_or_wrong_credentials_are_401(make_client: ClientFactory) -> None:
    """No auth and a wrong password both get 401 with Sitoo's error body."""
    for auth in (None, ("sandbox", "wrong"), ("nobody", "sandbox")):
        async with make_client(auth=auth) as client:
            response = await client.get("/sites.json")
        assert response.status_code == 401
        assert response.json() == {"statuscode": 401, "errortext": "Authentication failed"}


async def test_wrong_account_and_unknown_site_are_distinct_404s(make_client: ClientFactory) -> None:
    """Another account id is 'Account not found'; another site is 'Site not found'."""
    async with make_client(base_url="http://sandbox.test/v2/accounts/12345") as client:
        response = await client.get("/sites.json")
    assert (response.status_code, response.json()["errortext"]) == (404, "Account not found")
    async with make_client() as client:
        response = await client.get("/sites/2/warehouses.json")
        assert (response.status_code, response.json()["errortext"]) == (404, "Site not found")
        response = await client.get("/sites/1/nothing.json")
        assert response.status_code == 404
        assert response.json()["statuscode"] == 404


async def test_ip_allow_list() -> None:
    """A client IP outside the allow-list is refused with 'IP not allowed'."""
    for allowed, expected in ((["10.0.0.1"], 401), (["127.0.0.1"], 200)):
        app = create_sandbox_app(SandboxConfig(allowed_ips=allowed))
        async with httpx.AsyncClient(
            transport=sandbox_transport(app),
            base_url="http://t/v2/accounts/90001",
            auth=("sandbox", "sandbox"),
        ) as client:
            response = await client.get("/sites.json")
        assert response.status_code == expected
        if expected == 401:
            assert response.json()["errortext"] == "IP not allowed"


@pytest.fixture
def config() -> SandboxConfig:
    """Two API users, 0.2 s latency on every request and a Retry-After hint."""
    return SandboxConfig(
        credentials={"sandbox": "sandbox", "second": "pw2"},
        retry_after_s=1.5,
        faults=FaultConfig(latency_ms=200),
    )


async def test_second_request_in_flight_is_429_and_applies_nothing(
    app: Starlette, make_client: ClientFactory, sandbox: Sandbox
) -> None:
    """Two concurrent creates by one user: exactly one 429 'Too many connections', one order."""
    async with make_client() as client:
        first, second = await asyncio.gather(
            client.post("/sites/1/orders.json", json={**ORDER, "externalid": "A"}),
            client.post("/sites/1/orders.json", json={**ORDER, "externalid": "B"}),
        )
    statuses = sorted([first.status_code, second.status_code])
    assert statuses == [200, 429]
    refused = first if first.status_code == 429 else second
    assert refused.json() == {"statuscode": 429, "errortext": "Too many connections"}
    assert refused.headers["retry-after"] == "1.5"
    assert len(sandbox.ledger_entries(kind="order.create")) == 1
    assert sandbox.counters.snapshot()["max_in_flight"] == {"sandbox": 1}
    del app


async def test_each_api_user_has_its_own_budget(
    make_client: ClientFactory, sandbox: Sandbox
) -> None:
    """Concurrent requests by two different API users both succeed."""
    async with make_client() as one, make_client(auth=("second", "pw2")) as two:
        responses = await asyncio.gather(one.get("/sites.json"), two.get("/sites.json"))
    assert [r.status_code for r in responses] == [200, 200]
    assert sandbox.counters.snapshot()["max_in_flight"] == {"sandbox": 1, "second": 1}


async def test_max_in_flight_can_be_raised() -> None:
    """With max_in_flight=2 two concurrent requests of one user both pass."""
    app = create_sandbox_app(SandboxConfig(max_in_flight=2, faults=FaultConfig(latency_ms=100)))
    async with httpx.AsyncClient(
        transport=sandbox_transport(app),
        base_url="http://t/v2/accounts/90001",
        auth=("sandbox", "sandbox"),
    ) as client:
        responses = await asyncio.gather(client.get("/sites.json"), client.get("/sites.json"))
    assert [r.status_code for r in responses] == [200, 200]
