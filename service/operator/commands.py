"""The operator's typer commands: status, check, resync, and the generated documents."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, TypeVar

import redis.asyncio as aioredis
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from service.devstack.discovery import settings_for_command
from service.operator import asyncapi, producers
from service.operator.check import exit_status, run_checks
from service.operator.golive import go_live_exit_status, run_go_live
from service.operator.golive_account import GoLivePlan
from service.operator.resync import (
    InvalidSince,
    ResyncSummary,
    parse_since,
    resync_giftcards,
    resync_orders,
    resync_stock,
)
from service.operator.status import gather_status, render_status
from service.pollers.wiring import outbound_publisher
from service.records.connection import REDIS_FAILURES, open_redis
from service.records.keys import DeploymentKeys
from service.records.operations import RedisIdempotencyStore
from service.settings import ENV_PREFIX, Settings
from service.sitoo import RedisLimiter, SitooClient, SitooError, build_http_client

T = TypeVar("T")
EXIT_BAD_CONFIGURATION = 2
EXIT_UNAVAILABLE = 3  # Redis (or, for resync, Sitoo) could not be used
Work = Callable[[SitooClient, aioredis.Redis, Settings, "_Bar"], Awaitable[ResyncSummary]]

resync_cli = typer.Typer(
    no_args_is_help=True,
    help="Backfill: re-read Sitoo and publish what changed, as the pollers would.",
)


def _settings() -> Settings:
    # Unset Redis or Sitoo: a running `sitoo-sync run` nearby supplies them (and says so).
    return settings_for_command()


def _redis_url(settings: Settings) -> str:
    if settings.redis.url is None:
        typer.echo(
            f"configuration error: {ENV_PREFIX}REDIS__URL is not set and no running "
            "`sitoo-sync run` was found from this directory; this command reads the service's "
            "Redis: start the dev stack (python3 deploy/local.py run) or set the variable",
            err=True,
        )
        raise typer.Exit(EXIT_BAD_CONFIGURATION)
    return settings.redis.url.get_secret_value()


def redis_session() -> tuple[Settings, str]:
    """The settings of a command that reads the service's Redis, and that Redis's URL."""
    settings = _settings()
    return settings, _redis_url(settings)


def with_redis(url: str, work: Callable[[aioredis.Redis], Awaitable[T]], *, cluster: bool) -> T:
    """Run ``work`` with a client of ``url``; exit status 3 when Redis cannot be reached.

    ``cluster``: ``url`` names a node of a Redis Cluster.
    """

    async def main() -> T:
        client = open_redis(url, cluster=cluster, socket_connect_timeout=5)
        try:
            return await work(client)
        finally:
            await client.aclose()

    try:
        return asyncio.run(main())
    except REDIS_FAILURES as exc:
        # Never the exception text: it can carry the URL and its password.
        typer.echo(f"Redis is unreachable ({type(exc).__name__})", err=True)
        raise typer.Exit(EXIT_UNAVAILABLE) from None


def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Streams (length, pending, oldest pending, dead letters), pollers and the limiter.

    Reads the configured Redis only; the service need not be running.
    """
    settings = _settings()
    result = with_redis(
        _redis_url(settings),
        lambda redis: gather_status(redis, settings),
        cluster=settings.redis.cluster,
    )
    typer.echo(json.dumps(result.to_json(), indent=2) if as_json else render_status(result))


def _plan_skus(path: Path | None) -> tuple[str, ...] | None:
    if path is None:
        return None
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise typer.BadParameter(
            f"cannot read {path}: {exc.strerror}", param_hint="--skus"
        ) from None
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def check(  # noqa: PLR0917 - one option per go-live item the operator can name
    go_live: Annotated[
        bool,
        typer.Option("--go-live", help="Also check everything docs/go-live.md lists (reads only)."),
    ] = False,
    store: Annotated[
        list[str] | None,
        typer.Option(help="externalid of a store the webshop offers for pickup (repeat it)."),
    ] = None,
    virtual_warehouse: Annotated[
        list[str] | None,
        typer.Option(help="externalid of a warehouse the webshop sends stock.set to."),
    ] = None,
    fifo_warehouse: Annotated[
        list[str] | None,
        typer.Option(help="externalid of a warehouse the webshop sends stock.adjusted to."),
    ] = None,
    skus: Annotated[
        Path | None,
        typer.Option(help="A file of the webshop's SKUs, one per line, all checked in Sitoo."),
    ] = None,
    webhook_url: Annotated[
        str | None,
        typer.Option(help="The public HTTPS URL Sitoo's Events SPI will post to."),
    ] = None,
) -> None:
    """Validate the configuration, reach Redis, and reach Sitoo with every configured API user.

    Exit status 0 when all is well; otherwise the first failure's: 2 configuration,
    3 Redis unreachable, 4 Sitoo unreachable, 5 wrong API id or password, 6 IP address
    not allowed, 7 wrong account, 8 wrong site, 9 access denied, 10 other Sitoo error,
    11 (with --go-live) a go-live item is not ready.
    """
    named = [store, virtual_warehouse, fifo_warehouse, skus, webhook_url]
    if not go_live and any(option for option in named):
        raise typer.BadParameter("these options describe a go-live; add --go-live")
    settings = _settings()
    if not go_live:
        findings = asyncio.run(run_checks(settings))
        status = exit_status(findings)
    else:
        plan = GoLivePlan(
            stores=tuple(store or ()),
            virtual_warehouses=tuple(virtual_warehouse or ()),
            fifo_warehouses=tuple(fifo_warehouse or ()),
            skus=_plan_skus(skus),
        )
        findings = asyncio.run(run_go_live(settings, plan, webhook_url=webhook_url))
        status = go_live_exit_status(findings)
    for finding in findings:
        typer.echo(finding.line())
    raise typer.Exit(status)


