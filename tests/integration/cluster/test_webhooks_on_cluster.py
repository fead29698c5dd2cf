"""The web-hook intake and the Sitoo event consumer on a Redis Cluster (tests reused)."""

from tests.integration.webhooks.test_sitoo_event_consumer import *  # noqa: F403
from tests.integration.webhooks.test_webhook_hostile_bodies import *  # noqa: F403
from tests.integration.webhooks.test_webhook_intake import *  # noqa: F403
