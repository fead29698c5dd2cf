"""docs/events.md is generated from the models and kept current."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from service.cli import cli
from service.contracts.reference import render_events_reference
from service.contracts.registry import EVENT_KINDS

EVENTS_MD = Path(__file__).resolve().parents[3] / "docs" / "events.md"


def test_events_reference_is_current() -> None:
    """The committed reference equals what the models generate (run `sitoo-sync docs events`)."""
    assert EVENTS_MD.read_text(encoding="utf-8") == render_events_reference()


def test_reference_documents_every_event_with_a_redis_cli_example() -> None:
    """Each inbound type has a section and a copy-paste XADD line."""
    reference = render_events_reference()
    for name in EVENT_KINDS:
        assert f"### `{name}`" in reference
        assert f'"type":"{name}"' in reference
    assert 'redis-cli -u "$REDIS_URL" BLPOP' in reference


def test_docs_events_command_writes_the_file(tmp_path: Path) -> None:
    """The CLI command writes the same text to the path it is given."""
    out = tmp_path / "events.md"
    result = CliRunner().invoke(cli, ["docs", "events", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == render_events_reference()
