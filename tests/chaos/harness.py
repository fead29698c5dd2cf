"""One chaos run: start everything, push the plan through under faults, collect, judge."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import redis.asyncio as aioredis
from redis.exceptions import ClusterDownError, RedisClusterException, RedisError, TryAgainError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from service.records.connection import open_redis
from service.tasks import stop_tasks
from tests.chaos.faults import FAULT_PHASES, FaultSchedule
from tests.chaos.hostile import GIFTCARDS, ORDERS, REQUESTS, STOCK
from tests.chaos.processes import RedisClusterServers, RedisServer, Replica, SandboxServer
from tests.chaos.sandbox_admin import SandboxAdmin
from tests.chaos.verdict import Collected, Verdict, judge
from tests.chaos.workload import FIFO_WAREHOUSES, SIZES, Plan, Send, build_plan, sku

T = TypeVar("T")
STREAMS = {
    ORDERS: "webshop.orders",
    GIFTCARDS: "webshop.giftcards",
    REQUESTS: "webshop.giftcard-requests",
    STOCK: "webshop.stock",
}
RESULTS = "sitoo-sync.results"
GROUP = "sitoo-sync"
REDIS_OUTAGE_S = 60.0
# What a producer sees while a Redis restarts or a cluster's master is away: no socket, a
# slow answer, or a node answering CLUSTERDOWN / TRYAGAIN until the cluster is whole again.
# None of them refuses the command itself, so each is waited out, as a webshop would.
REDIS_UNAVAILABLE: tuple[type[BaseException], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    ClusterDownError,
    TryAgainError,
    RedisClusterException,
    OSError,
)


@dataclass(frozen=True)
class ChaosConfig:
    """Knobs of one run; the two sizes differ in volume and duration, not in kinds of fault."""

    size: str = "ci"
    seed: int = 7
    replicas: int = 2
    send_s: float = 20.0  # the plan is spread over this long
    kills: int = 3
    settle_timeout_s: float = 60.0
    phase_s: float = 2.0
    pollers: bool = True
    workdir: Path = Path("chaos-run")
    cluster: bool = False  # a local three-master Redis Cluster instead of one Redis


@contextlib.contextmanager
def cluster_stream_names(key_prefix: str) -> Iterator[None]:
    """For one run, name the streams as the service does on a cluster: under its hash tag."""
    global RESULTS  # noqa: PLW0603 - every helper of the run reads the names
    streams, results = dict(STREAMS), RESULTS
    STREAMS.update({channel: f"{key_prefix}:{stream}" for channel, stream in streams.items()})
    RESULTS = f"{key_prefix}:{results}"
    try:
        yield
    finally:
        STREAMS.update(streams)
        RESULTS = results


@dataclass
class Timeline:
    """What happened when, for the report."""

    started: float = field(default_factory=time.monotonic)
    events: list[tuple[float, str]] = field(default_factory=list)

    def note(self, what: str) -> None:
        """Record one thing with its time since the start."""
        self.events.append((time.monotonic() - self.started, what))


@dataclass
class Report:
    """The verdict plus how the run went."""

    verdict: Verdict
    timeline: Timeline
    replicas: list[Replica]
    redis: RedisServer
    sandbox_requests: dict[str, Any]
    elapsed_s: float
    workdir: Path


async def _retry_redis(call: Callable[[], Awaitable[T]], timeline: Timeline) -> T:
    """Keep trying while Redis restarts, as a webshop's producer would."""
    deadline = time.monotonic() + REDIS_OUTAGE_S
    noted = False
    while True:
        try:
            return await call()
        except REDIS_UNAVAILABLE as error:
            if time.monotonic() > deadline:
                raise
            if not noted:
                timeline.note(f"webshop side: Redis unavailable ({type(error).__name__}), retrying")
                noted = True
            await asyncio.sleep(0.1)


