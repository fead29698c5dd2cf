"""Sites, stores, warehouses and products: the mostly static part of the sandbox's state."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from service.sandbox.clock import Clock, IdSequence
from service.sandbox.errors import bad_request, not_found
from service.sandbox.values import WAREHOUSE_FIFO, WAREHOUSE_VIRTUAL, format_money


@dataclass
class Store:
    """A physical (or online) store."""

    storeid: int
    name: str
    storetype: int = 10
    externalid: str | None = None
    city: str = ""
    address: str = ""

    def to_json(self, eshopid: int) -> dict[str, Any]:
        """The store as Sitoo returns it."""
        return {
            "storeid": self.storeid,
            "eshopid": eshopid,
            "storetype": self.storetype,
            "name": self.name,
            "externalid": self.externalid,
            "externalgroupid": None,
            "phone": None,
            "email": None,
            "address": self.address,
            "address2": "",
            "zip": "",
            "city": self.city,
            "state": "",
            "countryid": "se",
            "latitude": None,
            "longitude": None,
            "nearby_stores": [],
            "usetype_movein": 10,
            "usetype_moveout": 20,
            "usetype_manualin": None,
            "usetype_manualout": None,
            "usetype_shipmentin": None,
            "usetype_shipmentout": None,
            "tags": [],
        }


@dataclass
class Warehouse:
    """A FIFO (10) or virtual (20) warehouse, optionally attached to a store."""

    warehouseid: int
    name: str
    warehousetype: int = WAREHOUSE_FIFO
    usetype: int = 10
    storeid: int | None = None
    sellable: bool = True
    currencycode: str = "SEK"
    externalid: str | None = None

    @property
    def is_virtual(self) -> bool:
        """Stock is set directly here instead of moved by transactions."""
        return self.warehousetype == WAREHOUSE_VIRTUAL

    def to_json(self) -> dict[str, Any]:
        """The warehouse as Sitoo returns it."""
        return {
            "warehouseid": self.warehouseid,
            "warehousetype": self.warehousetype,
            "usetype": self.usetype,
            "storeid": self.storeid,
            "sellable": self.sellable,
            "currencycode": self.currencycode,
            "name": self.name,
            "address": "",
            "address2": "",
            "zip": "",
            "city": "",
            "state": "",
            "countryid": None,
            "externalid": self.externalid,
        }


@dataclass
class Product:
    """A sellable SKU; moneyprice includes VAT."""

    productid: int
    sku: str
    title: str
    moneyprice: Decimal
    vatvalue: Decimal = Decimal(25)
    datecreated: int = 0
    datemodified: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The product as Sitoo returns it (the commonly requested fields)."""
        return {
            "productid": self.productid,
            "sku": self.sku,
            "title": self.title,
            "moneyprice": format_money(self.moneyprice),
            "moneypriceorg": "0.00",
            "moneypricein": "0.00",
            "vatvalue": float(self.vatvalue),
            "variantparentid": None,
            "activepos": True,
            "allowdecimals": False,
            "stockcountenable": True,
            "barcode": None,
            "barcodealiases": [],
            "unitlabel": "",
            "datecreated": self.datecreated,
            "datemodified": self.datemodified,
            **self.extra,
        }


class Catalog:
    """Stores, warehouses and products of the one site."""

    def __init__(self, clock: Clock, ids: IdSequence, *, currency: str) -> None:
        self._clock = clock
        self._ids = ids
        self.currency = currency
        self.stores: dict[int, Store] = {}
        self.warehouses: dict[int, Warehouse] = {}
        self.products: dict[str, Product] = {}
        self.product_order: list[Product] = []

    def add_store(self, name: str, *, externalid: str | None = None, city: str = "") -> Store:
        """Create a store with the next store id."""
        store = Store(storeid=self._ids.next("store"), name=name, externalid=externalid, city=city)
        self.stores[store.storeid] = store
        return store

    def add_warehouse(
        self,
        name: str,
        *,
        warehousetype: int = WAREHOUSE_FIFO,
        storeid: int | None = None,
        usetype: int = 10,
        sellable: bool = True,
        externalid: str | None = None,
    ) -> Warehouse:
        """Create a warehouse with the next warehouse id."""
        if storeid is not None and storeid not in self.stores:
            raise bad_request(f"Unknown storeid {storeid}.")
        warehouse = Warehouse(
            warehouseid=self._ids.next("warehouse"),
            name=name,
            warehousetype=warehousetype,
            usetype=usetype,
            storeid=storeid,
            sellable=sellable,
            currencycode=self.currency,
            externalid=externalid,
        )
        self.warehouses[warehouse.warehouseid] = warehouse
        return warehouse

    def add_product(
        self, sku: str, title: str, moneyprice: Decimal, vatvalue: Decimal = Decimal(25)
    ) -> Product:
        """Create a product; the SKU must be new on this site."""
        if sku in self.products:
            raise bad_request(f"Product with sku '{sku}' already exists.")
        now = self._clock.now()
        product = Product(
            productid=self._ids.next("product"),
            sku=sku,
            title=title,
            moneyprice=moneyprice,
            vatvalue=vatvalue,
            datecreated=now,
            datemodified=now,
        )
        self.products[sku] = product
        self.product_order.append(product)
        return product

    def store(self, storeid: int) -> Store:
        """A store by id, or 404."""
        try:
            return self.stores[storeid]
        except KeyError:
            raise not_found(f"Store {storeid} not found.") from None

    def warehouse(self, warehouseid: int) -> Warehouse:
        """A warehouse by id, or 404."""
        try:
            return self.warehouses[warehouseid]
        except KeyError:
            raise not_found(f"Warehouse {warehouseid} not found.") from None

    def known_warehouse(self, warehouseid: int) -> Warehouse:
        """A warehouse named in a request body: unknown ones are a 400, not a 404."""
        try:
            return self.warehouses[warehouseid]
        except KeyError:
            raise bad_request(f"Unknown warehouseid {warehouseid}.") from None

    def product(self, sku: str) -> Product:
        """A product named in a request body, or 400 naming the unknown sku."""
        try:
            return self.products[sku]
        except KeyError:
            raise bad_request(f"Unknown sku '{sku}'.") from None

    def warehouses_of_store(self, storeid: int) -> list[Warehouse]:
        """The warehouses attached to a store, sellable ones first."""
        found = [w for w in self.warehouses.values() if w.storeid == storeid]
        return sorted(found, key=lambda w: (not w.sellable, w.warehouseid))
