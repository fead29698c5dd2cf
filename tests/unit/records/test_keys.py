"""Key names: one hash slot per tagged deployment, unchanged names for an untagged one."""

from __future__ import annotations

import pytest
from redis.crc import key_slot

from service.records.keys import KEY_SPECS, DeploymentKeys, MisplacedStream, hash_tag
from service.records.streams import STREAM_SPECS, stream_names
from service.settings import ConfigurationError, Settings, load_settings


def every_key(keys: DeploymentKeys, settings: Settings) -> list[str]:
    """Each kind of key built once with sample parts, and every stream with its dead letters."""
    built = [keys.build(spec.name, *(f"sample-{p}" for p in spec.parts())) for spec in KEY_SPECS]
    built += [keys.operation("evt-1:create-order"), keys.settled_event("evt-1")]
    built += [keys.settled_entry("webshop.orders", "1-0"), keys.stock_level(3, "SKU {1}")]
    built += [keys.tracked_giftcards, keys.open_pickups, keys.devstack_generation]
    return built + sorted(stream_names(settings).all())


@pytest.mark.parametrize(
    ("prefix", "cluster", "slot_of"),
    [("sitoo-sync", True, "sitoo-sync"), ("{shop-a}", False, "shop-a"), ("x{m}y", True, "m")],
)
def test_every_key_of_a_tagged_deployment_is_in_one_slot(
    prefix: str, cluster: bool, slot_of: str
) -> None:
    settings = Settings(redis={"key_prefix": prefix, "cluster": cluster})  # type: ignore[arg-type]
    keys = DeploymentKeys.from_settings(settings)
    built = every_key(keys, settings)
    assert len(built) > len(KEY_SPECS) + len(STREAM_SPECS)
    assert {key_slot(key.encode()) for key in built} == {key_slot(slot_of.encode())}
    assert keys.slot == key_slot(slot_of.encode())


def test_cluster_wraps_the_prefix_and_tags_the_streams() -> None:
    settings = Settings(redis={"cluster": True})  # type: ignore[arg-type]
    keys = DeploymentKeys.from_settings(settings)
    names = stream_names(settings)
    assert keys.operation("e:1") == "{sitoo-sync}:idem:e:1"
    assert names.orders == "{sitoo-sync}:webshop.orders"
    assert names.dead_letters(names.orders) == "{sitoo-sync}:webshop.orders.dlq"


def test_a_stream_already_carrying_the_tag_is_used_as_written() -> None:
    settings = Settings(
        redis={"key_prefix": "{m1}", "cluster": True},  # type: ignore[arg-type]
        streams={"orders": "m1-orders{m1}"},  # type: ignore[arg-type]
    )
    assert stream_names(settings).orders == "m1-orders{m1}"


def test_a_stream_tagged_for_another_slot_is_refused_naming_the_setting() -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings(redis={"cluster": True}, streams={"stock": "{other}:stock"})
    assert str(caught.value).startswith("SITOO_SYNC_STREAMS__STOCK '{other}:stock'")
    with pytest.raises(MisplacedStream):
        DeploymentKeys("{a}").stream("{b}:x")


def test_untagged_deployment_keeps_the_names_it_always_had() -> None:
    """An upgrade on a single Redis finds every record where the earlier version left it."""
    settings = Settings()
    keys = DeploymentKeys.from_settings(settings)
    assert not keys.tagged
    expected = {
        keys.operation("e:1:redeem"): "sitoo-sync:idem:e:1:redeem",
        keys.settled_event("e"): "sitoo-sync:settled:e",
        keys.settled_entry("s", "1-0"): "sitoo-sync:settled:entry:s/1-0",
        keys.replied("d"): "sitoo-sync:replied:d",
        keys.dead_lettered("s", "1-0"): "sitoo-sync:dead-lettered:s:1-0",
        keys.order_cancelled("o"): "sitoo-sync:order-cancelled:o",
        keys.card_currency("c"): "sitoo-sync:card-currency:c",
        keys.redemption("r"): "sitoo-sync:redemption:r",
        keys.redemptions_of_order("o"): "sitoo-sync:redemptions-of-order:o",
        keys.redemption_void("r"): "sitoo-sync:redemption-void:r",
        keys.stock_level(2, "S"): "sitoo-sync:stock-level:2:S",
        keys.published("p"): "sitoo-sync:published:p",
        keys.published_state("stock"): "sitoo-sync:last:stock",
        keys.sitoo_event("x"): "sitoo-sync:sitoo-event:x",
        keys.lease("stock"): "sitoo-sync:lease:stock",
        keys.lease_fence("stock"): "sitoo-sync:lease:stock:fence",
        keys.cursor("stock"): "sitoo-sync:cursor:stock",
        keys.poller_status("stock"): "sitoo-sync:poller-status:stock",
        keys.tracked_giftcards: "sitoo-sync:giftcards:tracked",
        keys.open_pickups: "sitoo-sync:pickups:open",
        keys.limiter("wait_interactive"): "sitoo-sync:limiter:wait:interactive",
        keys.limiter("arrivals"): "sitoo-sync:limiter:arrival-grants",
        keys.limiter("slots", "api"): "sitoo-sync:limiter:slots:api",
        keys.limiter("wake", "t"): "sitoo-sync:limiter:wake:t",
        keys.devstack_generation: "sitoo-sync:devstack:generation",
    }
    assert {built: built for built in expected} == expected
    assert stream_names(settings).orders == "webshop.orders"


@pytest.mark.parametrize(
    "key", ["{a}b", "a{b}c", "{}a", "a{}b{c}", "{a", "a}", "}{a}", "{{a}}", "plain", "{a}{b}"]
)
def test_hash_tag_follows_redis_rule(key: str) -> None:
    tag = hash_tag(key)
    assert key_slot(key.encode()) == key_slot((key if tag is None else tag).encode())


def test_two_prefixes_usually_fall_in_different_slots() -> None:
    shop_a, shop_b = DeploymentKeys("shop-a", cluster=True), DeploymentKeys("shop-b", cluster=True)
    assert shop_a.slot != shop_b.slot
