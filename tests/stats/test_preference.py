"""Side-by-side preferences, checked against scipy, statsmodels and hand computations."""

from __future__ import annotations

import math

import pytest
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint

from fieldeval.stats.intervals import Z95, wilson
from fieldeval.stats.preference import Choice, position_bias, preferences


def _choices(left: str, right: str, left_wins: int, right_wins: int, ties: int) -> list[Choice]:
    return (
        [Choice(left, right, "left")] * left_wins
        + [Choice(left, right, "right")] * right_wins
        + [Choice(left, right, "tie")] * ties
    )


def test_counts_follow_candidates_not_sides() -> None:
    choices = [
        Choice("b", "a", "left"),  # b wins, shown on the left
        Choice("a", "b", "left"),  # a wins
        Choice("b", "a", "right"),  # a wins, shown on the right
        Choice("a", "b", "tie"),
        Choice("c", "a", "left"),  # c wins
    ]
    ab, ac = preferences(choices)
    assert (ab.first, ab.second, ab.n) == ("a", "b", 4)
    assert (ab.first_wins, ab.second_wins, ab.ties) == (2, 1, 1)
    assert ab.win_rate == pytest.approx((2 + 0.5) / 4)
    assert (ac.first, ac.second, ac.n) == ("a", "c", 1)
    assert (ac.first_wins, ac.second_wins, ac.ties) == (0, 1, 0)
    assert ac.win_rate == 0.0


def test_pairs_are_sorted() -> None:
    choices = [Choice("z", "y", "left"), Choice("b", "c", "tie"), Choice("a", "z", "right")]
    assert [(p.first, p.second) for p in preferences(choices)] == [
        ("a", "z"),
        ("b", "c"),
        ("y", "z"),
    ]
    assert preferences([]) == []


def test_win_rate_interval_with_ties_is_wilson_on_half_counted_ties() -> None:
    (pair,) = preferences(_choices("a", "b", 9, 4, 5))
    # k = 9 + 2.5 = 11.5 of n = 18.
    k, n, z2 = 11.5, 18, Z95**2
    center = (k + z2 / 2) / (n + z2)
    half = Z95 * math.sqrt(k * (n - k) / n + z2 / 4) / (n + z2)
    assert pair.win_rate == pytest.approx(11.5 / 18)
    assert pair.win_rate_low == pytest.approx(center - half)
    assert pair.win_rate_high == pytest.approx(center + half)
    low, high = proportion_confint(11.5, 18, alpha=0.05, method="wilson")
    assert (pair.win_rate_low, pair.win_rate_high) == pytest.approx((low, high), abs=1e-12)


@pytest.mark.parametrize(("wins", "losses"), [(0, 7), (3, 3), (7, 0), (12, 5)])
def test_win_rate_interval_without_ties_is_stats_wilson(wins: int, losses: int) -> None:
    (pair,) = preferences(_choices("a", "b", wins, losses, 0))
    rate = wilson(wins, wins + losses)
    assert (pair.win_rate_low, pair.win_rate_high) == (rate.low, rate.high)


@pytest.mark.parametrize(("wins", "losses", "ties"), [(9, 4, 5), (20, 5, 0), (1, 1, 8), (0, 6, 2)])
def test_sign_test_matches_scipy_with_ties_dropped(wins: int, losses: int, ties: int) -> None:
    (pair,) = preferences(_choices("a", "b", wins, losses, ties))
    expected = sps.binomtest(wins, wins + losses, 0.5).pvalue
    assert pair.sign_p == pytest.approx(expected, rel=1e-12)


def test_sign_test_by_hand_and_all_ties() -> None:
    (pair,) = preferences(_choices("a", "b", 6, 0, 3))
    assert pair.sign_p == pytest.approx(2 * 0.5**6)  # two-sided: 6 of 6 either way
    (tied,) = preferences(_choices("a", "b", 0, 0, 4))
    assert tied.win_rate == 0.5 and tied.sign_p is None
    low, high = tied.win_rate_low, tied.win_rate_high
    assert low is not None and high is not None and low < 0.5 < high


def test_position_bias_test() -> None:
    # The left side wins 30 of 40 decisive choices, whoever sits there.
    choices = _choices("a", "b", 15, 5, 3) + _choices("b", "a", 15, 5, 2)
    bias = position_bias(choices)
    assert bias.left_chosen == wilson(30, 40)
    assert bias.p == pytest.approx(sps.binomtest(30, 40, 0.5).pvalue, rel=1e-12)
    assert bias.p is not None and bias.p < 0.01
    # The candidates themselves are even: each won 20 of 40.
    (pair,) = preferences(choices)
    assert (pair.first_wins, pair.second_wins, pair.ties) == (20, 20, 5)
    assert pair.sign_p == pytest.approx(1.0)


def test_no_position_bias_and_no_decisive_choice() -> None:
    even = position_bias(_choices("a", "b", 10, 10, 1))
    assert even.left_chosen.value == 0.5 and even.p == pytest.approx(1.0)
    nothing = position_bias(_choices("a", "b", 0, 0, 3))
    assert nothing.left_chosen == wilson(0, 0) and nothing.p is None
    assert position_bias([]).p is None


def test_bad_choices_are_refused() -> None:
    with pytest.raises(ValueError, match="two different candidates"):
        preferences([Choice("a", "a", "left")])
    with pytest.raises(ValueError, match="winner"):
        position_bias([Choice("a", "b", "both")])  # type: ignore[arg-type]


def test_both_orders_of_one_example_are_one_unit() -> None:
    # e1: a wins in both orders; e2: each order went to the side shown first (a split);
    # e3: b wins in both orders, and a second grader agrees.
    choices = [
        Choice("a", "b", "left", "e1"),
        Choice("b", "a", "right", "e1"),
        Choice("a", "b", "left", "e2"),
        Choice("b", "a", "left", "e2"),
        Choice("a", "b", "right", "e3"),
        Choice("b", "a", "left", "e3"),
        Choice("b", "a", "left", "e3"),
    ]
    (pair,) = preferences(choices)
    assert (pair.n, pair.choices) == (3, 7)
    assert (pair.first_wins, pair.ties, pair.second_wins) == (1, 1, 1)
    assert pair.win_rate == pytest.approx((1 + 0.5 + 0) / 3)
    assert pair.sign_p == pytest.approx(1.0)  # 1 example won against 1 lost
    assert pair.win_rate_low is not None and pair.win_rate_high is not None
    assert 0 <= pair.win_rate_low < pair.win_rate < pair.win_rate_high <= 1
