"""Orders: creation, partial updates and state changes, deliveries, log items, reservations."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from service.sandbox.catalog import Catalog
from service.sandbox.clock import Clock, IdSequence
from service.sandbox.errors import bad_request, not_found
from service.sandbox.ledger import Ledger
from service.sandbox.movements import Movement, MovementBook
from service.sandbox.order_model import (
    HEADER_TEXT_FIELDS,
    STATE_NAMES,
    Delivery,
    Order,
    OrderItem,
    list_field,
    parse_payment,
    parse_reserved_payment,
)
from service.sandbox.pricing import line_amounts
from service.sandbox.stock import StockBook
from service.sandbox.values import (
    ORDER_ABANDONED,
    ORDER_CANCELLED,
    ORDER_OPEN,
    ORDER_STATES,
    ORDER_TYPES,
    PAYMENT_STATES,
    POSTABLE_LOG_TYPES,
    TX_SALES,
    ZERO,
    check_currency,
    check_external_id,
    check_string_map,
    parse_code,
    parse_int,
    parse_money,
    parse_optional_int,
    parse_optional_str,
    parse_str,
)


class OrderBook:
    """All orders of the account."""

    def __init__(
        self,
        *,
        clock: Clock,
        ids: IdSequence,
        ledger: Ledger,
        catalog: Catalog,
        stock: StockBook,
        movements: MovementBook,
        eshopid: int,
    ) -> None:
        self._clock = clock
        self._ids = ids
        self._ledger = ledger
        self._catalog = catalog
        self._stock = stock
        self._movements = movements
        self._eshopid = eshopid
        self.orders: dict[int, Order] = {}
        self._by_external: dict[str, int] = {}

    # --- reading -------------------------------------------------------------------------

    def get(self, orderid: int) -> Order:
        """An order by id, or 404."""
        try:
            return self.orders[orderid]
        except KeyError:
            raise not_found(f"Order {orderid} not found.") from None

    def by_externalid(self, externalid: str) -> Order | None:
        """The order with this externalid, if any."""
        orderid = self._by_external.get(externalid)
        return None if orderid is None else self.orders[orderid]

    # --- creating ------------------------------------------------------------------------

    def _item(self, index: int, raw: object) -> OrderItem:
        if not isinstance(raw, dict):
            raise bad_request("Invalid value in orderitems")
        productname = parse_str(raw.get("productname"), "productname")
        quantity = parse_int(raw.get("quantity"), "quantity")
        if quantity == 0:
            raise bad_request("Invalid field value 'quantity' should not be 0.")
        sku = parse_optional_str(raw.get("sku"), "sku")
        product = self._catalog.product(sku) if sku else None
        vat = raw.get("vatvalue")
        if vat is None:
            vatvalue = product.vatvalue if product else ZERO
        elif isinstance(vat, (int, float)) and not isinstance(vat, bool) and 0 <= vat < 100:  # noqa: PLR2004
            vatvalue = Decimal(str(vat))
        else:
            raise bad_request("Invalid field value 'vatvalue' should be number.")
        if "moneyrowprice" in raw:
            rowprice = parse_money(raw["moneyrowprice"], "moneyrowprice")
        else:
            rowprice = product.moneyprice * quantity if product else ZERO
        rowdiscount = (
            parse_money(raw["moneyrowdiscount"], "moneyrowdiscount")
            if raw.get("moneyrowdiscount") is not None
            else ZERO
        )
        return OrderItem(
            orderitemid=index,
            productname=productname,
            sku=sku,
            productid=product.productid if product else None,
            quantity=quantity,
            vatvalue=vatvalue,
            moneyrowprice=rowprice,
            moneyrowdiscount=rowdiscount,
            amounts=line_amounts(quantity, rowprice, rowdiscount, vatvalue),
            orderitemtype=parse_optional_int(raw.get("orderitemtype"), "orderitemtype") or 10,
            productattributes=parse_optional_str(raw.get("productattributes"), "x") or "",
            deliveryinfo=parse_optional_str(raw.get("deliveryinfo"), "deliveryinfo") or "",
            additionaldata=check_string_map(raw.get("additionaldata", {}), "additionaldata"),
        )

    def _check_externalid(self, value: object, *, own_orderid: int | None = None) -> str | None:
        if value is None:
            return None
        externalid = check_external_id(value)
        holder = self._by_external.get(externalid)
        if holder is not None and holder != own_orderid:
            raise bad_request(f"Order with externalid '{externalid}' already exists.")
        return externalid

    def _warehouse(self, value: object) -> int | None:
        warehouseid = parse_optional_int(value, "warehouseid")
        if warehouseid is not None:
            self._catalog.known_warehouse(warehouseid)
        return warehouseid

    def create(self, body: object) -> Order:
        """POST orders.json: validate everything, then store the order."""
        if not isinstance(body, dict):
            raise bad_request("Invalid value")
        if "ordertypeid" not in body:
            raise bad_request("Missing required field 'ordertypeid'.")
        ordertypeid = parse_code(body["ordertypeid"], "ordertypeid", ORDER_TYPES)
        state = parse_code(body.get("orderstateid", ORDER_OPEN), "orderstateid", ORDER_STATES)
        paystate = parse_code(body.get("paymentstateid", 0), "paymentstateid", PAYMENT_STATES)
        externalid = self._check_externalid(body.get("externalid"))
        items = [self._item(i, raw) for i, raw in enumerate(list_field(body, "orderitems"))]
        header = {
            name: parse_optional_str(body.get(name), name) or "" for name in HEADER_TEXT_FIELDS
        }
        currency = body.get("currencycode")
        order = Order(
            orderid=0,
            eshopid=self._eshopid,
            ordertypeid=ordertypeid,
            orderstateid=state,
            paymentstateid=paystate,
            orderdate=parse_optional_int(body.get("orderdate"), "orderdate") or self._clock.now(),
            currencycode=self._catalog.currency if currency is None else check_currency(currency),
            items=items,
            externalid=externalid,
            warehouseid=self._warehouse(body.get("warehouseid")),
            datereserved=parse_optional_int(body.get("datereserved"), "datereserved"),
            header=header,
            additionaldata=check_string_map(body.get("additionaldata", {}), "additionaldata"),
            payments=[parse_payment(p) for p in list_field(body, "payments")],
            reservedpayments=[
                parse_reserved_payment(p) for p in list_field(body, "reservedpayments")
            ],
        )
        order.orderid = self._ids.next("order", start=1001)
        order.logitems.append(self._log(order.orderid, 0))
        self.orders[order.orderid] = order
        if externalid is not None:
            self._by_external[externalid] = order.orderid
        self._sync_reservation(order)
        self._ledger.record(
            "order.create",
            order.key,
            orderid=order.orderid,
            orderstateid=state,
            paymentstateid=paystate,
            warehouseid=order.warehouseid,
            lines=[[item.sku, item.quantity] for item in items],
        )
        return order

    # --- updating ------------------------------------------------------------------------

    def _state_change(self, order: Order, value: object) -> int:
        new_state = parse_code(value, "orderstateid", ORDER_STATES)
        if new_state != order.orderstateid and order.orderstateid in STATE_NAMES:
            name = STATE_NAMES[order.orderstateid]
            raise bad_request(f"Order {order.orderid} is {name} and its state cannot change.")
        return new_state

    def _scalar_changes(self, order: Order, body: dict[str, Any]) -> dict[str, Any]:
        parsers: dict[str, Callable[[object], object]] = {
            "orderstateid": lambda v: self._state_change(order, v),
            "paymentstateid": lambda v: parse_code(v, "paymentstateid", PAYMENT_STATES),
            "ordertypeid": lambda v: parse_code(v, "ordertypeid", ORDER_TYPES),
            "externalid": lambda v: self._check_externalid(v, own_orderid=order.orderid),
            "warehouseid": self._warehouse,
            "datereserved": lambda v: parse_optional_int(v, "datereserved"),
            "currencycode": check_currency,
        }
        return {name: parse(body[name]) for name, parse in parsers.items() if name in body}

    def update(self, orderid: int, body: object) -> Order:
        """PUT an order: a partial update, validated as a whole before anything changes."""
        order = self.get(orderid)
        if not isinstance(body, dict):
            raise bad_request("Invalid value")
        if "orderitems" in body:
            raise bad_request("orderitems cannot be changed after the order is created.")
        changes = self._scalar_changes(order, body)
        header = {
            name: parse_optional_str(body[name], name) or ""
            for name in HEADER_TEXT_FIELDS
            if name in body
        }
        extra = check_string_map(body.get("additionaldata", {}), "additionaldata")
        lists: dict[str, list[dict[str, Any]]] = {}
        if "payments" in body:
            lists["payments"] = [parse_payment(p) for p in list_field(body, "payments")]
        if "reservedpayments" in body:
            raw = list_field(body, "reservedpayments")
            lists["reservedpayments"] = [parse_reserved_payment(p) for p in raw]
        # Everything validated: apply.
        if "externalid" in changes:
            if order.externalid is not None:
                self._by_external.pop(order.externalid, None)
            if changes["externalid"] is not None:
                self._by_external[changes["externalid"]] = orderid
        for name, value in {**changes, **lists}.items():
            setattr(order, name, value)
        order.header.update(header)
        order.additionaldata.update(extra)
        self._sync_reservation(order)
        self._ledger.record(
            "order.update", order.key, orderid=orderid, fields=sorted(body), **changes
        )
        return order

    def set_state(self, orderid: int, state: int) -> Order:
        """Change only the order state (used by store actions)."""
        return self.update(orderid, {"orderstateid": state})

    # --- reservations --------------------------------------------------------------------

    def _sync_reservation(self, order: Order) -> None:
        """Open orders with a future datereserved hold their undelivered units."""
        holds = (
            order.orderstateid == ORDER_OPEN
            and order.datereserved is not None
            and order.warehouseid is not None
        )
        quantities: dict[str, Decimal] = {}
        if holds:
            for item in order.items:
                if item.sku and item.quantity > 0:
                    quantities[item.sku] = quantities.get(item.sku, ZERO) + item.undelivered
        self._stock.reserve_for_order(
            order.orderid, order.warehouseid, quantities, order.datereserved or 0
        )

    # --- deliveries ----------------------------------------------------------------------

    def _delivery_lines(self, order: Order, raw_items: object) -> dict[int, int]:
        """{orderitemid: units} from orderdeliveryitems, checked against what is left."""
        if not isinstance(raw_items, list) or not raw_items:
            raise bad_request("Missing required field 'orderdeliveryitems'.")
        wanted: dict[int, int] = {}
        for raw in raw_items:
            if not isinstance(raw, dict):
                raise bad_request("Invalid value in orderdeliveryitems")
            item_id = parse_int(raw.get("orderitemid"), "orderitemid")
            quantity = parse_int(raw.get("quantity"), "quantity")
            if not 0 <= item_id < len(order.items):
                raise bad_request(f"Unknown orderitemid {item_id}.")
            if quantity <= 0:
                raise bad_request("Invalid field value 'quantity' should be positive.")
            wanted[item_id] = wanted.get(item_id, 0) + quantity
        for item_id, quantity in wanted.items():
            if quantity > order.items[item_id].undelivered:
                raise bad_request(
                    f"Quantity {quantity} exceeds what is left to deliver on orderitemid {item_id}."
                )
        return wanted

    def add_delivery(self, orderid: int, body: object, *, ignorestock: bool = False) -> Delivery:
        """POST orderdeliveries.json: deliver lines and move the stock (type 30)."""
        order = self.get(orderid)
        if not isinstance(body, dict):
            raise bad_request("Invalid value")
        if order.orderstateid in (ORDER_CANCELLED, ORDER_ABANDONED):
            raise bad_request(f"Order {orderid} is {STATE_NAMES[order.orderstateid]}.")
        if "warehouseid" not in body:
            raise bad_request("Missing required field 'warehouseid'.")
        warehouseid = parse_int(body["warehouseid"], "warehouseid")
        skip_stock = ignorestock or order.additionaldata.get("delivery-ignore-stock") == "true"
        if skip_stock:
            self._catalog.known_warehouse(warehouseid)
        else:
            self._movements.stock_warehouse(warehouseid)
        wanted = self._delivery_lines(order, body.get("orderdeliveryitems"))
        delivery = Delivery(
            orderdeliveryid=self._ids.next("orderdelivery"),
            orderid=orderid,
            warehouseid=warehouseid,
            orderdeliveryref=parse_optional_str(body.get("orderdeliveryref"), "orderdeliveryref")
            or "",
            datedelivery=self._clock.now(),
            lines=[],
        )
        movements = []
        for item_id, quantity in wanted.items():
            item = order.items[item_id]
            item.delivered += quantity
            delivery.lines.append((self._ids.next("orderdeliveryitem"), item_id, quantity))
            if item.sku:
                movements.append(Movement(item.sku, Decimal(-quantity), ZERO))
        order.deliveries.append(delivery)
        self._sync_reservation(order)
        transactionid = None
        if not skip_stock and movements:
            transaction = self._movements.commit(
                warehouseid, TX_SALES, movements, orderdeliveryid=delivery.orderdeliveryid
            )
            transactionid = transaction.warehousetransactionid
        self._ledger.record(
            "order.delivery",
            order.key,
            orderid=orderid,
            orderdeliveryid=delivery.orderdeliveryid,
            warehouseid=warehouseid,
            warehousetransactionid=transactionid,
            lines=[[k, v] for k, v in sorted(wanted.items())],
        )
        return delivery

    def deliver_all(self, orderid: int, warehouseid: int) -> Delivery | None:
        """Deliver every undelivered unit (what staff do at pick-up)."""
        order = self.get(orderid)
        lines = [
            {"orderitemid": item.orderitemid, "quantity": item.undelivered}
            for item in order.items
            if item.undelivered > 0
        ]
        if not lines:
            return None
        return self.add_delivery(orderid, {"warehouseid": warehouseid, "orderdeliveryitems": lines})

    # --- log items -----------------------------------------------------------------------

    def _log(
        self, orderid: int, logtype: int, strvalue: str | None = None, fvalue: float | None = None
    ) -> dict[str, Any]:
        return {
            "datelog": self._clock.now(),
            "orderid": orderid,
            "orderlogtypeid": logtype,
            "strvalue": strvalue,
            "fvalue": fvalue,
        }

    def add_log_item(self, orderid: int, body: object) -> dict[str, Any]:
        """POST orderlogitems.json: only 900 (ready for pick-up) and 910 (rejected)."""
        order = self.get(orderid)
        if not isinstance(body, dict):
            raise bad_request("Invalid value")
        logtype = parse_int(body.get("orderlogtypeid"), "orderlogtypeid")
        if logtype not in POSTABLE_LOG_TYPES:
            raise bad_request(f"orderlogtypeid {logtype} cannot be added; only 900 and 910 can.")
        fvalue = body.get("fvalue")
        if fvalue is not None and (
            isinstance(fvalue, bool) or not isinstance(fvalue, (int, float))
        ):
            raise bad_request("Invalid field value 'fvalue' should be number.")
        entry = self._log(
            orderid, logtype, parse_optional_str(body.get("strvalue"), "strvalue"), fvalue
        )
        order.logitems.append(entry)
        self._ledger.record("order.logitem", order.key, orderid=orderid, orderlogtypeid=logtype)
        return entry
