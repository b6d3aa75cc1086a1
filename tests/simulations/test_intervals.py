"""The 95% interval of a rate over examples covers 93–97% of the time: seeded simulations.

Each trial draws n examples whose pass probabilities come from a Beta (some easy, some
hard, some flaky), K repeats of each, and asks whether `mean_proportion`'s interval on the
per-example fractions holds the true mean. The Wilson rate over outputs, which counts the K
repeats as K examples, is measured beside it to show what it would have claimed.
"""

from __future__ import annotations

import numpy as np
import pytest

from fieldeval.stats.intervals import mean_proportion, wilson

TRIALS = 2000


def coverage(n: int, repeats: int, a: float, b: float, seed: int) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    truth = a / (a + b)
    by_example = by_output = 0
    for _ in range(TRIALS):
        passes = rng.binomial(repeats, rng.beta(a, b, n))
        mean = mean_proportion(list(passes / repeats), trials=n * repeats)
        by_example += mean.low <= truth <= mean.high
        pooled = wilson(int(passes.sum()), n * repeats)
        by_output += pooled.low <= truth <= pooled.high
    return by_example / TRIALS, by_output / TRIALS


@pytest.mark.parametrize(
    ("n", "repeats", "a", "b"),
    [(10, 5, 1.6, 0.4), (50, 3, 4.0, 1.0), (50, 5, 0.5, 0.5), (25, 3, 8.0, 2.0)],
)
def test_a_pass_rate_with_repeats_covers_95_percent(
    n: int, repeats: int, a: float, b: float
) -> None:
    by_example, by_output = coverage(n, repeats, a, b, seed=n * repeats)
    assert 0.93 <= by_example <= 0.97, f"covered {by_example:.3f}"
    assert by_output < by_example  # the pooled rate is overconfident with repeats


def test_with_clusters_the_interval_stays_within_0_and_1_and_is_never_a_point() -> None:
    # The audit's case: 24 of 25 passing, examples in clusters of 5.
    fractions = [1.0] * 24 + [0.0]
    clusters = [i // 5 for i in range(25)]
    nearly = mean_proportion(fractions, clusters, trials=25)
    assert 0.0 <= nearly.low < 0.96 < nearly.high <= 1.0
    everything = mean_proportion([1.0] * 25, clusters, trials=25)
    assert everything.high == 1.0 and everything.low == pytest.approx(wilson(25, 25).low)
    one_cluster = mean_proportion(fractions, [0] * 25, trials=25)
    assert (one_cluster.low, one_cluster.high) == (-np.inf, np.inf)  # no interval exists
