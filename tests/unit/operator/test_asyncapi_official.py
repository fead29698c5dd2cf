"""docs/asyncapi.json passes the official AsyncAPI 3.0 JSON Schema and the official parser."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from service.operator.asyncapi import build_asyncapi, render_asyncapi
from service.operator.asyncapi_schema import asyncapi_schema
from tests.support.official_validators import ASYNCAPI_DIR, asyncapi_parser


@pytest.fixture(scope="module")
def official_schema() -> Draft7Validator:
    """The AsyncAPI 3.0.0 JSON Schema as published by the AsyncAPI Initiative."""
    schema = json.loads((ASYNCAPI_DIR / "asyncapi-3.0.0.schema.json").read_text(encoding="utf-8"))
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


def _errors(validator: Draft7Validator, document: dict[str, Any]) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message[:200]}"
        for error in validator.iter_errors(document)
    ]


def test_generated_document_passes_the_official_json_schema(official_schema) -> None:
    """Every key and every schema of the generated document is valid AsyncAPI 3.0.0."""
    assert _errors(official_schema, build_asyncapi()) == []


def test_the_official_json_schema_refuses_openapi_discriminators(official_schema) -> None:
    """The check can fail: pydantic's discriminator object, left as it is, is refused."""
    document = build_asyncapi()
    document["components"]["schemas"]["Pickup"]["discriminator"] = {
        "propertyName": "kind",
        "mapping": {"pickup": "#/components/schemas/Pickup"},
    }
    assert _errors(official_schema, document)


def test_discriminator_objects_become_a_note_and_the_branches_stay() -> None:
    """The OpenAPI object goes; the oneOf whose branches pin the property with const stays."""
    schema = {
        "type": "object",
        "properties": {
            "fulfilment": {
                "oneOf": [{"$ref": "#/a"}, {"$ref": "#/b"}],
                "discriminator": {"propertyName": "kind", "mapping": {"a": "#/a"}},
            },
            # A property that happens to be called like a keyword is left alone.
            "discriminator": {"type": "string"},
        },
    }
    converted = asyncapi_schema(schema)
    fulfilment = converted["properties"]["fulfilment"]
    assert "discriminator" not in fulfilment
    assert fulfilment["oneOf"] == [{"$ref": "#/a"}, {"$ref": "#/b"}]
    assert "`kind`" in fulfilment["description"]
    assert converted["properties"]["discriminator"] == {"type": "string"}
    assert "discriminator" in schema["properties"]["fulfilment"]  # the input is not changed


def test_tuples_take_draft_07_form() -> None:
    """prefixItems (2020-12) becomes a list under items, and items becomes additionalItems."""
    converted = asyncapi_schema(
        {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "items": False}
    )
    assert converted == {
        "type": "array",
        "items": [{"type": "string"}, {"type": "integer"}],
        "additionalItems": False,
    }


def _parse(path: Path) -> list[dict[str, str]]:
    completed = subprocess.run(
        [*asyncapi_parser(), str(path)], check=False, capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 0, completed.stderr
    report: list[dict[str, str]] = json.loads(completed.stdout)
    return report


def test_official_parser_reports_no_error_or_warning(tmp_path: Path) -> None:
    """@asyncapi/parser resolves every reference and runs the specification's rules: 0 and 0."""
    document = tmp_path / "asyncapi.json"
    document.write_text(render_asyncapi(), encoding="utf-8")
    report = _parse(document)
    serious = [d for d in report if d["severity"] in {"error", "warning"}]
    assert serious == []


def test_official_parser_reports_a_broken_document(tmp_path: Path) -> None:
    """The parser run is real: a dangling reference is reported as an error."""
    broken = build_asyncapi()
    broken["channels"]["results"]["messages"]["result"] = {
        "$ref": "#/components/messages/noSuchMessage"
    }
    document = tmp_path / "asyncapi.json"
    document.write_text(json.dumps(broken), encoding="utf-8")
    assert [d for d in _parse(document) if d["severity"] == "error"]
