"""The percentile's order-statistic interval: its ranks, its open ends, and its coverage."""

from __future__ import annotations

import math
import random

import pytest

from fieldeval.stats.intervals import percentile
from fieldeval.stats.quantile import Quantile, quantile


def test_the_value_is_the_percentile_used_everywhere() -> None:
    values = [float(v) for v in (5, 1, 9, 3, 7, 2, 8)]
    for q in (50, 95):
        assert quantile(values, q).value == percentile(values, q)


def test_too_few_values_leave_the_ends_open() -> None:
    assert quantile([], 50) == Quantile(50, 0, None, None, None)
    one = quantile([3.0], 50)
    assert (one.value, one.low, one.high) == (3.0, None, None)
    # 1 − 0.95^n ≥ 0.975 first holds at n = 72: below it p95 has no upper bound.
    assert quantile([float(v) for v in range(71)], 95).high is None
    assert quantile([float(v) for v in range(72)], 95).high == 71.0


def test_the_bounds_are_order_statistics_around_the_median() -> None:
    # n = 100, p = 0.5: the 2.5% and 97.5% points of Binomial(100, 0.5) are 40 and 60.
    found = quantile([float(v) for v in range(1, 101)], 50)
    assert (found.low, found.value, found.high) == (40.0, 50.5, 61.0)


def test_the_interval_covers_the_true_p95_at_least_95_percent_of_the_time() -> None:
    rng = random.Random(3)
    true = -math.log(0.05)  # the 95th percentile of an exponential with mean 1
    trials = 1000
    covered = 0
    for _ in range(trials):
        found = quantile([rng.expovariate(1.0) for _ in range(200)], 95)
        assert found.low is not None and found.high is not None
        covered += found.low <= true <= found.high
    assert covered / trials >= 0.94  # ≥ 0.95 by construction, less the draws' own noise


def test_confidence_must_be_a_probability() -> None:
    with pytest.raises(ValueError, match="confidence"):
        quantile([1.0, 2.0], 50, confidence=1.0)
