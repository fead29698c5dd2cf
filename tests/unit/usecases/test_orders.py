"""order.placed and order.cancelled against fake ports, including out-of-order pairs."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from service.contracts.orders import OrderCancelled, OrderPlaced
from service.ports import Redemption
from service.sitoo.models import OrderState
from service.usecases.directory import Directory
from service.usecases.orders import cancel_order, place_order
from service.usecases.outcome import Rejected
from tests.unit.usecases.fakes import (
    NOW,
    FakeCard,
    FakeRedemptions,
    FakeSitoo,
    FakeTombstones,
    clock,
)


def order_data(**overrides: Any) -> dict[str, Any]:
    """A valid pickup order paying 448.00."""
    data: dict[str, Any] = {
        "order_id": "W-1",
        "currency": "SEK",
        "fulfilment": {"kind": "pickup", "store_externalid": "STORE-1"},
        "lines": [
            {
                "sku": "SKU-1",
                "name": "Shirt",
                "quantity": 2,
                "unit_price": "249.00",
                "discount": "50.00",
                "vat_rate": "25",
            }
        ],
        "payments": [{"method": "Card", "amount": "448.00", "state": "captured"}],
        "total": "448.00",
    }
    data.update(overrides)
    return data


class World:
    """The fakes one test works with."""

    def __init__(self) -> None:
        self.sitoo = FakeSitoo()
        self.tombstones = FakeTombstones()
        self.redemptions = FakeRedemptions()
        self.directory = Directory(
            self.sitoo, clock, ttl=timedelta(minutes=5), min_refresh=timedelta(seconds=30)
        )

    async def place(self, data: dict[str, Any], event_id: str = "e-place") -> Any:
        return await place_order(
            OrderPlaced.model_validate(data),
            event_id=event_id,
            sitoo=self.sitoo,
            directory=self.directory,
            tombstones=self.tombstones,
            clock=clock,
            reservation=timedelta(hours=72),
        )

    async def cancel(self, order_id: str = "W-1", event_id: str = "e-cancel") -> Any:
        return await cancel_order(
            OrderCancelled(order_id=order_id),
            event_id=event_id,
            sitoo=self.sitoo,
            tombstones=self.tombstones,
            redemptions=self.redemptions,
        )


@pytest.fixture
def world() -> World:
    """Fresh fakes."""
    return World()


async def test_pickup_order_goes_to_the_store_warehouse(world: World) -> None:
    """A pickup order is type 10 in the store's sellable warehouse, reserved, without address."""
    outcome = await world.place(order_data())
    assert outcome.succeeded
    created = world.sitoo.created[0]
    assert created.ordertypeid == 10
    assert created.warehouseid == 11
    assert created.datereserved == int((NOW + timedelta(hours=72)).timestamp())
    assert created.paymentstateid == 20
    assert created.additionaldata is not None
    assert created.additionaldata["web-order-id"] == "W-1"
    assert created.additionaldata["web-fulfilment"] == "pickup"
    assert created.additionaldata["delivery-pickup-externalid"] == "STORE-1"
    item = created.orderitems[0]
    assert (item.moneyrowprice, item.moneyrowdiscount) == (Decimal("498.00"), Decimal("50.00"))


async def test_duplicate_delivery_creates_nothing_twice(world: World) -> None:
    """The same event placed twice yields the same order id and one create."""
    first = await world.place(order_data())
    second = await world.place(order_data())
    assert first.sitoo["orderid"] == second.sitoo["orderid"]
    assert len(world.sitoo.created) == 1


async def test_known_skus_are_looked_up_once_per_cache_period(world: World) -> None:
    """A second order with the same SKU costs Sitoo the create alone."""
    await world.place(order_data())
    await world.place(order_data(order_id="W-2"), event_id="e-place-2")
    assert world.sitoo.calls.count("get_products") == 1
    assert world.sitoo.calls.count("create_order") == 2


async def test_unknown_sku_is_rejected_before_any_write(world: World) -> None:
    """An unknown SKU is a rejection naming it, and nothing is created."""
    data = order_data()
    data["lines"][0]["sku"] = "NOPE-1"
    with pytest.raises(Rejected) as caught:
        await world.place(data)
    assert caught.value.code == "unknown_sku"
    assert "NOPE-1" in caught.value.reason
    assert world.sitoo.created == []


async def test_unknown_store_is_rejected(world: World) -> None:
    """A pickup store Sitoo does not know is a rejection."""
    data = order_data(fulfilment={"kind": "pickup", "store_externalid": "STORE-404"})
    with pytest.raises(Rejected) as caught:
        await world.place(data)
    assert caught.value.code == "unknown_store"


async def test_store_without_sellable_warehouse_is_rejected(world: World) -> None:
    """A store whose only warehouse is not sellable cannot take pickup orders."""
    data = order_data(fulfilment={"kind": "pickup", "store_id": 2})
    with pytest.raises(Rejected) as caught:
        await world.place(data)
    assert caught.value.code == "no_store_warehouse"


async def test_cancel_before_place_leaves_no_live_order(world: World) -> None:
    """A cancel that overtakes its placement makes the placement create nothing."""
    cancelled = await world.cancel()
    assert cancelled.succeeded
    assert cancelled.sitoo["order_found"] is False
    placed = await world.place(order_data())
    assert not placed.succeeded
    assert placed.reason_code == "cancelled"
    assert world.sitoo.created == []


async def test_cancel_during_placement_cancels_what_was_created(world: World) -> None:
    """A cancel landing between the create and the re-check leaves the order cancelled."""
    original = world.sitoo.create_order

    async def create_then_cancel(*args: Any, **kwargs: Any) -> int:
        orderid = await original(*args, **kwargs)
        await world.tombstones.mark_cancelled("W-1")
        return orderid

    world.sitoo.create_order = create_then_cancel  # type: ignore[method-assign]
    placed = await world.place(order_data())
    assert placed.reason_code == "cancelled"
    assert [o.orderstateid for o in world.sitoo.orders.values()] == [OrderState.CANCELLED]


async def test_cancel_after_place_cancels_and_rolls_back_redemptions(world: World) -> None:
    """Cancelling sets state 20 and rolls back the order's gift-card redemptions once."""
    await world.place(order_data())
    world.sitoo.cards["95"] = FakeCard("95", Decimal(100))
    await world.redemptions.record(
        Redemption("r1", "95", Decimal(10), "SEK", ["7"], order_id="W-1")
    )
    first = await world.cancel()
    again = await world.cancel()
    assert first.sitoo["cancelled_orderids"] == [1]
    assert first.sitoo["rolled_back_redemptions"] == ["r1"]
    assert again.succeeded
    assert world.sitoo.rollbacks == [("95", ["7"])]
    assert world.sitoo.orders[1].orderstateid == OrderState.CANCELLED


async def test_closed_order_cannot_be_cancelled(world: World) -> None:
    """A picked-up (closed) order is a rejection, not a silent success."""
    await world.place(order_data())
    world.sitoo.orders[1] = world.sitoo.orders[1].model_copy(update={"orderstateid": 10})
    with pytest.raises(Rejected) as caught:
        await world.cancel()
    assert caught.value.code == "order_closed"
