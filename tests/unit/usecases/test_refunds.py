"""order.refunded against fake ports: recorded once, restocked when delivered, ended if complete."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from service.contracts.orders import OrderRefunded
from service.ports import Redemption
from service.sitoo.models import OrderState
from service.usecases.outcome import Outcome
from service.usecases.refunds import OrderNotInSitoo, record_refund
from tests.unit.usecases.fakes import FakeCard
from tests.unit.usecases.test_orders import World, order_data


def refund_data(**overrides: Any) -> dict[str, Any]:
    """One of the two shirts of W-1 given back and restocked in warehouse 1."""
    data: dict[str, Any] = {
        "order_id": "W-1",
        "refund_id": "R-1",
        "currency": "SEK",
        "amount": "199.00",
        "lines": [{"sku": "SKU-1", "quantity": 1, "restock_warehouse_id": 1}],
    }
    data.update(overrides)
    return data


async def refund(world: World, data: dict[str, Any], event_id: str = "e-r1") -> Outcome:
    return await record_refund(
        OrderRefunded.model_validate(data),
        event_id=event_id,
        sitoo=world.sitoo,
        tombstones=world.tombstones,
        redemptions=world.redemptions,
    )


async def test_a_partial_refund_of_an_open_order_is_recorded_and_nothing_else() -> None:
    """The order stays open with its reservation; no stock moves (the units never left)."""
    world = World()
    await world.place(order_data())
    first = await refund(world, refund_data(note="too small"))
    assert not await world.tombstones.is_cancelled("W-1")
    again = await refund(world, refund_data(note="too small"))
    assert first == again
    assert first.sitoo["cancelled_orderids"] == []
    assert first.sitoo["restocked_transaction_ids"] == []
    order = world.sitoo.orders[1]
    assert order.orderstateid == OrderState.OPEN
    assert order.additionaldata == {"refund-R-1": "199.00 SEK; 1 x SKU-1; too small"}
    assert world.sitoo.transactions == []


async def test_restocked_lines_of_a_delivered_order_go_back_once() -> None:
    """A closed (picked-up) order: the restocked unit is moved in, once under redelivery."""
    world = World()
    await world.place(order_data())
    world.sitoo.orders[1] = world.sitoo.orders[1].model_copy(update={"orderstateid": 10})
    first = await refund(world, refund_data())
    await refund(world, refund_data())
    assert len(first.sitoo["restocked_transaction_ids"]) == 1  # type: ignore[arg-type]
    assert len(world.sitoo.transactions) == 1
    moved = world.sitoo.transactions[0]
    assert moved.warehouseid == 1
    assert world.sitoo.orders[1].orderstateid == OrderState.CLOSED


async def test_a_complete_refund_cancels_the_open_order_and_rolls_back_once() -> None:
    """Complete: the order is cancelled and each redemption rolled back, also after a cancel."""
    world = World()
    await world.place(order_data())
    world.sitoo.cards["95"] = FakeCard("95", Decimal(100))
    await world.redemptions.record(
        Redemption("r1", "95", Decimal(10), "SEK", ["7"], order_id="W-1")
    )
    data = refund_data(amount="448.00", complete=True, lines=[{"sku": "SKU-1", "quantity": 2}])
    first = await refund(world, data)
    assert first.sitoo["cancelled_orderids"] == [1]
    assert first.sitoo["rolled_back_redemptions"] == ["r1"]
    assert await world.tombstones.is_cancelled("W-1")  # Sitoo's cancel is known as ours
    assert world.sitoo.orders[1].orderstateid == OrderState.CANCELLED
    cancelled = await world.cancel()  # Shopify also reports the order cancelled
    assert cancelled.succeeded
    assert world.sitoo.rollbacks == [("95", ["7"])]


async def test_a_partial_refund_before_its_order_is_retried() -> None:
    """Nothing to record it on yet: an error the consumer retries (the placement may follow)."""
    world = World()
    with pytest.raises(OrderNotInSitoo, match="no Sitoo order has externalid W-1"):
        await refund(world, refund_data())


async def test_a_complete_refund_before_its_order_keeps_it_from_being_placed() -> None:
    """Like a cancel first: the tombstone is written, and the later placement creates nothing."""
    world = World()
    done = await refund(world, refund_data(complete=True))
    assert done.succeeded
    assert done.sitoo["recorded_on_orderids"] == []
    placed = await world.place(order_data())
    assert placed.reason_code == "cancelled"
    assert world.sitoo.orders == {}
