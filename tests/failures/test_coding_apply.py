"""Applying a person's edit of the proposed failure modes: labels stored, problems located."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from tests.doubles.fixtures import ServerHandle, start_server
from tests.projects.coding import (
    CODING,
    INVENTS,
    coded_run,
    dump_yaml,
    labels_of,
    load_yaml,
)
from tests.projects.judge import JudgeProject

from fieldeval.errors import UserError
from fieldeval.failures.coding import apply_coding, suggest_modes, write_suggestion
from fieldeval.failures.coding_file import CodingFileError, read_coding
from fieldeval.failures.notes import Note, ProposedMode, Suggestion
from fieldeval.failures.report import failure_report
from fieldeval.records.grade import FailureLabel
from fieldeval.results.run_data import read_run
from fieldeval.store import Store
from fieldeval.store.grade_store import GradeStore


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    """The judge double, grouping notes by their first word (see CODING)."""
    config = {"judge": {"pass_if": "refund", "coding": CODING}}
    with start_server("--config", json.dumps(config)) as handle:
        yield handle


async def test_apply_labels_what_the_person_kept_and_a_reapply_replaces_it(
    project: JudgeProject, store: Store
) -> None:
    loaded, run = await coded_run(project, store, failure_modes=[INVENTS])
    path = project.folder / "modes.yaml"
    write_suggestion(await suggest_modes(store, loaded, run.id), path)
    GradeStore(store).replace_failure_labels(
        run.id, "ana", [FailureLabel(run.id, "beta", "e2", 0, "invents-facts", "ana")]
    )

    tree = load_yaml(path)
    invents, too_long, wordy = tree["failure_modes"]
    too_long["id"] = "rambles"  # rename
    too_long["notes"].extend(wordy["notes"])  # merge wordy into it
    del tree["failure_modes"][2]
    del invents["notes"][0]  # drop the note on alpha/e0
    dump_yaml(tree, path)
    applied = apply_coding(store, loaded, None, path)

    assert (applied.run_id, applied.modes, applied.outputs, applied.labels) == (run.id, 2, 4, 4)
    assert labels_of(store, run.id) == {
        ("alpha", "e1", "invents-facts"),
        ("alpha", "e2", "invents-facts"),
        ("beta", "e0", "rambles"),
        ("beta", "e1", "rambles"),
    }
    stored = {
        (la.example_id, la.mode_id): la.note for la in GradeStore(store).failure_labels(run.id)
    }
    assert stored[("e2", "invents-facts")] == "made up a date"  # two graders, one text
    assert [mode.id for mode in applied.missing] == ["rambles"] and applied.tied == ()
    pasted = YAML(typ="safe").load(applied.missing_yaml)
    assert pasted == {
        "failure_modes": [
            {"id": "rambles", "definition": "The note says too long.", "severity": "major"}
        ]
    }
    report = failure_report(loaded.suite, read_run(store, run.id))
    invented = {
        (o.candidate_id, o.example_id) for o in report.outputs if "invents-facts" in o.modes
    }
    assert invented == {("alpha", "e1"), ("alpha", "e2"), ("beta", "e2")}  # ana's label too

    del tree["failure_modes"][1]  # drop rambles: its labels go on the next apply
    dump_yaml(tree, path)
    again = apply_coding(store, loaded, run.id[:8], path)
    assert (again.modes, again.outputs, again.missing) == (1, 2, ())
    assert labels_of(store, run.id) == {
        ("alpha", "e1", "invents-facts"),
        ("alpha", "e2", "invents-facts"),
    }
    assert labels_of(store, run.id, "ana") == {("beta", "e2", "invents-facts")}


async def test_apply_reports_every_problem_with_its_line(
    project: JudgeProject, store: Store
) -> None:
    loaded, run = await coded_run(project, store)
    path = project.folder / "modes.yaml"
    write_suggestion(await suggest_modes(store, loaded, run.id), path)
    lines = path.read_text(encoding="utf-8").splitlines()

    def line_of(text: str) -> int:
        return next(n for n, line in enumerate(lines, start=1) if text in line)

    edited = "\n".join(lines).replace("output: beta/e0#0", "output: beta/e9#0")
    path.write_text(edited, encoding="utf-8")
    with pytest.raises(CodingFileError) as unknown:
        apply_coding(store, loaded, None, path)
    assert f"{path}:{line_of('beta/e0#0')}:" in str(unknown.value)
    assert "no output 'beta/e9#0' in run" in str(unknown.value)
    assert labels_of(store, run.id) == set()  # nothing applied

    edited = (
        "\n".join(lines)
        .replace("severity: critical", "severity: fatal")
        .replace("  - id: wordy", "  - id: too-long")
        .replace("unsorted:", "colour: red\nunsorted:")
    )
    path.write_text(edited, encoding="utf-8")
    with pytest.raises(CodingFileError) as problems:
        apply_coding(store, loaded, None, path)
    message = str(problems.value)
    assert f"{path}: 3 problems" in message
    assert f"{path}:{line_of('severity: critical')}:" in message and "'fatal'" in message
    assert (
        f"{path}:{line_of('- id: wordy')}:" in message
        and "also the id of the mode at line" in message
    )
    assert "colour: unknown key" in message

    path.write_text("\n".join(lines).replace("  - id: wordy", "  - id: [wordy"), encoding="utf-8")
    with pytest.raises(UserError, match=rf"{re.escape(str(path))}:\d+:\d+: YAML syntax error"):
        apply_coding(store, loaded, None, path)


def test_any_note_survives_the_file_unchanged(tmp_path: Path) -> None:
    texts = [
        "line one\n  indented",
        "key: value # not a comment",
        "- looks like a list",
        "'quoted\" [x]: {y} & *z !w | > %",
        "tab\tand bell\x07",
        "yes",
        "123",
        "multi\nline with a trailing space \nend",
    ]
    notes = tuple(Note("alpha", f"e{i}", 0, "offers-refund", "ana", t) for i, t in enumerate(texts))
    mode = ProposedMode("odd", "Odd.", "minor", notes)
    suggestion = Suggestion("run-1", "judge", (mode,), notes[:2], 7, False, None, 0, 0, None)
    path = tmp_path / "modes.yaml"
    write_suggestion(suggestion, path)
    coded = read_coding(path)
    assert coded.run == "run-1"
    assert [(n.output, n.note) for n in coded.modes[0].notes] == [(n.ref, n.text) for n in notes]
    assert [n.note for n in coded.unsorted] == texts[:2]


def test_a_mapping_used_as_a_key_is_named_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "coding.yaml"
    path.write_text("modes:\n  - {id: a, notes: {n: 1}}: x\n", encoding="utf-8")
    with pytest.raises(UserError) as caught:
        read_coding(path)
    assert caught.value.message == f"{path}:2:5: a mapping or list is used as a key"
