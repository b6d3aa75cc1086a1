"""Severity-weighted harm per example, and which candidates of a group do more of it than
another by a margin the data supports.

An output's harm is the severity weight of its worst failure mode (0 without one: the
suite's `severity_weights`, defaults 0/1/3/10/50); an example's is the mean over its
answered repeats, so the example stays the unit. Two candidates are compared on the
examples both answered: the paired mean difference (`stats.paired.paired_scores`: bootstrap
interval, sign-flip p), Holm-adjusted across the group's pairs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Final

from fieldeval.failures.rates import worst_severity
from fieldeval.failures.report import FailureReport
from fieldeval.stats.paired import PairedScores, holm, paired_scores

ALPHA: Final = 0.05
RESAMPLES: Final = 2000


@dataclass(frozen=True)
class HarmPair:
    """`worse` does more severity-weighted harm per example than `better`."""

    worse: str
    better: str
    paired: PairedScores  # worse − better, on the examples both answered
    adjusted_p: float  # Holm across the group's pairs


def example_harm(report: FailureReport) -> dict[str, dict[str, float]]:
    """candidate -> example -> mean harm of its answered outputs."""
    modes = {mode.id: mode for mode in report.modes}
    weights = report.weights
    totals: dict[tuple[str, str], list[float]] = defaultdict(list)
    for output in report.outputs:
        severity = worst_severity(output.modes, modes)
        totals[(output.candidate_id, output.example_id)].append(weights.get(severity, 0.0))
    found: dict[str, dict[str, float]] = defaultdict(dict)
    for (candidate, example), harms in totals.items():
        found[candidate][example] = sum(harms) / len(harms)
    return dict(found)


def more_harmful(report: FailureReport, candidates: Sequence[str]) -> tuple[HarmPair, ...]:
    """The pairs of `candidates` in which one does more harm, shown at level ALPHA."""
    harm = example_harm(report)
    tests: list[tuple[str, str, PairedScores]] = []
    for a, b in combinations(candidates, 2):
        mine, theirs = harm.get(a, {}), harm.get(b, {})
        shared = sorted(set(mine) & set(theirs))
        if not any(mine[e] != theirs[e] for e in shared):
            continue  # the same harm on every shared example: nothing to test
        # Oriented so the difference is worse − better.
        if sum(mine[e] for e in shared) < sum(theirs[e] for e in shared):
            a, b, mine, theirs = b, a, theirs, mine
        worse = [mine[e] for e in shared]
        tests.append((a, b, paired_scores(worse, [theirs[e] for e in shared], resamples=RESAMPLES)))
    adjusted = holm([paired.p_value for *_, paired in tests])
    return tuple(
        HarmPair(worse, better, paired, p)
        for (worse, better, paired), p in zip(tests, adjusted, strict=True)
        if p < ALPHA and paired.difference > 0
    )
