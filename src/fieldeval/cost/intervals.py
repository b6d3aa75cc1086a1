"""The 95% intervals of a candidate's cost per request and cost per success.

Formulas and their simulated coverage: docs/metrics.md, "Cost".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from fieldeval.stats.intervals import effective_wilson_bounds
from fieldeval.stats.ratio import ratio_bounds

# Bootstrap draws are made in blocks of at most this many draws × units, so memory stays
# bounded however many examples or resamples there are.
_BLOCK_CELLS = 2_000_000


@dataclass(frozen=True)
class Interval:
    value: float
    low: float  # 95% interval
    high: float
    n: int = 0  # units resampled: examples, or clusters when the suite names a cluster field

    @property
    def varies(self) -> bool:
        """False when every resample gave the same value (every request cost the same): a
        zero-width interval would claim a certainty n examples cannot give, so none is shown."""
        return self.high > self.low


def unit_cost_intervals(
    spent: npt.NDArray[np.float64],
    count: npt.NDArray[np.float64],
    passes: npt.NDArray[np.float64],
    *,
    seed: int = 0,
    resamples: int = 2000,
) -> tuple[Interval, Interval]:
    """Cost per request and per success from each unit's spend, requests and passes.

    Per request: Σ spent / Σ requests with a percentile bootstrap over the units. Per
    success: that cost (with a t interval on its delta-method SE over units) over the pass
    rate Σ passes / Σ requests (Wilson's on the effective n), the two combined by
    `ratio_bounds` with the correlation of their residuals. Finite whenever something
    passed, unlike a bootstrap of Σ spent / Σ passes, a third of whose draws can hold no
    pass on a small set; docs/metrics.md, "Cost", gives the simulated coverage.
    """
    mean = float(spent.sum() / count.sum())
    success = float(spent.sum() / passes.sum()) if passes.sum() else math.inf
    n = len(spent)
    if n < 2:
        # One example (or cluster) says nothing about how costs vary.
        return Interval(mean, 0.0, math.inf, n), Interval(success, 0.0, math.inf, n)
    per_request = Interval(
        mean, *_percentile_interval(_bootstrap(spent, count, resamples, seed)), n
    )
    if not passes.sum() or mean <= 0:
        return per_request, Interval(success, 0.0, math.inf, n)
    rate = float(passes.sum() / count.sum())
    rate_low, rate_high = _rate_bounds(rate, count, passes)
    low, high = ratio_bounds(
        _mean_bounds(mean, count, spent),
        (rate, rate_low, rate_high),
        _correlation(spent - mean * count, passes - rate * count),
    )
    return per_request, Interval(success, low, high, n)


def _mean_bounds(
    mean: float, count: npt.NDArray[np.float64], spent: npt.NDArray[np.float64]
) -> tuple[float, float, float]:
    """Σ spent / Σ requests ± t(n − 1)·SE, SE² = Σ (spentᵢ − ĉ·countᵢ)² / (n(n − 1)·c̄²)."""
    # Imported here: scipy is loaded only where a cost is computed, not to start the CLI.
    from scipy import stats

    n = len(count)
    se = math.sqrt(_ratio_variance(mean, count, spent))
    t = float(stats.t.ppf(0.975, n - 1))
    return mean, max(0.0, mean - t * se), mean + t * se


def _rate_bounds(
    rate: float, count: npt.NDArray[np.float64], passes: npt.NDArray[np.float64]
) -> tuple[float, float]:
    """Wilson bounds of Σ passes / Σ requests on n_eff = r(1 − r)/SE², at most Σ requests.

    SE² = Σ (passesᵢ − r·countᵢ)² / (n(n − 1)·c̄²), the ratio estimator's over units, so a
    unit's repeats count once; with no variation seen, n_eff = n.
    """
    se = math.sqrt(_ratio_variance(rate, count, passes))
    return effective_wilson_bounds(rate, se, len(count), trials=float(count.sum()))


def _ratio_variance(
    ratio: float, count: npt.NDArray[np.float64], amount: npt.NDArray[np.float64]
) -> float:
    """The delta-method variance of Σ amount / Σ count over n ≥ 2 units."""
    n = len(count)
    residuals = amount - ratio * count
    return float((residuals**2).sum()) / (n * (n - 1) * (float(count.sum()) / n) ** 2)


def _correlation(first: npt.NDArray[np.float64], second: npt.NDArray[np.float64]) -> float:
    """Pearson's r of two residual series; 0 when either does not vary."""
    if np.ptp(first) == 0 or np.ptp(second) == 0:
        return 0.0
    return float(np.clip(np.corrcoef(first, second)[0, 1], -1.0, 1.0))


def _bootstrap(
    spent: npt.NDArray[np.float64],
    count: npt.NDArray[np.float64],
    resamples: int,
    seed: int,
) -> npt.NDArray[np.float64]:
    """Σ spent / Σ requests per draw of the units with replacement."""
    rng = np.random.default_rng(seed)
    units = len(spent)
    rows = max(1, _BLOCK_CELLS // units)
    means: list[npt.NDArray[np.float64]] = []
    for start in range(0, resamples, rows):
        picks = rng.integers(0, units, size=(min(rows, resamples - start), units))
        means.append(spent[picks].sum(axis=1) / count[picks].sum(axis=1))
    return np.concatenate(means)


def _percentile_interval(draws: npt.NDArray[np.float64]) -> tuple[float, float]:
    """The 2.5th and 97.5th percentiles."""
    low, high = np.quantile(draws, [0.025, 0.975])
    return float(low), float(high)