class Supervisor:
    """Keeps N replicas running; kills on request; restarts any that died unasked."""

    def __init__(self, replicas: list[Replica], timeline: Timeline) -> None:
        self.replicas = replicas
        self._timeline = timeline
        self._locks = {r.name: asyncio.Lock() for r in replicas}

    async def start_all(self) -> None:
        """Start every replica and wait until each is ready."""
        await asyncio.gather(*(r.start() for r in self.replicas))

    async def kill_and_restart(self, replica: Replica, *, down_s: float) -> None:
        """SIGKILL one replica, leave it down a moment, start it again."""
        async with self._locks[replica.name]:
            await replica.kill()
            self._timeline.note(f"SIGKILL {replica.name}")
            await asyncio.sleep(down_s)
            await replica.start()
            self._timeline.note(f"{replica.name} ready again")

    async def watch(self) -> None:
        """Restart a replica that exited by itself (and remember that it did)."""
        while True:
            for replica in self.replicas:
                lock = self._locks[replica.name]
                if lock.locked() or replica.alive():
                    continue
                async with lock:
                    code = replica.note_unexpected_exit()
                    if code is not None:
                        self._timeline.note(f"{replica.name} exited by itself with {code}")
                        await replica.start()
            await asyncio.sleep(0.25)

    async def stop_all(self) -> dict[str, int | None]:
        """SIGTERM every replica; their exit codes."""
        codes = await asyncio.gather(*(r.stop() for r in self.replicas))
        return {r.name: c for r, c in zip(self.replicas, codes, strict=True)}


class Staff:
    """Store staff and tills acting while the webshop's events flow."""

    def __init__(self, admin: SandboxAdmin, plan: Plan, run_id: str, timeline: Timeline) -> None:
        self._admin = admin
        self._plan = plan
        self._run_id = run_id
        self._timeline = timeline
        self.redeems: list[dict[str, Any]] = []
        self.actions: dict[str, int] = {}
        self.refused: dict[str, int] = {}
        self.picked_up: set[int] = set()

    def _count(self, kind: str, *, ok: bool) -> None:
        target = self.actions if ok else self.refused
        target[kind] = target.get(kind, 0) + 1

    async def _try(self, kind: str, action: Awaitable[Any]) -> Any:
        try:
            answer = await action
        except httpx.HTTPStatusError:
            self._count(kind, ok=False)
            return None
        self._count(kind, ok=True)
        return answer

    async def till_work(self, count: int, every_s: float, seed: int) -> None:
        """POS sales, in-store redemptions and stock counts, spread over the run."""
        import random  # noqa: PLC0415 - only the staff draws here

        rng = random.Random(seed)
        cards = list(self._plan.cards)
        for number in range(count):
            await asyncio.sleep(every_s)
            store = rng.randint(1, 3)
            lines = [{"sku": sku(rng.randint(1, 100)), "quantity": 1}]
            await self._try(
                "pos sale", self._admin.pos_sale(store, lines, f"{self._run_id}-pos-{number}")
            )
            if cards:
                card = rng.choice(cards)
                amount = f"{rng.randint(5, 40)}.00"
                receipt = f"{self._run_id}-till-{number}"
                pin = self._plan.card_pins[card]
                answer = await self._try(
                    "in-store redemption", self._admin.redeem_in_store(card, amount, receipt, pin)
                )
                self.redeems.append(
                    {
                        "card": card,
                        "amount": amount,
                        "receipt_id": receipt,
                        "ok": answer is not None,
                    }
                )
            warehouse = rng.choice(FIFO_WAREHOUSES)
            counts = {sku(rng.randint(1, 100)): str(rng.randint(0, 40))}
            await self._try("stock count", self._admin.stock_count(warehouse, counts))

    async def pickups(self, redis: Any, stop: asyncio.Event) -> None:
        """Ready-for-pickup, then picked-up, for half the click-and-collect orders placed."""
        last = "0"
        pickup_events = {
            facts["placed_event"]: order_id
            for order_id, facts in self._plan.orders.items()
            if facts["pickup"] and not facts["cancelled"]
        }
        while not stop.is_set():
            try:
                batches = await redis.xread({RESULTS: last}, count=500, block=200)
            except (RedisError, OSError):
                await asyncio.sleep(0.2)
                continue
            for _stream, entries in batches or []:
                for entry_id, fields in entries:
                    last = entry_id.decode()
                    data = json.loads(fields[b"event"])["data"]
                    order_id = pickup_events.get(data.get("inbound_event_id") or "")
                    orderid = data.get("sitoo", {}).get("orderid")
                    if order_id is None or data["status"] != "succeeded" or orderid is None:
                        continue
                    if int(order_id.rsplit("o", 1)[1]) % 2 or orderid in self.picked_up:
                        continue
                    self.picked_up.add(orderid)
                    await self._try(
                        "ready for pickup", self._admin.order_action("ready-for-pickup", orderid)
                    )
                    await self._try("picked up", self._admin.order_action("picked-up", orderid))


