"""A Redis failover under load: `python -m tests.chaos.failover [--claim-replicas 0|1] [--lag-s S]`.

As an operator meets it: a primary with AOF and one replica; mixed webshop events (orders,
gift-card redeems, stock adjustments) sent at a steady rate through the real service
(`python -m service run`) against the sandbox (its own process). Half way, the replica is
cut off from the primary (its process frozen) for ``--lag-s`` seconds, the primary is
killed, the replica promoted (`REPLICAOF NO ONE`) and given a replica of its own, and the
service restarted on it. The webshop goes on sending to the new primary, and at the end
re-sends, with the same event_id, every event that got no result. Then it counts, from the
sandbox's ledger and the results the webshop read: effects applied more than once, what
gift cards were over-charged, events with more than one distinct result, events without
one. Exit status 1 when a duplicated effect, an over-charge or a conflicting result
was seen, or an event was left without a result.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import secrets
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from service.tasks import stop_tasks
from tests.chaos.processes import Replica, SandboxServer
from tests.chaos.sandbox_admin import SandboxAdmin
from tests.chaos.workload import Send, Size, _Builder
from tests.support.replicated_redis import Server, redis_server_or_reason

STREAMS = {
    "orders": "webshop.orders",
    "giftcards": "webshop.giftcards",
    "giftcard-requests": "webshop.giftcard-requests",
    "stock": "webshop.stock",
}
RESULTS = "sitoo-sync.results"
ONCE_KINDS = (
    "order.create",
    "order.delivery",
    "giftcard.issue",
    "giftcard.transaction",
    "giftcard.rollback",
    "warehouse.transaction",
)
_POLL_S = 0.1


@dataclass(frozen=True)
class FailoverConfig:
    """One run: how much, how fast, how far behind the replica falls, which setting."""

    events: int = 1000
    rate: float = 50.0
    lag_s: float = 1.5
    claim_replicas: int = 1
    resend: bool = True
    seed: int = 7
    sitoo_latency_ms: float = 0.0  # a slower Sitoo: a backlog, more writes in flight
    settle_timeout_s: float = 120.0
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="failover-")))


@dataclass
class Figures:
    """What the run came to."""

    sent: int = 0
    lost_before_resend: int = 0  # acknowledged to the webshop, then gone with the primary
    without_result: int = 0
    duplicated: dict[str, int] = field(default_factory=dict)  # by ledger kind
    overcharged: Decimal = Decimal(0)
    repeated_results: int = 0  # the same result emitted again (same result id)
    conflicting_results: int = 0  # more than one distinct outcome for one event
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """No duplicated effect, no over-charge, one outcome per event, none missing."""
        return (
            not any(self.duplicated.values())
            and self.overcharged == 0
            and self.conflicting_results == 0
            and self.without_result == 0
        )


def _plan(config: FailoverConfig, run_id: str) -> tuple[list[Send], list[Send]]:
    """Gift cards to issue first, then the mixed events in the order they are sent."""
    cards = max(4, config.events // 40)
    size = Size("failover", 0, 0.0, cards, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    builder = _Builder(size, config.seed, run_id, "sitoo-sync")
    setup = [builder.issue(n) for n in range(cards)]
    rng = random.Random(config.seed)
    numbers = list(builder.plan.cards)
    main: list[Send] = []
    for index in range(config.events):
        kind = rng.random()
        if kind < 0.3:
            sends, _ = builder.order(index)
            main.extend(sends)
        elif kind < 0.65:
            main.append(builder.redeem(rng.choice(numbers), None, request=False))
        else:
            main.append(builder.adjustment())
    return setup, main[: config.events]


class Webshop:
    """Sends events to whichever Redis is the primary, and reads every result it can see."""

    def __init__(self, url: str) -> None:
        self.redis = aioredis.Redis.from_url(url)
        self.switched = asyncio.Event()
        self.results: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        self._seen: set[bytes] = set()
        self._last = b"0"

    async def switch(self, url: str) -> None:
        """The primary changed: talk to the new one, read its results from the start."""
        old, self.redis = self.redis, aioredis.Redis.from_url(url)
        with contextlib.suppress(RedisError, OSError):
            await old.aclose()
        self._last = b"0"
        self.switched.set()

    async def close(self) -> None:
        """Close the connection to the current primary."""
        await self.redis.aclose()

    async def send(self, send: Send) -> None:
        """XADD, retried on the new primary when the old one is gone (the entry may be lost)."""
        while True:
            try:
                await self.redis.xadd(STREAMS[send.channel], send.fields)
            except (RedisError, OSError):
                await asyncio.sleep(_POLL_S)
            else:
                return

    async def read_results(self) -> None:
        """Record every result event seen, by inbound event id, until cancelled."""
        while True:
            try:
                found = await self.redis.xread({RESULTS: self._last}, count=1000, block=200)
            except (RedisError, OSError):
                await asyncio.sleep(_POLL_S)
                continue
            for _, entries in found or []:
                for entry_id, fields in entries:
                    self._last = entry_id
                    if entry_id in self._seen:
                        continue  # the promoted replica had this one already
                    self._seen.add(entry_id)
                    result = json.loads(fields[b"event"])
                    inbound = result["data"].get("inbound_event_id")
                    if inbound:
                        self.results[inbound][result["event_id"]].append(result["type"])


def _service_env(config: FailoverConfig, sandbox: SandboxServer, url: str) -> dict[str, str]:
    return {
        "SITOO_SYNC_SITOO__BASE_URL": sandbox.base_url,
        "SITOO_SYNC_SITOO__API_ID": sandbox.api_id,
        "SITOO_SYNC_SITOO__API_PASSWORD": sandbox.api_password,
        "SITOO_SYNC_SITOO__CONNECT_TIMEOUT_S": "1.0",
        "SITOO_SYNC_SITOO__READ_TIMEOUT_S": "2.0",
        "SITOO_SYNC_SITOO__CALL_DEADLINE_S": "5.0",
        "SITOO_SYNC_IDEMPOTENCY__LEASE_S": "8.0",
        "SITOO_SYNC_REDIS__URL": url,
        "SITOO_SYNC_REDIS__CLAIM_REPLICAS": str(config.claim_replicas),
        "SITOO_SYNC_REDIS__CLAIM_REPLICA_TIMEOUT_S": "0.5",
        "SITOO_SYNC_STREAMS__RECLAIM_IDLE_MS": "3000",
        "SITOO_SYNC_STREAMS__MAX_DELIVERIES": "30",
        "SITOO_SYNC_POLLERS__ENABLED": "false",
        "SITOO_SYNC_LOG__FORMAT": "json",
        "SITOO_SYNC_LOG__LEVEL": "INFO",
    }


async def _quiet(redis: aioredis.Redis, timeout_s: float) -> str | None:
    """Wait until every inbound entry was read and acknowledged; on timeout, what was not."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        busy = 0
        for stream in STREAMS.values():
            with contextlib.suppress(RedisError):
                for group in await redis.xinfo_groups(stream):
                    busy += int(group["pending"]) + int(group.get("lag") or 0)
        if busy == 0:
            return None
        await asyncio.sleep(0.5)
    return await _unsettled(redis)


