"""Go-live items read from the Sitoo account: API users, stores, warehouses and SKUs.

Every call is a GET (through :class:`~service.operator.check.Probe`); nothing is written.
The rules are the service's own: a pickup store's warehouse is chosen by
``pickup_warehouse_of``, as the order consumer chooses it, and SKUs are matched with the
contract's pattern before Sitoo is asked.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from service.operator.check import Failure, Finding, Probe, explain, failure_of
from service.settings import ENV_PREFIX, Settings, SitooCredential
from service.sitoo.catalog_models import Product, Store, Warehouse
from service.sitoo.errors import SitooError
from service.sitoo.model_base import Page
from service.usecases.directory import SKUS_PER_LOOKUP, VIRTUAL_WAREHOUSE, pickup_warehouse_of

_SKU = re.compile(r"^[A-Za-z0-9_+\-/.]{1,100}$")  # the contract's Sku
_PROBE_CARD = "99999999999999999999"  # a card number no one issues: a 404 proves the read
_BULK_READS = (  # what stock, orders and the pollers read, one item of each
    ("stores", "sites/{site}/stores.json"),
    ("warehouses", "sites/{site}/warehouses.json"),
    ("products", "sites/{site}/products.json"),
    ("orders", "orders.json"),  # account level: the site is a filter
    ("warehouse transactions", "sites/{site}/warehousetransactions.json"),
)
_GIFTCARD_READ = ("gift cards", "sites/{site}/giftcards/" + _PROBE_CARD + ".json")
_SHOWN = 10  # names listed in one line at most


def ready(subject: str, message: str) -> Finding:
    """A go-live item that passed."""
    return Finding(subject, message)


def not_ready(subject: str, message: str) -> Finding:
    """A go-live item that is not ready, with what to do about it."""
    return Finding(subject, message, Failure.NOT_READY)


def _listed(names: Sequence[str]) -> str:
    more = len(names) - _SHOWN
    return ", ".join(names[:_SHOWN]) + (f" and {more} more" if more > 0 else "")


@dataclass(frozen=True, slots=True)
class GoLivePlan:
    """What the webshop will name in its events, as the operator lists it.

    Empty: every store is checked as a pickup store, and warehouses only for clashes.
    """

    stores: tuple[str, ...] = ()
    virtual_warehouses: tuple[str, ...] = ()
    fifo_warehouses: tuple[str, ...] = ()
    skus: tuple[str, ...] | None = None


async def _all(probe: Probe, path: str, page_size: int) -> list[Any]:
    """Every item of a Sitoo list, page by page."""
    items: list[Any] = []
    while True:
        page = await probe.get(path, start=len(items), num=page_size)
        found = list(page.get("items") or [])
        items += found
        if len(found) < page_size:
            return items


async def user_items(
    probe_for: Callable[[SitooCredential], Probe],
    settings: Settings,
    users: Sequence[SitooCredential],
    *,
    interactive: set[str],
) -> list[Finding]:
    """For each API user that reached the site: may it read what its work needs?"""
    sitoo = settings.sitoo
    findings = []
    if sitoo.max_in_flight > 1:
        findings.append(
            not_ready(
                "api users",
                f"{ENV_PREFIX}SITOO__MAX_IN_FLIGHT is {sitoo.max_in_flight}: Sitoo answers a "
                "second request in flight of one API user with 429 Too many connections; set "
                "it to 1 and add API users (EXTRA_CREDENTIALS) for more throughput",
            )
        )
    findings += [
        await _user_item(probe_for(credential), credential, settings, interactive)
        for credential in users
    ]
    return findings


async def _user_item(
    probe: Probe, credential: SitooCredential, settings: Settings, interactive: set[str]
) -> Finding:
    gift_cards_only = credential.api_id in interactive
    reads = [_GIFTCARD_READ] if gift_cards_only else [*_BULK_READS, _GIFTCARD_READ]
    role = "gift cards only (interactive)" if gift_cards_only else "all work"
    subject = f"api user {credential.api_id}"
    site = settings.sitoo.site_id
    for what, template in reads:
        path = template.format(site=site)
        try:
            if what == "orders":
                await probe.get(path, num=1, eshopid=site)
            elif what == "gift cards":
                await probe.get(path)  # one card, not a list: no paging parameters
            else:
                await probe.get(path, num=1)
        except SitooError as error:
            if error.status == 404 and what == "gift cards":  # noqa: PLR2004 - HTTP status
                continue  # no such card: the read was allowed
            failure, detail = failure_of(error, site_path=True)
            reason = explain(
                failure,
                api_id=credential.api_id,
                base_url=str(settings.sitoo.base_url),
                site_id=site,
                detail=detail,
            )
            return not_ready(subject, f"serves {role} but cannot read {what}: {reason}")
    names = ", ".join(what for what, _ in reads)
    return ready(subject, f"serves {role}; may read {names}")


def store_items(
    stores: list[Store], warehouses: list[Warehouse], plan: GoLivePlan
) -> list[Finding]:
    """Each pickup store: an externalid of its own and a sellable FIFO warehouse."""
    by_externalid = Counter(s.externalid for s in stores if s.externalid)
    wanted = plan.stores or tuple(s.externalid or f"#{s.storeid}" for s in stores)
    if not wanted:
        return [not_ready("stores", "the site has no stores: create the pickup stores in Sitoo")]
    findings = []
    for name in wanted:
        found = [s for s in stores if name in (s.externalid, f"#{s.storeid}")]
        subject = f"store {name}"
        if not found:
            known = _listed(sorted(by_externalid))
            findings.append(
                not_ready(subject, f"no store has this externalid (there are: {known or 'none'})")
            )
            continue
        store = found[0]
        label = f"{store.storeid} ({store.name or 'no name'})"
        warehouse = pickup_warehouse_of(store, warehouses)
        if store.externalid is None:
            findings.append(
                not_ready(
                    f"store {label}",
                    "has no externalid: webshop events name pickup stores by "
                    "store_externalid; set one in Sitoo Backoffice (Stores), or leave it out "
                    "with --store if the store takes no web orders",
                )
            )
        elif by_externalid[store.externalid] > 1:
            ids = [str(s.storeid) for s in stores if s.externalid == store.externalid]
            findings.append(
                not_ready(
                    subject,
                    f"externalid shared by stores {', '.join(ids)}: orders would go to the "
                    "first; give each store its own externalid",
                )
            )
        elif warehouse is None:
            findings.append(
                not_ready(
                    subject,
                    f"store {label} has no sellable FIFO warehouse: pickup orders would be "
                    "dead-lettered (no_store_warehouse); link one to the store in Backoffice",
                )
            )
        else:
            where = f"{warehouse.warehouseid} ({warehouse.externalid or 'no externalid'})"
            findings.append(ready(subject, f"store {label}, pickup orders go to warehouse {where}"))
    return findings


def _warehouse_label(warehouse: Warehouse) -> str:
    kind = "virtual" if warehouse.warehousetype == VIRTUAL_WAREHOUSE else "FIFO"
    return f"{warehouse.warehouseid} ({warehouse.name or 'no name'}, {kind})"


def warehouse_items(warehouses: list[Warehouse], plan: GoLivePlan) -> list[Finding]:
    """Named warehouses exist with the type their events need; no externalid is shared."""
    counts = Counter(w.externalid for w in warehouses if w.externalid)
    shared = sorted(name for name, count in counts.items() if count > 1)
    findings = []
    if shared:
        findings.append(
            not_ready(
                "warehouses",
                f"externalid(s) {_listed(shared)} name more than one warehouse: stock events "
                "naming them go to the first; give each warehouse its own externalid",
            )
        )
    needs = [(name, True) for name in plan.virtual_warehouses]
    needs += [(name, False) for name in plan.fifo_warehouses]
    for name, for_set in needs:
        event = "stock.set" if for_set else "stock.adjusted"
        subject = f"warehouse {name}"
        found = [w for w in warehouses if w.externalid == name]
        if not found:
            known = _listed(sorted(counts))
            findings.append(
                not_ready(subject, f"no warehouse has this externalid (there are: {known})")
            )
        elif (found[0].warehousetype == VIRTUAL_WAREHOUSE) != for_set:
            right = "virtual (type 20)" if for_set else "FIFO"
            findings.append(
                not_ready(
                    subject,
                    f"{_warehouse_label(found[0])} takes no {event}: that needs a {right} "
                    f"warehouse ({'stock.adjusted' if for_set else 'stock.set'} fits this one)",
                )
            )
        else:
            findings.append(ready(subject, f"{_warehouse_label(found[0])} takes {event}"))
    if not needs and not shared:
        virtual = [w for w in warehouses if w.warehousetype == VIRTUAL_WAREHOUSE]
        findings.append(
            ready(
                "warehouses",
                f"stock.adjusted fits {len(warehouses) - len(virtual)} FIFO, stock.set "
                f"{len(virtual)} virtual warehouse(s); name the ones the webshop uses with "
                "--fifo-warehouse and --virtual-warehouse to check them",
            )
        )
    return findings


async def sku_item(probe: Probe, settings: Settings, plan: GoLivePlan) -> Finding:
    """The webshop's SKUs all exist in Sitoo (or, without a list, the site has products)."""
    path = f"sites/{settings.sitoo.site_id}/products.json"
    if plan.skus is None:
        page = await probe.get(path, num=1)
        count = int(page.get("totalcount") or len(page.get("items") or []))
        if count == 0:
            return not_ready("skus", "the site has no products: create them before go-live")
        return ready("skus", f"{count} product(s); check the webshop's own with --skus FILE")
    malformed = [sku for sku in plan.skus if not _SKU.match(sku)]
    wanted = sorted({sku for sku in plan.skus if _SKU.match(sku)})
    known: set[str] = set()
    for start in range(0, len(wanted), SKUS_PER_LOOKUP):
        chunk = wanted[start : start + SKUS_PER_LOOKUP]
        try:
            page = Page[Product].model_validate(
                await probe.get(path, sku=",".join(chunk), num=len(chunk), fields="sku")
            )
        except ValidationError:
            return not_ready("skus", f"GET {path}: the answer is not a list of products")
        known |= {p.sku for p in page.items if p.sku}
    missing = [sku for sku in wanted if sku not in known]
    problems = []
    if malformed:
        problems.append(
            f"not valid in events (letters, digits and _+-/. only): {_listed(malformed)}"
        )
    if missing:
        problems.append(f"not in Sitoo: {_listed(missing)}")
    if problems:
        return not_ready(
            "skus",
            f"{len(malformed) + len(missing)} of {len(plan.skus)} SKU(s) would be dead-lettered "
            f"(unknown_sku): "
            + "; ".join(problems)
            + "; create them in Sitoo or fix the webshop's",
        )
    return ready("skus", f"all {len(wanted)} SKU(s) of the webshop exist in Sitoo")


async def account_items(probe: Probe, settings: Settings, plan: GoLivePlan) -> list[Finding]:
    """Stores, warehouses and SKUs, read with one API user."""
    site = settings.sitoo.site_id
    size = settings.sitoo.page_size
    stores = [Store.model_validate(s) for s in await _all(probe, f"sites/{site}/stores.json", size)]
    warehouses = [
        Warehouse.model_validate(w)
        for w in await _all(probe, f"sites/{site}/warehouses.json", size)
    ]
    return [
        *store_items(stores, warehouses, plan),
        *warehouse_items(warehouses, plan),
        await sku_item(probe, settings, plan),
    ]
