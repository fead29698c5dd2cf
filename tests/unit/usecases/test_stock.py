"""Coalesced stock adjustments and newest-wins stock levels against fake ports."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from service.contracts.stock import StockAdjusted, StockSet
from service.sitoo.errors import BadRequest, BatchItemRejected, OperationInFlight
from service.sitoo.keys import operation_reference
from service.usecases.directory import Directory
from service.usecases.outcome import Outcome, Rejected
from service.usecases.stock import StockEvent, adjust_op_key, adjust_stock, set_stock
from tests.unit.usecases.fakes import (
    NOW,
    FakeSitoo,
    FakeStamps,
    clock,
    unavailable,
)


class World:
    """The fakes one test works with."""

    def __init__(self) -> None:
        self.sitoo = FakeSitoo()
        self.stamps = FakeStamps()
        self.directory = Directory(
            self.sitoo, clock, ttl=timedelta(minutes=5), min_refresh=timedelta(seconds=30)
        )

    async def adjust(self, *events: StockEvent[StockAdjusted]) -> dict[str, Any]:
        return await adjust_stock(events, sitoo=self.sitoo, directory=self.directory)

    async def set(self, *events: StockEvent[StockSet]) -> dict[str, Any]:
        return await set_stock(
            events, sitoo=self.sitoo, directory=self.directory, stamps=self.stamps
        )


def delta(
    event_id: str, warehouse: int, sku: str = "SKU-1", amount: str = "1"
) -> StockEvent[StockAdjusted]:
    """One stock.adjusted event."""
    payload = StockAdjusted.model_validate(
        {"warehouse_id": warehouse, "items": [{"sku": sku, "delta": amount}]}
    )
    return StockEvent(event_id, NOW, payload)


def level(event_id: str, quantity: str, minutes: int, sku: str = "SKU-1") -> StockEvent[StockSet]:
    """One stock.set event for the virtual WEB warehouse, ``minutes`` after NOW."""
    payload = StockSet.model_validate(
        {"warehouse_externalid": "WEB", "items": [{"sku": sku, "quantity": quantity}]}
    )
    return StockEvent(event_id, NOW + timedelta(minutes=minutes), payload)


@pytest.fixture
def world() -> World:
    """Fresh fakes."""
    return World()


async def test_events_for_several_warehouses_share_one_request(world: World) -> None:
    """Five events for warehouse 11 and two for 30 make one request, one transaction each."""
    events = [delta(f"e{i}", 11) for i in range(5)] + [delta(f"f{i}", 30) for i in range(2)]
    results = await world.adjust(*events)
    assert world.sitoo.transaction_requests == [7]
    assert {t.warehouseid for t in world.sitoo.transactions} == {11, 30}
    assert {r.sitoo["warehouseid"] for r in results.values() if isinstance(r, Outcome)} == {11, 30}
    assert all(isinstance(r, Outcome) and r.succeeded for r in results.values())
    assert len({t.externalid for t in world.sitoo.transactions}) == 7


async def test_redelivery_in_another_batch_applies_nothing_twice(world: World) -> None:
    """An event applied in one batch and delivered again alone is answered from the ledger."""
    first = await world.adjust(delta("e1", 11), delta("e2", 11))
    again = await world.adjust(delta("e2", 11))
    assert len(world.sitoo.transactions) == 2
    assert first["e2"] == again["e2"]


async def test_event_held_elsewhere_is_left_for_later(world: World) -> None:
    """An event another worker is applying right now is not sent; the others are."""
    world.sitoo.held.add(adjust_op_key("e2"))
    results = await world.adjust(delta("e1", 11), delta("e2", 11))
    assert isinstance(results["e1"], Outcome)
    assert isinstance(results["e2"], OperationInFlight)
    assert [t.externalid for t in world.sitoo.transactions] == [
        operation_reference(adjust_op_key("e1"))
    ]


async def test_each_transaction_is_tagged_with_its_own_events_key(world: World) -> None:
    """The externalid derives from the event's own op key, whatever batch it is in."""
    await world.adjust(delta("e1", 11), delta("e2", 30))
    assert {t.externalid for t in world.sitoo.transactions} == {
        operation_reference(adjust_op_key("e1")),
        operation_reference(adjust_op_key("e2")),
    }


