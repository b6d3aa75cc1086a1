"""Paired comparisons: two candidates (or two runs) on the same examples.

Formulas: docs/statistics.md. Differences are always `a − b`.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING

from fieldeval.stats.intervals import clustered_mean, t_interval

if TYPE_CHECKING:  # numpy is imported where a bootstrap needs it, not by every report
    import numpy as np
    import numpy.typing as npt

# Resampling works on blocks of at most this many draws × examples, so memory stays
# bounded (a few tens of MB) however large n or `resamples` is.
_BLOCK_CELLS = 2_000_000


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
    """McNemar's test and the Agresti–Min interval for pass/fail of `a` and `b` per example."""
    if len(a) != len(b):
        raise ValueError(f"a and b must be paired: got {len(a)} and {len(b)} results")
    if len(a) == 0:
        raise ValueError("a paired comparison needs at least one example")
    only_a = sum(1 for x, y in zip(a, b, strict=True) if x and not y)
    only_b = sum(1 for x, y in zip(a, b, strict=True) if y and not x)
    n = len(a)
    low, high = agresti_min_interval(only_a, only_b, n, confidence=confidence)
    return PairedBinary(
        n=n,
        b=only_a,
        c=only_b,
        difference=(only_a - only_b) / n,
        low=low,
        high=high,
        p_value=mcnemar_midp(only_a, only_b),
        p_exact=mcnemar_exact(only_a, only_b),
    )


def mcnemar_midp(b: int, c: int) -> float:
    """Two-sided mid-p McNemar test (Fagerland, Lydersen & Laake 2013).

    With X ~ Binomial(b + c, ½) and k = min(b, c): 2·P(X ≤ k) − P(X = k), i.e. the
    exact p-value minus the probability of the observed table. It keeps close to the
    nominal level where the exact test is conservative. b = c gives 1.
    """
    _check_counts(b, c)
    if b + c == 0:
        return 1.0
    from scipy.stats import binom

    k, m = min(b, c), b + c
    # From the unclipped exact sum: clipping first would give 1 − P(X = k) when b = c.
    mid = 2 * float(binom.cdf(k, m, 0.5)) - float(binom.pmf(k, m, 0.5))
    return min(1.0, max(0.0, mid))


def agresti_min_interval(
    b: int, c: int, n: int, *, confidence: float = 0.95
) -> tuple[float, float]:
    """Agresti–Min (2005) Wald interval for (b − c)/n after adding ½ to each of the 4 cells.

    b* = b + ½, c* = c + ½, n* = n + 2; Δ* = (b* − c*)/n*;
    SE = sqrt((b* + c*) − (b* − c*)²/n*) / n*; interval Δ* ± z·SE clipped to [−1, 1].
    """
    _check_counts(b, c)
    if b + c > n:
        raise ValueError(f"b + c cannot exceed n: got b={b}, c={c}, n={n}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be within (0, 1), got {confidence}")
    z = NormalDist().inv_cdf((1 + confidence) / 2)
    b_adj, c_adj, n_adj = b + 0.5, c + 0.5, n + 2
    center = (b_adj - c_adj) / n_adj
    se = math.sqrt((b_adj + c_adj) - (b_adj - c_adj) ** 2 / n_adj) / n_adj
    return max(-1.0, center - z * se), min(1.0, center + z * se)


