"""`analyse_run`: everything the results pages need from a run's whole set of outputs, in one
pass over one reading of its rows.

The run page, the failure analysis and the outputs list need the summary, the failure report
and the cost; each of those would read the run's outputs, examples and grades on its own
(about half a second per reading at 20,000 outputs). Here the rows are read once and handed
to each.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from fieldeval.abstention.rates import AbstentionReport, abstention_of
from fieldeval.cost.spend import RunCost, run_cost
from fieldeval.edges.clean_view import is_variant
from fieldeval.edges.rates import EdgeReport, edge_report
from fieldeval.failures.report import FailureReport, failure_report
from fieldeval.production.estimates import ProductionEstimates
from fieldeval.providers import sharing_a_server
from fieldeval.records.run import RunInfo, StoredOutput
from fieldeval.results.candidates import CandidatePair, compare_candidates
from fieldeval.results.classification import ClassificationReport, classification_report
from fieldeval.results.rubric import (
    CriterionResult,
    judge_warnings,
    rubric_calibration,
    rubric_results,
)
from fieldeval.results.run_data import read_run
from fieldeval.results.slices import SliceField, slice_results
from fieldeval.results.summary import RunSummary, example_clusters, summarize
from fieldeval.results.weighted import weighted_estimates
from fieldeval.stats.quantile import Quantile, quantile
from fieldeval.store.store import Store
from fieldeval.suite.schema import Suite

QUANTILES = (50.0, 95.0)


@dataclass(frozen=True)
class Timing:
    """One candidate's latency and time to first token, each at QUANTILES."""

    latency: tuple[Quantile, ...]
    ttft: tuple[Quantile, ...]


@dataclass(frozen=True)
class RunNumbers:
    """A run's quality and speed per candidate, as the run page shows them."""

    summary: RunSummary
    timing: dict[str, Timing]
    pairs: tuple[CandidatePair, ...]
    rubric: tuple[CriterionResult, ...]
    slices: tuple[SliceField, ...] = ()
    judge_warnings: tuple[str, ...] = ()  # a judge that never varies, or is uncalibrated
    classification: ClassificationReport | None = None  # when the reference is a label
    abstention: AbstentionReport | None = None  # always read; shown when something abstained
    edges: EdgeReport | None = None  # a run that also answered edge-case variants
    # Candidates one server answered together: their latencies are partly each other's queue.
    shared_servers: tuple[tuple[str, ...], ...] = ()
    production: ProductionEstimates | None = None  # an eval set drawn from production traffic


@dataclass(frozen=True)
class RunAnalysis:
    numbers: RunNumbers
    report: FailureReport
    cost: RunCost
    outputs: int  # the run's outputs it read
    seconds: float  # how long it took, reading included


def analyse_run(store: Store, suite: Suite, run: RunInfo) -> RunAnalysis:
    """The run's numbers, failure report and cost from a single reading of its rows."""
    started = time.perf_counter()
    # Edge-case variants are the edges report's; the run's numbers are the clean task's.
    data = read_run(store, run.id)
    run, outputs = data.run, data.outputs
    rubric = tuple(rubric_results(data.grades, suite.rubric))
    calibrations = rubric_calibration(data.grades, suite.rubric, resamples=0)
    numbers = RunNumbers(
        summary=summarize(run, outputs, clusters=example_clusters(run, data.examples)),
        timing={cid: _timing(outputs, cid) for cid in run.candidates},
        pairs=compare_candidates(outputs, run.candidates),
        rubric=rubric,
        slices=slice_results(outputs, data.clean_examples, run.candidates),
        judge_warnings=tuple(judge_warnings(rubric, calibrations)),
        classification=classification_report(
            run.suite, outputs, data.clean_examples, run.candidates
        ),
        abstention=abstention_of(data),
        # The variants' outputs are not in `data` (the clean task's numbers); read them apart.
        edges=(edge_report(store, run.id) if any(is_variant(e) for e in data.examples) else None),
        shared_servers=tuple(sharing_a_server(run)),
        production=weighted_estimates(run, outputs, data.clean_examples, data.grades),
    )
    report = failure_report(suite, data)
    cost = run_cost(suite, data)
    return RunAnalysis(numbers, report, cost, len(outputs), time.perf_counter() - started)


def _timing(outputs: Sequence[StoredOutput], candidate_id: str) -> Timing:
    answered = [o for o in outputs if o.candidate_id == candidate_id and o.ok]
    latencies = [o.latency_ms for o in answered if o.latency_ms is not None]
    ttfts = [o.ttft_ms for o in answered if o.ttft_ms is not None]
    return Timing(
        latency=tuple(quantile(latencies, q) for q in QUANTILES),
        ttft=tuple(quantile(ttfts, q) for q in QUANTILES),
    )
