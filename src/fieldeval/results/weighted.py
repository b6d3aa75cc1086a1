"""A run's rates weighted to production, its checks and its rubric's criteria both: the one
call the terminal, the report, the web app, the gate and the library make."""

from __future__ import annotations

from collections.abc import Sequence

from fieldeval.production.estimates import ProductionEstimates, Verdicts, production_estimates
from fieldeval.records.grade import Grade
from fieldeval.records.run import OutputKey, RunInfo, StoredExample, StoredOutput
from fieldeval.results.rubric import current, human_verdicts, judge_verdicts, run_rubric


def weighted_estimates(
    run: RunInfo,
    outputs: Sequence[StoredOutput],
    examples: Sequence[StoredExample],
    grades: Sequence[Grade] = (),
) -> ProductionEstimates | None:
    """The production estimate of the run's clean outputs; None without `production:`."""
    if not (run.suite.get("dataset") or {}).get("production"):
        return None
    return production_estimates(run, outputs, examples, criterion_verdicts(run, grades))


def criterion_verdicts(run: RunInfo, grades: Sequence[Grade]) -> Verdicts:
    """ "criterion (people)" and "criterion (judge)" -> each output's verdict."""
    rubric = run_rubric(run)
    graded = current(grades, rubric)
    found: dict[str, dict[OutputKey, bool | None]] = {}
    for criterion in rubric:
        for source, verdicts in (
            ("people", human_verdicts(graded, criterion)),
            ("judge", judge_verdicts(graded, criterion)),
        ):
            if verdicts:
                found[f"{criterion.id} ({source})"] = verdicts
    return found
