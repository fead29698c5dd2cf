"""The event reference's section on strict values: what is refused that lax parsers accept.

Kept beside :mod:`service.contracts.reference`, which puts it into docs/events.md; the
rules it states live in :mod:`service.contracts.sanity` (the JSON) and
:mod:`service.contracts.fields` and :mod:`service.contracts.envelope` (the values).
"""

STRICT_VALUES = """\
## Strict values

Every value is read as written, never converted; what a lenient parser would guess at is
refused (`invalid`, with the reason):

* **The JSON itself**: an object that names a key twice is refused (parsers disagree on
  which copy wins, so the service and your logs could read different events); so are `NaN`,
  `Infinity` and `-Infinity`, which are not JSON.
* **Numbers** (amounts, VAT rates, stock quantities) are read exactly: a JSON number with a
  fraction is taken as the decimal it spells (`249.001` has three decimals and is refused as
  money; it is never rounded through a binary float). As a string, a number must be plain
  decimal notation, `-?digits[.digits]` without leading zeros (`"249"`, `"249.00"`, `"-1.5"`):
  no spaces, no `+`, no exponent (`"2.49e2"`), no `_`, no `"NaN"`.
* **Integers** (order-line `quantity`, `warehouse_id`, `store_id`, `schema_version`) must be
  JSON integers: not `true`, not `"1"`, not `1.0`.
* **Strings** must be JSON strings: `"card_number": 95000000000000008720` is refused.
* **Timestamps** must be RFC 3339 text with seconds and an offset,
  `2026-03-01T12:00:00Z` or `2026-03-01T13:00:00.250+01:00` (at most six fraction digits):
  no Unix numbers, no date alone, no space for `T`, none without an offset.
"""