async def test_known_skus_are_looked_up_once_per_cache_period(world: World) -> None:
    """A second batch with SKUs found before costs no product lookup."""
    await world.adjust(delta("e1", 11, sku="SKU-1"), delta("e2", 11, sku="SKU-2"))
    await world.adjust(delta("e3", 11, sku="SKU-2"), delta("e4", 30, sku="SKU-1"))
    assert world.sitoo.calls.count("get_products") == 1


async def test_element_refused_by_sitoo_fails_alone(world: World) -> None:
    """Sitoo refusing one element of a request fails that event only, in one request."""
    await world.adjust(delta("warm", 11, sku="SKU-3"))  # SKU-3 is now cached as known
    world.sitoo.skus.discard("SKU-3")  # ...and then deleted in Sitoo
    results = await world.adjust(delta("a", 11), delta("b", 11, sku="SKU-3"))
    assert isinstance(results["a"], Outcome)
    assert isinstance(results["b"], BatchItemRejected)
    assert world.sitoo.transaction_requests == [1, 2]


async def test_bad_events_fail_alone(world: World) -> None:
    """Unknown SKU, unknown or virtual warehouse: rejected per event, the rest applied."""
    results = await world.adjust(
        delta("good", 11), delta("sku", 11, sku="NOPE"), delta("wh", 999), delta("virt", 20)
    )
    assert isinstance(results["good"], Outcome)
    assert {k: v.code for k, v in results.items() if isinstance(v, Rejected)} == {
        "sku": "unknown_sku",
        "wh": "unknown_warehouse",
        "virt": "virtual_warehouse",
    }
    assert len(world.sitoo.transactions) == 1


async def test_refused_batch_is_split_so_only_the_bad_event_fails(world: World) -> None:
    """When Sitoo refuses a coalesced request as a whole, each event is tried alone."""
    world.sitoo.fail_next["add_warehouse_transactions_each"] = BadRequest(
        "POST", status=400, errortext="element 1 refused"
    )
    results = await world.adjust(delta("a", 11), delta("b", 11))
    assert all(isinstance(r, Outcome) for r in results.values())
    assert world.sitoo.transaction_requests == [1, 1]


async def test_transient_failure_is_reported_per_event(world: World) -> None:
    """A 503 leaves every event of the request with the error, to be retried."""
    world.sitoo.fail_next["add_warehouse_transactions_each"] = unavailable()
    results = await world.adjust(delta("a", 11), delta("b", 11))
    assert all(isinstance(r, Exception) for r in results.values())
    assert world.sitoo.transactions == []


async def test_newest_level_wins_whatever_the_order(world: World) -> None:
    """An older stock.set arriving after a newer one changes nothing."""
    await world.set(level("new", "7", minutes=5))
    results = await world.set(level("old", "3", minutes=1))
    assert world.sitoo.levels[(20, "SKU-1")] == Decimal(7)
    old = results["old"]
    assert isinstance(old, Outcome)
    assert old.sitoo["skipped_older"] == ["SKU-1"]


async def test_levels_in_one_batch_are_one_request_with_the_newest(world: World) -> None:
    """Two levels for the same SKU in one batch: one PUT carrying the newer one."""
    await world.set(
        level("a", "4", minutes=2), level("b", "9", minutes=3), level("c", "1", 1, "SKU-2")
    )
    assert world.sitoo.level_requests == 1
    assert world.sitoo.levels == {(20, "SKU-1"): Decimal(9), (20, "SKU-2"): Decimal(1)}


async def test_levels_only_on_virtual_warehouses(world: World) -> None:
    """stock.set on a FIFO warehouse is rejected."""
    payload = StockSet.model_validate(
        {"warehouse_id": 11, "items": [{"sku": "SKU-1", "quantity": "1"}]}
    )
    results = await world.set(StockEvent("x", NOW, payload))
    rejected = results["x"]
    assert isinstance(rejected, Rejected)
    assert rejected.code == "not_virtual"
