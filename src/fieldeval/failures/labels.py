"""Which failure modes each output has: from its checks, rubric verdicts and assigned labels."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from fieldeval.abstention.outcomes import JudgedReply, Reading, ReadOutput, read_output
from fieldeval.checks.labels import label_set
from fieldeval.failures.rates import LabelledOutput
from fieldeval.records.grade import FailureLabel, Grade
from fieldeval.records.run import OutputKey, StoredExample, StoredOutput
from fieldeval.results.rubric import current, failing_outputs
from fieldeval.suite.abstention import ANSWERED_UNANSWERABLE, BROKE_FORMAT, OVER_ABSTAINED
from fieldeval.suite.failure_modes import UNCLASSIFIED
from fieldeval.suite.schema import Suite


def label_outputs(
    suite: Suite,
    outputs: Sequence[StoredOutput],
    examples: Mapping[str, StoredExample],
    grades: Sequence[Grade],
    labels: Sequence[FailureLabel],
    judged: Mapping[OutputKey, JudgedReply] | None = None,
) -> list[LabelledOutput]:
    """Every answered output with its failure modes.

    A mode tied to a check is on every output that failed the check; one tied to a criterion
    is on every output whose verdict on it is fail (people's verdict where there is one, else
    the judge's); any other mode is on the outputs a person or the judge labelled with it. A
    failed check or criterion that no mode names puts `unclassified` on the output
    (`Suite.counted_modes`): a failure is never counted as none.

    With `abstention:`, each output is read (`abstention.outcomes`; `judged` holds the
    judge's classes) and its outcome replaces `unclassified`: `over_abstained` where it did
    not answer an example that has an answer, nothing where "I don't know" was right,
    `answered_unanswerable` where it answered one that has none, `broke_format`.
    """
    failing = failing_outputs(current(grades, suite.rubric), suite.rubric)
    claimed_checks = {mode.check for mode in suite.failure_modes if mode.check is not None}
    claimed_criteria = {mode.criterion for mode in suite.failure_modes if mode.criterion}
    unclaimed_criteria = [c for c in failing if c not in claimed_criteria]
    counts_unclassified = any(mode.id == UNCLASSIFIED for mode in suite.counted_modes)
    reading = _reading(suite, examples)
    assigned: dict[OutputKey, set[str]] = defaultdict(set)
    for label in labels:
        assigned[OutputKey.of(label)].add(label.mode_id)

    labelled: list[LabelledOutput] = []
    for output in outputs:
        example = examples.get(output.example_id)
        if not output.ok or example is None:
            continue
        key = OutputKey.of(output)
        failed_checks = {check.check_id for check in output.checks if not check.passed}
        # A metric-only check's failure is a measurement, not a failure of the output: only
        # a mode that names it counts it.
        deciding = {check.check_id for check in output.checks if check.fails_output}
        modes = {
            mode.id
            for mode in suite.failure_modes
            if (mode.check is not None and mode.check in failed_checks)
            or (mode.criterion is not None and key in failing[mode.criterion])
            or (mode.assigned and mode.id in assigned.get(key, ()))
        }
        if counts_unclassified and (
            deciding - claimed_checks or any(key in failing[c] for c in unclaimed_criteria)
        ):
            modes.add(UNCLASSIFIED)
        if reading is not None:
            failed_criteria = any(key in failing[c] for c in failing)
            read = read_output(
                output,
                example,
                reading,
                judged=(judged or {}).get(key),
                failed_criteria=failed_criteria,
            )
            modes = _with_outcome(modes, read, reading.answerable(example))
        labelled.append(
            LabelledOutput(
                candidate_id=output.candidate_id,
                example_id=output.example_id,
                repeat=output.repeat,
                slices={name: str(value) for name, value in example.slices.items()},
                modes=frozenset(modes),
            )
        )
    return labelled


def _reading(suite: Suite, examples: Mapping[str, StoredExample]) -> Reading | None:
    if suite.abstention is None:
        return None
    stored = suite.model_dump(mode="json", exclude_none=True)
    return Reading.of(stored, label_set(stored, list(examples.values())))


def _with_outcome(modes: set[str], read: ReadOutput, answerable: bool) -> set[str]:
    """The output's modes with its abstention outcome in place of `unclassified`."""
    if read.outcome == "answered" and answerable:
        return modes
    modes = modes - {UNCLASSIFIED}
    if read.outcome == "abstained":
        return modes | {OVER_ABSTAINED} if answerable else modes
    return modes | {BROKE_FORMAT if read.outcome == "broke_format" else ANSWERED_UNANSWERABLE}
