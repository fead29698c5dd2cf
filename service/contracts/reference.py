"""Renders docs/events.md, the event reference, from the contract's pydantic models."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel

from service.contracts.envelope import Envelope
from service.contracts.examples import EXAMPLES, REDIS_CLI, Example, primary
from service.contracts.giftcards import GiftCardReply
from service.contracts.reference_ordering import ORDERING
from service.contracts.reference_strict import STRICT_VALUES
from service.contracts.registry import EVENT_KINDS, Channel
from service.contracts.results import ResultData
from service.contracts.sanity import MAX_DEPTH, MAX_KEY_CHARS, MAX_STRING_CHARS
from service.settings import StreamSettings

DEFAULT_PATH = Path("docs/events.md")
_STREAM_OF = {
    Channel.ORDERS: "orders",
    Channel.GIFTCARDS: "giftcards",
    Channel.GIFTCARD_REQUESTS: "giftcard_requests",
    Channel.STOCK: "stock",
}
_REQUEST = "giftcard-redeem-request"

_INTRO = """\
# Event reference

Generated from the pydantic models in `service/contracts/` by `sitoo-sync docs events`;
do not edit by hand (a test fails when this file is stale).

## Wire format

Every event, in and out, is a plain Redis stream entry with **one field, `event`**, holding
the JSON envelope as UTF-8. Any Redis client can produce one; nothing FastStream-specific
is needed. The shell examples call `redis-cli -u "$REDIS_URL"`: set `REDIS_URL` to the Redis
the service reads (its `SITOO_SYNC_REDIS__URL`; `sitoo-sync run` prints the development
one). Without it they stop with `Invalid URI scheme` instead of writing to whatever Redis
answers on the default port.

