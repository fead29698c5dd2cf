"""Sitoo gift cards mirrored as Shopify gift cards whose balance follows Sitoo's.

Sitoo is the master. Each ``giftcard.balance_changed`` of a tracked card (the gift-card
poller publishes one whenever Sitoo's balance moves, e.g. after use in a store) is applied
to the card's mirror:

* no mirror yet: ``giftCardCreate`` with the Sitoo card number as the code (so the
  customer's card works online) and the balance as its initial value; the new card's id
  is stored at once (Shopify never shows the code again). A number Shopify cannot take as
  a code (more than 20 digits), or in another currency than the shop's, is dead-lettered
  with the reason; a card with nothing on it gets its mirror once it has a balance
  (Shopify refuses an initial value of 0).
* a mirror: one credit or debit of the difference between Shopify's balance, read now,
  and Sitoo's. The call carries ``[sitoo-sync:<event id>:<read at>]`` in its note and the client
  looks for that note before writing and after any lost answer, so a redelivered event,
  or one whose first attempt died after Shopify applied it, never moves the balance twice.

Newest wins: the event applied last is recorded with the time Sitoo was read; the same
event again, or an older one arriving late, changes nothing. One replica at a time works
on a card (a claim in Redis), because credits and debits are relative.
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

import structlog
from pydantic import ValidationError

from service.contracts.outbound import GiftCardBalanceChanged

if TYPE_CHECKING:
    from service.adapters.shopify.giftcard_mirrors import GiftCardMirrors
    from service.adapters.shopify.models import (
        CreatedGiftCard,
        GiftCard,
        GiftCardAdjustment,
        Shop,
    )
    from service.contracts.envelope import Envelope

log = structlog.get_logger(__name__)
BALANCE_EVENT = "giftcard.balance_changed"
_SHOPIFY_CODE = re.compile(r"[a-z0-9]{8,20}")  # FACTS.md §8: 8-20 letters and digits
_NOTE = "Mirror of a Sitoo gift card"


class MirrorRefused(Exception):
    """The event cannot be mirrored; the message is the dead letter's reason."""


class MirrorBusy(Exception):
    """Another replica is adjusting the card's mirror; try the event again later."""


class GiftCardWrites(Protocol):
    """The Admin API gift-card calls mirroring makes."""

    async def shop(self) -> Shop:
        """The shop (its currency is every new card's)."""
        ...

    async def get_giftcard(self, giftcard_id: str) -> GiftCard | None:
        """A card's balance and state."""
        ...

    async def create_giftcard(
        self, initial_value: Decimal, *, reference: str, code: str | None = None, note: str | None
    ) -> CreatedGiftCard:
        """Issue a card once for ``reference``."""
        ...

    async def set_giftcard_balance(
        self, giftcard_id: str, target: Decimal, *, reference: str, note: str | None = None
    ) -> GiftCardAdjustment | None:
        """Move the balance to ``target`` with one adjustment for ``reference``."""
        ...


def balance_mark(event_id: str, at_ms: int) -> str:
    """What names one publication of a balance: its event id and when Sitoo was read.

    The event id alone can come back: a card whose redemption is rolled back returns to the
    balance and history it had, and so to the same id, and that later change must still
    be applied. A redelivery of the same entry carries the same time, so the same mark.
    """
    return f"{event_id}:{at_ms}"


def mirror_reference(card_number: str) -> str:
    """The create call's reference: derived from the number, never the number itself.

    The reference sits in the card's note, which shop staff can read; the code they see
    only masked.
    """
    digest = hashlib.blake2b(card_number.encode(), digest_size=10).hexdigest()
    return f"sitoo-giftcard-{digest}"


