"""`run` with a judge, then `agreement` and `calibrate`, end to end through the CLI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from tests.projects.judge import JudgeProject

from fieldeval.human.session import GradingSession
from fieldeval.store import Store

# The judge double passes any output that says "refund"; people pass only a promised one.
ALPHA = ["We will refund you."] * 12 + ["There will be no refund."] * 12
BETA = ["Sorry, we cannot help."] * 12 + ["We will refund it today."] * 12


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    """SQLite only: the commands here run as a user runs them, on the file beside the suite."""
    return f"sqlite:///{tmp_path / 'results.db'}"


def fieldeval(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "FIELDEVAL_DB"}
    env["COLUMNS"] = "220"
    env["PYTHONPATH"] = os.pathsep.join([str(folder), env.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-m", "fieldeval", *args, "--db", str(folder / "results.db")],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_run_judges_then_people_grade_and_the_judge_is_found_lenient(
    project: JudgeProject, store: Store
) -> None:
    loaded = project.write(list(zip(ALPHA, BETA, strict=True)))
    result = fieldeval(project.folder, "run", "suite.yaml", "-q")
    assert result.returncode == 0, result.stderr
    assert "judge judge: 48 grades written, 48 calls" in result.stdout
    rubric_row = re.search(
        r"offers-refund\s+│\s+alpha\s+│\s+not graded\s+│\s+(.+?)\s+│", result.stdout
    )
    assert rubric_row is not None, result.stdout
    assert rubric_row.group(1) == "100% [86%–100%] (24/24)"
    # Nobody has graded yet: the judge's rates are its own, and the output says so.
    assert "⚠ offers-refund: the judge's rates are uncalibrated" in result.stdout

    run = store.latest_run("replies")
    assert run is not None
    session = GradingSession(store, run.id, loaded.suite.rubric)
    items = session.items("ana")
    # People grade 40 of the 48 outputs; the judge alone decides the other 8, and the 2 the
    # graders split on.
    for n, item in enumerate(sorted(items, key=lambda i: i.key)[:40]):
        verdict = int("will refund" in item.output)
        session.record("ana", item.key, "offers-refund", verdict, None if verdict else "none")
        if n < 20:  # a second grader on half of them, disagreeing twice
            other = 1 - verdict if n in (3, 7) else verdict
            session.record("ben", item.key, "offers-refund", other, None if other else "no")

    agreement = fieldeval(project.folder, "agreement", "suite.yaml")
    assert agreement.returncode == 0, agreement.stderr
    row = re.search(r"offers-refund\s+│\s+2\s+│\s+20\s+│\s+0\.90 \[", agreement.stdout)
    assert row is not None, agreement.stdout
    assert "2 graded outputs where people disagree are not settled" in agreement.stdout

    calibrate = fieldeval(project.folder, "calibrate", "suite.yaml")
    assert calibrate.returncode == 0, calibrate.stderr
    out = " ".join(calibrate.stdout.split())
    assert "too lenient" in out, out
    assert re.search(r"offers-refund │ \d+ │ 100%", out), out  # TPR: it never fails a good one
    # The judge passed every one of alpha's outputs; people passed only the promised refunds,
    # half of them: corrected, alpha's rate is about half, and the judge's 100% is ruled out.
    alpha = r"offers-refund │ alpha │ 100% │ (\d+)/24 · 0/0 │ (\d+)% \[(\d+)%–(\d+)%\]"
    row = re.search(alpha, out)
    assert row is not None, out
    graded, value, low, high = map(int, row.groups())
    assert 15 <= graded <= 24 and low < 50 < high < 90 and 35 <= value <= 65
    # Beta's split by the judge matches people's: the correction keeps it near the judge.
    assert re.search(r"offers-refund │ beta │ 50% │ \d+/12 · \d+/12 │ 50% \[", out), out
    # And the two, corrected, compared: the judge's 100% against 50% was its own error.
    diff = re.search(r"offers-refund: alpha − beta ([+−]\d+) \[([+−]\d+), ([+−]\d+)\] points", out)
    assert diff is not None, out
    low, high = (int(v.replace("−", "-")) for v in diff.groups()[1:])
    assert low < 0 < high


def test_grading_commands_say_what_is_missing(project: JudgeProject) -> None:
    project.write([("We will refund you.", "No.")])
    calibrate = fieldeval(project.folder, "calibrate", "suite.yaml")
    assert calibrate.returncode == 2
    assert "no run of 'replies'" in calibrate.stderr
    assert fieldeval(project.folder, "run", "suite.yaml", "-q", "--no-judge").returncode == 0
    calibrate = fieldeval(project.folder, "calibrate", "suite.yaml")
    assert calibrate.returncode == 2
    assert "has no judge grades to calibrate" in calibrate.stderr
    assert "fieldeval judge suite.yaml" in calibrate.stderr
    judged = fieldeval(project.folder, "judge", "suite.yaml", "-q", "--criterion", "nope")
    assert judged.returncode == 2 and "no criterion 'nope'" in judged.stderr
    paired = fieldeval(project.folder, "judge", "suite.yaml", "-q", "--pair", "alpha,gamma")
    assert paired.returncode == 2 and "'gamma' is not a candidate" in paired.stderr


def test_judging_side_by_side_prints_win_rates_and_position_bias(
    project: JudgeProject, store: Store
) -> None:
    project.write(list(zip(ALPHA, BETA, strict=True)))
    assert fieldeval(project.folder, "run", "suite.yaml", "-q", "--no-judge").returncode == 0
    result = fieldeval(project.folder, "judge", "suite.yaml", "-q", "--pair", "alpha,beta")
    assert result.returncode == 0, result.stderr
    out = " ".join(result.stdout.split())
    # The double prefers the output that says "refund": alpha's on the first 12 examples;
    # both say it on the last 12 (a tie). Each example is judged in both orders, and the
    # two judgements of one example are one unit: n is 24 examples, not 48 choices.
    assert "judge judge: 48 grades written, 48 calls" in out
    assert "offers-refund │ judge │ alpha vs beta │ 24 │ 12 / 12 / 0 │ 75% [" in out, out
    run = store.latest_run("replies")
    assert run is not None
    shown = " ".join(fieldeval(project.folder, "show", run.id).stdout.split())
    assert "alpha vs beta │ 24 │ 12 / 12 / 0" in shown
