"""Consumer keys, WordPress's error bodies, routing and argument validation, as WooCommerce does."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from service.fakes.woocommerce import ApiKey, FakeWooCommerceConfig
from tests.component.fake_woocommerce.conftest import KEY, SECRET, example

READ_ONLY_KEY = "ck_read_only_000000000000000000000000000000"


@pytest.fixture
def config() -> FakeWooCommerceConfig:
    """The default key and a read-only one."""
    keys = FakeWooCommerceConfig().api_keys | {
        "reader": ApiKey(
            consumer_key=SecretStr(READ_ONLY_KEY),
            consumer_secret=SecretStr("cs_reader"),
            permissions="read",
        )
    }
    return FakeWooCommerceConfig(api_keys=keys)


async def test_basic_auth_and_query_string_keys_are_accepted(anonymous: httpx.AsyncClient) -> None:
    """HTTP Basic over HTTPS, or both keys in the query string."""
    basic = await anonymous.get("/wp-json/wc/v3/products", auth=(KEY, SECRET))
    assert basic.status_code == 200
    query = await anonymous.get(
        "/wp-json/wc/v3/products", params={"consumer_key": KEY, "consumer_secret": SECRET}
    )
    assert query.status_code == 200


async def test_query_string_keys_take_precedence_over_the_header(
    anonymous: httpx.AsyncClient,
) -> None:
    """A wrong secret in the query string wins over a right Basic header, and the reverse."""
    wrong_query = await anonymous.get(
        "/wp-json/wc/v3/products",
        params={"consumer_key": KEY, "consumer_secret": "cs_wrong"},
        auth=(KEY, SECRET),
    )
    assert wrong_query.status_code == 401
    right_query = await anonymous.get(
        "/wp-json/wc/v3/products",
        params={"consumer_key": KEY, "consumer_secret": SECRET},
        auth=(KEY, "cs_wrong"),
    )
    assert right_query.status_code == 200


async def test_a_wrong_secret_is_refused_with_woocommerces_error(
    anonymous: httpx.AsyncClient,
) -> None:
    """401 woocommerce_rest_authentication_error, with the Basic challenge."""
    answer = await anonymous.get("/wp-json/wc/v3/products", auth=(KEY, "cs_wrong"))
    assert answer.status_code == 401
    assert answer.json() == {
        "code": "woocommerce_rest_authentication_error",
        "message": "Consumer secret is invalid.",
        "data": {"status": 401},
    }
    assert answer.headers["www-authenticate"].startswith('Basic realm="WooCommerce API.')


@pytest.mark.parametrize(
    ("method", "path", "body", "code", "message"),
    [
        (
            "GET",
            "products",
            None,
            "woocommerce_rest_cannot_view",
            "Sorry, you cannot list resources.",
        ),
        (
            "GET",
            "orders/1",
            None,
            "woocommerce_rest_cannot_view",
            "Sorry, you cannot view this resource.",
        ),
        (
            "PUT",
            "products/100",
            {"stock_quantity": 1},
            "woocommerce_rest_cannot_edit",
            "Sorry, you are not allowed to edit this resource.",
        ),
        (
            "POST",
            "products/batch",
            {"update": []},
            "woocommerce_rest_cannot_batch",
            "Sorry, you are not allowed to batch manipulate this resource.",
        ),
        (
            "POST",
            "orders/1/notes",
            {"note": "x"},
            "woocommerce_rest_cannot_create",
            "Sorry, you are not allowed to create resources.",
        ),
    ],
)
async def test_an_unknown_key_is_anonymous_and_fails_the_permission_check(  # noqa: PLR0917
    anonymous: httpx.AsyncClient,
    method: str,
    path: str,
    body: dict[str, object] | None,
    code: str,
    message: str,
) -> None:
    """FACTS.md §6.10: no "Consumer key is invalid." over Basic; the endpoint refuses instead."""
    answer = await anonymous.request(
        method, f"/wp-json/wc/v3/{path}", json=body, auth=("ck_unknown", "cs_unknown")
    )
    assert answer.status_code == 401
    assert answer.json() == {"code": code, "message": message, "data": {"status": 401}}
    without = await anonymous.request(method, f"/wp-json/wc/v3/{path}", json=body)
    assert without.json()["code"] == code


async def test_a_read_only_key_cannot_write(anonymous: httpx.AsyncClient, store) -> None:
    """The key's permissions are checked before anything runs."""
    reads = await anonymous.get("/wp-json/wc/v3/products", auth=(READ_ONLY_KEY, "cs_reader"))
    assert reads.status_code == 200
    writes = await anonymous.put(
        "/wp-json/wc/v3/products/100", json={"stock_quantity": 1}, auth=(READ_ONLY_KEY, "cs_reader")
    )
    assert writes.status_code == 401
    assert writes.json()["message"] == "The API key provided does not have write permissions."
    assert store.ledger_entries() == []


