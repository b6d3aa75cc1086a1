"""`fieldeval failures`: show (the default), suggest and apply, run as a user runs them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from tests.doubles.fixtures import ServerHandle, start_server
from tests.projects.judge import JudgeProject

from fieldeval.human.session import GradingSession
from fieldeval.records.run import RunInfo
from fieldeval.store import Store
from fieldeval.store.grade_store import GradeStore
from fieldeval.suite.loader import load_suite

ROWS = [("We will refund you.", "No."), ("A refund is on its way.", "Call us."), ("Hi", "Bye")]
MODES = [
    {
        "id": "invents-facts",
        "definition": "States something the complaint does not say.",
        "severity": "critical",
    }
]
CODING = {"ids": {"made": "invents-facts", "too": "too-long"}}


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    config = {"judge": {"pass_if": "refund", "coding": CODING}}
    with start_server("--config", json.dumps(config)) as handle:
        yield handle


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'results.db'}")
    yield opened
    opened.close()


@pytest.fixture
def project(tmp_path: Path, store: Store, server: ServerHandle) -> JudgeProject:
    return JudgeProject(tmp_path, store, server.url)


def fieldeval(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "FIELDEVAL_DB"}
    env["COLUMNS"] = "200"
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


def set_suite(project: JudgeProject, **top: Any) -> None:
    path = project.folder / "suite.yaml"
    suite = json.loads(path.read_text(encoding="utf-8"))
    suite.update(top)
    path.write_text(json.dumps(suite, indent=2), encoding="utf-8")


def graded_run(project: JudgeProject, store: Store, *, modes: bool = True) -> RunInfo:
    """A run with people's notes on four fails, made through the CLI and the grading session."""
    project.write(ROWS)
    if modes:
        set_suite(project, failure_modes=MODES)
    result = fieldeval(project.folder, "run", "suite.yaml", "-q", "--no-judge")
    assert result.returncode == 0, result.stderr
    run = store.latest_run("replies")
    assert run is not None
    loaded = load_suite(project.folder / "suite.yaml")
    session = GradingSession(store, run.id, loaded.suite.rubric)
    keys = {(i.candidate_id, i.example_id): i.key for i in session.items("ana")}
    for candidate, example, note in [
        ("alpha", "e0", "made up an order number"),
        ("alpha", "e2", "made up a date"),
        ("beta", "e0", "too long for a reply"),
        ("beta", "e1", "too long again"),
    ]:
        session.record("ana", keys[(candidate, example)], "offers-refund", 0, note)
    return run


def test_failures_suite_and_failures_show_print_the_analysis(
    project: JudgeProject, store: Store
) -> None:
    graded_run(project, store)
    default = fieldeval(project.folder, "failures", "suite.yaml")
    assert default.returncode == 0, default.stderr
    assert "invents-facts" in default.stdout
    shown = fieldeval(project.folder, "failures", "show", "suite.yaml")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == default.stdout
    run = store.latest_run("replies")
    assert run is not None
    by_run = fieldeval(project.folder, "failures", "--run", run.id[:10], "suite.yaml")
    assert by_run.returncode == 0 and by_run.stdout == default.stdout


def test_suggest_then_apply_labels_the_outputs_and_prints_what_to_paste(
    project: JudgeProject, store: Store
) -> None:
    run = graded_run(project, store)
    suggested = fieldeval(project.folder, "failures", "suggest", "suite.yaml", "--max-modes", "5")
    assert suggested.returncode == 0, suggested.stderr
    out = " ".join(suggested.stdout.split())
    assert "grouped 4 notes" in out and "into 2 proposed failure modes; 0 left unsorted" in out
    assert "wrote failure-modes.yaml" in out
    assert "fieldeval failures apply suite.yaml failure-modes.yaml" in out
    path = project.folder / "failure-modes.yaml"
    tree = YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    assert [mode["id"] for mode in tree["failure_modes"]] == ["invents-facts", "too-long"]

    again = fieldeval(project.folder, "failures", "suggest", "suite.yaml")
    assert again.returncode == 2 and "already exists" in again.stderr and "--force" in again.stderr

    applied = fieldeval(project.folder, "failures", "apply", "suite.yaml", "failure-modes.yaml")
    assert applied.returncode == 0, applied.stderr
    out = applied.stdout
    assert f"labelled 4 outputs of run {run.id} with 2 failure modes (4 labels" in out
    assert "too-long is not in suite.yaml yet" in out
    pasted = YAML(typ="safe").load(out[out.index("\nfailure_modes:") :])
    assert pasted == {
        "failure_modes": [
            {"id": "too-long", "definition": "The note says too long.", "severity": "major"}
        ]
    }
    labels = {
        (la.candidate_id, la.example_id, la.mode_id)
        for la in GradeStore(store).failure_labels(run.id)
    }
    assert labels == {
        ("alpha", "e0", "invents-facts"),
        ("alpha", "e2", "invents-facts"),
        ("beta", "e0", "too-long"),
        ("beta", "e1", "too-long"),
    }
    shown = fieldeval(project.folder, "failures", "suite.yaml")
    assert shown.returncode == 0, shown.stderr
    assert re.search(r"invents-facts .*\(2/3\)", shown.stdout), shown.stdout  # alpha's two


def test_a_broken_file_or_an_unknown_output_is_exit_2_with_the_line(
    project: JudgeProject, store: Store
) -> None:
    graded_run(project, store)
    assert fieldeval(project.folder, "failures", "suggest", "suite.yaml").returncode == 0
    path = project.folder / "failure-modes.yaml"
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    line = next(n for n, line in enumerate(lines, start=1) if "output: beta/e1#0" in line)

    path.write_text(text.replace("output: beta/e1#0", "output: beta/e7#0"), encoding="utf-8")
    unknown = fieldeval(project.folder, "failures", "apply", "suite.yaml", "failure-modes.yaml")
    assert unknown.returncode == 2 and "Traceback" not in unknown.stderr
    assert re.search(rf"failure-modes\.yaml:{line}:\d+: .*no output 'beta/e7#0'", unknown.stderr)

    path.write_text(text.replace("  - id: too-long", "  - id: too-long: yes"), encoding="utf-8")
    broken = fieldeval(project.folder, "failures", "apply", "suite.yaml", "failure-modes.yaml")
    assert broken.returncode == 2 and "Traceback" not in broken.stderr
    assert re.search(r"failure-modes\.yaml:\d+:\d+: YAML syntax error", broken.stderr)
    assert broken.stderr.startswith("error: ")


def test_failures_says_what_is_missing(project: JudgeProject, store: Store) -> None:
    graded_run(project, store, modes=False)
    # No mode named: the rubric's failures are still counted, as unclassified.
    no_modes = fieldeval(project.folder, "failures", "suite.yaml")
    assert no_modes.returncode == 0, no_modes.stderr
    assert "unclassified" in no_modes.stdout

    typo = fieldeval(project.folder, "failures", "sugest", "suite.yaml")
    assert typo.returncode == 2 and "did you mean 'suggest'" in typo.stderr


def test_suggest_without_notes_asks_for_grading_first(project: JudgeProject) -> None:
    project.write(ROWS)
    assert fieldeval(project.folder, "run", "suite.yaml", "-q", "--no-judge").returncode == 0
    result = fieldeval(project.folder, "failures", "suggest", "suite.yaml")
    assert result.returncode == 2
    assert "no notes on failing grades" in result.stderr
    assert "fieldeval grade" in result.stderr
    assert not (project.folder / "failure-modes.yaml").exists()
