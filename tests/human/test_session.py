"""Human grading on a real run: blind items, per-grader order, versions, sides, disagreements."""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

import pytest

from fieldeval.errors import UserError
from fieldeval.human.session import GradingSession
from fieldeval.records.run import RunInfo
from fieldeval.results.rubric import human_verdicts, rubric_agreement, rubric_results
from fieldeval.runner import run_suite
from fieldeval.store import Store
from fieldeval.store.grade_store import GradeStore
from fieldeval.suite.loader import LoadedSuite, load_suite

NAMES = ["ann", "bob", "cy", "di", "ed", "flo"]

SUITE = """\
task:
  name: greet
  description: Greet whoever the text names.
  prompt: "Greet {{ name }}"
dataset: {path: data.csv, id: id, input: name, slices: [group]}
candidates:
  - {id: warm, provider: python, function: "greet_bot:warm"}
  - {id: cold, provider: python, function: "greet_bot:cold"}
rubric:
  - id: friendly
    question: QUESTION
  - id: tone
    question: How warm is it?
    scale:
      levels:
        - {value: 1, label: cold, anchor: No greeting word.}
        - {value: 2, label: plain, anchor: "A greeting, nothing more."}
        - {value: 3, label: warm, anchor: A greeting with a kind word.}
    applies_to: {candidates: [warm], slices: {group: [a]}}
"""


def write_suite(folder: Path, question: str = "Is the greeting friendly?") -> LoadedSuite:
    (folder / "suite.yaml").write_text(SUITE.replace("QUESTION", question))
    return load_suite(folder / "suite.yaml")


@pytest.fixture
def graded(tmp_path: Path) -> tuple[Store, LoadedSuite, RunInfo]:
    rows = "".join(
        f"e{i},{name},{'a' if i % 2 else 'b'}\n" for i, name in enumerate(NAMES, start=1)
    )
    (tmp_path / "data.csv").write_text("id,name,group\n" + rows)
    (tmp_path / "greet_bot.py").write_text(
        textwrap.dedent(
            """\
            def warm(request):
                return "hello dear " + request.variables["name"]

            def cold(request):
                return request.variables["name"] + "."
            """
        )
    )
    loaded = write_suite(tmp_path)
    store = Store.open(f"sqlite:///{tmp_path / 'f.db'}")
    info = run_suite(loaded, store)
    return store, loaded, info


def test_items_are_blind_and_each_grader_has_a_stable_order(
    graded: tuple[Store, LoadedSuite, RunInfo],
) -> None:
    store, loaded, info = graded
    session = GradingSession(store, info.id, loaded.suite.rubric)
    ana, ben = session.items("ana"), session.items("ben")
    assert len(ana) == 12  # two candidates × six examples
    assert {item.key for item in ana} == {item.key for item in ben}
    assert [item.key for item in ana] == [item.key for item in session.items("ana")]
    assert [item.key for item in ana] != [item.key for item in ben]
    for item in ana:  # the key says nothing about who wrote the output
        assert item.candidate_id not in item.key
        # ...even to a grader who knows the candidates: it is keyed with the store's secret.
        plain = "\x1f".join([info.id, item.candidate_id, item.example_id, str(item.repeat)])
        assert item.key != hashlib.sha256(plain.encode()).hexdigest()[:16]
    # `tone` applies to `warm` on slice a only.
    tone = {(i.candidate_id, i.example_id) for i in ana if "tone" in [c.id for c in i.criteria]}
    assert tone == {("warm", "e1"), ("warm", "e3"), ("warm", "e5")}


def test_a_fail_needs_a_note_and_values_must_be_on_the_scale(
    graded: tuple[Store, LoadedSuite, RunInfo],
) -> None:
    store, loaded, info = graded
    session = GradingSession(store, info.id, loaded.suite.rubric)
    item = next(i for i in session.items("ana") if len(i.criteria) == 2)
    with pytest.raises(UserError, match="a fail needs a note"):
        session.record("ana", item.key, "friendly", 0)
    with pytest.raises(UserError, match="not on its scale"):
        session.record("ana", item.key, "tone", 7)
    with pytest.raises(UserError, match="a fail needs a note"):
        session.record("ana", item.key, "tone", 2)  # pass_at defaults to above the middle: 3
    with pytest.raises(UserError, match="reserved"):
        session.record("judge:x", item.key, "friendly", 1)
    session.record("ana", item.key, "friendly", 0, "no greeting at all")
    session.record("ana", item.key, "tone", None)  # n/a needs no note
    answers = session.answers("ana")[item.key]
    assert answers["friendly"].value == 0 and answers["friendly"].note == "no greeting at all"
    assert answers["tone"].value is None
    progress = session.progress("ana")
    assert (progress.done, progress.total, progress.answered) == (1, 12, 2)


