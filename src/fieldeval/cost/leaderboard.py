"""A public leaderboard's ranking beside the ranking on the team's own task.

Formulas: docs/metrics.md, "Public leaderboards". Ranks are 1 for the best, ties share the
average rank; the agreement of the two rankings is Kendall's τ-b and Spearman's ρ.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

from fieldeval.results.candidates import CANNOT_SEPARATE, CandidatePair
from fieldeval.results.summary import RunSummary
from fieldeval.suite.economics import Leaderboard


@dataclass(frozen=True)
class ReversedPair:
    """A pair the leaderboard orders one way and the team's task the other."""

    ahead_publicly: str
    ahead_here: str
    difference: float  # ahead_here's pass rate − ahead_publicly's, paired
    low: float
    high: float
    separable: bool  # the team's own data tells them apart (Holm-corrected)
    n: int = 0  # examples both answered


@dataclass(frozen=True)
class RankComparison:
    leaderboard: Leaderboard
    candidates: tuple[str, ...]  # those with a public score and outputs in the run
    public_rank: dict[str, float]  # 1 = best; ties get the average rank
    own_rank: dict[str, float]
    kendall_tau: float | None  # None with fewer than two candidates, or a constant ranking
    spearman_rho: float | None  # None with fewer than three candidates, or a constant ranking
    reversed_pairs: tuple[ReversedPair, ...]


def compare_rankings(
    leaderboards: Sequence[Leaderboard], summary: RunSummary, pairs: Sequence[CandidatePair]
) -> tuple[RankComparison, ...]:
    """Per leaderboard: both rankings, their rank correlations and the pairs they disagree on.

    The team's rank is by pass rate among answered outputs. A reversed pair carries the
    paired difference of `compare_candidates`; a pair with no example both answered has
    no paired comparison and is not listed.
    """
    return tuple(_compare(board, summary, pairs) for board in leaderboards)


def _compare(
    board: Leaderboard, summary: RunSummary, pairs: Sequence[CandidatePair]
) -> RankComparison:
    from scipy.stats import kendalltau, rankdata, spearmanr

    rated = [
        (c.candidate_id, c.quality.value)
        for c in summary.candidates
        if c.candidate_id in board.scores and c.quality.value is not None
    ]
    ids = tuple(cid for cid, _ in rated)
    # rankdata ranks ascending: negate so that rank 1 is the best.
    sign = -1.0 if board.higher_is_better else 1.0
    public = [float(r) for r in rankdata([sign * board.scores[cid] for cid in ids])] if ids else []
    own = [float(r) for r in rankdata([-rate for _, rate in rated])] if ids else []
    tau = rho = None
    # A constant ranking has no order to agree with; scipy would warn and return nan.
    varies = len(set(public)) > 1 and len(set(own)) > 1
    if varies and len(ids) >= 2:
        tau = _defined(float(kendalltau(public, own).statistic))
    if varies and len(ids) >= 3:
        rho = _defined(float(spearmanr(public, own).statistic))
    public_rank = dict(zip(ids, public, strict=True))
    own_rank = dict(zip(ids, own, strict=True))
    by_pair = {(p.a, p.b): p for p in pairs}
    reversed_pairs = []
    for first, second in combinations(ids, 2):
        ahead_publicly, behind = (
            (first, second) if public_rank[first] < public_rank[second] else (second, first)
        )
        if (
            public_rank[first] == public_rank[second]
            or own_rank[behind] >= own_rank[ahead_publicly]
        ):
            continue  # a tie on either side, or the same order: nothing reversed
        found = _reversed(by_pair, ahead_publicly, behind)
        if found is not None:
            reversed_pairs.append(found)
    return RankComparison(
        leaderboard=board,
        candidates=ids,
        public_rank=public_rank,
        own_rank=own_rank,
        kendall_tau=tau,
        spearman_rho=rho,
        reversed_pairs=tuple(reversed_pairs),
    )


def _reversed(
    by_pair: dict[tuple[str, str], CandidatePair], ahead_publicly: str, ahead_here: str
) -> ReversedPair | None:
    """The paired difference ahead_here − ahead_publicly, whichever way the pair was tested."""
    pair = by_pair.get((ahead_here, ahead_publicly))
    flip = pair is None
    if pair is None:
        pair = by_pair.get((ahead_publicly, ahead_here))
    if pair is None:
        return None
    paired = pair.paired
    difference, low, high = (
        (-paired.difference, -paired.high, -paired.low)
        if flip
        else (paired.difference, paired.low, paired.high)
    )
    return ReversedPair(
        ahead_publicly=ahead_publicly,
        ahead_here=ahead_here,
        difference=difference,
        low=low,
        high=high,
        separable=pair.verdict != CANNOT_SEPARATE,
        n=paired.n,
    )


def _defined(value: float) -> float | None:
    """A correlation, or None where a constant ranking leaves it undefined (nan)."""
    return None if math.isnan(value) else value
