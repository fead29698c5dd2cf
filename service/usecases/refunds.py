"""order.refunded: record a webshop refund on the Sitoo order, and act on what it changes.

Sitoo's own refunds are made in the POS and cannot be posted (FACTS §8), and an order's
lines cannot change after it is created, so a web refund is recorded on the order instead:
an ``additionaldata`` entry per refund, which staff see before handing the order over.
Every write repeats harmlessly or is keyed by the event: the entry is an absolute value,
the cancel compares state first, the restock and the rollbacks have op keys.

* Restocked lines go back into their warehouse only when the Sitoo order is closed
  (delivered or picked up): before that the units never left, the order only reserves them.
* A refund that leaves nothing of the order (``complete``) cancels an open Sitoo order and
  rolls back the order's gift-card redemptions, like ``order.cancelled``; a redemption is
  rolled back once whoever asks first. Like a cancel, it first writes the order's
  tombstone, which also tells the webshop writers that Sitoo's cancellation is an echo.
"""

from __future__ import annotations

from service.contracts.orders import OrderRefunded
from service.ports import Lane, OrderTombstones, RedemptionLedger, SitooPort
from service.sitoo.keys import operation_reference, order_externalid
from service.sitoo.models import (
    NewWarehouseTransaction,
    NewWarehouseTransactionItem,
    Order,
    OrderState,
    OrderUpdate,
)
from service.usecases.giftcards import roll_back
from service.usecases.outcome import Outcome

MOVE_IN = 10
REFUND_KEY_PREFIX = "refund-"
_MAX_RECORD = 255


class OrderNotInSitoo(Exception):
    """The order a partial refund names is not in Sitoo (yet).

    Retried like a transient failure, because its placement may still be on its way (the
    translation appends both at once); dead-lettered (``retries_exhausted``) when it never
    comes, to be replayed once the order is there.
    """


def refund_record(refund: OrderRefunded) -> str:
    """The text kept on the Sitoo order: amount, units, note (cut to Sitoo's field size)."""
    units = ", ".join(f"{line.quantity} x {line.sku}" for line in refund.lines)
    parts = [f"{refund.amount:.2f} {refund.currency}", units or "no units", refund.note or ""]
    return "; ".join(p for p in parts if p)[:_MAX_RECORD]


def _restock(refund: OrderRefunded, op_key: str) -> list[NewWarehouseTransaction]:
    by_warehouse: dict[int, list[NewWarehouseTransactionItem]] = {}
    for line in refund.lines:
        if line.restock_warehouse_id is not None:
            items = by_warehouse.setdefault(line.restock_warehouse_id, [])
            items.append(NewWarehouseTransactionItem(sku=line.sku, decimalquantity=line.quantity))
    return [
        NewWarehouseTransaction(
            warehouseid=warehouseid,
            transactiontype=MOVE_IN,
            description=f"Refund {refund.refund_id} of order {refund.order_id}"[:100],
            externalid=operation_reference(op_key, index),
            items=items,
        )
        for index, (warehouseid, items) in enumerate(sorted(by_warehouse.items()))
    ]


async def record_refund(
    refund: OrderRefunded,
    *,
    event_id: str,
    sitoo: SitooPort,
    tombstones: OrderTombstones,
    redemptions: RedemptionLedger,
) -> Outcome:
    """Record the refund on the order; restock a delivered order; end a completely refunded one."""
    externalid = order_externalid(refund.order_id)
    if refund.complete:
        # Before the look-up, as a cancel does: a placement still on its way then creates
        # nothing, or cancels what it created.
        await tombstones.mark_cancelled(refund.order_id)
    found: list[Order] = [
        o
        for o in await sitoo.find_orders_by_externalid([externalid], lane=Lane.BULK)
        if o.orderid is not None
    ]
    if not found and not refund.complete:
        raise OrderNotInSitoo(f"no Sitoo order has externalid {externalid}")
    record = {REFUND_KEY_PREFIX + refund.refund_id: refund_record(refund)}
    cancelled: list[int] = []
    restocked: list[int] = []
    for order in found:
        assert order.orderid is not None  # noqa: S101 - filtered above
        await sitoo.update_order(order.orderid, OrderUpdate(additionaldata=record))
        if order.orderstateid == OrderState.CLOSED:
            op_key = f"{event_id}:restock:{order.orderid}"
            transactions = _restock(refund, op_key)
            if transactions:
                restocked += await sitoo.add_warehouse_transactions(transactions, op_key=op_key)
        elif order.orderstateid == OrderState.OPEN and refund.complete:
            await sitoo.set_order_state(
                order.orderid, OrderState.CANCELLED, op_key=f"{event_id}:cancel:{order.orderid}"
            )
            cancelled.append(order.orderid)
    rolled_back: list[str] = []
    if refund.complete:
        for redemption in await redemptions.for_order(refund.order_id):
            await roll_back(redemption, by=event_id, sitoo=sitoo, redemptions=redemptions)
            rolled_back.append(redemption.redeem_event_id)
    return Outcome.ok(
        externalid=externalid,
        recorded_on_orderids=[o.orderid for o in found if o.orderid is not None],
        cancelled_orderids=list(cancelled),
        restocked_transaction_ids=list(restocked),
        rolled_back_redemptions=list(rolled_back),
    )
