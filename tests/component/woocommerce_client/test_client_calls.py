"""The WooCommerce client's calls against the fake: SKUs, stock, orders, notes, refunds, hooks."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from service.adapters.woocommerce import StockLevel, WooCommerceClient, build_http_client
from service.adapters.woocommerce.engine import PER_PAGE
from service.adapters.woocommerce.errors import NotFound, ReadCutShort
from service.fakes.woocommerce import FakeWooCommerce, fake_woocommerce_transport
from service.fakes.woocommerce.admin_shop import OrderBody, place_order
from tests.component.woocommerce_client.conftest import ClientFactory, Recording, settings_for


def _place(store: FakeWooCommerce, **body: object) -> int:
    body.setdefault("line_items", [{"sku": "SKU-0001", "quantity": 1}])
    return place_order(store, OrderBody.model_validate(body)).id


async def test_products_by_sku_finds_variations_and_caches_ids(
    client: WooCommerceClient, recording: Recording
) -> None:
    """Exact (case-insensitive) matches keyed by the SKU asked; a second look-up sends nothing."""
    found = await client.products_by_sku(["SKU-0001", "tee-m", "NOPE"])
    assert set(found) == {"SKU-0001", "tee-m"}
    assert found["tee-m"].is_variation
    assert found["tee-m"].parent_id > 0
    assert found["SKU-0001"].manage_stock is True
    sent = len(recording.sent)
    again = await client.products_by_sku(["SKU-0001", "tee-m"])
    assert again == found
    assert len(recording.sent) == sent
    assert "_fields" in str(recording.sent[0].url)


async def test_stock_goes_only_to_products_that_manage_it(
    client: WooCommerceClient, store: FakeWooCommerce, make_client: ClientFactory
) -> None:
    """Simple and variation quantities are set; unmanaged, parent-managed, unknown are reported."""
    store.catalog.add(
        name="Cap", sku="CAP", product_type="variable", manage_stock=True, stock_quantity=4
    )
    cap = store.catalog.by_sku("CAP")
    store.catalog.add(name="Red", sku="CAP-RED", parent=cap)
    report = await client.set_stock(
        [
            StockLevel("SKU-0001", 41),
            StockLevel("TEE-S", 3),
            StockLevel("SKU-0005", 9),
            StockLevel("CAP-RED", 2),
            StockLevel("NOPE", 1),
        ]
    )
    outcomes = {r.sku: r.outcome for r in report.results}
    assert outcomes == {
        "SKU-0001": "set",
        "TEE-S": "set",
        "SKU-0005": "not_managed",
        "CAP-RED": "parent_manages",
        "NOPE": "unknown_sku",
    }
    assert store.catalog.by_sku("SKU-0001").stock_quantity == 41
    assert store.catalog.by_sku("TEE-S").stock_quantity == 3
    assert store.catalog.by_sku("SKU-0005").stock_quantity is None
    assert {e.key for e in store.ledger_entries(kind="product.update")} == {
        f"product/{store.catalog.by_sku('SKU-0001').id}",
        f"product/{store.catalog.by_sku('TEE-S').id}",
    }


async def test_stock_is_sent_in_batches_of_at_most_the_batch_size(
    make_client: ClientFactory, store: FakeWooCommerce, recording: Recording
) -> None:
    """Chunks of batch_size (≤ 100), never one request per product."""
    skus = [f"SKU-{n:04d}" for n in range(1, 101) if n % 5]  # the 80 managed ones
    async with make_client(batch_size=30) as client:
        report = await client.set_stock(StockLevel(s, 50) for s in skus)
    assert {r.outcome for r in report.results} == {"set"}
    batches = [r for r in recording.sent if r.url.path.endswith("/products/batch")]
    assert len(batches) == 3
    assert all(store.catalog.by_sku(s).stock_quantity == 50 for s in skus)


async def test_item_errors_are_read_one_by_one_and_forget_the_cached_id(
    client: WooCommerceClient, store: FakeWooCommerce
) -> None:
    """A product deleted after the look-up: that item is rejected, the others are set."""
    await client.products_by_sku(["SKU-0001", "SKU-0002"])
    gone = store.catalog.by_sku("SKU-0002")
    del store.catalog.items[gone.id]
    report = await client.set_stock([StockLevel("SKU-0001", 7), StockLevel("SKU-0002", 7)])
    by_sku = {r.sku: r for r in report.results}
    assert by_sku["SKU-0001"].outcome == "set"
    assert (by_sku["SKU-0002"].outcome, by_sku["SKU-0002"].code) == (
        "rejected",
        "woocommerce_rest_product_invalid_id",
    )
    again = await client.set_stock([StockLevel("SKU-0002", 7)])
    assert again.results[0].outcome == "unknown_sku"


async def test_stock_management_switched_off_since_the_look_up(
    client: WooCommerceClient, store: FakeWooCommerce
) -> None:
    """The cache says managed, the shop ignores the quantity: reported as not_managed."""
    await client.products_by_sku(["SKU-0003"])
    store.catalog.by_sku("SKU-0003").manage_stock = False
    report = await client.set_stock([StockLevel("SKU-0003", 12)])
    assert report.results[0].outcome == "not_managed"


async def test_orders_read_with_their_pickup_location(
    client: WooCommerceClient, store: FakeWooCommerce
) -> None:
    """The location's name from the shipping line; None for an unknown order."""
    order_id = _place(store, pickup_location="Store Stockholm")
    order = await client.get_order(order_id)
    assert order is not None
    assert (order.status, order.pickup_location, order.line_items[0].sku) == (
        "processing",
        "Store Stockholm",
        "SKU-0001",
    )
    assert await client.get_order(987654) is None


