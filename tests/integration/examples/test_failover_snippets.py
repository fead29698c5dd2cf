"""docs/producers.md, "Surviving a Redis failover": each language's XADD + WAIT, run as written.

Against a real primary with one replica: with the replica linked the snippet reports one
replica holding the entry (and the replica has it); with the replica frozen (it
acknowledges nothing) it reports none, so the producer knows to send the event again.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from service.contracts.examples import EXAMPLES
from tests.integration.examples import runtimes
from tests.integration.examples.docblocks import blocks
from tests.support.replicated_redis import (
    ReplicatedRedis,
    redis_server_or_reason,
    replicated_redis,
)

PAGE = "docs/producers.md"
STREAM = "webshop.orders"


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[ReplicatedRedis]:
    """A primary and its linked replica, or a skip saying why there is none."""
    executable, reason = redis_server_or_reason()
    if executable is None:
        pytest.skip(f"no Redis server to run a primary and a replica: {reason}")
    with replicated_redis(tmp_path / "redis") as running:
        yield running


def _failover_blocks(language: str) -> list[str]:
    text = (Path(__file__).resolve().parents[3] / PAGE).read_text(encoding="utf-8")
    section = text.split("## Surviving a Redis failover", 1)[1].split("\n## ", 1)[0]
    return [b.text for b in blocks(PAGE) if b.language == language and b.text in section]


def _connection(language: str) -> str:
    [text] = [
        b.text
        for b in blocks(PAGE)
        if b.language == language and "REDIS_URL" in b.text and "event_id" not in b.text
    ]
    return text


def _event() -> dict[str, object]:
    return EXAMPLES["order-placed"].envelope()


def _on_replica(pair: ReplicatedRedis) -> int:
    client = pair.replica.client()
    try:
        return int(client.xlen(STREAM))
    finally:
        client.close()


async def _run_frozen(
    pair: ReplicatedRedis, argv: list[str], env: dict[str, str], cwd: Path
) -> runtimes.Ran:
    pair.replica.freeze()
    try:
        return await runtimes.run(argv, env=env, cwd=cwd)
    finally:
        pair.replica.thaw()


async def test_redis_cli_reports_the_replicas_holding_the_entry(
    pair: ReplicatedRedis, tmp_path: Path
) -> None:
    """The piped XADD + WAIT prints the entry id, then 1 when linked and 0 when cut off."""
    redis_cli = runtimes.redis_cli()
    [snippet] = _failover_blocks("sh")
    script = tmp_path / "durable.sh"
    script.write_text(snippet.replace("redis-cli ", f"{redis_cli} ", 1), encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "REDIS_URL": pair.primary.url, "EVENT": json.dumps(_event())}
    linked = await runtimes.run(["bash", str(script)], env=env, cwd=tmp_path)
    assert linked.status == 0, linked.stderr
    entry_id, replicas = linked.stdout.split()
    assert "-" in entry_id
    assert replicas == "1"
    async with asyncio.timeout(5):
        while _on_replica(pair) != 1:
            await asyncio.sleep(0.05)
    cut_off = await _run_frozen(pair, ["bash", str(script)], env, tmp_path)
    assert cut_off.stdout.split()[1] == "0"


LANGUAGES = {
    "php": (runtimes.php, ".php", "\nvar_export(sendDurably($redis, '{stream}', {event}));\n"),
    "node": (
        runtimes.node,
        ".mjs",
        "\nconsole.log(await sendDurably(redis, '{stream}', {event}));\nprocess.exit(0);\n",
    ),
}
_FENCES = {"php": "php", "node": "js"}


@pytest.mark.parametrize("name", sorted(LANGUAGES))
async def test_send_durably_says_whether_a_replica_holds_the_entry(
    name: str, pair: ReplicatedRedis, tmp_path: Path
) -> None:
    """The page's sendDurably: true with the replica linked, false while it is cut off."""
    find, suffix, call = LANGUAGES[name]
    executable = find()
    if name == "node":
        runtimes.link_node_modules(tmp_path)
    [snippet] = _failover_blocks(_FENCES[name])
    event = json.dumps(_event())
    if name == "php":
        event = f"json_decode('{event}', true)"
    program = _connection(_FENCES[name]) + "\n" + snippet + call.format(stream=STREAM, event=event)
    path = tmp_path / f"durable{suffix}"
    path.write_text(program, encoding="utf-8")
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "REDIS_URL": pair.primary.url}
    linked = await runtimes.run([executable, str(path)], env=env, cwd=tmp_path)
    assert linked.status == 0, linked.stderr
    assert linked.stdout.strip() == "true"
    assert _on_replica(pair) == 1
    cut_off = await _run_frozen(pair, [executable, str(path)], env, tmp_path)
    assert cut_off.stdout.strip() == "false", cut_off.stderr
    client = redis.Redis.from_url(pair.primary.url)
    try:
        assert client.xlen(STREAM) == 2  # sent, only not yet on a replica
    finally:
        client.close()
