"""A team store on a real PostgreSQL server: the CLI end to end, grading while a run writes,
processes opening a new store at once, and the errors a user sees."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from sqlalchemy.engine import make_url

from fieldeval.human.session import GradingSession
from fieldeval.store import Store
from fieldeval.store.grade_store import GradeStore
from fieldeval.suite.loader import load_suite

SUITE = """\
task:
  name: greet
  description: Greet whoever the text names.
  prompt: "Greet {{ name }}"
dataset: {path: data.csv, id: id, input: name, slices: [group]}
candidates:
  - {id: warm, provider: python, function: "bot:warm"}
  - {id: cold, provider: python, function: "bot:cold"}
checks:
  - {id: says_hello, type: contains, value: hello}
rubric:
  - id: friendly
    question: Is the greeting friendly?
"""
BOT = """\
def warm(request):
    return "hello dear " + request.variables["name"]

def cold(request):
    return request.variables["name"] + "."
"""
NAMES = ["ann", "bob", "cy", "di", "ed", "flo"]


def project(folder: Path) -> Path:
    """A suite of two python-function candidates on six examples, with a one-question rubric."""
    rows = "".join(f"e{i},{name},{'ab'[i % 2]}\n" for i, name in enumerate(NAMES, start=1))
    (folder / "data.csv").write_text("id,name,group\n" + rows)
    (folder / "bot.py").write_text(BOT)
    (folder / "suite.yaml").write_text(SUITE)
    return folder / "suite.yaml"


def fieldeval(
    folder: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """The real command in a fresh interpreter, with `folder` importable (the bot lives there)."""
    return subprocess.run(
        [sys.executable, "-m", "fieldeval", *args],
        cwd=folder,
        env={
            **os.environ,
            "PYTHONPATH": str(folder),
            "COLUMNS": "200",
            "NO_COLOR": "1",
            **(env or {}),
        },
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_run_show_compare_gate_and_grading_on_a_postgresql_store(
    pg_url: str, tmp_path: Path
) -> None:
    suite = project(tmp_path)
    first = fieldeval(tmp_path, "run", "suite.yaml", "-q", "--db", pg_url)
    assert first.returncode == 0, first.stderr
    second = fieldeval(tmp_path, "run", "suite.yaml", "-q", "--no-cache", "--db", pg_url)
    assert second.returncode == 0, second.stderr

    store = Store.open(pg_url)
    try:
        assert store.engine.dialect.name == "postgresql"
        runs = store.runs()
        assert [r.status for r in runs] == ["finished", "finished"]
        newer, older = runs
        outputs = store.outputs(newer.id)
        assert len(outputs) == 12
        by_candidate = {o.candidate_id: o for o in outputs if o.example_id == "e1"}
        assert by_candidate["warm"].text == "hello dear ann" and by_candidate["warm"].passed
        assert by_candidate["cold"].text == "ann." and not by_candidate["cold"].passed
        assert newer.started_at.utcoffset() is not None  # timestamptz, read back in UTC

        shown = fieldeval(tmp_path, "show", newer.id[:-2], "--db", pg_url)
        assert shown.returncode == 0, shown.stderr
        assert "warm" in shown.stdout and "cold" in shown.stdout
        compared = fieldeval(tmp_path, "compare", older.id, newer.id, "--db", pg_url)
        assert compared.returncode == 0, compared.stderr
        gated = fieldeval(tmp_path, "gate", "--db", pg_url)
        assert gated.returncode == 0, gated.stdout + gated.stderr

        # Two people grade the newer run in the store the runs wrote to.
        rubric = load_suite(suite).suite.rubric
        session = GradingSession(store, newer.id, rubric)
        for grader in ("ana", "ben"):
            for item in session.items(grader):
                warm = item.candidate_id == "warm"
                session.record(grader, item.key, "friendly", int(warm), None if warm else "curt")
        grades = GradeStore(store).grades(newer.id)
        assert len(grades) == 24 and {g.grader for g in grades} == {"ana", "ben"}
    finally:
        store.close()

    # The judge-free rubric table: people's pass rates, the judge's column not graded.
    shown = fieldeval(tmp_path, "show", newer.id, "--db", pg_url)
    assert shown.returncode == 0, shown.stderr
    assert "rubric" in shown.stdout and "not graded" in shown.stdout
    assert "(6/6)" in shown.stdout and "(0/6)" in shown.stdout
    agreement = fieldeval(tmp_path, "agreement", "suite.yaml", "--db", pg_url)
    assert agreement.returncode == 0, agreement.stderr
    assert "friendly" in agreement.stdout

    # $FIELDEVAL_DB names the same store when --db is not given.
    listed = fieldeval(tmp_path, "runs", env={"FIELDEVAL_DB": pg_url})
    assert listed.returncode == 0, listed.stderr
    assert newer.id in listed.stdout and older.id in listed.stdout
    assert not (tmp_path / ".fieldeval").exists()  # no SQLite file was made instead


def test_two_graders_and_a_run_writing_at_once_lose_nothing(pg_url: str, tmp_path: Path) -> None:
    suite = project(tmp_path)
    first = fieldeval(tmp_path, "run", "suite.yaml", "-q", "--db", pg_url)
    assert first.returncode == 0, first.stderr
    store = Store.open(pg_url)
    run = store.runs()[0]
    rubric = load_suite(suite).suite.rubric

    # A second run of 300 examples, written by another process while both people grade.
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
    writer = subprocess.Popen(
        [sys.executable, "-m", "fieldeval", "run", "big.yaml", "-q", "--db", pg_url],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    # Each grader has its own connection pool, as two `fieldeval grade` servers would; both
    # open their session at the same moment, so both may find the criteria new.
    start = threading.Barrier(2)
    expected: dict[str, dict[str, int]] = {}
    during_run: dict[str, int] = {}
    failures: list[BaseException] = []

    def grade(grader: str) -> None:
        own = Store.open(pg_url)
        try:
            start.wait(timeout=30)
            session = GradingSession(own, run.id, rubric)
            items = session.items(grader)
            given, during = 0, 0
            final: dict[str, int] = {}
            while writer.poll() is None or given < 3 * len(items):
                during += writer.poll() is None
                item = items[given % len(items)]
                value = (given // len(items)) % 2  # each pass changes every answer
                session.record(grader, item.key, "friendly", value, "noted")
                final[item.key] = value
                given += 1
            expected[grader], during_run[grader] = final, during
        except BaseException as error:  # handed to the main thread, which fails the test
            failures.append(error)
        finally:
            own.close()

    threads = [threading.Thread(target=grade, args=(name,)) for name in ("ana", "ben")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    _out, err = writer.communicate(timeout=240)
    try:
        assert not failures, failures
        assert writer.returncode == 0, err
        assert all(count > 10 for count in during_run.values()), during_run  # really at once
        big = store.latest_run("big")
        assert big is not None and big.status == "finished"
        big_outputs = store.outputs(big.id)
        assert len(big_outputs) == 300 and all(o.text == "hi" for o in big_outputs)
        assert {o.example_id for o in big_outputs} == {f"x{i}" for i in range(300)}

        session = GradingSession(store, run.id, rubric)
        for grader in ("ana", "ben"):
            answers = session.answers(grader)
            assert len(answers) == len(session.items(grader)) == 12
            stored = {key: by_criterion["friendly"].value for key, by_criterion in answers.items()}
            assert stored == expected[grader]
        # Every change after an item's first answer left its old value in the audit trail.
        edits = GradeStore(store).edits(run.id)
        assert {e["grader"] for e in edits} == {"ana", "ben"}
        assert store.integrity_check() == []
    finally:
        store.close()


def test_processes_opening_a_new_postgresql_store_at_once_all_get_the_schema(
    pg_url: str,
) -> None:
    probe = "import sys; from fieldeval.store import Store; Store.open(sys.argv[1]).close()"
    openers = [
        subprocess.Popen(
            [sys.executable, "-c", probe, pg_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    for opener in openers:
        _out, err = opener.communicate(timeout=60)
        assert opener.returncode == 0, err
    store = Store.open(pg_url)
    try:
        assert store.runs() == [] and store.integrity_check() == []
    finally:
        store.close()


def test_a_store_error_never_shows_the_password(pg_url: str, tmp_path: Path) -> None:
    project(tmp_path)
    url = make_url(pg_url).set(password="s3cret-pw", database="no_such_db")
    result = fieldeval(tmp_path, "runs", "--db", url.render_as_string(hide_password=False))
    assert result.returncode == 1
    assert "no_such_db" in result.stderr and "does not exist" in result.stderr
    assert "s3cret-pw" not in result.stdout + result.stderr


def test_a_postgresql_url_without_the_driver_says_how_to_install_it(tmp_path: Path) -> None:
    # As an install without the 'postgres' extra: psycopg cannot be imported.
    blocked = (
        "import sys; sys.modules['psycopg'] = None; "
        "from fieldeval.cli.main import main; sys.argv[0] = 'fieldeval'; main()"
    )
    result = subprocess.run(
        [sys.executable, "-c", blocked, "runs", "--db", "postgresql://me:pw@db.invalid/evals"],
        cwd=tmp_path,
        env={**os.environ, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "pip install 'fieldeval[postgres]'" in result.stderr
    assert "pw@" not in result.stderr
