"""CLI commands that serve a fake webshop; the fake itself is imported only when one runs."""

from __future__ import annotations

from typing import Annotated

import typer


def fake_woocommerce(  # noqa: PLR0917 - one typer option per fake setting
    port: Annotated[int, typer.Option(help="Port; 0 picks a free one.")] = 8902,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    seed: Annotated[str, typer.Option(help="Initial data: demo or empty.")] = "demo",
    consumer_key: Annotated[
        str, typer.Option(help="REST API consumer key the fake accepts.")
    ] = "ck_fake_consumer_key_0000000000000000000000",
    consumer_secret: Annotated[
        str, typer.Option(help="Its consumer secret.")
    ] = "cs_fake_consumer_secret_00000000000000000000",  # noqa: S107 - a fake's secret
    https_only: Annotated[
        bool, typer.Option(help="Read keys only over https / X-Forwarded-Proto: https.")
    ] = False,
    queue_delay_s: Annotated[
        float, typer.Option(help="Web hooks wait this long; changes meanwhile merge.")
    ] = 2.0,
    max_failures: Annotated[
        int, typer.Option(help="Failures beyond this disable a web hook (WooCommerce: 5).")
    ] = 5,
    webhook_drop_rate: Annotated[float, typer.Option(help="Share of web hooks never sent.")] = 0.0,
    webhook_duplicate_rate: Annotated[
        float, typer.Option(help="Share of web hooks queued twice.")
    ] = 0.0,
    webhook_max_delay_s: Annotated[
        float, typer.Option(help="Web hooks are held back up to this much longer.")
    ] = 0.0,
    latency_ms: Annotated[float, typer.Option(help="Added latency per request.")] = 0.0,
    error_before_rate: Annotated[float, typer.Option(help="Share of 5xx before applying.")] = 0.0,
    apply_then_fail_rate: Annotated[
        float, typer.Option(help="Share of requests applied, then failed.")
    ] = 0.0,
    apply_then_fail_mode: Annotated[str, typer.Option(help="500, drop or stall.")] = "500",
    extra_429_rate: Annotated[float, typer.Option(help="Share of spurious HTTP 429s.")] = 0.0,
    writes_only: Annotated[bool, typer.Option(help="Inject faults into writes only.")] = False,
    fault_seed: Annotated[int, typer.Option(help="Seed of the fault decisions.")] = 0,
) -> None:
    """Serve the fake WooCommerce (REST API wc/v3, web hooks, /_fake/ admin) over HTTP."""
    from service.fakes.common.cli import EXIT_BAD_OPTION, config_or_exit  # noqa: PLC0415
    from service.fakes.woocommerce import (  # noqa: PLC0415 - the fake is a development tool
        FakeWooCommerceConfig,
        run_fake_woocommerce_forever,
    )
    from service.logs import configure_logging  # noqa: PLC0415

    configure_logging(level="INFO")
    if seed not in {"demo", "empty"}:
        typer.echo("invalid option --seed: use demo or empty", err=True)
        raise typer.Exit(EXIT_BAD_OPTION)
    config = config_or_exit(
        FakeWooCommerceConfig,
        {
            "seed": seed,
            "assume_https": not https_only,
            "api_keys": {
                "main": {"consumer_key": consumer_key, "consumer_secret": consumer_secret}
            },
            "webhooks": {
                "queue_delay_s": queue_delay_s,
                "max_failures": max_failures,
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
                "writes_only": writes_only,
            },
        },
    )
    run_fake_woocommerce_forever(config, host=host, port=port)
