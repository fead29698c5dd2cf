"""One masking rule for every output: secrets by name, URL credentials, auth headers."""

from __future__ import annotations

import pytest

from service.masking import MASK, is_secret_name, mask_document, mask_text, mask_url


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ('{"card_number": "95000000000000000002", "pin": "Zq8Pw3Xk"}', "Zq8Pw3Xk"),
        ('{"pin":4711,"amount":"5.00"}', "4711"),
        ('{\\"pin\\": \\"Zq8Pw3Xk\\"}', "Zq8Pw3Xk"),
        ("GET https://api.mysitoo.com/v2/giftcards/9500.json?pin=Zq8Pw3Xk HTTP/1.1", "Zq8Pw3Xk"),
        ("GET /x?a=1&card_pin=Zq8Pw3Xk&b=2", "Zq8Pw3Xk"),
        ("redis://default:Pa55w0rd@redis:6379/0", "Pa55w0rd"),
        ("redis://:Pa55w0rd@redis:6379/0", "Pa55w0rd"),
        ("rediss://user:pa:ss@host", "pa:ss"),
        ("https://10020-140:Pa55w0rd@api.mysitoo.com/v2/accounts/1", "Pa55w0rd"),
        ("Authorization: Basic MTAwMjAtMTQwOnNlY3JldA==", "MTAwMjAtMTQwOnNlY3JldA=="),
        ('{"api_password": "Pa55w0rd"}', "Pa55w0rd"),
        ("connecting to http://token-only@host/x", "token-only"),
    ],
)
def test_secrets_in_text_are_masked(text: str, secret: str) -> None:
    """Masked wherever they appear, whatever the text around them."""
    masked = mask_text(text)
    assert secret not in masked
    assert MASK in masked


@pytest.mark.parametrize(
    "text",
    ['{"shipping": "5.00", "spin": 1}', "pinned=true", "https://api.mysitoo.com/v2/x.json?id=1"],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    """Names that merely contain 'pin' and URLs without credentials are not secrets."""
    assert mask_text(text) == text


@pytest.mark.parametrize("name", ["pin", "card_pin", "PIN", "api_password", "access_token"])
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize("name", ["shipping", "pinned", "spin", "card_number", "amount"])
def test_ordinary_names(name: str) -> None:
    assert not is_secret_name(name)


def test_a_document_keeps_its_shape_and_loses_its_secrets() -> None:
    document = {"data": {"pin": "1234", "card_number": "9500"}, "raw": '{"pin": "1234"}'}
    masked = mask_document(document)
    assert masked == {"data": {"pin": MASK, "card_number": "9500"}, "raw": f'{{"pin": "{MASK}"}}'}


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://user:secret@127.0.0.1:6379/0", f"redis://{MASK}@127.0.0.1:6379/0"),
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        ("unix:///var/run/redis.sock", "unix:///var/run/redis.sock"),
        ("https://u:p@[::1]:8443/v2", f"https://{MASK}@[::1]:8443/v2"),
        ("https://api.mysitoo.com/v2/accounts/1", "https://api.mysitoo.com/v2/accounts/1"),
    ],
)
def test_a_url_is_printed_without_its_credentials(url: str, shown: str) -> None:
    assert mask_url(url) == shown
