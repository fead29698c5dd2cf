"""Shop-specific web-hook subscriptions: create, delete and their GraphQL shape."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphql import GraphQLResolveInfo

from service.fakes.shopify.access import context, user_error
from service.fakes.shopify.clock import iso
from service.fakes.shopify.ids import gid, number_of
from service.fakes.shopify.webhooks import (
    Subscription,
    SubscriptionRefused,
    topic_enum,
    topic_from_enum,
)

if TYPE_CHECKING:
    from service.fakes.shopify.shop import FakeShopify


def subscription_view(shop: FakeShopify, found: Subscription) -> dict[str, Any]:
    """A WebhookSubscription (endpoint up to 2026-04, uri and name from 2025-10)."""
    version = shop.config.webhooks.api_version
    return {
        "__typename": "WebhookSubscription",
        "id": gid("WebhookSubscription", found.number),
        "legacyResourceId": found.number,
        "topic": topic_enum(found.topic),
        "format": "JSON",
        "includeFields": list(found.include_fields),
        "filter": found.filter,
        "apiVersion": {"handle": version, "displayName": version, "supported": True},
        "createdAt": iso(found.created_at),
        "updatedAt": iso(found.updated_at),
        "endpoint": {"__typename": "WebhookHttpEndpoint", "callbackUrl": found.uri},
        "uri": found.uri,
        "name": found.name,
    }


def webhook_subscription_create(
    info: GraphQLResolveInfo,
    topic: str,
    webhookSubscription: dict[str, Any],
) -> dict[str, Any]:
    """Subscribe one topic; the payload version is the app's, not settable here."""
    shop = context(info).shop
    data = webhookSubscription
    uri = data.get("uri") or data.get("callbackUrl")
    rest_topic = topic_from_enum(topic)
    field = ["webhookSubscription", "uri" if "uri" in data else "callbackUrl"]
    if rest_topic is None:
        error = user_error(
            "Webhook topic is invalid", ["webhookSubscriptionCreate", "webhookSubscription"]
        )
        return {"webhookSubscription": None, "userErrors": [error]}
    if not uri:
        return {
            "webhookSubscription": None,
            "userErrors": [user_error("Address can't be blank", field)],
        }
    if data.get("format", "JSON") != "JSON":
        error = user_error(
            "Format XML is not supported by this fake", ["webhookSubscription", "format"]
        )
        return {"webhookSubscription": None, "userErrors": [error]}
    try:
        made = shop.webhooks.subscribe(
            rest_topic,
            uri,
            name=data.get("name"),
            include_fields=data.get("includeFields"),
            filter_text=data.get("filter"),
        )
    except SubscriptionRefused as refused:
        return {"webhookSubscription": None, "userErrors": [user_error(refused.message, field)]}
    return {"webhookSubscription": subscription_view(shop, made), "userErrors": []}


def webhook_subscription_delete(info: GraphQLResolveInfo, id: str) -> dict[str, Any]:
    """Delete a subscription."""
    shop = context(info).shop
    number = number_of(id, "WebhookSubscription")
    if number is None or not shop.webhooks.unsubscribe(number):
        error = user_error("Webhook subscription does not exist", ["id"])
        return {"deletedWebhookSubscriptionId": None, "userErrors": [error]}
    return {"deletedWebhookSubscriptionId": id, "userErrors": []}
