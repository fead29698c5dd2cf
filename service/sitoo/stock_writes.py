"""Stock writes: virtual levels, warehouse transactions and batches."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from service.sitoo.errors import BadRequest
from service.sitoo.keys import operation_reference
from service.sitoo.limiter import Lane
from service.sitoo.models import (
    NewWarehouseTransaction,
    WarehouseBatchItemIn,
    WarehouseItemLevel,
)
from service.sitoo.movements_each import RECONCILE_MARGIN_S, write_each
from service.sitoo.protocol import batch_values, parse_batch
from service.sitoo.reads import SitooReader
from service.sitoo.recorded import as_ids, as_int, id_list, ids_to_json, one_id

if TYPE_CHECKING:
    from service.sitoo.claims import Claim
    from service.sitoo.errors import SitooError

MAX_WAREHOUSE_TRANSACTIONS = 1000  # Sitoo's documented limit per POST
BATCH_OPEN, BATCH_CLOSED = 10, 20


class StockWrites(SitooReader):
    """The stock half of the client's writes."""

    async def set_warehouse_items(
        self, warehouseid: int, levels: Sequence[WarehouseItemLevel], *, lane: Lane = Lane.BULK
    ) -> list[int]:
        """Set absolute levels on a virtual warehouse (naturally idempotent: just retried)."""
        if not levels:
            return []
        path = f"{self._site}/warehouses/{warehouseid}/warehouseitems.json"
        data = await self._engine.idempotent(
            "PUT", path, lane=lane, body=[level.to_json() for level in levels]
        )
        return id_list(data, expected=len(levels), what=f"PUT {path}")

    async def add_warehouse_transactions(
        self,
        transactions: Sequence[NewWarehouseTransaction],
        *,
        op_key: str,
        lane: Lane = Lane.BULK,
    ) -> list[int]:
        """Post up to 1000 stock movements once; returns their ids in the given order.

        Each gets an ``externalid`` derived from ``op_key`` (unless given). After a lost
        answer the warehouses' recent transactions are searched for those ids and only
        the missing movements are sent again.
        """
        if not 0 < len(transactions) <= MAX_WAREHOUSE_TRANSACTIONS:
            raise ValueError(f"between 1 and {MAX_WAREHOUSE_TRANSACTIONS} transactions per call")
        tagged = [
            t
            if t.externalid
            else t.model_copy(update={"externalid": operation_reference(op_key, i)})
            for i, t in enumerate(transactions)
        ]
        path = f"{self._site}/warehousetransactions.json"
        present: dict[str, int] = {}  # externalid -> warehousetransactionid

        def in_order() -> list[int]:
            return [present[t.externalid] for t in tagged if t.externalid is not None]

        async def reconcile(claim: Claim) -> list[int] | None:
            wanted = {t.externalid for t in tagged}
            since = int(claim.first_claimed_at) - RECONCILE_MARGIN_S
            for warehouseid in sorted({t.warehouseid for t in tagged}):
                async for seen in self.iter_warehouse_transactions(
                    warehouseid=warehouseid, created_from=since, lane=lane
                ):
                    if (
                        seen.externalid is not None
                        and seen.externalid in wanted
                        and seen.warehousetransactionid is not None
                    ):
                        present[seen.externalid] = seen.warehousetransactionid
            return in_order() if len(present) == len(tagged) else None

        async def write(_claim: Claim) -> list[int]:
            missing = [t for t in tagged if t.externalid not in present]
            data = await self._engine.send(
                "POST", path, lane=lane, body=[t.to_json() for t in missing]
            )
            ids = id_list(data, expected=len(missing), what=f"POST {path}")
            present.update({t.externalid or "": i for t, i in zip(missing, ids, strict=True)})
            return in_order()

        return await self._engine.exactly_once(
            op_key, write=write, reconcile=reconcile, encode=ids_to_json, decode=as_ids
        )

    async def add_warehouse_transactions_each(
        self,
        transactions: Mapping[str, NewWarehouseTransaction],
        *,
        lane: Lane = Lane.BULK,
    ) -> dict[str, int | SitooError]:
        """Post up to 1000 movements in one request, each exactly once under its own op key.

        ``transactions`` maps each movement's op key to it; its ``externalid`` is derived
        from that key (unless given). See :func:`service.sitoo.movements_each.write_each`.
        """
        if not 0 < len(transactions) <= MAX_WAREHOUSE_TRANSACTIONS:
            raise ValueError(f"between 1 and {MAX_WAREHOUSE_TRANSACTIONS} transactions per call")
        return await write_each(self, self._engine, self._site, transactions, lane=lane)

    async def open_warehouse_batch(
        self,
        warehouseid: int,
        transactiontype: int,
        *,
        op_key: str,
        comment: str | None = None,
        reasoncode: str | None = None,
        lane: Lane = Lane.BULK,
    ) -> int:
        """Open a batch once (found again by its derived ``externalid``); returns its id."""
        path = f"{self._site}/warehouses/{warehouseid}/warehousebatches.json"
        externalid = operation_reference(op_key)
        body: dict[str, Any] = {"transactiontype": transactiontype, "externalid": externalid}
        if comment is not None:
            body["comment"] = comment
        if reasoncode is not None:
            body["reasoncode"] = reasoncode

        async def reconcile(_claim: Claim) -> int | None:
            for state in (BATCH_OPEN, BATCH_CLOSED):
                batches = await self.list_warehouse_batches(
                    warehouseid, state=state, transactiontype=transactiontype, lane=lane
                )
                for batch in batches:
                    if batch.externalid == externalid and batch.warehousebatchid is not None:
                        return batch.warehousebatchid
            return None

        async def write(_claim: Claim) -> int:
            data = await self._engine.send("POST", path, lane=lane, body=body)
            return one_id(data, what=f"POST {path}")

        return await self._engine.exactly_once(
            op_key, write=write, reconcile=reconcile, encode=lambda i: i, decode=as_int
        )

    async def set_warehouse_batch_items(
        self,
        warehouseid: int,
        batchid: int,
        items: Sequence[WarehouseBatchItemIn],
        *,
        lane: Lane = Lane.BULK,
    ) -> None:
        """Put SKUs into an open batch; a SKU's line is replaced, so repeating is harmless."""
        if not items:
            return
        path = (
            f"{self._site}/warehouses/{warehouseid}/warehousebatches/{batchid}"
            "/warehousebatchitems.json"
        )
        data = await self._engine.idempotent(
            "PUT", path, lane=lane, body=[item.to_json() for item in items]
        )
        batch_values(parse_batch(data, expected=len(items), what=f"PUT {path}"), what=path)

    async def close_warehouse_batch(
        self, warehouseid: int, batchid: int, *, lane: Lane = Lane.BULK
    ) -> int | None:
        """Commit a batch (state 20) unless it is closed already; returns its transaction id."""
        path = f"{self._site}/warehouses/{warehouseid}/warehousebatches/{batchid}.json"
        batch = await self.get_warehouse_batch(warehouseid, batchid, lane=lane)
        if batch.warehousebatchstate != BATCH_CLOSED:
            try:
                await self._engine.idempotent(
                    "PUT", path, lane=lane, body={"warehousebatchstate": BATCH_CLOSED}
                )
            except BadRequest:
                # A repeated PUT after a lost answer finds the batch closed already.
                batch = await self.get_warehouse_batch(warehouseid, batchid, lane=lane)
                if batch.warehousebatchstate != BATCH_CLOSED:
                    raise
        batch = await self.get_warehouse_batch(warehouseid, batchid, lane=lane)
        return batch.warehousetransactionid
