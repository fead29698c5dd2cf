"""What no output may show: secrets in text, in documents and in URLs.

Every log line (through :mod:`service.logs`), every command's output and every reason
text that leaves the process passes these functions. They mask by shape, so a secret
nobody configured (a customer's gift-card PIN, a password inside a URL someone typed) is
masked as surely as a configured one:

* values of fields whose name says secret: ``pin``, ``*_pin``, ``password``, ``secret``,
  ``token``, ``api_key``, ``authorization``, ``cookie``, ``credential``;
* the same names as URL query parameters (``?pin=4711``) and as JSON members inside text
  (``"pin": "4711"``, the raw event of a dead letter);
* the user information of any URL (``redis://user:password@host``), and ``Basic`` and
  ``Bearer`` credentials.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

MASK = "**********"

SECRET_NAME = re.compile(
    r"pass|secret|token|api_?key|authori[sz]ation|cookie|credential|(?:^|[_-])pin(?:$|[_-])",
    re.IGNORECASE,
)
"""A field, parameter or member name whose value is a secret."""

_NAME = r"[A-Za-z0-9_-]*(?:pass|secret|token|api_?key|credential|(?<![A-Za-z0-9])pin)[A-Za-z0-9_-]*"
_URL_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/\s@]+@", re.IGNORECASE)
_AUTH_HEADER = re.compile(r"\b(?P<kind>Basic|Bearer)\s+[A-Za-z0-9+/=._~-]+", re.IGNORECASE)
_QUERY_SECRET = re.compile(rf"(?P<name>[?&;]{_NAME}=)[^&#\s\"']*", re.IGNORECASE)
_JSON_SECRET = re.compile(
    rf"(?P<name>(?:\\?\")(?:{_NAME})(?:\\?\")\s*:\s*)"
    r"(?:\\?\"(?:[^\"\\]|\\(?!\")|\\\\)*\\?\"|-?[0-9][0-9.eE+-]*)",
    re.IGNORECASE,
)


def is_secret_name(name: object) -> bool:
    """True when a field, parameter or member of this name holds a secret."""
    return isinstance(name, str) and SECRET_NAME.search(name) is not None


def mask_text(text: str) -> str:
    """``text`` with URL credentials, auth headers and secret members or parameters masked."""
    text = _URL_USERINFO.sub(rf"\g<scheme>{MASK}@", text)
    text = _AUTH_HEADER.sub(rf"\g<kind> {MASK}", text)
    text = _QUERY_SECRET.sub(rf"\g<name>{MASK}", text)
    return _JSON_SECRET.sub(rf'\g<name>"{MASK}"', text)


def mask_url(url: object) -> str:
    """A URL as it may be printed: without its user information or secret parameters.

    Every URL the service prints goes through here: Redis (``redis://user:pass@host``),
    Sitoo's base URL, web-hook and tracing endpoints.
    """
    text = str(url)
    try:
        parts = urlsplit(text)
    except ValueError:
        return mask_text(text)
    if "@" in parts.netloc:
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        try:
            port = parts.port
        except ValueError:
            port = None
        netloc = f"{MASK}@{host}" + (f":{port}" if port is not None else "")
        text = urlunsplit(parts._replace(netloc=netloc))
    return mask_text(text)


def mask_document(value: object) -> object:
    """A JSON-like document with every secret-named member's value and every string masked."""
    if isinstance(value, dict):
        return {
            k: MASK if is_secret_name(k) and v not in (None, "") else mask_document(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [mask_document(v) for v in value]
    if isinstance(value, str):
        return mask_text(value)
    return value
