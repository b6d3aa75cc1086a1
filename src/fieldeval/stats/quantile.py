"""A percentile (latency p50, p95) with a distribution-free 95% interval."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fieldeval.stats.intervals import percentile


@dataclass(frozen=True)
class Quantile:
    """The q-th percentile of n values; a bound is None where n is too small to give one."""

    q: float  # 0-100
    n: int
    value: float | None
    low: float | None
    high: float | None


def quantile(values: Sequence[float], q: float, *, confidence: float = 0.95) -> Quantile:
    """The percentile (numpy's linear rule, as everywhere) and an order-statistic interval.

    With B the number of values below the true percentile, B ~ Binomial(n, q/100), so
    [x₍r₎, x₍s₎] covers it with probability P(r ≤ B ≤ s − 1) for r = the (1−c)/2 quantile
    of B and s − 1 = its (1+c)/2 quantile: at least `confidence`, whatever the distribution.
    A rank outside 1..n leaves that side unbounded (None): p95 needs n ≥ 72 for an upper
    bound.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be within (0, 1), got {confidence}")
    point = percentile(values, q)
    n = len(values)
    if n == 0:
        return Quantile(q, 0, None, None, None)
    # Imported here: scipy is slow to load and only this computation needs it.
    from scipy.stats import binom

    share = q / 100
    low_rank = int(binom.ppf((1 - confidence) / 2, n, share))
    high_rank = int(binom.ppf((1 + confidence) / 2, n, share)) + 1
    ordered = sorted(values)
    return Quantile(
        q,
        n,
        point,
        ordered[low_rank - 1] if low_rank >= 1 else None,
        ordered[high_rank - 1] if high_rank <= n else None,
    )
