"""The consumers, the whole service running, on a Redis Cluster (tests reused as they are)."""

from tests.integration.consumers.conftest import (  # noqa: F401 - fixtures of the reused tests
    publish,
    service,
    settings,
)
from tests.integration.consumers.test_giftcards_flow import *  # noqa: F403
from tests.integration.consumers.test_orders_flow import *  # noqa: F403
from tests.integration.consumers.test_settle_once import *  # noqa: F403
from tests.integration.consumers.test_stock_flow import *  # noqa: F403
