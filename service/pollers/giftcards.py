"""The gift-card poller: re-reads the tracked cards and publishes balances that moved."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import structlog

from service.contracts.outbound import (
    GiftCardBalanceChanged,
    GiftCardTransactionOut,
    derive_event_id,
    outbound_envelope,
)
from service.records.publishing import StateChange
from service.sitoo.errors import NotFound, Permanent
from service.sitoo.limiter import Lane

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from service.pollers.cursors import FencedCursors
    from service.pollers.lease import Holding
    from service.pollers.ports import GiftCardReads
    from service.records.keys import DeploymentKeys
    from service.records.publishing import OutboundPublisher
    from service.sitoo.models import GiftCard

log = structlog.get_logger(__name__)
GIFTCARD_FAMILY = "giftcards"


def _now() -> datetime:
    return datetime.now(UTC)


def last_transaction(card: GiftCard) -> GiftCardTransactionOut | None:
    """The card's newest transaction (by date, then position in the history)."""
    transactions = list(enumerate(card.transactions or []))
    if not transactions:
        return None
    _, newest = max(transactions, key=lambda pair: (pair[1].date or 0, pair[0]))
    return GiftCardTransactionOut(
        transaction_id=newest.transactionid,
        amount=newest.moneyamount,
        transaction_reference=newest.transaction_reference,
        merchant_reference=newest.merchant_reference,
        at=datetime.fromtimestamp(newest.date, UTC) if newest.date is not None else None,
    )


async def publish_balance(
    publisher: OutboundPublisher, cardnumber: str, card: GiftCard, *, seen_at: datetime
) -> bool:
    """Publish ``giftcard.balance_changed`` if the balance differs from the last published.

    A card seen for the first time is published too (``previous_balance`` null), so a
    redemption that happened before the first read still reaches the webshop.
    """
    balance = (card.moneyamount or Decimal(0)).quantize(Decimal("0.01"))
    (previous,) = await publisher.last_states(GIFTCARD_FAMILY, [cardnumber])
    if previous == f"{balance:f}":
        return False
    newest = last_transaction(card)
    payload = GiftCardBalanceChanged(
        cardnumber=cardnumber,
        balance=balance,
        previous_balance=Decimal(previous) if previous else None,
        currency=card.currencycode,
        redeemable=card.redeemable,
        last_transaction=newest,
        at=seen_at,
    )
    event_id = derive_event_id(
        "giftcard.balance_changed",
        cardnumber,
        f"{balance:f}",
        newest.transaction_id if newest else None,
        len(card.transactions or []),
    )
    change = StateChange(
        field=cardnumber,
        expected=previous,
        new=f"{balance:f}",
        envelope=outbound_envelope(event_id, payload, occurred_at=seen_at),
    )
    (published,) = await publisher.publish_changes(GIFTCARD_FAMILY, [change])
    return published


class GiftCardPoller:
    """Walks the tracked cards (SSCAN, resumed across cycles) and re-reads each one.

    Sitoo has no list or change feed of gift cards, and its Events SPI has no gift-card
    event, so re-reading the cards we know of is the only way to see in-store use.
    """

    name = "giftcards"

    def __init__(
        self,
        reads: GiftCardReads,
        publisher: OutboundPublisher,
        cursors: FencedCursors,
        redis: aioredis.Redis,
        *,
        keys: DeploymentKeys,
        interval_s: float,
        cards_per_cycle: int,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.interval_s = interval_s
        self._reads = reads
        self._publisher = publisher
        self._cursors = cursors
        self._redis = redis
        self._key = keys.tracked_giftcards
        self._per_cycle = cards_per_cycle
        self._clock = clock

    async def cycle(self, holding: Holding) -> None:
        """Re-read up to ``cards_per_cycle`` cards, publish moved balances, store the scan."""
        cursor = await self._cursors.get(self.name)
        stored = cursor.get("scan") if isinstance(cursor, dict) else None
        scan = stored if isinstance(stored, int) else 0
        numbers: list[str] = []
        while True:
            scan, found = await self._redis.sscan(self._key, cursor=scan, count=self._per_cycle)
            numbers += [n.decode() if isinstance(n, bytes) else str(n) for n in found]
            if scan == 0 or len(numbers) >= self._per_cycle:
                break
        seen_at = self._clock()
        published = 0
        for number in dict.fromkeys(numbers):
            published += await self._refresh(number, seen_at=seen_at)
        await self._cursors.advance(holding, {"scan": int(scan)})
        log.info("poller.giftcards.cycle", read=len(numbers), published=published)

    async def _refresh(self, number: str, *, seen_at: datetime) -> bool:
        try:
            card = await self._reads.get_giftcard(number, lane=Lane.BULK)
        except NotFound:
            log.warning("poller.giftcards.unknown_card", card=number[-4:])
            await self._redis.srem(self._key, number)
            return False
        except Permanent as exc:
            # e.g. a PIN card Sitoo will not show without its PIN: skip it, keep the rest.
            log.warning("poller.giftcards.unreadable", card=number[-4:], error=str(exc)[:200])
            return False
        return await publish_balance(self._publisher, number, card, seen_at=seen_at)
