"""`ResultsContext`: what the results pages read, and the analyses they keep between requests.

A finished run's outputs never change, so an analysis is kept until the run's grades or
labels do: each is cached at the version of what it read (`RunState`). An analysis that
takes seconds (a large run's) is never computed on a request: the request queues it for the
background worker and the page says it is being computed (`Computing`).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar, cast

from fastapi import Request

from fieldeval.errors import FieldevalError, UserError
from fieldeval.records.run import RunInfo
from fieldeval.results.compare import RunComparison, compare_runs
from fieldeval.store.browse_store import BrowseStore, CandidateTotals
from fieldeval.store.example_query import CriterionRule
from fieldeval.store.store import Store
from fieldeval.suite.rubric import Scale
from fieldeval.suite.schema import Suite
from fieldeval.web.background import Background, Pending
from fieldeval.web.cache import AnalysisCache
from fieldeval.web.grading import NotFound
from fieldeval.web.run_analysis import RunAnalysis, analyse_run

T = TypeVar("T")
# A run with fewer outputs is analysed on the request that needs it: that takes less than
# the 300 ms a page may take (about 0.1 ms an output), and less than a reload would.
INLINE_BELOW = 1_000
WARM_RUNS = 5  # the newest runs analysed at start-up
RUNS_PER_PAGE = 50  # of the runs list
# Each run's totals, slice values and edge kinds: small, and kept apart from the analyses so
# that a runs list of 50 runs does not push the analyses out.
LOOKUPS = 1_024


@dataclass(frozen=True)
class Computing(Generic[T]):
    """An analysis the background worker has not finished: what a page says meanwhile."""

    outputs: int  # the outputs it reads
    progress: Pending
    # The analysis of an earlier version, shown meanwhile when the run is still running
    # (its outputs change with every request, so the current version is always behind).
    previous: T | None = None


@dataclass
class ResultsContext:
    """One store, the suite whose runs the pages show, and the analyses computed so far."""

    store: Store
    suite: Suite
    cache: AnalysisCache = field(default_factory=AnalysisCache)
    lookups: AnalysisCache = field(default_factory=lambda: AnalysisCache(size=LOOKUPS))
    inline_below: int = INLINE_BELOW  # outputs; 0 sends every analysis to the background
    log: Callable[[str], None] | None = None  # told when an analysis is done, and how long
    background: Background = field(init=False)

    def __post_init__(self) -> None:
        self.background = Background(self.cache)

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

    # -- analyses: cached, computed in the background -------------------------------------

    def analysis(self, run: RunInfo, *, wait: bool = False) -> RunAnalysis | Computing[RunAnalysis]:
        """The run's numbers, failure report and cost; `wait`: compute them now if need be."""
        state = self.browse.state(run.id)
        return self._ask(
            ("run", run.id),
            dataclasses.astuple(state),
            lambda: self._analyse(run),
            outputs=state.outputs,
            running=state.status == "running",
            wait=wait,
        )

    def comparison(
        self, before: RunInfo, after: RunInfo, *, wait: bool = False
    ) -> RunComparison | Computing[RunComparison]:
        states = (self.browse.state(before.id), self.browse.state(after.id))
        return self._ask(
            ("compare", before.id, after.id),
            tuple(dataclasses.astuple(state) for state in states),
            lambda: self._compare(before, after),
            outputs=sum(state.outputs for state in states),
            running=any(state.status == "running" for state in states),
            wait=wait,
        )

    def warm(self, limit: int = WARM_RUNS) -> list[str]:
        """Count the runs list's first page and read the newest runs' slice values; queue the
        analyses of the `limit` newest runs, newest first, and the newest one's comparison
        with the run before it. Returns those runs' ids.

        The counting and reading are quick (a few queries) and done here, before the worker
        starts, so the first pages a reader opens do not wait for them. The analyses are
        queued behind anything a page asks for, so a reader opening an older run does not
        wait for all of them; this returns at once, and the background worker computes them.
        """
        runs, _ = self.browse.runs(self.suite_name, offset=0, limit=max(limit, RUNS_PER_PAGE))
        self.totals(runs)
        for dataset_hash in dict.fromkeys(run.dataset_hash for run in runs[:limit]):
            self.slices(dataset_hash)  # what the examples page's filters offer
            self.edges(dataset_hash)
        for number, run in enumerate(runs[:limit]):
            state = self.browse.state(run.id)
            self.background.ask(
                ("run", run.id), dataclasses.astuple(state), _bind(self._analyse, run), urgent=False
            )
            if number == 0 and len(runs) > 1:
                self._compare_ahead(runs[1], run)
        return [run.id for run in runs[:limit]]

    def _compare_ahead(self, before: RunInfo, after: RunInfo) -> None:
        states = (self.browse.state(before.id), self.browse.state(after.id))
        self.background.ask(
            ("compare", before.id, after.id),
            tuple(dataclasses.astuple(state) for state in states),
            lambda: self._compare(before, after),
            urgent=False,
        )

    def _ask(
        self,
        family: Hashable,
        version: Hashable,
        compute: Callable[[], T],
        *,
        outputs: int,
        running: bool,
        wait: bool,
    ) -> T | Computing[T]:
        if wait or outputs < self.inline_below:
            return self.cache.get(family, version, compute)
        found = self.background.ask(family, version, compute)
        if not isinstance(found, Pending):
            return found
        previous = cast(T | None, self.cache.latest(family)) if running else None
        return Computing(outputs, found, previous)

    def _analyse(self, run: RunInfo) -> RunAnalysis:
        try:
            found = analyse_run(self.store, self.suite, run)
        except FieldevalError as error:
            self._log(f"could not analyse run {run.id}: {error.message}")
            raise
        self._log(f"analysed run {run.id} ({found.outputs:,} outputs) in {found.seconds:.1f} s")
        return found

    def _compare(self, before: RunInfo, after: RunInfo) -> RunComparison:
        started = time.perf_counter()
        try:
            found = compare_runs(self.store, before.id, after.id)
        except FieldevalError as error:
            self._log(f"could not compare run {before.id} with {after.id}: {error.message}")
            raise
        took = time.perf_counter() - started
        self._log(f"compared run {before.id} with {after.id} in {took:.1f} s")
        return found

    def _log(self, line: str) -> None:
        if self.log is not None:
            self.log(line)

    # -- quick lookups, cached ------------------------------------------------------------

    def totals(self, runs: Sequence[RunInfo]) -> dict[str, list[CandidateTotals]]:
        """Each run's outputs per candidate; counted again only while a run is running."""
        found: dict[str, list[CandidateTotals]] = {}
        missing = []
        for run in runs:
            cached, value = self.lookups.peek(("totals", run.id), (run.status, run.finished_at))
            if cached and run.status != "running":
                found[run.id] = cast(list[CandidateTotals], value)
            else:
                missing.append(run)
        fetched = self.browse.totals([run.id for run in missing]) if missing else {}
        for run in missing:
            found[run.id] = fetched.get(run.id, [])
            self.lookups.put(("totals", run.id), (run.status, run.finished_at), found[run.id])
        return found

    def slices(self, dataset_hash: str) -> dict[str, list[str]]:
        """Each slice's values in a dataset version: content-addressed, so never stale."""
        names = tuple(self.suite.dataset.slices)
        return self.lookups.get(
            ("slices", dataset_hash),
            names,
            lambda: self.browse.slice_values(dataset_hash, names),
        )

    def edges(self, dataset_hash: str) -> list[str]:
        """The edge kinds a dataset version's examples carry; empty when they carry none."""
        return self.lookups.get(
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


def _bind(analyse: Callable[[RunInfo], T], run: RunInfo) -> Callable[[], T]:
    """`analyse` of this run: a closure made in a loop would see only the last run."""
    return lambda: analyse(run)


def results_context(request: Request) -> ResultsContext:
    context: ResultsContext | None = getattr(request.app.state, "results", None)
    if context is None:
        raise UserError("this app was started without results to show")
    return context
