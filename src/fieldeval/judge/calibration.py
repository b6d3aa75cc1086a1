"""How far an LLM judge can stand in for people: its errors against human grades, per criterion."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from fieldeval.judge.corrected import CorrectedRate
from fieldeval.stats.agreement import Estimate
from fieldeval.stats.intervals import Rate, wilson
from fieldeval.stats.paired import mcnemar_exact

Float = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Calibration:
    criterion_id: str
    n: int  # outputs with both a human verdict and a judge verdict
    true_pass: int  # human pass, judge pass
    false_fail: int  # human pass, judge fail  (harsh)
    true_fail: int  # human fail, judge fail
    false_pass: int  # human fail, judge pass  (lenient)
    tpr: Rate  # judge pass among human passes
    tnr: Rate  # judge fail among human fails
    balanced_accuracy: float | None
    kappa: Estimate
    mcnemar_p: float  # exact, on false_pass against false_fail
    bias: Literal["lenient", "harsh", "none"]
    stands_in: bool
    verdict: str  # one plain sentence, with the reason
    # Per candidate, the pass rate people would give, from the judge's verdicts and theirs.
    corrected: tuple[CorrectedRate, ...] = ()


_ROUNDING = 1e-12  # so a bound of 0.8 that comes out as 0.7999999999999999 still counts

_ALPHA = 0.05  # McNemar's level for calling a judge lenient or harsh


def calibrate(
    pairs: Sequence[tuple[bool, bool]],
    *,
    criterion_id: str,
    target: float = 0.8,
    min_each: int = 10,
    resamples: int = 2000,
    seed: int = 0,
) -> Calibration:
    """The judge's errors against people's verdicts, (human_pass, judge_pass) per output.

    Pass is the positive class: TPR = judge passes among human passes, TNR = judge fails
    among human fails, each with a Wilson interval. Bias: the exact McNemar test of
    b = false passes against c = false fails, p = min(1, 2·P(X ≤ min(b, c))) with
    X ~ Binomial(b + c, ½); lenient when p < 0.05 and b > c, harsh when c > b. The judge
    stands in when people passed and failed at least `min_each` outputs each, the lower
    Wilson bounds of TPR and TNR reach `target` (a point estimate at the target on 10
    labels is far from showing it) and it shows no bias. Kappa's interval resamples the pairs.
    """
    if not 0 < target <= 1:
        raise ValueError(f"target must be within (0, 1], got {target}")
    if resamples < 0:
        raise ValueError(f"resamples must not be negative, got {resamples}")
    true_pass = sum(1 for human, judge in pairs if human and judge)
    false_fail = sum(1 for human, judge in pairs if human and not judge)
    false_pass = sum(1 for human, judge in pairs if not human and judge)
    true_fail = sum(1 for human, judge in pairs if not human and not judge)
    n = len(pairs)
    tpr = wilson(true_pass, true_pass + false_fail)
    tnr = wilson(true_fail, true_fail + false_pass)
    rng = np.random.default_rng(seed)
    cells = np.array([true_pass, false_fail, false_pass, true_fail], dtype=np.float64)
    p = mcnemar_exact(false_pass, false_fail)
    bias: Literal["lenient", "harsh", "none"] = "none"
    if p < _ALPHA and false_pass != false_fail:
        bias = "lenient" if false_pass > false_fail else "harsh"
    enough = min(tpr.n, tnr.n) >= max(min_each, 1)
    # Shown, not hoped: both rates reach the target with their whole 95% interval.
    shown = all(rate.n and rate.low >= target - _ROUNDING for rate in (tpr, tnr))
    stands_in = enough and shown and bias == "none"
    return Calibration(
        criterion_id=criterion_id,
        n=n,
        true_pass=true_pass,
        false_fail=false_fail,
        true_fail=true_fail,
        false_pass=false_pass,
        tpr=tpr,
        tnr=tnr,
        balanced_accuracy=(
            (tpr.value + tnr.value) / 2 if tpr.value is not None and tnr.value is not None else None
        ),
        kappa=_kappa_estimate(cells, resamples, rng),
        mcnemar_p=p,
        bias=bias,
        stands_in=stands_in,
        verdict=_verdict(
            tpr, tnr, false_pass, false_fail, p, bias, target, max(min_each, 1), stands_in
        ),
    )


def _kappas(cells: Float) -> Float:
    """Cohen's kappa of (draws, 4) cells [TP, FF, FP, TF]: 2(ad − bc)/(r₁c₂ + r₂c₁); nan if 0/0."""
    a, b, c, d = cells.T
    numerator = 2 * (a * d - b * c)
    denominator = (a + b) * (b + d) + (a + c) * (c + d)
    kappas = np.divide(
        numerator, denominator, out=np.full_like(numerator, np.nan), where=denominator > 0
    )
    return np.asarray(kappas, dtype=np.float64)


