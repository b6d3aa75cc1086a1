"""Paired comparisons, checked against statsmodels, scipy, hand computations and simulation."""

from __future__ import annotations

import itertools
import math
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.weightstats import DescrStatsW

from fieldeval.stats.intervals import clustered_mean
from fieldeval.stats.paired import (
    agresti_min_interval,
    benjamini_hochberg,
    holm,
    mcnemar,
    mcnemar_midp,
    paired_scores,
)


def _pairs(b: int, c: int, both: int = 0, neither: int = 0) -> tuple[list[bool], list[bool]]:
    """Results of `a` and `b` with the given cell counts of the 2×2 table."""
    a = [True] * b + [False] * c + [True] * both + [False] * neither
    other = [False] * b + [True] * c + [True] * both + [False] * neither
    return a, other


# --- McNemar --------------------------------------------------------------------------


def test_worked_case() -> None:
    result = mcnemar(*_pairs(12, 4, both=7, neither=3))
    assert (result.n, result.b, result.c) == (26, 12, 4)
    assert result.difference == pytest.approx(8 / 26)
    assert result.p_exact == pytest.approx(0.077, abs=5e-4)
    assert result.p_value == pytest.approx(0.049, abs=5e-4)
    # The mid-p lands near the uncorrected asymptotic test, not the conservative exact one.
    asymptotic = sm_mcnemar([[7, 12], [4, 3]], exact=False, correction=False).pvalue
    assert asymptotic == pytest.approx(0.046, abs=5e-4)
    assert abs(result.p_value - asymptotic) < 0.005


@pytest.mark.parametrize(
    ("b", "c"), list(itertools.product([0, 1, 3, 7, 12, 30], [0, 2, 4, 9, 31]))
)
def test_exact_p_matches_statsmodels(b: int, c: int) -> None:
    result = mcnemar(*_pairs(b, c, both=5, neither=2))
    expected = sm_mcnemar([[5, b], [c, 2]], exact=True).pvalue
    assert result.p_exact == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize(("b", "c"), list(itertools.product(range(0, 25, 3), range(0, 40, 5))))
def test_mid_p_matches_a_direct_binomial_computation(b: int, c: int) -> None:
    m, k = b + c, min(b, c)
    # Two-sided mid-p: twice the lower tail, counting the observed table at half weight.
    expected = (
        1.0 if m == 0 else 2 * (sps.binom.cdf(k - 1, m, 0.5) + 0.5 * sps.binom.pmf(k, m, 0.5))
    )
    assert mcnemar_midp(b, c) == pytest.approx(min(1.0, expected), rel=1e-10)


@pytest.mark.parametrize("b", [0, 1, 5, 20])
def test_mid_p_is_1_for_a_balanced_table(b: int) -> None:
    assert mcnemar_midp(b, b) == pytest.approx(1.0)


def test_mcnemar_rejects_unpaired_or_empty_input() -> None:
    with pytest.raises(ValueError, match="paired"):
        mcnemar([True, False], [True])
    with pytest.raises(ValueError, match="at least one"):
        mcnemar([], [])
    with pytest.raises(ValueError):
        mcnemar_midp(-1, 3)


paired_bools = st.integers(1, 60).flatmap(
    lambda n: st.tuples(
        st.lists(st.booleans(), min_size=n, max_size=n),
        st.lists(st.booleans(), min_size=n, max_size=n),
    )
)


@given(paired_bools)
def test_mcnemar_p_values_are_valid_and_symmetric(pair: tuple[list[bool], list[bool]]) -> None:
    a, b = pair
    forward, backward = mcnemar(a, b), mcnemar(b, a)
    assert 0.0 <= forward.p_value <= forward.p_exact <= 1.0
    assert forward.p_value == backward.p_value
    assert forward.p_exact == backward.p_exact
    assert forward.difference == -backward.difference
    assert (forward.low, forward.high) == pytest.approx((-backward.high, -backward.low))


def test_mid_p_keeps_its_level_under_no_difference() -> None:
    rng = np.random.default_rng(2024)
    # Both candidates pass 70% of the time, independently: no difference, ψ = 0.42.
    a = rng.random((2_000, 50)) < 0.7
    b = rng.random((2_000, 50)) < 0.7
    only_a = (a & ~b).sum(axis=1)
    only_b = (~a & b).sum(axis=1)
    rejections = sum(
        mcnemar_midp(int(x), int(y)) < 0.05 for x, y in zip(only_a, only_b, strict=True)
    )
    assert 0.02 <= rejections / 2_000 <= 0.07


