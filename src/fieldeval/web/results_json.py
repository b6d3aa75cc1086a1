"""What the results pages show, as JSON built field by field; the pages render these dicts.

Pages and `/api/...` share one dict per page, so a number on screen is the number a script
reads. Floats that are not finite become null: JSON has no NaN.
"""

from __future__ import annotations

import math
from typing import Any

from fieldeval.failures.evidence import Consistency, DirectionTest, SliceTest
from fieldeval.failures.rates import CandidateFailures, LabelledOutput
from fieldeval.failures.report import FailureReport, LookFirst
from fieldeval.failures.systematic import ModeVerdict
from fieldeval.records.run import RunInfo
from fieldeval.stats.agreement import Estimate
from fieldeval.stats.intervals import Proportion, Rate
from fieldeval.stats.paired import PairedBinary
from fieldeval.suite.failure_modes import FailureMode
from fieldeval.web.links import examples_url, failures_url, output_url, outputs_url, run_url

# An output's worst severity, grouped as the failure report counts them.
OUTCOMES: dict[str, frozenset[str]] = {
    "failed": frozenset({"cosmetic", "minor", "major", "critical"}),
    "graceful": frozenset({"cosmetic", "minor"}),
    "serious": frozenset({"major"}),
    "catastrophic": frozenset({"critical"}),
    "passed": frozenset({"none"}),
}


