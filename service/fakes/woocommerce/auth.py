"""Consumer-key authentication as WooCommerce's REST layer does it (FACTS.md §4)."""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass

from starlette.requests import Request

from service.fakes.woocommerce.config import FakeWooCommerceConfig, Permissions
from service.fakes.woocommerce.wp_json import WooError

_REALM = (
    'Basic realm="WooCommerce API. Use a consumer key in the username field and a consumer '
    'secret in the password field."'
)
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Principal:
    """The API key a request was authenticated with (its user is the store's administrator)."""

    name: str
    permissions: Permissions
    user_id: int = 1


def _is_ssl(request: Request, config: FakeWooCommerceConfig) -> bool:
    """WordPress's is_ssl(), with the fake's stand-in for a TLS-terminating proxy."""
    forwarded = request.headers.get("x-forwarded-proto", "").lower()
    return config.assume_https or request.url.scheme == "https" or forwarded == "https"


def _credentials(request: Request) -> tuple[str, str] | None:
    """Query-string keys first (both must be given), else HTTP Basic."""
    key = request.query_params.get("consumer_key", "")
    secret = request.query_params.get("consumer_secret", "")
    if key and secret:
        return key, secret
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, password = (
            base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
        )
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep and user and password else None


def authenticate(request: Request, config: FakeWooCommerceConfig, route: str) -> Principal | None:
    """The key's principal; None (anonymous) when no key, an unknown key, or no HTTPS.

    An unknown key is not an error of its own: the request goes on anonymously and fails
    the endpoint's permission check (FACTS.md §6.10). A known key with a wrong secret is.
    """
    if not _is_ssl(request, config):
        return None  # only OAuth 1.0a is tried over plain http; the fake has none
    given = _credentials(request)
    if given is None:
        return None
    key, secret = given
    found: tuple[str, str, Permissions] | None = None
    for name, api_key in config.api_keys.items():
        # Every key is compared, in constant time, so timing does not tell which is close.
        expected = api_key.consumer_key.get_secret_value()
        if secrets.compare_digest(key.encode(), expected.encode()):
            found = (name, api_key.consumer_secret.get_secret_value(), api_key.permissions)
    if found is None:
        return None
    name, expected_secret, permissions = found
    if not secrets.compare_digest(secret.encode(), expected_secret.encode()):
        raise WooError(
            "woocommerce_rest_authentication_error",
            "Consumer secret is invalid.",
            401,
            headers={"WWW-Authenticate": _REALM},
        )
    if not route.startswith(("wc/", "wc-")):
        raise WooError(
            "woocommerce_rest_authentication_error",
            "The provided API key cannot be used to access this endpoint.",
            401,
        )
    return Principal(name=name, permissions=permissions)


def check_key_permissions(principal: Principal | None, method: str) -> None:
    """A read-only key may not write, a write-only key may not read."""
    if principal is None:
        return
    if method in _WRITES and principal.permissions == "read":
        raise WooError(
            "woocommerce_rest_authentication_error",
            "The API key provided does not have write permissions.",
            401,
        )
    if method in {"GET", "HEAD"} and principal.permissions == "write":
        raise WooError(
            "woocommerce_rest_authentication_error",
            "The API key provided does not have read permissions.",
            401,
        )


_DENIED = {
    "list": ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources."),
    "view": ("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."),
    "create": ("woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."),
    "edit": ("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."),
    "delete": (
        "woocommerce_rest_cannot_delete",
        "Sorry, you are not allowed to delete this resource.",
    ),
    "batch": (
        "woocommerce_rest_cannot_batch",
        "Sorry, you are not allowed to batch manipulate this resource.",
    ),
}


def require_user(principal: Principal | None, permission: str) -> Principal:
    """The endpoint's permission check: anonymous requests are refused with 401."""
    if principal is None:
        code, message = _DENIED[permission]
        raise WooError(code, message, 401)
    return principal
