"""Tokens and scopes: a missing scope is AccessDenied; the token never reaches a log or error."""

from __future__ import annotations

import logging

import pytest
import structlog
from pydantic import SecretStr

from service.adapters.shopify.errors import AccessDenied, Unauthorized
from service.fakes.shopify import FakeShopify, FakeShopifyConfig, FaultConfig
from service.fakes.shopify.order_intake import place_order

SECRET = "shpat_super_secret_token_value"


@pytest.fixture
def fake_config() -> FakeShopifyConfig:
    """A shop whose token is SECRET, and a narrow token without fulfillment-order scopes."""
    return FakeShopifyConfig(
        access_tokens={"main": SecretStr(SECRET), "narrow": SecretStr("shpat_narrow")},
        token_scopes={"narrow": ["read_orders"]},
        faults=FaultConfig(),
    )


async def test_a_missing_scope_is_access_denied(make_client, shop: FakeShopify) -> None:
    """ACCESS_DENIED -> AccessDenied (dead-letter: an operator must grant the scope)."""
    placed = place_order(shop, {"order": {"line_items": [{"sku": "SKU-0001", "quantity": 1}]}})
    async with make_client(token="shpat_narrow") as client:
        with pytest.raises(AccessDenied):
            await client.get_order(f"gid://shopify/Order/{placed.number}")


async def test_the_token_never_reaches_a_log_or_an_error(
    make_client, shop: FakeShopify, caplog: pytest.LogCaptureFixture, capsys
) -> None:
    """Every log line and error text of a run with failures is free of the token."""
    caplog.set_level(logging.DEBUG)
    structlog.configure(logger_factory=structlog.stdlib.LoggerFactory())
    texts: list[str] = []
    async with make_client(token=SECRET) as client:
        assert "SecretStr('**********')" in repr(client.engine._token)
        shop.set_faults(FaultConfig(error_before_rate=0.5, extra_429_rate=0.2, seed=4))
        for _ in range(5):
            try:
                await client.shop()
            except Exception as exc:
                texts += [str(exc), repr(exc)]
        shop.clear_faults()
    async with make_client(token=SECRET + "x") as wrong:
        try:
            await wrong.shop()
        except Unauthorized as exc:
            texts += [str(exc), repr(exc), repr(exc.__cause__)]
    structlog.reset_defaults()
    captured = capsys.readouterr()
    everything = "\n".join([caplog.text, captured.out, captured.err, *texts])
    assert SECRET not in everything
