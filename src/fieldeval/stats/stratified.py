"""A rate known cheaply on every unit and exactly on some: estimated by stratifying on the cheap
verdict (docs/grading.md, "Judge-corrected pass rate").

The cheap verdict (an LLM judge's) splits the N units into two strata, h = the judge passed
and the judge failed, of N_h units each; people graded n_h of them, at random within the
stratum, and passed k_h. With W_h = N_h/N and p_h = k_h/n_h:

    θ̂ = Σ_h W_h·p_h

The interval combines each stratum's Jeffreys interval [l_h, u_h] with the sampling
variance of W itself (MOVER, Zou & Donner 2008):

    low  = θ̂ − √(Σ_h W_h²(p_h − l_h)² + z²(p₊ − p₋)²W₊W₋/N)
    high = θ̂ + √(Σ_h W_h²(u_h − p_h)² + z²(p₊ − p₋)²W₊W₋/N)

θ is the candidate's pass rate on inputs like these, not on these N alone: with every
output graded the interval is about Wilson's on people's grades, not a point.

Any split of people's grades between the strata that does not depend on the grades given
is allowed, which is what lets `grading_gain` send them where they are needed. With
repeats, every count is divided by the design effect so that the example stays the unit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from fieldeval.stats.intervals import Z95, clustered_mean, t_interval

# Grades every stratum gets first, so that an estimate exists; more would take grades from
# the larger stratum, where they narrow the interval most (simulated in the tests).
PILOT = 5


@dataclass(frozen=True)
class Stratum:
    """The units the cheap verdict put on one side, and people's verdicts on some of them."""

    units: int  # N_h
    graded: int  # n_h: of them, graded by people
    passed: int  # k_h: of those, passed by people

    def __post_init__(self) -> None:
        if not 0 <= self.passed <= self.graded <= self.units:
            raise ValueError(f"need 0 ≤ passed ≤ graded ≤ units, got {self}")

    @property
    def rate(self) -> float | None:
        return self.passed / self.graded if self.graded else None

    @property
    def ungraded(self) -> bool:
        """Units in it, none graded: no estimate exists until people grade one."""
        return self.units > 0 and self.graded == 0


@dataclass(frozen=True)
class StratifiedRate:
    """θ̂ with its 95% interval; value and bounds are None while a stratum is ungraded."""

    passed: Stratum  # the units the judge passed
    failed: Stratum  # ... and failed
    value: float | None
    low: float | None
    high: float | None
    design_effect: float = 1.0

    @property
    def units(self) -> int:
        return self.passed.units + self.failed.units

    @property
    def graded(self) -> int:
        return self.passed.graded + self.failed.graded


def stratified_rate(
    passed: Stratum, failed: Stratum, *, design_effect: float = 1.0
) -> StratifiedRate:
    """θ̂ and its interval from the two strata (module docstring)."""
    if design_effect < 1:
        raise ValueError(f"a design effect is at least 1, got {design_effect}")
    present = [stratum for stratum in (passed, failed) if stratum.units]
    if not present or any(stratum.ungraded for stratum in present):
        return StratifiedRate(passed, failed, None, None, None, design_effect)
    # Imported here: scipy is slow to load and only a corrected rate needs it.
    from scipy.stats import beta

    total = passed.units + failed.units
    value = below = above = 0.0
    for stratum in present:
        share, rate = stratum.units / total, stratum.passed / stratum.graded
        # Jeffreys: the Beta(k + ½, n − k + ½) quantiles, as statsmodels' proportion_confint
        # (method="jeffreys") gives them; on the effective n the counts may be fractional.
        passes, graded = stratum.passed / design_effect, stratum.graded / design_effect
        low, high = beta.ppf([0.025, 0.975], passes + 0.5, graded - passes + 0.5)
        value += share * rate
        below += (share * (rate - float(low))) ** 2
        above += (share * (float(high) - rate)) ** 2
    between = 0.0
    if len(present) == 2:
        gap = passed.passed / passed.graded - failed.passed / failed.graded
        shares = (passed.units / total) * (failed.units / total)
        between = Z95**2 * gap**2 * shares * design_effect / total
    return StratifiedRate(
        passed,
        failed,
        value,
        max(0.0, value - math.sqrt(below + between)),
        min(1.0, value + math.sqrt(above + between)),
        design_effect,
    )


def grading_gain(stratum: Stratum, total: int, *, planned: int = 0) -> float:
    """How much one more person's grade in this stratum shrinks θ̂'s largest possible variance.

    W_h²·(1/n − 1/(n + 1))/4 with n = n_h + `planned` (grades already queued there), after
    `PILOT` grades in each stratum, which gain infinitely; a full stratum gains nothing.
    Given greedily, grades go to the strata in proportion to their size with at least the
    pilot in each, so a small stratum, the judge's fails say, is never left to chance. It
    uses the strata sizes only, never people's grades so far: an order steered by those
    makes the interval cover less than 95% (92.9% in a simulation with Neyman's allocation
    on the rates seen so far).
    """
    graded = stratum.graded + planned
    if graded >= stratum.units:
        return 0.0
    if graded < PILOT:
        return math.inf
    share = stratum.units / total
    return share**2 / (4 * graded * (graded + 1))


def cluster_design_effect(values: Sequence[float], clusters: Sequence[object]) -> float:
    """The variance of the mean of `values` clustered over that of independent values, ≥ 1.

    1 when no cluster holds two values or the values never vary.
    """
    if len(set(clusters)) in (0, len(clusters)) or len(set(values)) < 2:
        return 1.0
    clustered, independent = clustered_mean(values, clusters), t_interval(values)
    if not math.isfinite(clustered.se) or independent.se == 0:
        return 1.0
    return max(1.0, (clustered.se / independent.se) ** 2)


@dataclass(frozen=True)
class StratifiedDifference:
    """θ̂_a − θ̂_b of two stratified rates, with its 95% interval; None while either is."""

    value: float | None
    low: float | None
    high: float | None


def stratified_difference(a: StratifiedRate, b: StratifiedRate) -> StratifiedDifference:
    """The difference of two candidates' corrected rates, their intervals combined by MOVER.

    low = d − √((θ̂_a − l_a)² + (u_b − θ̂_b)²), high = d + √((u_a − θ̂_a)² + (θ̂_b − l_b)²)
    (Newcombe 1998's method 10, on these intervals). People's grades fall on different
    outputs of each candidate, so the two estimates are taken as independent; on the same
    examples they are positively correlated if anything, and the interval then errs wide.
    """
    if a.value is None or b.value is None:
        return StratifiedDifference(None, None, None)
    assert a.low is not None and a.high is not None and b.low is not None and b.high is not None
    value = a.value - b.value
    below = math.hypot(a.value - a.low, b.high - b.value)
    above = math.hypot(a.high - a.value, b.value - b.low)
    return StratifiedDifference(value, max(-1.0, value - below), min(1.0, value + above))
