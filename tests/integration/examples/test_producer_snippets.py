"""docs/producers.md in PHP (phpredis) and Node (ioredis), run as written against the demo seed.

Each snippet runs as a program made of the page's connection snippet followed by it; a
request snippet also prints the reply it waited for. Nothing else is added.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from service.contracts.examples import EXAMPLES, Example, primary
from service.contracts.registry import EVENT_KINDS
from service.operator.producers import REQUEST_EXAMPLE
from tests.integration.examples import runtimes
from tests.integration.examples.docblocks import blocks, sent_example
from tests.integration.examples.senders import run_and_check
from tests.integration.examples.stack import ExampleStack, example_stack

PAGE = "docs/producers.md"


@dataclass(frozen=True)
class Language:
    """How one language's snippets become a program and run."""

    fence: str
    suffix: str
    find: Callable[[], str]
    print_reply: str
    finish: str


LANGUAGES = {
    "php": Language("php", ".php", runtimes.php, "\necho json_encode($reply), PHP_EOL;\n", ""),
    "node": Language(
        "js",
        ".mjs",
        runtimes.node,
        "\nconsole.log(JSON.stringify(reply));\n",
        "\nprocess.exit(0);\n",  # the snippets leave their connections open, as an app would
    ),
}


def _connection(language: Language) -> str:
    [text] = [
        b.text
        for b in blocks(PAGE)
        if b.language == language.fence and "REDIS_URL" in b.text and "event_id" not in b.text
    ]
    return text


def _senders(language: Language) -> list[tuple[Example, str]]:
    found = []
    for block in blocks(PAGE):
        example = sent_example(block.text) if block.language == language.fence else None
        if example is not None:
            found.append((example, block.text))
    return found


def _program(language: Language, connection: str, example: Example, snippet: str) -> str:
    reply = language.print_reply if example.reply_to is not None else ""
    return connection + "\n" + snippet + reply + language.finish


@pytest.fixture
def executable(name: str) -> str:
    """The language's runtime, found (or skipped / failed) before any stack is started."""
    return LANGUAGES[name].find()


@pytest.fixture
async def stack(executable: str, redis_url: str) -> AsyncIterator[ExampleStack]:
    """A fresh demo stack for one language's run through the page."""
    async with example_stack(redis_url) as running:
        yield running


@pytest.mark.parametrize("name", sorted(LANGUAGES))
async def test_every_snippet_gives_its_documented_result(
    name: str, executable: str, stack: ExampleStack, tmp_path: Path
) -> None:
    """One event of each type and the gift-card request, sent by the page's own code."""
    language = LANGUAGES[name]
    if name == "node":
        runtimes.link_node_modules(tmp_path)
    connection = _connection(language)

    async def run(example: Example, snippet: str) -> runtimes.Ran:
        path = tmp_path / f"{example.name}{language.suffix}"
        program = _program(language, connection, example, snippet)
        path.write_text(stack.rename(program), encoding="utf-8")
        return await runtimes.run([executable, str(path)], env=stack.env(), cwd=tmp_path)

    ran = await run_and_check(stack, _senders(language), run)
    assert sorted(ran) == sorted({primary(t).name for t in EVENT_KINDS} | {REQUEST_EXAMPLE})


@pytest.mark.parametrize("name", sorted(LANGUAGES))
async def test_snippets_refuse_to_run_without_redis_url(
    name: str, executable: str, tmp_path: Path
) -> None:
    """No REDIS_URL: the connection snippet stops with the reason; nothing reaches 6379."""
    language = LANGUAGES[name]
    if name == "node":
        runtimes.link_node_modules(tmp_path)
    example = EXAMPLES["giftcard-balance"]
    [snippet] = [text for e, text in _senders(language) if e is example]
    path = tmp_path / f"no-url{language.suffix}"
    path.write_text(_program(language, _connection(language), example, snippet), encoding="utf-8")
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin"}
    ran = await asyncio.wait_for(runtimes.run([executable, str(path)], env=env, cwd=tmp_path), 30)
    assert ran.status != 0
    assert "REDIS_URL" in ran.stderr + ran.stdout


def _reading_loop(language: Language) -> str:
    [text] = [
        b.text
        for b in blocks(PAGE)
        if b.language == language.fence and ("xRead(" in b.text or "xread(" in b.text)
    ]
    return text


@pytest.mark.parametrize("name", sorted(LANGUAGES))
async def test_reading_loop_prints_the_results_it_reads(
    name: str, executable: str, stack: ExampleStack, tmp_path: Path
) -> None:
    """The page's reading loop, started before an event is sent, prints that event's result."""
    language = LANGUAGES[name]
    if name == "node":
        runtimes.link_node_modules(tmp_path)
    path = tmp_path / f"reader{language.suffix}"
    program = _connection(language) + "\n" + _reading_loop(language)
    path.write_text(stack.rename(program), encoding="utf-8")
    reader = await asyncio.create_subprocess_exec(
        executable, str(path), env=stack.env(), cwd=tmp_path, stdout=asyncio.subprocess.PIPE
    )
    assert reader.stdout is not None
    balance = EXAMPLES["giftcard-balance"]
    stream = balance.stream(stack.settings.streams)
    results: set[str] = set()
    try:
        # The loop starts at '$' (new entries only): send until it has seen one.
        for attempt in range(20):
            event = balance.envelope() | {"event_id": f"shop-reading-{stack.unique}-{attempt}"}
            await stack.redis.xadd(stream, {"event": json.dumps(event)})
            results.add((await stack.result_of(str(event["event_id"])))["event_id"])
            try:
                line = await asyncio.wait_for(reader.stdout.readline(), 1.0)
            except TimeoutError:
                continue
            kind, result_id = line.decode().split()
            assert kind == "giftcard.balance.succeeded"
            assert result_id in results
            break
        else:
            pytest.fail("the reading loop printed nothing")
    finally:
        reader.kill()
        await reader.wait()
