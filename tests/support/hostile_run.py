"""One generative hostile run: hypothesis draws the cases, the driver checks each one."""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as fixed_seed

from tests.support.contract_strategies import ConflictCase, EntryCase, WebhookCase
from tests.support.hostile_cases import cases
from tests.support.hostile_driver import HostileDriver


def run_generative(driver: HostileDriver, *, max_examples: int, seed: int | None = None) -> None:
    """Draw ``max_examples`` cases and check each; a broken invariant raises (shrunk first)."""

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate, Phase.shrink],
        print_blob=True,
    )
    @given(cases())
    def example(case: EntryCase | ConflictCase | WebhookCase) -> None:
        driver.check(case)

    if seed is not None:
        example = fixed_seed(seed)(example)
    example()
