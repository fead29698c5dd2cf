"""The generic web-hook intake with Shopify's signing, against a real Redis."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from service.adapters.common.intake import (
    IntakeConfig,
    hmac_sha256_base64,
    signature_matches,
    webshop_webhook_route,
)
from service.adapters.common.translating import delivery_from
from service.adapters.shopify.webhook_source import ShopifyWebhooks
from service.records.connection import open_redis
from service.records.keys import DeploymentKeys

VECTOR = json.loads((Path(__file__).parent / "data/webhook-hmac-test-vector.json").read_text())
SECRET = "hook-secret"


def _route(redis, unique: str, *, secrets=(SECRET,), **config: object):
    source = ShopifyWebhooks(secrets=tuple(SecretStr(s) for s in secrets))
    settings = {
        "stream": f"{unique}.shopify.webhooks",
        "keys": DeploymentKeys(unique),
        "dedupe_ms": 60_000,
        "deadline_s": 2.0,
        **config,
    }
    _, app = webshop_webhook_route("/webhooks/shopify", source, IntakeConfig(**settings), redis)
    return settings["stream"], app


def _client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hook")


def _headers(body: bytes, *, webhook_id: str, event_id: str | None = None, secret: str = SECRET):
    headers = {
        "X-Shopify-Hmac-Sha256": hmac_sha256_base64(secret, body),
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Webhook-Id": webhook_id,
        "X-Shopify-Shop-Domain": "shop.myshopify.com",
        "Content-Type": "application/json",
    }
    if event_id is not None:
        headers["X-Shopify-Event-Id"] = event_id
    return headers


def test_shopify_test_vector_verifies():
    """Shopify's own test vector (examples/webhook-hmac-test-vector.json) is accepted."""
    body = VECTOR["raw_body"].encode()
    signature = VECTOR["headers"]["X-Shopify-Hmac-Sha256"]
    assert hmac_sha256_base64(VECTOR["client_secret"], body) == signature
    assert signature_matches(signature, body, [SecretStr(VECTOR["client_secret"])])
    assert not signature_matches(signature, body + b" ", [SecretStr(VECTOR["client_secret"])])
    assert not signature_matches("", body, [SecretStr(VECTOR["client_secret"])])


async def test_signed_delivery_is_stored_with_its_headers_before_200(redis, unique):
    """The raw body and identifying headers are in the stream when 200 comes back."""
    stream, app = _route(lambda: redis, unique)
    body = b'{"id": 820982911946154508, "name": "#9999"}'
    async with _client(app) as client:
        response = await client.post(
            "/webhooks/shopify", content=body, headers=_headers(body, webhook_id="w-1")
        )
    assert response.status_code == 200
    assert response.json() == {"outcome": "stored"}
    [(_, fields)] = await redis.xrange(stream)
    assert fields[b"body"] == body
    assert fields[b"topic"] == b"orders/create"
    kept = json.loads(fields[b"headers"])
    assert kept["x-shopify-webhook-id"] == "w-1"
    assert "x-shopify-hmac-sha256" not in kept


async def test_retries_and_fan_out_copies_are_stored_once(redis, unique):
    """Same web-hook id (a retry) or same topic and event id (a copy) append nothing."""
    stream, app = _route(lambda: redis, unique)
    body = b'{"id": 1}'
    async with _client(app) as client:
        first = await client.post(
            "/webhooks/shopify", content=body, headers=_headers(body, webhook_id="a", event_id="e")
        )
        retry = await client.post(
            "/webhooks/shopify", content=body, headers=_headers(body, webhook_id="a", event_id="e")
        )
        copy = await client.post(
            "/webhooks/shopify", content=body, headers=_headers(body, webhook_id="b", event_id="e")
        )
        other = await client.post(
            "/webhooks/shopify", content=body, headers=_headers(body, webhook_id="c", event_id="f")
        )
    assert [r.json()["outcome"] for r in (first, retry, copy, other)] == [
        "stored",
        "repeat",
        "repeat",
        "stored",
    ]
    assert await redis.xlen(stream) == 2


@pytest.mark.parametrize(
    "signature",
    [None, "", "not-base64", hmac_sha256_base64("other-secret", b'{"id": 1}')],
    ids=["missing", "empty", "garbage", "wrong-secret"],
)
async def test_bad_signature_is_401_and_stores_nothing(redis, unique, signature):
    """Without a valid HMAC of the raw body: 401, no entry, no de-duplication mark."""
    stream, app = _route(lambda: redis, unique)
    body = b'{"id": 1}'
    headers = _headers(body, webhook_id="x")
    if signature is None:
        del headers["X-Shopify-Hmac-Sha256"]
    else:
        headers["X-Shopify-Hmac-Sha256"] = signature
    async with _client(app) as client:
        response = await client.post("/webhooks/shopify", content=body, headers=headers)
    assert response.status_code == 401
    assert await redis.xlen(stream) == 0
    assert await redis.keys(f"{unique}:*") == []


async def test_a_rotated_secret_accepts_old_and_new(redis, unique):
    """During a rotation both secrets verify."""
    stream, app = _route(lambda: redis, unique, secrets=("new-secret", SECRET))
    body = b"{}"
    async with _client(app) as client:
        old = await client.post(
            "/webhooks/shopify", content=body, headers=_headers(body, webhook_id="1")
        )
        new = await client.post(
            "/webhooks/shopify",
            content=body,
            headers=_headers(body, webhook_id="2", secret="new-secret"),
        )
    assert (old.status_code, new.status_code) == (200, 200)
    assert await redis.xlen(stream) == 2


@pytest.mark.parametrize("cluster", [False, True], ids=["one Redis", "Redis Cluster"])
async def test_redis_down_is_503_and_not_ready_is_503(unique, cluster):
    """No Redis, or none yet: 503 so Shopify retries (a cluster of no reachable node too)."""
    dead = open_redis(
        "redis://127.0.0.1:1",
        cluster=cluster,
        socket_connect_timeout=0.2,
        retry=Retry(NoBackoff(), 0),
    )
    body = b"{}"
    try:
        for provider in (lambda: dead, lambda: None):
            _, app = _route(provider, unique)
            async with _client(app) as client:
                response = await client.post(
                    "/webhooks/shopify", content=body, headers=_headers(body, webhook_id="1")
                )
            assert response.status_code == 503
    finally:
        await dead.aclose()


async def test_oversized_body_is_413_and_stores_nothing(redis, unique):
    """A body over the limit cannot be verified: 413, nothing stored."""
    stream, app = _route(lambda: redis, unique, max_body_bytes=1024)
    body = b'{"pad": "' + b"x" * 2000 + b'"}'
    async with _client(app) as client:
        response = await client.post(
            "/webhooks/shopify", content=body, headers=_headers(body, webhook_id="big")
        )
    assert response.status_code == 413
    assert await redis.xlen(stream) == 0


async def test_a_signed_body_that_is_not_json_is_stored(redis, unique):
    """The intake does not parse: a signed delivery is kept for the translator to judge
    (base64-encoded when it is not UTF-8, so the stream's readers can decode every entry)."""
    stream, app = _route(lambda: redis, unique)
    body = b"\xff\xfe not json"
    async with _client(app) as client:
        response = await client.post(
            "/webhooks/shopify", content=body, headers=_headers(body, webhook_id="nj")
        )
    assert response.status_code == 200
    [(entry_id, fields)] = await redis.xrange(stream)
    assert b"body" not in fields
    assert base64.b64decode(fields[b"body_base64"]) == body
    assert delivery_from("shopify", fields, entry_id.decode()).body == body
