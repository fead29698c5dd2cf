"""Typed reads of the Sitoo resources the service needs; every read retries freely."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from service.sitoo.errors import NotFound, UnexpectedResponse
from service.sitoo.limiter import Lane
from service.sitoo.models import (
    GiftCard,
    Order,
    OrderDelivery,
    OrderLogItem,
    Page,
    Product,
    Site,
    Store,
    Warehouse,
    WarehouseBatch,
    WarehouseItem,
    WarehouseTransaction,
)
from service.sitoo.pagination import iter_id_cursor, iter_offset_pages

if TYPE_CHECKING:
    from service.sitoo.engine import Params, RequestEngine

M = TypeVar("M", bound=BaseModel)
SKU_CHUNK = 100  # keeps comma lists in the query string well below URL length limits


def validate(model: type[M], data: Any, *, what: str) -> M:  # noqa: ANN401 - raw JSON
    """``data`` as ``model``; a body that does not fit is an UnexpectedResponse."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise UnexpectedResponse(f"{what}: {exc.error_count()} invalid fields") from exc


def validate_page(model: type[M], data: Any, *, what: str) -> Page[M]:  # noqa: ANN401 - raw JSON
    """A ``{totalcount, items}`` envelope of ``model``."""
    try:
        return TypeAdapter(Page[model]).validate_python(data)  # type: ignore[valid-type]
    except ValidationError as exc:
        raise UnexpectedResponse(f"{what}: {exc.error_count()} invalid fields") from exc


def comma_list(values: Sequence[str | int]) -> str:
    """Sitoo's multi-value filter: one comma-separated parameter (repeating it is ignored)."""
    return ",".join(str(value) for value in values)


