"""order.placed and order.cancelled, including a cancel that overtakes its placement.

Ordering rule: a cancel always writes a tombstone *before* it looks the order up in
Sitoo, and a placement checks the tombstone before creating the order *and again after*.
Whatever the interleaving, either the cancel finds the order and cancels it, or the
placement sees the tombstone (after: cancels what it created; before: creates nothing,
and cancels any order an earlier attempt of the same placement created before it died
between creating the order and its second check).
"""

from __future__ import annotations

from datetime import timedelta

from service.contracts.orders import OrderCancelled, OrderPlaced, Pickup
from service.ports import Clock, Lane, OrderTombstones, RedemptionLedger, SitooPort
from service.sitoo.keys import order_externalid
from service.sitoo.models import OrderState
from service.usecases.directory import Directory
from service.usecases.giftcards import roll_back
from service.usecases.order_mapping import Placement, sitoo_total, to_sitoo_order
from service.usecases.outcome import Outcome, Rejected


async def _check_skus(directory: Directory, skus: set[str]) -> None:
    # Known SKUs are cached like stock's, so a repeat basket costs Sitoo one request.
    missing = sorted(skus - await directory.known_skus(skus))
    if missing:
        raise Rejected("unknown_sku", "unknown SKU(s) in Sitoo: " + ", ".join(missing[:20]))


async def _placement(
    order: OrderPlaced, directory: Directory, clock: Clock, reservation: timedelta
) -> Placement:
    externalid = order_externalid(order.order_id)
    fulfilment = order.fulfilment
    if isinstance(fulfilment, Pickup):
        store, warehouse = await directory.pickup_warehouse(
            store_id=fulfilment.store_id, externalid=fulfilment.store_externalid
        )
        reserved_until = int((clock() + reservation).timestamp())
        return Placement(
            externalid, warehouse.warehouseid, store.externalid, store.storeid, reserved_until
        )
    if fulfilment.ship_from is not None:
        store, warehouse = await directory.pickup_warehouse(
            store_id=fulfilment.ship_from.store_id, externalid=fulfilment.ship_from.store_externalid
        )
        return Placement(externalid, warehouse.warehouseid, store.externalid, store.storeid, None)
    return Placement(externalid, None, None, None, None)


async def place_order(
    order: OrderPlaced,
    *,
    event_id: str,
    sitoo: SitooPort,
    directory: Directory,
    tombstones: OrderTombstones,
    clock: Clock,
    reservation: timedelta,
) -> Outcome:
    """Create the Sitoo order once; nothing live if the webshop already cancelled it."""
    externalid = order_externalid(order.order_id)
    if await tombstones.is_cancelled(order.order_id):
        cancelled = await _cancel_leftovers(sitoo, externalid, event_id=event_id)
        return Outcome.declined(
            "cancelled",
            "the order was cancelled before it was placed",
            externalid=externalid,
            cancelled_orderids=list(cancelled),
        )
    skus = {line.sku for line in order.lines}
    if order.shipping is not None and order.shipping.sku is not None:
        skus.add(order.shipping.sku)
    await _check_skus(directory, skus)
    placement = await _placement(order, directory, clock, reservation)
    new_order = to_sitoo_order(order, placement, event_id=event_id)
    if sitoo_total(new_order) != order.total:  # the contract's validator makes this impossible
        raise Rejected("total_mismatch", "the mapped Sitoo order does not add up to the total")
    orderid = await sitoo.create_order(new_order, op_key=f"{event_id}:create-order")
    ids: dict[str, int | str | None] = {
        "orderid": orderid,
        "externalid": externalid,
        "warehouseid": placement.warehouse_id,
    }
    if await tombstones.is_cancelled(order.order_id):
        await sitoo.set_order_state(
            orderid, OrderState.CANCELLED, op_key=f"{event_id}:cancel-after-tombstone"
        )
        return Outcome.declined(
            "cancelled", "the order was cancelled while it was being placed", **ids
        )
    return Outcome.ok(**ids)


async def _cancel_leftovers(sitoo: SitooPort, externalid: str, *, event_id: str) -> list[int]:
    """Cancel live orders with the externalid: left by an attempt that died mid-way."""
    cancelled: list[int] = []
    for found in await sitoo.find_orders_by_externalid([externalid], lane=Lane.BULK):
        if found.orderid is None or found.orderstateid in {OrderState.CANCELLED, OrderState.CLOSED}:
            continue
        await sitoo.set_order_state(
            found.orderid, OrderState.CANCELLED, op_key=f"{event_id}:cancel-after-tombstone"
        )
        cancelled.append(found.orderid)
    return cancelled


async def cancel_order(
    cancel: OrderCancelled,
    *,
    event_id: str,
    sitoo: SitooPort,
    tombstones: OrderTombstones,
    redemptions: RedemptionLedger,
) -> Outcome:
    """Cancel the Sitoo order (state 20) and roll back the order's gift-card redemptions."""
    await tombstones.mark_cancelled(cancel.order_id)
    externalid = order_externalid(cancel.order_id)
    orders = await sitoo.find_orders_by_externalid([externalid], lane=Lane.BULK)
    cancelled: list[int] = []
    for found in orders:
        if found.orderid is None:
            continue
        if found.orderstateid == OrderState.CLOSED:
            raise Rejected(
                "order_closed",
                f"Sitoo order {found.orderid} is closed (picked up or delivered); "
                "it cannot be cancelled",
            )
        await sitoo.set_order_state(
            found.orderid, OrderState.CANCELLED, op_key=f"{event_id}:cancel:{found.orderid}"
        )
        cancelled.append(found.orderid)
    rolled_back: list[str] = []
    for redemption in await redemptions.for_order(cancel.order_id):
        await roll_back(redemption, by=event_id, sitoo=sitoo, redemptions=redemptions)
        rolled_back.append(redemption.redeem_event_id)
    return Outcome.ok(
        externalid=externalid,
        cancelled_orderids=list(cancelled),
        order_found=bool(cancelled),
        rolled_back_redemptions=list(rolled_back),
    )
