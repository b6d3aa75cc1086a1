"""Paired comparisons: two candidates (or two runs) on the same examples.

Formulas: docs/statistics.md. Differences are always `a − b`.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class PairedBinary:
    """Pass/fail of `a` and `b` on the same n examples."""

    n: int
    b: int  # a passed, b failed
    c: int  # a failed, b passed
    difference: float  # (b − c) / n: a's pass rate minus b's
    low: float  # Agresti–Min interval for the difference
    high: float
    p_value: float  # McNemar mid-p, two-sided
    p_exact: float  # exact McNemar (conditional binomial), two-sided


@dataclass(frozen=True)
class PairedScores:
    """Graded scores of `a` and `b` on the same n examples."""

    n: int
    difference: float  # mean of a − b
    low: float  # paired bootstrap percentile interval
    high: float
    t_low: float  # paired t interval (clustered SE with df = C − 1 when clusters are given)
    t_high: float
    p_value: float  # sign-flip permutation, two-sided


def mcnemar(a: Sequence[bool], b: Sequence[bool], *, confidence: float = 0.95) -> PairedBinary:
    raise NotImplementedError


def mcnemar_midp(b: int, c: int) -> float:
    raise NotImplementedError


def agresti_min_interval(
    b: int, c: int, n: int, *, confidence: float = 0.95
) -> tuple[float, float]:
    raise NotImplementedError


def paired_scores(
    a: Sequence[float],
    b: Sequence[float],
    *,
    confidence: float = 0.95,
    resamples: int = 10_000,
    seed: int = 0,
    clusters: Sequence[Hashable] | None = None,
) -> PairedScores:
    raise NotImplementedError


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values (family-wise), in the input's order."""
    raise NotImplementedError


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini–Hochberg adjusted p-values (false discovery rate), in the input's order."""
    raise NotImplementedError
