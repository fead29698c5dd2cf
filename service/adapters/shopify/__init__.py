"""The Shopify Admin GraphQL client: typed calls, one error tree, cost budget, writes once."""

from service.adapters.shopify.client import ShopifyClient
from service.adapters.shopify.throttle import CostBudget
from service.adapters.shopify.transport import build_http_client

__all__ = ["CostBudget", "ShopifyClient", "build_http_client"]
