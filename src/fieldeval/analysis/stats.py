"""Small-sample statistics used everywhere a rate or a latency is shown."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Z95 = 1.959963984540054  # the standard normal's 97.5th percentile


@dataclass(frozen=True)
class Rate:
    """k successes of n, with a 95% Wilson score interval."""

    k: int
    n: int
    low: float
    high: float

    @property
    def value(self) -> float | None:
        return self.k / self.n if self.n else None


def wilson(k: int, n: int, z: float = Z95) -> Rate:
    """The Wilson score interval for k of n: center ± half-width, both in [0, 1].

    center = (k + z²/2) / (n + z²)
    half   = z·sqrt(k(n-k)/n + z²/4) / (n + z²)
    With n = 0 the interval is the whole [0, 1]: nothing is known.
    """
    if n == 0:
        return Rate(0, 0, 0.0, 1.0)
    if not 0 <= k <= n:
        raise ValueError(f"k must be between 0 and n, got k={k}, n={n}")
    z2 = z * z
    center = (k + z2 / 2) / (n + z2)
    half = z * math.sqrt(k * (n - k) / n + z2 / 4) / (n + z2)
    return Rate(k, n, max(0.0, center - half), min(1.0, center + half))


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) by linear interpolation between order statistics.

    This is numpy's default ("linear", Hyndman-Fan type 7): rank = q/100·(n-1).
    """
    if not values:
        return None
    if not 0 <= q <= 100:
        raise ValueError(f"q must be within [0, 100], got {q}")
    ordered = sorted(values)
    rank = q / 100 * (len(ordered) - 1)
    below = math.floor(rank)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (rank - below)


@dataclass(frozen=True)
class Mean:
    """A mean with its standard error and a t interval; n values (c clusters when clustered)."""

    value: float
    n: int
    se: float
    low: float
    high: float
    df: int
    clusters: int | None = None


def t_interval(values: Sequence[float], *, confidence: float = 0.95) -> Mean:
    raise NotImplementedError


def clustered_mean(
    values: Sequence[float], clusters: Sequence[object], *, confidence: float = 0.95
) -> Mean:
    """Inspect's clustered standard error, df = C − 1."""
    raise NotImplementedError


def zero_failure_upper_bound(n: int, *, alpha: float = 0.05) -> float:
    """The highest failure rate still consistent with 0 failures in n: 1 − α^(1/n)."""
    raise NotImplementedError
