"""No silent zeros: a failed check or criterion that no failure mode names is `unclassified`."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.projects.outputs import stored_output

from fieldeval.failures.labels import label_outputs
from fieldeval.failures.rates import candidate_failures
from fieldeval.records.check_result import CheckResult
from fieldeval.records.run import StoredExample, StoredOutput
from fieldeval.stats.intervals import wilson
from fieldeval.suite.loader import SuiteValidationError, load_suite
from fieldeval.suite.schema import Suite

SUITE = """\
task: {name: t, description: Answer., prompt: "{{ text }}"}
dataset: {path: data.csv, id: id}
candidates: [{id: a, provider: python, function: "m:f"}]
checks:
  - {id: short, max_words: 5}
  - {id: polite, contains: please}
"""


def suite(tmp_path: Path, extra: str = "") -> Suite:
    (tmp_path / "data.csv").write_text("id,text\ne0,x\n", encoding="utf-8")
    (tmp_path / "suite.yaml").write_text(SUITE + extra, encoding="utf-8")
    return load_suite(tmp_path / "suite.yaml").suite


def outputs(results: list[dict[str, bool]]) -> list[StoredOutput]:
    return [
        stored_output(
            i, "a", f"e{i}", checks=[CheckResult(c, passed, "") for c, passed in checks.items()]
        )
        for i, checks in enumerate(results)
    ]


def labelled(found: Suite, stored: list[StoredOutput]) -> list[frozenset[str]]:
    examples = {o.example_id: StoredExample(o.example_id, "x", None, {}, {}) for o in stored}
    return [o.modes for o in label_outputs(found, stored, examples, (), ())]


def test_a_suite_without_modes_counts_every_failure_and_the_severities_add_up(
    tmp_path: Path,
) -> None:
    """The audit's case: every example failed, and the page said "0 of 50"."""
    found = suite(tmp_path)
    stored = outputs([{"short": False, "polite": True}] * 4 + [{"short": True, "polite": True}])
    examples = {o.example_id: StoredExample(o.example_id, "x", None, {}, {}) for o in stored}
    found_labels = label_outputs(found, stored, examples, (), ())
    assert [o.modes for o in found_labels] == [frozenset({"unclassified"})] * 4 + [frozenset()]
    (rates,) = candidate_failures(found_labels, found.counted_modes, found.weights, resamples=50)
    assert rates.failed == wilson(4, 5)
    assert rates.serious == wilson(4, 5)  # unclassified is major unless the suite says otherwise
    assert [rates.graceful.value, rates.catastrophic.value] == [0.0, 0.0]


def test_a_named_check_is_its_modes_and_only_the_rest_is_unclassified(tmp_path: Path) -> None:
    found = suite(
        tmp_path,
        "failure_modes:\n"
        "  - {id: too-long, definition: Too long., severity: minor, check: short}\n"
        "unclassified_severity: critical\n",
    )
    stored = outputs(
        [
            {"short": False, "polite": True},
            {"short": True, "polite": False},
            {"short": False, "polite": False},
        ]
    )
    assert labelled(found, stored) == [
        frozenset({"too-long"}),
        frozenset({"unclassified"}),
        frozenset({"too-long", "unclassified"}),
    ]
    assert found.counted_modes[-1].severity == "critical"


def test_the_unclassified_id_is_reserved(tmp_path: Path) -> None:
    with pytest.raises(SuiteValidationError, match="fieldeval's own"):
        suite(tmp_path, "failure_modes:\n  - {id: unclassified, definition: Mine.}\n")