{first_example}
```

Each example states the result it gives against the sandbox's `demo` seed (what
`sitoo-sync run` starts with when no Sitoo is configured); the test suite sends every
example and compares. The examples are named (`order-placed`, ...); the list with
all of them is at the end, under *Examples and their results*.

The same events sent from PHP and Node are in [producers.md](producers.md); the
machine-readable AsyncAPI document of every stream is [asyncapi.json](asyncapi.json).

Stream names below are the defaults (`SITOO_SYNC_STREAMS__*`). The service reads them in
the consumer group `sitoo-sync`, created at id `0` when missing, so entries written before
the first start are processed too.

Rules every producer should know:

* `event_id` is the idempotency root: send the same event again with the **same** id and
  nothing happens twice; use a **new** id for a new event. Reusing an id for **different
  content** is refused (see *Reused event ids* below).
* Money is a JSON string or number with at most two decimals (`"249.00"`, `249`), never more.
  Prices include VAT. Quantities are bounded integers (order lines) or decimals with at most
  three places (stock). Currencies are ISO 4217 in upper case. See *Strict values* below.
* Unknown fields are refused (a typo never goes unnoticed). Unknown types, malformed JSON,
  missing or mistyped fields, anything breaking the input rules below, entries above the
  size limit (`SITOO_SYNC_STREAMS__MAX_ENTRY_BYTES`) are dead-lettered at once with the
  reason (`reason_code: invalid`), and a `<type>.failed` result is emitted; the entries
  behind them are not held up.
* Each entry is judged alone: in a batch (stock is read up to 1000 entries at a time) a bad
  entry gets its own outcome and the others are applied as if it were not there.
* What an entry claims is never used as a name: `<type>` in a result (and in a reply, a dead
  letter's `type` and the metrics' `type` label) is one of the types below, or `unknown`
  for an entry whose type is unknown, too long or unreadable (`unknown.failed`). Reasons do
  not repeat what was sent; the dead letter keeps the entry.

## Input rules

These hold for the whole `event` document, whatever the event type, before any field is
looked at; the field tables below only narrow them further.

* **Nesting**: at most {max_depth} levels of arrays and objects. Deeper JSON is refused
  before it is parsed.
* **Every string and every object key**, at any depth: at most {max_string} characters
  (keys {max_key}), and none of these characters: C0 and C1 control characters (U+0000 to
  U+001F, U+007F to U+009F: NUL, tab, CR, LF, escape sequences, ...), lone surrogates
  (`\\ud800` escapes), the line and paragraph separators U+2028 and U+2029, the
  bidirectional overrides and isolates U+202A to U+202E and U+2066 to U+2069, and the
  Unicode noncharacters (U+FDD0 to U+FDEF, U+FFFE, U+FFFF and their counterparts in every
  plane). Other Unicode text (accents, CJK, emoji) is fine.
* **Every timestamp** (today `occurred_at`): RFC 3339 with an offset, not before
  2000-01-01T00:00:00Z (a zero or unset clock) and not more than
  `SITOO_SYNC_STREAMS__MAX_FUTURE_SKEW_S` (default {skew:.0f} s) ahead of the replica's clock
  when it is delivered. There is no other lower bound: an old event is processed like any
  other; for `stock.set`, where the newest `occurred_at` wins, an old one is applied only if
  nothing newer was applied for that SKU, and is otherwise skipped and listed in the result.

{strict_values}"""

_SEMANTICS = """\
## Delivery semantics

* An entry is acknowledged only after its effect and its result event are recorded (for a
  request, its reply too). A crash before that makes another replica (or the restarted one)
  take the entry over after `SITOO_SYNC_STREAMS__RECLAIM_IDLE_MS`; every Sitoo write is keyed
  by `<event_id>:<step>`, so the redelivery writes nothing twice.
* **One result per event.** A replica works on an event only while it holds the event's
  lease (renewed while it works; a replica that dies releases it after
  `SITOO_SYNC_IDEMPOTENCY__LEASE_S`), so two replicas never run the same event at once: a
  copy taken over while the first is still working stays pending. The first final result is
  recorded with the event id and emitted once; any later delivery of the event (a
  redelivery, a taken-over copy, a re-send with the same event id) repeats that result
  instead of computing a new one, and emits no second result event or reply. Only a
  dead-lettered result binds just its own entry, so a replay from the dead letters runs again.
* Transient failures (Sitoo 429/5xx, timeouts, Redis hiccups) are retried inside the Sitoo
  client first; if they persist the entry stays pending and is redelivered, up to
  `SITOO_SYNC_STREAMS__MAX_DELIVERIES` runs of the event, then dead-lettered with reason
  `retries_exhausted`. Only deliveries that run the event count: one that finds it leased
  by another replica (alive, or died moments ago) stays pending without counting.
* **An event that may have been written is looked up, never given up blind.** A run after
  an earlier one looks each write up (order `externalid`, gift-card transaction reference,
  warehouse transaction `externalid`) before making it. An event whose
  `SITOO_SYNC_STREAMS__MAX_DELIVERIES` runs all ended with their replica (killed each
  time) gets runs that only look its writes up: it settles with what they find, or is
  dead-lettered (`retries_exhausted`, `WriteWithheld`) naming the write not found, which
  was then not made.
* Permanent failures (invalid entry, unknown SKU/store/warehouse, Sitoo refusing the data)
  are dead-lettered at once with a `<type>.failed` result (`dead_lettered: true`).
* **No event runs more than `SITOO_SYNC_STREAMS__MAX_DELIVERIES` times** with writes,
  whatever fails: before the effect, after it, while replying or while recording. The run
  with that number ends the entry: if its outcome was recorded, it is acknowledged;
  otherwise it is dead-lettered (`retries_exhausted`) with what failed as the reason. Only
  a Redis that refuses every write keeps an entry pending (nothing can be recorded then).
* Declines (gift cards: insufficient funds, expired, not redeemable, wrong PIN, unknown
  card, currency mismatch, voided; orders: cancelled before placed) are answers, not
  errors: a `<type>.failed` result with `reason_code`, `dead_lettered: false`.

{ordering}## Reused event ids

An event id belongs to the content it was first seen with, as an idempotency key does to the
parameters of its first request. Content is the event's `type` and `data` as validated,
compared by a digest: `sha256:` and the SHA-256 of the canonical JSON of `{{"data": ...,
"schema_version": 1, "type": ...}}` (keys sorted, no whitespace, UTF-8 without escapes,
defaults filled in, every number as its shortest exact decimal), so key order, spacing,
`\\u` escapes, `249` against `"249.00"`, `7` against `"7.000"` or an omitted default do not
count as different content, and any changed value does; `occurred_at`, `source` and
`correlation_id` are not content. An entry whose event id was first seen with another digest
changes nothing: the first event's effect and result stand, and the entry gets its own
`<type>.failed` result with `reason_code: conflict` (its result id is derived from the
entry, so it never hides the first event's result) and a dead letter carrying both digests
(`digest`, `first_digest`); a request is answered `declined` / `conflict`. Entries that were
invalid never claim an event id.

## Gift-card request-reply

For a checkout that waits: XADD the request to `webshop.giftcard-requests` with an extra
field `reply_to` naming a Redis list of your choice, then block on that list. The service
LPUSHes one JSON reply (see *GiftCardReply* below) and sets the list to expire after
`SITOO_SYNC_CONSUMERS__REPLY_TTL_S` seconds. A request is answered once per reply list, even
when it is delivered again; to ask again for the answer to a request already answered (your
checkout lost it), send the same event with a new `reply_to`: the recorded outcome comes
back and nothing is applied twice. Requests use Sitoo's interactive lane, ahead of stock
and other bulk work.

**Which keys may be reply targets.** Every entry on `webshop.giftcard-requests` must carry
`reply_to`: a request no one waits for is refused. `reply_to` must be 1-200 printable ASCII
characters without spaces and must not be one of the service's own keys: nothing starting
with its key prefix (`SITOO_SYNC_REDIS__KEY_PREFIX`, default `sitoo-sync`; that covers its
records, leases and markers and the default result stream), and none of the configured
streams (inbound, result, outbound and web-hook) or their dead-letter streams (the stream
name and `SITOO_SYNC_STREAMS__DEAD_LETTER_SUFFIX`). On a Redis Cluster
(`SITOO_SYNC_REDIS__CLUSTER=true`) it must carry the deployment's hash tag (e.g.
`checkout:{{sitoo-sync}}:<id>:reply`). When the request is delivered the key must not exist
or be a list. All of this is checked before anything is applied; a request with no
`reply_to`, an empty one or any other unusable one is dead-lettered (`invalid`, the reason
names the problem) with a `<type>.failed` result, without an effect and without a reply. A
good habit: one fresh key per request, e.g. `checkout:<id>:reply`.

**Every request with a usable `reply_to` gets exactly one reply**, whatever its outcome:
`approved`, `declined` with the card's reason, `declined` with `invalid_request` (the entry
was refused as invalid; `reason` says why) or `conflict` (its event id was used for other
content), or `failed` (dead-lettered for any other reason, e.g. Sitoo kept failing).

{request_example}
```

