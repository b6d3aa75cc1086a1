"""The CI gate: fail a build on a regression the data supports, never on noise.

Three things fail it, each judged as a test so that noise alone fails a build at most
`alpha` of the time:

- **regression**: a candidate's overall pass rate fell and the one-sided McNemar mid-p for
  "the later run is worse" is below `alpha` after Holm's adjustment across every gating
  test (each candidate's pass rate, and its critical checks when they gate). Only the
  overall rate gates, so a suite with many checks is not more likely to fail by chance; a
  check whose own rate fell significantly (two-sided, Holm across the candidate's metrics)
  is reported, not gating.
- **new_critical**: examples newly fail a check of severity critical (as the later suite
  declares it), and the same one-sided test on "fails a critical check", before against
  after, says the data supports it. Each example that newly fails one is listed, gating or
  not; examples new to the later run have no baseline and are not judged here.
- **threshold**: the later run's pass rate (the mean of per-example pass fractions with
  repeats), a check's, or the pass rate weighted to production (`min_production_pass_rate`,
  for an eval set drawn by `fieldeval sample`) is below the suite's minimum with its whole
  95% interval: a rate whose interval still reaches the bar is reported, not failing.

What fails in both runs is a known failure: listed, never reported as new.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from fieldeval.results.compare import CandidateComparison, MetricDelta, RunComparison
from fieldeval.results.summary import CandidateSummary
from fieldeval.stats.intervals import Rate
from fieldeval.stats.paired import PairedBinary, holm, mcnemar
from fieldeval.suite.schema import Gate
from fieldeval.suite.scope import stored_covers


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
    # A metric-only check is measured, never gated on.
    critical = {
        check_id
        for check_id, c in checks.items()
        if c.get("severity") == "critical" and not c.get("metric_only")
    }
    tests = _gating_tests(comparison.candidates, critical, gate_critical=spec.fail_on_new_critical)
    adjusted = dict(zip(tests, holm([regression_p(t.paired) for t in tests]), strict=True))
    family = _family(tests)
    findings: list[Finding] = []
    known: list[tuple[str, str, str]] = []
    for candidate in comparison.candidates:
        findings += _regression(candidate, adjusted, family, spec.alpha)
        new, old = _critical(candidate, critical)
        if new:
            findings.append(_critical_verdict(candidate, critical, adjusted, family, spec))
        findings += new
        known += old
    findings += [
        _check_drop(candidate.candidate_id, metric)
        for candidate in comparison.candidates
        for metric in candidate.metrics
        if metric.metric != "pass"
        and metric.paired.difference < 0
        and metric.adjusted_p < spec.alpha
    ]
    if comparison.after_summary is not None:
        for summary in comparison.after_summary.candidates:
            findings += _thresholds(summary, spec, checks)
    if spec.min_production_pass_rate is not None:
        findings += _production_thresholds(comparison, spec.min_production_pass_rate)
    ordered = sorted(findings, key=lambda f: not f.failing)  # stable: keeps the order within
    return GateResult(
        passed=not any(f.failing for f in ordered),
        findings=tuple(ordered),
        known_failures=tuple(known),
        comparison=comparison,
    )


@dataclass(frozen=True)
class _Test:
    """One gating test: a candidate's pass rate, or its critical checks, before vs after."""

    candidate_id: str
    subject: Literal["pass", "critical"]
    paired: PairedBinary  # a = after, b = before


def _gating_tests(
    candidates: tuple[CandidateComparison, ...], critical: set[str], *, gate_critical: bool
) -> list[_Test]:
    tests = [
        _Test(c.candidate_id, "pass", m.paired)
        for c in candidates
        for m in c.metrics
        if m.metric == "pass"
    ]
    if gate_critical and critical:
        tests += [
            _Test(c.candidate_id, "critical", _critical_pairs(c, critical))
            for c in candidates
            if c.outcomes
        ]
    return tests


def _critical_pairs(candidate: CandidateComparison, critical: set[str]) -> PairedBinary:
    """Per paired example: did it pass every critical check, after and before."""
    after = [not critical.intersection(o.failed_after) for o in candidate.outcomes]
    before = [not critical.intersection(o.failed_before) for o in candidate.outcomes]
    return mcnemar(after, before)


def _family(tests: list[_Test]) -> str:
    if len(tests) <= 1:
        return "one-sided"
    if all(t.subject == "pass" for t in tests):
        return f"one-sided, Holm over {len(tests)} candidates"
    return f"one-sided, Holm over {len(tests)} gating tests"


def regression_p(paired: PairedBinary) -> float:
    """One-sided mid-p for "the later run is worse", from a McNemar of a = after, b = before.

    Regressions are paired.c. Given b + c discordant examples, X ~ Binomial(b + c, ½) and
    p = P(X ≥ c) − ½·P(X = c). X is symmetric about (b + c)/2, so this is half the
    two-sided mid-p when more examples regressed than were fixed (c > b), and one minus
    that half otherwise (0.5 when c = b): a rise can never pass for a drop.
    """
    half = paired.p_value / 2
    return half if paired.c > paired.b else 1 - half


def _regression(
    candidate: CandidateComparison, adjusted: Mapping[_Test, float], family: str, alpha: float
) -> list[Finding]:
    findings = []
    for test, p in adjusted.items():
        if test.candidate_id != candidate.candidate_id or test.subject != "pass":
            continue
        metric = next(m for m in candidate.metrics if m.metric == "pass")
        if metric.paired.difference >= 0:
            continue
        supported = p < alpha
        verdict = (
            f"{metric.paired.c} examples regressed, {metric.paired.b} fixed"
            if supported
            else "not a regression the data supports"
        )
        detail = f"pass rate {_moved(metric)}, p = {_p(p)} ({family}): {verdict}"
        findings.append(
            Finding("regression", candidate.candidate_id, "pass", detail, failing=supported)
        )
    return findings