def _kappa_estimate(cells: Float, resamples: int, rng: np.random.Generator) -> Estimate:
    n = int(cells.sum())
    point = float(_kappas(cells[np.newaxis])[0]) if n else math.nan
    if math.isnan(point):
        return Estimate(None, None, None)
    # Drawing the n pairs with replacement is drawing their 2×2 cells from a multinomial.
    draws = rng.multinomial(n, cells / n, size=resamples).astype(np.float64)
    kappas = _kappas(draws)
    defined = kappas[~np.isnan(kappas)]
    if defined.size == 0 or np.ptp(defined) == 0:
        # Every pair in one cell: each draw repeats the table, and a zero-width interval
        # would claim a certainty twelve pairs cannot give.
        return Estimate(point, None, None)
    low, high = _percentiles(kappas)
    return Estimate(point, low, high)


def _percentiles(sample: Float) -> tuple[float | None, float | None]:
    """The 2.5th and 97.5th percentiles of the defined (non-nan) draws."""
    defined = sample[~np.isnan(sample)]
    if defined.size == 0:
        return None, None
    low, high = np.quantile(defined, [0.025, 0.975])
    return float(low), float(high)


def _verdict(
    tpr: Rate,
    tnr: Rate,
    false_pass: int,
    false_fail: int,
    p: float,
    bias: str,
    target: float,
    min_each: int,
    stands_in: bool,
) -> str:
    """One sentence: can the judge stand in for people, and why (first reason that applies).

    A bias the data already shows comes first: more grades cannot clear a judge of it.
    """
    if bias == "lenient":
        return (
            f"The judge cannot stand in: it is too lenient — it passed "
            f"{_count(false_pass, 'output')} people failed and failed {false_fail} they passed "
            f"(McNemar {_p(p)})."
        )
    if bias == "harsh":
        return (
            f"The judge cannot stand in: it is too harsh — it failed "
            f"{_count(false_fail, 'output')} people passed and passed {false_pass} they failed "
            f"(McNemar {_p(p)})."
        )
    if tpr.n < min_each and tnr.n < min_each:
        return (
            f"Not yet: only {_count(tpr.n, 'output')} that people passed and {tnr.n} that they "
            f"failed; grade at least {min_each} of each to judge the judge."
        )
    if tpr.n < min_each or tnr.n < min_each:
        rate, verb, kind = (
            (tpr, "passed", "passing") if tpr.n < min_each else (tnr, "failed", "failing")
        )
        return (
            f"Not yet: only {_count(rate.n, 'output')} that people {verb}; grade at least "
            f"{min_each} {kind} outputs to judge the judge."
        )
    assert tpr.value is not None and tnr.value is not None  # both have outputs by now
    if tpr.value < target or tnr.value < target:
        problems, numbers = [], []
        if tpr.value < target:
            problems.append("fails good outputs")
            numbers.append(f"TPR {_percent(tpr.value, target)}")
        if tnr.value < target:
            problems.append("misses failures")
            numbers.append(f"TNR {_percent(tnr.value, target)}")
        return (
            f"The judge cannot stand in: it {' and '.join(problems)} "
            f"({', '.join(numbers)}, target {target:.0%})."
        )
    if not stands_in:
        unsure = [
            f"{name} {_percent(rate.value or 0.0, target)} could be as low as "
            f"{_percent(rate.low, target)} (95% interval, {rate.k}/{rate.n})"
            for name, rate in (("TPR", tpr), ("TNR", tnr))
            if rate.low < target - _ROUNDING
        ]
        return (
            f"Not yet: {' and '.join(unsure)}, under the {target:.0%} target; grade more"
            " outputs to show the judge reaches it."
        )
    agree = tpr.k + tnr.k
    return (
        f"The judge can stand in for humans here: it agrees with them on {agree} of "
        f"{tpr.n + tnr.n} (TPR {_percent(tpr.value, target)}, TNR {_percent(tnr.value, target)}) "
        f"with no sign of bias (McNemar {_p(p)})."
    )


def _percent(value: float, target: float) -> str:
    """A whole percentage, or one decimal where rounding would blur it with the target."""
    shown = f"{value:.0%}"
    return f"{value:.1%}" if shown == f"{target:.0%}" and value != target else shown


def _p(p: float) -> str:
    """ "p = 0.62", "p = 0.004" or "p < 0.001"."""
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
