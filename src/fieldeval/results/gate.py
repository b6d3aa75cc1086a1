"""The CI gate: fail a build on a regression the data supports, never on noise.

Three things fail it:

- **regression**: a candidate's overall pass rate fell and the one-sided McNemar mid-p for
  "the later run is worse", Holm-adjusted across the candidates, is below `alpha`. Only the
  overall rate gates, one test per candidate, so the family stays small and a suite with
  many checks is not more likely to fail by chance; a check whose own rate fell
  significantly (two-sided, Holm across the candidate's metrics) is reported, not gating.
- **new_critical**: an example fails a check of severity critical (as the later suite
  declares it) that it did not fail in the baseline. Examples new to the later run have no
  baseline and are not judged here.
- **threshold**: the later run's pass rate over answered outputs, overall or per check, is
  below the suite's minimum.

What fails in both runs is a known failure: listed, never reported as new.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from fieldeval.results.compare import CandidateComparison, MetricDelta, RunComparison
from fieldeval.results.summary import CandidateSummary
from fieldeval.stats.paired import PairedBinary, holm
from fieldeval.suite.schema import Gate


@dataclass(frozen=True)
class Finding:
    kind: Literal["regression", "new_critical", "threshold"]
    candidate_id: str
    subject: str  # the metric, check or example it is about
    detail: str  # one sentence with the numbers
    failing: bool  # True when this finding fails the gate


@dataclass(frozen=True)
class GateResult:
    passed: bool
    findings: tuple[Finding, ...]  # failing ones first
    known_failures: tuple[tuple[str, str, str], ...]  # (candidate, example, check) failing in both
    comparison: RunComparison


def evaluate_gate(comparison: RunComparison, spec: Gate) -> GateResult:
    """Judge the later run of `comparison` against its baseline by the suite's gate."""
    checks = {str(c["id"]): c for c in comparison.after.suite.get("checks", ())}
    critical = {check_id for check_id, c in checks.items() if c.get("severity") == "critical"}
    findings = _regressions(comparison.candidates, spec.alpha)
    known: list[tuple[str, str, str]] = []
    for candidate in comparison.candidates:
        new, old = _critical(candidate, critical, failing=spec.fail_on_new_critical)
        findings += new
        known += old
    if comparison.after_summary is not None:
        for summary in comparison.after_summary.candidates:
            findings += _thresholds(summary, spec, checks)
    ordered = sorted(findings, key=lambda f: not f.failing)  # stable: keeps the order within
    return GateResult(
        passed=not any(f.failing for f in ordered),
        findings=tuple(ordered),
        known_failures=tuple(known),
        comparison=comparison,
    )


def regression_p(paired: PairedBinary) -> float:
    """One-sided mid-p for "the later run is worse", from a McNemar of a = after, b = before.

    Regressions are paired.c. Given b + c discordant examples, X ~ Binomial(b + c, ½) and
    p = P(X ≥ c) − ½·P(X = c). X is symmetric about (b + c)/2, so this is half the
    two-sided mid-p when more examples regressed than were fixed (c > b), and one minus
    that half otherwise (0.5 when c = b): a rise can never pass for a drop.
    """
    half = paired.p_value / 2
    return half if paired.c > paired.b else 1 - half


def _regressions(candidates: tuple[CandidateComparison, ...], alpha: float) -> list[Finding]:
    overall = [(c.candidate_id, m) for c in candidates for m in c.metrics if m.metric == "pass"]
    adjusted = holm([regression_p(m.paired) for _, m in overall])
    family = f"one-sided, Holm over {len(overall)} candidates" if len(overall) > 1 else "one-sided"
    findings = []
    for (candidate_id, metric), p in zip(overall, adjusted, strict=True):
        if metric.paired.difference >= 0:
            continue
        supported = p < alpha
        verdict = (
            f"{metric.paired.c} examples regressed, {metric.paired.b} fixed"
            if supported
            else "not a regression the data supports"
        )
        detail = f"pass rate {_moved(metric)}, p = {_p(p)} ({family}): {verdict}"
        findings.append(Finding("regression", candidate_id, "pass", detail, failing=supported))
    return findings + [
        _check_drop(candidate.candidate_id, metric)
        for candidate in candidates
        for metric in candidate.metrics
        if metric.metric != "pass" and metric.paired.difference < 0 and metric.adjusted_p < alpha
    ]


def _check_drop(candidate_id: str, metric: MetricDelta) -> Finding:
    detail = (
        f"check {metric.metric!r} pass rate {_moved(metric)}, p = {_p(metric.adjusted_p)}"
        " (two-sided, Holm over the candidate's metrics); reported, not gating: only the"
        " overall pass rate gates"
    )
    return Finding("regression", candidate_id, metric.metric, detail, failing=False)


def _critical(
    candidate: CandidateComparison, critical: set[str], *, failing: bool
) -> tuple[list[Finding], list[tuple[str, str, str]]]:
    """New failures of critical checks, and what fails in both runs (the known failures)."""
    findings: list[Finding] = []
    known: list[tuple[str, str, str]] = []
    cid = candidate.candidate_id
    for outcome in candidate.outcomes:
        new = [c for c in outcome.failed_after if c in critical and c not in outcome.failed_before]
        findings += [
            Finding(
                "new_critical",
                cid,
                outcome.example_id,
                f"example {outcome.example_id!r} now fails critical check {check!r},"
                " which it did not fail in the baseline",
                failing,
            )
            for check in new
        ]
        if not outcome.passed_before and not outcome.passed_after:
            known += [(cid, outcome.example_id, c) for c in outcome.failed_after if c not in new]
    return findings, known


def _thresholds(
    summary: CandidateSummary, spec: Gate, checks: Mapping[str, Mapping[str, Any]]
) -> list[Finding]:
    cid = summary.candidate_id
    findings = []
    rate = summary.pass_rate
    if spec.min_pass_rate is not None and (rate.value is None or rate.value < spec.min_pass_rate):
        findings.append(
            Finding(
                "threshold",
                cid,
                "pass",
                f"pass rate {_percent(rate.value)} ({rate.k} of {rate.n} answered) is below"
                f" the minimum of {_percent(spec.min_pass_rate)}",
                True,
            )
        )
    for check_id, minimum in spec.min_check_pass_rate.items():
        applies_to = checks.get(check_id, {}).get("applies_to") or ()
        if applies_to and cid not in applies_to:
            continue
        check_rate = summary.check_rates.get(check_id)
        if check_rate is None:
            # A typo in the gate must not pass silently as "no failures".
            detail = f"no answered output was checked by {check_id!r}; its minimum was not applied"
            findings.append(Finding("threshold", cid, check_id, detail, False))
        elif check_rate.value is not None and check_rate.value < minimum:
            detail = (
                f"check {check_id!r} pass rate {_percent(check_rate.value)} ({check_rate.k} of"
                f" {check_rate.n}) is below the minimum of {_percent(minimum)}"
            )
            findings.append(Finding("threshold", cid, check_id, detail, True))
    return findings


def _moved(metric: MetricDelta) -> str:
    """`fell 4 points (95% CI −12 to +4)`."""
    paired = metric.paired
    verb = "fell" if paired.difference < 0 else "rose"
    return (
        f"{verb} {abs(100 * paired.difference):.0f} points"
        f" (95% CI {_points(paired.low)} to {_points(paired.high)})"
    )


def _points(value: float) -> str:
    return f"{100 * value:+.0f}".replace("-", "−")


def _percent(value: float | None) -> str:
    return "none" if value is None else f"{100 * value:.3g}%"


def _p(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.2g}"
