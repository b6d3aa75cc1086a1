"""The decision: everything the decision report shows about one run, computed from the store.

Each part comes from the analysis that owns it (summary, paired tests, failures, rubric, cost,
Pareto, leaderboards, load tests); this module gathers them and adds the recommendation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from fieldeval.abstention.rates import AbstentionReport, abstention_of
from fieldeval.cost.leaderboard import RankComparison, compare_rankings
from fieldeval.cost.pareto import ParetoPoint, TradeOff, pareto, trade_offs
from fieldeval.cost.spend import CandidateCost, RunCost, run_cost
from fieldeval.decision.latency import LatencyUnderLoad, latency_under_load
from fieldeval.decision.power import PowerNote, power_note
from fieldeval.decision.readiness import Bars
from fieldeval.decision.recommendation import Recommendation, find_pair, recommend
from fieldeval.edges.rates import EdgeReport, edge_report
from fieldeval.failures.rates import CandidateFailures, worst_severity
from fieldeval.failures.report import FailureReport, failure_report
from fieldeval.judge.calibration import Calibration
from fieldeval.notation import truncate
from fieldeval.production.estimates import ProductionEstimates
from fieldeval.records.run import OutputKey, StoredExample, StoredOutput
from fieldeval.results.candidates import CandidatePair, compare_candidates
from fieldeval.results.classification import ClassificationReport, classification_report
from fieldeval.results.rubric import (
    CriterionResult,
    rubric_calibration,
    rubric_results,
    run_rubric,
)
from fieldeval.results.run_data import RunData, read_run
from fieldeval.results.slices import SliceField, slice_results
from fieldeval.results.summary import CandidateSummary, RunSummary, example_clusters, summarize
from fieldeval.results.weighted import weighted_estimates
from fieldeval.store import Store
from fieldeval.suite.economics import Volume
from fieldeval.suite.failure_modes import SEVERITY_LEVEL
from fieldeval.suite.load import LoadTargets
from fieldeval.suite.schema import Suite


@dataclass(frozen=True)
class SliceCount:
    name: str  # the dataset field
    value: str
    examples: int


@dataclass(frozen=True)
class DataSection:
    examples: int  # in the run's dataset (after any sampling)
    slices: tuple[SliceCount, ...]  # by slice, then by count, most first
    dataset_path: str
    dataset_hash: str
    run_id: str
    started_at: datetime
    status: str
    repeats: int
    outputs: int  # stored: answered and errors
    missing: int  # planned and not stored


@dataclass(frozen=True)
class NotMeasured:
    """A section without data yet, and what would measure it."""

    what: str
    why: str
    command: str | None


@dataclass(frozen=True)
class Excerpt:
    """An output worth reading first, with the start of its input and of its text."""

    candidate_id: str
    example_id: str
    repeat: int
    reason: str
    severity: str  # of the output's worst failure mode
    input: str  # untrusted: the dataset's text
    output: str  # untrusted: the model's text


# Enough of an output to see what went wrong; the web app shows the whole of it.
EXCERPT_CHARS = 300


@dataclass(frozen=True)
class Decision:
    suite_name: str
    suite_path: str
    description: str  # the task statement
    data: DataSection
    summary: RunSummary
    pairs: tuple[CandidatePair, ...]
    slices: tuple[SliceField, ...]  # pass rates per slice value; empty without slices
    failures: FailureReport | None  # None: no failure mode, no check and no rubric
    look_first: tuple[Excerpt, ...]  # the failure report's outputs to read first
    rubric: tuple[CriterionResult, ...]  # empty without grades
    calibration: tuple[Calibration, ...]
    cost: RunCost
    volume: Volume | None
    pareto: tuple[ParetoPoint, ...]
    trade_offs: tuple[TradeOff, ...]
    rankings: tuple[RankComparison, ...]  # one per leaderboard the suite lists
    latency: tuple[tuple[str, LatencyUnderLoad | None], ...]  # per candidate, in run order
    latency_targets: LoadTargets
    edges: NotMeasured | None  # None when `edge_cases` holds graded results
    not_measured: tuple[NotMeasured, ...]  # every section or candidate without data
    power: PowerNote
    recommendation: Recommendation
    edge_cases: EdgeReport | None = None  # a run with edge-case variants
    classification: ClassificationReport | None = None  # when the reference is a label
    abstention: AbstentionReport | None = None  # when an output did not answer, or asked for
    production: ProductionEstimates | None = None  # an eval set drawn from production traffic

    @property
    def candidate_ids(self) -> tuple[str, ...]:
        """Best first, then any candidate that answered nothing."""
        ranked = self.recommendation.ranking
        rest = (c.candidate_id for c in self.summary.candidates if c.candidate_id not in ranked)
        return (*ranked, *rest)

    def quality(self, candidate_id: str) -> CandidateSummary:
        return next(c for c in self.summary.candidates if c.candidate_id == candidate_id)

    def cost_of(self, candidate_id: str) -> CandidateCost | None:
        return next((c for c in self.cost.candidates if c.candidate_id == candidate_id), None)

    def failures_of(self, candidate_id: str) -> CandidateFailures | None:
        if self.failures is None:
            return None
        found = self.failures.candidates
        return next((c for c in found if c.candidate_id == candidate_id), None)

    def pair(self, a: str, b: str) -> CandidatePair | None:
        return find_pair(self.pairs, a, b)


def decision(
    store: Store, suite: Suite, run_id: str, *, seed: int = 0, suite_path: str | None = None
) -> Decision:
    """Gather the decision report's contents for `run_id`, a run of `suite`.

    `suite_path` is how the commands the report suggests name the suite (default: the path
    the run was made from).
    """
    # Edge-case variants have their own section: every other number is on the clean examples.
    data = read_run(store, run_id)
    run, outputs, grades = data.run, data.outputs, data.grades
    examples = data.clean_examples
    summary = summarize(run, outputs, clusters=example_clusters(run, examples))
    pairs = compare_candidates(outputs, run.candidates)
    failures = failure_report(suite, data, seed=seed) if suite.counted_modes else None
    rubric = run_rubric(run) if grades else ()
    results = tuple(rubric_results(grades, rubric))
    calibration = tuple(rubric_calibration(grades, rubric, seed=seed))
    cost = run_cost(suite, data, seed=seed)
    latency = tuple(
        (cid, latency_under_load(store, suite.task.name, cid, suite.load.targets))
        for cid in run.candidates
    )
    power = power_note(summary, pairs)
    path = suite_path or run.suite_path
    judged = sorted({r.criterion_id for r in results if r.source == "judge" and r.rate.n})
    recommendation = recommend(
        summary=summary,
        pairs=pairs,
        cost=cost,
        failures=failures,
        latency=dict(latency),
        power=power,
        calibration=calibration,
        judged_criteria=judged,
        bars=Bars.of(suite),
        run_date=run.started_at.date(),
        suite_path=path,
        criteria=results,
    )
    edge_cases = edge_report(store, run.id)
    edges = _edges_not_measured(edge_cases, path, run.id)
    return Decision(
        suite_name=suite.task.name,
        suite_path=path,
        description=suite.task.description,
        data=_data(run.id, suite, summary, examples),
        summary=summary,
        pairs=pairs,
        slices=slice_results(outputs, examples, run.candidates),
        production=weighted_estimates(run, outputs, examples, grades),
        classification=classification_report(run.suite, outputs, examples, run.candidates),
        abstention=_abstention(data),
        failures=failures,
        look_first=_excerpts(failures, outputs, examples),
        rubric=results,
        calibration=calibration,
        cost=cost,
        volume=suite.volume,
        pareto=pareto(summary, cost, pairs),
        trade_offs=trade_offs(summary, cost, pairs),
        rankings=compare_rankings(suite.leaderboards, summary, pairs),
        latency=latency,
        latency_targets=suite.load.targets,
        edges=edges,
        not_measured=(
            *([edges] if edges is not None else []),
            *_not_measured(suite, path, failures, bool(grades), cost, latency),
        ),
        power=power,
        recommendation=recommendation,
        edge_cases=edge_cases if edges is None else None,
    )


def _edges_not_measured(report: EdgeReport | None, path: str, run_id: str) -> NotMeasured | None:
    """Why the edge-case section is empty; None when it has graded results."""
    if report is None:
        return NotMeasured(
            "edge cases",
            "the suite has no `edges:` section, so no variants of the examples (hostile, out of"
            " scope, injected instructions…) were run; the rates here are on the clean"
            " examples only",
            f"add `edges: {{generators: [typos, injection, out_of_scope]}}` to {path}",
        )
    if not any(row.graded for row in report.totals):
        return NotMeasured(
            "edge cases",
            f"the run has {report.variants} edge-case variants, but no reply to them is graded",
            f"fieldeval edges {path} --run {run_id}",
        )
    return None


def _data(
    run_id: str, suite: Suite, summary: RunSummary, rows: Sequence[StoredExample]
) -> DataSection:
    slices: list[SliceCount] = []
    for name in suite.dataset.slices:
        counts = Counter(example.slices.get(name, "") for example in rows)
        slices += [
            SliceCount(name, value, k)
            for value, k in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        ]
    run = summary.run
    return DataSection(
        examples=len(rows),
        slices=tuple(slices),
        dataset_path=suite.dataset.path,
        dataset_hash=run.dataset_hash,
        run_id=run_id,
        started_at=run.started_at,
        status=run.status,
        repeats=run.repeats,
        outputs=sum(c.n for c in summary.candidates),
        missing=summary.missing,
    )


def _excerpts(
    failures: FailureReport | None,
    outputs: Sequence[StoredOutput],
    examples: Sequence[StoredExample],
) -> tuple[Excerpt, ...]:
    """The failure report's outputs to read first, the most severe first."""
    if failures is None:
        return ()
    texts = {OutputKey.of(o): o.text or "" for o in outputs}
    inputs = {example.id: example.input for example in examples}
    modes = {mode.id: mode for mode in failures.modes}
    labels = {OutputKey.of(o): o.modes for o in failures.outputs}
    found = []
    for item in failures.look_first:
        key = OutputKey.of(item)
        found.append(
            Excerpt(
                *key,
                reason=item.reason,
                severity=worst_severity(labels.get(key, frozenset()), modes),
                input=truncate(inputs.get(item.example_id, ""), EXCERPT_CHARS),
                output=truncate(texts.get(key, ""), EXCERPT_CHARS),
            )
        )
    # Stable: within a severity, the failure report's own order.
    return tuple(sorted(found, key=lambda e: -SEVERITY_LEVEL[e.severity]))


