"""The commands of docs/operations.md (dead letters, backfills) and docs/sandbox.md's script, run.

The dead-letter commands run against dead letters the catalogue's examples leave on the
demo seed; the documented placeholder ids stand for theirs.
"""

from __future__ import annotations

import asyncio
import re
import shlex
import sys
from pathlib import Path

import pytest

from service.contracts.examples import EXAMPLES
from tests.integration.examples import runtimes
from tests.integration.examples.docblocks import ROOT, blocks
from tests.integration.examples.stack import API_ID, API_PASSWORD, ExampleStack, example_stack
from tests.integration.operator.conftest import invoke

_PLACEHOLDER_IDS = ("1767268800123-0", "1767268800456-0")
_LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[")


def _commands(marker: str) -> list[list[str]]:
    """The sitoo-sync command lines of the operations block containing ``marker``."""
    [text] = [
        b.text for b in blocks("docs/operations.md") if b.language == "sh" and marker in b.text
    ]
    return [
        shlex.split(line.partition("#")[0])[1:]
        for line in text.splitlines()
        if line.startswith("sitoo-sync ")
    ]


def _without_logs(output: str) -> str:
    """What a command printed, without the log lines of the service running in this process."""
    lines = output.splitlines()
    return "\n".join(line for line in lines if not _LOG_LINE.match(line))


def _operator_env(monkeypatch: pytest.MonkeyPatch, stack: ExampleStack) -> None:
    settings = stack.settings
    streams = settings.streams
    values = {
        "SITOO__BASE_URL": str(settings.sitoo.base_url),
        "SITOO__API_ID": API_ID,
        "SITOO__API_PASSWORD": API_PASSWORD,
        "REDIS__URL": stack.redis_url,
        "REDIS__KEY_PREFIX": settings.redis.key_prefix,
        "STREAMS__ORDERS": streams.orders,
        "STREAMS__GIFTCARDS": streams.giftcards,
        "STREAMS__GIFTCARD_REQUESTS": streams.giftcard_requests,
        "STREAMS__STOCK": streams.stock,
        "STREAMS__RESULTS": streams.results,
        "STREAMS__OUTBOUND": streams.outbound,
        "STREAMS__SITOO_WEBHOOKS": streams.sitoo_webhooks,
    }
    for name, value in values.items():
        monkeypatch.setenv(f"SITOO_SYNC_{name}", value)


async def _park(stack: ExampleStack, *names: str) -> list[str]:
    """Send examples that are dead-lettered; their dead letters' ids, in order."""
    ids = []
    for name in names:
        example = EXAMPLES[name]
        stream = example.stream(stack.settings.streams)
        await stack.redis.xadd(stream, example.fields())
        await stack.result_of(example.event_id)
        dlq = stream + stack.settings.streams.dead_letter_suffix
        [(entry_id, _)] = await stack.redis.xrange(dlq)
        ids.append(entry_id.decode())
    return ids


async def test_dead_letter_commands(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """list, show, replay by filter and by id, purge: each does what its comment says."""
    async with example_stack(redis_url) as stack:
        _operator_env(monkeypatch, stack)
        parked = await _park(stack, "order-placed-invalid", "stock-adjusted-virtual")
        ids = dict(zip(_PLACEHOLDER_IDS, parked, strict=True))
        outputs = []
        for documented in _commands("dlq list"):
            args = [stack.rename(ids.get(arg, arg)) for arg in documented]
            result = await invoke(*args)
            assert result.exit_code == 0, f"{args}: {result.output}"
            outputs.append(_without_logs(result.stdout))
        listed, shown, by_reason, by_id, purged = outputs
        invalid, virtual = EXAMPLES["order-placed-invalid"], EXAMPLES["stock-adjusted-virtual"]
        [line] = listed.splitlines()
        assert parked[0] in line
        assert invalid.event_id in line
        assert '"event_id": "shop-order-placed-invalid-1"' in shown
        assert by_reason.strip() == "0 replayed"
        assert by_id.splitlines()[-1] == "2 replayed"
        assert purged.strip() == "0 purged"
        # Nothing was fixed, so both come straight back, as the page warns.
        for example in (invalid, virtual):
            dlq = example.stream(stack.settings.streams) + stack.settings.streams.dead_letter_suffix
            async with asyncio.timeout(15):
                while True:
                    letters = await stack.dead_letters(example.stream(stack.settings.streams))
                    if [d["event_id"] for d in letters] == [example.event_id]:
                        break
                    await asyncio.sleep(0.05)
            [(entry_id, _)] = await stack.redis.xrange(dlq)
            assert entry_id.decode() not in parked


async def test_backfill_commands(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each resync runs to its summary line against the demo seed."""
    async with example_stack(redis_url) as stack:
        _operator_env(monkeypatch, stack)
        summaries = []
        for args in _commands("resync stock"):
            result = await invoke(*args)
            assert result.exit_code == 0, f"{args}: {result.output}"
            summaries.append(_without_logs(result.stdout).strip())
    stock, stock_since, orders, giftcards = summaries
    assert re.fullmatch(r"resync stock: read 400, published 400, unchanged 0", stock), stock
    assert re.fullmatch(r"resync stock: read \d+, published 0, unchanged \d+", stock_since)
    assert orders.startswith("resync orders: ")
    assert giftcards.startswith("resync giftcards: ")


async def test_sandbox_script(tmp_path: Path) -> None:
    """docs/sandbox.md's script prints what its comments say."""
    [text] = [b.text for b in blocks("docs/sandbox.md") if b.language == "python"]
    script = tmp_path / "sandbox_example.py"
    script.write_text(text, encoding="utf-8")
    ran = await runtimes.run(
        [sys.executable, str(script)], env={"PYTHONPATH": str(ROOT)}, cwd=tmp_path
    )
    assert ran.status == 0, ran.stderr
    counts, url = ran.stdout.splitlines()
    assert counts == "3 stores, 100 products"
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v2/accounts/90001", url)
