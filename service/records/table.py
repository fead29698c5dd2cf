"""The key table of docs/architecture.md, rendered from the key and stream definitions."""

from __future__ import annotations

from service.records.key_specs import KEY_SPECS, KeySpec
from service.records.streams import STREAM_SPECS

BEGIN = "<!-- key table: rendered from service/records/keys.py and streams.py -->"
END = "<!-- end of key table -->"


# Streams set outside the STREAMS group.
_SETTING = {
    "shopify_webhooks": "SHOPIFY__WEBHOOK_STREAM",
    "woocommerce_webhooks": "WOOCOMMERCE__WEBHOOK_STREAM",
}


def _setting(spec: KeySpec) -> str:
    return _SETTING.get(spec.name, f"STREAMS__{spec.name.upper()}")


def _row(spec: KeySpec, pattern: str) -> str:
    return f"| `{spec.name}` | `{pattern}` | {spec.type} | `{spec.owner}` | {spec.retention} |"


def render_key_table() -> str:
    """The Markdown table, between its markers, as docs/architecture.md must hold it."""
    rows = [
        BEGIN,
        "| key | name | type | owner | retention |",
        "|---|---|---|---|---|",
        *(_row(spec, spec.pattern) for spec in KEY_SPECS),
        *(
            _row(spec, spec.pattern.replace("<stream>", f"[<base>:]<{_setting(spec)}>"))
            for spec in STREAM_SPECS
            if spec.name != "dead_letters"
        ),
        *(
            _row(spec, "<stream><STREAMS__DEAD_LETTER_SUFFIX>")
            for spec in STREAM_SPECS
            if spec.name == "dead_letters"
        ),
        END,
    ]
    return "\n".join(rows)