def test_progress_counts_each_save_once_and_sees_grades_written_elsewhere(
    graded: tuple[Store, LoadedSuite, RunInfo],
) -> None:
    """Issue 23: a save touches counters, not the whole set; the counters still agree with
    a fresh reading after re-grades, another grader, and a grade another process wrote."""
    store, loaded, info = graded
    session = GradingSession(store, info.id, loaded.suite.rubric)

    def fresh(grader: str) -> tuple[int, int]:
        found = GradingSession(store, info.id, loaded.suite.rubric).progress(grader)
        return found.done, found.answered

    assert (session.progress("ana").done, session.progress("ana").answered) == (0, 0)
    two = next(i for i in session.items("ana") if len(i.criteria) == 2)
    one = next(i for i in session.items("ana") if len(i.criteria) == 1)
    session.record("ana", two.key, "friendly", 1)
    session.record("ana", two.key, "friendly", 0, "curt after all")  # a change, not a new one
    session.record("ana", one.key, "friendly", 1)
    session.record("bob", one.key, "friendly", 1)  # another grader's answers are their own
    ana = session.progress("ana")
    assert (ana.done, ana.answered, ana.total, ana.answers_needed) == (1, 2, 12, 15)
    assert (ana.done, ana.answered) == fresh("ana")
    session.record("ana", two.key, "tone", 3)
    assert (session.progress("ana").done, session.progress("ana").answered) == (2, 3)

    # Someone else (the CLI, another server) grades for ana: the next reading counts it.
    elsewhere = GradingSession(store, info.id, loaded.suite.rubric)
    third = next(i for i in elsewhere.items("ana") if i.key not in {one.key, two.key})
    elsewhere.record("ana", third.key, "friendly", 1)
    assert (session.progress("ana").done, session.progress("ana").answered) == fresh("ana")
    assert session.answers("ana")[third.key]["friendly"].value == 1
    elsewhere.record("ana", third.key, "friendly", 0, "changed elsewhere")
    assert session.answers("ana")[third.key]["friendly"].value == 0


def test_changing_a_grade_keeps_the_old_one_in_the_audit_trail(
    graded: tuple[Store, LoadedSuite, RunInfo],
) -> None:
    store, loaded, info = graded
    session = GradingSession(store, info.id, loaded.suite.rubric)
    key = session.items("ana")[0].key
    session.record("ana", key, "friendly", 1)
    session.record("ana", key, "friendly", 0, "too curt")
    edits = GradeStore(store).edits(info.id)
    assert [(e["old_value"], e["grader"]) for e in edits] == [(1, "ana")]
    assert session.answers("ana")[key]["friendly"].value == 0


def test_editing_a_criterion_makes_a_new_version_and_old_grades_stop_counting(
    graded: tuple[Store, LoadedSuite, RunInfo], tmp_path: Path
) -> None:
    store, loaded, info = graded
    session = GradingSession(store, info.id, loaded.suite.rubric)
    key = session.items("ana")[0].key
    session.record("ana", key, "friendly", 1)
    old_version = loaded.suite.rubric[0].version

    edited = write_suite(tmp_path, "Does the reply greet the person by name, kindly?")
    assert edited.suite.rubric[0].version != old_version
    assert edited.suite.rubric[1].version == loaded.suite.rubric[1].version
    again = GradingSession(store, info.id, edited.suite.rubric)
    assert "friendly" not in again.answers("ana").get(key, {})
    stored = GradeStore(store).grades(info.id, grader="ana")
    assert [g.criterion_version for g in stored] == [old_version]  # kept, under its version
    assert old_version in GradeStore(store).criterion_definitions()


