"""Pydantic models of Sitoo orders and gift cards; the other resources are re-exported here."""

from __future__ import annotations

import enum
from decimal import Decimal

from pydantic import BaseModel, Field

from service.sitoo.catalog_models import (
    NewWarehouseTransaction,
    NewWarehouseTransactionItem,
    Product,
    Site,
    Store,
    Warehouse,
    WarehouseBatch,
    WarehouseBatchItemIn,
    WarehouseItem,
    WarehouseItemLevel,
    WarehouseTransaction,
    WarehouseTransactionItem,
)
from service.sitoo.model_base import Page, Payload, Resource
from service.sitoo.money import Money, Percent, Quantity


class OrderState(enum.IntEnum):
    """Sitoo ``orderstateid``."""

    ABANDONED = -1
    OPEN = 0
    CLOSED = 10
    CANCELLED = 20


class PaymentState(enum.IntEnum):
    """Sitoo ``paymentstateid``."""

    NONE = 0
    PENDING = 10
    RESERVED = 15
    SUCCESSFUL = 20
    CANCELLED = 30
    FAILED = 40


class OrderLogType(enum.IntEnum):
    """The only order log item types Sitoo lets us post."""

    READY_FOR_PICKUP = 900
    PICKUP_REJECTED = 910


class OrderItem(Resource):
    """A line of a stored order."""

    orderitemid: int | None = None
    sku: str | None = None
    productname: str | None = None
    quantity: int | None = None
    decimalunitquantity: Quantity | None = None
    moneyrowprice: Money | None = None
    moneyrowdiscount: Money | None = None
    vatvalue: Decimal | None = None
    orderitemtype: int | None = None
    additionaldata: dict[str, str] | None = None


class OrderPayment(Resource):
    """A payment recorded on an order."""

    name: str | None = None
    moneyamount: Money | None = None
    externalid: str | None = None
    additionaldata: dict[str, str] | None = None


class OrderCustomer(BaseModel):
    """The customer, invoice and delivery fields orders share when read and when written."""

    email: str | None = None
    namefirst: str | None = None
    namelast: str | None = None
    phone: str | None = None
    company: str | None = None
    invoice_address: str | None = None
    invoice_address2: str | None = None
    invoice_zip: str | None = None
    invoice_city: str | None = None
    invoice_state: str | None = None
    invoice_countryid: str | None = None
    delivery_address: str | None = None
    delivery_address2: str | None = None
    delivery_zip: str | None = None
    delivery_city: str | None = None
    delivery_state: str | None = None
    delivery_countryid: str | None = None


class Order(Resource, OrderCustomer):
    """An order as Sitoo stores it."""

    orderid: int | None = None
    externalid: str | None = None
    eshopid: int | None = None
    ordertypeid: int | None = None
    orderstateid: int | None = None
    paymentstateid: int | None = None
    orderdate: int | None = None
    datereserved: int | None = None
    warehouseid: int | None = None
    currencycode: str | None = None
    comment: str | None = None
    additionaldata: dict[str, str] | None = None
    orderitems: list[OrderItem] | None = None
    payments: list[OrderPayment] | None = None


class NewOrderItem(Payload):
    """A line of an order to create."""

    productname: str
    quantity: int
    sku: str | None = None
    moneyrowprice: Money | None = None
    moneyrowdiscount: Money | None = None
    vatvalue: Percent | None = None
    orderitemtype: int | None = None
    decimalunitquantity: Quantity | None = None
    additionaldata: dict[str, str] | None = None


class NewPayment(Payload):
    """A payment to record on a new order."""

    name: str
    moneyamount: Money
    externalid: str | None = None
    reftype: str | None = None
    refid: str | None = None
    additionaldata: dict[str, str] | None = None


class NewReservedPayment(Payload):
    """An authorised, not yet captured payment on a new order (paymentstateid 15)."""

    id: str = Field(min_length=1)
    name: str
    moneyreserved: Money
    externalid: str | None = None
    reftype: str | None = None
    refid: str | None = None
    cardissuer: str | None = None
    additionaldata: dict[str, str] | None = None


