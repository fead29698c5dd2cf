"""Every GraphQL example in the Shopify docs is valid against the fake's schema."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from graphql import parse, validate

from service.fakes.shopify.schema import schema_for

DOCS = Path(__file__).resolve().parents[2] / "docs"
_BLOCK = re.compile(r"```graphql\n(.*?)```", re.DOTALL)


def _examples() -> list[str]:
    found: list[str] = []
    for name in ("fake-shopify.md", "shopify-client.md"):
        found += _BLOCK.findall((DOCS / name).read_text(encoding="utf-8"))
    return found


def test_the_docs_have_graphql_examples() -> None:
    """The examples are there to be checked."""
    assert len(_examples()) >= 2


@pytest.mark.parametrize("query", _examples())
def test_each_example_is_valid_against_the_fake_schema(query: str) -> None:
    """Valid for 2026-04 (and so, with Shopify's names, for Shopify)."""
    assert [e.message for e in validate(schema_for("2026-04"), parse(query))] == []
