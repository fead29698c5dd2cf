"""Generative hostile input against the service as deployed: every invariant, every example.

A bounded run for the normal suite; `python -m tests.chaos.fuzz` runs the long one.
"""

from __future__ import annotations

import json
import os

import pytest

from tests.support.hostile_driver import HostileDriver, stack_in_background
from tests.support.hostile_run import run_generative

EXAMPLES = 150
# A fixed seed keeps the suite repeatable, so a landing never fails on a case no earlier run
# drew; `python -m tests.chaos.fuzz` explores new seeds, and HOSTILE_SEED picks another here.
SEED = int(os.environ.get("HOSTILE_SEED", "20261206"))


@pytest.mark.timeout(240)
def test_hostile_entries_and_bodies_never_break_an_invariant() -> None:
    """Ready throughout, one outcome per entry, no write from a refused one, no web-hook 5xx."""
    with stack_in_background() as stack:
        driver = HostileDriver(stack)
        try:
            run_generative(driver, max_examples=EXAMPLES, seed=SEED)
            driver.final_sweep()
        finally:
            driver.close()
    figures = driver.figures.summary()
    print(json.dumps(figures, indent=2))  # noqa: T201 - the figures belong in the test log
    assert figures["examples"] >= EXAMPLES
    assert figures["entries sent"] > 0
