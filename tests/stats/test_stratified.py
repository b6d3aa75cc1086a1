"""The stratified (judge-corrected) rate, checked by hand and against scipy's Beta quantiles."""

from __future__ import annotations

import math

import pytest
from scipy.stats import beta

from fieldeval.stats.intervals import Z95, clustered_mean, t_interval, wilson
from fieldeval.stats.stratified import (
    PILOT,
    StratifiedDifference,
    Stratum,
    cluster_design_effect,
    grading_gain,
    stratified_difference,
    stratified_rate,
)


def _jeffreys(k: float, n: float) -> tuple[float, float]:
    low, high = beta.ppf([0.025, 0.975], k + 0.5, n - k + 0.5)
    return float(low), float(high)


def test_estimate_and_interval_by_hand() -> None:
    # 200 outputs: the judge passed 120, people graded 30 of them and passed 27; of the 80
    # the judge failed, people graded 20 and passed 4.
    passed, failed = Stratum(120, 30, 27), Stratum(80, 20, 4)
    rate = stratified_rate(passed, failed)
    assert rate.value == pytest.approx(0.6 * 0.9 + 0.4 * 0.2)
    below = above = 0.0
    for share, (k, n) in ((0.6, (27, 30)), (0.4, (4, 20))):
        low, high = _jeffreys(k, n)
        below += (share * (k / n - low)) ** 2
        above += (share * (high - k / n)) ** 2
    between = Z95**2 * (0.9 - 0.2) ** 2 * 0.6 * 0.4 / 200
    assert rate.low == pytest.approx(0.62 - math.sqrt(below + between))
    assert rate.high == pytest.approx(0.62 + math.sqrt(above + between))
    assert (rate.units, rate.graded) == (200, 50)


def test_the_judge_is_corrected_not_trusted() -> None:
    # A lenient judge passed 90% of outputs; people found a third of those passes wrong.
    rate = stratified_rate(Stratum(90, 30, 20), Stratum(10, 10, 0))
    assert rate.value == pytest.approx(0.9 * 2 / 3)
    assert rate.low is not None and rate.high is not None
    assert rate.high < 0.9  # the judge's own rate is ruled out


def test_everything_graded_leaves_only_what_people_said() -> None:
    rate = stratified_rate(Stratum(30, 30, 24), Stratum(20, 20, 2))
    assert rate.value == pytest.approx(26 / 50)
    # Every output graded: the rate on inputs like these is still uncertain, about as
    # Wilson's interval on people's 26 of 50 says; the judge adds nothing and costs little.
    people = wilson(26, 50)
    assert rate.low == pytest.approx(people.low, abs=0.02)
    assert rate.high == pytest.approx(people.high, abs=0.02)


def test_no_estimate_while_a_stratum_is_ungraded() -> None:
    rate = stratified_rate(Stratum(40, 10, 9), Stratum(10, 0, 0))
    assert (rate.value, rate.low, rate.high) == (None, None, None)
    # A stratum the judge never used needs no grade.
    only = stratified_rate(Stratum(40, 10, 9), Stratum(0, 0, 0))
    assert only.value == pytest.approx(0.9)
    assert only.low is not None and only.low < 0.9 < (only.high or 0)


def test_a_design_effect_widens_the_interval_and_keeps_the_estimate() -> None:
    plain = stratified_rate(Stratum(120, 30, 27), Stratum(80, 20, 4))
    clustered = stratified_rate(Stratum(120, 30, 27), Stratum(80, 20, 4), design_effect=2.5)
    assert clustered.value == plain.value
    assert clustered.low is not None and plain.low is not None
    assert clustered.high is not None and plain.high is not None
    assert clustered.low < plain.low and clustered.high > plain.high
    with pytest.raises(ValueError, match="at least 1"):
        stratified_rate(Stratum(1, 1, 1), Stratum(1, 1, 0), design_effect=0.5)


def test_bad_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="passed ≤ graded ≤ units"):
        Stratum(units=5, graded=6, passed=1)


def test_grading_gain_covers_every_stratum_then_follows_its_size() -> None:
    total = 200
    # Fewer than the pilot's grades in a stratum with outputs: it comes first.
    assert grading_gain(Stratum(80, 0, 0), total) == math.inf
    assert grading_gain(Stratum(80, PILOT - 1, 0), total) == math.inf
    # Fully graded: nothing to gain.
    assert grading_gain(Stratum(80, 80, 40), total) == 0.0
    assert grading_gain(Stratum(5, 5, 5), total) == 0.0  # smaller than the pilot, all graded
    # A bigger share gains more; people's grades so far do not steer it.
    big, small = Stratum(150, 20, 20), Stratum(50, 20, 10)
    assert grading_gain(big, total) > grading_gain(small, total) > 0
    assert grading_gain(Stratum(150, 20, 0), total) == grading_gain(big, total)
    # Grades already queued count as given.
    assert grading_gain(big, total, planned=10) < grading_gain(big, total)
    assert grading_gain(big, total) == pytest.approx(0.75**2 / (4 * 20 * 21))


def test_cluster_design_effect() -> None:
    # One output per example: no clustering.
    assert cluster_design_effect([1.0, 0.0, 1.0], ["a", "b", "c"]) == 1.0
    # Repeats that always agree: the design effect is the repeats per example (about).
    values = [1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    clusters = ["a"] * 3 + ["b"] * 3 + ["c"] * 3 + ["d"] * 3
    expected = (clustered_mean(values, clusters).se / t_interval(values).se) ** 2
    assert cluster_design_effect(values, clusters) == pytest.approx(expected)
    assert cluster_design_effect(values, clusters) > 2.5
    # No variation: nothing to inflate.
    assert cluster_design_effect([1.0] * 4, ["a", "a", "b", "b"]) == 1.0


def test_difference_combines_the_two_intervals() -> None:
    a = stratified_rate(Stratum(120, 30, 27), Stratum(80, 20, 4))
    b = stratified_rate(Stratum(60, 20, 12), Stratum(140, 30, 3))
    difference = stratified_difference(a, b)
    assert a.value is not None and b.value is not None
    assert a.low is not None and a.high is not None and b.low is not None and b.high is not None
    assert difference.value == pytest.approx(a.value - b.value)
    assert difference.low == pytest.approx(
        a.value - b.value - math.hypot(a.value - a.low, b.high - b.value)
    )
    assert difference.high == pytest.approx(
        a.value - b.value + math.hypot(a.high - a.value, b.value - b.low)
    )
    missing = stratified_rate(Stratum(10, 0, 0), Stratum(10, 5, 1))
    assert stratified_difference(a, missing) == StratifiedDifference(None, None, None)


def test_the_stratum_intervals_are_statsmodels_jeffreys() -> None:
    from statsmodels.stats.proportion import proportion_confint

    # One stratum holding every output: the interval is that stratum's Jeffreys interval.
    rate = stratified_rate(Stratum(1000, 1000, 700), Stratum(0, 0, 0))
    low, high = proportion_confint(700, 1000, method="jeffreys")
    assert rate.low == pytest.approx(low) and rate.high == pytest.approx(high)