async def _unsettled(redis: aioredis.Redis) -> str:
    """What the groups still hold: the figure alone would not say why."""
    parts: list[str] = []
    for stream in STREAMS.values():
        with contextlib.suppress(RedisError):
            for group in await redis.xinfo_groups(stream):
                name = group["name"]
                pending = await redis.xpending_range(stream, name, "-", "+", 5)
                held = []
                for item in pending:
                    entry_id = item["message_id"]
                    found = await redis.xrange(stream, entry_id, entry_id)
                    event = json.loads(found[0][1][b"event"]) if found else {}
                    held.append(
                        f"{entry_id.decode()} {event.get('type')} {event.get('event_id')} "
                        f"by {item['consumer'].decode()} x{item['times_delivered']} "
                        f"idle {item['time_since_delivered']}ms"
                    )
                parts.append(
                    f"{stream}/{name.decode()}: pending {group['pending']}, "
                    f"lag {group.get('lag')}, read {group.get('entries-read')}, "
                    f"last {group['last-delivered-id'].decode()}" + "".join(f"; {h}" for h in held)
                )
    return " | ".join(parts)


def _count(
    figures: Figures, ledger: list[dict[str, Any]], webshop: Webshop, events: list[Send]
) -> None:
    seen = Counter((e["kind"], e["key"]) for e in ledger if e["kind"] in ONCE_KINDS)
    figures.duplicated = dict.fromkeys(ONCE_KINDS, 0)
    for (kind, key), times in seen.items():
        if times > 1:
            figures.duplicated[kind] += 1
            if kind == "giftcard.transaction":
                amount = next(
                    Decimal(e["detail"]["moneyamount"]) for e in ledger if e["key"] == key
                )
                figures.overcharged += max(Decimal(0), -amount) * (times - 1)
    for send in events:
        outcomes = webshop.results.get(send.event_id or "", {})
        if not outcomes:
            figures.without_result += 1
            continue
        types = {t for found in outcomes.values() for t in found}
        figures.repeated_results += sum(len(found) - 1 for found in outcomes.values())
        if len(outcomes) > 1 or len(types) > 1:
            figures.conflicting_results += 1


