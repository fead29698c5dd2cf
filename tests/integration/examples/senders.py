"""Run a document's sending snippets in order and compare each with its documented result."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from service.contracts.examples import Example
from tests.integration.examples.runtimes import Ran
from tests.integration.examples.stack import ExampleStack

Runner = Callable[[Example, str], Awaitable[Ran]]
"""Runs the snippet that sends an example (renaming it onto the stack's names)."""


def last_json(output: str) -> dict[str, Any] | None:
    """The JSON document on the last line a snippet printed (a reply), if it printed one."""
    lines = [line for line in output.splitlines() if line.strip()]
    if not lines or not lines[-1].lstrip().startswith("{"):
        return None
    document: dict[str, Any] = json.loads(lines[-1])
    return document


async def run_and_check(
    stack: ExampleStack, senders: list[tuple[Example, str]], run: Runner
) -> list[str]:
    """Run each (example, snippet) in document order; the examples that ran.

    A snippet sent again with the same text is skipped: the service would only repeat the
    first result. The same event with other data fails: two documents disagreeing.
    """
    texts: dict[str, str] = {}
    for example, text in senders:
        if example.name in texts:
            assert _event_lines(texts[example.name]) == _event_lines(text), (
                f"two snippets send event {example.event_id} with different data"
            )
            continue
        missing = [name for name in example.after if name not in texts]
        assert not missing, f"{example.name} is shown before {missing}, which it needs first"
        ran = await run(example, text)
        assert ran.status == 0, f"{example.name} exited {ran.status}: {ran.stderr or ran.stdout}"
        assert await _sent_as_documented(stack, example), (
            f"{example.name}: the snippet's entry differs from the catalogue's event"
        )
        reply = last_json(ran.stdout) if example.reply_to is not None else None
        result = await stack.result_of(example.event_id)
        problems = await stack.problems(example, result, reply)
        assert problems == [], f"{example.name} does not give its documented result: {problems}"
        texts[example.name] = text
    return list(texts)


async def _sent_as_documented(stack: ExampleStack, example: Example) -> bool:
    """The entry the snippet appended holds the example's envelope (its own time aside)."""
    stream = example.stream(stack.settings.streams)
    for _, fields in reversed(await stack.redis.xrange(stream)):
        sent = json.loads(fields[b"event"])
        if sent.get("event_id") != example.event_id:
            continue
        sent.pop("occurred_at", None)
        documented = example.envelope()
        documented.pop("occurred_at")
        reply_to = fields.get(b"reply_to", b"").decode()
        if example.reply_to is None:
            return sent == documented and not reply_to
        return sent == documented and reply_to.startswith(stack.reply_list(example.reply_to))
    return False


def _event_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if "event_id" in line]


def shell_runner(
    workdir: Path, stack: ExampleStack, redis_cli: str
) -> Callable[[Example | None, str], Awaitable[Ran]]:
    """Runs a shell snippet with bash, redis-cli on PATH and REDIS_URL set."""
    from tests.integration.examples.runtimes import run  # noqa: PLC0415

    env = stack.env()
    env["PATH"] = f"{Path(redis_cli).parent}:{env.get('PATH', '')}"

    async def runner(example: Example | None, text: str) -> Ran:
        del example  # a shell snippet is complete as it is
        script = workdir / "snippet.sh"
        script.write_text("set -euo pipefail\n" + stack.rename(text), encoding="utf-8")
        return await run(["bash", str(script)], env=env, cwd=workdir)

    return runner