async def test_an_unknown_route_or_method_is_rest_no_route(api: httpx.AsyncClient) -> None:
    """Exactly the documented body."""
    expected = example("error-wp-rest-no-route.json")
    for method, path in [("GET", "/nope"), ("PATCH", "/orders"), ("DELETE", "/products/batch")]:
        answer = await api.request(method, path)
        assert answer.status_code == 404
        assert answer.json() == expected


async def test_a_key_cannot_open_routes_outside_wc(anonymous: httpx.AsyncClient) -> None:
    """WC 11.1: keys authenticate wc/ and wc- namespaces only."""
    answer = await anonymous.get("/wp-json/wp/v2/posts", auth=(KEY, SECRET))
    assert answer.status_code == 401
    assert (
        answer.json()["message"] == "The provided API key cannot be used to access this endpoint."
    )
    assert (await anonymous.get("/wp-json/wp/v2/posts")).json()["code"] == "rest_no_route"


async def test_plain_permalinks_reach_the_same_api(anonymous: httpx.AsyncClient) -> None:
    """?rest_route=/wc/v3/... for sites without pretty permalinks."""
    answer = await anonymous.get(
        "/", params={"rest_route": "/wc/v3/products", "sku": "SKU-0001"}, auth=(KEY, SECRET)
    )
    assert answer.status_code == 200
    assert answer.json()[0]["sku"] == "SKU-0001"


@pytest.mark.parametrize(
    ("params", "name", "text"),
    [
        (
            {"per_page": 101},
            "per_page",
            "per_page must be between 1 (inclusive) and 100 (inclusive)",
        ),
        ({"per_page": "ten"}, "per_page", "per_page is not of type integer."),
        ({"page": 0}, "page", "page must be greater than or equal to 1"),
        (
            {"orderby": "stock"},
            "orderby",
            "orderby is not one of date, id, include, title, slug, and modified.",
        ),
        ({"modified_after": "yesterday"}, "modified_after", "Invalid date."),
        ({"dates_are_gmt": "maybe"}, "dates_are_gmt", "dates_are_gmt is not of type boolean."),
    ],
)
async def test_invalid_arguments_are_rest_invalid_param(
    api: httpx.AsyncClient, params: dict[str, object], name: str, text: str
) -> None:
    """400 with the argument named in message, data.params and data.details."""
    answer = await api.get("/orders", params=params)
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "rest_invalid_param"
    assert body["message"] == f"Invalid parameter(s): {name}"
    assert body["data"]["params"] == {name: text}
    assert body["data"]["status"] == 400


async def test_a_missing_argument_and_a_broken_json_body(api: httpx.AsyncClient) -> None:
    """rest_missing_callback_param and rest_invalid_json, both 400."""
    order_id = 1  # any order: arguments are checked before the order is looked up
    missing = await api.post(f"/orders/{order_id}/notes", json={"customer_note": True})
    assert missing.status_code == 400
    assert missing.json()["code"] == "rest_missing_callback_param"
    assert missing.json()["data"]["params"] == ["note"]
    broken = await api.post(
        "/products/batch", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 400
    assert broken.json()["code"] == "rest_invalid_json"


async def test_a_missing_resource_has_woocommerces_error_shape(api: httpx.AsyncClient) -> None:
    """The same keys as the documented WooCommerce error (code, message, data.status)."""
    documented = example("error-woocommerce-rest.json")
    answer = await api.get("/orders/999999")
    assert answer.status_code == 404
    body = answer.json()
    assert body.keys() == documented.keys()
    assert body["data"].keys() == documented["data"].keys()
    assert body["code"] == "woocommerce_rest_shop_order_invalid_id"


class TestHttpsOnly:
    """With assume_https off, keys are only read over HTTPS (WordPress's is_ssl())."""

    @pytest.fixture
    def config(self) -> FakeWooCommerceConfig:
        """A store that is not behind a TLS-terminating proxy."""
        return FakeWooCommerceConfig(assume_https=False)

    async def test_basic_auth_over_plain_http_is_anonymous(self, app) -> None:
        """Refused as if no key was given; the proxy header makes it count again."""
        from service.fakes.woocommerce import fake_woocommerce_transport  # noqa: PLC0415

        async with httpx.AsyncClient(
            transport=fake_woocommerce_transport(app), base_url="http://shop.example.com"
        ) as plain:
            refused = await plain.get("/wp-json/wc/v3/products", auth=(KEY, SECRET))
            assert refused.status_code == 401
            assert refused.json()["code"] == "woocommerce_rest_cannot_view"
            proxied = await plain.get(
                "/wp-json/wc/v3/products",
                auth=(KEY, SECRET),
                headers={"X-Forwarded-Proto": "https"},
            )
            assert proxied.status_code == 200
