"""The GraphQL documents of the client's calls, per API version where needed.

Gift cards have theirs in giftcard_queries.py. The ``cost`` of each operation is the
requestedQueryCost Shopify charges up front with the page sizes used here; a test checks it
against the fake, and the client learns the real figure from the first answer anyway.
"""

from __future__ import annotations

import functools

from service.adapters.shopify.engine import Operation

LOCATIONS_PAGE = 50
VARIANTS_PAGE = 100
LEVELS_BATCH = 200
ORDERS_PAGE = 100
# The lists nested in an order or a refund are read in one page each. Every such page also says
# whether there was more (pageInfo, or one item beyond the limit for a plain list), so the client
# refuses an object it could only read in part instead of acting on the part.
ORDER_LINES = 50
ORDER_FULFILLMENT_ORDERS = 20
ORDER_TRANSACTIONS = 50
# A refund names each order line at most once, so the refunds of an order that could be read
# are read whole too.
REFUND_LINES = ORDER_LINES
REFUND_TRANSACTIONS = 10
# Refunds with their lines are read this many at a time: two keep the query at about 400 points
# (the cap is 1,000), and most refunded orders have one or two.
REFUNDS_BATCH = 2

_ORDER_FIELDS = f"""
fragment OrderFields on Order {{
  id legacyResourceId name createdAt updatedAt cancelledAt cancelReason closed note tags email
  displayFinancialStatus displayFulfillmentStatus sourceName currencyCode
  totalPriceSet {{ shopMoney {{ amount currencyCode }} }}
  shippingLine {{ title originalPriceSet {{ shopMoney {{ amount currencyCode }} }} }}
  shippingAddress {{ name firstName lastName address1 address2 city zip countryCodeV2 }}
  lineItems(first: {ORDER_LINES}) {{
    pageInfo {{ hasNextPage }}
    nodes {{
      id sku name quantity currentQuantity isGiftCard variant {{ id }}
      originalUnitPriceSet {{ shopMoney {{ amount currencyCode }} }}
    }}
  }}
  fulfillmentOrders(first: {ORDER_FULFILLMENT_ORDERS}) {{
    pageInfo {{ hasNextPage }}
    nodes {{
      id status
      deliveryMethod {{ methodType }}
      assignedLocation {{ name location {{ id legacyResourceId }} }}
    }}
  }}
  transactions(first: {ORDER_TRANSACTIONS + 1}) {{
    id kind status gateway receiptJson createdAt
    amountSet {{ shopMoney {{ amount currencyCode }} }}
  }}
}}
"""

SHOP = Operation(
    "Shop", "query Shop { shop { name myshopifyDomain currencyCode } }", mutation=False, cost=1
)

APP_SCOPES = Operation(
    "AppScopes",
    "query AppScopes { currentAppInstallation { accessScopes { handle } } }",
    mutation=False,
    cost=11,
)

LOCATIONS = Operation(
    "Locations",
    """query Locations($first: Int!, $after: String) {
  locations(first: $first, after: $after, includeInactive: true) {
    nodes { id legacyResourceId name isActive }
    pageInfo { hasNextPage endCursor }
  }
}""",
    mutation=False,
    cost=2 + LOCATIONS_PAGE,
)

VARIANTS_BY_SKU = Operation(
    "VariantsBySku",
    """query VariantsBySku($query: String!, $first: Int!, $after: String) {
  productVariants(first: $first, after: $after, query: $query) {
    nodes { id sku inventoryItem { id } }
    pageInfo { hasNextPage endCursor }
  }
}""",
    mutation=False,
    cost=2 + VARIANTS_PAGE * 2,
)

INVENTORY_LEVELS = Operation(
    "InventoryLevels",
    """query InventoryLevels($ids: [ID!]!, $locationId: ID!, $names: [String!]!) {
  nodes(ids: $ids) {
    ... on InventoryItem {
      id
      inventoryLevel(locationId: $locationId) { quantities(names: $names) { name quantity } }
    }
  }
}""",
    mutation=False,
    cost=LEVELS_BATCH * 3,
)

_SET_SELECTION = """{
    inventoryAdjustmentGroup {
      id createdAt reason referenceDocumentUri
      changes { name delta quantityAfterChange item { id } location { id } }
    }
    userErrors { code field message }
  }"""


@functools.cache
def set_quantities(version: str) -> Operation:
    """inventorySetQuantities; from 2026-01 with @idempotent(key:) (required from 2026-04)."""
    if version >= "2026-01":
        document = (
            "mutation SetQuantities($input: InventorySetQuantitiesInput!, $key: String!) {\n"
            f"  inventorySetQuantities(input: $input) @idempotent(key: $key) {_SET_SELECTION}\n}}"
        )
    else:
        document = (
            "mutation SetQuantities($input: InventorySetQuantitiesInput!) {\n"
            f"  inventorySetQuantities(input: $input) {_SET_SELECTION}\n}}"
        )
    return Operation("SetQuantities", document, mutation=True, cost=10)


LOCATION_LEVELS_PAGE = 100

LOCATION_LEVELS = Operation(
    "LocationLevels",
    """query LocationLevels($id: ID!, $first: Int!, $after: String) {
  location(id: $id) {
    inventoryLevels(first: $first, after: $after) {
      nodes {
        updatedAt item { legacyResourceId }
        quantities(names: ["available"]) { name quantity }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}""",
    mutation=False,
    cost=1 + 2 + LOCATION_LEVELS_PAGE * 3,
)

INVENTORY_ITEM = Operation(
    "InventoryItem",
    "query InventoryItem($id: ID!) { inventoryItem(id: $id) { id sku } }",
    mutation=False,
    cost=1,
)

