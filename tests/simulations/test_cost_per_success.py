"""Cost per success's 95% interval covers 93–97% of the time, and is finite: simulations.

Each trial draws n examples with K repeats: an example's pass probability from a Beta
(easy, hard and flaky examples), a lognormal base cost per example, and a failing output
costing `dearer` times more than a passing one (long, rambling failures) or less. The truth
is E[spend per example] / E[passes per example], from a million examples. The bootstrap of
Σ spend / Σ passes this replaced is measured beside it: on a small set with few passes many
of its draws hold no pass, and its upper bound was infinite.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from fieldeval.cost.intervals import unit_cost_intervals

TRIALS = 2000


def draw(
    rng: np.random.Generator, n: int, repeats: int, rate: float, dearer: float
) -> tuple[np.ndarray, np.ndarray]:
    chance = rng.beta(2 * rate, 2 * (1 - rate), n)
    passed = rng.random((n, repeats)) < chance[:, None]
    base = rng.lognormal(-8.0, 0.5, n)[:, None] * np.exp(rng.normal(0.0, 0.3, (n, repeats)))
    cost = base * np.where(passed, 1.0, dearer)
    return cost.sum(axis=1), passed.sum(axis=1).astype(np.float64)


def coverage(n: int, repeats: int, rate: float, dearer: float, seed: int) -> tuple[float, int]:
    rng = np.random.default_rng(seed)
    spend, passes = draw(rng, 1_000_000, repeats, rate, dearer)
    truth = spend.mean() / passes.mean()
    covered = infinite = 0
    for _ in range(TRIALS):
        spent, won = draw(rng, n, repeats, rate, dearer)
        if not won.sum():
            continue  # nothing passed: no cost per success is shown at all
        _, per_success = unit_cost_intervals(
            spent, np.full(n, float(repeats)), won, seed=int(rng.integers(1 << 31)), resamples=500
        )
        covered += per_success.low <= truth <= per_success.high
        infinite += math.isinf(per_success.high)
    return covered / TRIALS, infinite


@pytest.mark.parametrize(
    ("n", "repeats", "rate", "dearer"),
    [
        (25, 1, 0.6, 1.0),
        (25, 3, 0.3, 2.0),
        (50, 1, 0.9, 2.0),
        (50, 3, 0.6, 0.5),
        (100, 1, 0.1, 1.0),
    ],
)
def test_cost_per_success_covers_95_percent_and_is_finite(
    n: int, repeats: int, rate: float, dearer: float
) -> None:
    covered, infinite = coverage(n, repeats, rate, dearer, seed=n + 10 * repeats)
    assert 0.93 <= covered <= 0.97, f"covered {covered:.3f}"
    assert infinite == 0


def test_the_readme_case_has_a_finite_upper_bound() -> None:
    # The audit's case: 25 examples, 4 passing, costs near $0.0004 per success; the
    # bootstrap's upper bound was ∞ (36% of its draws held no pass).
    spent = np.full(25, 0.000404 * 4 / 25)
    won = np.array([1.0] * 4 + [0.0] * 21)
    _, per_success = unit_cost_intervals(spent, np.ones(25), won)
    assert per_success.value == pytest.approx(0.000404)
    assert 0.0 < per_success.low < 0.000404 < per_success.high < math.inf
