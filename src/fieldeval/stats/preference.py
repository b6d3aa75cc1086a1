"""Side-by-side preferences: win rates, a sign test, and a test for position bias."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from fieldeval.stats.intervals import Z95, Rate, wilson


@dataclass(frozen=True)
class Choice:
    """One side-by-side judgement: which shown side won, and who was shown where."""

    left: str  # candidate id shown on the left (or first, to a judge)
    right: str
    winner: Literal["left", "right", "tie"]


@dataclass(frozen=True)
class PairPreference:
    first: str  # candidate ids, in sorted order
    second: str
    n: int
    first_wins: int
    second_wins: int
    ties: int
    win_rate: float | None  # of `first`: (W + 0.5·T) / N
    win_rate_low: float | None  # 95% interval (Wilson on W + 0.5·T of N)
    win_rate_high: float | None
    sign_p: float | None  # exact two-sided sign test on wins, ties dropped


@dataclass(frozen=True)
class PositionBias:
    left_chosen: Rate  # the left side's share of non-tie choices
    p: float | None  # exact two-sided binomial test against 0.5


def preferences(choices: Sequence[Choice]) -> list[PairPreference]:
    """Win counts, win rate and sign test for each pair of candidates compared, sorted by pair.

    win rate of `first` = (W + ½T)/N with a Wilson interval on W + ½T of N (the score
    interval's formula holds for a fractional count); the sign test is the exact two-sided
    binomial test of W of W + L against ½, ties dropped (None without a decisive choice).
    """
    tallies: dict[tuple[str, str], list[int]] = {}
    for choice in choices:
        _check(choice)
        pair = (min(choice.left, choice.right), max(choice.left, choice.right))
        tally = tallies.setdefault(pair, [0, 0, 0])  # first wins, second wins, ties
        if choice.winner == "tie":
            tally[2] += 1
        else:
            winner = choice.left if choice.winner == "left" else choice.right
            tally[0 if winner == pair[0] else 1] += 1
    result = []
    for (first, second), (wins, losses, ties) in sorted(tallies.items()):
        n = wins + losses + ties
        score = wins + 0.5 * ties
        low, high = _wilson_bounds(score, n)
        result.append(
            PairPreference(
                first=first,
                second=second,
                n=n,
                first_wins=wins,
                second_wins=losses,
                ties=ties,
                win_rate=score / n,
                win_rate_low=low,
                win_rate_high=high,
                sign_p=_binomial_p(wins, wins + losses),
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


def _wilson_bounds(k: float, n: int, z: float = Z95) -> tuple[float | None, float | None]:
    """stats.wilson's interval for a possibly fractional k of n; (None, None) when n = 0."""
    if n == 0:
        return None, None
    z2 = z * z
    center = (k + z2 / 2) / (n + z2)
    half = z * math.sqrt(k * (n - k) / n + z2 / 4) / (n + z2)
    low = 0.0 if k == 0 else max(0.0, center - half)
    high = 1.0 if k == n else min(1.0, center + half)
    return low, high


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
