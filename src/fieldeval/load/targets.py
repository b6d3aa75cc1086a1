"""A load level's targets judged with their 95% intervals: met, missed, or not shown.

A percentile target is met when the percentile's upper bound is within it and missed when
its lower bound is past it (order-statistic intervals, `stats.quantile`); the error rate is
met when its Wilson upper bound is within `max_error_rate` and missed when its lower bound
is above. Between the two the level had too few requests to tell: 0 errors in 9 requests
allow an error rate up to 30%, so they do not show one under 1% (that takes 381 requests).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from fieldeval.stats.intervals import wilson
from fieldeval.stats.quantile import quantile
from fieldeval.suite.load import LoadTargets

TargetState = Literal["met", "missed", "not shown"]

# Each percentile target of `LoadTargets` -> the metric and percentile it bounds.
PERCENTILE_TARGETS: Mapping[str, tuple[str, int]] = {
    f"{metric}_p{q}_ms": (metric, q)
    for metric in ("ttft", "e2e", "tpot")
    for q in (50, 95, 99)
    if metric != "tpot" or q == 95
}


@dataclass(frozen=True)
class TargetCheck:
    """One target of one level: the measured figure, its 95% interval and the limit."""

    value: float | None  # the percentile in ms, or the error rate; None without values
    low: float | None  # None where too few values bound it
    high: float | None
    limit: float
    n: int  # the values behind the figure: answered requests, or all steady requests

    @property
    def state(self) -> TargetState:
        if self.high is not None and self.high <= self.limit:
            return "met"
        if self.low is not None and self.low > self.limit:
            return "missed"
        return "not shown"


def check_targets(
    targets: LoadTargets,
    values_ms: Mapping[str, Sequence[float]],
    errors: int,
    requests: int,
) -> dict[str, TargetCheck]:
    """Each set target -> its check; `values_ms` holds "ttft", "e2e" and "tpot" values.

    A zero `max_error_rate` is a rule on counts: met with no error, missed with one.
    """
    checks = {}
    for name, (metric, q) in PERCENTILE_TARGETS.items():
        limit = getattr(targets, name)
        if limit is None:
            continue
        found = quantile(values_ms[metric], q)
        checks[name] = TargetCheck(found.value, found.low, found.high, limit, found.n)
    checks["error_rate"] = _error_rate(errors, requests, targets.max_error_rate)
    return checks


def _error_rate(errors: int, requests: int, limit: float) -> TargetCheck:
    if not requests:
        return TargetCheck(None, None, None, limit, 0)
    rate = errors / requests
    if limit == 0:
        return TargetCheck(rate, rate, rate, limit, requests)
    bounds = wilson(errors, requests)
    return TargetCheck(rate, bounds.low, bounds.high, limit, requests)
