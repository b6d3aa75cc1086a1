"""Classification: the reference is a label, each output is read as one, and each candidate
gets a confusion matrix, per-class precision, recall and F1, macro- and micro-F1.

Which labels (`label_set`): the suite's `labels:`, else the references' own values when
they look like labels (`infer_labels`). Reading an output (`read_label`), the example as
the unit (its majority label over repeats) and every formula: docs/metrics.md,
"Classification". Paired comparisons stay on each example's pass or fail, as everywhere.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fieldeval.checks.labels import UNPARSEABLE, LabelSet, label_set, read_label
from fieldeval.records.run import StoredExample, StoredOutput
from fieldeval.stats.intervals import Rate, wilson

if TYPE_CHECKING:
    from fieldeval.stats.agreement import Estimate


@dataclass(frozen=True)
class Classified:
    """One example as a candidate classified it."""

    example_id: str
    reference: str
    predicted: str  # a label, or UNPARSEABLE
    repeat: int  # the output that read as `predicted` (the earliest such repeat)


@dataclass(frozen=True)
class ClassMetrics:
    label: str
    support: int  # examples whose reference is this label
    predicted: int  # examples read as this label
    correct: int
    precision: Rate | None  # of the examples read as it; None when it was never predicted
    recall: Rate | None  # of its examples; None when no example has it
    f1: Estimate  # 2·correct / (support + predicted), bootstrap interval


@dataclass(frozen=True)
class Classification:
    candidate_id: str
    labels: tuple[str, ...]
    examples: tuple[Classified, ...]
    accuracy: Rate  # examples read as their reference, of the examples it answered
    unparseable: Rate
    classes: tuple[ClassMetrics, ...]
    macro_f1: Estimate  # mean F1 over the labels seen as reference or prediction
    micro_f1: Estimate  # 2·Σcorrect / (n + examples read as some label)

    @property
    def columns(self) -> tuple[str, ...]:
        """The confusion matrix's columns: the labels, then UNPARSEABLE when some output was."""
        unparsed = any(e.predicted == UNPARSEABLE for e in self.examples)
        return (*self.labels, *((UNPARSEABLE,) if unparsed else ()))

    def count(self, reference: str, predicted: str) -> int:
        return sum(1 for e in self.examples if (e.reference, e.predicted) == (reference, predicted))

    def confusions(self, top: int = 3) -> tuple[tuple[str, str, int], ...]:
        """The most frequent (reference, read as, examples) mistakes, most first."""
        wrong = Counter(
            (e.reference, e.predicted) for e in self.examples if e.reference != e.predicted
        )
        ranked = sorted(wrong.items(), key=lambda kv: (-kv[1], kv[0]))
        return tuple((ref, pred, n) for (ref, pred), n in ranked[:top])


@dataclass(frozen=True)
class SliceClassification:
    field: str
    value: str
    by_candidate: dict[str, Classification]


@dataclass(frozen=True)
class ClassificationReport:
    labels: LabelSet
    candidates: tuple[Classification, ...]
    slices: tuple[SliceClassification, ...]
    other_references: int  # examples whose reference is none of the labels: left out

    @property
    def note(self) -> str:
        """Where the labels came from, and the examples left out."""
        labels = self.labels
        source = (
            "read off the reference column (declare labels: in the suite to fix them)"
            if labels.inferred
            else "declared in the suite"
        )
        field = f"; each output's JSON field `{labels.field}` is read" if labels.field else ""
        other = self.other_references
        left = (
            f"; {other} example{'s' if other != 1 else ''} whose reference is none of them left out"
            if other
            else ""
        )
        return f"{len(labels.values)} labels, {source}{field}{left}."

    def of(self, candidate_id: str) -> Classification | None:
        return next((c for c in self.candidates if c.candidate_id == candidate_id), None)


