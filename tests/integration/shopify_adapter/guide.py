"""The examples of docs/shopify.md, as the tests use them."""

from __future__ import annotations

import tomllib

from tests.integration.examples.docblocks import Block, blocks

GUIDE = "docs/shopify.md"


def guide_blocks(language: str) -> list[Block]:
    """The guide's fenced blocks of one language."""
    return [b for b in blocks(GUIDE) if b.language == language]


def app_configuration() -> dict[str, object]:
    """The documented shopify.app.toml."""
    [block] = guide_blocks("toml")
    return tomllib.loads(block.text)


def documented_scopes() -> list[str]:
    """The access scopes the guide tells the merchant to grant."""
    scopes = app_configuration()["access_scopes"]
    assert isinstance(scopes, dict)
    return [s.strip() for s in str(scopes["scopes"]).split(",")]


def documented_topics() -> list[str]:
    """The web-hook topics the guide subscribes."""
    webhooks = app_configuration()["webhooks"]
    assert isinstance(webhooks, dict)
    return [t for sub in webhooks["subscriptions"] for t in sub["topics"]]
