"""Rates, means and bounds, checked against scipy, statsmodels and hand computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import DescrStatsW

from fieldeval.stats.intervals import (
    clustered_mean,
    t_interval,
    wilson,
    wilson_bounds,
    zero_failure_upper_bound,
)

# --- Wilson ---------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 5, 10, 25, 100, 1000])
def test_wilson_matches_statsmodels(n: int) -> None:
    for k in range(0, n + 1, max(1, n // 10)):
        rate = wilson(k, n)
        low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
        assert rate.low == pytest.approx(low, abs=1e-12)
        assert rate.high == pytest.approx(high, abs=1e-12)


@given(st.integers(1, 10_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_contains_the_observed_rate_and_stays_in_0_1(kn: tuple[int, int]) -> None:
    k, n = kn
    rate = wilson(k, n)
    # 1e-15 absorbs the rounding below: center + half can land one ulp short of k/n = 1.
    assert 0.0 <= rate.low <= k / n <= rate.high + 1e-15
    assert rate.high <= 1.0


def test_wilson_bounds_are_exactly_0_and_1_at_the_extremes() -> None:
    assert all(wilson(n, n).high == 1.0 for n in range(1, 100))
    assert all(wilson(0, n).low == 0.0 for n in range(1, 100))


# --- t interval -----------------------------------------------------------------------


def test_t_interval_by_hand() -> None:
    mean = t_interval([2.0, 4.0, 6.0])
    half = 4.302652729749464 * 2 / math.sqrt(3)  # t_{2, 0.975} · sd / √n
    assert (mean.value, mean.n, mean.df) == (4.0, 3, 2)
    assert mean.se == pytest.approx(2 / math.sqrt(3))
    assert (mean.low, mean.high) == pytest.approx((4 - half, 4 + half))
    assert mean.clusters is None


@pytest.mark.parametrize("confidence", [0.8, 0.9, 0.95, 0.99])
@pytest.mark.parametrize("n", [2, 3, 10, 200])
def test_t_interval_matches_scipy_and_statsmodels(n: int, confidence: float) -> None:
    values = np.random.default_rng(n).normal(0.6, 0.25, n)
    mean = t_interval(values.tolist(), confidence=confidence)
    expected = sps.t.interval(confidence, n - 1, loc=values.mean(), scale=sps.sem(values))
    assert (mean.low, mean.high) == pytest.approx(expected, rel=1e-10)
    descr = DescrStatsW(values).tconfint_mean(alpha=1 - confidence)
    assert (mean.low, mean.high) == pytest.approx(descr, rel=1e-10)


def test_t_interval_of_one_value_is_unbounded() -> None:
    mean = t_interval([0.7])
    assert mean.value == 0.7
    assert math.isnan(mean.se)
    assert (mean.low, mean.high) == (-math.inf, math.inf)


def test_t_interval_rejects_no_values_and_bad_confidence() -> None:
    with pytest.raises(ValueError, match="at least one"):
        t_interval([])
    with pytest.raises(ValueError, match="confidence"):
        t_interval([1.0, 2.0], confidence=1.0)


# --- clustered mean -------------------------------------------------------------------


def test_clustered_mean_by_hand() -> None:
    # mean 0.5; per-cluster residual sums 0, 1, −1 → SE = sqrt(2 · 3/2) / 6.
    mean = clustered_mean([1, 0, 1, 1, 0, 0], ["a", "a", "b", "b", "c", "c"])
    se = math.sqrt(3) / 6
    half = 4.302652729749464 * se  # t_{C−1 = 2, 0.975}
    assert (mean.value, mean.n, mean.df, mean.clusters) == (0.5, 6, 2, 3)
    assert mean.se == pytest.approx(se)
    assert (mean.low, mean.high) == pytest.approx((0.5 - half, 0.5 + half))


def _clustered_se_numpy(values: np.ndarray, labels: np.ndarray) -> float:
    residuals = values - values.mean()
    groups = np.unique(labels)
    sums = np.array([residuals[labels == g].sum() for g in groups])
    count = len(groups)
    return float(np.sqrt((sums**2).sum() * count / (count - 1)) / len(values))


@pytest.mark.parametrize("seed", range(5))
def test_clustered_mean_matches_a_direct_numpy_computation(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(10, 300))
    labels = rng.integers(0, int(rng.integers(2, 40)), n)
    values = rng.normal(0, 1, n) + labels * 0.1  # correlated within clusters
    mean = clustered_mean(values.tolist(), labels.tolist())
    count = len(np.unique(labels))
    se = _clustered_se_numpy(values, labels)
    half = sps.t.ppf(0.975, count - 1) * se
    assert mean.clusters == count
    assert mean.df == count - 1
    assert mean.se == pytest.approx(se, rel=1e-10)
    assert (mean.low, mean.high) == pytest.approx((values.mean() - half, values.mean() + half))


def test_singleton_clusters_give_the_ordinary_t_interval() -> None:
    # Σ_i (x_i − x̄)² · n/(n−1) = n·s², so the SE reduces to s/√n and df to n − 1.
    values = np.random.default_rng(7).normal(size=40).tolist()
    clustered = clustered_mean(values, list(range(40)))
    plain = t_interval(values)
    assert clustered.se == pytest.approx(plain.se, rel=1e-12)
    assert clustered.df == plain.df
    assert (clustered.low, clustered.high) == pytest.approx((plain.low, plain.high))


def test_one_cluster_is_unbounded_and_mismatched_labels_are_rejected() -> None:
    mean = clustered_mean([1.0, 0.0, 1.0], ["x", "x", "x"])
    assert mean.clusters == 1
    assert (mean.low, mean.high) == (-math.inf, math.inf)
    with pytest.raises(ValueError, match="cluster labels"):
        clustered_mean([1.0, 0.0], ["x"])


# --- zero failures --------------------------------------------------------------------


def test_zero_failure_bound_known_values() -> None:
    assert zero_failure_upper_bound(30) == pytest.approx(0.0950, abs=5e-5)
    assert zero_failure_upper_bound(0) == 1.0
    assert zero_failure_upper_bound(1) == pytest.approx(0.95)


@pytest.mark.parametrize("n", [1, 5, 30, 100, 10_000])
@pytest.mark.parametrize("alpha", [0.01, 0.05, 0.1])
def test_zero_failure_bound_is_the_one_sided_clopper_pearson_bound(n: int, alpha: float) -> None:
    # Upper Clopper–Pearson bound for k = 0: the (1 − α) quantile of Beta(1, n).
    expected = sps.beta.ppf(1 - alpha, 1, n)
    assert zero_failure_upper_bound(n, alpha=alpha) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("n", [1_000, 10_000, 1_000_000])
def test_zero_failure_bound_follows_the_rule_of_three(n: int) -> None:
    assert zero_failure_upper_bound(n) * n == pytest.approx(3, rel=0.01)


def test_zero_failure_bound_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        zero_failure_upper_bound(-1)
    with pytest.raises(ValueError):
        zero_failure_upper_bound(10, alpha=0)


@pytest.mark.parametrize(("k", "n"), [(7.5, 12.3), (0.0, 4.2), (4.2, 4.2), (0.3, 100.0)])
def test_wilson_bounds_on_a_fractional_count_match_statsmodels(k: float, n: float) -> None:
    """One formula serves whole counts, means of shares (an effective n) and win rates."""
    low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
    assert wilson_bounds(k, n) == pytest.approx((low, high), abs=1e-12)