{request_result}

A redeem costs one Sitoo request: Sitoo itself refuses an unknown card, a wrong PIN, an
expired or blocked card and a short balance (the refusal is then classified into a reason
code, reading the card if its text is not conclusive). Sitoo does not check the currency,
so the service does: a redeem in another currency than the card's is refused without a
Sitoo request once the service has seen the card (an issue, a balance or an earlier
redeem); on a card not seen yet, the card Sitoo returns is checked and the redeem is
rolled back at once. Either way the decline is `currency_mismatch`.

A reply arrives once the outcome is final. If you stop waiting (timeout), do not assume the
redeem failed: either wait for its result event, or send a `giftcard.refund` naming the
redemption (`redemption_event_id`), which voids it whether or not it was applied.

## Dead letters

Dead letters of `<stream>` go to `<stream>.dlq` as plain entries: the original fields under
`original:<name>` plus `stream`, `entry_id`, `type`, `event_id`, `reason_code`, `reason`,
`deliveries` and `dead_lettered_at` (Unix ms); a conflict adds `digest` and
`first_digest`. Inspect and act on them with
`sitoo-sync dlq list|show|replay|purge` (filters: `--stream`, `--type`, `--reason`,
`--older-than`, `--newer-than`). Replay puts the original entry back on its stream; it
keeps its event id, so the idempotent path applies nothing twice.
"""


def _type_of(schema: dict[str, Any]) -> str:  # noqa: PLR0911 - one answer per schema form
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "const" in schema:
        return json.dumps(schema["const"])
    if "enum" in schema:
        return " \\| ".join(json.dumps(v) for v in schema["enum"])
    if "anyOf" in schema or "oneOf" in schema:
        return " \\| ".join(_type_of(s) for s in schema.get("anyOf", schema.get("oneOf", [])))
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {_type_of(schema.get('items', {}))}"
    if kind == "object" and "additionalProperties" in schema:
        return "object"
    return str(kind)


def _constraints(schema: dict[str, Any]) -> str:
    parts = []
    for key, label in (
        ("minLength", "min length"),
        ("maxLength", "max length"),
        ("minimum", ">="),
        ("exclusiveMinimum", ">"),
        ("maximum", "<="),
        ("minItems", "min items"),
        ("maxItems", "max items"),
        ("pattern", "pattern"),
    ):
        for candidate in [schema, *schema.get("anyOf", [])]:
            if key in candidate:
                value = candidate[key]
                shown = f"`{value}`" if key == "pattern" else str(value)
                parts.append(f"{label} {shown}")
                break
    return ", ".join(parts)


def _table(schema: dict[str, Any]) -> list[str]:
    required = set(schema.get("required", []))
    rows = ["| field | type | required | notes |", "|---|---|---|---|"]
    for name, prop in schema.get("properties", {}).items():
        notes = " ".join(filter(None, [prop.get("description", ""), _constraints(prop)]))
        escaped = notes.replace("|", "\\|")
        rows.append(
            f"| `{name}` | {_type_of(prop)} | {'yes' if name in required else 'no'} | {escaped} |"
        )
    return rows


def _doc(model: type[BaseModel]) -> str:
    return inspect.cleandoc(model.__doc__ or "")


def _model_section(title: str, model: type[BaseModel], level: str = "###") -> list[str]:
    schema = model.model_json_schema()
    lines = [f"{level} {title}", "", _doc(model), "", *_table(schema), ""]
    for name, definition in sorted(schema.get("$defs", {}).items()):
        lines += [f"`{name}`: {definition.get('description', '')}".rstrip(), ""]
        lines += [*_table(definition), ""]
    return lines


def _shell(example: Example, streams: StreamSettings) -> list[str]:
    return ["```sh", *example.redis_cli(streams), "```"]


def _result(example: Example) -> str:
    return f"**Result** on the demo seed (example `{example.name}`): {example.result_text()}"


def _catalogue(streams: StreamSettings) -> list[str]:
    lines = [
        "## Examples and their results",
        "",
        "Every example of this page and of [producers.md](producers.md), by name. Unless it",
        "names examples to send first, each one touches an order, card or stock level no other",
        "example touches, so it gives its result in any order on the demo seed. Sending one",
        "again (same `event_id`) repeats its first result and changes nothing.",
        "",
        "| example | what it sends | stream |",
        "|---|---|---|",
    ]
    lines += [f"| `{e.name}` | {e.summary} | `{e.stream(streams)}` |" for e in EXAMPLES.values()]
    lines.append("")
    for example in EXAMPLES.values():
        if example is primary(example.event_type) or example.name == _REQUEST:
            continue  # shown with its event type, or with the request-reply above
        lines += [f"### `{example.name}`", "", example.summary, ""]
        lines += [*_shell(example, streams), "", _result(example), ""]
    return lines


def render_events_reference() -> str:
    """The whole of docs/events.md."""
    defaults = StreamSettings(consumer="replica-1")
    first = primary("order.placed")
    intro = _INTRO.format(
        first_example="\n".join(_shell(first, defaults)[:-1]),
        max_depth=MAX_DEPTH,
        max_string=MAX_STRING_CHARS,
        max_key=MAX_KEY_CHARS,
        skew=defaults.max_future_skew_s,
        strict_values=STRICT_VALUES,
    )
    request = EXAMPLES[_REQUEST]
    lines = [intro, *_model_section("Envelope", Envelope, "##")]
    lines += ["## Inbound events", ""]
    for kind in EVENT_KINDS.values():
        streams = [getattr(defaults, _STREAM_OF[c]) for c in sorted(kind.channels, key=str)]
        example = primary(kind.name)
        lines += _model_section(f"`{kind.name}`", kind.payload)
        lines += [
            "Streams: " + ", ".join(f"`{s}`" for s in streams) + ".",
            "",
            "```json",
            json.dumps(example.envelope(), indent=2),
            "```",
            "",
            *_shell(example, defaults),
            "",
            _result(example),
            "",
        ]
    lines += ["## Events the service emits", ""]
    lines += _model_section(f"Result events (`{defaults.results}`)", ResultData)
    lines += [
        "The envelope's `type` is `<inbound type>.succeeded` or `<inbound type>.failed`, its",
        "`event_id` is derived from the inbound event id and the status (the same inbound event",
        "always yields the same result id; a result that belongs to one entry only, because",
        "the entry could not be read or reused an event id, is derived from the entry), `source`",
        "is `sitoo-sync` and `correlation_id` is the inbound one.",
        "",
        "```sh",
        f"{REDIS_CLI} XREVRANGE {defaults.results} + - COUNT 5    # the newest five",
        "```",
        "",
    ]
    lines += _model_section("GiftCardReply", GiftCardReply)
    lines += [
        _SEMANTICS.format(
            request_example="\n".join(_shell(request, defaults)[:-1]),
            request_result=_result(request),
            ordering=ORDERING,
        )
    ]
    lines += _catalogue(defaults)
    return "\n".join(lines).rstrip() + "\n"


def write_events_reference(path: Path = DEFAULT_PATH) -> Path:
    """Write the reference to ``path``; the path written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_events_reference(), encoding="utf-8")
    return path


def docs_events(
    out: Annotated[Path, typer.Option(help="Where to write the reference.")] = DEFAULT_PATH,
) -> None:
    """Regenerate the event reference (docs/events.md) from the contract's models."""
    typer.echo(f"wrote the event reference to {write_events_reference(out)}")
