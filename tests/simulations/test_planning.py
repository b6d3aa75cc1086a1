"""The plan's single-rate MDE holds: at that drop the exact test fires ≥ 80% of the time.

For each n, 2,000 seeded draws of K ~ Binomial(n, p − MDE) go through scipy's two-sided
exact binomial test of H0: rate = p. The share rejected must reach 80% (its Wilson upper
bound, at least), and at any smaller drop the test's exact power is below 80%: the MDE
is the smallest drop that works, not an optimistic one. The normal approximation it
replaced is checked the same way and falls short at n = 25.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pytest
from scipy.stats import binom, binomtest

from fieldeval.stats.intervals import wilson
from fieldeval.stats.power import single_rate_mde

TRIALS = 2000
P = 0.8


@cache
def rejected(n: int) -> tuple[int, ...]:
    """The counts scipy's two-sided exact test rejects H0: rate = P on, at the 5% level."""
    return tuple(k for k in range(n + 1) if binomtest(k, n, P).pvalue <= 0.05)


def detected(n: int, drop: float, seed: int) -> float:
    draws = np.random.default_rng(seed).binomial(n, P - drop, TRIALS)
    return float(np.isin(draws, rejected(n)).mean())


def exact_power(n: int, drop: float) -> float:
    return float(binom.pmf(rejected(n), n, P - drop).sum())


@pytest.mark.parametrize("n", [25, 50, 100, 200])
def test_at_the_mde_the_exact_test_has_80_percent_power(n: int) -> None:
    mde = single_rate_mde(n, P)
    assert mde is not None
    share = detected(n, mde, seed=n)
    assert wilson(round(share * TRIALS), TRIALS).high >= 0.80, f"power {share:.3f}"
    for smaller in np.arange(0.0005, mde - 1e-9, 0.0005):
        assert exact_power(n, float(smaller)) < 0.80


def test_the_normal_approximation_was_optimistic_at_n_25() -> None:
    normal = 2.8015852 * math.sqrt(P * (1 - P) / 25)  # (z_0.975 + z_0.8)·√(p(1 − p)/n)
    share = detected(25, normal, seed=25)
    assert wilson(round(share * TRIALS), TRIALS).high < 0.80, f"power {share:.3f}"