def test_side_by_side_draws_sides_per_grader_and_logs_them(
    graded: tuple[Store, LoadedSuite, RunInfo],
) -> None:
    store, loaded, info = graded
    session = GradingSession(store, info.id, loaded.suite.rubric)
    pairs = session.pair_items("ana", "warm", "cold")
    assert len(pairs) == 6
    # Sides are drawn per grader and example: over ten graders both sides occur (a 2^-59
    # chance otherwise), and each grader's draw is stable.
    drawn = {
        p.left_candidate for g in range(10) for p in session.pair_items(f"g{g}", "warm", "cold")
    }
    assert drawn == {"warm", "cold"}
    assert [p.left_candidate for p in session.pair_items("ana", "warm", "cold")] == [
        p.left_candidate for p in pairs
    ]
    for pair in pairs:
        assert [c.id for c in pair.criteria] == ["friendly"]  # tone applies to warm only
        session.record_pair("ana", pair, "friendly", "left")
    stored = GradeStore(store).pair_grades(info.id)
    assert sorted((g.example_id, g.left_candidate) for g in stored) == sorted(
        (p.example_id, p.left_candidate) for p in pairs
    )
    assert len(session.pair_answers("ana")) == 6


def test_disagreements_are_listed_and_a_settled_grade_wins(
    graded: tuple[Store, LoadedSuite, RunInfo],
) -> None:
    store, loaded, info = graded
    rubric = loaded.suite.rubric
    session = GradingSession(store, info.id, rubric)
    items = session.items("ana")
    for item in items[:4]:
        session.record("ana", item.key, "friendly", 1)
        session.record("ben", item.key, "friendly", 1)
    session.record("ben", items[0].key, "friendly", 0, "not friendly")  # ben changes his mind
    (found,) = session.disagreements()
    assert found.item.key == items[0].key and found.settled is None
    assert sorted((g.grader, g.value) for g in found.grades) == [("ana", 1), ("ben", 0)]

    grades = GradeStore(store).grades(info.id)
    output = (items[0].candidate_id, items[0].example_id, 0)
    assert human_verdicts(grades, rubric[0])[output] is None  # one each way: undecided

    session.settle("cleo", items[0].key, "friendly", 0, "no greeting word")
    (settled,) = session.disagreements()
    assert settled.settled is not None and settled.settled.note is not None
    assert settled.settled.note.startswith("settled by cleo")
    grades = GradeStore(store).grades(info.id)
    assert human_verdicts(grades, rubric[0])[output] is False

    results = {
        (r.candidate_id, r.source): r for r in rubric_results(grades, rubric) if r.criterion_id
    }
    people = [r for (_, source), r in results.items() if source == "people"]
    assert sum(r.rate.n for r in people) == 4
    assert sum(r.rate.k for r in people) == 3

    (friendly, _tone) = rubric_agreement(grades, rubric)
    assert friendly.n_units == 4 and friendly.graders == ("ana", "ben")
    assert friendly.percent.value == pytest.approx(0.75)


def test_grading_while_a_run_writes_to_the_same_store_loses_nothing(
    graded: tuple[Store, LoadedSuite, RunInfo], tmp_path: Path
) -> None:
    import os
    import subprocess
    import sys

    store, loaded, info = graded
    # A second, slower run of many examples, writing from another process.
    rows = "".join(f"x{i},name{i},a\n" for i in range(300))
    (tmp_path / "big.csv").write_text("id,name,group\n" + rows)
    (tmp_path / "slow.py").write_text(
        "import time\n\ndef answer(request):\n    time.sleep(0.002)\n    return 'hi'\n"
    )
    (tmp_path / "big.yaml").write_text(
        textwrap.dedent(
            """\
            task: {name: big, description: Say hi., prompt: "{{ name }}"}
            dataset: {path: big.csv, id: id, input: name}
            candidates:
              - {id: slow, provider: python, function: "slow:answer", concurrency: 8}
            """
        )
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    writer = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fieldeval",
            "run",
            "big.yaml",
            "-q",
            "--db",
            str(tmp_path / "f.db"),
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    session = GradingSession(store, info.id, loaded.suite.rubric)
    given = during_run = 0
    while writer.poll() is None or given < 24:
        during_run += writer.poll() is None
        for grader in ("ana", "ben"):
            item = session.items(grader)[given % 12]
            session.record(grader, item.key, "friendly", given % 2, "noted")
        given += 1
    _out, err = writer.communicate()
    assert writer.returncode == 0, err
    assert "locked" not in err
    assert during_run > 10  # the two really wrote at the same time
    big = store.latest_run("big")
    assert big is not None and big.status == "finished"
    assert store.count_outputs(big.id) == 300
    assert all(len(session.answers(g)) == 12 for g in ("ana", "ben"))
    assert store.integrity_check() == []
