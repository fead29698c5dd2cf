"""The Admin GraphQL subset the fake serves, as SDL with Shopify's own names, per API version."""

from __future__ import annotations

from importlib.resources import files

_CONNECTION_ARGS = "first: Int, after: String, last: Int, before: String, reverse: Boolean = false"

_COMMON = (files(__package__) / "admin_subset.graphql").read_text(encoding="utf-8")


_ISQ_CODES = [
    "COMPARE_QUANTITY_REQUIRED",
    "COMPARE_QUANTITY_STALE",
    "INVALID_INVENTORY_ITEM",
    "INVALID_LOCATION",
    "INVALID_NAME",
    "INVALID_QUANTITY_NEGATIVE",
    "INVALID_QUANTITY_TOO_HIGH",
    "INVALID_QUANTITY_TOO_LOW",
    "INVALID_REASON",
    "INVALID_REFERENCE_DOCUMENT",
    "ITEM_NOT_STOCKED_AT_LOCATION",
    "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
    "NON_MUTABLE_INVENTORY_ITEM",
]


def _at_least(version: str, first: str) -> bool:
    return version >= first  # YYYY-MM handles compare correctly as text


def sdl(version: str) -> str:
    """The schema text of one API version (FACTS.md §5.2, §6 and §1 say what differs)."""
    has_cas_redesign = _at_least(version, "2026-01")
    old_compare = not _at_least(version, "2026-04")
    quantity_fields = ["inventoryItemId: ID!", "locationId: ID!", "quantity: Int!"]
    set_fields = [
        "name: String!",
        "reason: String!",
        "referenceDocumentUri: String",
        "quantities: [InventoryQuantityInput!]!",
    ]
    codes = list(_ISQ_CODES)
    if old_compare:
        quantity_fields.append("compareQuantity: Int")
        set_fields.append("ignoreCompareQuantity: Boolean = false")
    if has_cas_redesign:
        quantity_fields.append("changeFromQuantity: Int")
        codes += [
            "CHANGE_FROM_QUANTITY_STALE",
            "IDEMPOTENCY_CONCURRENT_REQUEST",
            "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
        ]
    if _at_least(version, "2026-04"):
        codes.append("IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED")
    if _at_least(version, "2025-07"):
        cancel_refund = "refund: Boolean, refundMethod: OrderCancelRefundMethodInput"
    else:
        cancel_refund = "refund: Boolean!"
    cancel_args = (
        "orderId: ID!, reason: OrderCancelReason!, restock: Boolean!, "
        f"notifyCustomer: Boolean = false, staffNote: String, {cancel_refund}"
    )
    has_uri = _at_least(version, "2025-10")
    has_endpoint = not _at_least(version, "2026-07")
    subscription_fields = [
        "id: ID!",
        "legacyResourceId: UnsignedInt64!",
        "topic: WebhookSubscriptionTopic!",
        "format: WebhookSubscriptionFormat!",
        "includeFields: [String!]!",
        "filter: String",
        "apiVersion: ApiVersion!",
        "createdAt: DateTime!",
        "updatedAt: DateTime!",
    ]
    subscription_input = [
        "format: WebhookSubscriptionFormat",
        "includeFields: [String!]",
        "metafieldNamespaces: [String!]",
        "filter: String",
    ]
    if has_endpoint:
        subscription_fields.append("endpoint: WebhookSubscriptionEndpoint!")
        subscription_input.append("callbackUrl: URL")
    if has_uri:
        subscription_fields += ["uri: String!", "name: String"]
        subscription_input += ["uri: String", "name: String"]
    extra = [
        "input InventoryQuantityInput { " + " ".join(quantity_fields) + " }",
        "input InventorySetQuantitiesInput { " + " ".join(set_fields) + " }",
        "enum InventorySetQuantitiesUserErrorCode { " + " ".join(sorted(codes)) + " }",
        "type WebhookSubscription implements Node { " + " ".join(subscription_fields) + " }",
        "input WebhookSubscriptionInput { " + " ".join(subscription_input) + " }",
    ]
    if _at_least(version, "2025-07"):
        extra += [
            "input OrderCancelStoreCreditRefundInput { expiresAt: DateTime }",
            (
                "input OrderCancelRefundMethodInput { originalPaymentMethodsRefund: Boolean "
                "storeCreditRefund: OrderCancelStoreCreditRefundInput }"
            ),
        ]
    if has_cas_redesign:
        extra.append("directive @idempotent(key: String!) on FIELD")
    text = _COMMON.replace("ORDER_CANCEL_ARGS", cancel_args).replace("ARGS", _CONNECTION_ARGS)
    return text + "\n".join(extra) + "\n"
