"""Warehouse transactions and warehouse batches: the only way stock moves on FIFO warehouses."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from service.sandbox.catalog import Catalog, Warehouse
from service.sandbox.clock import Clock, IdSequence
from service.sandbox.errors import bad_request, not_found
from service.sandbox.ledger import Ledger
from service.sandbox.movement_model import (
    BatchItem,
    TransactionLine,
    WarehouseBatch,
    WarehouseTransaction,
)
from service.sandbox.stock import StockBook
from service.sandbox.values import (
    BATCH_CLOSED,
    BATCH_OPEN,
    READ_ONLY_TX_TYPES,
    TX_STOCKTAKING,
    ZERO,
    format_quantity,
    parse_int,
    parse_money,
    parse_optional_int,
    parse_optional_str,
    parse_quantity,
    parse_str,
)


@dataclass(frozen=True)
class Movement:
    """A validated request to move stock: (sku, signed quantity, price in)."""

    sku: str
    quantity: Decimal
    price_in: Decimal


def stocktaking_delta(counted: Decimal, on_hand: Decimal) -> Decimal:
    """A stock count sets the level: the movement is counted minus on hand."""
    return counted - on_hand


class MovementBook:
    """Warehouse transactions (committed) and batches (staged)."""

    def __init__(
        self, clock: Clock, ids: IdSequence, ledger: Ledger, catalog: Catalog, stock: StockBook
    ) -> None:
        self._clock = clock
        self._ids = ids
        self._ledger = ledger
        self._catalog = catalog
        self._stock = stock
        self.transactions: list[WarehouseTransaction] = []
        self.batches: dict[int, WarehouseBatch] = {}

    def stock_warehouse(self, warehouseid: int) -> Warehouse:
        """A warehouse that accepts transactions (known and not virtual)."""
        warehouse = self._catalog.known_warehouse(warehouseid)
        if warehouse.is_virtual:
            raise bad_request(f"Transactions cannot be added to virtual warehouse {warehouseid}.")
        return warehouse

    def commit(
        self,
        warehouseid: int,
        transactiontype: int,
        movements: list[Movement],
        *,
        description: str = "",
        externalid: str | None = None,
        reasoncode: str | None = None,
        orderdeliveryid: int | None = None,
        stocktaking: bool = False,
    ) -> WarehouseTransaction:
        """Apply movements to stock and record one transaction (no validation here)."""
        lines: list[TransactionLine] = []
        now = self._clock.now()
        for move in movements:
            item = self._stock.move(warehouseid, move.sku, move.quantity, move.price_in)
            if stocktaking:
                item.datelaststocktaking = now
            lines.append(
                TransactionLine(
                    sku=move.sku,
                    decimalquantity=move.quantity,
                    decimaltotal=item.decimaltotal,
                    moneypricein=move.price_in,
                    moneytotal=item.moneytotal,
                )
            )
        transaction = WarehouseTransaction(
            warehousetransactionid=self._ids.next("warehousetransaction"),
            warehouseid=warehouseid,
            datecreated=now,
            transactiontype=transactiontype,
            description=description,
            items=lines,
            externalid=externalid,
            reasoncode=reasoncode,
            orderdeliveryid=orderdeliveryid,
        )
        self.transactions.append(transaction)
        self._ledger.record(
            "warehouse.transaction",
            externalid or f"warehousetransaction:{transaction.warehousetransactionid}",
            warehousetransactionid=transaction.warehousetransactionid,
            warehouseid=warehouseid,
            transactiontype=transactiontype,
            orderdeliveryid=orderdeliveryid,
            items=[line.to_json() for line in lines],
        )
        return transaction

    def add_from_request(self, body: object) -> WarehouseTransaction:
        """Validate and apply one element of a POST warehousetransactions.json."""
        if not isinstance(body, dict):
            raise bad_request("Invalid value")
        warehouseid = parse_int(body.get("warehouseid"), "warehouseid")
        transactiontype = parse_int(body.get("transactiontype"), "transactiontype")
        if transactiontype in READ_ONLY_TX_TYPES:
            raise bad_request(f"Transaction type {transactiontype} is read-only.")
        self.stock_warehouse(warehouseid)
        raw_items = body.get("items")
        if not isinstance(raw_items, list) or not raw_items:
            raise bad_request("Missing required field 'items'.")
        movements = []
        for raw in raw_items:
            if not isinstance(raw, dict):
                raise bad_request("Invalid value in items")
            sku = parse_str(raw.get("sku"), "sku")
            self._catalog.product(sku)
            quantity = parse_quantity(raw.get("decimalquantity"), "decimalquantity")
            price = raw.get("moneypricein")
            movements.append(
                Movement(
                    sku, quantity, ZERO if price is None else parse_money(price, "moneypricein")
                )
            )
        return self.commit(
            warehouseid,
            transactiontype,
            movements,
            description=parse_optional_str(body.get("description"), "description") or "",
            externalid=parse_optional_str(body.get("externalid"), "externalid"),
            reasoncode=parse_optional_str(body.get("reasoncode"), "reasoncode"),
        )

    def transaction(
        self, transactionid: int, warehouseid: int | None = None
    ) -> WarehouseTransaction:
        """One transaction by id (within a warehouse when given), or 404."""
        for tx in self.transactions:
            if tx.warehousetransactionid == transactionid and (
                warehouseid is None or tx.warehouseid == warehouseid
            ):
                return tx
        raise not_found(f"Warehouse transaction {transactionid} not found.")

    # --- batches -------------------------------------------------------------------------

    def open_batch(self, warehouseid: int, body: object) -> WarehouseBatch:
        """POST warehousebatches.json: stage a new batch."""
        self.stock_warehouse(warehouseid)
        if not isinstance(body, dict):
            raise bad_request("Invalid value")
        transactiontype = parse_int(body.get("transactiontype"), "transactiontype")
        batch = WarehouseBatch(
            warehousebatchid=self._ids.next("warehousebatch"),
            warehouseid=warehouseid,
            transactiontype=transactiontype,
            datecreated=self._clock.now(),
            emailowner=parse_optional_str(body.get("emailowner"), "emailowner") or "",
            comment=parse_optional_str(body.get("comment"), "comment") or "",
            externalid=parse_optional_str(body.get("externalid"), "externalid"),
            reasoncode=parse_optional_str(body.get("reasoncode"), "reasoncode"),
            shipmentid=parse_optional_int(body.get("shipmentid"), "shipmentid"),
        )
        self.batches[batch.warehousebatchid] = batch
        self._ledger.record(
            "warehousebatch.open",
            batch.externalid or f"warehousebatch:{batch.warehousebatchid}",
            warehousebatchid=batch.warehousebatchid,
            warehouseid=warehouseid,
            transactiontype=transactiontype,
        )
        return batch

    def batch(self, warehouseid: int, batchid: int) -> WarehouseBatch:
        """A batch of the warehouse, or 404."""
        batch = self.batches.get(batchid)
        if batch is None or batch.warehouseid != warehouseid:
            raise not_found(f"Warehouse batch {batchid} not found.")
        return batch

    def _open(self, warehouseid: int, batchid: int) -> WarehouseBatch:
        batch = self.batch(warehouseid, batchid)
        if batch.warehousebatchstate != BATCH_OPEN:
            raise bad_request(f"Warehouse batch {batchid} is closed.")
        return batch

    def put_batch_item(self, warehouseid: int, batchid: int, raw: object) -> BatchItem:
        """Add or replace one staged line (by SKU) of an open batch."""
        batch = self._open(warehouseid, batchid)
        if not isinstance(raw, dict):
            raise bad_request("Invalid value")
        sku = parse_str(raw.get("sku"), "sku")
        self._catalog.product(sku)
        quantity = parse_quantity(raw.get("decimalquantity", "0"), "decimalquantity")
        price = raw.get("moneypricein")
        existing = batch.items.get(sku)
        item = BatchItem(
            warehousebatchitemid=existing.warehousebatchitemid
            if existing
            else self._ids.next("warehousebatchitem"),
            sku=sku,
            warehouseitemid=self._stock.item(warehouseid, sku).warehouseitemid,
            decimalquantity=quantity,
            moneypricein=ZERO if price is None else parse_money(price, "moneypricein"),
            datemodified=self._clock.now(),
            emailowner=parse_optional_str(raw.get("emailowner"), "emailowner") or "",
            comment=parse_optional_str(raw.get("comment"), "comment"),
        )
        batch.items[sku] = item
        self._ledger.record(
            "warehousebatch.item",
            batch.externalid or f"warehousebatch:{batchid}",
            warehousebatchid=batchid,
            sku=sku,
            decimalquantity=format_quantity(quantity),
        )
        return item

    def delete_batch_item(self, warehouseid: int, batchid: int, raw: object) -> None:
        """Remove one staged line (by SKU) from an open batch."""
        batch = self._open(warehouseid, batchid)
        if not isinstance(raw, dict):
            raise bad_request("Invalid value")
        sku = parse_str(raw.get("sku"), "sku")
        if batch.items.pop(sku, None) is None:
            raise not_found(f"Sku '{sku}' is not in warehouse batch {batchid}.")

    def update_batch(self, warehouseid: int, batchid: int, body: object) -> None:
        """PUT a batch: change texts; state 20 commits exactly one transaction."""
        batch = self.batch(warehouseid, batchid)
        if not isinstance(body, dict):
            raise bad_request("Invalid value")
        state = parse_optional_int(body.get("warehousebatchstate"), "warehousebatchstate")
        if state not in (None, BATCH_OPEN, BATCH_CLOSED):
            raise bad_request(f"Invalid value {state} for 'warehousebatchstate'.")
        if batch.warehousebatchstate == BATCH_CLOSED:
            raise bad_request(f"Warehouse batch {batchid} is closed.")
        for name in ("emailowner", "comment"):
            if name in body:
                setattr(batch, name, parse_optional_str(body[name], name) or "")
        if state == BATCH_CLOSED:
            self.close_batch(batch)

    def close_batch(self, batch: WarehouseBatch) -> WarehouseTransaction:
        """Commit the staged lines as one transaction and close the batch."""
        stocktaking = batch.transactiontype == TX_STOCKTAKING
        movements = []
        for item in batch.items.values():
            quantity = item.decimalquantity
            if stocktaking:
                on_hand = self._stock.item(batch.warehouseid, item.sku).decimaltotal
                quantity = stocktaking_delta(item.decimalquantity, on_hand)
            movements.append(Movement(item.sku, quantity, item.moneypricein))
        transaction = self.commit(
            batch.warehouseid,
            batch.transactiontype,
            movements,
            description=batch.comment,
            externalid=batch.externalid,
            reasoncode=batch.reasoncode,
            stocktaking=stocktaking,
        )
        batch.warehousebatchstate = BATCH_CLOSED
        batch.warehousetransactionid = transaction.warehousetransactionid
        self._ledger.record(
            "warehousebatch.close",
            batch.externalid or f"warehousebatch:{batch.warehousebatchid}",
            warehousebatchid=batch.warehousebatchid,
            warehousetransactionid=transaction.warehousetransactionid,
        )
        return transaction
