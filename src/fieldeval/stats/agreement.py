"""Agreement between graders, per criterion: percent agreement, kappa, AC1, Krippendorff's alpha."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

Level = Literal["nominal", "ordinal"]
# unit (an output) -> grader -> value (1 pass / 0 fail, or the scale's level); n/a is left out
Units = Mapping[str, Mapping[str, int]]
Float = npt.NDArray[np.float64]

# Resampling works on blocks of at most this many draws × units, so memory stays bounded.
_BLOCK_CELLS = 2_000_000


@dataclass(frozen=True)
class Estimate:
    """A statistic with its 95% bootstrap interval; None where it is undefined."""

    value: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True)
class Agreement:
    criterion_id: str
    level: Level
    graders: tuple[str, ...]  # every grader seen on the criterion, sorted
    n_units: int  # units graded by two or more graders
    n_pairs: int  # grader pairs compared across those units
    percent: Estimate  # mean over units of the share of grader pairs that agree
    cohen_kappa: Estimate | None  # exactly two graders; weighted (quadratic) when ordinal
    krippendorff_alpha: Estimate  # any number of graders, missing grades allowed
    gwet_ac1: Estimate | None  # two graders and a binary (pass/fail) scale
    prevalence: float | None  # binary: the share of grades that are pass


def percent_agreement(units: Units) -> float | None:
    """The mean, over units graded two or more times, of the share of grader pairs that agree.

    A unit whose m grades hold a_c of value c agrees on Σ_c a_c(a_c − 1) / (m(m − 1)) of
    its pairs. None when no unit has two grades.
    """
    coded = _code(units)
    if coded.n_units == 0:
        return None
    return float(coded.shares.mean())


def cohen_kappa(
    first: Sequence[int],
    second: Sequence[int],
    *,
    weights: Literal["linear", "quadratic"] | None = None,
    categories: Sequence[int] | None = None,
) -> float | None:
    """Cohen's kappa between two graders' values on the same units.

    κ = (p_o − p_e)/(1 − p_e) with p_e = Σ_k p_1k·p_2k. Weighted, with disagreement
    weights w_ij = |i − j|/(q − 1) (linear) or (i − j)²/(q − 1)² (quadratic) between the
    positions i, j of two values in `categories` (default: the sorted values seen):
    κ_w = 1 − Σ_ij w_ij·o_ij / Σ_ij w_ij·p_1i·p_2j, o the observed proportions.
    Unweighted is the same formula with w_ij = [i ≠ j]. None when undefined: no units,
    or Σ w·p_1·p_2 = 0 (p_e = 1, as when both graders give one and the same value).
    """
    if len(first) != len(second):
        raise ValueError(f"the graders must be paired: got {len(first)} and {len(second)} values")
    if not first:
        return None
    cats = _categories([*first, *second], categories)
    table = _table(first, second, cats)
    value = _kappa(table[np.newaxis], _disagreement(len(cats), weights))[0]
    return _defined(value)


def gwet_ac1(first: Sequence[int], second: Sequence[int]) -> float | None:
    """Gwet's AC1 between two graders' values on the same units: steady when one value dominates.

    AC1 = (p_o − p_e)/(1 − p_e), p_e = Σ_k π_k(1 − π_k)/(q − 1), π_k the mean of the two
    graders' shares of value k and q the number of values seen (at least 2); on pass/fail
    p_e = 2π(1 − π). None when there are no units.
    """
    if len(first) != len(second):
        raise ValueError(f"the graders must be paired: got {len(first)} and {len(second)} values")
    if not first:
        return None
    cats = _categories([*first, *second], None)
    table = _table(first, second, cats)
    return _defined(_ac1(table[np.newaxis], max(2, len(cats)))[0])


def krippendorff_alpha(units: Units, *, level: Level = "nominal") -> float | None:
    """Krippendorff's alpha over units graded two or more times: any graders, gaps allowed.

    Coincidences o_ck = Σ_u (ordered pairs of grades (c, k) in u)/(m_u − 1), n_c = Σ_k o_ck,
    n = Σ_c n_c; α = 1 − (n − 1)·Σ o_ck·δ²_ck / Σ n_c·n_k·δ²_ck. Nominal δ²_ck = [c ≠ k];
    ordinal δ²_ck = (Σ_{g=c..k} n_g − (n_c + n_k)/2)², which depends only on the order of
    the values. None when undefined: fewer than two pairable grades, or a single value
    among them (no variation to agree on).
    """
    _check_level(level)
    coded = _code(units)
    if coded.n_units == 0:
        return None
    every = np.ones((1, coded.n_units))
    return _defined(_alpha(every @ coded.coincidences, every @ coded.counts, level)[0])


def agreement(
    units: Units,
    *,
    criterion_id: str,
    level: Level = "nominal",
    resamples: int = 2000,
    seed: int = 0,
) -> Agreement:
    """Every agreement statistic of one criterion, each with a 95% bootstrap interval.

    The bootstrap draws the units graded two or more times with replacement `resamples`
    times and takes the 2.5th and 97.5th percentiles of each statistic, skipping draws
    where it is undefined (resamples = 0: no intervals). Cohen's kappa needs exactly two
    graders on the criterion (quadratic weights when ordinal, with positions taken from
    the span of values seen, so the weights follow the distances between levels); AC1
    also needs a pass/fail scale.
    """
    _check_level(level)
    if resamples < 0:
        raise ValueError(f"resamples must not be negative, got {resamples}")
    graders = tuple(sorted({grader for grades in units.values() for grader in grades}))
    values = [value for grades in units.values() for value in grades.values()]
    binary = set(values) <= {0, 1}
    coded = _code(units)

    stats: dict[str, Callable[[Float], Float]] = {
        "percent": lambda w: (w @ coded.shares) / coded.n_units,
        "alpha": lambda w: _alpha(w @ coded.coincidences, w @ coded.counts, level),
    }
    if len(graders) == 2 and coded.n_units:
        # With two graders on the criterion, every unit graded twice was graded by both.
        first = [units[unit][graders[0]] for unit in coded.unit_ids]
        second = [units[unit][graders[1]] for unit in coded.unit_ids]
        cats = list(range(min(coded.categories), max(coded.categories) + 1))
        kappa_cells = _one_hot_pairs(first, second, cats)
        kappa_weights = _disagreement(len(cats), "quadratic" if level == "ordinal" else None)
        stats["kappa"] = lambda w: _kappa(_as_tables(w @ kappa_cells, len(cats)), kappa_weights)
        if binary:
            ac1_cells = _one_hot_pairs(first, second, [0, 1])
            stats["ac1"] = lambda w: _ac1(_as_tables(w @ ac1_cells, 2), 2)

    estimates = _estimates(stats, coded.n_units, resamples, seed)
    none = Estimate(None, None, None)
    two = len(graders) == 2
    return Agreement(
        criterion_id=criterion_id,
        level=level,
        graders=graders,
        n_units=coded.n_units,
        n_pairs=sum(len(g) * (len(g) - 1) // 2 for g in units.values()),
        percent=estimates.get("percent", none),
        cohen_kappa=estimates.get("kappa", none) if two else None,
        krippendorff_alpha=estimates.get("alpha", none),
        gwet_ac1=estimates.get("ac1", none) if two and binary else None,
        prevalence=sum(values) / len(values) if binary and values else None,
    )


# --- helpers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Coded:
    """The units graded two or more times (sorted by id), as counts of each value."""

    unit_ids: tuple[str, ...]
    categories: tuple[int, ...]  # sorted values seen in those units
    counts: Float  # (units, values): how many grades of each value a unit got
    shares: Float  # (units,): share of the unit's grader pairs that agree
    coincidences: Float  # (units, values²): the unit's term of the coincidence matrix

    @property
    def n_units(self) -> int:
        return len(self.unit_ids)


def _code(units: Units) -> _Coded:
    pairable = sorted((unit, grades) for unit, grades in units.items() if len(grades) >= 2)
    categories = tuple(sorted({v for _, grades in pairable for v in grades.values()}))
    index = {value: i for i, value in enumerate(categories)}
    size = len(categories)
    counts = np.zeros((len(pairable), size))
    for row, (_, grades) in enumerate(pairable):
        for value in grades.values():
            counts[row, index[value]] += 1
    m = counts.sum(axis=1)
    pairs = counts[:, :, np.newaxis] * counts[:, np.newaxis, :]
    pairs -= counts[:, :, np.newaxis] * np.eye(size)  # a grade is not paired with itself
    shares = np.einsum("uc,uc->u", counts, counts - 1) / (m * (m - 1))  # m ≥ 2
    coincidences = pairs / (m - 1)[:, np.newaxis, np.newaxis]
    return _Coded(
        unit_ids=tuple(unit for unit, _ in pairable),
        categories=categories,
        counts=counts,
        shares=shares,
        coincidences=coincidences.reshape(len(pairable), size * size),
    )


def _alpha(coincidences: Float, n_c: Float, level: Level) -> Float:
    """Krippendorff's alpha per row: (draws, values²) coincidences and (draws, values) n_c."""
    draws, size = n_c.shape
    o = coincidences.reshape(draws, size, size)
    if level == "nominal":
        delta = np.broadcast_to(1 - np.eye(size), (draws, size, size))
    else:
        # Σ_{g=c..k} n_g − (n_c + n_k)/2 = mid_k − mid_c with mid_c = Σ_{g≤c} n_g − n_c/2.
        mid = np.cumsum(n_c, axis=1) - n_c / 2
        delta = (mid[:, np.newaxis, :] - mid[:, :, np.newaxis]) ** 2
    n = n_c.sum(axis=1)
    observed = (o * delta).sum(axis=(1, 2))
    expected = np.einsum("dc,dk,dck->d", n_c, n_c, delta)
    return _ratio(1, (n - 1) * observed, expected)