async def test_orders_modified_after_reads_every_page_oldest_first(
    client: WooCommerceClient, store: FakeWooCommerce
) -> None:
    """230 orders over three pages; a moment filters strictly after it."""
    store.clock.freeze()
    start = store.clock.now()
    ids = []
    for n in range(230):
        store.clock.set_offset(n)
        ids.append(_place(store))
    found = await client.orders_modified_after(datetime.fromtimestamp(start - 60, UTC))
    assert [o.id for o in found] == ids
    later = await client.orders_modified_after(datetime.fromtimestamp(start + 199, UTC))
    assert [o.id for o in later] == ids[200:]


async def test_a_collection_longer_than_the_page_cap_is_refused_not_cut(
    client: WooCommerceClient, store: FakeWooCommerce
) -> None:
    """Callers take what read_all returns as the whole collection: past its cap it raises."""
    ids = [_place(store) for _ in range(PER_PAGE + 1)]
    since = datetime.fromtimestamp(store.clock.now() - 60, UTC)
    params = {"modified_after": since.strftime("%Y-%m-%dT%H:%M:%S"), "dates_are_gmt": "true"}
    rows = await client.engine.read_all("orders", params, max_pages=2)
    assert sorted(row["id"] for row in rows) == sorted(ids)
    with pytest.raises(ReadCutShort, match=f"more than {PER_PAGE} items; read {PER_PAGE}"):
        await client.engine.read_all("orders", params, max_pages=1)


async def test_a_status_is_written_once_and_not_again(
    client: WooCommerceClient, store: FakeWooCommerce
) -> None:
    """True when this call moved it; the same status again reads and writes nothing."""
    order_id = _place(store)
    assert await client.set_order_status(order_id, "completed") is True
    assert await client.set_order_status(order_id, "completed") is False
    assert len(store.ledger_entries(kind="order.update")) == 1
    with pytest.raises(NotFound):
        await client.set_order_status(987654, "completed")


async def test_a_note_is_written_once_per_reference(
    client: WooCommerceClient, store: FakeWooCommerce
) -> None:
    """The reference is carried in the note; the second call finds it."""
    order_id = _place(store)
    first = await client.add_order_note(order_id, "Ready for pickup", reference="ready-1")
    second = await client.add_order_note(order_id, "Ready for pickup", reference="ready-1")
    assert (first.created, second.created) == (True, False)
    assert first.note.id == second.note.id
    assert first.note.note == "Ready for pickup [sitoo-sync:ready-1]"
    assert len(store.ledger_entries(kind="order_note.create")) == 1
    customer = await client.add_order_note(order_id, "Welcome", reference="c-1", customer_note=True)
    assert customer.note.customer_note is True


async def test_refunds_and_webhooks(client: WooCommerceClient, store: FakeWooCommerce) -> None:
    """Refunds of an order; a disabled web hook shows up as disabled."""
    order_id = _place(store, line_items=[{"sku": "SKU-0001", "quantity": 2}])
    order = store.orders.get(order_id)
    store.orders.refund(
        order, amount=order.total / 2, reason="one back", lines=[], restock=False, refunded_by=1
    )
    (refund,) = await client.order_refunds(order_id)
    assert (refund.amount, refund.reason) == (order.total / 2, "one back")
    hook = store.webhooks.create(
        topic="order.updated", delivery_url="https://receiver.test/hooks", secret="s"
    )
    assert await client.disabled_webhooks() == []
    hook.status = "disabled"
    (disabled,) = await client.disabled_webhooks()
    assert (disabled.id, disabled.topic) == (hook.id, "order.updated")


class _ModifyAfterFirstPage(httpx.AsyncBaseTransport):
    """Saves one order right after the first page of /orders was answered (a busy shop)."""

    def __init__(
        self, inner: httpx.AsyncBaseTransport, store: FakeWooCommerce, order_id: int
    ) -> None:
        self.inner = inner
        self.store = store
        self.order_id = order_id
        self.pages = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.url.path.endswith("/orders"):
            self.pages += 1
            if self.pages == 1:
                self.store.clock.advance(1)
                order = self.store.orders.get(self.order_id)
                self.store.orders.save(order, self.store.orders.set_status(order, "completed"))
        return response


async def test_an_order_saved_during_the_scan_is_not_skipped(app, store: FakeWooCommerce) -> None:
    """Newest first: the order saved mid-scan moves to the front; nothing falls between pages.

    Read oldest first, the same save shifts an unread order onto the page already read.
    """
    store.clock.freeze()
    since = datetime.fromtimestamp(store.clock.now() - 60, UTC)
    for order, expect_all in (("desc", True), ("asc", False)):
        store.reset("demo")
        store.clock.set_offset(0)
        ids = []
        for n in range(150):
            store.clock.set_offset(n)
            ids.append(_place(store))
        # Oldest first, ids[10] is on page 1; newest first, ids[60] is on page 2 (unread).
        moved = ids[10] if order == "asc" else ids[60]
        transport = _ModifyAfterFirstPage(fake_woocommerce_transport(app), store, moved)
        settings = settings_for("https://shop.example.com")
        async with build_http_client(settings, transport=transport) as http:
            client = WooCommerceClient(http=http, settings=settings)
            if order == "desc":
                found = {o.id for o in await client.orders_modified_after(since)}
            else:
                rows = []
                for page in (1, 2):
                    answer = await client.engine.read(
                        "orders",
                        {
                            "modified_after": since.strftime("%Y-%m-%dT%H:%M:%S"),
                            "dates_are_gmt": "true",
                            "orderby": "modified",
                            "order": "asc",
                            "per_page": 100,
                            "page": page,
                        },
                    )
                    rows += answer.data
                found = {row["id"] for row in rows}
        assert (found == set(ids)) is expect_all, order