class SitooReader:
    """The read half of the Sitoo client."""

    def __init__(self, engine: RequestEngine, *, site_id: int, page_size: int) -> None:
        self._engine = engine
        self._site = f"sites/{site_id}"
        self._page_size = page_size

    async def _page(self, model: type[M], path: str, params: Params, *, lane: Lane) -> Page[M]:
        data = await self._engine.read(path, lane=lane, params=params)
        return validate_page(model, data, what=f"GET {path}")

    async def _all(
        self, model: type[M], path: str, params: Params | None = None, *, lane: Lane
    ) -> AsyncIterator[M]:
        async def fetch(start: int, num: int) -> Page[M]:
            return await self._page(
                model, path, {**(params or {}), "start": start, "num": num}, lane=lane
            )

        async for item in iter_offset_pages(fetch, page_size=self._page_size):
            yield item

    # Orders -----------------------------------------------------------------------------

    async def get_order(self, orderid: int, *, lane: Lane = Lane.BULK) -> Order:
        """One order with its lines; NotFound when there is none."""
        path = f"{self._site}/orders/{orderid}.json"
        return validate(Order, await self._engine.read(path, lane=lane), what=f"GET {path}")

    async def find_orders_by_externalid(
        self, externalids: Sequence[str], *, lane: Lane = Lane.BULK
    ) -> list[Order]:
        """Orders whose ``externalid`` is one of ``externalids``."""
        if not externalids:
            return []
        path = f"{self._site}/orders.json"
        params: dict[str, str | int] = {
            "externalid": comma_list(externalids),
            "num": len(externalids),
        }
        return (await self._page(Order, path, params, lane=lane)).items

    async def newest_order_id(self, *, lane: Lane = Lane.BULK) -> int | None:
        """The highest order id on the site, or None when it has no orders yet."""
        params: dict[str, str | int] = {"sort": "-orderid", "num": 1, "fields": "orderid"}
        page = await self._page(Order, f"{self._site}/orders.json", params, lane=lane)
        return page.items[0].orderid if page.items else None

    async def iter_orders(
        self,
        *,
        orderidfrom: int = 1,
        orderstate: Sequence[int] = (),
        warehouseid: Sequence[int] = (),
        externalid: Sequence[str] = (),
        fields: Sequence[str] = (),
        lane: Lane = Lane.BULK,
    ) -> AsyncIterator[Order]:
        """Orders with id ≥ ``orderidfrom`` in ascending id order (an id cursor, not offsets)."""
        path = f"{self._site}/orders.json"
        filters: dict[str, str | int] = {"sort": "orderid"}
        for name, values in (
            ("orderstate", orderstate),
            ("warehouseid", warehouseid),
            ("externalid", externalid),
            ("fields", fields),
        ):
            if values:
                filters[name] = comma_list(values)

        async def fetch(id_from: int, num: int) -> Page[Order]:
            params = {**filters, "orderidfrom": id_from, "num": num}
            return await self._page(Order, path, params, lane=lane)

        async for order in iter_id_cursor(
            fetch, lambda o: o.orderid, start_id=orderidfrom, page_size=self._page_size
        ):
            yield order

    async def list_order_deliveries(
        self, orderid: int, *, lane: Lane = Lane.BULK
    ) -> list[OrderDelivery]:
        """Every delivery registered on an order."""
        path = f"{self._site}/orders/{orderid}/orderdeliveries.json"
        return [item async for item in self._all(OrderDelivery, path, lane=lane)]

    async def list_order_log_items(
        self, orderid: int, *, lane: Lane = Lane.BULK
    ) -> list[OrderLogItem]:
        """An order's log (creation, 900 ready for pick-up, 910 rejected, ...)."""
        path = f"{self._site}/orders/{orderid}/orderlogitems.json"
        return [item async for item in self._all(OrderLogItem, path, lane=lane)]

    # Gift cards -------------------------------------------------------------------------

    async def get_giftcard(
        self, cardnumber: str, *, pin: str | None = None, lane: Lane = Lane.INTERACTIVE
    ) -> GiftCard:
        """A card with balance and history; NotFound for an unknown number."""
        path = f"{self._site}/giftcards/{cardnumber}.json"
        params = {"pin": pin} if pin else None
        data = await self._engine.read(path, lane=lane, params=params)
        if isinstance(data, dict) and isinstance(data.get("giftcard"), dict):
            data = data["giftcard"]  # the reference declares the wrapper, examples show the card
        return validate(GiftCard, data, what=f"GET {path}")

    async def find_giftcard(
        self, cardnumber: str, *, pin: str | None = None, lane: Lane = Lane.INTERACTIVE
    ) -> GiftCard | None:
        """Like :meth:`get_giftcard` but None for an unknown card."""
        try:
            return await self.get_giftcard(cardnumber, pin=pin, lane=lane)
        except NotFound:
            return None

    # Stock ------------------------------------------------------------------------------

    async def list_warehouses(self, *, lane: Lane = Lane.BULK) -> list[Warehouse]:
        """Every warehouse of the site."""
        path = f"{self._site}/warehouses.json"
        return [item async for item in self._all(Warehouse, path, lane=lane)]

    async def iter_warehouse_items(
        self,
        warehouseid: int,
        *,
        skus: Sequence[str] = (),
        modified_from: int | None = None,
        modified_to: int | None = None,
        lane: Lane = Lane.BULK,
    ) -> AsyncIterator[WarehouseItem]:
        """Stock lines of a warehouse, optionally only some SKUs or a modification window."""
        path = f"{self._site}/warehouses/{warehouseid}/warehouseitems.json"
        params: dict[str, str | int] = {}
        if modified_from is not None:
            params["datelastmodifiedfrom"] = modified_from
        if modified_to is not None:
            params["datelastmodifiedto"] = modified_to
        chunks = [skus[i : i + SKU_CHUNK] for i in range(0, len(skus), SKU_CHUNK)] or [()]
        for chunk in chunks:
            chunk_params = {**params, "sku": comma_list(chunk)} if chunk else params
            async for item in self._all(WarehouseItem, path, chunk_params, lane=lane):
                yield item

    async def iter_warehouse_transactions(
        self,
        *,
        idfrom: int = 1,
        warehouseid: int | None = None,
        created_from: int | None = None,
        created_to: int | None = None,
        transactiontype: int | None = None,
        lane: Lane = Lane.BULK,
    ) -> AsyncIterator[WarehouseTransaction]:
        """Warehouse transactions with id ≥ ``idfrom``, ascending (an id cursor)."""
        path = f"{self._site}/warehousetransactions.json"
        filters: dict[str, str | int] = {"sort": "warehousetransactionid"}
        optional = {
            "warehouseid": warehouseid,
            "datecreatedfrom": created_from,
            "datecreatedto": created_to,
            "transactiontype": transactiontype,
        }
        filters.update({name: value for name, value in optional.items() if value is not None})

        async def fetch(id_from: int, num: int) -> Page[WarehouseTransaction]:
            params = {**filters, "warehousetransactionidfrom": id_from, "num": num}
            return await self._page(WarehouseTransaction, path, params, lane=lane)

        async for transaction in iter_id_cursor(
            fetch, lambda t: t.warehousetransactionid, start_id=idfrom, page_size=self._page_size
        ):
            yield transaction

    async def list_warehouse_batches(
        self,
        warehouseid: int,
        *,
        state: int = 10,
        transactiontype: int | None = None,
        lane: Lane = Lane.BULK,
    ) -> list[WarehouseBatch]:
        """Batches of a warehouse in ``state`` (10 open, 20 closed)."""
        path = f"{self._site}/warehouses/{warehouseid}/warehousebatches.json"
        params: dict[str, str | int] = {"warehousebatchstate": state}
        if transactiontype is not None:
            params["transactiontype"] = transactiontype
        return [item async for item in self._all(WarehouseBatch, path, params, lane=lane)]

    async def get_warehouse_batch(
        self, warehouseid: int, batchid: int, *, lane: Lane = Lane.BULK
    ) -> WarehouseBatch:
        """One warehouse batch."""
        path = f"{self._site}/warehouses/{warehouseid}/warehousebatches/{batchid}.json"
        return validate(WarehouseBatch, await self._engine.read(path, lane=lane), what=path)

    # Catalogue --------------------------------------------------------------------------

    async def get_products(self, skus: Sequence[str], *, lane: Lane = Lane.BULK) -> list[Product]:
        """Products by SKU (unknown SKUs are simply absent)."""
        path = f"{self._site}/products.json"
        found: list[Product] = []
        for i in range(0, len(skus), SKU_CHUNK):
            chunk = skus[i : i + SKU_CHUNK]
            params = {"sku": comma_list(chunk)}
            found.extend([item async for item in self._all(Product, path, params, lane=lane)])
        return found

    async def list_stores(self, *, lane: Lane = Lane.BULK) -> list[Store]:
        """Every store of the site."""
        return [item async for item in self._all(Store, f"{self._site}/stores.json", lane=lane)]

    async def list_sites(self, *, lane: Lane = Lane.BULK) -> list[Site]:
        """Every site of the account (their ``eshopid`` goes into paths)."""
        return [item async for item in self._all(Site, "sites.json", lane=lane)]
