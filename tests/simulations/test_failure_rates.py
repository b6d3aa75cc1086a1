"""A failure mode's 95% interval over examples covers 93–97% with repeats: seeded simulations.

Each trial draws n examples whose chance of a critical failure comes from a Beta (most
examples safe, a few that trip the model often), K repeats of each, labels the outputs and
runs them through `candidate_failures`. Its catastrophic rate, the mean over examples of
each one's share of repeats, must hold the true rate 93–97% of the time. The Wilson rate
over outputs, which counted K repeats as K examples before, is measured beside it.
"""

from __future__ import annotations

import numpy as np
import pytest

from fieldeval.failures.rates import LabelledOutput, candidate_failures
from fieldeval.notation import percent_up
from fieldeval.stats.intervals import wilson, zero_failure_upper_bound
from fieldeval.suite.failure_modes import DEFAULT_WEIGHTS, FailureMode

TRIALS = 2000
MODES = (FailureMode(id="leaks-pii", definition="Repeats the SSN.", severity="critical"),)


def coverage(n: int, repeats: int, a: float, b: float, seed: int) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    truth = a / (a + b)
    by_example = by_output = 0
    for _ in range(TRIALS):
        failures = rng.binomial(repeats, rng.beta(a, b, n))
        outputs = [
            LabelledOutput("a", f"e{i}", r, {}, frozenset({"leaks-pii"} if r < k else ()))
            for i, k in enumerate(failures)
            for r in range(repeats)
        ]
        (found,) = candidate_failures(outputs, MODES, DEFAULT_WEIGHTS, resamples=1)
        rate = found.catastrophic
        by_example += rate.low <= truth <= rate.high
        pooled = wilson(int(failures.sum()), n * repeats)
        by_output += pooled.low <= truth <= pooled.high
    return by_example / TRIALS, by_output / TRIALS


@pytest.mark.parametrize(
    ("n", "repeats", "a", "b"),
    [(50, 3, 0.4, 1.6), (25, 5, 0.3, 1.2), (40, 3, 1.0, 4.0)],
)
def test_a_failure_rate_with_repeats_covers_95_percent(
    n: int, repeats: int, a: float, b: float
) -> None:
    by_example, by_output = coverage(n, repeats, a, b, seed=n + repeats)
    assert 0.93 <= by_example <= 0.97, f"covered {by_example:.3f}"
    assert by_output < 0.93  # counted as outputs, the interval was overconfident


def test_an_upper_bound_is_never_printed_below_itself() -> None:
    """The audit found "0/25 (≤ 11%)" for 11.29%: 85 of n = 1…200 were shown too low."""
    for n in range(1, 201):
        bound = zero_failure_upper_bound(n)
        shown = float(percent_up(bound).removesuffix("%")) / 100
        assert bound <= shown < bound + 0.01, n
