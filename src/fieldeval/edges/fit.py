"""Which generators fit the task, and what a good reply to their variants does there.

A generator's own expectation is written for an assistant: a truncated request should be
met with a question. A classifier cannot ask; a truncated tweet may carry another label
than the whole one, so its reference no longer holds and the generator does not fit. The
task's kind (`task.kind`; default `classifier` when the reference holds labels, else
`assistant`) picks, per generator, its expectation or the reason it does not fit
(`FITS`). A generator that does not fit is not run, and `fieldeval edges preview`, `run`
and `validate` say why; giving it an `expect:` in the suite runs it with that expectation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from fieldeval.records.example import Dataset
from fieldeval.suite.edges import Expectation, GeneratorSpec, TaskKind
from fieldeval.suite.labels import infer_labels
from fieldeval.suite.schema import Suite


@dataclass(frozen=True)
class Unfit:
    """Why a generator's variants have no right answer the task can be held to."""

    reason: str


_ONE_INPUT = Unfit("it makes a conversation, and the task answers one input")

# Per kind, the generators whose expectation differs from their own; the rest keep theirs.
FITS: Final[Mapping[TaskKind, Mapping[str, Expectation | Unfit]]] = {
    "classifier": {
        "very_short": Unfit("a shortened input has no known label: its reference no longer holds"),
        "truncated": Unfit("a cut-off input may carry another label than the whole one"),
        "long_padding": Unfit("padding with other examples mixes their labels into the input"),
        "hostile": Unfit("insults added can change the label itself (sentiment, tone, urgency)"),
        "out_of_scope": "ignore_instruction",  # still label it; the added request is ignored
        "missing_evidence": Unfit("removing a fact leaves nothing a label could not know"),
        "changed_question": _ONE_INPUT,
        "two_requests": _ONE_INPUT,
        "long_conversation": _ONE_INPUT,
    },
    "extractor": {
        "very_short": Unfit("a shortened input holds other fields: its reference no longer holds"),
        "truncated": "say_unknown",  # the fields cut off are not there: never made up
        "long_padding": Unfit("padding with other examples mixes their fields into the input"),
        "out_of_scope": "ignore_instruction",
        "changed_question": _ONE_INPUT,
        "two_requests": _ONE_INPUT,
        "long_conversation": _ONE_INPUT,
    },
    "writer": {
        "out_of_scope": "ignore_instruction",  # write what the task asks; skip the request
    },
    "assistant": {},
}


@dataclass(frozen=True)
class Fitted:
    """A generator the suite lists, with the expectation it runs under, or why it is not run."""

    spec: GeneratorSpec
    expect: Expectation | None  # None: it does not fit, and is not run
    unfit: Unfit | None = None


def task_kind(suite: Suite, dataset: Dataset | None = None) -> tuple[TaskKind, str]:
    """The task's kind and where it came from, in words."""
    if suite.task.kind is not None:
        return suite.task.kind, "task.kind"
    labels = suite.labels
    if labels is not None and labels.values:
        return "classifier", "the suite declares labels"
    reference = suite.dataset.reference
    inferring = reference is not None and dataset is not None and (labels is None or labels.infer)
    if inferring and infer_labels([e.reference for e in dataset.examples]) is not None:  # type: ignore[union-attr]
        return "classifier", f"the reference {reference!r} holds labels"
    return "assistant", "the default; set task.kind"


def fit(kind: TaskKind, spec: GeneratorSpec, own: Expectation) -> Fitted:
    """The expectation `spec`'s variants run under for a task of `kind`."""
    if spec.expect is not None:
        return Fitted(spec, spec.expect)
    found = FITS[kind].get(spec.name, own)
    if isinstance(found, Unfit):
        return Fitted(spec, None, found)
    return Fitted(spec, found)


def unfit(fitted: Sequence[Fitted]) -> list[tuple[str, str]]:
    """(generator, why) for each listed generator that is not run."""
    return [(f.spec.name, f.unfit.reason) for f in fitted if f.unfit is not None]
