"""Read and write models of Sitoo warehouses, stock movements, products, stores and sites."""

from __future__ import annotations

from decimal import Decimal

from service.sitoo.model_base import Payload, Resource
from service.sitoo.money import Money, Quantity


class Warehouse(Resource):
    """A warehouse; ``warehousetype`` 20 is virtual."""

    warehouseid: int | None = None
    warehousetype: int | None = None
    usetype: int | None = None
    storeid: int | None = None
    sellable: bool | None = None
    currencycode: str | None = None
    name: str | None = None
    externalid: str | None = None


class WarehouseItem(Resource):
    """Stock of one SKU in one warehouse."""

    warehouseitemid: int | None = None
    warehouseid: int | None = None
    sku: str | None = None
    binlocation: str | None = None
    decimalthreshold: Quantity | None = None
    decimaltotal: Quantity | None = None
    decimalreserved: Quantity | None = None
    decimalavailable: Quantity | None = None
    moneytotal: Money | None = None
    datelastmodified: int | None = None
    datelaststocktaking: int | None = None


class WarehouseItemLevel(Payload):
    """An absolute stock level for a SKU in a virtual warehouse."""

    sku: str
    decimaltotal: Quantity | None = None
    moneytotal: Money | None = None
    binlocation: str | None = None
    decimalthreshold: Quantity | None = None


class WarehouseTransactionItem(Resource):
    """One SKU's delta in a warehouse transaction."""

    sku: str | None = None
    decimalquantity: Quantity | None = None
    moneypricein: Money | None = None


class WarehouseTransaction(Resource):
    """A stock movement in a FIFO warehouse."""

    warehousetransactionid: int | None = None
    warehouseid: int | None = None
    datecreated: int | None = None
    transactiontype: int | None = None
    description: str | None = None
    orderdeliveryid: int | None = None
    externalid: str | None = None
    reasoncode: str | None = None
    items: list[WarehouseTransactionItem] | None = None


class NewWarehouseTransactionItem(Payload):
    """A signed quantity change for one SKU."""

    sku: str
    decimalquantity: Quantity
    moneypricein: Money | None = None


class NewWarehouseTransaction(Payload):
    """A stock movement to post; ``externalid`` is set from the operation key."""

    warehouseid: int
    transactiontype: int
    items: list[NewWarehouseTransactionItem]
    description: str | None = None
    reasoncode: str | None = None
    externalid: str | None = None


class WarehouseBatch(Resource):
    """A staged set of stock changes; state 10 open, 20 closed."""

    warehousebatchid: int | None = None
    warehouseid: int | None = None
    warehousetransactionid: int | None = None
    transactiontype: int | None = None
    warehousebatchstate: int | None = None
    datecreated: int | None = None
    comment: str | None = None
    externalid: str | None = None
    reasoncode: str | None = None


class WarehouseBatchItemIn(Payload):
    """One SKU in a warehouse batch (a delta, or the counted level for stock-taking)."""

    sku: str
    decimalquantity: Quantity
    moneypricein: Money | None = None
    comment: str | None = None


class Product(Resource):
    """The product fields the sync needs."""

    productid: int | None = None
    sku: str | None = None
    title: str | None = None
    variantparentid: int | None = None
    moneyprice: Money | None = None
    vatvalue: Decimal | None = None
    activepos: bool | None = None
    barcode: str | None = None
    datemodified: int | None = None


class Store(Resource):
    """A physical or online store."""

    storeid: int | None = None
    eshopid: int | None = None
    storetype: int | None = None
    name: str | None = None
    externalid: str | None = None


class Site(Resource):
    """A webshop site; ``eshopid`` is the id used in paths."""

    eshopid: int | None = None
    siteurl: str | None = None
