"""Each injected fault kind, proven against the ledger and the counters."""

from __future__ import annotations

import httpx
import pytest

from service.sandbox import FaultConfig, Sandbox
from tests.component.sandbox.conftest import ClientFactory

ORDERS = "/sites/1/orders.json"
TEMPLATE = "/v2/accounts/{accountid}/sites/{siteid}/orders.json"


def _order(externalid: str) -> dict[str, object]:
    return {"ordertypeid": 10, "externalid": externalid}


async def test_error_before_apply_applies_nothing(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    """A 5xx injected before the handler leaves no trace in the state."""
    sandbox.set_faults(FaultConfig(error_before_rate=1))
    response = await client.post(ORDERS, json=_order("E1"))
    assert response.status_code in (500, 503)
    assert sandbox.ledger_entries() == []
    assert sandbox.find_orders(externalid="E1") == []
    assert sandbox.counters.snapshot()["faults"] == {"error_before": 1}


async def test_apply_then_500_applies_once(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    """The order exists although the client saw a 500."""
    sandbox.set_faults(FaultConfig(apply_then_fail_rate=1, apply_then_fail_mode="500"))
    response = await client.post(ORDERS, json=_order("E2"))
    assert response.status_code == 500
    assert [e.key for e in sandbox.ledger_entries(kind="order.create")] == ["E2"]
    assert sandbox.counters.count("POST", TEMPLATE, 500) == 1


async def test_drop_applies_then_raises_remote_protocol_error(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    """A dropped connection surfaces as httpx.RemoteProtocolError after the write applied."""
    sandbox.set_faults(FaultConfig(apply_then_fail_rate=1, apply_then_fail_mode="drop"))
    with pytest.raises(httpx.RemoteProtocolError):
        await client.post(ORDERS, json=_order("E3"))
    assert len(sandbox.find_orders(externalid="E3")) == 1
    assert sandbox.counters.count("POST", TEMPLATE, "dropped") == 1
    assert sandbox.counters.snapshot()["faults"] == {"drop": 1}


async def test_stall_times_out_the_client_after_applying(
    make_client: ClientFactory, sandbox: Sandbox
) -> None:
    """A stall longer than the read timeout is a ReadTimeout; the write is in the ledger."""
    sandbox.set_faults(
        FaultConfig(apply_then_fail_rate=1, apply_then_fail_mode="stall", stall_s=30)
    )
    async with make_client(client_timeout=httpx.Timeout(5.0, read=0.05)) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.post(ORDERS, json=_order("E4"))
    assert [e.key for e in sandbox.ledger_entries()] == ["E4"]
    assert sandbox.counters.in_flight["sandbox"] == 0


async def test_short_stall_still_answers(make_client: ClientFactory, sandbox: Sandbox) -> None:
    """A stall shorter than the read timeout only delays the answer."""
    sandbox.set_faults(
        FaultConfig(apply_then_fail_rate=1, apply_then_fail_mode="stall", stall_s=0.01)
    )
    async with make_client(client_timeout=httpx.Timeout(5.0, read=2.0)) as client:
        response = await client.post(ORDERS, json=_order("E5"))
    assert response.status_code == 200
    assert sandbox.orders.get(response.json()).externalid == "E5"


async def test_extra_429_applies_nothing(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    """An injected 429 arrives with nothing else in flight and does nothing."""
    sandbox.set_faults(FaultConfig(extra_429_rate=1))
    response = await client.post(ORDERS, json=_order("E6"))
    assert response.status_code == 429
    assert response.json()["errortext"] == "Too many connections"
    assert sandbox.ledger_entries() == []
    assert sandbox.counters.snapshot()["faults"] == {"extra_429": 1}


async def test_writes_only_faults_spare_reads(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    """With writes_only, GETs pass while the POST fails."""
    sandbox.set_faults(FaultConfig(error_before_rate=1, writes_only=True))
    assert (await client.get("/sites.json")).status_code == 200
    assert (await client.post(ORDERS, json=_order("E7"))).status_code in (500, 503)


async def test_seeded_faults_repeat_across_instances(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    """The same seed gives the same status sequence after the faults are set again."""
    faults = FaultConfig(seed=3, error_before_rate=0.5)

    async def run() -> list[int]:
        sandbox.set_faults(faults)
        return [(await client.get("/sites.json")).status_code for _ in range(12)]

    first = await run()
    assert first == await run()
    assert len(set(first)) > 1
