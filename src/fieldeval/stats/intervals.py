"""Small-sample statistics used everywhere a rate or a latency is shown."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TypeAlias

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

    @property
    def counted(self) -> str:
        """What the rate counts, as written beside it: `10/25`."""
        return f"{self.k}/{self.n}"

    @property
    def has_interval(self) -> bool:
        """Whether an interval is worth showing: with n = 0 it is all of [0, 1]."""
        return self.n > 0


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
    return Rate(k, n, *wilson_bounds(k, n, z))


def wilson_bounds(k: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson's score bounds for k of n, where k and n may be fractional (an effective n).

    The one place the formula is written: `wilson`, `mean_proportion` and the win rate
    use it. No library takes a fractional k; tests check it against statsmodels.
    """
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    z2 = z * z
    center = (k + z2 / 2) / (n + z2)
    half = z * math.sqrt(k * (n - k) / n + z2 / 4) / (n + z2)
    # At k = 0 or k = n the bound is exactly 0 or 1; the float sum can miss it by 2⁻⁵³.
    low = 0.0 if k == 0 else max(0.0, center - half)
    high = 1.0 if k == n else min(1.0, center + half)
    return low, high


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
    """The mean with a Student t interval: mean ± t_{n−1, (1+confidence)/2} · sd / √n.

    sd has ddof = 1. With a single value the spread is unknown: se is nan and the
    interval is (−inf, inf).
    """
    _check_confidence(confidence)
    n = len(values)
    if n == 0:
        raise ValueError("a mean needs at least one value")
    mean = math.fsum(values) / n
    if n < 2:
        return Mean(mean, n, math.nan, -math.inf, math.inf, df=0)
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
    return _with_t_interval(mean, n, sd / math.sqrt(n), df=n - 1, confidence=confidence)


def clustered_mean(
    values: Sequence[float], clusters: Sequence[object], *, confidence: float = 0.95
) -> Mean:
    """The mean with a cluster-robust standard error and a t interval with df = C − 1.

    SE = sqrt(C/(C−1) · Σ_c (Σ_{i∈c} (x_i − x̄))²) / n over C clusters (Miller 2024,
    appendix A, as in Inspect AI). With fewer than two clusters se is nan and the
    interval is (−inf, inf).
    """
    _check_confidence(confidence)
    n = len(values)
    if n == 0:
        raise ValueError("a mean needs at least one value")
    if len(clusters) != n:
        raise ValueError(f"got {n} values but {len(clusters)} cluster labels")
    mean = math.fsum(values) / n
    residual_sums: dict[object, float] = {}
    for value, cluster in zip(values, clusters, strict=True):
        residual_sums[cluster] = residual_sums.get(cluster, 0.0) + (value - mean)
    count = len(residual_sums)
    if count < 2:
        return Mean(mean, n, math.nan, -math.inf, math.inf, df=0, clusters=count)
    spread = math.fsum(r * r for r in residual_sums.values()) * count / (count - 1)
    return _with_t_interval(
        mean, n, math.sqrt(spread) / n, df=count - 1, confidence=confidence, clusters=count
    )


def mean_proportion(
    fractions: Sequence[float],
    clusters: Sequence[object] | None = None,
    *,
    trials: int | None = None,
    z: float = Z95,
) -> Mean:
    """The mean of per-example pass fractions, with a Wilson interval on the effective n.

    The standard error is the one of the means (`t_interval`, or `clustered_mean` with
    `clusters`), so repeats and clusters count once; the interval is Wilson's for the mean
    p̂ on n_eff = p̂(1 − p̂)/SE² units (n over the design effect; Dean & Pagano 2015), at
    most `trials` (the outputs behind the fractions). Unlike a t interval on 0/1 data it
    stays within [0, 1] and is not a point when every example passed: with no variation
    seen, n_eff = n. With fewer than two units (or clusters) no interval exists and the
    bounds are (−inf, inf).
    """
    base = t_interval(fractions) if clusters is None else clustered_mean(fractions, clusters)
    if not math.isfinite(base.se):
        return base
    low, high = effective_wilson_bounds(base.value, base.se, base.n, trials=trials, z=z)
    return replace(base, low=low, high=high)


