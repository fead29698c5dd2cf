"""Order calls: read, list by update time, refunds, ready for pick-up, fulfil, cancel, tags."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from service.adapters.common.errors import UnexpectedResponse
from service.adapters.shopify import queries
from service.adapters.shopify.calls import ShopifyCalls, listed, nodes, whole
from service.adapters.shopify.errors import UserErrors
from service.adapters.shopify.models import (
    FulfillmentOrder,
    LineItem,
    MailingAddress,
    Order,
    OrderPage,
    OrderSummary,
    OrderTransaction,
    Refund,
    RefundLine,
    ShippingCharge,
    money,
    parsed,
    receipt,
)
from service.adapters.shopify.protocol import raise_user_errors, user_errors

_DONE_STATUSES = {"CLOSED", "CANCELLED"}


def _fulfillment_order(raw: Any) -> FulfillmentOrder:  # noqa: ANN401 - raw JSON
    assigned = raw.get("assignedLocation") or {}
    place = assigned.get("location") or {}
    return FulfillmentOrder(
        id=raw["id"],
        status=raw["status"],
        method_type=(raw.get("deliveryMethod") or {}).get("methodType"),
        location_id=place.get("id"),
        location_legacy_id=int(place["legacyResourceId"])
        if place.get("legacyResourceId")
        else None,
        location_name=assigned.get("name"),
    )


def _address(raw: Any) -> MailingAddress | None:  # noqa: ANN401 - raw JSON
    if not isinstance(raw, dict):
        return None
    return MailingAddress(
        name=raw.get("name"),
        first_name=raw.get("firstName"),
        last_name=raw.get("lastName"),
        address1=raw.get("address1"),
        address2=raw.get("address2"),
        city=raw.get("city"),
        zip=raw.get("zip"),
        country_code=raw.get("countryCodeV2"),
    )


def _shipping(raw: Any) -> ShippingCharge | None:  # noqa: ANN401 - raw JSON
    if not isinstance(raw, dict):
        return None
    return ShippingCharge(title=raw.get("title") or "", price=money(raw["originalPriceSet"]))


def _order(raw: Any) -> Order:  # noqa: ANN401 - raw JSON
    return Order(
        id=raw["id"],
        legacy_id=int(raw["legacyResourceId"]),
        name=raw["name"],
        created_at=raw["createdAt"],
        updated_at=raw["updatedAt"],
        cancelled_at=raw.get("cancelledAt"),
        cancel_reason=raw.get("cancelReason"),
        closed=bool(raw.get("closed")),
        note=raw.get("note"),
        tags=tuple(raw.get("tags") or ()),
        email=raw.get("email"),
        financial_status=raw.get("displayFinancialStatus"),
        fulfillment_status=raw.get("displayFulfillmentStatus"),
        currency_code=raw["currencyCode"],
        total_price=money(raw["totalPriceSet"]),
        line_items=tuple(
            LineItem(
                id=line["id"],
                sku=line.get("sku"),
                name=line["name"],
                quantity=line["quantity"],
                current_quantity=line["currentQuantity"],
                variant_id=(line.get("variant") or {}).get("id"),
                unit_price=money(line["originalUnitPriceSet"])
                if line.get("originalUnitPriceSet")
                else None,
                is_gift_card=bool(line.get("isGiftCard")),
            )
            for line in whole(raw, "lineItems", queries.ORDER_LINES, f"order {raw['name']}")
        ),
        fulfillment_orders=tuple(
            _fulfillment_order(fo)
            for fo in whole(
                raw, "fulfillmentOrders", queries.ORDER_FULFILLMENT_ORDERS, f"order {raw['name']}"
            )
        ),
        transactions=tuple(
            OrderTransaction(
                id=t["id"],
                kind=t["kind"],
                status=t["status"],
                gateway=t.get("gateway"),
                amount=money(t["amountSet"]),
                receipt=receipt(t.get("receiptJson")),
                created_at=t.get("createdAt"),
            )
            for t in listed(raw, "transactions", queries.ORDER_TRANSACTIONS, f"order {raw['name']}")
        ),
        shipping=_shipping(raw.get("shippingLine")),
        shipping_address=_address(raw.get("shippingAddress")),
    )


def _refund(raw: Any) -> Refund:  # noqa: ANN401 - raw JSON
    return Refund(
        id=raw["id"],
        created_at=raw.get("createdAt"),
        note=raw.get("note"),
        total=money(raw["totalRefundedSet"]),
        lines=tuple(
            RefundLine(
                line_item_id=line["lineItem"]["id"],
                sku=line["lineItem"].get("sku"),
                quantity=line["quantity"],
                restock_type=line["restockType"],
                location_id=(line.get("location") or {}).get("id"),
            )
            for line in whole(raw, "refundLineItems", queries.REFUND_LINES, f"refund {raw['id']}")
        ),
        transactions=tuple(
            OrderTransaction(
                id=t["id"],
                kind=t["kind"],
                status=t["status"],
                gateway=t.get("gateway"),
                amount=money(t["amountSet"]),
                created_at=t.get("createdAt"),
                parent_id=(t.get("parentTransaction") or {}).get("id"),
            )
            for t in whole(raw, "transactions", queries.REFUND_TRANSACTIONS, f"refund {raw['id']}")
        ),
    )


def _time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class OrderCalls(ShopifyCalls):
    """The order half of the client."""

    async def get_order(self, order_id: str) -> Order | None:
        """An order with its lines, fulfillment orders and transactions (None: not found)."""
        data = await self._engine.query(queries.ORDER, {"id": order_id})
        raw = data.get("order")
        return None if raw is None else parsed(_order, raw, what="order")

    async def orders_updated_since(
        self, since: datetime, *, after: str | None = None, first: int = queries.ORDERS_PAGE
    ) -> OrderPage:
        """Orders updated at or after ``since``, oldest update first, one page from ``after``."""
        data = await self._engine.query(
            queries.ORDERS_UPDATED,
            {"query": f"updated_at:>='{_time(since)}'", "first": first, "after": after},
        )
        connection = data["orders"]
        page = connection.get("pageInfo") or {}
        return OrderPage(
            orders=tuple(
                parsed(
                    lambda o: OrderSummary(
                        id=o["id"],
                        legacy_id=int(o["legacyResourceId"]),
                        name=o["name"],
                        created_at=o["createdAt"],
                        updated_at=o["updatedAt"],
                        cancelled_at=o.get("cancelledAt"),
                    ),
                    raw,
                    what="orders",
                )
                for raw in nodes(connection)
            ),
            end_cursor=page.get("endCursor"),
            has_next_page=bool(page.get("hasNextPage")),
        )

    async def order_refunds(self, order_id: str) -> list[Refund]:
        """Every refund of the order with its lines: a first few with the list of all ids,
        the others by id, a batch per query."""
        data = await self._engine.query(queries.ORDER_REFUNDS, {"id": order_id})
        raw = data.get("order") or {}
        found = [parsed(_refund, r, what="refunds") for r in raw.get("detailed") or []]
        have = {refund.id for refund in found}
        rest = [
            listed_id
            for entry in raw.get("refunds") or []
            if isinstance(entry, dict)
            and isinstance(listed_id := entry.get("id"), str)
            and listed_id not in have
        ]
        for start in range(0, len(rest), queries.REFUNDS_BATCH):
            batch = rest[start : start + queries.REFUNDS_BATCH]
            answer = await self._engine.query(queries.REFUNDS_BY_ID, {"ids": batch})
            read = [r for r in answer.get("nodes") or [] if isinstance(r, dict)]
            if sorted(str(r.get("id")) for r in read) != sorted(batch):
                raise UnexpectedResponse(f"refunds {batch} are listed on {order_id} but not found")
            found += [parsed(_refund, r, what="refunds") for r in read]
        return found

    async def get_fulfillment_order(self, fulfillment_order_id: str) -> FulfillmentOrder | None:
        """One fulfillment order's status and delivery method."""
        data = await self._engine.query(queries.FULFILLMENT_ORDER, {"id": fulfillment_order_id})
        raw = data.get("fulfillmentOrder")
        return None if raw is None else parsed(_fulfillment_order, raw, what="fulfillmentOrder")

    async def _statuses(self, ids: Sequence[str]) -> list[str | None]:
        found = [await self.get_fulfillment_order(i) for i in ids]
        return [None if fo is None else fo.status for fo in found]

    async def mark_ready_for_pickup(
        self, fulfillment_order_ids: Sequence[str], *, unknown: bool = False
    ) -> bool:
        """Mark pick-up fulfillment orders prepared (Shopify tells the customer); once.

        True when this call marked them, False when they were already past OPEN (an
        earlier attempt, or staff). ``unknown``: an earlier attempt may have applied.
        """
        ids = list(fulfillment_order_ids)
        variables = {
            "input": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": i} for i in ids]}
        }

        async def already() -> bool | None:
            statuses = await self._statuses(ids)
            return False if all(s is not None and s != "OPEN" for s in statuses) else None

        async def write() -> bool:
            answer = await self._engine.mutate(
                queries.PREPARED_FOR_PICKUP, variables, repeatable=False
            )
            errors = user_errors(answer["fulfillmentOrderLineItemsPreparedForPickup"])
            nothing_left = {"NO_LINE_ITEMS_TO_PREPARE_FOR_FULFILLMENT_ORDER"}
            if errors and {e.code for e in errors} == nothing_left and await already() is not None:
                return False
            raise_user_errors(errors, what="fulfillmentOrderLineItemsPreparedForPickup")
            return True

        return await self._engine.write_once(
            "preparedForPickup", write=write, reconcile=already, unknown=unknown
        )

    async def fulfil(
        self,
        fulfillment_order_ids: Sequence[str],
        *,
        notify_customer: bool = False,
        unknown: bool = False,
    ) -> str | None:
        """Fulfil everything left on the fulfillment orders (for pick-up: picked up); once.

        Returns the new fulfillment's id, or None when they were already closed.
        """
        ids = list(fulfillment_order_ids)
        variables = {
            "fulfillment": {
                "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": i} for i in ids],
                "notifyCustomer": notify_customer,
            }
        }

        async def already() -> str | None:
            statuses = await self._statuses(ids)
            return "" if all(s in _DONE_STATUSES for s in statuses) else None

        async def write() -> str:
            answer = await self._engine.mutate(
                queries.FULFILLMENT_CREATE, variables, repeatable=False
            )
            payload = answer["fulfillmentCreate"]
            errors = user_errors(payload)
            if errors and await already() is not None:
                return ""
            raise_user_errors(errors, what="fulfillmentCreate")
            return str((payload.get("fulfillment") or {}).get("id") or "")

        made = await self._engine.write_once(
            "fulfillmentCreate", write=write, reconcile=already, unknown=unknown
        )
        return made or None

    async def cancel_order(
        self,
        order_id: str,
        *,
        reason: str = "OTHER",
        restock: bool = True,
        refund: bool = False,
        staff_note: str | None = None,
        notify_customer: bool = False,
        unknown: bool = False,
    ) -> bool:
        """Cancel once: True when this call cancelled it, False when it already was."""
        variables: dict[str, Any] = {
            "orderId": order_id,
            "reason": reason,
            "restock": restock,
            "notifyCustomer": notify_customer,
            "staffNote": staff_note,
        }
        if self.version >= "2025-07":
            variables["refundMethod"] = {"originalPaymentMethodsRefund": refund}
        else:
            variables["refund"] = refund

        async def already() -> bool | None:
            order = await self.get_order(order_id)
            return False if order is not None and order.cancelled_at is not None else None

        async def write() -> bool:
            answer = await self._engine.mutate(
                queries.order_cancel(self.version), variables, repeatable=False
            )
            errors = user_errors(answer["orderCancel"], key="orderCancelUserErrors")
            if errors and await already() is not None:
                return False
            raise_user_errors(errors, what="orderCancel")
            return True

        return await self._engine.write_once(
            "orderCancel", write=write, reconcile=already, unknown=unknown
        )

    async def add_tags(self, order_id: str, tags: Sequence[str]) -> None:
        """Add tags (tags already there stay; adding twice changes nothing, so it just retries)."""
        answer = await self._engine.mutate(
            queries.TAGS_ADD, {"id": order_id, "tags": list(tags)}, repeatable=True
        )
        errors = user_errors(answer["tagsAdd"])
        if errors:
            raise UserErrors(f"tagsAdd: {errors[0].message}", errors=errors)
