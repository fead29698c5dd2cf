"""Writes under lost answers, 5xx and 429: stock converges, a status and a note land once."""

from __future__ import annotations

from collections import Counter

from service.adapters.woocommerce import StockLevel
from service.fakes.woocommerce import FakeWooCommerce, FaultConfig
from service.fakes.woocommerce.admin_shop import OrderBody, place_order
from tests.component.woocommerce_client.conftest import ClientFactory

MANAGED = [f"SKU-{n:04d}" for n in range(1, 101) if n % 5]


def _orders(store: FakeWooCommerce, count: int) -> list[int]:
    body = OrderBody.model_validate({"line_items": [{"sku": "SKU-0001"}]})
    return [place_order(store, body).id for _ in range(count)]


async def test_notes_land_once_although_answers_are_lost(
    make_client: ClientFactory, store: FakeWooCommerce
) -> None:
    """Drops and 500s after the note was written; every reference written once, also when the
    same calls come again (a redelivered message)."""
    orders = _orders(store, 4)
    faults = FaultConfig(
        seed=7,
        apply_then_fail_rate=0.5,
        apply_then_fail_mode="drop",
        path_contains="/notes",
        writes_only=True,
    )
    async with make_client() as client:
        store.set_faults(faults)
        for order_id in orders:
            for n in range(5):
                await client.add_order_note(order_id, "Ready", reference=f"{order_id}-{n}")
        store.set_faults(faults.model_copy(update={"apply_then_fail_mode": "500", "seed": 8}))
        for order_id in orders:
            for n in range(10):  # 0-4 again (redelivered), 5-9 new
                await client.add_order_note(order_id, "Ready", reference=f"{order_id}-{n}")
    written = Counter(e.detail["note"] for e in store.ledger_entries(kind="order_note.create"))
    assert len(written) == 40
    assert set(written.values()) == {1}
    assert store.requests.get("applied_then_drop", 0) > 0
    assert store.requests.get("applied_then_500", 0) > 0


async def test_a_stalled_note_is_found_instead_of_written_again(
    make_client: ClientFactory, store: FakeWooCommerce
) -> None:
    """The answer times out after the note was saved; the retry finds it by its reference."""
    (order_id,) = _orders(store, 1)
    store.set_faults(
        FaultConfig(
            apply_then_fail_rate=1.0, apply_then_fail_mode="stall", stall_s=0.5, writes_only=True
        )
    )
    async with make_client(read_timeout_s=0.1) as client:
        result = await client.add_order_note(order_id, "Picked up", reference="picked-1")
    assert result.created is False  # found by the look-up after the lost answer
    assert len(store.ledger_entries(kind="order_note.create")) == 1


async def test_a_status_lands_once_although_answers_are_lost(
    make_client: ClientFactory, store: FakeWooCommerce
) -> None:
    """After a lost answer the order is read back: one save per order, never two."""
    orders = _orders(store, 10)
    store.set_faults(
        FaultConfig(
            seed=5,
            apply_then_fail_rate=0.5,
            apply_then_fail_mode="drop",
            writes_only=True,
            extra_429_rate=0.1,
        )
    )
    async with make_client() as client:
        for order_id in orders:
            await client.set_order_status(order_id, "completed")
            await client.set_order_status(order_id, "completed")  # a redelivered message
    saves = Counter(e.key for e in store.ledger_entries(kind="order.update"))
    assert saves == Counter({f"order/{o}": 1 for o in orders})
    assert all(store.orders.get(o).status == "completed" for o in orders)
    assert store.requests.get("applied_then_drop", 0) > 0


async def test_stock_converges_and_each_change_takes_effect_once(
    make_client: ClientFactory, store: FakeWooCommerce
) -> None:
    """Lost batch answers are sent again (absolute values): the repeat changes nothing."""
    store.set_faults(
        FaultConfig(
            seed=11,
            apply_then_fail_rate=0.4,
            apply_then_fail_mode="drop",
            error_before_rate=0.1,
            extra_429_rate=0.1,
            path_contains="/batch",
        )
    )
    async with make_client(batch_size=20) as client:
        for round_ in range(3):
            report = await client.set_stock(
                StockLevel(s, 100 * round_ + i) for i, s in enumerate(MANAGED)
            )
            assert {r.outcome for r in report.results} == {"set"}
    assert [store.catalog.by_sku(s).stock_quantity for s in MANAGED] == [
        200 + i for i in range(len(MANAGED))
    ]
    effects = Counter(
        e.key
        for e in store.ledger_entries(kind="product.update")
        if "stock_quantity" in e.detail["changes"]
    )
    assert set(effects.values()) == {3}  # one change per product per round, however often sent
    assert len(effects) == len(MANAGED)
    assert store.requests.get("applied_then_drop", 0) > 0
