"""Each output read as answered, abstained or broke the format, and each example's result.

An output is read in this order, and the first that applies decides:

    rule     it says it does not know, asks or declines (`checks.non_answer`)   abstained
    judge    the suite's judge said it asks, abstains or declines               abstained
             ... or that it broke the task's format                            broke_format
    format   a classification's output names no label, or a JSON check failed  broke_format
    answered anything else

An answered output is right when it passed (every deciding check, and no failed criterion)
and, in a classification, names the reference's label. On an example with no answer in its
input (`abstention.answerable`, `abstention.unanswerable_references`) every answer is wrong:
the right reply was "I don't know". The example is the unit: its result is the one most of
its repeats got, the worse one on a tie (`RESULT_ORDER`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from fieldeval.abstention.confidence import stated_confidence
from fieldeval.checks.labels import UNPARSEABLE, LabelSet, read_label
from fieldeval.checks.non_answer import does_not_answer
from fieldeval.edges.prompt import GRACEFUL_CLASSES
from fieldeval.records.run import OutputKey, StoredExample, StoredOutput
from fieldeval.store.edge_store import CLEAN_GENERATOR, StoredEdgeOutcome
from fieldeval.suite.abstention import Abstention
from fieldeval.suite.labels import label_key

Outcome = Literal["answered", "abstained", "broke_format"]
# "answered": its correctness is not known (no checks, rubric or labels grade it).
Result = Literal["right", "wrong", "answered", "abstained", "broke_format"]
DecidedBy = Literal["rule", "judge", "format", "answered"]
OUTCOMES: Final[tuple[Outcome, ...]] = ("answered", "abstained", "broke_format")
# Worst first: a tie between repeats takes the earlier.
RESULT_ORDER: Final[tuple[Result, ...]] = (
    "wrong",
    "broke_format",
    "abstained",
    "answered",
    "right",
)
_NO: Final = frozenset({"false", "no", "n", "0", "none", "unanswerable"})


@dataclass(frozen=True)
class JudgedReply:
    """The judge's class for an output (an edge outcome class) and its reason."""

    kind: str
    reason: str


@dataclass(frozen=True)
class ReadOutput:
    """One output's outcome, what decided it and why, and its stated confidence."""

    key: OutputKey
    outcome: Outcome
    decided_by: DecidedBy
    reason: str
    result: Result
    confidence: float | None = None


@dataclass(frozen=True)
class ExampleResult:
    """One candidate's result on one example, over its repeats."""

    candidate_id: str
    example_id: str
    answerable: bool
    result: Result
    confidence: float | None  # the mean over the answered repeats that state one


@dataclass(frozen=True)
class Reading:
    """How outputs are read: the suite's abstention settings and the task's format."""

    settings: Abstention
    labels: LabelSet | None = None
    format_checks: frozenset[str] = frozenset()  # is_json / json_schema check ids
    graded: bool = True  # something tells right from wrong: labels, checks or a rubric
    declared: bool = False  # the suite has an `abstention:` section

    @classmethod
    def of(cls, suite: Mapping[str, Any], labels: LabelSet | None) -> Reading:
        """From a run's stored suite (a mapping, as `RunInfo.suite` holds it)."""
        settings = Abstention.model_validate(suite.get("abstention") or {})
        formats = frozenset(
            str(check.get("id"))
            for check in suite.get("checks") or ()
            if isinstance(check, Mapping) and check.get("type") in ("is_json", "json_schema")
        )
        graded = labels is not None or bool(suite.get("checks")) or bool(suite.get("rubric"))
        return cls(settings, labels, formats, graded, declared=bool(suite.get("abstention")))

    def answerable(self, example: StoredExample) -> bool:
        column = self.settings.answerable
        if column is not None:
            value = example.fields.get(column)
            if value is False or (value is not None and str(value).strip().casefold() in _NO):
                return False
        unanswerable = {label_key(text) for text in self.settings.unanswerable_references}
        return not (example.reference is not None and label_key(example.reference) in unanswerable)


