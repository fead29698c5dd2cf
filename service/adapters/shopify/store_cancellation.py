"""An order cancelled in a Sitoo store, told to Shopify the way the merchant chose.

``SITOO_SYNC_SHOPIFY__STORE_CANCELLATION``:

* ``cancel``: the Shopify order is cancelled (``orderCancel``: restocked, no refund, the
  customer not notified; money is left to the merchant). The order is read first, so an
  order already cancelled is left alone, and the client's write-once call never sends the
  mutation twice.
* ``tag``: the tag ``sitoo-cancelled-in-store`` is added (``tagsAdd`` only adds, so a
  repeat changes nothing).
* ``ignore``: nothing is written.

No loop back into Sitoo: a cancellation the webshop asked for (``order.cancelled`` in,
or a refund that left nothing of the order) writes the order's tombstone before Sitoo's
order is cancelled, so its outbound ``order.cancelled`` is recognised as an echo and not
sent to Shopify. The ``orders/cancelled`` that Shopify sends after ``cancel`` reaches a
Sitoo order that is already cancelled, which changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, Protocol

import structlog

from service.adapters.shopify.translation import order_gid
from service.adapters.shopify.write_once import DONE_TTL_S, write_once
from service.records.steps import WrittenSteps

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from service.adapters.common.outbound import Applied, OutboundEntry
    from service.adapters.shopify.models import Order
    from service.records.keys import DeploymentKeys

log = structlog.get_logger(__name__)
StoreCancellation = Literal["cancel", "tag", "ignore"]
STORE_CANCELLED_EVENT = "order.cancelled"
CANCELLED_IN_STORE_TAG = "sitoo-cancelled-in-store"


class CancellationWrites(Protocol):
    """The Admin API calls a store cancellation makes."""

    async def get_order(self, order_id: str) -> Order | None:
        """The order (None: not found)."""
        ...

    async def cancel_order(
        self, order_id: str, *, reason: str = "OTHER", staff_note: str | None = None
    ) -> bool:
        """Cancel once; True when this call cancelled it."""
        ...

    async def add_tags(self, order_id: str, tags: Sequence[str]) -> None:
        """Add tags (a repeat changes nothing)."""
        ...


class StoreCancellations:
    """Applies outbound ``order.cancelled`` of Shopify's orders per the merchant's choice."""

    def __init__(
        self,
        shopify: CancellationWrites,
        redis: aioredis.Redis,
        *,
        keys: DeploymentKeys,
        action: StoreCancellation,
        lease_ms: int = 180_000,
    ) -> None:
        self._shopify = shopify
        self._redis = redis
        self._keys = keys
        self.action = action
        self._steps = WrittenSteps(
            redis, keys=keys, webshop="shopify", lease_ms=lease_ms, retention_s=DONE_TTL_S
        )

    async def apply(self, entry: OutboundEntry, outcome: Applied) -> None:
        """Cancel or tag the order once; done, retry or a dead letter with the reason."""
        assert entry.envelope is not None  # noqa: S101 - checked by the caller
        webshop_order = entry.envelope.data.get("webshop_order_id")
        order_id = order_gid(webshop_order) if isinstance(webshop_order, str) else None
        if self.action == "ignore" or order_id is None or not isinstance(webshop_order, str):
            outcome.done.add(entry.entry_id)  # not wanted, or an order of another channel
            return
        if await self._redis.exists(self._keys.order_cancelled(webshop_order)):
            outcome.done.add(entry.entry_id)  # the webshop asked for it: Sitoo's echo
            return
        sitoo_orderid = entry.envelope.data.get("order_id")
        await write_once(
            self._steps,
            f"store-cancel:{order_id}",
            entry.entry_id,
            outcome,
            lambda: self._write(order_id, sitoo_orderid),
        )

    async def _write(self, order_id: str, sitoo_orderid: object) -> str | None:
        order = await self._shopify.get_order(order_id)
        if order is None:
            return f"order {order_id} is not in Shopify"
        if self.action == "tag":
            if CANCELLED_IN_STORE_TAG not in order.tags:
                await self._shopify.add_tags(order_id, [CANCELLED_IN_STORE_TAG])
            log.info("shopify_writer.cancelled_in_store_tagged", order=order.name)
            return None
        if order.cancelled_at is not None:
            return None
        made = await self._shopify.cancel_order(
            order_id, reason="OTHER", staff_note=f"Cancelled in store (Sitoo order {sitoo_orderid})"
        )
        log.info("shopify_writer.cancelled_in_store", order=order.name, cancelled=made)
        return None
