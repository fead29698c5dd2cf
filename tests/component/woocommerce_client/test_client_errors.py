"""The error tree: each WooCommerce refusal gets its class, code and disposition."""

from __future__ import annotations

import json

import pytest
from pydantic import SecretStr

from service.adapters.woocommerce import StockLevel, WooCommerceClient
from service.adapters.woocommerce.errors import (
    AccessDenied,
    Disposition,
    InvalidParams,
    NotFound,
    RateLimited,
    ReadInterrupted,
    RequestTooLarge,
    ServerError,
    ServiceUnavailable,
    Unauthorized,
    UnexpectedResponse,
)
from service.adapters.woocommerce.protocol import interpret
from service.fakes.woocommerce import ApiKey, FakeWooCommerce, FakeWooCommerceConfig, FaultConfig
from tests.component.woocommerce_client.conftest import KEY, ClientFactory


@pytest.fixture
def fake_config() -> FakeWooCommerceConfig:
    """The default key and a read-only one."""
    reader = ApiKey(
        consumer_key=SecretStr("ck_reader"),
        consumer_secret=SecretStr("cs_reader"),
        permissions="read",
    )
    return FakeWooCommerceConfig(api_keys=FakeWooCommerceConfig().api_keys | {"reader": reader})


async def test_refused_keys(make_client: ClientFactory) -> None:
    """Wrong secret, unknown key (with the HTTPS hint), read-only key: all dead letters."""
    async with make_client(secret="cs_wrong") as client:
        with pytest.raises(Unauthorized) as wrong:
            await client.get_order(1)
    assert wrong.value.code == "woocommerce_rest_authentication_error"
    assert wrong.value.disposition is Disposition.DEAD_LETTER
    async with make_client(key="ck_unknown") as client:
        with pytest.raises(Unauthorized) as unknown:
            await client.webhooks()
    assert unknown.value.code == "woocommerce_rest_cannot_view"
    assert "HTTPS" in unknown.value.message
    async with make_client(key="ck_reader", secret="cs_reader") as client:
        with pytest.raises(AccessDenied):
            await client.set_stock([StockLevel("SKU-0001", 1)])
    assert KEY  # the default key was not involved


@pytest.mark.parametrize(
    ("status", "body", "write", "kind", "disposition"),
    [
        (
            404,
            {"code": "rest_no_route", "message": "No route", "data": {"status": 404}},
            False,
            NotFound,
            Disposition.DEAD_LETTER,
        ),
        (
            413,
            {
                "code": "woocommerce_rest_request_entity_too_large",
                "message": "x",
                "data": {"status": 413},
            },
            True,
            RequestTooLarge,
            Disposition.DEAD_LETTER,
        ),
        (
            429,
            {"code": "x", "message": "slow down", "data": {"status": 429}},
            True,
            RateLimited,
            Disposition.RETRY,
        ),
        (
            503,
            {"code": "x", "message": "busy", "data": {"status": 503}},
            True,
            ServiceUnavailable,
            Disposition.RETRY,
        ),
        (
            500,
            {"code": "internal_server_error", "message": "fatal", "data": {"status": 500}},
            True,
            ServerError,
            Disposition.RECONCILE,
        ),
        (
            500,
            {"code": "internal_server_error", "message": "fatal", "data": {"status": 500}},
            False,
            ReadInterrupted,
            Disposition.RETRY,
        ),
    ],
)
def test_statuses_classify(
    status: int,
    body: dict[str, object],
    write: bool,
    kind: type[Exception],
    disposition: Disposition,
) -> None:
    """The WP_Error code is kept; 5xx on a write is an unknown outcome, on a read a retry."""
    with pytest.raises(kind) as caught:
        interpret(status, {"retry-after": "2"}, json.dumps(body).encode(), write=write, what="x")
    assert caught.value.disposition is disposition  # type: ignore[attr-defined]
    assert caught.value.code == body["code"]  # type: ignore[attr-defined]
    if status in {429, 503}:
        assert caught.value.retry_after == 2.0  # type: ignore[attr-defined]


def test_invalid_params_and_bodies_that_are_not_json() -> None:
    """rest_invalid_param keeps the argument's reason; a 200 that is not JSON is unexpected."""
    body = {
        "code": "rest_invalid_param",
        "message": "Invalid parameter(s): per_page",
        "data": {
            "status": 400,
            "params": {"per_page": "per_page must be between 1 (inclusive) and 100 (inclusive)"},
        },
    }
    with pytest.raises(InvalidParams) as caught:
        interpret(400, {}, json.dumps(body).encode(), write=False, what="x")
    assert caught.value.params["per_page"].startswith("per_page must be between")
    with pytest.raises(UnexpectedResponse):
        interpret(200, {}, b"<html>maintenance</html>", write=False, what="x")


async def test_transient_refusals_are_retried(
    client: WooCommerceClient, store: FakeWooCommerce
) -> None:
    """429s and 503s before anything applies: the call still succeeds."""
    store.set_faults(
        FaultConfig(seed=3, extra_429_rate=0.25, error_before_rate=0.2, error_before_statuses=[503])
    )
    for n in range(1, 11):
        assert len(await client.products_by_sku([f"SKU-{n:04d}"])) == 1
    assert store.requests.get("429", 0) + store.requests.get("503", 0) > 0
