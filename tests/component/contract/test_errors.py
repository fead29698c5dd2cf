"""Contract of the cross-cutting refusals: authentication, account, site, concurrency, bad URLs."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from service.sandbox import FaultConfig, create_sandbox_app, sandbox_transport

from .client import ContractClient, open_contract_client
from .conftest import ACCOUNT_ID, API_ID, PASSWORD, sandbox_config
from .spec import ContractSpec


async def test_wrong_password_is_unauthorized(api: ContractClient) -> None:
    """Basic auth with a wrong password answers 401 with a Sitoo error body."""
    error = await api.call("GET", "/sites.json", auth=(API_ID, "wrong"), expect=401)
    assert error["statuscode"] == 401


async def test_unknown_api_user_is_unauthorized(api: ContractClient) -> None:
    """An API id the account does not know answers 401 with a Sitoo error body."""
    error = await api.call("GET", "/sites.json", auth=("nobody", PASSWORD), expect=401)
    assert error["statuscode"] == 401


async def test_another_account_in_the_path_is_refused(api: ContractClient) -> None:
    """An account id other than the sandbox's answers a declared error with a Sitoo body."""
    error = await api.call("GET", "/sites.json", account_id=ACCOUNT_ID + 1, expect={400, 401, 404})
    assert error["statuscode"] in {400, 401, 404}


async def test_an_unknown_site_is_refused(api: ContractClient) -> None:
    """A siteid that is not the site's eshopid answers a declared error with a Sitoo body."""
    error = await api.call("GET", "/sites/77/warehouses.json", expect={400, 404})
    assert error["statuscode"] in {400, 404}


async def test_an_unknown_url_is_not_found(api: ContractClient, spec: ContractSpec) -> None:
    """A path no operation has answers 404 with the Sitoo error body."""
    response = await api.http.get(f"/v2/accounts/{ACCOUNT_ID}/sites/1/nothing-here.json")
    assert response.status_code == 404
    assert spec.schema_errors("Error-read", response.json()) == []


@pytest.mark.malformed_requests
async def test_malformed_json_is_a_bad_request(api: ContractClient, spec: ContractSpec) -> None:
    """A body that is not JSON answers 400 with the Sitoo error body."""
    api.outside_spec += 1  # sent past the client's own check
    response = await api.http.post(
        f"/v2/accounts/{ACCOUNT_ID}/sites/1/orders.json",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert spec.schema_errors("Error-read", response.json()) == []
    assert response.json()["errortext"] == "Invalid JSON in request body."


async def test_a_second_request_in_flight_gets_429(spec: ContractSpec) -> None:
    """With one request allowed in flight, a concurrent second one answers 429."""
    app = create_sandbox_app(sandbox_config(faults=FaultConfig(latency_ms=200)))
    async with open_contract_client(
        sandbox_transport(app), spec, account_id=ACCOUNT_ID, credentials=(API_ID, PASSWORD)
    ) as client:
        first = asyncio.create_task(client.call("GET", "/sites.json", expect={200, 429}))
        second = asyncio.create_task(client.call("GET", "/sites.json", expect={200, 429}))
        answers = await asyncio.gather(first, second)
    statuses = sorted(exchange.status for exchange in client.exchanges)
    assert statuses == [200, 429]
    refused = next(answer for answer in answers if "errortext" in answer)
    assert refused == {"statuscode": 429, "errortext": "Too many connections"}


async def _one_call_with(spec: ContractSpec, **config: object) -> httpx.Response:
    app = create_sandbox_app(sandbox_config(**config))
    async with open_contract_client(
        sandbox_transport(app), spec, account_id=ACCOUNT_ID, credentials=(API_ID, PASSWORD)
    ) as client:
        return await client.http.get(f"/v2/accounts/{ACCOUNT_ID}/sites.json")


async def test_a_client_ip_outside_the_allow_list_is_refused(spec: ContractSpec) -> None:
    """A request from an IP not on the allow-list answers 401 with a Sitoo error body."""
    response = await _one_call_with(spec, allowed_ips=["192.0.2.10"])
    assert response.status_code == 401
    assert spec.response_errors(spec.operations["getSites"], 401, response.json()) == []


async def test_an_injected_server_error_has_the_sitoo_body(spec: ContractSpec) -> None:
    """A 500 injected before the request is handled still carries {statuscode, errortext}."""
    faults = FaultConfig(error_before_rate=1.0, error_before_statuses=[500])
    response = await _one_call_with(spec, faults=faults)
    assert response.status_code == 500
    assert spec.response_errors(spec.operations["getSites"], 500, response.json()) == []


async def test_an_injected_503_is_undeclared_but_keeps_the_error_body(spec: ContractSpec) -> None:
    """503 is not among the description's statuses; its body is still the Sitoo error body."""
    faults = FaultConfig(error_before_rate=1.0, error_before_statuses=[503])
    response = await _one_call_with(spec, faults=faults)
    assert response.status_code == 503
    assert "503" not in spec.operations["getSites"].statuses
    assert spec.schema_errors("Error-read", response.json()) == []
