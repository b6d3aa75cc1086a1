"""The production estimate's 95% interval covers the true production rate: seeded simulations.

A production population of four routes with known sizes and pass rates; an eval set drawn
from it stratified, the rare routes oversampled (as `fieldeval sample --min-per-stratum`
does). Over 1,000 draws the weighted estimate's interval covers the true rate about 95% of
the time, and the unweighted eval-set rate is biased towards the oversampled routes.
The formulas are in docs/production.md.
"""

from __future__ import annotations

import numpy as np
import pytest

from fieldeval.stats.survey import weighted_difference, weighted_rate

TRIALS = 1000
SIZES = (7000, 2000, 800, 200)  # production calls per route
RATES = (0.92, 0.80, 0.60, 0.35)  # the candidate's pass rate on each


def _population(rates: tuple[float, ...]) -> list[np.ndarray]:
    return [
        np.array([1.0] * round(size * rate) + [0.0] * (size - round(size * rate)))
        for size, rate in zip(SIZES, rates, strict=True)
    ]


def _draw(rng: np.random.Generator, population: list[np.ndarray], allocation: tuple[int, ...]):
    values, weights, strata, fractions = [], [], [], []
    for h, (calls, n) in enumerate(zip(population, allocation, strict=True)):
        values += list(rng.choice(calls, n, replace=False))
        weights += [len(calls) / n] * n
        strata += [h] * n
        fractions += [n / len(calls)] * n
    return values, weights, strata, fractions


@pytest.mark.parametrize(
    ("rates", "allocation"),
    [
        (RATES, (86, 46, 36, 32)),  # 200 examples, at least 30 per route
        (RATES, (20, 10, 8, 6)),  # a small eval set
        ((0.98, 0.95, 0.90, 0.70), (40, 20, 20, 20)),  # near 100%, where Wald fails
    ],
)
def test_the_weighted_interval_covers_the_production_rate(rates, allocation) -> None:
    rng = np.random.default_rng(20261208)
    population = _population(rates)
    truth = sum(p.sum() for p in population) / sum(SIZES)
    sizes = dict(enumerate(SIZES))
    covered = 0
    estimates, plain = [], []
    for _ in range(TRIALS):
        values, weights, strata, fractions = _draw(rng, population, allocation)
        rate = weighted_rate(values, weights, strata, fractions, sizes=sizes)
        covered += rate.low <= truth <= rate.high
        estimates.append(rate.value)
        plain.append(float(np.mean(values)))
    coverage = covered / TRIALS
    # 95% within three binomial standard errors of 1,000 trials (±0.021).
    assert 0.93 <= coverage <= 0.975, coverage
    assert abs(np.mean(estimates) - truth) < 0.005  # unbiased
    # Unweighted, the oversampled routes (which fail more) drag the rate down.
    assert np.mean(plain) - truth < -0.05


def test_the_linearised_wald_interval_would_not_cover_near_100_percent() -> None:
    """Why the interval is built from strata Jeffreys intervals: the textbook one, d̂ ± t·√v
    (what `weighted_difference` gives for a single candidate's values), undercovers here."""
    rng = np.random.default_rng(20261208)
    population = _population((0.98, 0.95, 0.90, 0.70))
    truth = sum(p.sum() for p in population) / sum(SIZES)
    covered = 0
    for _ in range(TRIALS):
        wald = weighted_difference(*_draw(rng, population, (40, 20, 20, 20)))
        covered += wald.low <= truth <= wald.high
    assert covered / TRIALS < 0.90


def test_the_weights_alone_without_known_sizes_cover_too() -> None:
    rng = np.random.default_rng(7)
    population = _population(RATES)
    truth = sum(p.sum() for p in population) / sum(SIZES)
    covered = sum(
        (lambda r: r.low <= truth <= r.high)(
            weighted_rate(*_draw(rng, population, (86, 46, 36, 32)))
        )
        for _ in range(TRIALS)
    )
    assert 0.93 <= covered / TRIALS <= 0.975


def test_the_weighted_paired_difference_covers_the_production_difference() -> None:
    rng = np.random.default_rng(11)
    differences = []
    for size, a, b in zip(SIZES, RATES, (0.90, 0.85, 0.40, 0.30), strict=True):
        passes_a = (rng.random(size) < a).astype(float)
        passes_b = (rng.random(size) < b).astype(float)
        # The same examples: mostly the two candidates pass and fail together.
        passes_b = np.where(rng.random(size) < 0.7, passes_a, passes_b)
        differences.append(passes_a - passes_b)
    truth = sum(d.sum() for d in differences) / sum(SIZES)
    covered = 0
    for _ in range(TRIALS):
        values, weights, strata, fractions = _draw(rng, differences, (86, 46, 36, 32))
        difference = weighted_difference(values, weights, strata, fractions)
        covered += difference.low <= truth <= difference.high
    assert 0.93 <= covered / TRIALS <= 0.975
