"""Pure mapping from Sitoo resources to outbound events: ids, levels, order kinds, numbering."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal

from service.contracts.outbound import derive_event_id
from service.pollers.giftcards import last_transaction
from service.pollers.order_events import (
    giftcards_on,
    is_our_pickup,
    lifecycle_events,
    recorded_event,
)
from service.pollers.runner import Heartbeats
from service.pollers.stock_levels import Level, parse_state, places
from service.sitoo.models import (
    GiftCard,
    GiftCardTransaction,
    Order,
    OrderItem,
    OrderLogItem,
    OrderPayment,
    Store,
    Warehouse,
    WarehouseItem,
)

SEEN = datetime(2026, 3, 1, 12, tzinfo=UTC)


def _pickup(state: int = 0) -> Order:
    return Order(
        orderid=42,
        externalid="W-42",
        orderstateid=state,
        warehouseid=2,
        additionaldata={"web-order-id": "42", "web-fulfilment": "pickup"},
    )


def test_event_ids_depend_only_on_their_parts():
    """The same kind and parts give the same id; any other part gives another id."""
    assert derive_event_id("stock.changed", 2, "A", 1) == derive_event_id(
        "stock.changed", 2, "A", 1
    )
    assert derive_event_id("stock.changed", 2, "A", 1) != derive_event_id(
        "stock.changed", 2, "A", 2
    )
    assert derive_event_id("order.recorded", 7).startswith("order.recorded-")


def test_level_is_normalised_and_fills_in_available():
    """Levels compare equal however Sitoo formats them; a missing available is total - reserved."""
    item = WarehouseItem(sku="A", decimaltotal="5", decimalreserved="1.5")
    assert Level.of(item).figures() == "5.000|1.500|3.500"
    assert Level.of(WarehouseItem(sku="A")).figures() == "0.000|0.000|0.000"
    assert parse_state("3|5.000|0.000|5.000") == (3, "5.000|0.000|5.000")
    assert parse_state(None) == (0, None)


def test_places_join_warehouses_to_their_stores():
    """A warehouse carries its store's id and externalid; one without a store carries none."""
    found = places(
        [Warehouse(warehouseid=1, storeid=9), Warehouse(warehouseid=2), Warehouse()],
        [Store(storeid=9, externalid="S-9")],
    )
    assert [(p.warehouse_id, p.store_id, p.store_externalid) for p in found] == [
        (1, 9, "S-9"),
        (2, None, None),
    ]


def test_a_negative_order_is_a_return_with_its_lines_and_cards():
    """Lines adding up below zero make kind 'return'; cards on lines and payments are found."""
    order = Order(
        orderid=7,
        orderstateid=10,
        orderdate=1_767_268_800,
        orderitems=[
            OrderItem(orderitemid=0, sku="A", quantity=-1, moneyrowprice="-100.00"),
            OrderItem(
                orderitemid=1,
                sku="GC",
                quantity=1,
                moneyrowprice="50.00",
                additionaldata={"giftcard-cardnumber": "111"},
            ),
        ],
        payments=[
            OrderPayment(
                name="Gift card",
                moneyamount="-50.00",
                additionaldata={"giftcard-cardnumber": "222"},
            )
        ],
        additionaldata={"pos-receiptid": "R-5", "store-externalid": "S-1"},
    )
    envelope = recorded_event(order, seen_at=SEEN)
    assert envelope is not None
    assert envelope.event_id == derive_event_id("order.recorded", 7)
    assert envelope.data["kind"] == "return"
    assert envelope.data["state"] == "closed"
    assert envelope.data["total"] == "-50.00"
    assert envelope.data["receipt_id"] == "R-5"
    assert envelope.occurred_at == datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert giftcards_on(order) == {"111", "222"}
    assert not is_our_pickup(order)


def test_pickup_log_items_are_numbered_and_closing_means_picked_up():
    """Each 900/910 item gets its own numbered event; a closed order adds picked_up once."""
    logs = [
        OrderLogItem(orderlogtypeid=900, datelog=100),
        OrderLogItem(orderlogtypeid=910, datelog=200, strvalue="damaged"),
        OrderLogItem(orderlogtypeid=900, datelog=300),
        OrderLogItem(orderlogtypeid=0, datelog=50),
    ]
    events = lifecycle_events(_pickup(state=10), logs, seen_at=SEEN)
    assert [e.type for e in events] == [
        "order.pickup_ready",
        "order.pickup_ready",
        "order.pickup_rejected",
        "order.picked_up",
    ]
    assert events[0].event_id == derive_event_id("order.pickup_ready", 42, 1)
    assert events[1].event_id == derive_event_id("order.pickup_ready", 42, 2)
    assert events[2].data["reason"] == "damaged"
    again = lifecycle_events(_pickup(state=10), list(reversed(logs)), seen_at=datetime.now(UTC))
    assert [e.event_id for e in again] == [e.event_id for e in events]


def test_a_cancelled_pickup_is_reported_as_cancelled():
    """State 20 gives order.cancelled, an open order without log items gives nothing."""
    assert [e.type for e in lifecycle_events(_pickup(state=20), [], seen_at=SEEN)] == [
        "order.cancelled"
    ]
    assert lifecycle_events(_pickup(state=0), [], seen_at=SEEN) == []


def test_last_transaction_is_the_newest():
    """The newest transaction by date is reported; a card without history has none."""
    card = GiftCard(
        transactions=[
            GiftCardTransaction(transactionid="2", date=200, moneyamount="-10.00"),
            GiftCardTransaction(transactionid="1", date=100, moneyamount="100.00"),
        ]
    )
    newest = last_transaction(card)
    assert newest is not None
    assert (newest.transaction_id, newest.amount) == ("2", Decimal("-10.00"))
    assert last_transaction(GiftCard()) is None


def test_heartbeats_flag_a_leader_without_a_recent_cycle():
    """A leader without a good cycle for three intervals is stale; a new leader is not."""
    beats = Heartbeats()
    now = time.monotonic()
    beats.of("stock").leading = True
    beats.of("stock").leading_since = now - 100.0
    beats.of("orders").leading = False
    assert beats.stale({"stock": 30.0, "orders": 15.0}) == ["stock"]
    beats.of("stock").last_success_at = now
    assert beats.stale({"stock": 30.0}) == []
    beats.of("orders").leading, beats.of("orders").leading_since = True, now
    assert beats.stale({"stock": 30.0, "orders": 15.0}) == []
