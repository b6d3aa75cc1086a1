"""A suite weighted to production: its fields checked up front, its rates weighted in the run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.cli.test_cli import assert_user_error, fieldeval

import fieldeval as library

SUITE = """\
task:
  name: weighted
  description: Say hello.
  prompt: "{{ input }}"
dataset:
  path: evalset.jsonl
  id: id
  input: input
  production:
    weight: production_weight
    stratum: stratum
    fraction: stratum_fraction
    stratum_size: stratum_calls
candidates:
  - id: production
    provider: recorded
    path: evalset.jsonl
    output_field: production_output
checks:
  - type: contains
    id: polite
    value: hello
"""


def _rows() -> list[dict]:
    # A common route answered politely and a rare one not: 90 and 10 production calls.
    rows = []
    for i in range(6):
        rows.append(_row(f"c{i}", "route=common", "hello there", 90, 6))
    for i in range(6):
        rows.append(_row(f"r{i}", "route=rare", "go away" if i < 5 else "hello", 10, 6))
    return rows


def _row(example_id: str, stratum: str, output: str, calls: int, drawn: int) -> dict:
    return {
        "id": example_id,
        "input": f"question {example_id}",
        "production_output": output,
        "stratum": stratum,
        "production_weight": calls / drawn,
        "stratum_fraction": drawn / calls,
        "stratum_calls": calls,
    }


def _project(folder: Path, rows: list[dict], suite: str = SUITE) -> Path:
    (folder / "evalset.jsonl").write_text(
        "".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8"
    )
    (folder / "suite.yaml").write_text(suite, encoding="utf-8")
    return folder / "suite.yaml"


def test_the_summary_shows_the_estimate_beside_the_eval_set_rate(tmp_path: Path) -> None:
    _project(tmp_path, _rows())
    done = fieldeval(tmp_path, "run", "suite.yaml", "--db", "r.db")
    assert done.returncode == 0, done.stderr
    # 6 + 1 of 12 pass in the eval set; production is 90% common (all pass), 10% rare (1/6).
    assert (
        "weighted to production: 12 examples from 2 strata, standing for 100 calls" in done.stdout
    )
    expected = 0.9 + 0.1 / 6
    assert f"{100 * expected:.0f}% [" in done.stdout  # 92%
    assert "58%" in done.stdout  # the eval-set rate, 7/12


def test_the_library_gives_the_same_estimate(tmp_path: Path) -> None:
    suite = _project(tmp_path, _rows())
    result = library.evaluate(suite, db=str(tmp_path / "r.db"))
    assert result.production is not None
    estimate = result.production.of("production")
    assert estimate is not None
    assert estimate.weighted.value == pytest.approx(0.9 + 0.1 / 6)
    assert estimate.plain == pytest.approx(7 / 12)
    assert estimate.weighted.low < estimate.weighted.value < estimate.weighted.high
    assert estimate.checks["polite"].value == pytest.approx(estimate.weighted.value)


def test_a_missing_production_field_is_named(tmp_path: Path) -> None:
    rows = _rows()
    for row in rows:
        del row["stratum_fraction"]
    _project(tmp_path, rows)
    done = fieldeval(tmp_path, "validate", "suite.yaml")
    assert_user_error(done)
    assert "`dataset.production.fraction` names field 'stratum_fraction'" in done.stderr


@pytest.mark.parametrize(("field", "value"), [("production_weight", 0), ("stratum_fraction", 1.5)])
def test_a_bad_weight_names_its_row(tmp_path: Path, field: str, value: float) -> None:
    rows = _rows()
    rows[3][field] = value
    _project(tmp_path, rows)
    done = fieldeval(tmp_path, "validate", "suite.yaml")
    assert_user_error(done)
    assert f"evalset.jsonl:4: `{field}` is {value!r}" in done.stderr


@pytest.mark.parametrize(("minimum", "passes"), [(0.5, True), (0.99, False)])
def test_the_gate_on_the_production_estimate(tmp_path: Path, minimum: float, passes: bool) -> None:
    gated = SUITE + f"gate:\n  min_production_pass_rate: {minimum}\n"
    suite = _project(tmp_path, _rows(), gated)
    db = str(tmp_path / "r.db")
    library.evaluate(suite, db=db)
    library.evaluate(suite, db=db)
    gating = library.gate(db=db, suite=suite)
    assert gating.passed is passes
    [finding] = [f for f in gating.result.findings if f.subject == "production"] or [None]
    if passes:
        assert finding is None
    else:
        assert finding is not None and finding.failing
        assert "weighted to production 91.7%" in finding.detail


def test_the_gate_on_production_without_weights_fails_loudly(tmp_path: Path) -> None:
    unweighted = SUITE.replace(
        "  production:\n    weight: production_weight\n    stratum: stratum\n"
        "    fraction: stratum_fraction\n    stratum_size: stratum_calls\n",
        "",
    )
    suite = _project(tmp_path, _rows(), unweighted + "gate:\n  min_production_pass_rate: 0.5\n")
    db = str(tmp_path / "r.db")
    library.evaluate(suite, db=db)
    library.evaluate(suite, db=db)
    gating = library.gate(db=db, suite=suite)
    assert not gating.passed
    assert any("no `production:` weights" in f.detail for f in gating.result.findings)


def test_the_decision_report_shows_the_estimate(tmp_path: Path) -> None:
    _project(tmp_path, _rows())
    assert fieldeval(tmp_path, "run", "suite.yaml", "--db", "r.db").returncode == 0
    done = fieldeval(
        tmp_path, "report", "suite.yaml", "--db", "r.db", "--out", "r.html", "--markdown", "r.md"
    )
    assert done.returncode == 0, done.stderr
    markdown = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert "### Estimated for production traffic" in markdown
    assert "standing for 100 production calls" in markdown
    assert "| production | 92% [" in markdown and "| 58% |" in markdown
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Estimated for production traffic" in page and "92% [" in page


TWO = SUITE.replace(
    "checks:",
    "  - id: challenger\n    provider: recorded\n    path: evalset.jsonl\n"
    "    output_field: challenger_output\n"
    "rubric:\n  - id: helpful\n    question: Does it help?\n"
    '    pass_example: "hello, here is how"\n    fail_example: "go away"\n'
    "checks:",
)


def test_pairs_and_rubric_criteria_are_weighted_too(tmp_path: Path) -> None:
    from fieldeval.records.grade import Grade
    from fieldeval.store import Store
    from fieldeval.store.grade_store import GradeStore
    from fieldeval.suite.loader import load_suite

    rows = _rows()
    for row in rows:  # the challenger fixes the rare route and breaks two common examples
        row["challenger_output"] = "hello" if row["id"] not in ("c0", "c1") else "bye"
    suite = _project(tmp_path, rows, TWO)
    db = str(tmp_path / "r.db")
    result = library.evaluate(suite, db=db)
    criterion = load_suite(suite).suite.rubric[0]
    store = Store.open(db)
    try:
        grades = GradeStore(store)
        grades.save_criteria([(criterion.version, criterion.id, criterion.model_dump(mode="json"))])
        for row in rows:  # people pass an answer when it says hello
            grades.save_grade(
                Grade(
                    run_id=result.run.id, candidate_id="production", example_id=row["id"],
                    repeat=0, criterion_id="helpful", criterion_version=criterion.version,
                    grader="ana", grader_kind="human",
                    value=int("hello" in row["production_output"]),
                )
            )  # fmt: skip
    finally:
        store.close()
    again = library.evaluate(suite, db=db, resume=result.run.id)
    estimates = again.production
    assert estimates is not None
    [pair] = estimates.pairs
    assert (pair.a, pair.b) == ("production", "challenger")
    # Per example, production − challenger: +1 on c0, c1 (common, weight 15 each of 100
    # calls' 90 over 6 drawn), −1 on r0..r4 (rare, 10/6 each).
    expected = (2 * 15 - 5 * 10 / 6) / 100
    assert pair.difference.value == pytest.approx(expected)
    assert pair.difference.low < expected < pair.difference.high
    helpful = estimates.of("production").criteria["helpful (people)"]
    assert helpful.value == pytest.approx(estimates.of("production").weighted.value)
