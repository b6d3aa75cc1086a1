"""The runs list and a run's page as JSON; the pages render these dicts.

Every rate comes with its n and 95% interval, every count with the address of what it
counts, and candidate against candidate is paired (McNemar on the shared examples).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fieldeval.cost.spend import RunCost
from fieldeval.edges.rates import EdgeReport
from fieldeval.failures.report import FailureReport
from fieldeval.records.run import RunInfo
from fieldeval.report.encoding import to_jsonable
from fieldeval.report.latency_text import shared_server_note
from fieldeval.results.candidates import CandidatePair
from fieldeval.results.rubric import CriterionResult
from fieldeval.results.summary import CandidateSummary
from fieldeval.stats.intervals import wilson
from fieldeval.stats.quantile import Quantile
from fieldeval.store.browse_store import CandidateTotals
from fieldeval.suite.rubric import Criterion
from fieldeval.web.abstention_json import abstention_json
from fieldeval.web.charts import ChartRow, interval_chart
from fieldeval.web.classification_json import classification_json
from fieldeval.web.context import Computing
from fieldeval.web.edges_json import edges_json
from fieldeval.web.links import compare_url, examples_url, run_url
from fieldeval.web.pending import pending_json
from fieldeval.web.production_json import production_json
from fieldeval.web.results_json import (
    candidate_json,
    number,
    paired_json,
    rate_json,
    run_json,
)
from fieldeval.web.run_analysis import RunNumbers, Timing
from fieldeval.web.slices_json import slice_json
from fieldeval.web.templating import percent


def runs_list_json(
    suite_name: str,
    runs: Sequence[RunInfo],
    totals: Mapping[str, Sequence[CandidateTotals]],
    previous: Mapping[str, str | None],
    paging: Mapping[str, Any],
) -> dict[str, Any]:
    """The suite's runs, newest first, each candidate's pass rate with its interval."""
    return {
        "suite": suite_name,
        **paging,
        "runs": [_run_row(run, totals.get(run.id, ()), previous.get(run.id)) for run in runs],
    }


def _run_row(
    run: RunInfo, totals: Sequence[CandidateTotals], previous: str | None
) -> dict[str, Any]:
    return {
        **run_json(run),
        "url": run_url(run.id),
        "planned": run.n_planned,
        "stored": sum(t.outputs for t in totals),
        "previous": previous,
        "compare_url": compare_url(previous, run.id) if previous is not None else None,
        "candidates": _totals(run, totals),
    }


def _totals(run: RunInfo, totals: Sequence[CandidateTotals]) -> list[dict[str, Any]]:
    """Each candidate's outputs and pass rate, counted by the database (no analysis)."""
    by_candidate = {t.candidate_id: t for t in totals}
    rows = []
    for cid in run.candidates:
        found = by_candidate.get(cid, CandidateTotals(cid, 0, 0, 0))
        rows.append(
            {
                "candidate_id": cid,
                "outputs": found.outputs,
                "answered": found.answered,
                "errors": found.outputs - found.answered,
                "pass": rate_json(
                    wilson(found.passed, found.answered),
                    examples_url(run.id, candidate=cid, outcome="pass"),
                ),
            }
        )
    return rows


# The run page's sections that need the analysis: (id, heading, what the note says is computed).
_PENDING_SECTIONS = (
    ("quality", "Quality, check by check", "check-by-check analysis"),
    ("rubric", "Rubric", "rubric analysis"),
    ("failures", "Failures, by severity", "failure analysis"),
    ("cost", "Cost", "cost analysis"),
    ("timing", "Latency and tokens", "latency analysis"),
)


def run_pending_json(
    run: RunInfo,
    totals: Sequence[CandidateTotals],
    computing: Computing[Any],
    *,
    previous: str | None,
    wait_url: str,
) -> dict[str, Any]:
    """A run whose analysis is being computed: its pass rates from the database meanwhile."""
    size = f"this {computing.outputs:,}-output run"
    return {
        **pending_json(
            computing,
            [(sid, title, f"{what} of {size}") for sid, title, what in _PENDING_SECTIONS],
            wait_url=wait_url,
        ),
        "run": _run_header(run, sum(t.outputs for t in totals)),
        "links": _links(run, previous),
        "totals": _totals(run, totals),
    }


