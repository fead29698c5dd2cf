"""The Sitoo client: typed reads plus writes that take effect exactly once.

Every write that creates something runs through
:meth:`~service.sitoo.engine.RequestEngine.exactly_once` with a natural key Sitoo
lets us look up again; writes of absolute values are simply repeated. See
``docs/sitoo-client.md`` for the rule per write. Gift-card and stock writes live in
:mod:`~service.sitoo.giftcard_writes` and :mod:`~service.sitoo.stock_writes`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from service.sitoo.engine import RequestEngine
from service.sitoo.errors import BadRequest
from service.sitoo.giftcard_writes import GiftCardWrites
from service.sitoo.keys import operation_reference
from service.sitoo.limiter import Lane
from service.sitoo.models import (
    NewOrder,
    NewOrderDelivery,
    OrderLogType,
    OrderState,
    OrderUpdate,
)
from service.sitoo.protocol import is_duplicate_key_error
from service.sitoo.recorded import as_bool, as_int, one_id
from service.sitoo.stock_writes import StockWrites

if TYPE_CHECKING:
    import httpx

    from service.settings import SitooCredential, SitooSettings
    from service.sitoo.claims import Claim, IdempotencyStore
    from service.sitoo.engine import CredentialObserver
    from service.sitoo.limiter import Limiter
    from service.sitoo.metrics import SitooMetrics

_PICKUP_TYPES = {int(t) for t in OrderLogType}


class SitooClient(GiftCardWrites, StockWrites):
    """Typed access to Sitoo for handlers and pollers (one per process)."""

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        limiter: Limiter,
        idempotency: IdempotencyStore,
        settings: SitooSettings,
        credentials: Sequence[SitooCredential] | None = None,
        metrics: SitooMetrics | None = None,
        credential_observer: CredentialObserver | None = None,
    ) -> None:
        if idempotency.lease_s <= settings.call_deadline_s:
            # A lease that can run out mid-call lets a duplicate take over and write twice.
            raise ValueError(
                f"idempotency lease ({idempotency.lease_s}s) must exceed the call deadline "
                f"({settings.call_deadline_s}s)"
            )
        self._engine = RequestEngine(
            http,
            limiter,
            idempotency,
            credentials=list(credentials) if credentials is not None else settings.credentials(),
            call_deadline_s=settings.call_deadline_s,
            metrics=metrics,
            credential_observer=credential_observer,
        )
        super().__init__(self._engine, site_id=settings.site_id, page_size=settings.page_size)

    # Orders -----------------------------------------------------------------------------

    async def create_order(self, order: NewOrder, *, op_key: str, lane: Lane = Lane.BULK) -> int:
        """Create the order once; its ``externalid`` finds it again. Returns the orderid."""
        path = f"{self._site}/orders.json"

        async def reconcile(_claim: Claim) -> int | None:
            found = await self.find_orders_by_externalid([order.externalid], lane=lane)
            ids = [o.orderid for o in found if o.externalid == order.externalid]
            return ids[0] if ids and ids[0] is not None else None

        async def write(claim: Claim) -> int:
            try:
                data = await self._engine.send("POST", path, lane=lane, body=order.to_json())
            except BadRequest as exc:
                # Sitoo keeps externalid unique: the order exists, made by an earlier try.
                if is_duplicate_key_error(exc, "externalid"):
                    existing = await reconcile(claim)
                    if existing is not None:
                        return existing
                raise
            return one_id(data, what=f"POST {path}")

        return await self._engine.exactly_once(
            op_key, write=write, reconcile=reconcile, encode=lambda i: i, decode=as_int
        )

    async def update_order(
        self, orderid: int, update: OrderUpdate, *, lane: Lane = Lane.BULK
    ) -> None:
        """PUT absolute values onto an order (repeating it is harmless, so it just retries)."""
        path = f"{self._site}/orders/{orderid}.json"
        await self._engine.idempotent("PUT", path, lane=lane, body=update.to_json())

    async def set_order_state(
        self, orderid: int, state: OrderState, *, op_key: str, lane: Lane = Lane.BULK
    ) -> bool:
        """Move an order to ``state`` unless it is there already; True when this call moved it."""
        path = f"{self._site}/orders/{orderid}.json"

        async def reconcile(_claim: Claim) -> bool | None:
            order = await self.get_order(orderid, lane=lane)
            return True if order.orderstateid == state else None

        async def write(_claim: Claim) -> bool:
            order = await self.get_order(orderid, lane=lane)
            if order.orderstateid == state:
                return False
            await self._engine.send("PUT", path, lane=lane, body={"orderstateid": int(state)})
            return True

        return await self._engine.exactly_once(
            op_key, write=write, reconcile=reconcile, encode=lambda b: b, decode=as_bool
        )

    async def add_order_log_item(
        self,
        orderid: int,
        logtype: OrderLogType,
        *,
        op_key: str,
        strvalue: str | None = None,
        lane: Lane = Lane.BULK,
    ) -> bool:
        """Post 900 (ready for pick-up) or 910 (rejected) unless it is the latest pick-up entry.

        True when this call added the item.
        """
        path = f"{self._site}/orders/{orderid}/orderlogitems.json"

        async def already_there() -> bool:
            items = await self.list_order_log_items(orderid, lane=lane)
            pickup = [i for i in items if i.orderlogtypeid in _PICKUP_TYPES]
            return bool(pickup) and pickup[-1].orderlogtypeid == logtype

        async def reconcile(_claim: Claim) -> bool | None:
            return True if await already_there() else None

        async def write(_claim: Claim) -> bool:
            if await already_there():
                return False
            body: dict[str, Any] = {"orderlogtypeid": int(logtype)}
            if strvalue is not None:
                body["strvalue"] = strvalue
            await self._engine.send("POST", path, lane=lane, body=body)
            return True

        return await self._engine.exactly_once(
            op_key, write=write, reconcile=reconcile, encode=lambda b: b, decode=as_bool
        )

    async def add_order_delivery(
        self, orderid: int, delivery: NewOrderDelivery, *, op_key: str, lane: Lane = Lane.BULK
    ) -> int:
        """Register a delivery once (found again by ``orderdeliveryref``); returns its id."""
        path = f"{self._site}/orders/{orderid}/orderdeliveries.json"
        ref = delivery.orderdeliveryref or operation_reference(op_key)
        body = delivery.model_copy(update={"orderdeliveryref": ref}).to_json()

        async def reconcile(_claim: Claim) -> int | None:
            for existing in await self.list_order_deliveries(orderid, lane=lane):
                if existing.orderdeliveryref == ref and existing.orderdeliveryid is not None:
                    return existing.orderdeliveryid
            return None

        async def write(_claim: Claim) -> int:
            data = await self._engine.send("POST", path, lane=lane, body=body)
            return one_id(data, what=f"POST {path}")

        return await self._engine.exactly_once(
            op_key, write=write, reconcile=reconcile, encode=lambda i: i, decode=as_int
        )