async def _send(redis: aioredis.Redis, send: Send, timeline: Timeline) -> str:
    stream = STREAMS[send.channel]
    entry_id = await _retry_redis(lambda: redis.xadd(stream, send.fields), timeline)  # type: ignore[arg-type]
    return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)


async def _push(
    redis: aioredis.Redis,
    sends: list[Send],
    hostile: dict[tuple[str, str], str],
    span_s: float,
    timeline: Timeline,
) -> None:
    """Send at an even pace over ``span_s``; remember where each hostile entry landed."""
    pause = span_s / max(1, len(sends))
    for send in sends:
        entry_id = await _send(redis, send, timeline)
        if send.hostile is not None:
            hostile[(STREAMS[send.channel], entry_id)] = send.hostile
        await asyncio.sleep(pause)


async def _cancel_all(tasks: list[asyncio.Task[Any]]) -> None:
    """Cancel background tasks and wait for them to end (a lost cancel is repeated)."""
    await stop_tasks(tasks)
    tasks.clear()


async def _results(redis: aioredis.Redis, timeline: Timeline) -> list[dict[str, Any]]:
    entries: list[tuple[bytes, dict[bytes, bytes]]] = await _retry_redis(
        lambda: redis.xrange(RESULTS),  # type: ignore[arg-type, return-value]
        timeline,
    )
    return [json.loads(fields[b"event"]) for _id, fields in entries]


async def _wait_settled(
    redis: aioredis.Redis,
    plan: Plan,
    hostile: dict[tuple[str, str], str],
    timeline: Timeline,
    timeout_s: float,
) -> None:
    """Until every sent event has a result and nothing is pending, or the timeout."""
    wanted = {s.event_id for s in plan.good}
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        results = await _results(redis, timeline)
        seen = {r["data"].get("inbound_event_id") for r in results}
        entries = {(r["data"]["stream"], r["data"]["entry_id"]) for r in results}
        if wanted <= seen and set(hostile) <= entries and await _nothing_pending(redis):
            timeline.note("every event settled")
            return
        await asyncio.sleep(0.5)
    timeline.note("settle timeout reached")


async def _pending(redis: aioredis.Redis) -> dict[str, int]:
    """Entries still pending in the service's group, per stream."""
    counts: dict[str, int] = {}
    for stream in STREAMS.values():
        summary = await redis.xpending(stream, GROUP)
        counts[stream] = int(summary["pending"])
    return counts


async def _nothing_pending(redis: aioredis.Redis) -> bool:
    """True once no entry is pending; a Redis that cannot say yet is not "nothing"."""
    try:
        return not any((await _pending(redis)).values())
    except REDIS_UNAVAILABLE:
        return False


async def _collect(
    *,
    redis: Any,
    admin: SandboxAdmin,
    plan: Plan,
    hostile: dict[tuple[str, str], str],
    stock_before: list[dict[str, Any]],
    staff: Staff,
    timeline: Timeline,
) -> Collected:
    dead: dict[str, list[dict[str, str]]] = {}
    for stream in STREAMS.values():
        entries = await _retry_redis(lambda: redis.xrange(f"{stream}.dlq"), timeline)  # noqa: B023 - awaited at once
        dead[stream] = [
            {
                k.decode(): v.decode("utf-8", "replace")
                for k, v in fields.items()
                if not k.startswith(b"original:")
            }
            for _id, fields in entries
        ]
    replies: dict[str, list[dict[str, Any]]] = {}
    for event_id, key in plan.requests.items():
        replies[event_id] = [json.loads(r) for r in await redis.lrange(key, 0, -1)]
    hostile_replies: dict[str, list[dict[str, Any]]] = {}
    for send in plan.hostile:
        if send.reply_to is not None:
            found = await redis.lrange(send.reply_to, 0, -1)
            hostile_replies[send.reply_to] = [json.loads(r) for r in found]
    cards = {card: await admin.giftcard(card) for card in plan.cards}
    return Collected(
        results=await _results(redis, timeline),
        dead_letters=dead,
        hostile_entries=hostile,
        stream_of_channel=dict(STREAMS),
        ledger=await admin.ledger(),
        stock_before=stock_before,
        stock_after=await admin.stock(),
        cards=cards,
        orders=await admin.orders(),
        replies=replies,
        hostile_replies=hostile_replies,
        store_redeems=staff.redeems,
        pending=await _retry_redis(lambda: _pending(redis), timeline),
        violations=await admin.violations(),
    )


