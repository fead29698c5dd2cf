"""The redis-cli examples of the event reference, the producer page and the README, run.

Each document runs against its own fresh demo sandbox and service: the commands are the
document's text, with only the stream and reply-list names made the test's own.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from service.contracts.examples import EXAMPLES, Example, primary
from service.contracts.registry import EVENT_KINDS
from service.operator.producers import REQUEST_EXAMPLE
from tests.integration.examples import runtimes
from tests.integration.examples.docblocks import blocks, sent_example, xadd_lines
from tests.integration.examples.senders import run_and_check, shell_runner
from tests.integration.examples.stack import example_stack


def _shell_senders(document: str) -> list[tuple[Example, str]]:
    found = []
    for block in blocks(document):
        if block.language == "sh" and xadd_lines(block.text):
            example = sent_example(block.text)
            assert example is not None, f"an XADD in {document} sends no catalogue example"
            found.append((example, block.text))
    return found


async def test_event_reference_examples(redis_url: str, tmp_path: Path) -> None:
    """docs/events.md: every example by name, each with its documented result."""
    redis_cli = runtimes.redis_cli()
    async with example_stack(redis_url) as stack:
        run = shell_runner(tmp_path, stack, redis_cli)
        ran = await run_and_check(stack, _shell_senders("docs/events.md"), run)
        others = [
            b.text
            for b in blocks("docs/events.md")
            if b.language == "sh" and not xadd_lines(b.text)
        ]
        assert others, "the reference shows how to read the results"
        for text in others:
            shown = await run(None, text)
            assert shown.status == 0, shown.stderr
            assert '"inbound_event_id"' in shown.stdout
    assert sorted(ran) == sorted(EXAMPLES), "every catalogue example is in the reference"


async def test_producer_page_shell_examples(redis_url: str, tmp_path: Path) -> None:
    """docs/producers.md, redis-cli: one event of each type and the request, as documented."""
    redis_cli = runtimes.redis_cli()
    async with example_stack(redis_url) as stack:
        run = shell_runner(tmp_path, stack, redis_cli)
        ran = await run_and_check(stack, _shell_senders("docs/producers.md"), run)
    assert sorted(ran) == sorted({primary(t).name for t in EVENT_KINDS} | {REQUEST_EXAMPLE})


async def test_readme_examples(redis_url: str, tmp_path: Path) -> None:
    """README.md: its XADD sends a catalogue example as it is; the reads show what it says."""
    redis_cli = runtimes.redis_cli()
    lines = [
        line
        for block in blocks("README.md")
        if block.language == "sh"
        for line in block.text.splitlines()
        if line.startswith("redis-cli")
    ]
    sends = [line for line in lines if " XADD " in line]
    assert sends, "the README shows how to send an event"
    async with example_stack(redis_url, pollers=True) as stack:
        run = shell_runner(tmp_path, stack, redis_cli)
        senders = [(example, line) for line in sends if (example := sent_example(line))]
        assert len(senders) == len(sends), "every XADD of the README sends a catalogue example"
        await run_and_check(stack, senders, run)
        for line in lines:
            if " XREVRANGE " not in line:
                continue
            comment = line.partition("#")[2].strip()
            async with asyncio.timeout(20):  # the pollers' first cycle publishes the levels
                while not await stack.redis.xlen(stack.settings.streams.outbound):
                    await asyncio.sleep(0.1)
            shown = await run(None, line)
            assert shown.status == 0, shown.stderr
            if comment.startswith("order.placed.succeeded"):
                assert "order.placed.succeeded" in shown.stdout
                assert '"orderid"' in shown.stdout
            else:  # what the pollers published: the levels of the seeded stock at least
                assert '"type":"stock.changed"' in shown.stdout.replace(" ", "")