def _run_header(run: RunInfo, stored: int) -> dict[str, Any]:
    return {
        **run_json(run),
        "planned": run.n_planned,
        "stored": stored,
        "dataset_hash": run.dataset_hash,
        "fieldeval_version": run.fieldeval_version,
    }


def _variant_outputs(edges: EdgeReport | None) -> int:
    return sum(total.replies for total in edges.totals) if edges is not None else 0


def _links(run: RunInfo, previous: str | None) -> dict[str, Any]:
    return {
        "examples": examples_url(run.id),
        "failed_examples": examples_url(run.id, outcome="fail"),
        "previous_run": run_url(previous) if previous is not None else None,
        "compare_previous": compare_url(previous, run.id) if previous is not None else None,
    }


def run_page_json(
    run: RunInfo,
    numbers: RunNumbers,
    report: FailureReport,
    cost: RunCost,
    *,
    rubric: Sequence[Criterion],
    previous: str | None,
) -> dict[str, Any]:
    """One run: quality, failures, cost and latency per candidate, with charts."""
    summaries = numbers.summary.candidates
    quality = [_quality(run.id, s) for s in summaries]
    failures = [candidate_json(run.id, c) for c in report.candidates]
    timing = [_timing(s, numbers.timing[s.candidate_id]) for s in summaries]
    return {
        "run": {
            **_run_header(run, sum(s.n for s in summaries)),
            # The clean task's outputs: an edges run also answered its variants, counted apart.
            "planned": numbers.summary.run.n_planned,
            "variant_outputs": _variant_outputs(numbers.edges),
            "missing": numbers.summary.missing,
        },
        "links": _links(run, previous),
        "quality": quality,
        "pairs": [_pair(pair) for pair in numbers.pairs],
        "slices": [slice_json(run.id, field) for field in numbers.slices],
        "production": (
            production_json(numbers.production) if numbers.production is not None else None
        ),
        "classification": (
            classification_json(run.id, numbers.classification)
            if numbers.classification is not None
            else None
        ),
        "abstention": (
            abstention_json(run.id, numbers.abstention)
            if numbers.abstention is not None and numbers.abstention.shown
            else None
        ),
        "edges": edges_json(run.id, numbers.edges) if numbers.edges is not None else None,
        "rubric": [_criterion(run.id, result, rubric) for result in numbers.rubric],
        "judge_warnings": list(numbers.judge_warnings),
        "failures": failures,
        "weights": dict(report.weights),
        "cost": to_jsonable(cost),
        "timing": timing,
        "latency_notes": [
            shared_server_note(group, run.suite_path) for group in numbers.shared_servers
        ],
        "charts": {
            "pass": interval_chart(
                "Pass rate (every check), 95% interval",
                [
                    ChartRow(
                        q["candidate_id"],
                        q["pass"]["rate"],
                        q["pass"]["low"],
                        q["pass"]["high"],
                        _rate_text(q["pass"]),
                    )
                    for q in quality
                ],
                percent=True,
            ),
            "weighted": interval_chart(
                "Severity-weighted failure per output, 95% interval",
                [
                    ChartRow(
                        f["candidate_id"],
                        f["weighted"]["value"],
                        f["weighted"]["low"],
                        f["weighted"]["high"],
                        _estimate_text(f["weighted"], f["n"]),
                    )
                    for f in failures
                ],
            ),
            "latency": interval_chart(
                "Latency (ms): p50 and p95, 95% intervals",
                [
                    ChartRow(
                        f"{t['candidate_id']} {name}",
                        t["latency"][name]["value"],
                        t["latency"][name]["low"],
                        t["latency"][name]["high"],
                        _quantile_text(t["latency"][name], "ms"),
                    )
                    for t in timing
                    for name in ("p50", "p95")
                ],
                unit=" ms",
            ),
        },
    }


