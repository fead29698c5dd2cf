"""The WooCommerce REST (wc/v3) client: typed calls, one error tree, retries, writes once."""

from service.adapters.woocommerce.client import WooCommerceClient, build_http_client
from service.adapters.woocommerce.stock import StockLevel, StockReport, StockResult

__all__ = ["StockLevel", "StockReport", "StockResult", "WooCommerceClient", "build_http_client"]
