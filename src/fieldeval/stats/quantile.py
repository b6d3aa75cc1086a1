"""A percentile (latency p50, p95) with a distribution-free 95% interval."""

from __future__ import annotations

import math
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

    scipy's `quantile_test(...).confidence_interval`: with B the number of values below the
    true percentile, B ~ Binomial(n, q/100), and [x₍r₎, x₍s₎] covers it with probability at
    least `confidence`, whatever the distribution. A rank outside 1..n leaves that side
    unbounded (None): p95 needs n ≥ 72 for an upper bound.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be within (0, 1), got {confidence}")
    point = percentile(values, q)
    n = len(values)
    if n == 0:
        return Quantile(q, 0, None, None, None)
    # Imported here: scipy is slow to load and only this computation needs it.
    from scipy.stats import quantile_test

    # The hypothesised value (0) plays no part in the interval.
    interval = quantile_test(values, q=0, p=q / 100).confidence_interval(confidence)
    return Quantile(q, n, point, _bound(interval.low), _bound(interval.high))


def _bound(value: float) -> float | None:
    """scipy marks a side it cannot bound with nan or ±inf; here that is None."""
    return float(value) if math.isfinite(value) else None
