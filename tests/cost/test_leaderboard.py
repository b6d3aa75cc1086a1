"""`compare_rankings`: a public leaderboard's order against the run's, on a real run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from scipy.stats import kendalltau, spearmanr
from tests.projects.cost import CostProject, answer, usage

from fieldeval.cost.leaderboard import RankComparison, compare_rankings
from fieldeval.results.candidates import compare_candidates
from fieldeval.results.summary import summarize
from fieldeval.store import Store

IDS = [f"e{i}" for i in range(20)]
# Nested passes: p passes all 20, q the first 15, r the first 10, s the first 5; `down`
# always fails to answer, so it has no rank here whatever its public score.
PASSING = {"p": 20, "q": 15, "r": 10, "s": 5}
RATES = [1.0, 0.75, 0.5, 0.25]
HIGHER: dict[str, Any] = {
    "name": "Arena",
    "scores": {"p": 80, "q": 90, "r": 70, "s": 60, "down": 99},
}
LOWER: dict[str, Any] = {
    "name": "Perplexity",
    "scores": {"p": 3.0, "q": 1.0, "r": 2.0, "s": 4.0},
    "higher_is_better": False,
}
TIED: dict[str, Any] = {"name": "Tied", "scores": {"p": 5, "q": 5, "r": 5}}
PAIR: dict[str, Any] = {"name": "Two", "scores": {"p": 1, "q": 2}}


@pytest.fixture
def rankings(tmp_path: Path, store: Store) -> tuple[RankComparison, ...]:
    project = CostProject(tmp_path, store)
    loaded = project.write(
        IDS, dict.fromkeys([*PASSING, "down"]), leaderboards=[HIGHER, LOWER, TIED, PAIR]
    )
    table = {
        c: {e: answer("ok" if i < k else "nope", usage(1, 1)) for i, e in enumerate(IDS)}
        for c, k in PASSING.items()
    }
    table["down"] = dict.fromkeys(IDS, "RAISE")
    info = project.run(loaded, table)
    outputs = store.outputs(info.id)
    summary = summarize(store.run(info.id), outputs)
    pairs = compare_candidates(outputs, info.candidates)
    return compare_rankings(loaded.suite.leaderboards, summary, pairs)


def test_ranks_and_correlations_match_scipy_and_the_hand_count(
    rankings: tuple[RankComparison, ...],
) -> None:
    arena = rankings[0]
    assert arena.candidates == ("p", "q", "r", "s")  # `down` has a score but no answers
    assert arena.public_rank == {"q": 1, "p": 2, "r": 3, "s": 4}
    assert arena.own_rank == {"p": 1, "q": 2, "r": 3, "s": 4}
    # 5 of the 6 pairs in the same order, 1 reversed: τ = (5 − 1)/6; ρ = 1 − 6·2/(4·15)
    assert arena.kendall_tau == pytest.approx(4 / 6)
    assert arena.spearman_rho == pytest.approx(0.8)
    scores = [80, 90, 70, 60]
    assert arena.kendall_tau == pytest.approx(kendalltau(scores, RATES).statistic)
    assert arena.spearman_rho == pytest.approx(spearmanr(scores, RATES).statistic)


def test_reversed_pairs_carry_the_paired_difference(rankings: tuple[RankComparison, ...]) -> None:
    (flip,) = rankings[0].reversed_pairs
    assert (flip.ahead_publicly, flip.ahead_here) == ("q", "p")
    assert flip.difference == pytest.approx(0.25) and flip.n == 20
    assert flip.low < flip.difference < flip.high
    # 5 discordant examples, all one way: mid-p 1/32, times up to 6 by Holm: not separable.
    assert flip.separable is False


def test_lower_is_better_boards_rank_the_smallest_first(
    rankings: tuple[RankComparison, ...],
) -> None:
    perplexity = rankings[1]
    assert perplexity.public_rank == {"q": 1, "r": 2, "p": 3, "s": 4}
    flips = {(f.ahead_publicly, f.ahead_here): f for f in perplexity.reversed_pairs}
    assert set(flips) == {("q", "p"), ("r", "p")}
    # p passes 10 examples r fails, and r none that p fails: separable after Holm.
    assert flips["r", "p"].difference == pytest.approx(0.5)
    assert flips["r", "p"].separable is True
    negated = [-3.0, -1.0, -2.0, -4.0]
    assert perplexity.kendall_tau == pytest.approx(kendalltau(negated, RATES).statistic)
    assert perplexity.spearman_rho == pytest.approx(spearmanr(negated, RATES).statistic)


def test_ties_share_the_average_rank_and_leave_correlation_undefined(
    rankings: tuple[RankComparison, ...],
) -> None:
    tied, two = rankings[2], rankings[3]
    assert tied.public_rank == {"p": 2.0, "q": 2.0, "r": 2.0}
    assert tied.kendall_tau is None and tied.spearman_rho is None
    assert tied.reversed_pairs == ()  # a public tie orders nothing
    # Two candidates: τ is defined (here −1), ρ needs three.
    assert two.kendall_tau == pytest.approx(-1.0) and two.spearman_rho is None
    assert [(f.ahead_publicly, f.ahead_here) for f in two.reversed_pairs] == [("q", "p")]