async def run_failover(config: FailoverConfig) -> Figures:  # noqa: C901, PLR0912, PLR0915 - one story
    """Run it once and count."""
    executable, reason = redis_server_or_reason()
    if executable is None:
        raise RuntimeError(reason)
    workdir = config.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    primary = Server(_free_port(), workdir / "primary")
    replica = Server(_free_port(), workdir / "replica")
    spare = Server(_free_port(), workdir / "spare")  # the promoted replica's own replica
    sandbox = SandboxServer(
        workdir / "sandbox.log", "failover", secrets.token_hex(8), fault_seed=config.seed
    )
    figures = Figures()
    service: Replica | None = None
    reader: asyncio.Task[None] | None = None
    webshop: Webshop | None = None
    try:
        primary.start(executable)
        replica.start(executable, "--replicaof", "127.0.0.1", str(primary.port))
        await _linked(replica)
        await sandbox.start()
        if config.sitoo_latency_ms:
            async with httpx.AsyncClient(base_url=sandbox.url) as client:
                await SandboxAdmin(client).set_faults(
                    {"latency_ms": config.sitoo_latency_ms, "seed": config.seed}
                )
        service = Replica("service", _service_env(config, sandbox, primary.url), workdir)
        await service.start()
        webshop = Webshop(primary.url)
        reader = asyncio.create_task(webshop.read_results())
        setup, main = _plan(config, secrets.token_hex(4))
        for send in setup:
            await webshop.send(send)
        async with asyncio.timeout(60):
            while any(s.event_id not in webshop.results for s in setup):
                await asyncio.sleep(_POLL_S)

        async def failover() -> None:
            nonlocal service
            await asyncio.sleep(len(main) / config.rate / 2)
            # Cut off: the replica drops its link and receives nothing more. (Freezing its
            # process would not do: what the primary sent waits in the socket buffers.)
            await _promote(replica)
            await asyncio.sleep(config.lag_s)
            primary.kill()
            assert service is not None
            await service.kill()
            spare.start(executable, "--replicaof", "127.0.0.1", str(replica.port))
            await _linked(spare)
            await webshop.switch(replica.url)
            service = Replica("service-2", _service_env(config, sandbox, replica.url), workdir)
            await service.start()

        switching = asyncio.create_task(failover())
        started = time.monotonic()
        for index, send in enumerate(main):
            await asyncio.sleep(max(0.0, started + index / config.rate - time.monotonic()))
            await webshop.send(send)
        figures.sent = len(main)
        await switching
        unsettled = await _quiet(webshop.redis, config.settle_timeout_s)
        if unsettled is not None:
            figures.notes.append(f"entries still pending after the settle timeout: {unsettled}")
        await asyncio.sleep(1.0)
        figures.lost_before_resend = sum(1 for s in main if s.event_id not in webshop.results)
        if config.resend:
            for send in main:
                if send.event_id not in webshop.results:
                    await webshop.send(send)
            unsettled = await _quiet(webshop.redis, config.settle_timeout_s)
            if unsettled is not None:
                figures.notes.append(
                    f"re-sent entries still pending after the settle timeout: {unsettled}"
                )
            await asyncio.sleep(1.0)
        async with httpx.AsyncClient(base_url=sandbox.url, timeout=30) as client:
            ledger = await SandboxAdmin(client).ledger()
        _count(figures, ledger, webshop, main)
    finally:
        if reader is not None:
            # One cancel can be lost in the middle of a Redis call (service.tasks): the
            # reader then read on for ever, and the run never ended.
            await stop_tasks([reader])
        if webshop is not None:
            await webshop.close()
        if service is not None:
            await service.stop()
        await sandbox.stop()
        for server in (spare, replica, primary):
            server.stop()
    return figures


