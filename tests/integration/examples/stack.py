"""The service against a fresh demo sandbox over HTTP, and the check of an example's result.

Each stack has its own key prefix and stream names. Documents name the default streams
(``webshop.orders`` ...) and reply lists; ``rename`` maps them onto this stack's, the only
change made to a document's text before it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import redis.asyncio as aioredis
from faststream.asgi import AsgiFastStream
from pydantic import SecretStr

from service.contracts.example_model import CardBalance, Effect, OrderInSitoo, StockTotal
from service.contracts.examples import EXAMPLES, Example
from service.sandbox import RunningSandbox, SandboxConfig, serve_sandbox
from service.settings import (
    ConsumerSettings,
    HttpSettings,
    PollerSettings,
    RedisSettings,
    Settings,
    SitooSettings,
    StreamSettings,
)
from tests.integration.consumers.conftest import running_service

API_ID = "examples"
API_PASSWORD = "examples-password"
_ORDER_STATES = {"open": 0, "cancelled": 20}


@dataclass
class ExampleStack:
    """A running service, its sandbox and Redis, under names of its own."""

    sandbox: RunningSandbox
    settings: Settings
    redis: aioredis.Redis
    redis_url: str
    unique: str
    admin: httpx.AsyncClient
    api: httpx.AsyncClient
    app: AsgiFastStream

    def rename(self, text: str) -> str:
        """A document's text with the default stream and reply-list names made this stack's."""
        defaults = StreamSettings(consumer="x")
        mine = self.settings.streams
        names = {
            getattr(defaults, field): getattr(mine, field)
            for field in ("orders", "giftcards", "giftcard_requests", "stock", "results")
        }
        names[defaults.outbound] = mine.outbound
        for example in EXAMPLES.values():
            if example.reply_to is not None:
                names[example.reply_to] = self.reply_list(example.reply_to)
        # One pass, longest first: a replacement is never matched again.
        pattern = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        return re.sub(pattern, lambda match: names[match.group(0)], text)

    def reply_list(self, documented: str) -> str:
        """The reply list a documented one becomes here (outside the service's key prefix)."""
        return f"{documented}:{self.unique}"

    def env(self) -> dict[str, str]:
        """The environment a snippet runs in: REDIS_URL (and R, README's name for it)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("SITOO_SYNC_")}
        return env | {"REDIS_URL": self.redis_url, "R": self.redis_url}

    async def results(self) -> list[dict[str, Any]]:
        """Every result envelope so far, oldest first."""
        entries = await self.redis.xrange(self.settings.streams.results)
        return [json.loads(fields[b"event"]) for _, fields in entries]

    async def result_of(self, event_id: str, timeout_s: float = 20.0) -> dict[str, Any]:
        """The result envelope of an inbound event, once it is there."""
        async with asyncio.timeout(timeout_s):
            while True:
                for result in await self.results():
                    if result["data"]["inbound_event_id"] == event_id:
                        return result
                await asyncio.sleep(0.05)

    async def dead_letters(self, stream: str) -> list[dict[str, str]]:
        """The entries of a stream's dead letters."""
        entries = await self.redis.xrange(stream + self.settings.streams.dead_letter_suffix)
        return [{k.decode(): v.decode() for k, v in fields.items()} for _, fields in entries]

    async def warehouse_ids(self) -> dict[str, int]:
        """Warehouse externalid -> id, read through the Sitoo API."""
        answer = await self.api.get("sites/1/warehouses.json", params={"num": 100})
        answer.raise_for_status()
        return {w["externalid"]: w["warehouseid"] for w in answer.json()["items"]}

    async def _stock_item(self, warehouse_externalid: str, sku: str) -> dict[str, Any]:
        warehouseid = (await self.warehouse_ids())[warehouse_externalid]
        answer = await self.admin.get(
            "/_sandbox/state/stock", params={"warehouseid": warehouseid, "sku": sku}
        )
        [item] = answer.json()
        return dict(item)

    async def effect_problems(self, effect: Effect) -> list[str]:
        """What differs between Sitoo's state and the effect the example documents."""
        if isinstance(effect, CardBalance):
            state = (await self.admin.get(f"/_sandbox/state/giftcards/{effect.card_number}")).json()
            balance = state["giftcard"]["moneyamount"]
            return [] if balance == effect.balance else [f"{effect.describe()}, not {balance}"]
        if isinstance(effect, StockTotal):
            item = await self._stock_item(effect.warehouse_externalid, effect.sku)
            total = item["decimaltotal"]
            return [] if total == effect.total else [f"{effect.describe()}, not {total}"]
        return await self._order_problems(effect)

    async def _order_problems(self, effect: OrderInSitoo) -> list[str]:
        answer = await self.admin.get(
            "/_sandbox/state/orders", params={"externalid": effect.externalid}
        )
        orders = answer.json()
        if len(orders) != 1:
            return [f"{len(orders)} orders with externalid {effect.externalid}, not one"]
        [order] = orders
        problems = []
        if order["orderstateid"] != _ORDER_STATES[effect.state]:
            problems.append(f"order state {order['orderstateid']}, not {effect.state}")
        warehouses = await self.warehouse_ids()
        if order["warehouseid"] != warehouses[effect.warehouse_externalid]:
            problems.append(f"order in warehouse {order['warehouseid']}")
        for sku, units in effect.reserved.items():
            item = await self._stock_item(effect.warehouse_externalid, sku)
            if Decimal(item["decimalreserved"]) != Decimal(units):
                problems.append(f"{item['decimalreserved']} of {sku} reserved, not {units}")
        return problems

    async def problems(
        self, example: Example, result: dict[str, Any], reply: dict[str, Any] | None
    ) -> list[str]:
        """Everything that differs from the example's documented result (empty: it matches)."""
        expected = example.expected
        data = result["data"]
        found: list[str] = []
        if result["type"] != f"{example.event_type}.{expected.status}":
            found.append(f"result type {result['type']}")
        for name, value in (
            ("reason_code", expected.reason_code),
            ("dead_lettered", expected.dead_lettered),
        ):
            if data[name] != value:
                found.append(f"{name} {data[name]!r}, documented {value!r}")
        if expected.reason is not None and data["reason"] != expected.reason:
            found.append(f"reason {data['reason']!r}, documented {expected.reason!r}")
        for name, value in expected.sitoo.items():
            if data["sitoo"].get(name) != value:
                found.append(f"sitoo.{name} {data['sitoo'].get(name)!r}, documented {value!r}")
        for name, sample in expected.varying.items():
            if type(data["sitoo"].get(name)) is not type(sample):
                found.append(f"sitoo.{name} {data['sitoo'].get(name)!r} is not like {sample!r}")
        found += self._reply_problems(example, reply)
        found += await self._dead_letter_problems(example, data["stream"])
        for effect in expected.effects:
            found += await self.effect_problems(effect)
        return found

    @staticmethod
    def _reply_problems(example: Example, reply: dict[str, Any] | None) -> list[str]:
        documented = example.expected.reply
        if documented is None:
            return []
        if reply is None:
            return ["no reply on the reply list"]
        return [
            f"reply {name} {reply.get(name)!r}, documented {value!r}"
            for name, value in documented.items()
            if reply.get(name) != value
        ]

    async def _dead_letter_problems(self, example: Example, stream: str) -> list[str]:
        parked = [d for d in await self.dead_letters(stream) if d["event_id"] == example.event_id]
        if not example.expected.dead_lettered:
            return [f"dead-lettered: {parked}"] if parked else []
        if len(parked) != 1:
            return [f"{len(parked)} dead letters, documented one"]
        if parked[0]["reason_code"] != example.expected.reason_code:
            return [f"dead letter reason_code {parked[0]['reason_code']}"]
        return []


def stack_settings(
    sandbox: RunningSandbox,
    redis_url: str,
    unique: str,
    *,
    pollers: bool,
    webhook_password: str | None = None,
) -> Settings:
    """The service's settings: this stack's names, quick pollers when they are wanted."""
    return Settings(
        sitoo=SitooSettings(
            base_url=sandbox.base_url,  # type: ignore[arg-type]
            api_id=API_ID,
            api_password=SecretStr(API_PASSWORD),
            read_timeout_s=5.0,
            call_deadline_s=15.0,
        ),
        redis=RedisSettings(url=SecretStr(redis_url), key_prefix=unique),
        streams=StreamSettings(
            orders=f"{unique}.webshop.orders",
            giftcards=f"{unique}.webshop.giftcards",
            giftcard_requests=f"{unique}.webshop.giftcard-requests",
            stock=f"{unique}.webshop.stock",
            results=f"{unique}.results",
            outbound=f"{unique}.sitoo.events",
            sitoo_webhooks=f"{unique}.sitoo.webhooks",
            consumer=f"{unique}-replica-1",
            reclaim_idle_ms=2000,
            max_deliveries=3,
        ),
        consumers=ConsumerSettings(directory_cache_s=0.0),
        http=HttpSettings(webhook_password=webhook_password),  # type: ignore[arg-type]
        pollers=PollerSettings(
            enabled=pollers,
            stock_interval_s=0.1,
            orders_interval_s=0.1,
            giftcards_interval_s=0.1,
            full_snapshot_interval_s=1.0,
            lease_ttl_s=5.0,
        ),
    )


@contextlib.asynccontextmanager
async def example_stack(
    redis_url: str, *, pollers: bool = False, webhook_password: str | None = None
) -> AsyncIterator[ExampleStack]:
    """A fresh demo sandbox over HTTP and the whole service reading its own streams."""
    unique = f"ex{uuid.uuid4().hex[:10]}"
    config = SandboxConfig(credentials={API_ID: SecretStr(API_PASSWORD)}, seed="demo")
    async with (
        serve_sandbox(config, port=0) as sandbox,
        httpx.AsyncClient(base_url=sandbox.url, timeout=10) as admin,
        httpx.AsyncClient(
            base_url=sandbox.base_url + "/", auth=(API_ID, API_PASSWORD), timeout=10
        ) as api,
    ):
        settings = stack_settings(
            sandbox, redis_url, unique, pollers=pollers, webhook_password=webhook_password
        )
        client = aioredis.Redis.from_url(redis_url)
        try:
            async with running_service(settings) as app:
                yield ExampleStack(sandbox, settings, client, redis_url, unique, admin, api, app)
        finally:
            await client.aclose()
