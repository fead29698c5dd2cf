"""The `sitoo-sync` command line: the service, the stand-ins, the operator commands, the docs."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from service.contracts.reference import docs_events
from service.dlq_cli import dlq_cli
from service.fakes.commands import fake_woocommerce
from service.logs import configure_logging
from service.masking import mask_document
from service.operator import commands as operator
from service.operator.send import send as send_command
from service.operator.tail import tail as tail_command
from service.settings import (
    ENV_NESTED_DELIMITER,
    ENV_PREFIX,
    ConfigurationError,
    Settings,
    load_settings,
)

EXIT_BAD_CONFIGURATION = 2

cli = typer.Typer(
    name="sitoo-sync",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Keeps a webshop and Sitoo POS in sync: orders, gift cards and stock.",
)
docs_cli = typer.Typer(no_args_is_help=True, help="Regenerate generated documentation.")
cli.add_typer(docs_cli, name="docs")
cli.add_typer(dlq_cli, name="dlq")
docs_cli.command("events")(docs_events)
docs_cli.command("asyncapi")(operator.docs_asyncapi)
docs_cli.command("producers")(operator.docs_producers)


def _settings() -> Settings:
    """Load settings or leave with one line naming the bad variable and exit code 2."""
    try:
        return load_settings()
    except ConfigurationError as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_CONFIGURATION) from None


def _configure_logs(settings: Settings) -> None:
    configure_logging(
        level=settings.log.level,
        json_output=settings.log.json_output,
        secrets=settings.secret_values(),
    )


@cli.command()
def run(
    reset: Annotated[
        bool,
        typer.Option(
            "--reset",
            help="Dev stack only: start over with a fresh sandbox and an empty embedded Redis.",
        ),
    ] = False,
    with_shopify: Annotated[
        bool,
        typer.Option(
            "--with-shopify",
            help="Dev stack only: also serve the fake Shopify and connect the Shopify adapter "
            "to it (fixed development credentials; a fresh dev state).",
        ),
    ] = False,
    with_woocommerce: Annotated[
        bool,
        typer.Option(
            "--with-woocommerce",
            help="Dev stack only: also serve the fake WooCommerce and connect the WooCommerce "
            "adapter to it (fixed development credentials; a fresh dev state).",
        ),
    ] = False,
) -> None:
    """Run the service: consumers, pollers and the HTTP endpoints.

    With no Sitoo credentials the built-in sandbox stands in; with no Redis URL an embedded
    Redis is started. Both are for trying the service out, never for production: `run` then
    prints where everything is and writes .local/devstack.json, by which the other commands
    find this dev stack. The sandbox and the embedded Redis keep their data across restarts,
    together; --reset throws both away. --with-shopify and --with-woocommerce serve the fake
    webshops beside the sandbox, their adapters connected (docs/shopify.md, docs/woocommerce.md).
    """
    settings = _settings()
    _configure_logs(settings)
    # Imported here: keeps `config` and `--help` fast.
    from service.devstack.stack import DevStackAlreadyRunningError  # noqa: PLC0415
    from service.devstack.webshops import WebshopChoice  # noqa: PLC0415
    from service.local.embedded import EmbeddedRedisUnavailableError  # noqa: PLC0415
    from service.local.launcher import serve  # noqa: PLC0415

    try:
        webshops = WebshopChoice(shopify=with_shopify, woocommerce=with_woocommerce)
        # The fakes start afresh every run, their order ids too: kept marks of earlier
        # orders would take new ones for repeats, so their dev state starts afresh as well.
        stopped_by = asyncio.run(serve(settings, reset=reset or webshops.any, webshops=webshops))
    except (DevStackAlreadyRunningError, EmbeddedRedisUnavailableError) as exc:
        typer.echo(f"cannot start: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_CONFIGURATION) from None
    except ConfigurationError as exc:  # found while starting, e.g. a mapping Sitoo refutes
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_CONFIGURATION) from None
    if stopped_by is not None:
        # Everything is shut down: now die of the signal, so the exit status says why.
        signal.signal(stopped_by, signal.SIG_DFL)
        signal.raise_signal(stopped_by)


@cli.command()
def sandbox(  # noqa: PLR0917 - one typer option per sandbox setting
    port: Annotated[int, typer.Option(help="Port; 0 picks a free one.")] = 8900,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    seed: Annotated[str, typer.Option(help="Initial data: demo or empty.")] = "demo",
    api_id: Annotated[str, typer.Option(help="API user accepted by the sandbox.")] = "sandbox",
    api_password: Annotated[str, typer.Option(help="Its password.")] = "sandbox",  # noqa: S107 - sandbox only
    account_id: Annotated[int, typer.Option(help="Account id in the URL.")] = 90001,
    max_in_flight: Annotated[int, typer.Option(help="Requests in flight per API user.")] = 1,
    retry_after_s: Annotated[
        float | None, typer.Option(help="Retry-After header on 429 answers.")
    ] = None,
    latency_ms: Annotated[float, typer.Option(help="Added latency per request.")] = 0.0,
    jitter_ms: Annotated[float, typer.Option(help="Random extra latency, up to this.")] = 0.0,
    error_before_rate: Annotated[float, typer.Option(help="Share of 5xx before applying.")] = 0.0,
    apply_then_fail_rate: Annotated[
        float, typer.Option(help="Share of requests applied, then failed.")
    ] = 0.0,
    apply_then_fail_mode: Annotated[str, typer.Option(help="500, drop or stall.")] = "500",
    stall_s: Annotated[float, typer.Option(help="How long a stall withholds the answer.")] = 30.0,
    extra_429_rate: Annotated[float, typer.Option(help="Share of spurious 429s.")] = 0.0,
    writes_only: Annotated[bool, typer.Option(help="Inject faults into writes only.")] = False,
    fault_seed: Annotated[int, typer.Option(help="Seed of the fault decisions.")] = 0,
    extra_api_user: Annotated[
        list[str] | None,
        typer.Option(help="Another API user as ID:PASSWORD, with its own budget (repeatable)."),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict/--lenient",
            help="Refuse requests outside Sitoo's description (400), or serve them and only "
            "record them (GET /_sandbox/violations).",
        ),
    ] = True,
) -> None:
    """Serve the built-in Sitoo sandbox (not a real Sitoo) over HTTP."""
    configure_logging(level="INFO")
    from pydantic import ValidationError  # noqa: PLC0415

    from service.sandbox import (  # noqa: PLC0415 - the sandbox is a development tool
        SandboxConfig,
        run_sandbox_forever,
    )

    users = {api_id: api_password}
    for given in extra_api_user or []:
        name, sep, password = given.partition(":")
        if not (name and sep and password):
            typer.echo(f"invalid option --extra-api-user: {given!r} is not ID:PASSWORD", err=True)
            raise typer.Exit(EXIT_BAD_CONFIGURATION)
        users[name] = password
    try:
        config = SandboxConfig.model_validate(
            {
                "account_id": account_id,
                "credentials": users,
                "max_in_flight": max_in_flight,
                "retry_after_s": retry_after_s,
                "seed": seed,
                "strict": strict,
                "faults": {
                    "seed": fault_seed,
                    "latency_ms": latency_ms,
                    "jitter_ms": jitter_ms,
                    "error_before_rate": error_before_rate,
                    "apply_then_fail_rate": apply_then_fail_rate,
                    "apply_then_fail_mode": apply_then_fail_mode,
                    "stall_s": stall_s,
                    "extra_429_rate": extra_429_rate,
                    "writes_only": writes_only,
                },
            }
        )
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        option = "--" + str(first["loc"][-1]).replace("_", "-")
        typer.echo(f"invalid option {option}: {first['msg']}", err=True)
        raise typer.Exit(EXIT_BAD_CONFIGURATION) from None
    run_sandbox_forever(config, host=host, port=port)


@cli.command("fake-shopify")
def fake_shopify(  # noqa: PLR0917 - one typer option per fake setting
    port: Annotated[int, typer.Option(help="Port; 0 picks a free one.")] = 8901,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    seed: Annotated[str, typer.Option(help="Initial data: demo or empty.")] = "demo",
    access_token: Annotated[
        str, typer.Option(help="Admin API access token the fake accepts.")
    ] = "shpat_fake_access_token",  # noqa: S107 - a fake's token
    webhook_secret: Annotated[
        str, typer.Option(help="App secret that signs the web hooks.")
    ] = "fake-shopify-app-secret",  # noqa: S107 - a fake's secret
    webhook_api_version: Annotated[
        str, typer.Option(help="API version of web-hook payloads.")
    ] = "2026-04",
    restore_rate: Annotated[float, typer.Option(help="Cost points restored per second.")] = 100.0,
    bucket_size: Annotated[float, typer.Option(help="Cost points the bucket holds.")] = 1000.0,
    throttle_status: Annotated[
        int, typer.Option(help="HTTP status of THROTTLED: 200 or 429.")
    ] = 200,
    latency_ms: Annotated[float, typer.Option(help="Added latency per request.")] = 0.0,
    error_before_rate: Annotated[float, typer.Option(help="Share of 5xx before applying.")] = 0.0,
    apply_then_fail_rate: Annotated[
        float, typer.Option(help="Share of requests applied, then failed.")
    ] = 0.0,
    apply_then_fail_mode: Annotated[str, typer.Option(help="500, drop or stall.")] = "500",
    extra_429_rate: Annotated[float, typer.Option(help="Share of spurious HTTP 429s.")] = 0.0,
    throttled_rate: Annotated[float, typer.Option(help="Share of spurious THROTTLED.")] = 0.0,
    mutations_only: Annotated[
        bool, typer.Option(help="Inject faults into mutations only.")
    ] = False,
    fault_seed: Annotated[int, typer.Option(help="Seed of the fault decisions.")] = 0,
    webhook_drop_rate: Annotated[float, typer.Option(help="Share of web hooks never sent.")] = 0.0,
    webhook_duplicate_rate: Annotated[
        float, typer.Option(help="Share of web hooks sent twice.")
    ] = 0.0,
    webhook_max_delay_s: Annotated[
        float, typer.Option(help="Web hooks are held back up to this long (reorders them).")
    ] = 0.0,
) -> None:
    """Serve the fake Shopify (Admin GraphQL API, web hooks, /_fake/ admin) over HTTP."""
    configure_logging(level="INFO")
    from pydantic import ValidationError  # noqa: PLC0415

    from service.fakes.shopify import (  # noqa: PLC0415 - the fake is a development tool
        FakeShopifyConfig,
        run_fake_shopify_forever,
    )

    try:
        config = FakeShopifyConfig.model_validate(
            {
                "seed": seed,
                "access_tokens": {"main": access_token},
                "bucket_size": bucket_size,
                "restore_rate": restore_rate,
                "throttle_status": throttle_status,
                "webhooks": {
                    "secret": webhook_secret,
                    "api_version": webhook_api_version,
                    "drop_rate": webhook_drop_rate,
                    "duplicate_rate": webhook_duplicate_rate,
                    "max_delay_s": webhook_max_delay_s,
                },
                "faults": {
                    "seed": fault_seed,
                    "latency_ms": latency_ms,
                    "error_before_rate": error_before_rate,
                    "apply_then_fail_rate": apply_then_fail_rate,
                    "apply_then_fail_mode": apply_then_fail_mode,
                    "extra_429_rate": extra_429_rate,
                    "throttled_rate": throttled_rate,
                    "mutations_only": mutations_only,
                },
            }
        )
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        option = "--" + str(first["loc"][-1]).replace("_", "-")
        typer.echo(f"invalid option {option}: {first['msg']}", err=True)
        raise typer.Exit(EXIT_BAD_CONFIGURATION) from None
    if seed not in {"demo", "empty"}:
        typer.echo("invalid option --seed: use demo or empty", err=True)
        raise typer.Exit(EXIT_BAD_CONFIGURATION)
    run_fake_shopify_forever(config, host=host, port=port)


def _flatten(prefix: str, value: object) -> list[tuple[str, object]]:
    if isinstance(value, dict):
        rows: list[tuple[str, object]] = []
        for key, inner in value.items():
            rows.extend(_flatten(f"{prefix}{ENV_NESTED_DELIMITER}{key.upper()}", inner))
        return rows
    return [(prefix, value)]


def masked_configuration(settings: Settings) -> dict[str, Any]:
    """The effective configuration as JSON-ready data, every secret masked."""
    # Every secret, the Redis URL included, is a SecretStr and dumps as "**********"; URLs
    # that are not secrets (Sitoo's base URL, endpoints) may still carry a user and password.
    data: dict[str, Any] = settings.model_dump(mode="json")
    masked: dict[str, Any] = mask_document(data)  # type: ignore[assignment]
    return masked


@cli.command()
def config(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON instead of KEY=value.")
    ] = False,
) -> None:
    """Print the effective configuration with secrets masked.

    Redis and Sitoo, when not configured, are those of a running `sitoo-sync run` nearby.
    """
    from service.devstack.discovery import settings_for_command  # noqa: PLC0415

    settings = settings_for_command()
    data = masked_configuration(settings)
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    for section, values in data.items():
        for name, value in _flatten(f"{ENV_PREFIX}{section.upper()}", values):
            shown = "" if value is None else value
            if not isinstance(shown, str):
                shown = json.dumps(shown)
            typer.echo(f"{name}={shown}")


@docs_cli.command("config")
def docs_config(
    readme: Annotated[Path, typer.Option(help="File holding the reference markers.")] = Path(
        "README.md"
    ),
    page: Annotated[Path, typer.Option(help="The configuration page.")] = Path(
        "docs/configuration.md"
    ),
) -> None:
    """Regenerate the configuration reference in README.md and docs/configuration.md."""
    from service.operator.configuration_page import write_configuration_page  # noqa: PLC0415
    from service.settings_reference import replace_reference  # noqa: PLC0415

    readme.write_text(replace_reference(readme.read_text(encoding="utf-8")), encoding="utf-8")
    typer.echo(f"wrote the configuration reference to {readme}")
    typer.echo(f"wrote the configuration page to {write_configuration_page(page)}")


cli.command("fake-woocommerce")(fake_woocommerce)
cli.command("status")(operator.status)
cli.command("send")(send_command)
cli.command("tail")(tail_command)
cli.command("check")(operator.check)
cli.add_typer(operator.resync_cli, name="resync")


def main() -> None:
    """Entry point of the console script and of `python -m service`."""
    try:
        cli()
    except ConfigurationError as exc:  # settings read outside _settings(), e.g. by a library
        sys.stderr.write(f"configuration error: {exc}\n")
        sys.exit(EXIT_BAD_CONFIGURATION)
