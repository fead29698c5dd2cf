"""One rule says which keys the service owns; a reply target may be none of them."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from service.brokers.redis.replies import Replier
from service.inbox.transport import InvalidReplyTo
from service.records.keys import DeploymentKeys
from service.records.keyspace import Keyspace
from service.settings import Settings

DEFAULTS = Settings()
STREAMS = DEFAULTS.streams
OWNED = [
    STREAMS.orders,
    STREAMS.giftcards,
    STREAMS.giftcard_requests,
    STREAMS.stock,
    STREAMS.results,
    STREAMS.outbound,
    STREAMS.sitoo_webhooks,
]


@pytest.mark.parametrize(
    "key",
    [
        *OWNED,
        *(stream + STREAMS.dead_letter_suffix for stream in OWNED),
        "sitoo-sync",
        "sitoo-sync:idem:e-1:redeem",
        "sitoo-sync:lease:orders",
        "sitoo-sync:replied:abc",
        "sitoo-sync.results",
    ],
)
def test_every_key_the_service_owns_is_reserved(key: str) -> None:
    """Streams (dead-letter streams included) and everything under the key prefix."""
    assert Keyspace.from_settings(DEFAULTS).why_reserved(key) is not None


@pytest.mark.parametrize(
    "key", ["checkout:5521:reply", "webshop.orders-replies:1", "reply:sitoo-sync"]
)
def test_a_key_of_the_webshop_is_not_reserved(key: str) -> None:
    """The documented habit, and names that merely contain ours."""
    assert Keyspace.from_settings(DEFAULTS).why_reserved(key) is None


def test_the_rule_follows_the_configured_names() -> None:
    """Another prefix and other stream names move the reserved space with them."""
    settings = Settings.model_validate(
        {"redis": {"key_prefix": "shop-a"}, "streams": {"results": "out.results"}}
    )
    keyspace = Keyspace.from_settings(settings)
    assert keyspace.why_reserved("out.results.dlq") is not None
    assert keyspace.why_reserved("shop-a:x") is not None
    assert keyspace.why_reserved("sitoo-sync:x") is None


def test_the_replier_refuses_what_the_keyspace_reserves() -> None:
    """The reply-target check is this rule, not a list of its own."""
    replier = Replier(
        aioredis.Redis(),  # never connected: check() does not touch Redis
        keys=DeploymentKeys("sitoo-sync"),
        ttl_s=60,
        retention_s=60,
        keyspace=Keyspace.from_settings(DEFAULTS),
    )
    with pytest.raises(InvalidReplyTo, match="stream the service uses"):
        replier.check(b"sitoo.events.dlq")
    assert replier.check(b"checkout:1:reply") == "checkout:1:reply"


def test_on_a_cluster_the_rule_follows_the_tagged_names() -> None:
    """A tagged deployment owns its tagged base and streams, not the untagged names."""
    settings = Settings.model_validate({"redis": {"cluster": True}})
    keyspace = Keyspace.from_settings(settings)
    assert keyspace.why_reserved("{sitoo-sync}:idem:e-1") is not None
    assert keyspace.why_reserved("{sitoo-sync}:webshop.orders.dlq") is not None
    assert keyspace.why_reserved("checkout:{sitoo-sync}:1:reply") is None