def effective_wilson_bounds(
    p: float, se: float, n: int, *, trials: float | None = None, z: float = Z95
) -> tuple[float, float]:
    """Wilson's bounds for a mean share p̂ with standard error `se` over n units.

    On n_eff = p̂(1 − p̂)/se² (n when no variation was seen), at most `trials`: the design
    effect of repeats or clusters taken into a rate that stays within [0, 1].
    """
    binomial = p * (1 - p)
    effective = float(n) if binomial == 0 or se == 0 else binomial / se**2
    if trials is not None:
        effective = min(effective, float(trials))
    # p·n_eff of n_eff, exactly n_eff when every unit passed.
    return wilson_bounds(effective if p == 1 else p * effective, effective, z)


@dataclass(frozen=True)
class ExampleRate:
    """A rate whose unit is the example, when examples have several outcomes (repeats).

    value is the mean over the n examples of each one's share of outcomes; `outputs` is how
    many outcomes lie behind them. The interval is `mean_proportion`'s. With one example
    none exists, and low and high are nan.
    """

    value: float
    n: int
    outputs: int
    low: float
    high: float

    @property
    def counted(self) -> str:
        """What the rate counts, as written beside it: `of 25 examples`."""
        return f"of {self.n} example{'s' if self.n != 1 else ''}"

    @property
    def has_interval(self) -> bool:
        """False with a single example, where no interval exists (the bounds are nan)."""
        return not math.isnan(self.low)

    @classmethod
    def of_mean(cls, mean: Mean, outputs: int) -> ExampleRate:
        """A `mean_proportion` result as a rate; its infinite bounds (one unit) become nan."""
        if not math.isfinite(mean.low):
            return cls(mean.value, mean.n, outputs, math.nan, math.nan)
        return cls(mean.value, mean.n, outputs, mean.low, mean.high)


# What a rate shown to a user is: k of n examples, or the mean of n examples' shares.
Proportion: TypeAlias = Rate | ExampleRate


def low_or_zero(rate: Proportion) -> float:
    """The interval's lower bound; 0 where none exists (nothing rules a low rate out)."""
    return rate.low if rate.has_interval else 0.0


def high_or_one(rate: Proportion) -> float:
    """The interval's upper bound; 1 where none exists."""
    return rate.high if rate.has_interval else 1.0


def rate_over_examples(outcomes: Iterable[Sequence[bool]]) -> Proportion:
    """The rate of True over examples, each given as its outcomes (one per repeat).

    With one outcome per example this is Wilson's k of n. With more, an example's share of
    True is its outcome, so K repeats of one example never count as K examples: the mean of
    the shares, with `mean_proportion`'s interval capped at the outcomes seen.
    """
    shares = [(sum(example), len(example)) for example in outcomes if example]
    if all(total == 1 for _, total in shares):
        return wilson(sum(hits for hits, _ in shares), len(shares))
    outputs = sum(total for _, total in shares)
    mean = mean_proportion([hits / total for hits, total in shares], trials=outputs)
    return ExampleRate.of_mean(mean, outputs)


def zero_failure_upper_bound(n: int, *, alpha: float = 0.05) -> float:
    """The highest failure rate still consistent with 0 failures in n: 1 − α^(1/n).

    The one-sided exact (Clopper–Pearson) bound; about 3/n at α = 0.05 ("rule of
    three"). With n = 0 nothing is known and the bound is 1.
    """
    if n < 0:
        raise ValueError(f"n must be non-negative, got {n}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be within (0, 1), got {alpha}")
    if n == 0:
        return 1.0
    # -expm1(log(α)/n) equals 1 − α^(1/n) without cancellation when n is large.
    return -math.expm1(math.log(alpha) / n)


def _with_t_interval(
    mean: float,
    n: int,
    se: float,
    *,
    df: int,
    confidence: float,
    clusters: int | None = None,
) -> Mean:
    # Imported here: this module is loaded to display rates, scipy only to compute means.
    from scipy.stats import t

    half = float(t.ppf((1 + confidence) / 2, df)) * se
    return Mean(mean, n, se, mean - half, mean + half, df=df, clusters=clusters)


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be within (0, 1), got {confidence}")
