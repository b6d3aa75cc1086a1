"""The judge-corrected pass rate's 95% interval covers the true rate: seeded simulations.

Each trial draws N outputs of a candidate whose true pass rate (as people would grade) is θ,
grades them all with a judge of the given TPR and TNR, and lets people grade n of them:
at random, or in the order `grading_gain` picks (`fieldeval grade --informative`). The
numbers are in docs/grading.md, "Judge-corrected pass rate".
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from fieldeval.stats.intervals import wilson
from fieldeval.stats.stratified import (
    Stratum,
    grading_gain,
    stratified_difference,
    stratified_rate,
)

TRIALS = 2000
Bools = npt.NDArray[np.bool_]


def _strata(truth: Bools, judge: Bools, graded: Bools) -> tuple[Stratum, Stratum]:
    return tuple(  # type: ignore[return-value]
        Stratum(
            units=int((judge == side).sum()),
            graded=int((graded & (judge == side)).sum()),
            passed=int((graded & (judge == side) & truth).sum()),
        )
        for side in (True, False)
    )


def _random_grades(rng: np.random.Generator, size: int, budget: int) -> Bools:
    graded = np.zeros(size, dtype=bool)
    graded[rng.choice(size, budget, replace=False)] = True
    return graded


def _informative_grades(rng: np.random.Generator, truth: Bools, judge: Bools, budget: int) -> Bools:
    """People grade one output at a time, from the stratum `grading_gain` ranks first."""
    graded = np.zeros(truth.size, dtype=bool)
    for _ in range(budget):
        strata = _strata(truth, judge, graded)
        gains = [grading_gain(stratum, truth.size) for stratum in strata]  # sizes only
        side = (True, False)[int(np.argmax(gains))]
        open_ = np.flatnonzero((judge == side) & ~graded)
        graded[rng.choice(open_)] = True
    return graded


def coverage(
    size: int, budget: int, theta: float, tpr: float, tnr: float, *, informative: bool, seed: int
) -> tuple[int, int, float]:
    """(trials covered, trials with an estimate, mean width)."""
    rng = np.random.default_rng(seed)
    covered = estimated = 0
    widths = []
    for _ in range(TRIALS):
        truth = rng.random(size) < theta
        judge = np.where(truth, rng.random(size) < tpr, rng.random(size) >= tnr)
        graded = (
            _informative_grades(rng, truth, judge, budget)
            if informative
            else _random_grades(rng, size, budget)
        )
        rate = stratified_rate(*_strata(truth, judge, graded))
        if rate.low is None or rate.high is None:
            continue  # a stratum nobody graded: no interval is shown
        estimated += 1
        covered += rate.low <= theta <= rate.high
        widths.append(rate.high - rate.low)
    return covered, estimated, float(np.mean(widths))


# Typical: a few hundred outputs, a tenth to a third graded, a judge from good to mediocre.
TYPICAL = [
    (200, 60, 0.6, 0.9, 0.8),
    (200, 60, 0.3, 0.7, 0.7),
    (1000, 100, 0.6, 0.9, 0.8),
    (1000, 100, 0.85, 0.7, 0.7),
    (500, 50, 0.5, 0.85, 0.85),
]


@pytest.mark.parametrize(("size", "budget", "theta", "tpr", "tnr"), TYPICAL)
def test_random_grades_cover_95_percent(
    size: int, budget: int, theta: float, tpr: float, tnr: float
) -> None:
    covered, estimated, _ = coverage(
        size, budget, theta, tpr, tnr, informative=False, seed=size + budget + int(100 * theta)
    )
    assert estimated >= 0.95 * TRIALS
    assert 0.93 <= covered / estimated <= 0.97, f"covered {covered}/{estimated}"


@pytest.mark.parametrize(("size", "budget", "theta", "tpr", "tnr"), TYPICAL)
def test_informative_grades_cover_95_percent(
    size: int, budget: int, theta: float, tpr: float, tnr: float
) -> None:
    covered, estimated, _ = coverage(
        size, budget, theta, tpr, tnr, informative=True, seed=7 + size + int(100 * theta)
    )
    assert estimated == TRIALS  # an ungraded stratum always comes first
    assert 0.93 <= covered / estimated <= 0.97, f"covered {covered}/{estimated}"


def test_informative_grades_never_leave_the_judges_rare_fails_to_chance() -> None:
    # The judge fails 6% of outputs: of 30 random grades, none falls there one time in six,
    # and then no estimate exists; the pilot grades five of them every time, for an
    # interval as narrow as the random grades give when they do give one.
    args = (1000, 30, 0.9, 0.99, 0.5)
    covered, random_estimated, random_width = coverage(*args, informative=False, seed=3)
    assert random_estimated < 0.9 * TRIALS
    covered, estimated, informative_width = coverage(*args, informative=True, seed=3)
    assert estimated == TRIALS
    assert informative_width <= 1.02 * random_width
    assert covered / estimated >= 0.93


def test_near_the_bounds_the_interval_errs_wide() -> None:
    # θ = 0.95 with a good judge: one stratum is nearly all passes and Jeffreys' interval
    # keeps its width there; coverage is above 95%, never below 93%.
    covered, estimated, _ = coverage(200, 60, 0.95, 0.95, 0.95, informative=False, seed=11)
    assert wilson(covered, estimated).low >= 0.93


def difference_coverage(correlated: bool, seed: int) -> float:
    """Two candidates on the same 300 examples, a 0.70 against 0.55; people grade 60 of each."""
    rng = np.random.default_rng(seed)
    size, budget, theta_a, theta_b = 300, 60, 0.70, 0.55
    covered = estimated = 0
    for _ in range(TRIALS):
        # Correlated: both fail the hard examples first (one uniform per example).
        shared = rng.random(size)
        own = shared if correlated else rng.random(size)
        truths = (shared < theta_a, own < theta_b)
        rates = []
        for truth in truths:
            judge = np.where(truth, rng.random(size) < 0.9, rng.random(size) >= 0.8)
            rates.append(stratified_rate(*_strata(truth, judge, _random_grades(rng, size, budget))))
        difference = stratified_difference(*rates)
        if difference.low is None or difference.high is None:
            continue
        estimated += 1
        covered += difference.low <= theta_a - theta_b <= difference.high
    return covered / estimated


@pytest.mark.parametrize("correlated", [False, True])
def test_the_difference_of_two_corrected_rates_covers_at_least_95_percent(correlated: bool) -> None:
    # Independent candidates: about 95%. Candidates that fail the same examples: wider, as
    # the docstring of `stratified_difference` says, never narrower.
    covered = difference_coverage(correlated, seed=21 + correlated)
    assert covered >= 0.93
    assert covered <= (0.97 if not correlated else 1.0)