def replica_environment(
    config: ChaosConfig,
    redis: RedisServer | RedisClusterServers,
    sandbox: SandboxServer,
    key_prefix: str,
) -> dict[str, str]:
    """Settings of every replica: short timeouts and reclaim so faults resolve within the run."""
    return {
        "SITOO_SYNC_SITOO__BASE_URL": sandbox.base_url,
        "SITOO_SYNC_SITOO__API_ID": sandbox.api_id,
        "SITOO_SYNC_SITOO__API_PASSWORD": sandbox.api_password,
        "SITOO_SYNC_SITOO__CONNECT_TIMEOUT_S": "1.0",
        "SITOO_SYNC_SITOO__READ_TIMEOUT_S": "1.0",
        "SITOO_SYNC_SITOO__CALL_DEADLINE_S": "5.0",
        "SITOO_SYNC_IDEMPOTENCY__LEASE_S": "8.0",
        "SITOO_SYNC_REDIS__URL": redis.url,
        "SITOO_SYNC_REDIS__KEY_PREFIX": key_prefix,
        "SITOO_SYNC_REDIS__CLUSTER": "true" if config.cluster else "false",
        "SITOO_SYNC_STREAMS__RECLAIM_IDLE_MS": "3000",
        "SITOO_SYNC_STREAMS__MAX_DELIVERIES": "30",
        "SITOO_SYNC_CONSUMERS__REPLY_TTL_S": "3600",
        "SITOO_SYNC_POLLERS__ENABLED": "true" if config.pollers else "false",
        "SITOO_SYNC_POLLERS__STOCK_INTERVAL_S": "5",
        "SITOO_SYNC_POLLERS__ORDERS_INTERVAL_S": "5",
        "SITOO_SYNC_LOG__FORMAT": "json",
        "SITOO_SYNC_LOG__LEVEL": "INFO",
    }


async def _killer(
    supervisor: Supervisor,
    kills: int,
    span_s: float,
    redis: RedisServer | RedisClusterServers,
    timeline: Timeline,
) -> None:
    """SIGKILL replicas at even intervals, and restart Redis once half way."""
    every = span_s / (kills + 1)
    restarted = False
    for number in range(kills):
        await asyncio.sleep(every)
        replica = supervisor.replicas[number % len(supervisor.replicas)]
        await supervisor.kill_and_restart(replica, down_s=0.5)
        if not restarted and number + 1 >= kills // 2:
            timeline.note("Redis: graceful restart begins")
            await redis.restart(down_s=1.5)
            timeline.note("Redis: back")
            restarted = True
    if not restarted:
        await redis.restart(down_s=1.5)
        timeline.note("Redis restarted")


async def run_chaos(config: ChaosConfig) -> Report:
    """Start Redis, the sandbox and the replicas; push the plan under faults; judge."""
    run_id = f"c{secrets.token_hex(3)}"
    if not config.cluster:
        return await _run_chaos(config, run_id, f"chaos-{run_id}", RedisServer)
    key_prefix = "{chaos-" + run_id + "}"
    with cluster_stream_names(key_prefix):
        return await _run_chaos(
            config, run_id, key_prefix, lambda d: RedisClusterServers(d, key=key_prefix)
        )