INVENTORY_ACTIVATE = Operation(
    "InventoryActivate",
    """mutation InventoryActivate($inventoryItemId: ID!, $locationId: ID!) {
  inventoryActivate(inventoryItemId: $inventoryItemId, locationId: $locationId) {
    inventoryLevel { id }
    userErrors { field message }
  }
}""",
    mutation=True,
    cost=10,
)

ORDER = Operation(
    "Order",
    "query Order($id: ID!) { order(id: $id) { ...OrderFields } }\n" + _ORDER_FIELDS,
    mutation=False,
    cost=444,
)

ORDERS_UPDATED = Operation(
    "OrdersUpdated",
    """query OrdersUpdated($query: String!, $first: Int!, $after: String) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    nodes { id legacyResourceId name createdAt updatedAt cancelledAt }
    pageInfo { hasNextPage endCursor }
  }
}""",
    mutation=False,
    cost=2 + ORDERS_PAGE,
)

_REFUND_FIELDS = f"""
fragment RefundFields on Refund {{
  id createdAt note
  totalRefundedSet {{ shopMoney {{ amount currencyCode }} }}
  refundLineItems(first: {REFUND_LINES}) {{
    pageInfo {{ hasNextPage }}
    nodes {{ quantity restockType lineItem {{ id sku }} location {{ id }} }}
  }}
  transactions(first: {REFUND_TRANSACTIONS}) {{
    pageInfo {{ hasNextPage }}
    nodes {{
      id kind status gateway createdAt
      amountSet {{ shopMoney {{ amount currencyCode }} }}
      parentTransaction {{ id }}
    }}
  }}
}}
"""

# Every refund's id (cheap), and the first few in full; refunds() is a plain list without
# pages, so the rest are read by id with REFUNDS_BY_ID.
ORDER_REFUNDS = Operation(
    "OrderRefunds",
    f"""query OrderRefunds($id: ID!) {{
  order(id: $id) {{
    id
    refunds {{ id }}
    detailed: refunds(first: {REFUNDS_BATCH}) {{ ...RefundFields }}
  }}
}}"""
    + _REFUND_FIELDS,
    mutation=False,
    cost=405,
)

REFUNDS_BY_ID = Operation(
    "RefundsById",
    "query RefundsById($ids: [ID!]!) { nodes(ids: $ids) { ... on Refund { ...RefundFields } } }"
    + _REFUND_FIELDS,
    mutation=False,
    cost=394,
)

FULFILLMENT_ORDER = Operation(
    "FulfillmentOrder",
    """query FulfillmentOrder($id: ID!) {
  fulfillmentOrder(id: $id) { id status orderId deliveryMethod { methodType } }
}""",
    mutation=False,
    cost=2,
)

PREPARED_FOR_PICKUP = Operation(
    "PreparedForPickup",
    """mutation PreparedForPickup($input: FulfillmentOrderLineItemsPreparedForPickupInput!) {
  fulfillmentOrderLineItemsPreparedForPickup(input: $input) { userErrors { field message code } }
}""",
    mutation=True,
    cost=10,
)

FULFILLMENT_CREATE = Operation(
    "FulfillmentCreate",
    """mutation FulfillmentCreate($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status }
    userErrors { field message }
  }
}""",
    mutation=True,
    cost=10,
)


@functools.cache
def order_cancel(version: str) -> Operation:
    """orderCancel: ``refund: Boolean!`` up to 2025-04, ``refundMethod`` from 2025-07."""
    if version >= "2025-07":
        refund_var, refund_arg = (
            "$refundMethod: OrderCancelRefundMethodInput!",
            "refundMethod: $refundMethod",
        )
    else:
        refund_var, refund_arg = "$refund: Boolean!", "refund: $refund"
    document = f"""mutation OrderCancel($orderId: ID!, $reason: OrderCancelReason!,
    $restock: Boolean!, $notifyCustomer: Boolean, $staffNote: String, {refund_var}) {{
  orderCancel(orderId: $orderId, reason: $reason, restock: $restock,
      notifyCustomer: $notifyCustomer, staffNote: $staffNote, {refund_arg}) {{
    job {{ id done }}
    orderCancelUserErrors {{ field message code }}
  }}
}}"""
    return Operation("OrderCancel", document, mutation=True, cost=10)


TAGS_ADD = Operation(
    "TagsAdd",
    """mutation TagsAdd($id: ID!, $tags: [String!]!) {
  tagsAdd(id: $id, tags: $tags) { node { id } userErrors { field message } }
}""",
    mutation=True,
    cost=10,
)


@functools.cache
def webhook_subscription_create(version: str) -> Operation:
    """webhookSubscriptionCreate (the address is ``uri`` from 2025-10, ``callbackUrl`` before)."""
    del version  # the document is the same; the variables differ (see ShopifyClient)
    return Operation(
        "WebhookSubscriptionCreate",
        """mutation WebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!,
    $webhookSubscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id topic }
    userErrors { field message }
  }
}""",
        mutation=True,
        cost=10,
    )


@functools.cache
def webhook_subscriptions(version: str) -> Operation:
    """This app's subscriptions with their address, in the version's shape."""
    address = (
        "uri" if version >= "2025-10" else "endpoint { ... on WebhookHttpEndpoint { callbackUrl } }"
    )
    return Operation(
        "WebhookSubscriptions",
        f"""query WebhookSubscriptions($first: Int!, $after: String) {{
  webhookSubscriptions(first: $first, after: $after) {{
    nodes {{ id topic {address} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}""",
        mutation=False,
        cost=2 + 100 * (2 if version < "2025-10" else 1),
    )


WEBHOOK_SUBSCRIPTION_DELETE = Operation(
    "WebhookSubscriptionDelete",
    """mutation WebhookSubscriptionDelete($id: ID!) {
  webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { field message } }
}""",
    mutation=True,
    cost=10,
)
