"""Shopify's search syntax, the part the fake understands: terms, field:value, ranges, OR."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from graphql import GraphQLError

_TOKEN = re.compile(r"""(?:[^\s'"]+(?:'[^']*'|"[^"]*")?)+|'[^']*'|"[^"]*\"""")
_COMPARATORS = (">=", "<=", ">", "<")


@dataclass(frozen=True)
class Term:
    """One condition: field (None for free text), comparator and value."""

    field: str | None
    op: str
    value: str
    negated: bool = False


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":  # noqa: PLR2004
        return text[1:-1]
    return text


def parse(query: str | None) -> list[list[Term]]:
    """Disjunctive normal form: a list of OR-groups, each a list of ANDed terms."""
    groups: list[list[Term]] = [[]]
    for word in _TOKEN.findall(query or ""):
        if word in {"OR", "AND"}:
            if word == "OR":
                groups.append([])
            continue
        negated = word.startswith("-")
        text = word.lstrip("-")
        field, sep, rest = text.partition(":")
        if not sep:
            groups[-1].append(Term(None, "=", _unquote(text), negated))
            continue
        op = "="
        for candidate in _COMPARATORS:
            if rest.startswith(candidate):
                op, rest = candidate, rest[len(candidate) :]
                break
        groups[-1].append(Term(field.lower(), op, _unquote(rest), negated))
    return [group for group in groups if group] or [[]]


Getter = Callable[[object], object]


def matches(
    item: object,
    groups: list[list[Term]],
    fields: Mapping[str, Getter],
    *,
    free_text: Getter | None = None,
) -> bool:
    """Whether an item satisfies the query; an unknown field is refused, as Shopify warns."""
    return any(all(_holds(item, term, fields, free_text) for term in group) for group in groups)


def _holds(
    item: object, term: Term, fields: Mapping[str, Getter], free_text: Getter | None
) -> bool:
    if term.field is None:
        if free_text is None:
            return True
        result = str(term.value).casefold() in str(free_text(item) or "").casefold()
        return result != term.negated
    getter = fields.get(term.field)
    if getter is None:
        raise GraphQLError(f"Invalid search field for this query: '{term.field}'.")
    actual = getter(item)
    result = _compare(actual, term)
    return result != term.negated


def _compare(actual: object, term: Term) -> bool:
    if isinstance(actual, list):
        return any(_compare(value, term) for value in actual)
    if isinstance(actual, int | float) and not isinstance(actual, bool):
        try:
            wanted: float = float(term.value)
        except ValueError:
            from service.fakes.shopify.clock import parse_time  # noqa: PLC0415

            try:
                wanted = parse_time(term.value)
            except ValueError:
                raise GraphQLError(f"Invalid value for '{term.field}': {term.value}") from None
        number = float(actual)
        return {
            "=": number == wanted,
            ">": number > wanted,
            ">=": number >= wanted,
            "<": number < wanted,
            "<=": number <= wanted,
        }[term.op]
    text = "" if actual is None else str(actual)
    if term.value.endswith("*"):
        return text.casefold().startswith(term.value[:-1].casefold())
    return text.casefold() == term.value.casefold()