def classification_report(
    suite: Mapping[str, Any],
    outputs: Sequence[StoredOutput],
    examples: Sequence[StoredExample],
    candidate_ids: Sequence[str],
    *,
    resamples: int | None = None,
    max_slice_values: int = 20,
) -> ClassificationReport | None:
    """Every candidate's classification of the run's examples; None when not a classifier."""
    ran = {output.example_id for output in outputs}
    shown = [e for e in examples if e.id in ran]
    labels = label_set(suite, shown)
    if labels is None:
        return None
    references = {
        e.id: found
        for e in shown
        if e.reference is not None and (found := labels.canonical(e.reference)) is not None
    }
    answers: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
    for output in outputs:
        if output.ok and output.example_id in references:
            key = (output.candidate_id, output.example_id)
            answers[key].append((output.repeat, read_label(output.text, labels)))
    per_candidate: dict[str, list[Classified]] = {}
    for candidate in candidate_ids:
        per_candidate[candidate] = [
            _majority(example_id, reference, answers[(candidate, example_id)])
            for example_id, reference in references.items()
            if (candidate, example_id) in answers
        ]
    candidates = tuple(
        classify(candidate, labels.values, rows, resamples=resamples)
        for candidate, rows in per_candidate.items()
    )
    slices = []
    by_value: dict[tuple[str, str], set[str]] = defaultdict(set)
    for example in shown:
        if example.id in references:
            for name, value in example.slices.items():
                by_value[(name, value)].add(example.id)
    ordered = sorted(by_value.items(), key=lambda kv: (kv[0][0], -len(kv[1]), kv[0][1]))
    kept: Counter[str] = Counter()
    for (name, value), ids in ordered:
        kept[name] += 1
        if kept[name] > max_slice_values:
            continue
        slices.append(
            SliceClassification(
                name,
                value,
                {
                    candidate: classify(
                        candidate,
                        labels.values,
                        [row for row in rows if row.example_id in ids],
                        resamples=resamples,
                    )
                    for candidate, rows in per_candidate.items()
                },
            )
        )
    other = sum(1 for e in shown if e.id not in references)
    return ClassificationReport(labels, candidates, tuple(slices), other)


def _majority(example_id: str, reference: str, answers: list[tuple[int, str]]) -> Classified:
    """The label most of the example's answered repeats read as (ties: the earliest)."""
    ordered = sorted(answers)
    counts = Counter(label for _, label in ordered)
    top = max(counts.values())
    repeat, label = next((r, label) for r, label in ordered if counts[label] == top)
    return Classified(example_id, reference, label, repeat)


def classify(
    candidate_id: str,
    labels: Sequence[str],
    rows: Sequence[Classified],
    *,
    resamples: int | None = None,
) -> Classification:
    """Counts; rates and each label's F1 with Wilson intervals; macro- and micro-F1 with a
    bootstrap over the examples."""
    # Imported here: a run that is no classification never needs numpy or scipy.
    import numpy as np

    from fieldeval.stats.f1 import MACRO, MICRO, RESAMPLES, f1_bootstrap, f1_interval, f1_scores

    resamples = RESAMPLES if resamples is None else resamples
    n = len(rows)
    index = {label: i for i, label in enumerate(labels)}
    reference = np.array([index[r.reference] for r in rows], dtype=np.int64)
    predicted = np.array([index.get(r.predicted, len(labels)) for r in rows], dtype=np.int64)
    point = f1_scores(reference[None, :], predicted[None, :], len(labels))[0]
    classes = []
    for i, label in enumerate(labels):
        support = int((reference == i).sum())
        guessed = int((predicted == i).sum())
        correct = int(((reference == i) & (predicted == i)).sum())
        classes.append(
            ClassMetrics(
                label,
                support,
                guessed,
                correct,
                precision=wilson(correct, guessed) if guessed else None,
                recall=wilson(correct, support) if support else None,
                f1=f1_interval(correct, support + guessed - correct),
            )
        )
    right = int((reference == predicted).sum())
    macro, micro = (
        f1_bootstrap(reference, predicted, len(labels), column, float(point[column]), resamples)
        for column in (MACRO, MICRO)
    )
    return Classification(
        candidate_id,
        tuple(labels),
        tuple(rows),
        accuracy=wilson(right, n),
        unparseable=wilson(int((predicted == len(labels)).sum()), n),
        classes=tuple(classes),
        macro_f1=macro,
        micro_f1=micro,
    )
