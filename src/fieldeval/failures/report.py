"""A run's failure analysis: per candidate, systematic or random, and what to read first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fieldeval.edges.rates import clean_view
from fieldeval.failures.labels import label_outputs
from fieldeval.failures.rates import CandidateFailures, LabelledOutput, candidate_failures
from fieldeval.failures.systematic import SystematicReport, systematic
from fieldeval.records.grade import FailureLabel, Grade
from fieldeval.records.run import RunInfo, StoredExample, StoredOutput
from fieldeval.store.grade_store import GradeStore
from fieldeval.store.store import Store
from fieldeval.suite.failure_modes import SEVERITY_LEVEL, FailureMode
from fieldeval.suite.schema import Suite


@dataclass(frozen=True)
class LookFirst:
    """An output worth reading before anything else, and why."""

    candidate_id: str
    example_id: str
    repeat: int
    reason: str


@dataclass(frozen=True)
class FailureReport:
    run: RunInfo
    modes: tuple[FailureMode, ...]
    weights: dict[str, float]
    outputs: tuple[LabelledOutput, ...]
    candidates: tuple[CandidateFailures, ...]
    systematic: SystematicReport
    look_first: tuple[LookFirst, ...]


MAX_LOOK_FIRST = 20


def labelled_outputs(
    store: Store,
    suite: Suite,
    run: RunInfo,
    *,
    outputs: Sequence[StoredOutput] | None = None,
    examples: Sequence[StoredExample] | None = None,
    grades: Sequence[Grade] | None = None,
    labels: Sequence[FailureLabel] | None = None,
) -> list[LabelledOutput]:
    """Every answered output of the run with its failure modes, as the report counts them.

    Rows the caller already read are used as given: the run's `outputs`, its dataset's
    `examples`, its `grades` (every grader) and failure `labels`; the rest is read here.
    """
    grade_store = GradeStore(store)
    if examples is None:
        examples = store.examples(run.dataset_hash)
    if outputs is None:
        # A run with edge cases also answered their variants; they are graded by oracle.
        outputs = clean_view(run, store.outputs(run.id), examples)[1]
    return label_outputs(
        suite,
        outputs,
        {example.id: example for example in examples},
        grade_store.grades(run.id) if grades is None else grades,
        grade_store.failure_labels(run.id) if labels is None else labels,
    )


def failure_report(
    store: Store,
    suite: Suite,
    run_id: str,
    *,
    seed: int = 0,
    run: RunInfo | None = None,
    outputs: Sequence[StoredOutput] | None = None,
    examples: Sequence[StoredExample] | None = None,
    grades: Sequence[Grade] | None = None,
    labels: Sequence[FailureLabel] | None = None,
) -> FailureReport:
    """Label every answered output of the run and analyse the failure modes.

    `run`, `outputs`, `examples`, `grades` and `labels`, when given, are that run's rows
    already read (see `labelled_outputs`): one reading then serves several analyses.
    """
    if run is None:
        run = store.run(run_id)
    elif run.id != run_id:
        raise ValueError(f"run {run.id} was given for run {run_id}")
    outputs_labelled = labelled_outputs(
        store, suite, run, outputs=outputs, examples=examples, grades=grades, labels=labels
    )
    modes = suite.failure_modes
    slice_names = tuple(suite.dataset.slices)
    found = systematic(outputs_labelled, modes, slice_names=slice_names)
    return FailureReport(
        run=run,
        modes=modes,
        weights=suite.weights,
        outputs=tuple(outputs_labelled),
        candidates=tuple(candidate_failures(outputs_labelled, modes, suite.weights, seed=seed)),
        systematic=found,
        look_first=tuple(_look_first(outputs_labelled, modes, found)),
    )


def _look_first(
    outputs: list[LabelledOutput], modes: tuple[FailureMode, ...], found: SystematicReport
) -> list[LookFirst]:
    """Examples every candidate fails first (often a bad example or an ambiguous task), then
    outputs with the most severe systematic modes."""
    chosen: list[LookFirst] = []
    seen: set[tuple[str, str, int]] = set()
    everyone_fails = set(found.all_fail)
    examples = {output.example_id for output in outputs}
    # When every candidate fails most examples, the candidates are the problem, not the
    # examples: listing them all would bury the systematic modes below.
    if len(everyone_fails) <= len(examples) / 2:
        listed: set[str] = set()
        for output in outputs:
            key = (output.candidate_id, output.example_id, output.repeat)
            if output.example_id in everyone_fails and output.example_id not in listed:
                listed.add(output.example_id)
                seen.add(key)
                chosen.append(
                    LookFirst(
                        *key,
                        reason="every candidate fails this example: check the example and the task",
                    )
                )
    by_id = {mode.id: mode for mode in modes}
    systematic_modes = sorted(
        (v.mode_id for v in found.verdicts if v.label == "systematic"),
        key=lambda mode_id: -SEVERITY_LEVEL[by_id[mode_id].severity],
    )
    for mode_id in systematic_modes:
        mode = by_id[mode_id]
        for output in outputs:
            key = (output.candidate_id, output.example_id, output.repeat)
            if mode_id in output.modes and key not in seen:
                seen.add(key)
                chosen.append(
                    LookFirst(*key, reason=f"systematic {mode.severity} failure: {mode.id}")
                )
                break  # one per mode here; the failure browser lists the rest
    return chosen[:MAX_LOOK_FIRST]
