"""`RunData`: a run's rows, read from the store once and handed to every analysis.

The summary, the failure report, the cost and the decision each need the same outputs,
examples and grades; reading them once and passing them on keeps the analyses pure (no
store inside) and a page that shows all of them to one reading.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fieldeval.edges.clean_view import clean_view, is_variant
from fieldeval.records.grade import FailureLabel, Grade, JudgeCall
from fieldeval.records.run import RunInfo, StoredExample, StoredOutput
from fieldeval.store import Store
from fieldeval.store.edge_store import CLEAN_GENERATOR, EdgeStore, StoredEdgeOutcome
from fieldeval.store.grade_store import GradeStore


@dataclass(frozen=True)
class RunData:
    """Everything stored about one run that its numbers are computed from."""

    run: RunInfo  # as if it held only its clean examples (see `edges.clean_view`)
    outputs: tuple[StoredOutput, ...]  # the clean examples' outputs
    examples: tuple[StoredExample, ...]  # the run's dataset, edge-case variants included
    grades: tuple[Grade, ...]  # every grader's, every criterion version
    labels: tuple[FailureLabel, ...]
    judge_calls: tuple[JudgeCall, ...]
    prices: Mapping[str, Mapping[str, Any] | None]  # candidate -> stored price snapshot
    configs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # candidate -> config
    # The judge's classes for clean outputs (over-refusal, abstention): `edge_outcomes` rows.
    clean_judged: tuple[StoredEdgeOutcome, ...] = ()

    @property
    def clean_examples(self) -> tuple[StoredExample, ...]:
        """The team's own examples, without their edge-case variants."""
        return tuple(example for example in self.examples if not is_variant(example))

    @property
    def judge_grades(self) -> tuple[Grade, ...]:
        return tuple(grade for grade in self.grades if grade.grader_kind == "judge")


def read_run(store: Store, run_id: str) -> RunData:
    """One reading of the run (id or unique prefix) and everything graded about it."""
    stored = store.run(run_id)
    examples = tuple(store.examples(stored.dataset_hash))
    run, outputs = clean_view(stored, store.outputs(stored.id), examples)
    grades = GradeStore(store)
    return RunData(
        run=run,
        outputs=tuple(outputs),
        examples=examples,
        grades=tuple(grades.grades(run.id)),
        labels=tuple(grades.failure_labels(run.id)),
        judge_calls=tuple(grades.judge_calls(run.id)),
        prices=store.candidate_prices(run.id),
        configs=store.candidate_configs(run.id),
        clean_judged=tuple(
            row for row in EdgeStore(store).outcomes(run.id) if row.generator == CLEAN_GENERATOR
        ),
    )
