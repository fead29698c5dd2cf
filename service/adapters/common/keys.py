"""Every Redis key and stream name the webshop adapters own, in one place.

Kept together (and apart from the Sitoo side's names) so the whole set can move into a
shared key module without touching the adapters.
"""

from __future__ import annotations

import hashlib


def delivery_key(prefix: str, webshop: str, delivery_id: str) -> str:
    """Marks a delivery id as stored (de-duplication of the platform's retries and copies)."""
    return f"{prefix}:webshop-delivery:{webshop}:{_short(delivery_id)}"


def emitted_key(prefix: str, event_id: str) -> str:
    """Marks a canonical event id as appended, whichever path (web hook, poller) came first."""
    return f"{prefix}:webshop-emitted:{_short(event_id)}"


def outbound_group(webshop: str) -> str:
    """The consumer group a webshop's writer reads ``sitoo.events`` with."""
    return f"sitoo-sync-{webshop}"


def snapshot_due_key(prefix: str, webshop: str) -> str:
    """Notes that a webshop writer's first snapshot of stock levels is still to be applied."""
    return f"{prefix}:webshop-snapshot-due:{webshop}"


def written_key(prefix: str, webshop: str, what: str) -> str:
    """Records an outbound effect made at the webshop (stock level written, pick-up marked)."""
    return f"{prefix}:webshop-written:{webshop}:{_short(what)}"


def _short(text: str) -> str:
    """Ids used as they are when short and plain; anything else hashed (bounded key length)."""
    if len(text) <= 120 and text.isascii() and " " not in text:  # noqa: PLR2004
        return text
    return "h-" + hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def writes_dead_letters(outbound: str, webshop: str) -> str:
    """Outbound events a webshop's writer could not apply, e.g. ``sitoo.events.shopify.dlq``."""
    return f"{outbound}.{webshop}.dlq"
