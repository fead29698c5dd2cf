"""The pollers, their lease and the outbound publisher on a Redis Cluster (tests reused)."""

from tests.integration.pollers.conftest import rig  # noqa: F401 - fixture of the reused tests
from tests.integration.pollers.test_outbound_publisher import *  # noqa: F403
from tests.integration.pollers.test_poller_lease import *  # noqa: F403
from tests.integration.pollers.test_pollers_store_actions import *  # noqa: F403
