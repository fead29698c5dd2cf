"""A gift-card PIN never appears in a log line, a command's output or a reason.

A checkout's redeem with a wrong PIN (read from Sitoo with the PIN as a query parameter),
an invalid redeem carrying a PIN (dead-lettered with its original entry, which a replay
needs) and a balance request refused for its reply target: the service's logs at DEBUG,
`dlq list`, `dlq list --json`, `dlq show`, `tail` and `tail --json` of the results and of
the inbound streams must all be free of the PIN, while the stored dead letter keeps it.
"""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
import redis.asyncio as aioredis
from typer.testing import CliRunner

from service.cli import cli
from service.logs import configure_logging
from service.settings import Settings
from tests.integration.consumers.conftest import Publish, envelope, read_results, running_service
from tests.integration.consumers.test_dead_letter_cli import environment

PIN = "Zq8Pw3Xk"  # not the card's: the redeem is declined
CARD = "95000000000000000002"  # demo seed: needs a PIN


async def _cli(settings: Settings, *args: str) -> str:
    env = {**environment(settings), "SITOO_SYNC_STREAMS__RESULTS": settings.streams.results}
    result = await asyncio.to_thread(CliRunner().invoke, cli, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.timeout(90)
async def test_a_pin_is_never_shown(
    settings: Settings,
    redis: aioredis.Redis,
    publish: Publish,
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(level="DEBUG", json_output=True, secrets=settings.secret_values())
    try:
        async with running_service(settings):
            wrong_pin = envelope(
                "giftcard.redeem",
                {"card_number": CARD, "amount": "5.00", "currency": "SEK", "pin": PIN},
            )
            invalid = envelope(
                "giftcard.redeem",
                {"card_number": CARD, "amount": "5.001", "currency": "SEK", "pin": PIN},
            )
            await publish(settings.streams.giftcard_requests, wrong_pin, reply_to="co:1:reply")
            await publish(settings.streams.giftcards, invalid)
            await publish(settings.streams.giftcards, json.dumps({"pin": PIN}).encode())
            results = await read_results(redis, settings.streams.results, count=3)
        logged = capsys.readouterr().out
    finally:
        logging.getLogger().handlers.clear()
    codes = sorted(str(r["data"]["reason_code"]) for r in results)
    assert codes == ["invalid", "invalid", "wrong_pin"]
    assert "giftcards" in logged  # the service did log its work
    assert PIN not in logged

    stored = await redis.xrange(settings.streams.giftcards + settings.streams.dead_letter_suffix)
    assert all(PIN.encode() in fields[b"original:event"] for _, fields in stored)

    letter_id = (await _cli(settings, "dlq", "list")).split()[0]
    outputs = [
        await _cli(settings, "dlq", "list"),
        await _cli(settings, "dlq", "list", "--json"),
        await _cli(settings, "dlq", "show", letter_id),
    ]
    tail = ["tail", "--from-start", "--count", "2"]
    for stream in (settings.streams.results, settings.streams.giftcards):
        outputs.append(await _cli(settings, *tail, "--stream", stream))
        outputs.append(await _cli(settings, *tail, "--stream", stream, "--json"))
    assert all(output.strip() for output in outputs)
    for output in outputs:
        assert PIN not in output
    assert "**********" in outputs[1]
