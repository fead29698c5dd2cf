"""Sitoo's changes to WooCommerce: stock levels and pick-up progress, from ``sitoo.events``.

The shared webshop writer (:mod:`service.adapters.common.outbound`) reads the outbound stream
in WooCommerce's own consumer group and hands batches to :class:`WooCommerceWriter`, which
says per entry whether it is done, to be retried, or failed for good:

* ``stock.changed`` of the configured warehouse: the SKU's ``available`` (never below 0,
  whole units) becomes the product's or variation's ``stock_quantity`` through the batch
  endpoints (the client: at most 100 items per request, each item's answer read, only
  products that manage stock). Within a batch the newest level per SKU wins; across
  batches (a reclaimed old entry after a newer one) the level's ``version`` decides: a
  version at or below the one already written, or being written, is skipped, and one
  replica at a time writes a SKU's level (:mod:`~service.records.levels`).
* ``order.pickup_ready`` and ``order.picked_up`` of a WooCommerce order (``wc-<id>``): an
  order note and, when configured, a status (default: none when ready, ``completed`` when
  picked up). Each happens once: the note carries a reference the client looks for before
  writing, the status is read before it is set, a claim keeps two replicas from doing the
  same step at once, and a done mark skips the whole step afterwards.

A transient failure of the shop leaves the entries to be retried (the shared writer gives
up, with a dead letter, after the allowed deliveries); a permanent one (the order is gone,
the key may not write) fails them at once with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Protocol

import structlog

from service.adapters.common.errors import WebshopError
from service.adapters.common.outbound import Applied, OutboundEntry
from service.adapters.woocommerce.orders import NoteWrite
from service.adapters.woocommerce.stock import StockLevel, StockReport
from service.adapters.woocommerce.translate import order_id_from_webshop
from service.adapters.woocommerce.webhooks import WEBSHOP
from service.records.levels import Held, WrittenLevels
from service.records.steps import WrittenSteps
from service.sitoo.errors import Disposition

if TYPE_CHECKING:
    import redis.asyncio as aioredis
    from prometheus_client import Counter

    from service.records.keys import DeploymentKeys

log = structlog.get_logger(__name__)
PICKUP_TYPES = ("order.pickup_ready", "order.picked_up")


class ShopWrites(Protocol):
    """The WooCommerce writes the writer makes (the client provides them)."""

    async def set_stock(self, levels: Iterable[StockLevel]) -> StockReport:
        """Absolute quantities, per SKU."""
        ...

    async def add_order_note(
        self, order_id: int, note: str, *, reference: str, customer_note: bool = ...
    ) -> NoteWrite:
        """A note, once per reference."""
        ...

    async def set_order_status(self, order_id: int, status: str) -> bool:
        """A status, unless the order has it."""
        ...


@dataclass(frozen=True, slots=True)
class PickupWrites:
    """What each pick-up step writes."""

    ready_note: str
    ready_status: str | None
    picked_up_note: str
    picked_up_status: str | None
    notify_customer: bool


@dataclass(frozen=True, slots=True)
class WriterConfig:
    """What the writer writes, and how long its claims and marks last.

    A claim (a pick-up step, a stock level being written) lasts as long as a pending entry
    waits before another replica takes it over: a dead holder's claim has run out by then.
    """

    keys: DeploymentKeys
    warehouse_id: int | None
    pickup: PickupWrites
    claim_ms: int = 120_000
    done_ms: int = 30 * 86_400_000


@dataclass(frozen=True, slots=True)
class _Entry:
    id: str
    type: str
    data: dict[str, Any]


class RetryLater(Exception):
    """The step could not be made now (a claim held elsewhere); retry the entry."""


def _whole_units(value: object) -> int | None:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    return max(0, int(number.to_integral_value(rounding=ROUND_FLOOR)))


def _newest_levels(entries: list[_Entry]) -> dict[str, tuple[int, int]]:
    """SKU -> (version, whole units available) of the newest level in the batch."""
    newest: dict[str, tuple[int, int]] = {}
    for entry in entries:
        sku, version = entry.data.get("sku"), entry.data.get("version")
        quantity = _whole_units(entry.data.get("available"))
        if not isinstance(sku, str) or not isinstance(version, int) or quantity is None:
            continue
        if sku not in newest or version > newest[sku][0]:
            newest[sku] = (version, quantity)
    return newest


class WooCommerceWriter:
    """The shared writer's applier for WooCommerce: each relevant change made once."""

    def __init__(
        self,
        shop: ShopWrites,
        redis: aioredis.Redis,
        config: WriterConfig,
        *,
        writes: Counter | None = None,
    ) -> None:
        self._shop = shop
        self.config = config
        self._writes = writes
        self._levels = WrittenLevels(
            redis,
            keys=config.keys,
            webshop=WEBSHOP,
            lease_ms=config.claim_ms,
            retention_s=config.done_ms // 1000,
        )
        self._steps = WrittenSteps(
            redis,
            keys=config.keys,
            webshop=WEBSHOP,
            lease_ms=config.claim_ms,
            retention_s=config.done_ms // 1000,
        )

    async def apply(self, entries: Sequence[OutboundEntry]) -> Applied:
        """Make the batch's effects; every entry id lands in done, retry or failed."""
        applied = Applied()
        mine: list[_Entry] = []
        for raw in entries:
            envelope = raw.envelope
            entry = _Entry(raw.entry_id, envelope.type, envelope.data) if envelope else None
            if entry is None or not self._relevant(entry):
                applied.done.add(raw.entry_id)  # not for WooCommerce
            else:
                mine.append(entry)
        stock = [e for e in mine if e.type == "stock.changed"]
        if stock:
            await self._settle(applied, stock, self._write_stock(stock))
        for entry in mine:
            if entry.type in PICKUP_TYPES:
                await self._settle(applied, [entry], self._write_pickup(entry))
        return applied

    def _relevant(self, entry: _Entry) -> bool:
        if entry.type == "stock.changed":
            wanted = self.config.warehouse_id
            return wanted is not None and entry.data.get("warehouse_id") == wanted
        if entry.type in PICKUP_TYPES:
            return order_id_from_webshop(entry.data.get("webshop_order_id")) is not None
        return False

    async def _settle(self, applied: Applied, entries: list[_Entry], work: Any) -> None:  # noqa: ANN401 - a coroutine
        """Run ``work``; sort its entries by how it ended."""
        ids = {e.id for e in entries}
        try:
            await work
        except RetryLater as exc:
            log.info("woocommerce_writer.later", reason=str(exc))
            applied.retry |= ids
        except WebshopError as exc:
            reason = f"{type(exc).__name__}: {exc}"
            if exc.disposition is Disposition.DEAD_LETTER:
                applied.failed.update(dict.fromkeys(ids, reason))
            else:
                log.warning("woocommerce_writer.retry", error=reason)
                applied.retry |= ids
        else:
            applied.done |= ids

    # --- stock ----------------------------------------------------------------------------

    async def _write_stock(self, entries: list[_Entry]) -> None:
        newest = _newest_levels(entries)
        if not newest:
            return
        held = await self._levels.take({sku: version for sku, (version, _) in newest.items()})
        if held.go:
            await self._write_held(held, newest)
        if held.busy:
            # Another replica is writing an older level of these SKUs; the batch comes again
            # (what was written here is then found done).
            raise RetryLater(f"{len(held.busy)} level(s) being written by another replica")

    async def _write_held(self, held: Held, newest: dict[str, tuple[int, int]]) -> None:
        levels = [StockLevel(sku, newest[sku][1]) for sku in held.go]
        try:
            report = await self._shop.set_stock(levels)
        except Exception:
            await self._levels.release(held, held.go)
            raise
        written: list[str] = []
        for result in report.results:
            if self._writes is not None:
                self._writes.labels(kind="stock", outcome=result.outcome).inc()
            if result.outcome == "rejected":
                # Not recorded: the next level of the SKU tries again (the cache forgot it).
                log.warning(
                    "woocommerce_writer.stock_rejected",
                    sku=result.sku,
                    code=result.code,
                    reason=result.message,
                )
            else:
                written.append(result.sku)
        await self._levels.written(held, written)
        await self._levels.release(held, set(held.go) - set(written))

    # --- pick-up progress -----------------------------------------------------------------

    async def _write_pickup(self, entry: _Entry) -> None:
        order_id = order_id_from_webshop(entry.data.get("webshop_order_id"))
        if order_id is None:
            return
        step = "ready" if entry.type == "order.pickup_ready" else "picked-up"
        taken = await self._steps.take(f"pickup:{order_id}:{step}")
        if taken.decision == "done":
            return
        if taken.decision == "busy":
            raise RetryLater(f"order {order_id} {step}: another replica is writing it")
        try:
            await self._pickup_effects(order_id, step)
        except Exception:
            await self._steps.release(taken)
            raise
        await self._steps.made(taken)

    async def _pickup_effects(self, order_id: int, step: str) -> None:
        pickup = self.config.pickup
        ready = step == "ready"
        note = await self._shop.add_order_note(
            order_id,
            pickup.ready_note if ready else pickup.picked_up_note,
            reference=f"pickup-{step}",
            customer_note=pickup.notify_customer and ready,
        )
        status = pickup.ready_status if ready else pickup.picked_up_status
        moved = await self._shop.set_order_status(order_id, status) if status else False
        if self._writes is not None:
            self._writes.labels(kind=f"pickup_{step}", outcome="done").inc()
        log.info(
            "woocommerce_writer.pickup",
            order_id=order_id,
            step=step,
            note_created=note.created,
            status=status,
            moved=moved,
        )