# --- Agresti–Min ----------------------------------------------------------------------


def test_agresti_min_by_hand() -> None:
    # b* = 12.5, c* = 4.5, n* = 28: Δ* = 8/28, SE = sqrt(17 − 64/28)/28.
    center, se = 8 / 28, math.sqrt(17 - 64 / 28) / 28
    z = 1.959963984540054
    assert agresti_min_interval(12, 4, 26) == pytest.approx((center - z * se, center + z * se))
    assert agresti_min_interval(12, 4, 26) == pytest.approx((0.017205, 0.554224), abs=1e-6)


def test_agresti_min_is_clipped_to_minus_1_1() -> None:
    # b* = 10.5, c* = 0.5, n* = 12: Δ* = 10/12, SE = sqrt(11 − 100/12)/12, upper end 1.1.
    low, high = agresti_min_interval(10, 0, 10)
    assert low == pytest.approx(10 / 12 - 1.959963984540054 * math.sqrt(11 - 100 / 12) / 12)
    assert high == 1.0
    assert agresti_min_interval(0, 10, 10) == pytest.approx((-1.0, -low))


def test_agresti_min_widens_with_confidence_and_checks_counts() -> None:
    narrow = agresti_min_interval(5, 2, 40, confidence=0.8)
    wide = agresti_min_interval(5, 2, 40, confidence=0.99)
    assert wide[0] < narrow[0] < narrow[1] < wide[1]
    with pytest.raises(ValueError, match="exceed"):
        agresti_min_interval(5, 6, 10)


def test_mcnemar_reports_the_raw_difference_with_the_adjusted_interval() -> None:
    result = mcnemar(*_pairs(12, 4, both=7, neither=3), confidence=0.9)
    assert result.difference == 8 / 26
    assert (result.low, result.high) == agresti_min_interval(12, 4, 26, confidence=0.9)


# --- paired scores --------------------------------------------------------------------