class GiftCardMirroring:
    """Applies ``giftcard.balance_changed`` to the Shopify mirror of the card."""

    def __init__(
        self, shopify: GiftCardWrites, mirrors: GiftCardMirrors, *, claim_ms: int = 180_000
    ) -> None:
        self._shopify = shopify
        self._mirrors = mirrors
        self._claim_ms = claim_ms
        self._currency: str | None = None
        self.created = 0
        self.adjusted = 0

    async def apply(self, envelope: Envelope) -> str:
        """Make the mirror's balance Sitoo's; returns what was done (raises MirrorRefused)."""
        try:
            change = GiftCardBalanceChanged.model_validate(envelope.data)
        except ValidationError as exc:
            raise MirrorRefused(f"{BALANCE_EVENT}: {exc.errors()[0]['msg']}") from None
        card_number = change.cardnumber
        token = await self._mirrors.claim(card_number, self._claim_ms)
        if token is None:
            raise MirrorBusy(f"card …{card_number[-4:]}: another replica is adjusting it")
        try:
            return await self._apply(envelope, change)
        finally:
            await self._mirrors.release(card_number, token)

    async def _apply(self, envelope: Envelope, change: GiftCardBalanceChanged) -> str:
        card_number = change.cardnumber
        at_ms = int(change.at.timestamp() * 1000)
        mark = balance_mark(envelope.event_id, at_ms)
        mirror = await self._mirrors.mirror(card_number)
        if mirror.applied_event == mark:
            return "already applied"
        if mirror.applied_at_ms is not None and at_ms < mirror.applied_at_ms:
            return "older than the balance applied last"
        target = max(change.balance, Decimal(0))
        if mirror.giftcard_id is None:
            if target == 0:
                return "nothing on the card yet: no mirror"
            giftcard_id = await self._create(card_number, target, change.currency, mark)
        else:
            giftcard_id = mirror.giftcard_id
            await self._follow(giftcard_id, target, change.currency, mark)
        await self._mirrors.record_applied(card_number, mark, at_ms)
        return f"mirror {giftcard_id} holds {target:f}"

    async def _create(
        self, card_number: str, balance: Decimal, currency: str | None, mark: str
    ) -> str:
        code = card_number.lower()
        if not _SHOPIFY_CODE.fullmatch(code):
            raise MirrorRefused(
                f"card …{card_number[-4:]} is not mirrored: a Shopify code is 8-20 letters "
                "and digits"
            )
        if currency is not None:
            if self._currency is None:
                self._currency = (await self._shopify.shop()).currency_code
            if self._currency != currency:
                raise MirrorRefused(
                    f"card …{card_number[-4:]} is in {currency}, the shop's cards in "
                    f"{self._currency}"
                )
        created = await self._shopify.create_giftcard(
            balance, reference=mirror_reference(card_number), code=code, note=_NOTE
        )
        card = created.gift_card
        await self._mirrors.remember(card_number, card.id)
        self.created += 1
        log.info("shopify_giftcards.mirror_created", card=card_number[-4:], mirror=card.id)
        if card.balance.amount != balance:
            # A retry that found the card an earlier attempt created, with an older balance.
            await self._shopify.set_giftcard_balance(card.id, balance, reference=mark, note=_NOTE)
        return card.id

    async def _follow(
        self, giftcard_id: str, target: Decimal, currency: str | None, mark: str
    ) -> None:
        card = await self._shopify.get_giftcard(giftcard_id)
        if card is None:
            raise MirrorRefused(f"mirror {giftcard_id} is not in Shopify")
        if currency is not None and card.balance.currency_code != currency:
            raise MirrorRefused(
                f"mirror {giftcard_id} is in {card.balance.currency_code}, the Sitoo card in "
                f"{currency}"
            )
        adjustment = await self._shopify.set_giftcard_balance(
            giftcard_id, target, reference=mark, note=_NOTE
        )
        if adjustment is not None and adjustment.applied_now:
            self.adjusted += 1
            log.info(
                "shopify_giftcards.mirror_adjusted",
                mirror=giftcard_id,
                kind=adjustment.transaction.kind,
                amount=f"{adjustment.transaction.amount.amount:f}",
            )
