"""docs/architecture.md lists exactly the keys the code defines."""

from __future__ import annotations

from pathlib import Path

from service.records.table import BEGIN, END, render_key_table

ARCHITECTURE = Path(__file__).resolve().parents[3] / "docs" / "architecture.md"


def test_the_key_table_matches_the_key_definitions() -> None:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END)
    assert text[start:end] == render_key_table(), (
        "docs/architecture.md's key table is out of date; paste the output of "
        "`python -c 'from service.records.table import render_key_table as r; print(r())'`"
    )
