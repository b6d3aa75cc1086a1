"""Whether a candidate is ready to ship: the suite's bars, each judged with its interval.

Severity over accuracy: a candidate that fails catastrophically is not ready, whatever its
pass rate. A candidate misses a bar only when the data shows it (the whole 95% interval on
the wrong side), the rule the CI gate uses, so noise alone never rules a candidate out:

- catastrophic rate: misses when its lower bound is above `ready.max_catastrophic_rate`
  (default 1%: even the most favourable reading of the data has more than 1 in 100
  outputs fail critically);
- pass rate: misses when its upper bound is below `ready.min_pass_rate` (else
  `gate.min_pass_rate`; no bar when neither is set);
- a check's or a rubric criterion's pass rate (`ready.min_check_rate`,
  `ready.min_criterion_rate`): misses when its upper bound is below the bar; a criterion is
  read from people's grades where they graded it, else the judge's;
- latency under load: misses when its stored load test was shown to miss the targets at
  every level (a level too short to tell either way does not count against it);
- budget (`ready.max_cost_per_request`, `ready.max_monthly_cost`): misses when the cost's
  lower bound is above it (a candidate without a price cannot be shown to miss it).

Formulas and the order among ready candidates: docs/report.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from fieldeval.cost.spend import CandidateCost, RunCost
from fieldeval.decision.latency import LatencyUnderLoad
from fieldeval.failures.report import FailureReport
from fieldeval.notation import dollars, percent
from fieldeval.results.rubric import CriterionResult
from fieldeval.results.summary import CandidateSummary
from fieldeval.stats.intervals import high_or_one, low_or_zero
from fieldeval.suite.schema import Suite

DEFAULT_MAX_CATASTROPHIC: Final = 0.01


@dataclass(frozen=True)
class Bars:
    """The bars candidates are held to, and whether each came from the suite."""

    max_catastrophic_rate: float
    catastrophic_is_default: bool
    min_pass_rate: float | None
    min_check_rate: Mapping[str, float] = field(default_factory=dict)
    min_criterion_rate: Mapping[str, float] = field(default_factory=dict)
    max_cost_per_request: float | None = None
    max_monthly_cost: float | None = None

    @classmethod
    def of(cls, suite: Suite) -> Bars:
        ready = suite.ready
        own = ready.max_catastrophic_rate
        return cls(
            max_catastrophic_rate=DEFAULT_MAX_CATASTROPHIC if own is None else own,
            catastrophic_is_default=own is None,
            min_pass_rate=(
                ready.min_pass_rate if ready.min_pass_rate is not None else suite.gate.min_pass_rate
            ),
            min_check_rate=dict(ready.min_check_rate),
            min_criterion_rate=dict(ready.min_criterion_rate),
            max_cost_per_request=ready.max_cost_per_request,
            max_monthly_cost=ready.max_monthly_cost,
        )


@dataclass(frozen=True)
class Readiness:
    candidate_id: str
    misses: tuple[str, ...]  # one sentence per bar the data shows it misses
    misses_pass_rate: bool = False
    catastrophic: float = 0.0  # its catastrophic rate (point estimate): closeness after bars

    @property
    def ready(self) -> bool:
        return not self.misses


def readiness(
    candidates: Sequence[CandidateSummary],
    bars: Bars,
    failures: FailureReport | None,
    latency: Mapping[str, LatencyUnderLoad | None],
    *,
    criteria: Sequence[CriterionResult] = (),
    cost: RunCost | None = None,
) -> dict[str, Readiness]:
    """Each answered candidate's missed bars, in the order the module docstring lists them."""
    catastrophic = {c.candidate_id: c.catastrophic for c in failures.candidates} if failures else {}
    costs = {c.candidate_id: c for c in cost.candidates} if cost is not None else {}
    found = {}
    for candidate in candidates:
        cid = candidate.candidate_id
        misses = []
        critical = catastrophic.get(cid)
        if critical is not None and low_or_zero(critical) > bars.max_catastrophic_rate:
            allowed = percent(bars.max_catastrophic_rate) + (
                " (the default: set ready.max_catastrophic_rate)"
                if bars.catastrophic_is_default
                else " the suite allows"
            )
            misses.append(
                f"fails catastrophically on {percent(critical.value)} of examples (95% CI "
                f"{percent(critical.low)} to {percent(critical.high)}, n={critical.n}), "
                f"above the {allowed}"
            )
        quality = candidate.quality
        passes_too_few = (
            bars.min_pass_rate is not None and high_or_one(quality) < bars.min_pass_rate
        )
        if passes_too_few:
            misses.append(
                f"passes {percent(quality.value)} (at most {percent(quality.high)}, 95% CI, "
                f"n={quality.n}), below the {percent(bars.min_pass_rate or 0.0)} the suite asks "
                "for"
            )
        misses += _rate_misses(candidate, bars, criteria)
        load = latency.get(cid)
        if (
            load is not None
            and load.has_targets
            and all(level.misses_targets for level in load.levels)
        ):
            misses.append(f"misses the latency targets at every load tested ({load.verdict})")
        misses += _budget_misses(costs.get(cid), bars)
        found[cid] = Readiness(
            cid,
            tuple(misses),
            misses_pass_rate=passes_too_few,
            catastrophic=(critical.value or 0.0) if critical is not None else 0.0,
        )
    return found


def _rate_misses(
    candidate: CandidateSummary, bars: Bars, criteria: Sequence[CriterionResult]
) -> list[str]:
    misses = []
    for check, bar in bars.min_check_rate.items():
        rate = candidate.check_rates.get(check)
        if rate is not None and rate.n and rate.high < bar:
            misses.append(
                f"passes check {check} on {percent(rate.value)} of outputs (at most "
                f"{percent(rate.high)}, 95% CI, n={rate.n}), below the {percent(bar)} the suite"
                " asks for"
            )
    for criterion, bar in bars.min_criterion_rate.items():
        graded = [
            r
            for r in criteria
            if (r.criterion_id, r.candidate_id) == (criterion, candidate.candidate_id) and r.rate.n
        ]
        # People's grades where they graded it, else the judge's.
        found = min(graded, key=lambda r: r.source != "people", default=None)
        if found is not None and found.rate.high < bar:
            rate = found.rate
            misses.append(
                f"passes criterion {criterion} on {percent(rate.value)} (at most "
                f"{percent(rate.high)}, 95% CI, n={rate.n}, graded by {found.source}), below "
                f"the {percent(bar)} the suite asks for"
            )
    return misses


def _budget_misses(cost: CandidateCost | None, bars: Bars) -> list[str]:
    misses = []
    per_request = cost.per_request if cost is not None else None
    bar = bars.max_cost_per_request
    if bar is not None and per_request is not None and per_request.low > bar:
        spread = (
            f"at least {dollars(per_request.low)}, 95% CI"
            if per_request.varies
            else "the same on every request"
        )
        misses.append(
            f"costs {dollars(per_request.value)} a request ({spread}), above the"
            f" {dollars(bar)} the suite allows"
        )
    monthly = cost.monthly if cost is not None else None
    budget = bars.max_monthly_cost
    if budget is not None and monthly is not None and monthly.total.low > budget:
        spread = (
            f"at least {dollars(monthly.total.low)}, 95% CI"
            if monthly.total.varies
            else "no interval: every request cost the same"
        )
        misses.append(
            f"costs {dollars(monthly.total.value)} a month at {monthly.requests_per_month:,}"
            f" requests ({spread}), above the {dollars(budget)} the suite allows"
        )
    return misses