def _free_port() -> int:
    from tests.chaos.processes import free_port  # noqa: PLC0415

    return free_port()


async def _linked(server: Server) -> None:
    client = aioredis.Redis.from_url(server.url)
    try:
        async with asyncio.timeout(15):
            while (await client.info("replication")).get("master_link_status") != "up":
                await asyncio.sleep(0.05)
    finally:
        await client.aclose()


async def _promote(server: Server) -> None:
    client = aioredis.Redis.from_url(server.url)
    try:
        await client.execute_command("REPLICAOF", "NO", "ONE")
    finally:
        await client.aclose()


def format_figures(config: FailoverConfig, figures: Figures) -> str:
    """The figures as plain text."""
    duplicated = figures.duplicated
    resend = "on" if config.resend else "off"
    lines = [
        (
            f"== failover: {figures.sent} events at {config.rate:g}/s, replica behind by "
            f"{config.lag_s:g}s, Sitoo latency {config.sitoo_latency_ms:g} ms, "
            f"CLAIM_REPLICAS={config.claim_replicas}, re-send {resend} =="
        ),
        (
            "  acknowledged to the webshop, then lost (no result before the re-send): "
            f"{figures.lost_before_resend}"
        ),
        (
            f"  duplicated effects: orders {duplicated.get('order.create', 0)} / redeems "
            f"{duplicated.get('giftcard.transaction', 0)} / stock transactions "
            f"{duplicated.get('warehouse.transaction', 0)} (all kinds: {sum(duplicated.values())})"
        ),
        f"  gift cards over-charged: {figures.overcharged:f} SEK",
        f"  events with more than one distinct result: {figures.conflicting_results}",
        f"  result events emitted again (same result id): {figures.repeated_results}",
        f"  events without a result: {figures.without_result}",
        *(f"  note: {note}" for note in figures.notes),
        f"  logs and data in {config.workdir}",
        "VERDICT: " + ("PASS" if figures.passed else "FAIL"),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run once and print the figures."""
    parser = argparse.ArgumentParser(prog="python -m tests.chaos.failover", description=__doc__)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50.0, help="events per second")
    parser.add_argument("--lag-s", type=float, default=1.5, help="how long the replica is cut")
    parser.add_argument("--claim-replicas", type=int, default=1)
    parser.add_argument("--no-resend", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sitoo-latency-ms", type=float, default=0.0)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args(argv)
    config = FailoverConfig(
        events=args.events,
        rate=args.rate,
        lag_s=args.lag_s,
        claim_replicas=args.claim_replicas,
        resend=not args.no_resend,
        seed=args.seed,
        sitoo_latency_ms=args.sitoo_latency_ms,
        **({"workdir": args.workdir} if args.workdir else {}),
    )
    figures = asyncio.run(run_failover(config))
    sys.stdout.write(format_figures(config, figures))
    return 0 if figures.passed else 1


if __name__ == "__main__":
    sys.exit(main())
