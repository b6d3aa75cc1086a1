"""`ResultsContext`: what the results pages read, and the analyses they keep between requests.

A finished run's outputs never change, so an analysis is kept until the run's grades or
labels do: each is cached at the version of what it read (`RunState`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

from fastapi import Request

from fieldeval.analysis.candidates import CandidatePair, compare_candidates
from fieldeval.analysis.compare import RunComparison, compare_runs
from fieldeval.analysis.cost import RunCost, run_cost
from fieldeval.analysis.failure_report import FailureReport, failure_report
from fieldeval.analysis.quantile import Quantile, quantile
from fieldeval.analysis.rubric import CriterionResult, rubric_results
from fieldeval.analysis.summary import RunSummary, example_clusters, summarize
from fieldeval.errors import UserError
from fieldeval.store.browse_store import BrowseStore, CandidateTotals
from fieldeval.store.example_query import CriterionRule
from fieldeval.store.grade_store import GradeStore
from fieldeval.store.records import RunInfo, StoredOutput
from fieldeval.store.store import Store
from fieldeval.suite.rubric import Scale
from fieldeval.suite.schema import Suite
from fieldeval.web.cache import AnalysisCache
from fieldeval.web.grading import NotFound

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


@dataclass
class ResultsContext:
    """One store, the suite whose runs the pages show, and the analyses computed so far."""

    store: Store
    suite: Suite
    cache: AnalysisCache = field(default_factory=AnalysisCache)

    @property
    def suite_name(self) -> str:
        return self.suite.task.name

    @property
    def browse(self) -> BrowseStore:
        return BrowseStore(self.store)

    def run(self, run_id: str) -> RunInfo:
        """The run with this id (or unique prefix), if it is a run of this app's suite."""
        try:
            info = self.store.run(run_id)
        except UserError as error:
            raise NotFound(error.message, hint=error.hint) from None
        if info.suite_name != self.suite_name:
            raise NotFound(
                f"run {info.id} is a run of {info.suite_name!r}, not of {self.suite_name!r}",
                hint=f"serve that suite instead: fieldeval serve <its suite> --run {info.id}",
            )
        return info

    def state(self, run: RunInfo) -> tuple[object, ...]:
        """What an analysis of `run` depends on: the version it is cached at."""
        return dataclasses.astuple(self.browse.state(run.id))

    # -- analyses, cached -----------------------------------------------------------------

    def report(self, run: RunInfo) -> FailureReport:
        """The whole failure analysis: its bootstrap and tests take seconds on big runs."""
        return self.cache.get(
            ("failures", run.id),
            self.state(run),
            lambda: failure_report(self.store, self.suite, run.id),
        )

    def numbers(self, run: RunInfo) -> RunNumbers:
        return self.cache.get(("numbers", run.id), self.state(run), lambda: self._numbers(run))

    def cost(self, run: RunInfo) -> RunCost:
        """What the run cost, per candidate; a candidate without a price has no cost."""
        return self.cache.get(
            ("cost", run.id), self.state(run), lambda: run_cost(self.store, self.suite, run.id)
        )

    def comparison(self, before: RunInfo, after: RunInfo) -> RunComparison:
        return self.cache.get(
            ("compare", before.id, after.id),
            (self.state(before), self.state(after)),
            lambda: compare_runs(self.store, before.id, after.id),
        )

    def totals(self, runs: Sequence[RunInfo]) -> dict[str, list[CandidateTotals]]:
        """Each run's outputs per candidate; counted again only while a run is running."""
        found: dict[str, list[CandidateTotals]] = {}
        missing = []
        for run in runs:
            cached, value = self.cache.peek(("totals", run.id), (run.status, run.finished_at))
            if cached and run.status != "running":
                found[run.id] = cast(list[CandidateTotals], value)
            else:
                missing.append(run)
        fetched = self.browse.totals([run.id for run in missing]) if missing else {}
        for run in missing:
            found[run.id] = fetched.get(run.id, [])
            self.cache.put(("totals", run.id), (run.status, run.finished_at), found[run.id])
        return found

    def slices(self, dataset_hash: str) -> dict[str, list[str]]:
        """Each slice's values in a dataset version: content-addressed, so never stale."""
        names = tuple(self.suite.dataset.slices)
        return self.cache.get(
            ("slices", dataset_hash),
            names,
            lambda: self.browse.slice_values(dataset_hash, names),
        )

    def edges(self, dataset_hash: str) -> list[str]:
        """The edge kinds a dataset version's examples carry; empty when they carry none."""
        return self.cache.get(
            ("edges", dataset_hash), None, lambda: self.browse.edge_values(dataset_hash)
        )

    def criterion_rules(self) -> dict[str, CriterionRule]:
        """Each criterion's current version and what passes on it, for filtering."""
        return {
            criterion.id: CriterionRule(
                criterion.id,
                criterion.version,
                criterion.scale.threshold if isinstance(criterion.scale, Scale) else None,
            )
            for criterion in self.suite.rubric
        }

    def warm(self) -> str | None:
        """Compute the latest run's analyses and its comparison with the run before.

        Run in the background at start-up, so the first page a reader opens is ready; a
        request arriving meanwhile waits for the same computation instead of repeating it.
        Returns the latest run's id (None without a run).
        """
        latest, _ = self.browse.runs(self.suite_name, offset=0, limit=2)
        if not latest:
            return None
        run = latest[0]
        self.numbers(run)
        self.report(run)
        self.cost(run)
        if len(latest) > 1:
            self.comparison(latest[1], run)
        return run.id

    # -- computing ------------------------------------------------------------------------

    def _numbers(self, run: RunInfo) -> RunNumbers:
        outputs = self.store.outputs(run.id)
        clusters = None
        if (run.suite.get("dataset") or {}).get("cluster"):
            clusters = example_clusters(run, self.store.examples(run.dataset_hash))
        return RunNumbers(
            summary=summarize(run, outputs, clusters=clusters),
            timing={cid: _timing(outputs, cid) for cid in run.candidates},
            pairs=compare_candidates(outputs, run.candidates),
            rubric=tuple(rubric_results(GradeStore(self.store).grades(run.id), self.suite.rubric)),
        )


def _timing(outputs: Sequence[StoredOutput], candidate_id: str) -> Timing:
    answered = [o for o in outputs if o.candidate_id == candidate_id and o.ok]
    latencies = [o.latency_ms for o in answered if o.latency_ms is not None]
    ttfts = [o.ttft_ms for o in answered if o.ttft_ms is not None]
    return Timing(
        latency=tuple(quantile(latencies, q) for q in QUANTILES),
        ttft=tuple(quantile(ttfts, q) for q in QUANTILES),
    )


def results_context(request: Request) -> ResultsContext:
    context: ResultsContext | None = getattr(request.app.state, "results", None)
    if context is None:
        raise UserError("this app was started without results to show")
    return context