class NewOrder(Payload, OrderCustomer):
    """An order to create; ``externalid`` is its natural key and is required."""

    externalid: str = Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")
    ordertypeid: int = 10
    orderstateid: int | None = None
    paymentstateid: int | None = None
    warehouseid: int | None = None
    orderdate: int | None = None
    datereserved: int | None = None
    currencycode: str | None = None
    comment: str | None = None
    customerref: str | None = None
    checkoutref: str | None = None
    additionaldata: dict[str, str] | None = None
    orderitems: list[NewOrderItem] = Field(default_factory=list)
    payments: list[NewPayment] | None = None
    reservedpayments: list[NewReservedPayment] | None = None


class OrderUpdate(Payload):
    """A partial order update (absolute values only, so repeating it is harmless)."""

    orderstateid: int | None = None
    paymentstateid: int | None = None
    datereserved: int | None = None
    comment: str | None = None
    commentinternal: str | None = None
    additionaldata: dict[str, str] | None = None


class OrderDeliveryItem(Resource):
    """Quantity of one order line in a delivery."""

    orderitemid: int | None = None
    quantity: int | None = None


class OrderDelivery(Resource):
    """A delivery registered on an order."""

    orderdeliveryid: int | None = None
    orderid: int | None = None
    warehouseid: int | None = None
    orderdeliveryref: str | None = None
    datedelivery: int | None = None
    datecancelled: int | None = None
    orderdeliveryitems: list[OrderDeliveryItem] | None = None


class NewOrderDeliveryItem(Payload):
    """One order line leaving the warehouse."""

    orderitemid: int
    quantity: int


class NewOrderDelivery(Payload):
    """A delivery to register; ``orderdeliveryref`` is filled from the operation key if unset."""

    warehouseid: int
    orderdeliveryitems: list[NewOrderDeliveryItem]
    orderdeliveryref: str | None = None


class OrderLogItem(Resource):
    """An entry of an order's log."""

    datelog: int | None = None
    orderid: int | None = None
    orderlogtypeid: int | None = None
    strvalue: str | None = None
    fvalue: float | None = None


class GiftCardTransaction(Resource):
    """A load or redemption on a gift card."""

    transactionid: str | None = None
    date: int | None = None
    moneyamount: Money | None = None
    merchant_reference: str | None = None
    staff_reference: str | None = None
    transaction_reference: str | None = None


class GiftCard(Resource):
    """A gift card with its balance and history."""

    cardnumber: str | None = None
    cardnumber_display: str | None = None
    type: str | None = None
    currencycode: str | None = None
    moneyamount: Money | None = None
    redeemable: bool | None = None
    requirespin: bool | None = None
    date_created: int | None = None
    date_expires: int | None = None
    transactions: list[GiftCardTransaction] | None = None


class GiftCardTransactionIn(Payload):
    """A load (positive) or redemption (negative) to add to a card.

    ``transaction_reference`` is set by the client from the operation key.
    """

    moneyamount: Money
    merchant_reference: str | None = None
    staff_reference: str | None = None
    transaction_reference: str | None = None


class NewGiftCard(Payload):
    """A gift card to issue; without ``cardnumber`` one is derived from the operation key."""

    type: str = "giftcard"
    currencycode: str
    cardnumber: str | None = None
    transactions: list[GiftCardTransactionIn] = Field(default_factory=list)


class GiftCardResult(Resource):
    """The answer to an issue or a transaction: the card and the ids of what was added."""

    giftcard: GiftCard | None = None
    addedtransactionids: list[str] = Field(default_factory=list)
    receipttext: str | None = None
    print_voucher: bool | None = None
    print_pin: str | None = None


__all__ = [
    "GiftCard",
    "GiftCardResult",
    "GiftCardTransaction",
    "GiftCardTransactionIn",
    "NewGiftCard",
    "NewOrder",
    "NewOrderDelivery",
    "NewOrderDeliveryItem",
    "NewOrderItem",
    "NewPayment",
    "NewReservedPayment",
    "NewWarehouseTransaction",
    "NewWarehouseTransactionItem",
    "Order",
    "OrderCustomer",
    "OrderDelivery",
    "OrderDeliveryItem",
    "OrderItem",
    "OrderLogItem",
    "OrderLogType",
    "OrderPayment",
    "OrderState",
    "OrderUpdate",
    "Page",
    "Payload",
    "PaymentState",
    "Product",
    "Resource",
    "Site",
    "Store",
    "Warehouse",
    "WarehouseBatch",
    "WarehouseBatchItemIn",
    "WarehouseItem",
    "WarehouseItemLevel",
    "WarehouseTransaction",
    "WarehouseTransactionItem",
]
