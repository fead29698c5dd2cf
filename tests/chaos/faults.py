"""The sandbox fault schedule of a chaos run: phases of one fault each, cycled until stopped."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from service.tasks import stop_tasks

if TYPE_CHECKING:
    from tests.chaos.harness import Timeline
    from tests.chaos.sandbox_admin import SandboxAdmin

# The replicas' read timeout is 1 s; stalls and latency spikes go past it on purpose.
STALL_S = 2.5


@dataclass(frozen=True, slots=True)
class FaultPhase:
    """One named fault configuration (a FaultConfig JSON body)."""

    name: str
    faults: dict[str, Any]


FAULT_PHASES: tuple[FaultPhase, ...] = (
    FaultPhase("calm", {}),
    FaultPhase("5xx before apply", {"error_before_rate": 0.25}),
    FaultPhase(
        "apply then 500",
        {"apply_then_fail_rate": 0.2, "apply_then_fail_mode": "500", "writes_only": True},
    ),
    FaultPhase("429 burst", {"extra_429_rate": 0.5}),
    FaultPhase(
        "apply then drop",
        {"apply_then_fail_rate": 0.2, "apply_then_fail_mode": "drop", "writes_only": True},
    ),
    FaultPhase(
        "apply then stall past the timeout",
        {
            "apply_then_fail_rate": 0.15,
            "apply_then_fail_mode": "stall",
            "stall_s": STALL_S,
            "writes_only": True,
        },
    ),
    FaultPhase("latency spikes past the timeout", {"latency_ms": 100, "jitter_ms": 1500}),
)


class FaultSchedule:
    """Cycles through the phases, one every ``phase_s``, until stopped; then calm."""

    def __init__(
        self,
        admin: SandboxAdmin,
        phases: tuple[FaultPhase, ...],
        *,
        phase_s: float,
        timeline: Timeline,
        seed: int = 0,
    ) -> None:
        self._admin = admin
        self._phases = phases
        self._phase_s = phase_s
        self._timeline = timeline
        self._seed = seed
        self._task: asyncio.Task[None] | None = None
        self.applied: list[str] = []

    async def run(self) -> None:
        """Apply phase after phase; the task is cancelled by stop()."""
        self._task = asyncio.current_task()
        number = 0
        while True:
            phase = self._phases[number % len(self._phases)]
            await self._admin.set_faults({"seed": self._seed + number, **phase.faults})
            self.applied.append(phase.name)
            self._timeline.note(f"faults: {phase.name}")
            number += 1
            await asyncio.sleep(self._phase_s)

    async def stop(self) -> None:
        """End the cycle and switch every fault off."""
        if self._task is not None:
            await stop_tasks([self._task])
        await self._admin.set_faults({})
