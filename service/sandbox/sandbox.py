"""The sandbox's whole state and everything tests, benchmarks and the admin API can do to it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from service.sandbox import seed as seeds
from service.sandbox.catalog import Catalog, Product, Store, Warehouse
from service.sandbox.clock import Clock, IdSequence
from service.sandbox.config import FaultConfig, SandboxConfig
from service.sandbox.counters import RequestCounters
from service.sandbox.errors import bad_request
from service.sandbox.faults import FaultPlan
from service.sandbox.giftcards import GiftCard, GiftCardBook
from service.sandbox.ledger import Ledger, LedgerEntry
from service.sandbox.movements import MovementBook
from service.sandbox.order_model import Order
from service.sandbox.orders import OrderBook
from service.sandbox.stock import StockBook
from service.sandbox.store_actions import StoreActions
from service.sandbox.violations import RequestViolations


class Sandbox:
    """One Sitoo account with one site: state books, ledger, clock, counters and faults."""

    def __init__(self, config: SandboxConfig, *, now: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clock = Clock(now)
        self.counters = RequestCounters()
        # Like the counters, kept across reset: only clearing them forgets a violation.
        self.violations = RequestViolations(self.clock)
        self.fault_plan = FaultPlan(config.faults)
        self.staff = StoreActions(self)
        self.reset(config.seed)

    # --- lifecycle -----------------------------------------------------------------------

    def reset(self, seed: str = "demo") -> None:
        """Throw all state away (ids and ledger included) and load a seed: demo or empty."""
        if seed not in seeds.SEEDS:
            raise bad_request(f"Unknown seed '{seed}'; use one of {sorted(seeds.SEEDS)}.")
        cfg = self.config
        self.clock.set_offset(0)
        self.ids = IdSequence()
        self.ledger = Ledger(self.clock)
        self.catalog = Catalog(self.clock, self.ids, currency=cfg.currency)
        self.stock = StockBook(
            self.clock, self.ids, reservation_bumps_modified=cfg.reservation_bumps_modified
        )
        self.movements = MovementBook(self.clock, self.ids, self.ledger, self.catalog, self.stock)
        self.orders = OrderBook(
            clock=self.clock,
            ids=self.ids,
            ledger=self.ledger,
            catalog=self.catalog,
            stock=self.stock,
            movements=self.movements,
            eshopid=cfg.site_id,
        )
        self.giftcards = GiftCardBook(
            self.clock,
            self.ids,
            self.ledger,
            seed=seed,
            validity_days=cfg.giftcard_validity_days,
            get_requires_pin=cfg.giftcard_get_requires_pin,
        )
        self.seed_name = seed
        seeds.SEEDS[seed](self)

    @property
    def faults(self) -> FaultConfig:
        """The fault configuration in force."""
        return self.fault_plan.config

    def set_faults(self, faults: FaultConfig) -> None:
        """Replace the fault configuration; the random sequence restarts from its seed."""
        self.fault_plan = FaultPlan(faults)

    def clear_faults(self) -> None:
        """No faults any more."""
        self.set_faults(FaultConfig())

    # --- ledger and counters -------------------------------------------------------------

    def ledger_entries(
        self, *, kind: str | None = None, key: str | None = None
    ) -> list[LedgerEntry]:
        """Applied writes in order, optionally filtered."""
        return self.ledger.entries(kind=kind, key=key)

    # --- set-up --------------------------------------------------------------------------

    def add_store(self, name: str, *, externalid: str | None = None, city: str = "") -> Store:
        """A new store."""
        return self.catalog.add_store(name, externalid=externalid, city=city)

    def add_warehouse(self, name: str, **options: Any) -> Warehouse:  # noqa: ANN401 - forwarded
        """A new warehouse (warehousetype, storeid, usetype, sellable, externalid)."""
        return self.catalog.add_warehouse(name, **options)

    def add_product(
        self, sku: str, *, title: str | None = None, price: str = "100.00", vat: str = "25"
    ) -> Product:
        """A new product; price includes VAT."""
        return self.catalog.add_product(sku, title or sku, Decimal(price), Decimal(vat))

    def add_products(
        self,
        count: int,
        *,
        prefix: str = "BULK",
        warehouseids: Iterable[int] = (),
        quantity: str = "10",
        price: str = "100.00",
    ) -> list[str]:
        """Many products at once, stocked in the given warehouses; returns their SKUs."""
        return seeds.add_products(
            self,
            count,
            prefix=prefix,
            warehouseids=list(warehouseids),
            quantity=Decimal(quantity),
            price=Decimal(price),
        )

    def set_stock(self, warehouseid: int, sku: str, quantity: str) -> None:
        """Set an on-hand level directly (set-up only; no transaction, no ledger entry)."""
        self.catalog.product(sku)
        self.catalog.warehouse(warehouseid)
        self.stock.set_values(warehouseid, sku, total=Decimal(quantity))

    def put_giftcard(
        self,
        *,
        cardnumber: str | None = None,
        amount: str = "500.00",
        currencycode: str | None = None,
        pin: str | None = None,
        date_expires: int | None = None,
        redeemable: bool = True,
        card_type: str = "giftcard",
    ) -> GiftCard:
        """Issue a card as staff would (ledger kind giftcard.issue, api_id null)."""
        body: dict[str, Any] = {
            "type": card_type,
            "currencycode": currencycode or self.config.currency,
            "transactions": [{"moneyamount": amount, "merchant_reference": "sandbox-setup"}]
            if Decimal(amount) > 0
            else [],
        }
        if cardnumber is not None:
            body["cardnumber"] = cardnumber
        card, _ = self.giftcards.issue(
            body, pin=pin, date_expires=date_expires, redeemable=redeemable, api_issue=False
        )
        return card

    _UNSET: Any = object()

    def modify_giftcard(
        self,
        cardnumber: str,
        *,
        redeemable: bool | None = None,
        date_expires: int | None = _UNSET,
        pin: str | None = _UNSET,
    ) -> GiftCard:
        """Change a card's redeemable flag, expiry or PIN (None for date/PIN clears them)."""
        card = self.giftcards.card(cardnumber)
        if redeemable is not None:
            card.redeemable = redeemable
        if date_expires is not self._UNSET:
            card.date_expires = date_expires
        if pin is not self._UNSET:
            card.pin = pin or None
        return card

    # --- inspection ----------------------------------------------------------------------

    def find_orders(self, *, externalid: str | None = None) -> list[Order]:
        """Orders, optionally only the one with this externalid."""
        if externalid is None:
            return list(self.orders.orders.values())
        order = self.orders.by_externalid(externalid)
        return [] if order is None else [order]

    def giftcard_state(self, cardnumber: str) -> dict[str, Any]:
        """A card with its PIN flag, rolled-back transactions and every ledger entry about it."""
        card = self.giftcards.card(cardnumber)
        return {
            "giftcard": card.to_json(),
            "pin_set": card.pin is not None,
            "rolled_back": [t.to_json() for t in card.rolled_back],
            "ledger": [
                e.to_json()
                for e in self.ledger.entries()
                if e.kind.startswith("giftcard.") and e.detail.get("cardnumber") == cardnumber
            ],
        }

    def stock_state(
        self, *, warehouseid: int | None = None, sku: str | None = None
    ) -> list[dict[str, Any]]:
        """Warehouse items (with reserved/available), optionally for one warehouse and/or SKU."""
        warehouses = [warehouseid] if warehouseid is not None else sorted(self.catalog.warehouses)
        found: list[dict[str, Any]] = []
        for wid in warehouses:
            stock = self.stock.of(wid)
            if sku is None:
                items = stock.in_id_order
            else:
                items = [stock.by_sku[sku]] if sku in stock.by_sku else []
            found.extend(self.stock.to_json(item) for item in items)
        return found
