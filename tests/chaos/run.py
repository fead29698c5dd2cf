"""Command line of the chaos run: `python -m tests.chaos.run [--size full|ci]`; 1 on failure."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path

from tests.chaos.harness import ChaosConfig, Report, run_chaos

# Per size: (seconds over which the plan is sent, SIGKILLs, settle timeout, fault phase length).
_TIMING = {"ci": (20.0, 3, 60.0, 2.0), "full": (120.0, 8, 300.0, 5.0)}


def format_report(report: Report) -> str:
    """The figures, the timeline and the verdict as plain text."""
    lines = ["", "== chaos run =="]
    for at, what in report.timeline.events:
        lines.append(f"  {at:7.1f}s  {what}")
    lines.append("")
    lines.append("== figures ==")
    for name, value in report.verdict.figures.items():
        shown = json.dumps(value, sort_keys=True) if isinstance(value, dict) else value
        lines.append(f"  {name}: {shown}")
    faults = report.sandbox_requests.get("faults", {})
    lines.append(f"  sandbox requests: {report.sandbox_requests.get('total')}")
    lines.append(f"  sandbox faults injected: {json.dumps(faults, sort_keys=True)}")
    lines.append(f"  elapsed: {report.elapsed_s:.1f}s; logs in {report.workdir}")
    lines.append("")
    if report.verdict.passed:
        lines.append(
            "VERDICT: PASS (0 events lost, 0 effects duplicated, 0 request violations, "
            "every event accounted for)"
        )
    else:
        lines.append("VERDICT: FAIL")
        lines.extend(f"  - {failure}" for failure in report.verdict.failures)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run once and print the report."""
    parser = argparse.ArgumentParser(prog="python -m tests.chaos.run", description=__doc__)
    parser.add_argument("--size", choices=sorted(_TIMING), default="full")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--send-s", type=float, help="spread the load over this many seconds")
    parser.add_argument("--kills", type=int, help="how many SIGKILLs of replicas")
    parser.add_argument(
        "--no-pollers", action="store_true", help="run the replicas without pollers"
    )
    parser.add_argument("--workdir", type=Path, help="keep logs and Redis data here")
    parser.add_argument(
        "--cluster", action="store_true", help="run on a local three-master Redis Cluster"
    )
    args = parser.parse_args(argv)
    send_s, kills, settle_s, phase_s = _TIMING[args.size]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="sitoo-sync-chaos-"))
    config = ChaosConfig(
        size=args.size,
        seed=args.seed,
        replicas=args.replicas,
        send_s=args.send_s if args.send_s is not None else send_s,
        kills=args.kills if args.kills is not None else kills,
        settle_timeout_s=settle_s,
        phase_s=phase_s,
        pollers=not args.no_pollers,
        workdir=workdir,
        cluster=args.cluster,
    )
    report = asyncio.run(run_chaos(config))
    sys.stdout.write(format_report(report))
    return 0 if report.verdict.passed else 1


if __name__ == "__main__":
    sys.exit(main())