def judged_replies(rows: Iterable[StoredEdgeOutcome]) -> dict[OutputKey, JudgedReply]:
    """The judge's classes for clean outputs, from a run's stored edge outcomes."""
    return {
        OutputKey(row.candidate_id, row.example_id, row.repeat): JudgedReply(row.kind, row.reason)
        for row in rows
        if row.generator == CLEAN_GENERATOR and row.oracle == "judge"
    }


def read_output(
    output: StoredOutput,
    example: StoredExample,
    reading: Reading,
    *,
    judged: JudgedReply | None = None,
    failed_criteria: bool = False,
) -> ReadOutput:
    """The outcome and result of one answered output (`output.ok`)."""
    key = OutputKey.of(output)
    text = output.text or ""
    settings = reading.settings
    hit = does_not_answer(text, settings.phrases)
    if hit is not None:
        return ReadOutput(key, "abstained", "rule", hit.reason, "abstained")
    if judged is not None and judged.kind in GRACEFUL_CLASSES:
        return ReadOutput(key, "abstained", "judge", f"{judged.kind}: {judged.reason}", "abstained")
    if judged is not None and judged.kind == "broke_format":
        return ReadOutput(key, "broke_format", "judge", judged.reason, "broke_format")
    label = read_label(text, reading.labels) if reading.labels is not None else None
    if label == UNPARSEABLE:
        return ReadOutput(key, "broke_format", "format", "no label can be read", "broke_format")
    failed_format = [
        check.check_id
        for check in output.checks
        if check.check_id in reading.format_checks and check.fails_output
    ]
    if failed_format:
        return ReadOutput(
            key, "broke_format", "format", f"failed {', '.join(failed_format)}", "broke_format"
        )
    confidence = stated_confidence(text, settings.confidence_field)
    if not reading.answerable(example):
        reason = "answered, but the input holds no answer"
        return ReadOutput(key, "answered", "answered", reason, "wrong", confidence)
    if label is None and not reading.graded:
        return ReadOutput(key, "answered", "answered", "answered", "answered", confidence)
    if label is not None:
        right = example.reference is not None and label_key(label) == label_key(example.reference)
    else:
        right = output.passed and not failed_criteria
    reason = "answered, and right" if right else "answered, and wrong"
    return ReadOutput(
        key, "answered", "answered", reason, "right" if right else "wrong", confidence
    )


def read_outputs(
    outputs: Sequence[StoredOutput],
    examples: Mapping[str, StoredExample],
    reading: Reading,
    *,
    judged: Mapping[OutputKey, JudgedReply] | None = None,
    failed_criteria: Collection[OutputKey] = frozenset(),
) -> list[ReadOutput]:
    """Every answered output of `outputs` whose example is known, read."""
    judged = judged or {}
    read: list[ReadOutput] = []
    for output in outputs:
        example = examples.get(output.example_id)
        if not output.ok or example is None:
            continue
        key = OutputKey.of(output)
        read.append(
            read_output(
                output,
                example,
                reading,
                judged=judged.get(key),
                failed_criteria=key in failed_criteria,
            )
        )
    return read


def example_results(
    read: Sequence[ReadOutput], examples: Mapping[str, StoredExample], reading: Reading
) -> list[ExampleResult]:
    """Each candidate's result per example: the majority over repeats, the worse on a tie."""
    grouped: dict[tuple[str, str], list[ReadOutput]] = defaultdict(list)
    for item in read:
        grouped[(item.key.candidate_id, item.key.example_id)].append(item)
    results: list[ExampleResult] = []
    for (candidate, example_id), items in grouped.items():
        counts = Counter(item.result for item in items)
        top = max(counts.values())
        result = next(r for r in RESULT_ORDER if counts.get(r) == top)
        stated = [item.confidence for item in items if item.confidence is not None]
        results.append(
            ExampleResult(
                candidate_id=candidate,
                example_id=example_id,
                answerable=reading.answerable(examples[example_id]),
                result=result,
                confidence=sum(stated) / len(stated) if stated else None,
            )
        )
    return results