async def _run_chaos(  # noqa: PLR0915 - one linear story of a run
    config: ChaosConfig,
    run_id: str,
    key_prefix: str,
    make_redis: Callable[[Path], RedisServer | RedisClusterServers],
) -> Report:
    timeline = Timeline()
    workdir = config.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    redis_server = make_redis(workdir / "redis")
    sandbox = SandboxServer(
        log_path=workdir / "sandbox.log",
        api_id="chaos",
        api_password=secrets.token_urlsafe(12),
        fault_seed=config.seed,
    )
    await redis_server.start()
    timeline.note(f"Redis up ({redis_server.origin}, AOF on, port {redis_server.port})")
    await sandbox.start()
    timeline.note(f"sandbox up on port {sandbox.port}")
    env = replica_environment(config, redis_server, sandbox, key_prefix)
    replicas = [Replica(f"replica-{n + 1}", env, workdir) for n in range(config.replicas)]
    supervisor = Supervisor(replicas, timeline)
    redis = open_redis(redis_server.url, cluster=config.cluster)
    http = httpx.AsyncClient(base_url=sandbox.url, timeout=30.0)
    admin = SandboxAdmin(http)
    background: list[asyncio.Task[Any]] = []
    try:
        await supervisor.start_all()
        timeline.note(f"{len(replicas)} replicas ready")
        background.append(asyncio.create_task(supervisor.watch()))
        plan = build_plan(
            SIZES[config.size], seed=config.seed, run_id=run_id, key_prefix=key_prefix
        )
        stock_before = await admin.stock()
        await admin.clear_requests()
        staff = Staff(admin, plan, run_id, timeline)
        stop_staff = asyncio.Event()
        hostile: dict[tuple[str, str], str] = {}
        # Phase 1: the gift cards, so redemptions find them.
        for send in plan.setup:
            await _send(redis, send, timeline)
        await _wait_settled(redis, Plan(run_id, setup=plan.setup), {}, timeline, 30.0)
        timeline.note(f"{len(plan.setup)} gift cards issued; main load starts")
        size = SIZES[config.size]
        schedule = FaultSchedule(admin, FAULT_PHASES, phase_s=config.phase_s, timeline=timeline)
        background.append(asyncio.create_task(schedule.run()))
        background.append(asyncio.create_task(staff.pickups(redis, stop_staff)))
        background.append(
            asyncio.create_task(
                staff.till_work(size.pos_sales, config.send_s / (size.pos_sales + 1), config.seed)
            )
        )
        killer = asyncio.create_task(
            _killer(supervisor, config.kills, config.send_s, redis_server, timeline)
        )
        await _push(redis, plan.main, hostile, config.send_s, timeline)
        timeline.note(f"all {len(plan.main)} main entries sent")
        await killer
        await schedule.stop()
        timeline.note("faults off")
        await _wait_settled(redis, plan, hostile, timeline, config.settle_timeout_s)
        stop_staff.set()
        await _cancel_all(background)
        not_ready = [r.name for r in replicas if not await r.ready()]
        collected = await _collect(
            redis=redis,
            admin=admin,
            plan=plan,
            hostile=hostile,
            stock_before=stock_before,
            staff=staff,
            timeline=timeline,
        )
        requests = await admin.requests()
        verdict = judge(plan, collected)
        verdict.figures["store actions done"] = dict(sorted(staff.actions.items()))
        verdict.figures["store actions refused by Sitoo"] = dict(sorted(staff.refused.items()))
        exits = await supervisor.stop_all()
        unexpected = {r.name: r.unexpected_exits for r in replicas if r.unexpected_exits}
        verdict.figures["replica SIGKILLs"] = sum(r.kills for r in replicas)
        verdict.figures["replica starts"] = sum(r.starts for r in replicas)
        verdict.figures["Redis restarts"] = redis_server.restarts
        verdict.figures["replica exits on SIGTERM"] = exits
        if unexpected:
            verdict.fail(f"replicas exited by themselves: {unexpected}")
        if not_ready:
            verdict.fail(f"replicas not ready at the end of the run: {not_ready}")
        return Report(
            verdict=verdict,
            timeline=timeline,
            replicas=replicas,
            redis=redis_server,
            sandbox_requests=requests,
            elapsed_s=time.monotonic() - timeline.started,
            workdir=workdir,
        )
    finally:
        await _cancel_all(background)
        for replica in replicas:
            if replica.alive():
                await replica.kill()
        await http.aclose()
        await redis.aclose()
        await sandbox.stop()
        await redis_server.stop()
