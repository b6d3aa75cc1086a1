"""Each output read as answered, abstained or broke the format; the example as the unit;
the rates with their n; and a seeded simulation of the intervals they carry."""

from __future__ import annotations

import dataclasses
import random
from typing import Any

from tests.projects.outputs import stored_output

from fieldeval.abstention.outcomes import JudgedReply, Reading, example_results, read_outputs
from fieldeval.abstention.rates import abstention_report
from fieldeval.checks.labels import label_set
from fieldeval.records.check_result import CheckResult
from fieldeval.records.run import OutputKey, StoredExample, StoredOutput
from fieldeval.suite.abstention import Abstention


def said(
    text: str, candidate: str = "c", example: str = "e1", repeat: int = 0, **kw: Any
) -> StoredOutput:
    return dataclasses.replace(
        stored_output(repeat, candidate, example, repeat=repeat, **kw), text=text
    )


def example(i: str, reference: str | None = None, **fields: Any) -> StoredExample:
    return StoredExample(i, "the input", reference, fields, {})


def read(
    suite: dict[str, Any], outputs: list[StoredOutput], examples: list[StoredExample], **kw: Any
) -> list[Any]:
    reading = Reading.of(suite, label_set(suite, examples))
    return read_outputs(outputs, {e.id: e for e in examples}, reading, **kw)


def test_a_classification_output_that_names_no_label_broke_the_format() -> None:
    suite = {"labels": ["billing", "fraud"], "dataset": {"reference": "label"}}
    examples = [example("e1", "billing"), example("e2", "fraud"), example("e3", "fraud")]
    outputs = [
        said("billing", example="e1"),
        said("I don't know which one it is.", example="e2"),
        said("Banana!", example="e3"),
    ]
    found = {r.key.example_id: r for r in read(suite, outputs, examples)}
    assert (found["e1"].outcome, found["e1"].result) == ("answered", "right")
    assert (found["e2"].outcome, found["e2"].decided_by) == ("abstained", "rule")
    assert (found["e3"].outcome, found["e3"].decided_by) == ("broke_format", "format")


def test_a_failed_json_check_is_a_broken_format_and_another_check_a_wrong_answer() -> None:
    suite = {"checks": [{"id": "json", "type": "is_json"}, {"type": "max_words", "value": 5}]}
    examples = [example("e1"), example("e2")]
    outputs = [
        said("not json", example="e1", checks=[CheckResult("json", False, "not JSON")]),
        said('{"a": 1}', example="e2", checks=[CheckResult("max_words", False, "9 > 5")]),
    ]
    found = {r.key.example_id: r for r in read(suite, outputs, examples)}
    assert (found["e1"].outcome, found["e1"].reason) == ("broke_format", "failed json")
    assert (found["e2"].outcome, found["e2"].result) == ("answered", "wrong")


def test_without_checks_labels_or_rubric_an_answer_is_neither_right_nor_wrong() -> None:
    outputs = [said("It was $20.", example="e1"), said("Not stated.", example="e2")]
    report = abstention_report(
        outputs, [example("e1"), example("e2")], ["c"], Reading(Abstention(), graded=False)
    )
    rates = report.of("c")
    assert rates is not None
    assert rates.answered.k == rates.abstained.k == 1
    assert rates.right_when_answering is None and rates.confidently_wrong is None


def test_the_judge_decides_what_the_rules_leave_and_never_overrules_them() -> None:
    outputs = [said("Hmm, that one is beyond me.", example="e1"), said("Not given.", example="e2")]
    judged = {
        OutputKey("c", "e1"): JudgedReply("abstains", "it admits it cannot answer"),
        OutputKey("c", "e2"): JudgedReply("correct", "answers"),
    }
    found = {
        r.key.example_id: r
        for r in read({}, outputs, [example("e1"), example("e2")], judged=judged)
    }
    assert (found["e1"].outcome, found["e1"].decided_by) == ("abstained", "judge")
    assert "cannot answer" in found["e1"].reason
    assert (found["e2"].outcome, found["e2"].decided_by) == ("abstained", "rule")


def test_unanswerable_examples_come_from_a_column_or_from_their_reference() -> None:
    settings = {"abstention": {"answerable": "ok", "unanswerable_references": ["Unknown"]}}
    reading = Reading.of(settings, None)
    assert reading.answerable(example("a", "5", ok="yes"))
    assert not reading.answerable(example("b", "5", ok="no"))
    assert not reading.answerable(example("c", "5", ok=False))
    assert not reading.answerable(example("d", "unknown", ok="yes"))  # case aside
    assert reading.answerable(example("e", None))  # no column value: it has an answer


def test_with_repeats_the_example_counts_once_and_a_tie_takes_the_worse() -> None:
    suite = {"labels": ["billing", "fraud"], "dataset": {"reference": "label"}}
    examples = [example("e1", "billing"), example("e2", "billing")]
    outputs = [
        said("billing", example="e1", repeat=0),
        said("billing", example="e1", repeat=1),
        said("I don't know.", example="e1", repeat=2),
        said("billing", example="e2", repeat=0),
        said("I don't know.", example="e2", repeat=1),
    ]
    reading = Reading.of(suite, label_set(suite, examples))
    by_id = {e.id: e for e in examples}
    results = {
        r.example_id: r.result
        for r in example_results(read_outputs(outputs, by_id, reading), by_id, reading)
    }
    assert results == {"e1": "right", "e2": "abstained"}
    rates = abstention_report(outputs, examples, ["c"], reading).of("c")
    assert rates is not None and rates.n == 2 and rates.abstained.k == 1


def test_the_intervals_cover_the_true_abstention_rate_about_95_percent_of_the_time() -> None:
    """Seeded: a candidate that abstains with probability p on each of n examples; the
    Wilson interval of its abstention rate holds p in about 95% of 400 replications."""
    rng = random.Random(20261207)
    examples = [example(f"e{i}") for i in range(60)]
    reading = Reading(Abstention(), graded=False)
    for p in (0.1, 0.3):
        covered = 0
        for _ in range(400):
            outputs = [
                said("I don't know." if rng.random() < p else "It is $5.", example=e.id)
                for e in examples
            ]
            rate = abstention_report(outputs, examples, ["c"], reading).of("c")
            assert rate is not None
            covered += rate.abstained.low <= p <= rate.abstained.high
        assert 0.92 <= covered / 400 <= 0.985, (p, covered)