def _quality(run_id: str, summary: CandidateSummary) -> dict[str, Any]:
    cid = summary.candidate_id
    mean = summary.pass_mean
    return {
        "candidate_id": cid,
        "n": summary.n,
        "answered": summary.answered,
        "errors": dict(summary.errors),
        "error_count": summary.error_count,
        "errors_url": examples_url(run_id, candidate=cid, outcome="error"),
        "pass": rate_json(summary.pass_rate, examples_url(run_id, candidate=cid, outcome="pass")),
        "failed_url": examples_url(run_id, candidate=cid, outcome="fail"),
        "pass_mean": (
            {
                "value": number(mean.value),
                "low": number(mean.low),
                "high": number(mean.high),
                "n": mean.n,
                "clusters": mean.clusters,
            }
            if mean is not None
            else None
        ),
        "flaky": summary.flaky,
        "checks": [
            {
                "check_id": check_id,
                **rate_json(rate, examples_url(run_id, candidate=cid, check=check_id)),
                "failed": summary.check_failures.get(check_id, 0),
            }
            for check_id, rate in summary.check_rates.items()
        ],
    }


def _pair(pair: CandidatePair) -> dict[str, Any]:
    paired = pair.paired
    return {
        "a": pair.a,
        "b": pair.b,
        **paired_json(paired),
        "only_a_passed": paired.b,
        "only_b_passed": paired.c,
        "p": number(paired.p_value),
        "adjusted_p": number(pair.adjusted_p),
        "verdict": pair.verdict,
        "verdict_text": pair.named_verdict,
    }


def _criterion(run_id: str, result: CriterionResult, rubric: Sequence[Criterion]) -> dict[str, Any]:
    question = next((c.question for c in rubric if c.id == result.criterion_id), None)
    return {
        "criterion_id": result.criterion_id,
        "question": question,
        "candidate_id": result.candidate_id,
        "source": result.source,
        **rate_json(result.rate, None),
        "not_applicable": result.not_applicable,
        "undecided": result.undecided,
        "failing_url": examples_url(
            run_id, candidate=result.candidate_id, criterion=result.criterion_id
        ),
    }


def _timing(summary: CandidateSummary, timing: Timing) -> dict[str, Any]:
    return {
        "candidate_id": summary.candidate_id,
        "latency": {f"p{q.q:.0f}": _quantile(q) for q in timing.latency},
        "ttft": {f"p{q.q:.0f}": _quantile(q) for q in timing.ttft},
        "mean_input_tokens": number(summary.mean_input_tokens),
        "mean_output_tokens": number(summary.mean_output_tokens),
        "total_input_tokens": summary.total_input_tokens,
        "total_output_tokens": summary.total_output_tokens,
        "tokens_estimated": summary.tokens_estimated,
        "from_cache": summary.from_cache,
        "retried": summary.retried,
    }


def _quantile(found: Quantile) -> dict[str, Any]:
    return {
        "n": found.n,
        "value": number(found.value),
        "low": number(found.low),
        "high": number(found.high),
    }


def _rate_text(rate: Mapping[str, Any]) -> str:
    return (
        f"{percent(rate['rate'])} [{percent(rate['low'])}, "
        f"{percent(rate['high'])}] · {rate['k']} of {rate['n']}"
    )


def _estimate_text(estimate: Mapping[str, Any], n: int) -> str:
    def shown(value: float | None) -> str:
        return "–" if value is None else f"{value:.2f}"

    return (
        f"{shown(estimate['value'])} [{shown(estimate['low'])}, {shown(estimate['high'])}] · n={n}"
    )


def _quantile_text(found: Mapping[str, Any], unit: str) -> str:
    def shown(value: float | None, open_end: str) -> str:
        return open_end if value is None else f"{value:,.0f}"

    if found["value"] is None:
        return f"no timings · n={found['n']}"
    return (
        f"{shown(found['value'], '–')} {unit} [{shown(found['low'], '?')}, "
        f"{shown(found['high'], '?')}] · n={found['n']}"
    )
