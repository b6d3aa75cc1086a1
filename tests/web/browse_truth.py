"""What the browsing pages should show, computed with the library from the same store.

`Truth.matching` filters the examples in plain Python over every output, with the failure
modes `label_outputs` gives: an independent account of what the SQL filters must return.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.web.browse_suite import BrowseRuns

from fieldeval.cost.spend import RunCost, run_cost
from fieldeval.failures.report import FailureReport, failure_report
from fieldeval.records.run import RunInfo, StoredExample, StoredOutput
from fieldeval.results.compare import RunComparison, compare_runs
from fieldeval.results.run_data import read_run
from fieldeval.results.summary import RunSummary, summarize
from fieldeval.store import Store
from fieldeval.suite.loader import load_suite
from fieldeval.suite.schema import Suite

Key = tuple[str, str, int]


@dataclass(frozen=True)
class Truth:
    suite: Suite
    first: RunInfo
    run: RunInfo  # the second, newest run: the one the pages open on
    examples: tuple[StoredExample, ...]
    outputs: tuple[StoredOutput, ...]
    first_outputs: tuple[StoredOutput, ...]
    modes: dict[Key, frozenset[str]]  # answered outputs only
    summary: RunSummary
    first_summary: RunSummary
    report: FailureReport
    comparison: RunComparison
    cost: RunCost

    def output(self, candidate: str, example: str) -> StoredOutput:
        return next(
            o for o in self.outputs if (o.candidate_id, o.example_id) == (candidate, example)
        )

    def matching(
        self,
        *,
        candidate: str | None = None,
        outcome: str | None = None,
        check: str | None = None,
        criterion: str | None = None,
        mode: str | None = None,
        slice: tuple[str, str] | None = None,
        edge: str | None = None,
        q: str | None = None,
    ) -> list[str]:
        """The ids of the examples the filter keeps, in dataset order."""
        criterion_modes = {m.criterion: m.id for m in self.suite.failure_modes if m.criterion}

        def keeps(o: StoredOutput) -> bool:
            modes = self.modes.get((o.candidate_id, o.example_id, o.repeat))
            failed = {c.check_id for c in o.checks if not c.passed}
            return (
                (candidate is None or o.candidate_id == candidate)
                and (outcome != "error" or not o.ok)
                and (outcome != "pass" or (o.ok and o.passed))
                and (outcome != "fail" or (o.ok and not o.passed))
                and (check is None or (o.ok and check in failed))
                and (mode is None or (modes is not None and mode in modes))
                and (
                    criterion is None or (modes is not None and criterion_modes[criterion] in modes)
                )
            )

        found = []
        for example in self.examples:
            if slice is not None and example.slices.get(slice[0]) != slice[1]:
                continue
            if edge is not None and example.slices.get("edge") != edge:
                continue
            kept = [o for o in self.outputs if o.example_id == example.id and keeps(o)]
            if not kept:
                continue
            if q is not None:
                texts = [example.input, *(o.text or "" for o in kept)]
                if not any(q.lower() in text.lower() for text in texts):
                    continue
            found.append(example.id)
        return found


def compute(runs: BrowseRuns) -> Truth:
    suite = load_suite(Path(runs.suite)).suite
    store = Store.open(runs.db_url)
    try:
        run, first = store.run(runs.second), store.run(runs.first)
        outputs, first_outputs = store.outputs(run.id), store.outputs(first.id)
        report = failure_report(suite, read_run(store, run.id))
        return Truth(
            suite=suite,
            first=first,
            run=run,
            examples=tuple(store.examples(run.dataset_hash)),
            outputs=tuple(outputs),
            first_outputs=tuple(first_outputs),
            modes={(o.candidate_id, o.example_id, o.repeat): o.modes for o in report.outputs},
            summary=summarize(run, outputs),
            first_summary=summarize(first, first_outputs),
            report=report,
            comparison=compare_runs(store, first.id, run.id),
            cost=run_cost(suite, read_run(store, run.id)),
        )
    finally:
        store.close()
