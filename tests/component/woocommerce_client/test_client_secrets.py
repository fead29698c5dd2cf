"""The consumer key and secret: Basic auth only, never in a URL, a log, an error or a repr."""

from __future__ import annotations

import base64
import logging

import pytest
import structlog

from service.adapters.woocommerce import StockLevel
from service.adapters.woocommerce.errors import Unauthorized
from service.fakes.woocommerce import FakeWooCommerce, FaultConfig
from tests.component.woocommerce_client.conftest import KEY, SECRET, ClientFactory, Recording


async def test_the_key_goes_in_basic_auth_and_nowhere_else(
    make_client: ClientFactory,
    store: FakeWooCommerce,
    recording: Recording,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Each request: Basic header; no URL, log line, error text or repr holds key or secret."""
    caplog.set_level(logging.DEBUG)
    structlog.configure(logger_factory=structlog.stdlib.LoggerFactory())
    texts: list[str] = []
    async with make_client() as client:
        assert "**********" in repr(client.engine._secret)
        store.set_faults(
            FaultConfig(seed=4, error_before_rate=0.5, extra_429_rate=0.2, apply_then_fail_rate=0.3)
        )
        for n in range(6):
            try:
                await client.set_stock([StockLevel("SKU-0001", n)])
                await client.webhooks()
            except Exception as exc:
                texts += [str(exc), repr(exc), repr(exc.__cause__)]
        store.clear_faults()
    async with make_client(secret=SECRET + "x") as wrong:
        with pytest.raises(Unauthorized) as caught:
            await wrong.webhooks()
        texts += [str(caught.value), repr(caught.value), repr(caught.value.__cause__)]
    structlog.reset_defaults()
    expected = "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    assert recording.sent
    for request in recording.sent[:-1]:
        assert request.headers["authorization"] == expected
        assert KEY not in str(request.url)
        assert SECRET not in str(request.url)
    captured = capsys.readouterr()
    everything = "\n".join([caplog.text, captured.out, captured.err, *texts])
    assert SECRET not in everything
    assert KEY not in everything
