"""Every Redis key and stream name the webshop adapters own, in one place.

Kept together (and apart from the Sitoo side's names) so the whole set can move into a
shared key module without touching the adapters.
"""

from __future__ import annotations

import hashlib


def raw_stream(webshop: str) -> str:
    """The stream of a webshop's web-hook deliveries as received, e.g. ``shopify.webhooks``."""
    return f"{webshop}.webhooks"


def delivery_key(prefix: str, webshop: str, delivery_id: str) -> str:
    """Marks a delivery id as stored (de-duplication of the platform's retries and copies)."""
    return f"{prefix}:webshop-delivery:{webshop}:{_short(delivery_id)}"


def emitted_key(prefix: str, event_id: str) -> str:
    """Marks a canonical event id as appended, whichever path (web hook, poller) came first."""
    return f"{prefix}:webshop-emitted:{_short(event_id)}"


def poller_cursor_key(prefix: str, webshop: str, name: str) -> str:
    """A webshop reconciliation poller's cursor."""
    return f"{prefix}:webshop-cursor:{webshop}:{name}"


def poller_lease_name(webshop: str, name: str) -> str:
    """The lease name (see :class:`service.pollers.lease.Lease`) of a webshop poller."""
    return f"webshop-{webshop}-{name}"


def outbound_group(webshop: str) -> str:
    """The consumer group a webshop's writer reads ``sitoo.events`` with."""
    return f"sitoo-sync-{webshop}"


def written_key(prefix: str, webshop: str, what: str) -> str:
    """Records an outbound effect made at the webshop (stock level written, pick-up marked)."""
    return f"{prefix}:webshop-written:{webshop}:{_short(what)}"


def _short(text: str) -> str:
    """Ids used as they are when short and plain; anything else hashed (bounded key length)."""
    if len(text) <= 120 and text.isascii() and " " not in text:  # noqa: PLR2004
        return text
    return "h-" + hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
