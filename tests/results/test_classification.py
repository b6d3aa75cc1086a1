"""Classification: outputs read as labels, and the metrics a user checks against scikit-learn."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
from tests.projects.outputs import stored_output

from fieldeval.checks.labels import UNPARSEABLE, LabelSet, read_label
from fieldeval.records.run import StoredExample, StoredOutput
from fieldeval.results.classification import Classified, classification_report, classify
from fieldeval.stats.intervals import wilson
from fieldeval.suite.labels import Labels, infer_labels

PRODUCTS = LabelSet(("Credit card", "Credit card or prepaid card", "Mortgage"), None, False)
SENTIMENT = LabelSet(("positive", "negative"), None, False)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("negative", "negative"),
        ("  Positive.\n", "positive"),  # case, whitespace and punctuation around it
        ("**negative**", "negative"),
        ("The sentiment is negative.", "negative"),  # one label named as whole words
        ("positive or negative", UNPARSEABLE),  # two labels: which one?
        ("nonnegative", UNPARSEABLE),  # not as a whole word
        ("I can't tell", UNPARSEABLE),
        ("", UNPARSEABLE),
    ],
)
def test_an_output_is_read_as_the_one_label_it_names(text: str, label: str) -> None:
    assert read_label(text, SENTIMENT) == label


def test_a_label_inside_a_longer_one_is_not_counted_apart_from_it() -> None:
    assert read_label("credit card or prepaid card", PRODUCTS) == "Credit card or prepaid card"
    assert read_label("It is about my credit card.", PRODUCTS) == "Credit card"
    assert read_label("Credit card, or maybe a mortgage", PRODUCTS) == UNPARSEABLE
    assert read_label("credit_card_or_prepaid_card", PRODUCTS) == "Credit card or prepaid card"


def test_a_label_run_into_another_script_still_counts_but_not_into_latin_letters() -> None:
    # What the bundled 270M model answered on the intents example.
    intents = LabelSet(("top_up_failed", "card_arrival"), None, False)
    assert read_label("top_up_failedに通った", intents) == "top_up_failed"
    assert read_label("top_upattended", intents) == UNPARSEABLE
    assert read_label("xcard_arrival", intents) == UNPARSEABLE


def test_with_a_field_the_output_must_be_json_and_its_field_is_read() -> None:
    labels = dataclasses.replace(SENTIMENT, field="sentiment")
    fenced = '```json\n{"sentiment": "Positive", "confidence": 8, "reasoning": "negative?"}\n```'
    assert read_label(fenced, labels) == "positive"  # the reasoning's words do not count
    assert read_label('{"sentiment": "negative"}', labels) == "negative"
    assert read_label("positive", labels) == UNPARSEABLE  # not JSON
    assert read_label('{"label": "positive"}', labels) == UNPARSEABLE  # no such field
    assert read_label('["positive"]', labels) == UNPARSEABLE
    assert read_label(None, labels) == UNPARSEABLE


def test_labels_are_inferred_from_a_short_repeated_reference_and_not_from_free_text() -> None:
    assert infer_labels(["neg", "pos", "neg", "neu", "pos", "neg"]) == ("neg", "pos", "neu")
    summaries = [f"The customer was charged twice on day {i}." for i in range(10)]
    assert infer_labels(summaries) is None  # one value per example: not labels
    assert infer_labels(["yes"] * 6) is None  # one value: nothing to classify
    assert infer_labels(["Yes", "yes", "no", "no"]) is None  # two spellings of one label
    assert infer_labels(["x" * 101, "x" * 101, "y", "y"]) is None


def test_labels_that_read_the_same_are_refused_in_the_suite() -> None:
    with pytest.raises(ValueError, match="read the same"):
        Labels(values=("card_arrival", "Card arrival"))
    assert Labels.model_validate(["a", "b"]).values == ("a", "b")


def _rows(refs: list[str], preds: list[str]) -> list[Classified]:
    return [Classified(f"e{i}", r, p, 0) for i, (r, p) in enumerate(zip(refs, preds, strict=True))]


def test_the_metrics_are_scikit_learn_s_with_unparseable_outputs_counted_wrong() -> None:
    rng = np.random.default_rng(7)
    labels = ("negative", "neutral", "positive")
    refs = [labels[i] for i in rng.integers(0, 3, 120)]
    preds = [
        ref if rng.random() < 0.7 else (*labels, UNPARSEABLE)[rng.integers(0, 4)] for ref in refs
    ]
    found = classify("a", labels, _rows(refs, preds), resamples=200)
    precision, recall, f1, support = precision_recall_fscore_support(
        refs, preds, labels=list(labels), zero_division=0
    )
    for i, cls in enumerate(found.classes):
        assert cls.support == support[i]
        assert cls.precision is not None and cls.recall is not None
        assert cls.precision.value == pytest.approx(precision[i])
        assert cls.recall.value == pytest.approx(recall[i])
        assert cls.f1.value == pytest.approx(f1[i])
        assert cls.recall == wilson(cls.correct, cls.support)
    assert found.accuracy.value == pytest.approx(accuracy_score(refs, preds))
    macro = f1_score(refs, preds, labels=list(labels), average="macro")
    micro = f1_score(refs, preds, labels=list(labels), average="micro")
    assert found.macro_f1.value == pytest.approx(macro)
    assert found.micro_f1.value == pytest.approx(micro)
    assert found.unparseable.k == preds.count(UNPARSEABLE)
    for estimate in (found.macro_f1, found.micro_f1, *(c.f1 for c in found.classes)):
        assert estimate.low is not None and estimate.high is not None
        assert estimate.low < estimate.value < estimate.high  # type: ignore[operator]
    # Each cell counts its examples; the top confusions are the largest off-diagonal cells.
    cells = {(r, p): found.count(r, p) for r in labels for p in found.columns}
    assert sum(cells.values()) == 120
    off = sorted(((n, r, p) for (r, p), n in cells.items() if r != p), reverse=True)
    assert [n for _, _, n in found.confusions()] == [n for n, _, _ in off[:3]]


def test_a_class_never_predicted_has_no_precision_and_f1_zero() -> None:
    found = classify("a", ("x", "y"), _rows(["x", "x", "y", "y"], ["x", "x", "x", "x"]))
    x, y = found.classes
    assert y.precision is None and y.recall == wilson(0, 2) and y.f1.value == 0
    assert x.precision == wilson(2, 4)


def test_an_interval_every_resample_agrees_on_is_not_shown() -> None:
    found = classify("a", ("x", "y"), _rows(["x", "y"] * 5, ["x", "y"] * 5))
    assert found.macro_f1.value == 1.0 and found.macro_f1.low is None
    assert found.accuracy == wilson(10, 10)  # a Wilson interval exists at 10 of 10


def _output(
    position: int, candidate: str, example: str, text: str, repeat: int = 0
) -> StoredOutput:
    return dataclasses.replace(
        stored_output(position, candidate, example, repeat=repeat), text=text
    )


def test_with_repeats_an_example_counts_once_as_its_majority_label() -> None:
    examples = [
        StoredExample(f"e{i}", "t", ref, {}, {"airline": "D"})
        for i, ref in enumerate(["pos", "neg", "pos", "neg"])
    ]
    outputs = [
        _output(0, "a", "e0", "neg", 0),
        _output(1, "a", "e0", "pos", 1),
        _output(2, "a", "e0", "pos", 2),  # pos twice of three
        _output(3, "a", "e1", "pos", 0),
        _output(4, "a", "e1", "neg", 1),  # a tie: the first
        _output(5, "a", "e2", "pos", 0),
        _output(6, "a", "e3", "neg", 0),
    ]
    report = classification_report({}, outputs, examples, ["a"])
    assert report is not None and report.labels.inferred
    (found,) = report.candidates
    rows = {row.example_id: (row.predicted, row.repeat) for row in found.examples}
    assert rows == {"e0": ("pos", 1), "e1": ("pos", 0), "e2": ("pos", 0), "e3": ("neg", 0)}
    assert found.accuracy == wilson(3, 4)
    (by_airline,) = report.slices
    assert by_airline.by_candidate["a"].accuracy == wilson(3, 4)


def test_declared_labels_leave_other_references_out_and_false_turns_it_off() -> None:
    examples = [
        StoredExample(f"e{i}", "t", ref, {}, {})
        for i, ref in enumerate(["pos", "neg", "pos", "neg", "unsure"])
    ]
    outputs = [_output(i, "a", e.id, "pos") for i, e in enumerate(examples)]
    report = classification_report({"labels": {"values": ["pos", "neg"]}}, outputs, examples, ["a"])
    assert report is not None and not report.labels.inferred
    assert report.other_references == 1 and "1 example whose reference is none" in report.note
    assert report.candidates[0].accuracy == wilson(2, 4)
    assert classification_report({"labels": False}, outputs, examples, ["a"]) is None
    free_text = [dataclasses.replace(e, reference=f"answer {i}") for i, e in enumerate(examples)]
    assert classification_report({}, outputs, free_text, ["a"]) is None