def _not_measured(
    suite: Suite,
    path: str,
    failures: FailureReport | None,
    graded: bool,
    cost: RunCost,
    latency: tuple[tuple[str, LatencyUnderLoad | None], ...],
) -> list[NotMeasured]:
    found = []
    if not suite.failure_modes:
        why = (
            f"the suite names no failure_modes, so every failed check or criterion counts as "
            f"unclassified, at severity {suite.unclassified_severity}"
            if failures is not None
            else "the suite defines no failure_modes, and no checks or rubric to fail"
        )
        found.append(NotMeasured("failure modes", why, f"fieldeval failures suggest {path}"))
    if suite.rubric and not graded:
        found.append(
            NotMeasured(
                "rubric",
                f"no output of this run is graded on the rubric yet (the judge grades them with"
                f" fieldeval judge {path})",
                f"fieldeval grade {path}",
            )
        )
    for c in cost.candidates:
        if c.price is None:
            found.append(
                NotMeasured(
                    f"cost of {c.candidate_id}",
                    "no price: none in the suite and its model is not in the bundled table",
                    f"set `price:` on {c.candidate_id} in {path}",
                )
            )
    if suite.volume is None and any(c.price is not None for c in cost.candidates):
        found.append(
            NotMeasured(
                "monthly cost",
                "the suite gives no traffic volume to project at",
                f"add `volume: {{requests_per_month: N}}` to {path}",
            )
        )
    for candidate_id, measured in latency:
        if measured is None:
            found.append(
                NotMeasured(
                    f"latency under load of {candidate_id}",
                    "no stored load test of this candidate in this suite",
                    f"fieldeval load {path} --candidate {candidate_id}",
                )
            )
    return found


def _abstention(data: RunData) -> AbstentionReport | None:
    """Answers and abstentions, when an output did not answer or the suite asks for them."""
    found = abstention_of(data)
    return found if found.shown else None