def number(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def run_json(run: RunInfo) -> dict[str, Any]:
    return {
        "id": run.id,
        "suite": run.suite_name,
        "status": run.status,
        "candidates": list(run.candidates),
        "repeats": run.repeats,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "url": run_url(run.id),
        "examples_url": examples_url(run.id),
        "failures_url": failures_url(run.id),
        "outputs_url": outputs_url(run.id),
    }


def rate_json(rate: Proportion, url: str | None) -> dict[str, Any]:
    """k of n examples; with repeats k is null and the rate is the mean of n examples' shares."""
    return {
        "k": rate.k if isinstance(rate, Rate) else None,
        "n": rate.n,
        "outputs": rate.n if isinstance(rate, Rate) else rate.outputs,
        "rate": number(rate.value),
        "low": number(rate.low),
        "high": number(rate.high),
        "url": url,
    }


def paired_json(paired: PairedBinary) -> dict[str, Any]:
    """A paired pass-rate difference: n, the difference (a − b) and its interval."""
    return {
        "n": paired.n,
        "difference": number(paired.difference),
        "low": number(paired.low),
        "high": number(paired.high),
    }


def estimate_json(estimate: Estimate) -> dict[str, float | None]:
    return {
        "value": number(estimate.value),
        "low": number(estimate.low),
        "high": number(estimate.high),
    }


def _source(mode: FailureMode) -> str:
    """What labels the mode, in words."""
    if mode.check is not None:
        return f"check {mode.check}"
    if mode.criterion is not None:
        return f"criterion {mode.criterion}"
    return "assigned by people or the judge"


def mode_json(mode: FailureMode) -> dict[str, Any]:
    return {
        "id": mode.id,
        "definition": mode.definition,
        "severity": mode.severity,
        "source": _source(mode),
        "check": mode.check,
        "criterion": mode.criterion,
        "direction": (
            {"axis": mode.direction.axis, "sign": mode.direction.sign}
            if mode.direction is not None
            else None
        ),
    }


def failures_json(report: FailureReport) -> dict[str, Any]:
    """The whole failure analysis of a run, every count with the address of its outputs."""
    run_id = report.run.id
    found = report.systematic
    by_id = {mode.id: mode for mode in report.modes}
    return {
        "run": run_json(report.run),
        "outputs": len(report.outputs),
        "weights": dict(report.weights),
        "modes": [mode_json(mode) for mode in report.modes],
        "candidates": [candidate_json(run_id, c) for c in report.candidates],
        "verdicts": [verdict_json(v, by_id.get(v.mode_id)) for v in found.verdicts],
        "slice_tests": [slice_test_json(run_id, test) for test in found.slices],
        "directions": [direction_json(test) for test in found.directions],
        "consistency": [consistency_json(c) for c in found.consistency],
        "all_fail": [
            {"example_id": example_id, "url": outputs_url(run_id, example=example_id)}
            for example_id in found.all_fail
        ],
        "look_first": [look_first_json(run_id, item) for item in report.look_first],
    }


def candidate_json(run_id: str, found: CandidateFailures) -> dict[str, Any]:
    cid = found.candidate_id

    def outcome(name: str, rate: Proportion) -> dict[str, Any]:
        return rate_json(rate, outputs_url(run_id, candidate=cid, outcome=name))

    return {
        "candidate_id": cid,
        "n": found.n,
        "outputs": found.outputs,
        "outputs_url": outputs_url(run_id, candidate=cid),
        "modes": [
            {
                "mode_id": mode.mode_id,
                "severity": mode.severity,
                **rate_json(mode.rate, outputs_url(run_id, mode=mode.mode_id, candidate=cid)),
                "upper_bound": number(mode.upper_bound),
            }
            for mode in found.modes
        ],
        "failed": outcome("failed", found.failed),
        "weighted": estimate_json(found.weighted),
        "graceful": outcome("graceful", found.graceful),
        "serious": outcome("serious", found.serious),
        "catastrophic": outcome("catastrophic", found.catastrophic),
        "critical_upper_bound": number(found.critical_upper_bound),
    }


def verdict_json(verdict: ModeVerdict, mode: FailureMode | None) -> dict[str, Any]:
    """Systematic, random or not seen, and why; with the mode's definition beside it."""
    return {
        "mode_id": verdict.mode_id,
        "severity": mode.severity if mode is not None else None,
        "definition": mode.definition if mode is not None else None,
        "source": _source(mode) if mode is not None else None,
        "label": verdict.label,
        "reasons": list(verdict.reasons),
    }


def slice_test_json(run_id: str, test: SliceTest) -> dict[str, Any]:
    where = {
        "mode": test.mode_id,
        "candidate": test.candidate_id,
        "slice": test.slice_name,
        "value": test.slice_value,
    }
    return {
        "candidate_id": test.candidate_id,
        "mode_id": test.mode_id,
        "slice_name": test.slice_name,
        "slice_value": test.slice_value,
        "failures_in": test.failures_in,
        "n_in": test.n_in,
        "failures_out": test.failures_out,
        "n_out": test.n_out,
        "risk_ratio": number(test.risk_ratio),
        "rr_low": number(test.rr_low),
        "rr_high": number(test.rr_high),
        "p": number(test.p),
        "q": number(test.q),
        "exploratory": test.exploratory,
        "significant": test.significant,
        "in_url": outputs_url(run_id, **where),
        "out_url": outputs_url(run_id, **where, outside=1),
    }


def direction_json(test: DirectionTest) -> dict[str, Any]:
    return {
        "candidate_id": test.candidate_id,
        "axis": test.axis,
        "up_mode": test.up_mode,
        "down_mode": test.down_mode,
        "up": test.up,
        "down": test.down,
        "p": number(test.p),
    }


def consistency_json(found: Consistency) -> dict[str, Any]:
    return {
        "candidate_id": found.candidate_id,
        "mode_id": found.mode_id,
        "repeats": found.repeats,
        "always": found.always,
        "flaky": found.flaky,
        "never": found.never,
        "dispersion": number(found.dispersion),
        "df": found.df,
        "p": number(found.p),
    }


def look_first_json(run_id: str, item: LookFirst) -> dict[str, Any]:
    return {
        "candidate_id": item.candidate_id,
        "example_id": item.example_id,
        "repeat": item.repeat,
        "reason": item.reason,
        "url": output_url(run_id, item.candidate_id, item.example_id, item.repeat),
    }


PREVIEW_CHARS = 200


def output_row_json(
    run_id: str, output: LabelledOutput, worst: str, text: str | None
) -> dict[str, Any]:
    """One row of the outputs list: which output, its modes, and how it begins."""
    text = text or ""
    return {
        "candidate_id": output.candidate_id,
        "example_id": output.example_id,
        "repeat": output.repeat,
        "modes": sorted(output.modes),
        "worst": worst,
        "preview": text[:PREVIEW_CHARS],
        "truncated": len(text) > PREVIEW_CHARS,
        "url": output_url(run_id, output.candidate_id, output.example_id, output.repeat),
    }
