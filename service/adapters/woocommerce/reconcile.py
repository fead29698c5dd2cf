"""The reconciliation poller: orders modified since the cursor, through the REST API.

Not optional for WooCommerce: it never retries a failed delivery, merges quick changes into
one delivery, and disables a hook after consecutive failures (FACTS.md §2.5), so web hooks
alone lose orders. Each cycle reads every order modified after ``cursor - overlap``
(WooCommerce compares whole seconds, strictly; an order saved during a scan moves to the
front of a newest-first scan, see the client's ``orders_modified_after``) and translates it
exactly as a web hook's body is translated. The events' ids derive from the order and the
state it reached, so what a web hook already appended is not appended again, and the
overlap costs requests, not repeats. An order that lists refunds costs one more request, for
the refunds' details (see :mod:`.order_translation`). Orders that cannot be translated are
dead-lettered once per (order, modification time), beside the web hooks' dead letters.

Each cycle also asks WooCommerce for disabled web hooks and raises the alert (a gauge and
the poller's status, which ``sitoo-sync status`` shows) while any is disabled.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

import structlog

from service.adapters.common.errors import WebshopError
from service.adapters.common.translating import Translated, Untranslatable
from service.adapters.woocommerce.models import Webhook
from service.adapters.woocommerce.order_translation import OrderTranslator
from service.inbox.transport import EntryToPark
from service.pollers.wiring import WOOCOMMERCE_POLLER
from service.sitoo.errors import Disposition

if TYPE_CHECKING:
    from prometheus_client import Gauge

    from service.adapters.common.emitting import EventAppender
    from service.deadletters import DeadLetterStore
    from service.pollers.cursors import FencedCursors
    from service.pollers.lease import Holding
    from service.pollers.runner import StatusBoard

log = structlog.get_logger(__name__)
POLLER_NAME = WOOCOMMERCE_POLLER
_REASON_LIMIT = 500
_BODY_LIMIT = 256 * 1024


class ShopOrders(Protocol):
    """What the poller reads from the store (the WooCommerce client provides it)."""

    async def raw_orders_modified_after(self, since: datetime) -> list[dict[str, Any]]:
        """Every order modified strictly after ``since``, oldest first, as listed."""
        ...

    async def disabled_webhooks(self) -> list[Webhook]:
        """Web hooks WooCommerce disabled after failed deliveries."""
        ...


@dataclass(frozen=True, slots=True)
class PollSettings:
    """How the poller reads."""

    interval_s: float
    overlap_s: float
    start_lookback_s: float
    raw_stream: str  # the web hooks' stream: its dead letters hold the poller's too


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).astimezone(UTC)
    except ValueError:
        return None


def _modified(raw: dict[str, Any]) -> datetime | None:
    value = raw.get("date_modified_gmt")
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        return None


def disabled_alert(hooks: list[Webhook]) -> str:
    """The alert text for disabled hooks ('' when none)."""
    if not hooks:
        return ""
    names = ", ".join(f"{h.id} ({h.topic})" for h in hooks[:10])
    return f"{len(hooks)} WooCommerce web hook(s) disabled after failed deliveries: {names}"


class WooCommerceOrderPoller:
    """Appends the canonical events of every order modified since the cursor."""

    name = POLLER_NAME

    def __init__(
        self,
        shop: ShopOrders,
        appender: EventAppender,
        cursors: FencedCursors,
        dead_letters: DeadLetterStore,
        *,
        orders: OrderTranslator,
        settings: PollSettings,
        board: StatusBoard | None = None,
        disabled_gauge: Gauge | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._shop = shop
        self._appender = appender
        self._cursors = cursors
        self._dead_letters = dead_letters
        self._orders = orders
        self._settings = settings
        self._board = board
        self._gauge = disabled_gauge
        self._clock = clock
        self.interval_s = settings.interval_s

    async def cycle(self, holding: Holding) -> None:
        """Check the hooks, read changed orders, append their events, move the cursor."""
        await self._check_webhooks()
        stored = await self._cursors.get(self.name)
        cursor = _parse(stored.get("modified_after") if isinstance(stored, dict) else None)
        if cursor is None:
            cursor = self._clock() - timedelta(seconds=self._settings.start_lookback_s)
        since = cursor - timedelta(seconds=self._settings.overlap_s)
        orders = await self._shop.raw_orders_modified_after(since)
        appended = dead = 0
        newest = cursor
        for raw in orders:
            outcome = await self._translate(raw)
            modified = _modified(raw)
            if isinstance(outcome, Untranslatable):
                dead += await self._dead_letter(raw, modified, outcome.reason)
            else:
                appended += await self._appender.append(outcome.events)
            if modified is not None and modified > newest:
                newest = modified
        # Only after every order up to ``newest`` has been appended (a crash before this
        # reads them again, and the appender drops what was appended).
        await self._cursors.advance(holding, {"modified_after": _iso(newest)})
        if appended or dead:
            log.info(
                "woocommerce_poll.cycle",
                read=len(orders),
                appended=appended,
                dead_lettered=dead,
                cursor=_iso(newest),
            )

    async def _translate(self, raw: dict[str, Any]) -> Translated | Untranslatable:
        """The order's events; a refund read the store refuses for good is a dead letter.

        A retryable failure is raised: the cycle fails before the cursor moves, and the next
        one reads the order again.
        """
        try:
            return await self._orders.of(raw)
        except WebshopError as exc:
            if exc.disposition is not Disposition.DEAD_LETTER:
                raise
            reason = f"the store refused a read: {type(exc).__name__}: {exc}"
            return Untranslatable(f"order {raw['id']}: {reason}")

    async def _dead_letter(
        self, raw: dict[str, Any], modified: datetime | None, reason: str
    ) -> int:
        """Park the order beside the web hooks' dead letters, once per modification.

        Kept as an ``order.updated`` delivery would be, so ``sitoo-sync dlq replay`` puts it
        on the web hooks' stream and the consumer translates it like one.
        """
        stamp = _iso(modified) if modified is not None else "-"
        parked = await self._dead_letters.park(
            EntryToPark(
                stream=self._settings.raw_stream,
                entry_id=f"poll-order-{raw['id']}-{stamp}",
                fields={
                    b"topic": b"order.updated",
                    b"body": json.dumps(raw, separators=(",", ":")).encode()[:_BODY_LIMIT],
                    b"headers": b"{}",
                    b"received_at": str(int(time.time() * 1000)).encode(),
                },
                event_type="order.updated",
                reason_code="untranslatable",
                reason=reason[:_REASON_LIMIT],
                deliveries=1,
            )
        )
        if parked is not None:
            log.warning("woocommerce_poll.dead_lettered", order_id=raw["id"], reason=reason)
        return int(parked is not None)

    async def _check_webhooks(self) -> None:
        try:
            hooks = await self._shop.disabled_webhooks()
        except WebshopError as exc:
            # The orders matter more than the alert: a key that may not read web hooks (or a
            # blip) must not stop the reconciliation. Say so where the alert would be.
            log.warning("woocommerce.webhooks_unreadable", error=f"{type(exc).__name__}: {exc}")
            if self._board is not None:
                await self._board.record(
                    self.name, {"alert": f"web hooks could not be read: {type(exc).__name__}"}
                )
            return
        alert = disabled_alert(hooks)
        if self._gauge is not None:
            self._gauge.set(len(hooks))
        if alert:
            log.error("woocommerce.webhooks_disabled", webhooks=[h.id for h in hooks])
        if self._board is not None:
            await self._board.record(self.name, {"alert": alert})
