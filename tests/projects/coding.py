"""A run with people's notes, for the failure-mode coding tests, and the double's config."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from tests.projects.judge import JudgeProject

from fieldeval.human.session import GradingSession
from fieldeval.records.run import RunInfo
from fieldeval.store import Store
from fieldeval.store.grade_store import GradeStore
from fieldeval.suite.loader import LoadedSuite, load_suite

# The judge double groups notes by first word; this renames, rates and leaves out some.
CODING = {
    "ids": {"made": "invents-facts", "too": "too-long"},
    "severity": {"invents-facts": "critical"},
    "leave_out": ["odd"],
}
PRICE = {"input_per_mtok": 3.0, "output_per_mtok": 15.0}
ROWS = [("alpha zero", "beta zero"), ("alpha one", "beta one"), ("alpha two", "beta two")]
INVENTS = {
    "id": "invents-facts",
    "definition": "States something the complaint does not say.",
    "severity": "critical",
}


def with_suite(project: JudgeProject, **top: Any) -> LoadedSuite:
    """The project's suite with top-level keys set (None removes one), loaded again."""
    path = project.folder / "suite.yaml"
    suite = json.loads(path.read_text(encoding="utf-8"))
    for key, value in top.items():
        if value is None:
            suite.pop(key, None)
        else:
            suite[key] = value
    path.write_text(json.dumps(suite, indent=2), encoding="utf-8")
    return load_suite(path)


def write_notes(
    store: Store,
    loaded: LoadedSuite,
    run: RunInfo,
    notes: Sequence[tuple[str, str, str, str]],
) -> None:
    """(grader, candidate, example, note): a fail on offers-refund, as the grading screen saves."""
    session = GradingSession(store, run.id, loaded.suite.rubric)
    keys = {(i.candidate_id, i.example_id): i.key for i in session.items("ana")}
    for grader, candidate, example, note in notes:
        session.record(grader, keys[(candidate, example)], "offers-refund", 0, note)


NOTES = [
    ("ana", "alpha", "e0", "made up an order number"),
    ("ana", "alpha", "e1", "made up a date"),
    ("ana", "alpha", "e2", "made up a date"),
    ("ben", "alpha", "e2", "made up a date"),
    ("ana", "beta", "e0", "too long, it rambles"),
    ("ana", "beta", "e1", "wordy: three paragraphs"),
    ("ana", "beta", "e2", "odd phrasing"),
]


async def coded_run(project: JudgeProject, store: Store, **top: Any) -> tuple[LoadedSuite, RunInfo]:
    project.write(ROWS, judge={"candidate": project.judge_candidate(price=PRICE)})
    loaded = with_suite(project, **top)
    run = await project.run(loaded)
    write_notes(store, loaded, run, NOTES)
    return loaded, run


def load_yaml(path: Path) -> Any:
    return YAML(typ="rt").load(path.read_text(encoding="utf-8"))


def dump_yaml(tree: Any, path: Path) -> None:
    YAML(typ="rt").dump(tree, path)


def labels_of(store: Store, run_id: str, labeller: str = "coding") -> set[tuple[str, str, str]]:
    return {
        (label.candidate_id, label.example_id, label.mode_id)
        for label in GradeStore(store).failure_labels(run_id)
        if label.labeller == labeller
    }
