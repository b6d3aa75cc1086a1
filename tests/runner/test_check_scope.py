"""A check limited to slice values runs only on those examples, and a criterion or check
naming an unknown slice or candidate is refused when the suite loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.projects import sentiment

from fieldeval.errors import SuiteError
from fieldeval.runner import run_suite
from fieldeval.store import Store
from fieldeval.suite.loader import load_suite


def _with(path: Path, **changes: object) -> Path:
    suite = json.loads(path.read_text())
    suite.update(changes)
    path.write_text(json.dumps(suite))
    return path


def test_a_check_on_one_slice_value_grades_only_its_examples(tmp_path: Path, store: Store) -> None:
    path = sentiment.write(tmp_path)
    scoped = {
        "max_words": 1,
        "id": "one-word-for-delta",
        "applies_to": {"slices": {"airline": ["Delta"]}},
    }
    steady_only = {"min_chars": 1, "id": "steady-only", "applies_to": ["steady"]}
    checks = [{"equals": "{{ label }}", "id": "label"}, scoped, steady_only]
    run = run_suite(load_suite(_with(path, checks=checks)), store, use_cache=False)
    delta = {row.id for row in sentiment.rows() if row.airline == "Delta"}
    for output in store.outputs(run.id):
        ids = [check.check_id for check in output.checks]
        expected = ["label"]
        if output.example_id in delta:
            expected.append("one-word-for-delta")
        if output.candidate_id == "steady":
            expected.append("steady-only")
        assert ids == expected, (output.candidate_id, output.example_id)
    # hasty's six-word answer is to a United tweet: outside the scope, it fails nothing.
    long_answer = next(
        o for o in store.outputs(run.id) if o.example_id == "t05" and o.candidate_id == "hasty"
    )
    assert long_answer.text is not None and long_answer.example_id not in delta
    assert len(long_answer.text.split()) == 6
    scoped_results = [
        c for o in store.outputs(run.id) for c in o.checks if c.check_id == scoped["id"]
    ]
    assert len(scoped_results) == 2 * len(delta) and all(c.passed for c in scoped_results)


@pytest.mark.parametrize(
    ("scope", "message"),
    [
        (
            {"slices": {"region": ["EU"]}},
            "applies to slice 'region', which dataset.slices does not",
        ),
        (["nobody"], "check 'label' applies to 'nobody', which is not a candidate"),
    ],
)
def test_a_scope_naming_what_the_suite_lacks_is_refused(
    tmp_path: Path, scope: object, message: str
) -> None:
    path = sentiment.write(tmp_path)
    _with(path, checks=[{"equals": "{{ label }}", "id": "label", "applies_to": scope}])
    with pytest.raises(SuiteError, match=message):
        load_suite(path)
