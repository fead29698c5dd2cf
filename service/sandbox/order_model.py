"""Stored orders, their lines and deliveries, and how Sitoo shows them."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from service.sandbox.errors import bad_request
from service.sandbox.pricing import LineAmounts, order_totals
from service.sandbox.values import (
    ORDER_ABANDONED,
    ORDER_CANCELLED,
    ORDER_CLOSED,
    ZERO,
    check_string_map,
    format_money,
    format_quantity,
    parse_money,
    parse_optional_str,
    parse_str,
)

HEADER_TEXT_FIELDS = (
    "email",
    "namefirst",
    "namelast",
    "personalid",
    "company",
    "phone",
    "invoice_address",
    "invoice_address2",
    "invoice_zip",
    "invoice_city",
    "invoice_state",
    "invoice_countryid",
    "delivery_address",
    "delivery_address2",
    "delivery_zip",
    "delivery_city",
    "delivery_state",
    "delivery_countryid",
    "comment",
    "commentinternal",
    "customerref",
    "checkoutref",
)
STATE_NAMES = {ORDER_CLOSED: "closed", ORDER_CANCELLED: "cancelled", ORDER_ABANDONED: "abandoned"}


@dataclass
class OrderItem:
    """One stored order line."""

    orderitemid: int
    productname: str
    sku: str | None
    productid: int | None
    quantity: int
    vatvalue: Decimal
    moneyrowprice: Decimal
    moneyrowdiscount: Decimal
    amounts: LineAmounts
    orderitemtype: int = 10
    productattributes: str = ""
    deliveryinfo: str = ""
    additionaldata: dict[str, str] = field(default_factory=dict)
    delivered: int = 0

    @property
    def undelivered(self) -> int:
        """Units not yet delivered."""
        return max(abs(self.quantity) - self.delivered, 0)

    def to_json(self) -> dict[str, Any]:
        """The line as Sitoo returns it inside an order."""
        extra = dict(self.additionaldata)
        if self.moneyrowdiscount != ZERO:
            extra.setdefault("orderitem-moneyrowdiscount", format_money(self.moneyrowdiscount))
        a = self.amounts
        return {
            "orderitemid": self.orderitemid,
            "orderitemtype": self.orderitemtype,
            "productid": self.productid,
            "productname": self.productname,
            "sku": self.sku,
            "productattributes": self.productattributes,
            "externalinput": "",
            "externalinputtitle": "",
            "unitlabel": "",
            "quantity": self.quantity,
            "decimalunitquantity": None,
            "moneynetpriceperunit": format_money(a.net_per_unit),
            "moneypriceorg": "0.00",
            "vatvalue": float(self.vatvalue),
            "deliveryinfo": self.deliveryinfo,
            "moneyitemtotal_net": format_money(a.item_net),
            "moneyitemtotal_vat": format_money(a.item_vat),
            "voucherid": 0,
            "vouchercode": "",
            "vouchername": "",
            "moneyoriginalprice": format_money(a.original_per_unit),
            "moneydiscountedprice": format_money(a.discounted_per_unit),
            "moneydiscount": format_money(a.discount_per_unit),
            "salestaxes": [],
            "additionaldata": extra,
            "decimalquantitytotal": format_quantity(Decimal(self.quantity)),
            "moneynetpriceperquantity": format_money(a.net_per_unit),
            "moneyrowprice": format_money(self.moneyrowprice),
            "moneyrowdiscount": format_money(self.moneyrowdiscount),
        }


@dataclass
class Delivery:
    """A registered delivery of order lines from a warehouse."""

    orderdeliveryid: int
    orderid: int
    warehouseid: int
    orderdeliveryref: str
    datedelivery: int
    lines: list[tuple[int, int, int]]  # (orderdeliveryitemid, orderitemid, quantity)

    def to_json(self) -> dict[str, Any]:
        """The delivery as Sitoo returns it."""
        return {
            "orderdeliveryid": self.orderdeliveryid,
            "orderid": self.orderid,
            "warehouseid": self.warehouseid,
            "orderdeliveryref": self.orderdeliveryref,
            "datedelivery": self.datedelivery,
            "datecancelled": None,
            "pluginname": "",
            "orderdeliveryitems": [
                {
                    "orderdeliveryitemid": item_id,
                    "orderdeliveryid": self.orderdeliveryid,
                    "orderitemid": orderitemid,
                    "quantity": quantity,
                }
                for item_id, orderitemid, quantity in self.lines
            ],
        }


@dataclass
class Order:
    """A stored order."""

    orderid: int
    eshopid: int
    ordertypeid: int
    orderstateid: int
    paymentstateid: int
    orderdate: int
    currencycode: str
    items: list[OrderItem]
    externalid: str | None = None
    warehouseid: int | None = None
    datereserved: int | None = None
    header: dict[str, str] = field(default_factory=dict)
    additionaldata: dict[str, str] = field(default_factory=dict)
    payments: list[dict[str, Any]] = field(default_factory=list)
    reservedpayments: list[dict[str, Any]] = field(default_factory=list)
    logitems: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def key(self) -> str:
        """The natural key the ledger uses: externalid when there is one."""
        return self.externalid or f"order:{self.orderid}"

    def to_json(self, *, with_log: bool = True) -> dict[str, Any]:
        """The order as Sitoo returns it."""
        totals = order_totals([item.amounts for item in self.items])
        body: dict[str, Any] = {
            "orderid": self.orderid,
            "eshopid": self.eshopid,
            "externalid": self.externalid,
            "creditorderid": None,
            "checkouttypeid": 0,
            "deliverytypeid": 0,
        }
        body.update({name: self.header.get(name, "") for name in HEADER_TEXT_FIELDS})
        body.update(
            {
                "moneytotal_net": format_money(totals.net),
                "moneytotal_vat": format_money(totals.vat),
                "moneycheckout_net": "0.00",
                "moneycheckout_vat": "0.00",
                "moneytotal_gross_checkout": "0.00",
                "moneydelivery_net": "0.00",
                "moneydelivery_vat": "0.00",
                "moneytotal_gross_delivery": "0.00",
                "moneyfinal_net": format_money(totals.net),
                "moneyfinal_vat": format_money(totals.vat),
                "moneyfinal_salestax": "0.00",
                "moneytotal_gross_roundoff": "0.00",
                "moneytotal_gross_all": format_money(totals.gross),
                "checkouttypename": "",
                "checkoutmethodid": 0,
                "checkoutmethodsubid": 0,
                "deliverytypename": "",
                "orderdate": self.orderdate,
                "orderstateid": self.orderstateid,
                "paymentstateid": self.paymentstateid,
                "ordertypeid": self.ordertypeid,
                "userid_staff": None,
                "registerid": None,
                "warehouseid": self.warehouseid,
                "datereserved": self.datereserved,
                "currencycode": self.currencycode,
                "additionaldata": dict(self.additionaldata),
                "orderitems": [item.to_json() for item in self.items],
                "payments": [dict(p) for p in self.payments],
                "reservedpayments": [dict(p) for p in self.reservedpayments],
            }
        )
        if with_log:
            body["orderlogitems"] = [
                {k: v for k, v in log.items() if k != "orderid"} for log in self.logitems
            ]
        return body


def parse_payment(raw: object) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise bad_request("Invalid value in payments")
    payment: dict[str, Any] = {
        "name": parse_str(raw.get("name"), "name"),
        "moneyamount": format_money(parse_money(raw.get("moneyamount"), "moneyamount")),
    }
    for name in ("externalid", "reftype", "refid", "cardissuer", "reservedpaymentid"):
        payment[name] = parse_optional_str(raw.get(name), name) or ""
    payment["additionaldata"] = check_string_map(raw.get("additionaldata", {}), "additionaldata")
    return payment


def parse_reserved_payment(raw: object) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise bad_request("Invalid value in reservedpayments")
    payment: dict[str, Any] = {
        "id": parse_str(raw.get("id"), "id"),
        "name": parse_str(raw.get("name"), "name"),
        "moneyreserved": format_money(parse_money(raw.get("moneyreserved"), "moneyreserved")),
    }
    for name in ("externalid", "reftype", "refid", "cardissuer"):
        payment[name] = parse_optional_str(raw.get(name), name) or ""
    payment["additionaldata"] = check_string_map(raw.get("additionaldata", {}), "additionaldata")
    return payment


def list_field(body: dict[str, Any], name: str) -> list[Any]:
    value = body.get(name, [])
    if not isinstance(value, list):
        raise bad_request(f"Invalid field value '{name}' should be array.")
    return value