def paired_scores(
    a: Sequence[float],
    b: Sequence[float],
    *,
    confidence: float = 0.95,
    resamples: int = 10_000,
    seed: int = 0,
    clusters: Sequence[Hashable] | None = None,
) -> PairedScores:
    """Mean of d = a − b with a paired t interval, a paired bootstrap and a sign-flip test.

    With `clusters` the t interval uses the clustered SE (df = C − 1), the bootstrap
    resamples whole clusters and the permutation flips the sign of whole clusters,
    since examples within a cluster are not independent.
    """
    if len(a) != len(b):
        raise ValueError(f"a and b must be paired: got {len(a)} and {len(b)} scores")
    if len(a) == 0:
        raise ValueError("a paired comparison needs at least one example")
    if resamples < 1:
        raise ValueError(f"resamples must be positive, got {resamples}")
    import numpy as np

    diffs = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    if clusters is None:
        mean = t_interval(diffs.tolist(), confidence=confidence)
        # Each example is its own cluster: the unclustered bootstrap and permutation.
        sums, sizes = diffs, np.ones_like(diffs)
    else:
        if len(clusters) != len(a):
            raise ValueError(f"got {len(a)} examples but {len(clusters)} cluster labels")
        mean = clustered_mean(diffs.tolist(), clusters, confidence=confidence)
        sums, sizes = _cluster_totals(diffs, clusters)
    rng = np.random.default_rng(seed)
    boot = _bootstrap_means(sums, sizes, resamples, rng)
    tail = (1 - confidence) / 2
    low, high = np.quantile(boot, [tail, 1 - tail])
    return PairedScores(
        n=len(a),
        difference=mean.value,
        low=float(low),
        high=float(high),
        t_low=mean.low,
        t_high=mean.high,
        p_value=_sign_flip_p(sums, resamples, rng),
    )


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values (family-wise), in the input's order.

    Sorted ascending, adj_(i) = max_{j ≤ i} min(1, (m − j + 1)·p_(j)).
    """
    _check_p_values(p_values)
    m = len(p_values)
    adjusted = [0.0] * m
    running = 0.0
    for rank, index in enumerate(sorted(range(m), key=p_values.__getitem__)):
        running = max(running, min(1.0, (m - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini–Hochberg adjusted p-values (false discovery rate), in the input's order.

    scipy's `false_discovery_control(method="bh")`: sorted ascending,
    adj_(i) = min_{j ≥ i} min(1, m·p_(j)/j).
    """
    _check_p_values(p_values)
    if not p_values:
        return []
    from scipy.stats import false_discovery_control

    return [float(q) for q in false_discovery_control(list(p_values), method="bh")]


def mcnemar_exact(b: int, c: int) -> float:
    """McNemar's exact (conditional) test on b against c discordant pairs: scipy's two-sided
    exact binomial test of b of b + c at ½, which is min(1, 2·P(X ≤ min(b, c)))."""
    _check_counts(b, c)
    if b + c == 0:
        return 1.0
    from scipy.stats import binomtest

    return float(binomtest(b, b + c, 0.5).pvalue)


def _check_counts(b: int, c: int) -> None:
    if b < 0 or c < 0:
        raise ValueError(f"discordant counts must be non-negative, got b={b}, c={c}")


def _check_p_values(p_values: Sequence[float]) -> None:
    for p in p_values:
        if not 0 <= p <= 1:
            raise ValueError(f"p-values must be within [0, 1], got {p}")


def _cluster_totals(
    diffs: npt.NDArray[np.float64], clusters: Sequence[Hashable]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Per cluster: the sum of the differences and the number of examples."""
    import numpy as np

    ids: dict[Hashable, int] = {}
    labels = np.fromiter((ids.setdefault(c, len(ids)) for c in clusters), dtype=np.intp)
    sums = np.asarray(np.bincount(labels, weights=diffs), dtype=np.float64)
    sizes = np.asarray(np.bincount(labels), dtype=np.float64)
    return sums, sizes


def _blocks(total: int, width: int) -> Iterator[int]:
    """Row counts summing to `total`, each block at most _BLOCK_CELLS cells wide."""
    rows = max(1, _BLOCK_CELLS // width)
    for start in range(0, total, rows):
        yield min(rows, total - start)


def _bootstrap_means(
    sums: npt.NDArray[np.float64],
    sizes: npt.NDArray[np.float64],
    resamples: int,
    rng: np.random.Generator,
) -> npt.NDArray[np.float64]:
    """Means of `resamples` draws of the clusters with replacement (a ratio when sizes differ)."""
    import numpy as np

    count = len(sums)
    means = []
    for rows in _blocks(resamples, count):
        picks = rng.integers(0, count, size=(rows, count))
        means.append(sums[picks].sum(axis=1) / sizes[picks].sum(axis=1))
    return np.concatenate(means)


def _sign_flip_p(sums: npt.NDArray[np.float64], resamples: int, rng: np.random.Generator) -> float:
    """Two-sided sign-flip p of the total: (1 + #{|flipped| ≥ |observed|}) / (1 + R)."""
    import numpy as np

    observed = abs(float(sums.sum()))
    if observed == 0:
        return 1.0
    # Sign patterns equivalent to the observed one give the same total up to rounding;
    # the tolerance counts them as ties instead of leaving it to the last bit.
    threshold = observed * (1 - 1e-9)
    extreme = 0
    for rows in _blocks(resamples, len(sums)):
        signs = rng.integers(0, 2, size=(rows, len(sums))) * 2 - 1
        extreme += int(np.count_nonzero(np.abs(signs @ sums) >= threshold))
    return (1 + extreme) / (1 + resamples)
