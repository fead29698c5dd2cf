"""Every request example in docs/fake-woocommerce.md gets the documented status and fields."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.fakes.woocommerce import create_fake_woocommerce_app, fake_woocommerce_transport

DOC = Path(__file__).resolve().parents[2] / "docs" / "fake-woocommerce.md"
KEY = "ck_fake_consumer_key_0000000000000000000000"
SECRET = "cs_fake_consumer_secret_00000000000000000000"
_EXAMPLE = re.compile(r"```http\n(.*?)```\s*answers `(\d{3})`:\s*```json\n(.*?)```", re.DOTALL)


def _examples() -> list[tuple[str, int, Any]]:
    text = DOC.read_text(encoding="utf-8")
    return [(req, int(status), json.loads(body)) for req, status, body in _EXAMPLE.findall(text)]


def _contains(actual: Any, expected: Any) -> bool:
    """Every field shown is there with that value (lists: same length, item by item)."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and _contains(actual[k], v) for k, v in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(_contains(a, e) for a, e in zip(actual, expected, strict=True))
        )
    return bool(actual == expected)


def test_the_doc_has_examples() -> None:
    """The examples are there to be checked."""
    assert len(_examples()) >= 5


@pytest.mark.parametrize(("request_text", "status", "expected"), _examples())
async def test_each_example_gives_its_documented_answer(
    request_text: str, status: int, expected: Any
) -> None:
    """Run the request against a fresh demo store."""
    head, _, body = request_text.partition("\n\n")
    first, *header_lines = head.strip().splitlines()
    method, path = first.split(" ", 1)
    headers = dict(line.split(": ", 1) for line in header_lines)
    app = create_fake_woocommerce_app(now=lambda: 1_780_000_000.0)
    auth = None if "Authorization" in headers else (KEY, SECRET)
    async with httpx.AsyncClient(
        transport=fake_woocommerce_transport(app), base_url="https://shop.example.com"
    ) as client:
        answer = await client.request(
            method,
            path,
            headers=headers,
            json=json.loads(body) if body.strip() else None,
            auth=auth,  # type: ignore[arg-type]
        )
    assert answer.status_code == status
    assert _contains(answer.json(), expected), answer.text
