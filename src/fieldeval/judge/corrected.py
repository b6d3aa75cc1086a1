"""A candidate's pass rate as people would grade it, from the judge's verdict on every output and
people's on some: the judge's errors are carried into the interval, not ignored.

The judge's verdict stratifies the outputs (`fieldeval.stats.stratified`); people's grades
within each stratum measure how often the judge is right there. Unlike correcting the
judge's pass rate by its TPR and TNR pooled over candidates, this holds per candidate, and
for any split of people's grades between what the judge passed and what it failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fieldeval.stats.stratified import (
    StratifiedRate,
    Stratum,
    cluster_design_effect,
    stratified_rate,
)


@dataclass(frozen=True)
class JudgedOutput:
    """One output the judge graded, and people's verdict on it (None: not graded, or n/a)."""

    example_id: str
    judge_passed: bool
    people_passed: bool | None


@dataclass(frozen=True)
class CorrectedRate:
    """The judge-corrected pass rate of one candidate on one criterion."""

    candidate_id: str
    criterion_id: str
    rate: StratifiedRate

    @property
    def judge_rate(self) -> float | None:
        """The judge's own pass rate over the same outputs."""
        units = self.rate.units
        return self.rate.passed.units / units if units else None

    @property
    def missing(self) -> str | None:
        """Which outputs people must grade before an estimate exists, in words."""
        gaps = [
            f"one the judge {side}"
            for side, stratum in (("passed", self.rate.passed), ("failed", self.rate.failed))
            if stratum.ungraded
        ]
        return " and ".join(gaps) or None


def corrected_rate(
    outputs: Sequence[JudgedOutput], *, candidate_id: str, criterion_id: str
) -> CorrectedRate:
    """θ̂ over `outputs`; repeats of an example widen the interval by their design effect."""
    strata = []
    for side in (True, False):
        graded = [o.people_passed for o in outputs if o.judge_passed is side]
        people = [verdict for verdict in graded if verdict is not None]
        strata.append(Stratum(units=len(graded), graded=len(people), passed=sum(people)))
    examples = [output.example_id for output in outputs]
    effect = cluster_design_effect([float(o.judge_passed) for o in outputs], examples)
    return CorrectedRate(candidate_id, criterion_id, stratified_rate(*strata, design_effect=effect))
