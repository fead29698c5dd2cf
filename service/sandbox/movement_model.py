"""Warehouse transactions, batches and their lines as Sitoo shows them."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from service.sandbox.values import BATCH_OPEN, format_money, format_quantity


@dataclass(frozen=True)
class TransactionLine:
    """One SKU's movement in a transaction, with the total after it."""

    sku: str
    decimalquantity: Decimal
    decimaltotal: Decimal
    moneypricein: Decimal
    moneytotal: Decimal

    def to_json(self) -> dict[str, Any]:
        """The line as Sitoo returns it."""
        return {
            "decimalquantity": format_quantity(self.decimalquantity),
            "decimaltotal": format_quantity(self.decimaltotal),
            "moneypricein": format_money(self.moneypricein),
            "moneytotal": format_money(self.moneytotal),
            "moneyvalue": format_money(self.decimalquantity * self.moneypricein),
            "sku": self.sku,
        }


@dataclass
class WarehouseTransaction:
    """A committed stock movement in one warehouse."""

    warehousetransactionid: int
    warehouseid: int
    datecreated: int
    transactiontype: int
    description: str
    items: list[TransactionLine]
    externalid: str | None = None
    reasoncode: str | None = None
    orderdeliveryid: int | None = None
    shipmentid: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The transaction as Sitoo returns it."""
        return {
            "warehousetransactionid": self.warehousetransactionid,
            "warehouseid": self.warehouseid,
            "datecreated": self.datecreated,
            "transactiontype": self.transactiontype,
            "description": self.description,
            "orderdeliveryid": self.orderdeliveryid,
            "shipmentid": self.shipmentid,
            "externalid": self.externalid,
            "reasoncode": self.reasoncode,
            "items": [line.to_json() for line in self.items],
        }


@dataclass
class BatchItem:
    """A staged line of an open batch."""

    warehousebatchitemid: int
    sku: str
    warehouseitemid: int
    decimalquantity: Decimal
    moneypricein: Decimal
    datemodified: int
    emailowner: str = ""
    comment: str | None = None


@dataclass
class WarehouseBatch:
    """Staged stock changes committed as one transaction when closed."""

    warehousebatchid: int
    warehouseid: int
    transactiontype: int
    datecreated: int
    warehousebatchstate: int = BATCH_OPEN
    warehousetransactionid: int | None = None
    emailowner: str = ""
    comment: str = ""
    externalid: str | None = None
    reasoncode: str | None = None
    shipmentid: int | None = None
    items: dict[str, BatchItem] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The batch header as Sitoo returns it."""
        return {
            "warehousebatchid": self.warehousebatchid,
            "warehouseid": self.warehouseid,
            "warehousetransactionid": self.warehousetransactionid,
            "transactiontype": self.transactiontype,
            "datecreated": self.datecreated,
            "warehousebatchstate": self.warehousebatchstate,
            "emailowner": self.emailowner,
            "comment": self.comment,
            "shipmentid": self.shipmentid,
            "externalid": self.externalid,
            "reasoncode": self.reasoncode,
        }

    def item_json(self, item: BatchItem) -> dict[str, Any]:
        """One batch item as Sitoo returns it."""
        return {
            "warehousebatchitemid": item.warehousebatchitemid,
            "warehousebatchid": self.warehousebatchid,
            "warehouseitemid": item.warehouseitemid,
            "datemodified": item.datemodified,
            "decimalquantity": format_quantity(item.decimalquantity),
            "moneypricein": format_money(item.moneypricein),
            "emailowner": item.emailowner,
            "comment": item.comment,
            "sku": item.sku,
        }
