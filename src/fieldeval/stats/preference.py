"""Side-by-side preferences: win rates, a sign test, and a test for position bias."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from fieldeval.stats.intervals import Rate, mean_proportion, wilson, wilson_bounds


@dataclass(frozen=True)
class Choice:
    """One side-by-side judgement: which shown side won, and who was shown where."""

    left: str  # candidate id shown on the left (or first, to a judge)
    right: str
    winner: Literal["left", "right", "tie"]
    # The example judged. Choices on one example (both orders, several graders) are one
    # unit: they share what makes that example lean one way. None: a unit of its own.
    example_id: str | None = None


@dataclass(frozen=True)
class PairPreference:
    first: str  # candidate ids, in sorted order
    second: str
    n: int  # examples (units) judged
    first_wins: int  # examples `first` won: more of its choices went to it than to `second`
    second_wins: int
    ties: int  # examples that split evenly
    win_rate: float | None  # of `first`: the mean over examples of (W + 0.5·T) / choices
    win_rate_low: float | None  # 95% interval (see `preferences`)
    win_rate_high: float | None
    sign_p: float | None  # exact two-sided sign test on the examples won, ties dropped
    choices: int = 0  # judgements behind the n examples (both orders count twice)


@dataclass(frozen=True)
class PositionBias:
    left_chosen: Rate  # the left side's share of non-tie choices
    p: float | None  # exact two-sided binomial test against 0.5


def preferences(choices: Sequence[Choice]) -> list[PairPreference]:
    """Win counts, win rate and sign test for each pair of candidates compared, sorted by pair.

    The example is the unit: its choices (both orders, several graders) give it a score
    s = (W + ½T)/choices for `first`, and it is won, lost or tied as s is above, below or at
    ½. The win rate is the mean of s. Its interval is Wilson's on Σs of n (the score
    interval's formula holds for a fractional count) when every example was judged once,
    and `mean_proportion`'s (Wilson on the effective n) when some were judged more often.
    The sign test is the exact two-sided binomial test of examples won against lost, ½
    (None without a decisive example).
    """
    scores: dict[tuple[str, str], dict[object, list[float]]] = {}
    for index, choice in enumerate(choices):
        _check(choice)
        pair = (min(choice.left, choice.right), max(choice.left, choice.right))
        if choice.winner == "tie":
            score = 0.5
        else:
            winner = choice.left if choice.winner == "left" else choice.right
            score = 1.0 if winner == pair[0] else 0.0
        unit = choice.example_id if choice.example_id is not None else ("choice", index)
        scores.setdefault(pair, {}).setdefault(unit, []).append(score)
    result = []
    for (first, second), by_unit in sorted(scores.items()):
        means = [sum(unit) / len(unit) for unit in by_unit.values()]
        judged = sum(len(unit) for unit in by_unit.values())
        wins = sum(mean > 0.5 for mean in means)
        losses = sum(mean < 0.5 for mean in means)
        n = len(means)
        low: float | None
        high: float | None
        if judged == n:
            low, high = wilson_bounds(sum(means), n)
        else:
            interval = mean_proportion(means, trials=judged)
            low, high = (interval.low, interval.high) if n > 1 else (None, None)
        result.append(
            PairPreference(
                first=first,
                second=second,
                n=n,
                first_wins=wins,
                second_wins=losses,
                ties=n - wins - losses,
                win_rate=sum(means) / n,
                win_rate_low=low,
                win_rate_high=high,
                sign_p=_binomial_p(wins, wins + losses),
                choices=judged,
            )
        )
    return result


def position_bias(choices: Sequence[Choice]) -> PositionBias:
    """How often the side shown on the left wins, ties dropped, against ½ (exact binomial test).

    Candidates shown in both orders should win about as often from either side; a left
    share far from ½ means the grader favours a position. p is None with no decisive choice.
    """
    for choice in choices:
        _check(choice)
    decisive = sum(1 for choice in choices if choice.winner != "tie")
    left = sum(1 for choice in choices if choice.winner == "left")
    return PositionBias(left_chosen=wilson(left, decisive), p=_binomial_p(left, decisive))


def _binomial_p(k: int, n: int) -> float | None:
    """Exact two-sided binomial test of k of n against ½; None when n = 0."""
    if n == 0:
        return None
    from scipy.stats import binomtest

    return float(binomtest(k, n, 0.5).pvalue)


def _check(choice: Choice) -> None:
    if choice.left == choice.right:
        raise ValueError(f"a choice needs two different candidates, got {choice.left!r} twice")
    if choice.winner not in ("left", "right", "tie"):
        raise ValueError(f"winner must be 'left', 'right' or 'tie', got {choice.winner!r}")