def _kappa(tables: Float, weights: Float) -> Float:
    """Weighted kappa per (values × values) table: 1 − Σ w·o / Σ w·p_1·p_2."""
    n = tables.sum(axis=(1, 2))
    first = tables.sum(axis=2) / n[:, np.newaxis]
    second = tables.sum(axis=1) / n[:, np.newaxis]
    observed = np.einsum("dij,ij->d", tables, weights) / n
    expected = np.einsum("di,dj,ij->d", first, second, weights)
    return _ratio(1, observed, expected)


def _ac1(tables: Float, q: int) -> Float:
    """Gwet's AC1 per (values × values) table, for a scale of q values."""
    n = tables.sum(axis=(1, 2))
    agree = np.einsum("dii->d", tables) / n
    pi = (tables.sum(axis=2) + tables.sum(axis=1)) / (2 * n[:, np.newaxis])
    chance = (pi * (1 - pi)).sum(axis=1) / (q - 1)
    return np.asarray((agree - chance) / (1 - chance), dtype=np.float64)


def _ratio(one: float, numerator: Float, denominator: Float) -> Float:
    """one − numerator/denominator, nan where the denominator is 0 (undefined)."""
    quotient = np.divide(
        numerator, denominator, out=np.full_like(denominator, np.nan), where=denominator > 0
    )
    return np.asarray(one - quotient, dtype=np.float64)


