"""Agreement statistics, checked against statsmodels, the krippendorff package and textbooks."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Literal

import krippendorff
import numpy as np
import pytest
from statsmodels.stats.inter_rater import cohens_kappa as sm_cohens_kappa

from fieldeval.stats.agreement import (
    Estimate,
    Level,
    Units,
    agreement,
    cohen_kappa,
    gwet_ac1,
    krippendorff_alpha,
    percent_agreement,
)


def _paired(table: list[list[int]]) -> tuple[list[int], list[int]]:
    """Two graders' values from a table of counts: first grader in rows, second in columns."""
    first: list[int] = []
    second: list[int] = []
    for i, row in enumerate(table):
        for j, count in enumerate(row):
            first += [i] * count
            second += [j] * count
    return first, second


def _units(first: list[int], second: list[int]) -> dict[str, dict[str, int]]:
    return {
        f"u{i:04d}": {"ann": a, "bob": b}
        for i, (a, b) in enumerate(zip(first, second, strict=True))
    }


def _from_matrix(data: np.ndarray) -> dict[str, dict[str, int]]:
    """Units from a (graders × units) matrix with nan for a missing grade, as krippendorff takes."""
    return {
        f"u{j:03d}": {
            f"g{i}": int(data[i, j]) for i in range(data.shape[0]) if not np.isnan(data[i, j])
        }
        for j in range(data.shape[1])
    }


# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", example C: 4 observers,
# 12 units, values 1-5, missing grades. Nominal α = 0.743; ordinal α = 0.815.
NAN = math.nan
TEXTBOOK = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
        [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
    ]
)


# --- Cohen's kappa --------------------------------------------------------------------


