"""The configuration reference in README.md matches the Settings it is generated from."""

from __future__ import annotations

from pathlib import Path

from service.settings import Settings
from service.settings_reference import END_MARK, START_MARK, render_reference, replace_reference

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_reference_is_current() -> None:
    """Regenerate with `sitoo-sync docs config` when this fails."""
    text = README.read_text(encoding="utf-8")
    assert replace_reference(text) == text


def test_reference_names_every_setting() -> None:
    """Every leaf setting appears as its environment variable."""
    reference = render_reference()
    for group, model in Settings.model_fields.items():
        annotation = model.annotation
        assert annotation is not None
        for name in annotation.model_fields:  # type: ignore[union-attr]
            assert f"`SITOO_SYNC_{group.upper()}__{name.upper()}`" in reference


def test_replace_keeps_text_around_markers() -> None:
    """Only the text between the markers changes."""
    document = f"before\n{START_MARK}\nold\n{END_MARK}\nafter\n"
    updated = replace_reference(document)
    assert updated.startswith(f"before\n{START_MARK}\n| variable |")
    assert updated.endswith(f"{END_MARK}\nafter\n")