def _categories(values: Sequence[int], categories: Sequence[int] | None) -> list[int]:
    if categories is None:
        return sorted(set(values))
    cats = list(categories)
    if len(set(cats)) != len(cats):
        raise ValueError(f"categories must be distinct, got {cats}")
    unknown = set(values) - set(cats)
    if unknown:
        raise ValueError(f"values {sorted(unknown)} are not among the categories {cats}")
    return cats


def _table(first: Sequence[int], second: Sequence[int], cats: Sequence[int]) -> Float:
    """The (values × values) table of counts: first grader in rows, second in columns."""
    cells = _one_hot_pairs(first, second, cats).sum(axis=0)
    return np.asarray(cells.reshape(len(cats), len(cats)), dtype=np.float64)


def _one_hot_pairs(first: Sequence[int], second: Sequence[int], cats: Sequence[int]) -> Float:
    """(units, values²): each unit's cell of the two graders' table."""
    index = {value: i for i, value in enumerate(cats)}
    cells = np.zeros((len(first), len(cats) ** 2))
    for row, (a, b) in enumerate(zip(first, second, strict=True)):
        cells[row, index[a] * len(cats) + index[b]] = 1
    return cells


def _as_tables(cells: Float, size: int) -> Float:
    return cells.reshape(len(cells), size, size)


def _disagreement(size: int, weights: Literal["linear", "quadratic"] | None) -> Float:
    """w_ij: [i ≠ j], |i − j|/(q − 1) or (i − j)²/(q − 1)²; all 0 for a single value."""
    positions = np.arange(size)
    distance = np.abs(positions[:, np.newaxis] - positions[np.newaxis, :]).astype(np.float64)
    if weights is None:
        return np.asarray(distance > 0, dtype=np.float64)
    span = max(size - 1, 1)
    if weights == "linear":
        return np.asarray(distance / span, dtype=np.float64)
    if weights == "quadratic":
        return np.asarray((distance / span) ** 2, dtype=np.float64)
    raise ValueError(f"weights must be 'linear', 'quadratic' or None, got {weights!r}")


def _estimates(
    stats: Mapping[str, Callable[[Float], Float]], n_units: int, resamples: int, seed: int
) -> dict[str, Estimate]:
    """Each statistic on all units, with percentiles over draws of the units; no interval
    (None) when every draw gives the same value."""
    if n_units == 0:
        return {}
    points = {name: _defined(stat(np.ones((1, n_units)))[0]) for name, stat in stats.items()}
    draws: dict[str, list[Float]] = {name: [] for name in stats}
    rng = np.random.default_rng(seed)
    rows = max(1, _BLOCK_CELLS // n_units)
    for start in range(0, resamples, rows):
        block = min(rows, resamples - start)
        picks = rng.integers(0, n_units, size=(block, n_units))
        picks += np.arange(block)[:, np.newaxis] * n_units
        # How often each unit was drawn, per draw: a (draws, units) weight matrix.
        counts = np.bincount(picks.ravel(), minlength=block * n_units).reshape(block, n_units)
        weights = counts.astype(np.float64)
        for name, stat in stats.items():
            draws[name].append(stat(weights))
    estimates = {}
    for name, point in points.items():
        low = high = None
        if point is not None and draws[name]:
            sample = np.concatenate(draws[name])
            sample = sample[~np.isnan(sample)]
            # Every draw the same (one grader constant, say): a zero-width "interval" would
            # claim a certainty the units cannot give, so none is shown.
            if sample.size and np.ptp(sample) > 0:
                low, high = (float(q) for q in np.quantile(sample, [0.025, 0.975]))
        estimates[name] = Estimate(point, low, high)
    return estimates


def _defined(value: float | np.floating[Any]) -> float | None:
    return None if math.isnan(value) else float(value)


def _check_level(level: str) -> None:
    if level not in ("nominal", "ordinal"):
        raise ValueError(f"level must be 'nominal' or 'ordinal', got {level!r}")