def test_kappa_textbook_2x2() -> None:
    # 50 items: both yes 20, yes/no 5, no/yes 10, both no 15.
    # p_o = 35/50 = 0.7; p_e = 0.5·0.6 + 0.5·0.4 = 0.5; κ = 0.2/0.5 = 0.4.
    first, second = _paired([[20, 5], [10, 15]])
    assert cohen_kappa(first, second) == pytest.approx(0.4)


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
@pytest.mark.parametrize("seed", range(8))
def test_kappa_matches_statsmodels(
    weights: Literal["linear", "quadratic"] | None, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    q = int(rng.integers(2, 6))
    truth = rng.integers(0, q, size=60)
    # Graders that mostly agree, off by one step now and then, so weights matter.
    first = np.clip(truth + rng.choice([-1, 0, 0, 0, 1], size=60), 0, q - 1).tolist()
    second = np.clip(truth + rng.choice([-1, 0, 0, 1], size=60), 0, q - 1).tolist()
    table = np.zeros((q, q))
    for a, b in zip(first, second, strict=True):
        table[a, b] += 1
    # statsmodels: `wt` picks the form; with `weights` left None the category scores are
    # 0..q−1, so wt="linear" is |i−j|/(q−1) and wt="quadratic" is (i−j)²/(q−1)².
    # (A string passed as `weights` would be read as scores, not as the form.)
    expected = (
        sm_cohens_kappa(table, return_results=False)
        if weights is None
        else sm_cohens_kappa(table, wt=weights, return_results=False)
    )
    ours = cohen_kappa(first, second, weights=weights, categories=list(range(q)))
    assert ours == pytest.approx(float(expected), rel=1e-10, abs=1e-12)


def test_weighted_kappa_by_hand() -> None:
    # 3 levels; table rows = first grader: [[2, 1, 0], [0, 2, 1], [1, 0, 3]], n = 10.
    # Linear disagreement weights |i−j|/2: observed Σw·o = (1·½ + 1·½ + 1·1)/10 = 0.2.
    # Marginals: first (0.3, 0.3, 0.4), second (0.3, 0.3, 0.4);
    # expected Σw·e = ½·(2·0.09 + 2·0.12) + 1·(2·0.12) = 0.21 + 0.24 = 0.45.
    first, second = _paired([[2, 1, 0], [0, 2, 1], [1, 0, 3]])
    assert cohen_kappa(first, second, weights="linear") == pytest.approx(1 - 0.2 / 0.45)
    # Quadratic (|i−j|/2)²: observed (¼ + ¼ + 1)/10 = 0.15; expected ¼·0.42 + 0.24 = 0.345.
    assert cohen_kappa(first, second, weights="quadratic") == pytest.approx(1 - 0.15 / 0.345)


def test_unused_categories_change_weighted_but_not_plain_kappa() -> None:
    first, second = [1, 2, 4, 4, 1, 2], [1, 4, 4, 2, 2, 2]
    assert cohen_kappa(first, second) == pytest.approx(
        cohen_kappa(first, second, categories=[1, 2, 3, 4])
    )
    # Positions follow `categories`: with level 3 listed, 2 and 4 are two steps apart.
    spaced = cohen_kappa(first, second, weights="linear", categories=[1, 2, 3, 4])
    packed = cohen_kappa(first, second, weights="linear")
    assert spaced is not None and packed is not None
    assert spaced != pytest.approx(packed)


def test_weighted_kappa_on_two_values_is_plain_kappa() -> None:
    first, second = _paired([[20, 5], [10, 15]])
    assert cohen_kappa(first, second, weights="linear") == pytest.approx(0.4)
    assert cohen_kappa(first, second, weights="quadratic") == pytest.approx(0.4)


def test_kappa_undefined_and_edge_cases() -> None:
    assert cohen_kappa([], []) is None
    # Both graders always say 1: p_e = 1, kappa is 0/0.
    assert cohen_kappa([1, 1, 1], [1, 1, 1]) is None
    assert cohen_kappa([1, 1, 1], [1, 1, 1], weights="quadratic") is None
    # Always disagreeing, each constant: p_o = p_e = 0.
    assert cohen_kappa([0, 0, 0], [1, 1, 1]) == 0.0
    assert cohen_kappa([0, 1, 2, 0], [0, 1, 2, 0]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="paired"):
        cohen_kappa([1, 0], [1])
    with pytest.raises(ValueError, match="not among"):
        cohen_kappa([1, 0], [1, 2], categories=[0, 1])


# --- Gwet's AC1 -----------------------------------------------------------------------


def test_ac1_binary_by_hand() -> None:
    # p_o = 0.7; π(yes) = (25/50 + 30/50)/2 = 0.55; p_e = 2·0.55·0.45 = 0.495.
    first, second = _paired([[20, 5], [10, 15]])
    assert gwet_ac1(first, second) == pytest.approx((0.7 - 0.495) / (1 - 0.495))


def test_ac1_stays_high_where_kappa_collapses() -> None:
    # The kappa paradox: 90 of 100 both pass, 5 + 5 disagreements, none both fail.
    # κ: p_e = 0.95² + 0.05² = 0.905, κ = (0.9 − 0.905)/0.095 = −1/19.
    # AC1: π = 0.95, p_e = 2·0.95·0.05 = 0.095, AC1 = (0.9 − 0.095)/0.905.
    first, second = _paired([[0, 5], [5, 90]])
    assert cohen_kappa(first, second) == pytest.approx(-1 / 19)
    assert gwet_ac1(first, second) == pytest.approx(0.805 / 0.905)


def test_ac1_three_values_by_hand() -> None:
    # p_o = 2/4; π = (3/8, 3/8, 1/4); Σπ(1−π) = 2·15/64 + 12/64 = 42/64; p_e = 21/64.
    # AC1 = (32/64 − 21/64)/(43/64) = 11/43.
    assert gwet_ac1([0, 1, 2, 0], [0, 1, 1, 2]) == pytest.approx(11 / 43)


def test_ac1_edge_cases() -> None:
    assert gwet_ac1([], []) is None
    assert gwet_ac1([1, 1, 1], [1, 1, 1]) == 1.0  # defined where kappa is not
    with pytest.raises(ValueError, match="paired"):
        gwet_ac1([1], [1, 0])


# --- Percent agreement ----------------------------------------------------------------


def test_percent_agreement_by_hand() -> None:
    units: Units = {
        "u1": {"a": 1, "b": 1, "c": 0},  # 1 of 3 pairs agree
        "u2": {"a": 1, "b": 1},  # 1 of 1
        "u3": {"a": 0},  # a single grade: left out
        "u4": {"a": 2, "b": 0, "c": 1, "d": 2},  # 1 of 6
    }
    assert percent_agreement(units) == pytest.approx((1 / 3 + 1 + 1 / 6) / 3)


def test_percent_agreement_needs_two_grades() -> None:
    assert percent_agreement({}) is None
    assert percent_agreement({"u1": {"a": 1}, "u2": {"b": 0}}) is None


# --- Krippendorff's alpha -------------------------------------------------------------


def test_alpha_krippendorff_textbook_example() -> None:
    units = _from_matrix(TEXTBOOK)
    nominal = krippendorff_alpha(units, level="nominal")
    ordinal = krippendorff_alpha(units, level="ordinal")
    assert nominal == pytest.approx(0.743, abs=5e-4)
    assert ordinal == pytest.approx(0.815, abs=5e-4)
    assert nominal == pytest.approx(krippendorff.alpha(TEXTBOOK, level_of_measurement="nominal"))


@pytest.mark.parametrize("level", ["nominal", "ordinal"])
@pytest.mark.parametrize("seed", range(25))
def test_alpha_matches_krippendorff_package(level: Level, seed: int) -> None:
    rng = np.random.default_rng(seed)
    graders, count = int(rng.integers(2, 6)), int(rng.integers(5, 40))
    # Unevenly spaced levels: the ordinal metric must depend on their order only.
    levels = np.array([1, 2, 4, 7, 9])[: int(rng.integers(2, 6))]
    truth = rng.integers(0, len(levels), size=count)
    noisy = np.clip(truth + rng.integers(-1, 2, size=(graders, count)), 0, len(levels) - 1)
    data = levels[noisy].astype(np.float64)
    data[rng.random(data.shape) < 0.35] = np.nan  # missing grades, some units left with one
    units = _from_matrix(data)
    pairable = [v for grades in units.values() if len(grades) >= 2 for v in grades.values()]
    if len(set(pairable)) < 2:
        assert krippendorff_alpha(units, level=level) is None
        return
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
    ours = krippendorff_alpha(units, level=level)
    assert ours == pytest.approx(expected, rel=1e-10, abs=1e-12)


def test_alpha_perfect_and_undefined() -> None:
    assert krippendorff_alpha({"u1": {"a": 1, "b": 1}, "u2": {"a": 0, "b": 0}}) == 1.0
    assert krippendorff_alpha({}) is None
    assert krippendorff_alpha({"u1": {"a": 1}, "u2": {"a": 0}}) is None  # nothing pairable
    # No variation: everyone always says 1, so the expected disagreement is 0.
    assert krippendorff_alpha({"u1": {"a": 1, "b": 1}, "u2": {"a": 1, "c": 1}}) is None
    with pytest.raises(ValueError, match="level"):
        krippendorff_alpha({}, level="interval")  # type: ignore[arg-type]


def test_two_grader_alpha_is_small_sample_scotts_pi() -> None:
    # For two graders on nominal data α = 1 − (n−1)/n · (1 − p_o)/(1 − p_e) with pooled
    # marginals (Scott's pi, small-sample corrected): computed here by hand.
    first, second = _paired([[20, 5], [10, 15]])
    n = 100  # pairable values
    p_yes = (25 + 30) / n
    expected = 1 - (n - 1) / n * (1 - 0.7) / (1 - (p_yes**2 + (1 - p_yes) ** 2))
    assert krippendorff_alpha(_units(first, second)) == pytest.approx(expected)


# --- agreement() ----------------------------------------------------------------------


def _two_graders(seed: int, count: int = 80, flip: float = 0.15) -> dict[str, dict[str, int]]:
    rng = np.random.default_rng(seed)
    truth = rng.random(count) < 0.7
    first = [int(t != (rng.random() < flip)) for t in truth]
    second = [int(t != (rng.random() < flip)) for t in truth]
    return _units(first, second)


def test_agreement_fields_for_two_graders_on_pass_fail() -> None:
    units = _two_graders(1)
    units["solo"] = {"cat": 1}  # a third grader, alone on a unit: not comparable
    result = agreement(units, criterion_id="names-the-product", resamples=500)
    assert result.criterion_id == "names-the-product"
    assert result.level == "nominal"
    assert result.graders == ("ann", "bob", "cat")
    # Three graders on the criterion: kappa and AC1 need exactly two.
    assert result.cohen_kappa is None
    assert result.gwet_ac1 is None

    units.pop("solo")
    result = agreement(units, criterion_id="names-the-product", resamples=500)
    first = [grades["ann"] for grades in units.values()]
    second = [grades["bob"] for grades in units.values()]
    assert result.graders == ("ann", "bob")
    assert (result.n_units, result.n_pairs) == (80, 80)
    assert result.percent.value == pytest.approx(percent_agreement(units))
    assert result.krippendorff_alpha.value == pytest.approx(krippendorff_alpha(units))
    assert result.cohen_kappa is not None and result.gwet_ac1 is not None
    assert result.cohen_kappa.value == pytest.approx(cohen_kappa(first, second))
    assert result.gwet_ac1.value == pytest.approx(gwet_ac1(first, second))
    assert result.prevalence == pytest.approx((sum(first) + sum(second)) / 160)


def test_agreement_ordinal_uses_quadratic_kappa_over_the_span_of_levels() -> None:
    units: dict[str, dict[str, int]] = {
        "u1": {"a": 1, "b": 1},
        "u2": {"a": 2, "b": 4},
        "u3": {"a": 4, "b": 4},
        "u4": {"a": 1, "b": 2},
        "u5": {"a": 4, "b": 2},
        "u6": {"a": 2, "b": 2},
        "u7": {"a": 5},
    }
    result = agreement(units, criterion_id="tone", level="ordinal", resamples=200)
    first = [units[u]["a"] for u in sorted(units) if len(units[u]) == 2]
    second = [units[u]["b"] for u in sorted(units) if len(units[u]) == 2]
    assert result.cohen_kappa is not None
    # Unused level 3 still sits between 2 and 4.
    assert result.cohen_kappa.value == pytest.approx(
        cohen_kappa(first, second, weights="quadratic", categories=[1, 2, 3, 4])
    )
    assert result.krippendorff_alpha.value == pytest.approx(
        krippendorff_alpha(units, level="ordinal")
    )
    assert result.gwet_ac1 is None  # not pass/fail
    assert result.prevalence is None
    assert (result.n_units, result.n_pairs) == (6, 6)


def test_agreement_counts_pairs_across_many_graders() -> None:
    units = _from_matrix(TEXTBOOK)
    result = agreement(units, criterion_id="c", resamples=100)
    # Unit sizes 3, 4, 4, 4, 4, 4, 4, 4, 4, 3, 2, 1 → pairs 3 + 8·6 + 3 + 1 = 55.
    assert (result.n_units, result.n_pairs) == (11, 55)
    assert result.krippendorff_alpha.value == pytest.approx(0.743, abs=5e-4)
    assert result.cohen_kappa is None and result.gwet_ac1 is None


def test_bootstrap_interval_contains_the_estimate_and_is_reproducible() -> None:
    units = _two_graders(7, count=120)
    result = agreement(units, criterion_id="c", resamples=1000, seed=3)
    estimates = [result.percent, result.krippendorff_alpha, result.cohen_kappa, result.gwet_ac1]
    for estimate in estimates:
        assert estimate is not None and estimate.value is not None
        assert estimate.low is not None and estimate.high is not None
        assert estimate.low < estimate.value < estimate.high
        # Roughly ±2 standard errors on 120 units: neither a point nor the whole range.
        assert 0.03 < estimate.high - estimate.low < 0.6
    assert agreement(units, criterion_id="c", resamples=1000, seed=3) == result
    other = agreement(units, criterion_id="c", resamples=1000, seed=4)
    assert other.krippendorff_alpha.low != result.krippendorff_alpha.low
    assert other.krippendorff_alpha.value == result.krippendorff_alpha.value


@pytest.mark.parametrize("flip", [0.15, 0.02])
def test_bootstrap_matches_recomputing_each_draw(flip: float) -> None:
    """The vectorised bootstrap equals calling the plain functions on each resample."""
    units = _two_graders(11, count=25, flip=flip)
    units["single"] = {"ann": 0}  # not resampled: one grade
    resamples, seed = 300, 5
    result = agreement(units, criterion_id="c", resamples=resamples, seed=seed)
    # The same draws, in the same order: units graded twice, sorted by id.
    ids = sorted(u for u, grades in units.items() if len(grades) >= 2)
    picks = np.random.default_rng(seed).integers(0, len(ids), size=(resamples, len(ids)))

    def interval(stat: Callable[[Units], float | None]) -> tuple[float, float]:
        values = []
        for row in picks:
            value = stat({f"d{i}": units[ids[pick]] for i, pick in enumerate(row)})
            if value is not None:
                values.append(value)
        low, high = np.quantile(values, [0.025, 0.975])
        return float(low), float(high)

    def kappa(drawn: Units) -> float | None:
        grades = list(drawn.values())
        return cohen_kappa([g["ann"] for g in grades], [g["bob"] for g in grades])

    def ac1(drawn: Units) -> float | None:
        grades = list(drawn.values())
        return gwet_ac1([g["ann"] for g in grades], [g["bob"] for g in grades])

    checks: list[tuple[Estimate | None, Callable[[Units], float | None]]] = [
        (result.percent, percent_agreement),
        (result.krippendorff_alpha, krippendorff_alpha),
        (result.cohen_kappa, kappa),
        (result.gwet_ac1, ac1),
    ]
    for estimate, stat in checks:
        assert estimate is not None
        assert (estimate.low, estimate.high) == pytest.approx(interval(stat), abs=1e-12)


def test_agreement_undefined_cases() -> None:
    # Everyone always passes: raw agreement is perfect, the chance-corrected ones undefined.
    same = {f"u{i}": {"ann": 1, "bob": 1} for i in range(10)}
    result = agreement(same, criterion_id="c", resamples=100)
    # Every draw agrees perfectly too: no zero-width interval is claimed.
    assert (result.percent.value, result.percent.low, result.percent.high) == (1.0, None, None)
    assert result.krippendorff_alpha.value is None
    assert result.krippendorff_alpha.low is None and result.krippendorff_alpha.high is None
    assert result.cohen_kappa is not None and result.cohen_kappa.value is None
    assert result.cohen_kappa.low is None
    assert result.gwet_ac1 is not None and result.gwet_ac1.value == 1.0
    assert result.prevalence == 1.0

    # Nobody graded the same output twice.
    apart = agreement({"u1": {"ann": 1}, "u2": {"bob": 0}}, criterion_id="c")
    assert (apart.n_units, apart.n_pairs) == (0, 0)
    assert apart.percent.value is None and apart.krippendorff_alpha.value is None
    assert apart.cohen_kappa is not None and apart.cohen_kappa.value is None
    assert apart.prevalence == 0.5

    empty = agreement({}, criterion_id="c")
    assert empty.graders == () and empty.prevalence is None
    assert empty.cohen_kappa is None and empty.gwet_ac1 is None

    unresampled = agreement(_two_graders(1), criterion_id="c", resamples=0)
    assert unresampled.percent.value is not None
    assert unresampled.percent.low is None and unresampled.percent.high is None


def test_agreement_bootstrap_is_fast() -> None:
    rng = np.random.default_rng(0)
    truth = rng.integers(1, 6, size=1000)
    units = {
        f"u{i}": {g: int(np.clip(t + rng.integers(-1, 2), 1, 5)) for g in ("a", "b", "c")}
        for i, t in enumerate(truth)
    }
    started = time.perf_counter()
    result = agreement(units, criterion_id="c", level="ordinal", resamples=2000)
    assert time.perf_counter() - started < 2.0
    assert result.krippendorff_alpha.low is not None


def test_a_constant_statistic_has_no_interval() -> None:
    """The audit's "κ 0.00 [0.00, 0.00]" at n=25: one grader always passes, so every draw
    gives κ = 0 and the bootstrap's zero-width interval meant nothing."""
    units = {f"u{i}": {"ann": 1, "bob": i % 2} for i in range(25)}
    result = agreement(units, criterion_id="c", resamples=200)
    assert result.cohen_kappa is not None and result.cohen_kappa.value == 0.0
    assert (result.cohen_kappa.low, result.cohen_kappa.high) == (None, None)
    assert result.percent.low is not None and result.percent.low < result.percent.value  # varies
