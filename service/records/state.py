"""Per-aggregate state on Redis: order tombstones, redemptions, card currencies, stock stamps."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING

from service.ports import LevelStamp, Redemption

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from service.records.keys import DeploymentKeys

# Store the stamp only if it is newer than, or the same as, the stored one; compares
# (occurred_at_ms, event_id) so a redelivered event wins again and an older one never does.
_OFFER = """
local current = redis.call('HMGET', KEYS[1], 'at', 'event')
local at = tonumber(ARGV[1])
if current[1] then
  local stored = tonumber(current[1])
  if stored > at or (stored == at and current[2] > ARGV[2]) then return 0 end
end
redis.call('HSET', KEYS[1], 'at', ARGV[1], 'event', ARGV[2], 'quantity', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
"""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RedisOrderTombstones:
    """OrderTombstones on Redis: one key per cancelled webshop order."""

    def __init__(self, redis: aioredis.Redis, *, keys: DeploymentKeys, retention_s: float) -> None:
        self._redis = redis
        self._keys = keys
        self._retention_ms = int(retention_s * 1000)

    async def mark_cancelled(self, order_id: str) -> None:
        """Record the cancel."""
        await self._redis.set(self._keys.order_cancelled(order_id), "1", px=self._retention_ms)

    async def is_cancelled(self, order_id: str) -> bool:
        """True once cancelled."""
        return bool(await self._redis.exists(self._keys.order_cancelled(order_id)))


class RedisCardCurrencies:
    """CardCurrencies on Redis: one small key per card, kept as long as other records."""

    def __init__(self, redis: aioredis.Redis, *, keys: DeploymentKeys, retention_s: float) -> None:
        self._redis = redis
        self._keys = keys
        self._retention_ms = int(retention_s * 1000)

    async def remember(self, card_number: str, currency: str) -> None:
        """Store (or refresh) the card's currency."""
        key = self._keys.card_currency(card_number)
        await self._redis.set(key, currency, px=self._retention_ms)

    async def known(self, card_number: str) -> str | None:
        """The stored currency, or None."""
        value = await self._redis.get(self._keys.card_currency(card_number))
        return None if value is None else _text(value)


_RETURN_FIELD = "return:"


class RedisRedemptionLedger:
    """RedemptionLedger on Redis: a JSON record per redeem, a set per order, void markers."""

    def __init__(self, redis: aioredis.Redis, *, keys: DeploymentKeys, retention_s: float) -> None:
        self._redis = redis
        self._keys = keys
        self._retention_ms = int(retention_s * 1000)

    def _record_key(self, redeem_event_id: str) -> str:
        return self._keys.redemption(redeem_event_id)

    def _order_key(self, order_id: str) -> str:
        return self._keys.redemptions_of_order(order_id)

    def _void_key(self, redeem_event_id: str) -> str:
        return self._keys.redemption_void(redeem_event_id)

    async def record(self, redemption: Redemption) -> None:
        """Remember the redemption (and index it by order)."""
        document = {
            "redeem_event_id": redemption.redeem_event_id,
            "card_number": redemption.card_number,
            "amount": f"{redemption.amount:f}",
            "currency": redemption.currency,
            "transaction_ids": redemption.transaction_ids,
            "order_id": redemption.order_id,
            "undo": redemption.undo,
        }
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hsetnx(self._record_key(redemption.redeem_event_id), "doc", json.dumps(document))
            pipe.pexpire(self._record_key(redemption.redeem_event_id), self._retention_ms)
            if redemption.order_id is not None:
                pipe.sadd(self._order_key(redemption.order_id), redemption.redeem_event_id)
                pipe.pexpire(self._order_key(redemption.order_id), self._retention_ms)
            await pipe.execute()

    async def get(self, redeem_event_id: str) -> Redemption | None:
        """The recorded redemption."""
        doc, rolled_back_by = await self._redis.hmget(
            self._record_key(redeem_event_id), ["doc", "rolled_back_by"]
        )
        if doc is None:
            return None
        data = json.loads(doc)
        return Redemption(
            redeem_event_id=data["redeem_event_id"],
            card_number=data["card_number"],
            amount=Decimal(data["amount"]),
            currency=data["currency"],
            transaction_ids=list(data["transaction_ids"]),
            order_id=data["order_id"],
            rolled_back_by=_text(rolled_back_by) if rolled_back_by is not None else None,
            undo=data.get("undo"),
        )

    async def for_order(self, order_id: str) -> list[Redemption]:
        """Every redemption recorded for the order."""
        members = await self._redis.smembers(self._order_key(order_id))
        found = [await self.get(_text(member)) for member in sorted(members)]
        return [r for r in found if r is not None]

    async def mark_rolled_back(self, redeem_event_id: str, *, by: str) -> None:
        """Note who rolled it back (the first one to do so)."""
        await self._redis.hsetnx(self._record_key(redeem_event_id), "rolled_back_by", by)

    async def add_return(
        self, redeem_event_id: str, event_id: str, transaction_ids: list[str]
    ) -> None:
        """Keep the part given back in the redemption's hash (its first record wins)."""
        key = self._record_key(redeem_event_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hsetnx(key, _RETURN_FIELD + event_id, json.dumps(transaction_ids))
            pipe.pexpire(key, self._retention_ms)
            await pipe.execute()

    async def returns(self, redeem_event_id: str) -> dict[str, list[str]]:
        """The parts given back so far."""
        fields = await self._redis.hgetall(self._record_key(redeem_event_id))
        found: dict[str, list[str]] = {}
        for field, value in fields.items():
            name = _text(field)
            if name.startswith(_RETURN_FIELD):
                found[name.removeprefix(_RETURN_FIELD)] = list(json.loads(value))
        return found

    async def void(self, redeem_event_id: str) -> None:
        """Tombstone the redeem."""
        await self._redis.set(self._void_key(redeem_event_id), "1", px=self._retention_ms)

    async def is_void(self, redeem_event_id: str) -> bool:
        """True once voided."""
        return bool(await self._redis.exists(self._void_key(redeem_event_id)))


class RedisTrackedCards:
    """TrackedCards on the set of card numbers the gift-card poller walks."""

    def __init__(self, redis: aioredis.Redis, *, keys: DeploymentKeys) -> None:
        self._redis = redis
        self._keys = keys

    async def track(self, cardnumber: str) -> None:
        """Add the card to the poller's set."""
        await self._redis.sadd(self._keys.tracked_giftcards, cardnumber)


class RedisStockLevelStamps:
    """StockLevelStamps on Redis: a hash per (warehouse, sku), compared and set in Lua."""

    def __init__(self, redis: aioredis.Redis, *, keys: DeploymentKeys, retention_s: float) -> None:
        self._redis = redis
        self._keys = keys
        self._retention_ms = int(retention_s * 1000)
        self._offer = redis.register_script(_OFFER)

    def _key(self, warehouseid: int, sku: str) -> str:
        return self._keys.stock_level(warehouseid, sku)

    async def offer(self, warehouseid: int, sku: str, stamp: LevelStamp) -> bool:
        """Store the stamp unless a newer one is stored."""
        stored = await self._offer(
            keys=[self._key(warehouseid, sku)],
            args=[stamp.occurred_at_ms, stamp.event_id, f"{stamp.quantity:f}", self._retention_ms],
        )
        return bool(stored)

    async def current(self, warehouseid: int, sku: str) -> LevelStamp | None:
        """The stored stamp."""
        at, event, quantity = await self._redis.hmget(
            self._key(warehouseid, sku), ["at", "event", "quantity"]
        )
        if at is None or event is None or quantity is None:
            return None
        return LevelStamp(int(at), _text(event), Decimal(_text(quantity)))