def _check_drop(candidate_id: str, metric: MetricDelta) -> Finding:
    detail = (
        f"check {metric.metric!r} pass rate {_moved(metric)}, p = {_p(metric.adjusted_p)}"
        " (two-sided, Holm over the candidate's metrics); reported, not gating: only the"
        " overall pass rate gates"
    )
    return Finding("regression", candidate_id, metric.metric, detail, failing=False)


def _critical(
    candidate: CandidateComparison, critical: set[str]
) -> tuple[list[Finding], list[tuple[str, str, str]]]:
    """Each new failure of a critical check (listed, not gating by itself), and what fails
    in both runs (the known failures)."""
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
                False,
            )
            for check in new
        ]
        if not outcome.passed_before and not outcome.passed_after:
            known += [(cid, outcome.example_id, c) for c in outcome.failed_after if c not in new]
    return findings, known


def _critical_verdict(
    candidate: CandidateComparison,
    critical: set[str],
    adjusted: Mapping[_Test, float],
    family: str,
    spec: Gate,
) -> Finding:
    """Whether the data supports that more examples fail a critical check than before."""
    test = next(
        (
            t
            for t in adjusted
            if t.candidate_id == candidate.candidate_id and t.subject == "critical"
        ),
        None,
    )
    paired = test.paired if test is not None else _critical_pairs(candidate, critical)
    counts = (
        f"{_examples(paired.c)} newly {'fails' if paired.c == 1 else 'fail'} a critical check"
        f" and {paired.b} no longer {'does' if paired.b == 1 else 'do'}"
    )
    if test is None:
        detail = f"{counts}; reported, not gating (gate.fail_on_new_critical is false)"
        return Finding("new_critical", candidate.candidate_id, "critical", detail, False)
    p = adjusted[test]
    supported = p < spec.alpha and paired.c > paired.b
    verdict = (
        "more critical failures than the data can put down to chance"
        if supported
        else ("not an increase the data supports")
    )
    detail = f"{counts}: p = {_p(p)} ({family}): {verdict}"
    return Finding("new_critical", candidate.candidate_id, "critical", detail, supported)


def _examples(count: int) -> str:
    return f"{count} example" if count == 1 else f"{count} examples"


def _thresholds(
    summary: CandidateSummary, spec: Gate, checks: Mapping[str, Mapping[str, Any]]
) -> list[Finding]:
    cid = summary.candidate_id
    findings = []
    if spec.min_pass_rate is not None:
        rate = summary.pass_rate
        # With repeats the example is the unit: the mean of its pass fractions, and its interval.
        value, high = rate.value, rate.high
        if summary.pass_mean is not None:
            value, high = summary.pass_mean.value, summary.pass_mean.high
        interval = _interval(summary, rate)
        said = f"pass rate {_percent(value)} ({rate.k} of {rate.n} answered, {interval})"
        findings += _shortfall(cid, "pass", said, value, high, spec.min_pass_rate)
    for check_id, minimum in spec.min_check_pass_rate.items():
        if not stored_covers(checks.get(check_id, {}).get("applies_to"), cid):
            continue
        check_rate = summary.check_rates.get(check_id)
        if check_rate is None:
            # A typo in the gate must not pass silently as "no failures".
            detail = f"no answered output was checked by {check_id!r}; its minimum was not applied"
            findings.append(Finding("threshold", cid, check_id, detail, False))
            continue
        said = (
            f"check {check_id!r} pass rate {_percent(check_rate.value)} ({check_rate.k} of"
            f" {check_rate.n}, 95% CI {_percent(check_rate.low)}–{_percent(check_rate.high)})"
        )
        findings += _shortfall(cid, check_id, said, check_rate.value, check_rate.high, minimum)
    return findings


def _production_thresholds(comparison: RunComparison, minimum: float) -> list[Finding]:
    estimates = comparison.after_production
    if estimates is None:
        # A gate that cannot be applied must not pass silently.
        detail = (
            "min_production_pass_rate is set, but the dataset has no `production:` weights"
            " (draw it with `fieldeval sample`)"
        )
        return [Finding("threshold", "*", "production", detail, True)]
    findings = []
    for candidate in estimates.candidates:
        rate = candidate.weighted
        said = (
            f"pass rate weighted to production {_percent(rate.value)} (95% CI"
            f" {_percent(rate.low)}–{_percent(rate.high)}, {rate.n} examples; eval-set rate"
            f" {_percent(candidate.plain)})"
        )
        findings += _shortfall(
            candidate.candidate_id, "production", said, rate.value, rate.high, minimum
        )
    return findings


def _interval(summary: CandidateSummary, rate: Rate) -> str:
    if summary.pass_mean is not None:
        mean = summary.pass_mean
        return f"mean over examples, 95% CI {_percent(mean.low)}–{_percent(mean.high)}"
    return f"95% CI {_percent(rate.low)}–{_percent(rate.high)}"


def _shortfall(
    cid: str, subject: str, said: str, value: float | None, high: float, minimum: float
) -> list[Finding]:
    """Below the bar with the whole interval: failing; only the point below it: reported."""
    if value is None:
        detail = f"{said}: nothing answered, so the minimum of {_percent(minimum)} is not met"
        return [Finding("threshold", cid, subject, detail, True)]
    if value >= minimum:
        return []
    if high < minimum:
        detail = f"{said} is below the minimum of {_percent(minimum)}, its whole interval too"
        return [Finding("threshold", cid, subject, detail, True)]
    detail = (
        f"{said} is under the minimum of {_percent(minimum)}, but its interval reaches it:"
        " not a shortfall the data supports"
    )
    return [Finding("threshold", cid, subject, detail, False)]


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
