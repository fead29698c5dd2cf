"""Every dead-letter stream of the deployment, and where a replay sends each one's letters.

One store for the consumers that park and for ``sitoo-sync dlq``: the inbound streams',
the Sitoo web-hook stream's (entries its consumer gave up on, and bodies the intake could
not use), each webshop adapter's raw web-hook stream's, and each webshop writer's
(``<outbound>.<webshop>.dlq``, replayed onto the outbound stream the writer reads). The
names come from :mod:`service.records.streams`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from service.deadletters import DeadLetterSource, DeadLetterStore, Resend
from service.records.keys import DeploymentKeys
from service.records.streams import stream_names

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from service.settings import Settings


def dead_letter_store(
    redis: aioredis.Redis, settings: Settings, *, webhook_resend: Resend | None = None
) -> DeadLetterStore:
    """The dead letters of every stream the deployment reads (adapters switched off too).

    ``webhook_resend`` replays the Sitoo web-hook intake's letters (bodies, not entries);
    only a store that replays needs it, and it comes from the web-hook layer above.
    """
    names = stream_names(settings)
    sources = [
        DeadLetterSource(names.webshop_writes_dead_letters(shop), names.outbound)
        for shop in names.webshop_webhooks
    ]
    webhooks = names.sitoo_webhooks
    sources.append(DeadLetterSource(names.dead_letters(webhooks), webhooks, resend=webhook_resend))
    return DeadLetterStore(
        redis,
        streams=[
            *names.inbound().values(),
            names.sitoo_webhooks,
            *names.webshop_webhooks.values(),
        ],
        names=names,
        keys=DeploymentKeys.from_settings(settings),
        retention_s=settings.idempotency.retention_days * 86_400,
        sources=sources,
    )
