"""The long generative hostile run: `python -m tests.chaos.fuzz [--examples N] [--faults]`.

Draws hostile entries, reused event ids and web-hook bodies from the contract's schemas and
mutations of valid ones (see tests/support/hostile_cases.py), sends each to the service as
deployed (a private Redis, the sandbox process, one replica process) and checks every
invariant of tests/support/hostile_driver.py. Prints the figures; exits 1 when an invariant
broke (hypothesis prints the smallest case it found).
"""

from __future__ import annotations

import argparse
import json
import sys

import httpx

from tests.support.hostile_driver import (
    Figures,
    HostileDriver,
    stack_in_background,
)
from tests.support.hostile_run import run_generative

# Sitoo misbehaving while the hostile input arrives: retries and redeliveries get exercised.
FAULTS = {
    "seed": 11,
    "error_before_rate": 0.1,
    "error_before_statuses": [503],
    "apply_then_fail_rate": 0.05,
    "apply_then_fail_mode": "500",
}


def main(argv: list[str] | None = None) -> int:
    """Run once and print the figures."""
    parser = argparse.ArgumentParser(prog="python -m tests.chaos.fuzz", description=__doc__)
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--seed", type=int, help="fix hypothesis' seed to repeat a run")
    parser.add_argument("--faults", action="store_true", help="let the sandbox fail now and then")
    args = parser.parse_args(argv)
    figures = Figures()
    failure: str | None = None
    with stack_in_background() as stack:
        if args.faults:
            httpx.put(f"{stack.sandbox.url}/_sandbox/faults", json=FAULTS).raise_for_status()
        driver = HostileDriver(stack, figures)
        try:
            run_generative(driver, max_examples=args.examples, seed=args.seed)
            driver.final_sweep()
        except Exception as broken:  # an invariant, or several at once (an exception group)
            failure = f"{type(broken).__name__}: {broken}"
        finally:
            driver.close()
    summary = {"faults": args.faults, **figures.summary()}
    sys.stdout.write(json.dumps(summary, indent=2) + "\n")
    sys.stdout.write(f"VERDICT: FAIL: {failure}\n" if failure else "VERDICT: PASS\n")
    return 1 if failure else 0


if __name__ == "__main__":
    sys.exit(main())
