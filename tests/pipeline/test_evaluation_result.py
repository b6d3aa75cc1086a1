"""`fieldeval.evaluate`: pass rates read from a stored run, as a team's tests assert on them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from fieldeval import Evaluation, evaluate
from fieldeval.errors import UserError
from fieldeval.records.run import RunInfo
from fieldeval.store import Store
from fieldeval.suite.loader import LoadedSuite


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    """SQLite only: the commands here run as a user runs them, on the file beside the suite."""
    return f"sqlite:///{tmp_path / 'results.db'}"


def test_pass_rates_by_check_criterion_and_overall(
    graded_run: tuple[LoadedSuite, RunInfo], store: Store
) -> None:
    _, info = graded_run
    result = Evaluation.from_run(store, info.id)
    assert result.candidates == ("polite", "sly")

    overall = result.pass_rate(candidate="polite")
    # "hello big wide world" is four words: it fails `short`.
    assert (overall.k, overall.n, overall.failing) == (2, 3, ("a2",))
    assert overall.value is not None and 0 < overall.lower < overall.value < overall.upper < 1

    greets = result.pass_rate("greets", candidate="sly")
    # a3 errored: left out of n, counted apart and said so.
    assert (greets.k, greets.n, greets.errors, greets.failing) == (0, 2, 1, ("a1", "a2"))
    assert "1 errored, not counted" in repr(greets)

    friendly = result.pass_rate("friendly", candidate="sly")
    assert (friendly.k, friendly.n, friendly.failing) == (0, 1, ("a2",))
    assert str(friendly).startswith("friendly for sly: 0% (0/1), 95% CI 0%–")


def test_unclear_questions_get_clear_errors(
    graded_run: tuple[LoadedSuite, RunInfo], store: Store
) -> None:
    _, info = graded_run
    result = Evaluation.from_run(store, info.id)
    with pytest.raises(UserError, match=r"has 2 candidates \(polite, sly\)") as raised:
        result.pass_rate("greets")
    assert "candidate='ID'" in str(raised.value)
    with pytest.raises(UserError, match="no candidate 'gemma'"):
        result.pass_rate(candidate="gemma")
    with pytest.raises(UserError, match="use one of: greets, short, friendly"):
        result.pass_rate("tone", candidate="sly")


def test_evaluate_runs_the_suite_and_reuses_the_cache(
    graded_run: tuple[LoadedSuite, RunInfo], tmp_path: Path
) -> None:
    loaded, first = graded_run
    db = str(tmp_path / "results.db")
    result = evaluate(loaded.path, db=db, sample=2)
    assert result.run_id != first.id
    assert len(result.outputs) == 4  # 2 sampled examples × 2 candidates
    assert all(o.from_cache for o in result.outputs if o.ok)


def test_sample_on_the_command_line_keeps_the_suites_stratification(tmp_path: Path) -> None:
    # The audit: `--sample 6` drew 6 of 6 negative tweets though the suite stratified by label.
    rows = ["id,text,label"] + [
        f"t{i:02d},tweet {i},{'neg' if i < 30 else 'pos'}" for i in range(40)
    ]
    (tmp_path / "data.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "strat_bot.py").write_text(
        "def echo(request):\n    return 'ok'\n", encoding="utf-8"
    )
    (tmp_path / "suite.yaml").write_text(
        "task: {name: strat, description: Label it., prompt: '{{ text }}'}\n"
        "dataset: {path: data.csv, id: id, input: text, slices: [label],"
        " sample: {n: 40, stratify: label}}\n"
        "candidates:\n  - {id: bot, provider: python, function: 'strat_bot:echo'}\n"
        "checks:\n  - {min_chars: 1}\n",
        encoding="utf-8",
    )
    sys.path.insert(0, str(tmp_path))
    try:
        db = f"sqlite:///{tmp_path / 'r.db'}"
        done = evaluate(tmp_path / "suite.yaml", db=db, sample=8)
    finally:
        sys.path.remove(str(tmp_path))
    labels = [row.split(",")[2] for row in rows[1:]]
    by_id = {f"t{i:02d}": label for i, label in enumerate(labels)}
    drawn = [by_id[o.example_id] for o in done.outputs]
    # Proportional to the strata: 30 of 40 negative gives 6 of 8, 10 positive gives 2.
    assert sorted(drawn) == ["neg"] * 6 + ["pos"] * 2


def test_a_run_reads_its_results_back_once_for_the_summary_and_the_evaluation(
    graded_run: tuple[LoadedSuite, RunInfo], store: Store
) -> None:
    """Issue 23: the summary the CLI prints and the `Evaluation` it returns come from one
    reading of the run's outputs and examples, not one each (plus one for edge cases)."""
    from sqlalchemy import event

    from fieldeval.cli.commands import _Shown

    loaded, _ = graded_run
    reads: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        for table in ("outputs", "examples"):
            if statement.lstrip().startswith("SELECT") and f"\nFROM {table} " in statement:
                reads.append(table)

    event.listen(store.engine, "before_cursor_execute", seen)
    try:
        result = evaluate(loaded.path, store=store, use_cache=False, observer=_Shown(quiet=True))
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)
    assert len(result.outputs) == 6
    assert sorted(reads) == ["examples", "outputs"], reads
