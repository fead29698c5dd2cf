"""Calculated query cost: what a query asks for before it runs, and what it really used.

Shopify's rules (FACTS.md §4): scalars and enums are free, an object costs 1, a connection
costs 2 plus its page size times the cost of one node, a mutation costs 10. The requested
cost assumes every page is full; the actual cost counts what came back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    is_composite_type,
    is_list_type,
    is_non_null_type,
)
from graphql.execution.values import get_argument_values

MUTATION_COST = 10
DEFAULT_LIST_SIZE = 10  # a list field without a size argument is assumed to hold this many
_ABSENT: Any = object()


class CostCounter:
    """Walks one operation's selections against the schema (and, for actual cost, the data)."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self._schema = schema
        self._fragments = fragments
        self._variables = dict(variables)

    def operation(self, operation: OperationDefinitionNode, data: Any = _ABSENT) -> int:  # noqa: ANN401 - response JSON
        """The operation's cost; pass the response data for the actual cost."""
        if operation.operation is OperationType.MUTATION:
            fields = self._fields(operation.selection_set, data)
            return MUTATION_COST * sum(1 for node, _ in fields if node.name.value != "__typename")
        root = self._schema.query_type
        assert root is not None  # noqa: S101 - every schema has a query root
        return self._selection(root, operation.selection_set, data)

    def _fields(self, selection: SelectionSetNode, data: Any) -> list[tuple[FieldNode, Any]]:  # noqa: ANN401
        found: list[tuple[FieldNode, Any]] = []
        for node in selection.selections:
            if isinstance(node, FieldNode):
                key = node.alias.value if node.alias else node.name.value
                if data is _ABSENT:
                    found.append((node, _ABSENT))
                elif isinstance(data, Mapping) and key in data:
                    found.append((node, data[key]))
            elif isinstance(node, InlineFragmentNode):
                found.extend(self._fields(node.selection_set, data))
            elif isinstance(node, FragmentSpreadNode):
                fragment = self._fragments.get(node.name.value)
                if fragment is not None:
                    found.extend(self._fields(fragment.selection_set, data))
        return found

    def _selection(self, parent: Any, selection: SelectionSetNode, data: Any) -> int:  # noqa: ANN401
        total = 0
        for node, value in self._fields(selection, data):
            definition = self._definition(parent, node.name.value)
            if definition is not None:
                total += self._field(definition, node, value)
        return total

    def _definition(self, parent: Any, name: str) -> GraphQLField | None:  # noqa: ANN401
        fields = getattr(parent, "fields", None)
        if fields is not None and name in fields:
            field: GraphQLField = fields[name]
            return field
        # An abstract parent: look the field up on any of its possible types.
        for possible in (
            self._schema.get_possible_types(parent)
            if not isinstance(parent, GraphQLObjectType)
            else []
        ):
            if name in possible.fields:
                found: GraphQLField = possible.fields[name]
                return found
        return None

    def _size(self, definition: GraphQLField, node: FieldNode) -> int:
        try:
            args = get_argument_values(definition, node, self._variables)
        except Exception:  # noqa: BLE001 - bad arguments fail execution; cost them at zero
            return 0
        for name in ("first", "last"):
            if isinstance(args.get(name), int):
                return max(0, int(args[name]))
        for value in args.values():
            if isinstance(value, list):
                return len(value)
        return DEFAULT_LIST_SIZE

    def _field(self, definition: GraphQLField, node: FieldNode, value: Any) -> int:  # noqa: ANN401
        named = get_named_type(definition.type)
        if not is_composite_type(named) or node.selection_set is None:
            return 0
        if named.name.endswith("Connection"):
            return 2 + self._connection(named, node, definition, value)
        inner: Any = definition.type
        if is_non_null_type(inner):
            inner = inner.of_type
        if is_list_type(inner):
            if value is _ABSENT:
                per_item = 1 + self._selection(named, node.selection_set, _ABSENT)
                return self._size(definition, node) * per_item
            items: Sequence[Any] = value or []
            return sum(
                1 + self._selection(named, node.selection_set, item)
                for item in items
                if item is not None
            )
        if value is _ABSENT:
            return 1 + self._selection(named, node.selection_set, _ABSENT)
        return 1 + (0 if value is None else self._selection(named, node.selection_set, value))

    def _connection(
        self,
        connection: Any,  # noqa: ANN401 - a GraphQL connection type
        node: FieldNode,
        definition: GraphQLField,
        value: Any,  # noqa: ANN401 - response JSON
    ) -> int:
        per_node_requested = 0
        actual = 0
        counted_items: int | None = None
        assert node.selection_set is not None  # noqa: S101 - checked by the caller
        for sub, sub_value in self._fields(node.selection_set, value):
            name = sub.name.value
            if name == "nodes" and sub.selection_set is not None:
                node_type = get_named_type(connection.fields["nodes"].type)
                selection, items = sub.selection_set, sub_value
            elif name == "edges" and sub.selection_set is not None:
                edge_type = get_named_type(connection.fields["edges"].type)
                inner = [
                    (n, v)
                    for n, v in self._fields(sub.selection_set, _ABSENT)
                    if n.name.value == "node"
                ]
                if not inner or inner[0][0].selection_set is None:
                    continue
                node_type = get_named_type(edge_type.fields["node"].type)
                selection = inner[0][0].selection_set
                items = _ABSENT
                if sub_value is not _ABSENT:
                    key = inner[0][0].alias.value if inner[0][0].alias else "node"
                    items = [edge.get(key) for edge in sub_value or [] if isinstance(edge, Mapping)]
            else:
                continue
            per_node_requested = max(
                per_node_requested, 1 + self._selection(node_type, selection, _ABSENT)
            )
            if items is not _ABSENT:
                spent = sum(
                    1 + self._selection(node_type, selection, item)
                    for item in items
                    if item is not None
                )
                actual = max(actual, spent)
                counted_items = len(items)
        if value is _ABSENT:
            return self._size(definition, node) * per_node_requested
        del counted_items
        return actual