class _Bar:
    """A rich progress bar on stderr, so the summary on stdout stays clean."""

    def __init__(self, label: str) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn(label),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
        )
        self._task = self._progress.add_task(label, total=None)

    def total(self, count: int | None) -> None:
        """Set the number of steps."""
        self._progress.update(self._task, total=count)

    def advance(self, steps: int = 1) -> None:
        """Count ``steps`` more as done."""
        self._progress.advance(self._task, steps)

    @contextlib.contextmanager
    def shown(self) -> Iterator[_Bar]:
        """Display the bar for the duration of the block."""
        with self._progress:
            yield self


def _resync(kind: str, label: str, work: Work) -> None:
    settings = _settings()
    url = _redis_url(settings)
    if settings.sitoo.uses_sandbox:
        typer.echo(
            f"configuration error: Sitoo is not configured ({ENV_PREFIX}SITOO__BASE_URL, "
            "__API_ID, __API_PASSWORD); a backfill needs the real Sitoo",
            err=True,
        )
        raise typer.Exit(EXIT_BAD_CONFIGURATION)

    async def run(redis: aioredis.Redis) -> ResyncSummary:
        keys = DeploymentKeys.from_settings(settings)
        async with build_http_client(settings.sitoo) as http:
            client = SitooClient(
                http=http,
                limiter=RedisLimiter.from_settings(redis, settings.sitoo, keys=keys),
                idempotency=RedisIdempotencyStore.from_settings(
                    redis,
                    settings.idempotency,
                    keys=keys,
                    replicas=settings.redis.claim_replicas,
                    replica_timeout_s=settings.redis.claim_replica_timeout_s,
                    fsync=settings.redis.claim_fsync,
                ),
                settings=settings.sitoo,
            )
            with _Bar(label).shown() as bar:
                return await work(client, redis, settings, bar)

    try:
        summary = with_redis(url, run, cluster=settings.redis.cluster)
    except SitooError as exc:
        typer.echo(f"resync {kind} stopped: {exc.message}", err=True)
        raise typer.Exit(EXIT_UNAVAILABLE) from None
    typer.echo(f"resync {kind}: {summary.line()}")


@resync_cli.command("stock")
def resync_stock_command(
    since: Annotated[
        str | None,
        typer.Option(
            help="Only items modified since: an age (30m, 12h, 7d) or a date "
            "(2026-03-01, 2026-03-01T12:00:00Z). Default: every item."
        ),
    ] = None,
) -> None:
    """Publish stock.changed for every level that differs from the last one published."""
    try:
        modified_since = parse_since(since, now=datetime.now(UTC)) if since else None
    except InvalidSince as exc:
        raise typer.BadParameter(str(exc), param_hint="--since") from None

    async def work(
        client: SitooClient, redis: aioredis.Redis, settings: Settings, bar: _Bar
    ) -> ResyncSummary:
        return await resync_stock(
            client,
            outbound_publisher(redis, settings),
            modified_since=modified_since,
            page_size=settings.sitoo.page_size,
            progress=bar,
        )

    _resync("stock", "warehouses", work)


@resync_cli.command("orders")
def resync_orders_command(
    since: Annotated[
        int | None,
        typer.Option(
            min=1,
            help=f"First Sitoo order id to read. Default: {ENV_PREFIX}POLLERS__ORDERS_START_ID.",
        ),
    ] = None,
) -> None:
    """Publish order.recorded and pick-up progress not yet published, for orders from an id up."""

    async def work(
        client: SitooClient, redis: aioredis.Redis, settings: Settings, bar: _Bar
    ) -> ResyncSummary:
        return await resync_orders(
            client,
            outbound_publisher(redis, settings),
            redis,
            keys=DeploymentKeys.from_settings(settings),
            # Without --since: every order, from the first.
            from_order_id=since if since is not None else settings.pollers.orders_start_id or 1,
            progress=bar,
        )

    _resync("orders", "orders", work)


@resync_cli.command("giftcards")
def resync_giftcards_command() -> None:
    """Re-read every tracked gift card and publish balances that moved.

    Sitoo has no change filter for gift cards, so there is no --since: all tracked
    cards are read.
    """

    async def work(
        client: SitooClient, redis: aioredis.Redis, settings: Settings, bar: _Bar
    ) -> ResyncSummary:
        return await resync_giftcards(
            client,
            outbound_publisher(redis, settings),
            redis,
            keys=DeploymentKeys.from_settings(settings),
            progress=bar,
        )

    _resync("giftcards", "gift cards", work)


def docs_asyncapi(
    out: Annotated[Path, typer.Option(help="Where to write the document.")] = (
        asyncapi.DEFAULT_PATH
    ),
) -> None:
    """Regenerate the AsyncAPI 3.0 document of every stream and event."""
    typer.echo(f"wrote the AsyncAPI document to {asyncapi.write_asyncapi(out)}")


def docs_producers(
    out: Annotated[Path, typer.Option(help="Where to write the page.")] = producers.DEFAULT_PATH,
) -> None:
    """Regenerate the producer examples (redis-cli, PHP, Node) for every inbound event."""
    typer.echo(f"wrote the producer examples to {producers.write_producers_page(out)}")
