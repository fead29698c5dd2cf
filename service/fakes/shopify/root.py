"""The root value handed to graphql-core: one resolver per root query and mutation field."""

from __future__ import annotations

from typing import Any

from service.fakes.shopify import (
    mutations_giftcards,
    mutations_inventory,
    mutations_orders,
    mutations_webhooks,
    resolvers_query,
)

ROOT: dict[str, Any] = {
    "shop": resolvers_query.shop_view,
    "currentAppInstallation": resolvers_query.current_app_installation,
    "publicApiVersions": resolvers_query.public_api_versions,
    "node": resolvers_query.node,
    "nodes": resolvers_query.nodes,
    "job": resolvers_query.job,
    "location": resolvers_query.location_one,
    "locations": resolvers_query.locations,
    "productVariant": resolvers_query.product_variant,
    "productVariants": resolvers_query.product_variants,
    "inventoryItem": resolvers_query.inventory_item_one,
    "inventoryItems": resolvers_query.inventory_items,
    "order": resolvers_query.order_one,
    "orders": resolvers_query.orders,
    "fulfillmentOrder": resolvers_query.fulfillment_order_one,
    "giftCard": resolvers_query.giftcard_one,
    "giftCards": resolvers_query.giftcards,
    "webhookSubscription": resolvers_query.webhook_subscription_one,
    "webhookSubscriptions": resolvers_query.webhook_subscriptions,
    "inventorySetQuantities": mutations_inventory.inventory_set_quantities,
    "inventoryActivate": mutations_inventory.inventory_activate,
    "fulfillmentOrderLineItemsPreparedForPickup": mutations_orders.prepared_for_pickup,
    "fulfillmentCreate": mutations_orders.fulfillment_create,
    "orderCancel": mutations_orders.order_cancel,
    "tagsAdd": mutations_orders.tags_add,
    "giftCardCreate": mutations_giftcards.giftcard_create,
    "giftCardCredit": mutations_giftcards.giftcard_credit,
    "giftCardDebit": mutations_giftcards.giftcard_debit,
    "giftCardDeactivate": mutations_giftcards.giftcard_deactivate,
    "webhookSubscriptionCreate": mutations_webhooks.webhook_subscription_create,
    "webhookSubscriptionDelete": mutations_webhooks.webhook_subscription_delete,
}
