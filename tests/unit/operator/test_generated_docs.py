"""The generated documents are current, well-formed, and their examples are valid events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from service.cli import cli
from service.contracts.results import ResultData, result_envelope
from service.operator.asyncapi import build_asyncapi, render_asyncapi
from service.operator.configuration_page import render_configuration_page
from service.operator.producers import render_producers_page
from service.settings import Settings
from service.settings_reference import render_reference

DOCS = Path(__file__).resolve().parents[3] / "docs"


@pytest.mark.parametrize(
    ("name", "render"),
    [
        ("asyncapi.json", render_asyncapi),
        ("producers.md", render_producers_page),
        ("configuration.md", render_configuration_page),
    ],
)
def test_committed_copy_is_current(name: str, render: Any) -> None:
    """Each generated file equals what the code generates (`sitoo-sync docs …` rewrites it)."""
    assert (DOCS / name).read_text(encoding="utf-8") == render()


def _resolve(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_asyncapi_has_the_required_structure() -> None:
    """AsyncAPI 3 keys, every channel with messages, every message with payload and example."""
    document = build_asyncapi()
    assert document["asyncapi"] == "3.0.0"
    assert document["info"]["title"]
    assert document["info"]["version"]
    for ref in _refs(document):
        assert ref.startswith("#/"), ref
        _resolve(document, ref)  # raises KeyError when the target is missing
    for name, channel in document["channels"].items():
        assert channel["messages"], f"channel {name} has no messages"
        for message_ref in channel["messages"].values():
            message = _resolve(document, message_ref["$ref"])
            assert message["payload"], name
            assert message["examples"], name
    for name, operation in document["operations"].items():
        assert operation["action"] in {"send", "receive"}, name
        channel = _resolve(document, operation["channel"]["$ref"])
        for ref in operation["messages"]:
            assert _resolve(document, ref["$ref"]) in channel["messages"].values(), name


def _validator(document: dict[str, Any], message: str) -> Draft202012Validator:
    # The whole document is the root, so the payload's references resolve inside it.
    root = {"$ref": f"#/components/messages/{message}/payload", **document}
    return Draft202012Validator(root)


def test_every_asyncapi_example_matches_its_schema() -> None:
    """Each message's examples validate against its own payload (and headers) schema."""
    document = build_asyncapi()
    for name, message in document["components"]["messages"].items():
        validator = _validator(document, name)
        for example in message["examples"]:
            errors = [error.message for error in validator.iter_errors(example["payload"])]
            assert errors == [], name
            if "headers" in message:
                Draft202012Validator(message["headers"]).validate(example["headers"])


def test_asyncapi_rejects_what_the_service_rejects() -> None:
    """An event whose data misses a required field fails the schema, as it fails the service."""
    document = build_asyncapi()
    example = document["components"]["messages"]["orderPlaced"]["examples"][0]["payload"]
    broken = {**example, "data": {k: v for k, v in example["data"].items() if k != "lines"}}
    assert not _validator(document, "orderPlaced").is_valid(broken)


def test_a_real_result_event_matches_the_result_schema() -> None:
    """What the results publisher emits validates against the document's result message."""
    data = ResultData.model_validate(ResultData.model_json_schema()["examples"][0])
    envelope = result_envelope(data, occurred_at=data_time(), correlation_id=None)
    document = build_asyncapi()
    _validator(document, "result").validate(json.loads(envelope.model_dump_json()))


def data_time() -> Any:
    """A fixed aware time."""
    from datetime import UTC, datetime  # noqa: PLC0415

    return datetime(2026, 3, 1, 12, tzinfo=UTC)


def test_docs_commands_write_what_they_render(tmp_path: Path) -> None:
    """`docs asyncapi`, `docs producers` and `docs config` write the rendered text."""
    runner = CliRunner()
    asyncapi = tmp_path / "asyncapi.json"
    producers = tmp_path / "producers.md"
    readme = tmp_path / "README.md"
    page = tmp_path / "configuration.md"
    readme.write_text(
        "x\n<!-- configuration-reference:start -->\n<!-- configuration-reference:end -->\n",
        encoding="utf-8",
    )
    for args in (
        ["docs", "asyncapi", "--out", str(asyncapi)],
        ["docs", "producers", "--out", str(producers)],
        ["docs", "config", "--readme", str(readme), "--page", str(page)],
    ):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, result.output
    assert asyncapi.read_text(encoding="utf-8") == render_asyncapi()
    assert producers.read_text(encoding="utf-8") == render_producers_page()
    assert page.read_text(encoding="utf-8") == render_configuration_page()
    assert render_reference() in readme.read_text(encoding="utf-8")


def test_configuration_page_lists_every_variable() -> None:
    """Each settings field appears on the configuration page under its variable name."""
    page = render_configuration_page()
    for group, info in Settings.model_fields.items():
        nested = info.annotation
        assert nested is not None
        for field in nested.model_fields:  # type: ignore[union-attr]
            assert f"`SITOO_SYNC_{group.upper()}__{field.upper()}`" in page