def _scores(n: int, seed: int, shift: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.random(n)
    return a, a - shift + rng.normal(0, 0.2, n)


def test_paired_t_interval_matches_statsmodels() -> None:
    a, b = _scores(80, 1)
    result = paired_scores(a.tolist(), b.tolist(), resamples=500)
    d = a - b
    assert result.n == 80
    assert result.difference == pytest.approx(d.mean())
    assert (result.t_low, result.t_high) == pytest.approx(DescrStatsW(d).tconfint_mean(), rel=1e-10)


def test_paired_t_interval_with_clusters_uses_the_clustered_se() -> None:
    a, b = _scores(90, 2)
    labels = [i // 3 for i in range(90)]
    result = paired_scores(a.tolist(), b.tolist(), clusters=labels, resamples=500)
    expected = clustered_mean((a - b).tolist(), labels)
    assert (result.t_low, result.t_high) == (expected.low, expected.high)


def test_bootstrap_agrees_with_the_t_interval_on_a_large_sample() -> None:
    a, b = _scores(400, 3)
    result = paired_scores(a.tolist(), b.tolist())
    width = result.t_high - result.t_low
    assert result.low == pytest.approx(result.t_low, abs=0.05 * width)
    assert result.high == pytest.approx(result.t_high, abs=0.05 * width)


def test_bootstrap_and_permutation_are_reproducible_by_seed() -> None:
    a, b = _scores(30, 4, shift=0.02)
    first = paired_scores(a.tolist(), b.tolist(), seed=11, resamples=1_000)
    assert paired_scores(a.tolist(), b.tolist(), seed=11, resamples=1_000) == first
    assert paired_scores(a.tolist(), b.tolist(), seed=12, resamples=1_000) != first


def test_singleton_clusters_resample_like_no_clusters() -> None:
    a, b = _scores(25, 5)
    plain = paired_scores(a.tolist(), b.tolist(), resamples=2_000)
    clustered = paired_scores(a.tolist(), b.tolist(), resamples=2_000, clusters=list(range(25)))
    assert (clustered.low, clustered.high, clustered.p_value) == pytest.approx(
        (plain.low, plain.high, plain.p_value)
    )


def test_sign_flip_p_matches_the_full_permutation_distribution() -> None:
    d = np.array([0.3, 0.1, -0.05, 0.2, 0.15, -0.1, 0.25])
    observed = abs(d.sum())
    flips = np.array(list(itertools.product([-1, 1], repeat=len(d))))
    exact = np.mean(np.abs(flips @ d) >= observed - 1e-12)
    result = paired_scores(d.tolist(), [0.0] * len(d), resamples=20_000)
    # Monte Carlo SE of the estimate is below 0.002 here.
    assert result.p_value == pytest.approx(exact, abs=0.01)


def test_clusters_flip_together() -> None:
    # Two clusters, both favouring a: only 4 sign patterns, half as extreme as observed.
    a = [1.0] * 20
    b = [0.5] * 10 + [0.8] * 10
    assert paired_scores(a, b, resamples=2_000).p_value < 0.001
    clustered = paired_scores(a, b, resamples=2_000, clusters=["x"] * 10 + ["y"] * 10)
    assert clustered.p_value == pytest.approx(0.5, abs=0.05)


def test_identical_scores_give_p_1_and_a_zero_interval() -> None:
    result = paired_scores([0.4, 0.9, 0.1], [0.4, 0.9, 0.1], resamples=100)
    assert result.p_value == 1.0
    assert (result.difference, result.low, result.high) == (0.0, 0.0, 0.0)


def test_paired_scores_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="paired"):
        paired_scores([1.0, 0.0], [1.0])
    with pytest.raises(ValueError, match="at least one"):
        paired_scores([], [])
    with pytest.raises(ValueError, match="cluster labels"):
        paired_scores([1.0, 0.0], [0.0, 0.0], clusters=["x"])
    with pytest.raises(ValueError, match="resamples"):
        paired_scores([1.0], [0.0], resamples=0)


def test_paired_scores_is_fast() -> None:
    a, b = _scores(200, 6)
    paired_scores(a[:3].tolist(), b[:3].tolist(), resamples=10)  # import scipy outside the clock
    start = time.perf_counter()
    paired_scores(a.tolist(), b.tolist(), resamples=10_000)
    assert time.perf_counter() - start < 0.5


@settings(deadline=None, max_examples=50)
@given(
    st.lists(
        st.tuples(st.floats(0, 1), st.floats(0, 1)),
        min_size=1,
        max_size=40,
    )
)
def test_bootstrap_interval_contains_the_mean_difference(pairs: list[tuple[float, float]]) -> None:
    a, b = zip(*pairs, strict=True)
    result = paired_scores(list(a), list(b), resamples=2_000)
    assert result.low - 1e-12 <= result.difference <= result.high + 1e-12
    assert 0.0 < result.p_value <= 1.0


# --- multiple comparisons -------------------------------------------------------------


P_SETS = [
    [0.01, 0.04, 0.03, 0.5],
    [0.001, 0.001, 0.2, 0.2, 0.03],  # ties
    [0.9],
    np.random.default_rng(0).random(25).tolist(),
    (np.random.default_rng(1).random(12) ** 4).tolist(),
]


@pytest.mark.parametrize("p_values", P_SETS)
def test_holm_matches_statsmodels(p_values: list[float]) -> None:
    expected = multipletests(p_values, method="holm")[1]
    assert holm(p_values) == pytest.approx(expected.tolist(), rel=1e-12)


@pytest.mark.parametrize("p_values", P_SETS)
def test_benjamini_hochberg_matches_statsmodels(p_values: list[float]) -> None:
    expected = multipletests(p_values, method="fdr_bh")[1]
    assert benjamini_hochberg(p_values) == pytest.approx(expected.tolist(), rel=1e-12)


def test_adjustments_of_nothing_and_of_invalid_p() -> None:
    assert holm([]) == []
    assert benjamini_hochberg([]) == []
    with pytest.raises(ValueError):
        holm([0.2, 1.5])


@given(st.lists(st.floats(0, 1), min_size=1, max_size=30))
def test_holm_is_at_least_raw_and_monotone(p_values: list[float]) -> None:
    adjusted = holm(p_values)
    assert all(raw <= adj <= 1.0 for raw, adj in zip(p_values, adjusted, strict=True))
    by_raw = [adj for _, adj in sorted(zip(p_values, adjusted, strict=True))]
    assert by_raw == sorted(by_raw)
    bh = benjamini_hochberg(p_values)
    # BH controls the weaker error rate, so it never adjusts more than Holm (m/i ≤ m − i + 1).
    assert all(raw <= q <= h for raw, q, h in zip(p_values, bh, adjusted, strict=True))
