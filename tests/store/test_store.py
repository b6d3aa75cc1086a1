"""The results store on a real SQLite file and a real PostgreSQL database: schema, pragmas,
outputs, cache and run lookup."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

import fieldeval.store.engine as engine_module
from fieldeval.errors import ErrorKind, UserError
from fieldeval.records.check_result import CheckResult
from fieldeval.records.completion import Completion, Usage
from fieldeval.records.example import Dataset, Example
from fieldeval.records.run import OutputKey, OutputRecord, RunInfo
from fieldeval.store import Store
from fieldeval.store.engine import HEAD_REVISION, with_driver

MIGRATIONS = Path(engine_module.__file__).parent / "migrations"
TABLES = {
    "datasets",
    "examples",
    "runs",
    "run_candidates",
    "outputs",
    "check_results",
    "alembic_version",
}
START = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store" / "results.db"


@pytest.fixture
def sqlite_store(db_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{db_path}")
    yield opened
    opened.close()


def dataset(n: int = 2) -> Dataset:
    examples = tuple(
        Example(id=f"e{i}", fields={"text": f"hello {i}"}, input=f"hello {i}") for i in range(n)
    )
    return Dataset(
        path=Path("data.csv"), examples=examples, content_hash=f"s256:data{n}", source_rows=n
    )


def new_run(store: Store, run_id: str, *, minutes: int = 0, n: int = 2) -> RunInfo:
    data = dataset(n)
    store.save_dataset(data)
    run = RunInfo(
        id=run_id,
        suite_name="t",
        suite_path="suite.yaml",
        suite_hash="s256:suite",
        suite={"task": {"name": "t"}},
        dataset_hash=data.content_hash,
        status="running",
        repeats=1,
        n_planned=n,
        fieldeval_version="0",
        started_at=START + timedelta(minutes=minutes),
        finished_at=None,
    )
    store.create_run(run, [("c", {"id": "c", "model": "m"}, "s256:config")])
    return run


def answered(example_id: str, text_: str, *checks: CheckResult) -> OutputRecord:
    completion = Completion(
        text=text_,
        usage=Usage(input_tokens=3, output_tokens=2),
        finish_reason="stop",
        latency_s=0.25,
        ttft_s=0.1,
        chunk_times_s=[0.1, 0.2],
        model="m-1",
    )
    return OutputRecord(
        key=OutputKey("c", example_id),
        request_hash=f"h-{example_id}",
        completion=completion,
        checks=list(checks),
    )


def errored(example_id: str) -> OutputRecord:
    return OutputRecord(
        key=OutputKey("c", example_id),
        request_hash=f"h-{example_id}",
        completion=None,
        error_kind=ErrorKind.SERVER_ERROR,
        error_message="server_error (HTTP 500): boom",
        attempts=3,
    )


def test_a_new_store_gets_the_whole_schema_at_head(store: Store, store_url: str) -> None:
    if store_url.startswith("sqlite:///"):
        assert Path(store_url.removeprefix("sqlite:///")).exists()
    assert set(inspect(store.engine).get_table_names()) >= TABLES
    with store.engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert version == HEAD_REVISION
    assert store.integrity_check() == []


def test_head_revision_constant_matches_the_migrations() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_heads() == [HEAD_REVISION]


def migrate(url: str, revision: str) -> None:
    """Run the migrations on `url` up to `revision`, as an old fieldeval would have."""
    from alembic import command

    engine = create_engine(with_driver(url))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def schema_differences(url: str) -> list[object]:
    """How the schema at `url` differs from the tables fieldeval declares."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from fieldeval.store.tables import all_tables

    engine = create_engine(with_driver(url))
    try:
        with engine.connect() as connection:
            return list(compare_metadata(MigrationContext.configure(connection), all_tables()))
    finally:
        engine.dispose()


def test_create_all_makes_the_declared_schema(store: Store, store_url: str) -> None:
    assert schema_differences(store_url) == []


def test_the_migrations_build_the_schema_a_new_store_is_created_with(store_url: str) -> None:
    # A new store is made by create_all + stamp; an old one is upgraded by the migrations.
    # Both must end at the same schema, or upgraded stores would drift from new ones.
    migrate(store_url, "head")
    assert schema_differences(store_url) == []
    # The migrated database is a store like any other.
    store = Store.open(store_url)
    try:
        new_run(store, "r1")
        assert store.run("r1").status == "running"
    finally:
        store.close()


def test_a_store_made_by_an_older_version_is_upgraded_on_open(store_url: str) -> None:
    # A store last written at 0002 (before grading), with a run in it, opened by this version.
    migrate(store_url, "0002")
    old = Store(create_engine(with_driver(store_url)))
    try:
        new_run(old, "r-old")
    finally:
        old.close()

    store = Store.open(store_url)
    try:
        with store.engine.connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert version == HEAD_REVISION
        assert store.run("r-old").status == "running"
        assert store.integrity_check() == []
    finally:
        store.close()
    assert schema_differences(store_url) == []


def test_opening_a_store_does_not_load_alembic_unless_it_must_migrate(
    sqlite_store: Store, db_path: Path
) -> None:
    store = sqlite_store
    new_run(store, "20250102-030405-aaaaaa")
    store.save_outputs("20250102-030405-aaaaaa", [answered("e0", "kept")])
    store.close()
    # In a fresh interpreter, so the check sees whether opening imported alembic at all:
    # not for an up-to-date store, not for a new one, but yes for one at no revision.
    fresh = db_path.with_name("fresh.db")
    stale = db_path.with_name("stale.db")
    sqlite3.connect(stale).execute("CREATE TABLE notes (x TEXT)").connection.commit()
    probe = (
        "import sys; from fieldeval.store import Store; "
        f"s = Store.open({f'sqlite:///{db_path}'!r}); "
        "print([o.text for o in s.outputs('20250102-030405-aaaaaa')], "
        "'alembic.command' in sys.modules); "
        f"Store.open({f'sqlite:///{fresh}'!r}); print('alembic.command' in sys.modules); "
        f"Store.open({f'sqlite:///{stale}'!r}); print('alembic.command' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.splitlines() == ["['kept'] False", "False", "True"]

    reopened = Store.open(f"sqlite:///{db_path}")
    try:
        assert [o.text for o in reopened.outputs("20250102-030405-aaaaaa")] == ["kept"]
        assert reopened.run("20250102").status == "running"
    finally:
        reopened.close()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_store: Store, db_path: Path) -> None:
    with sqlite_store.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    raw = sqlite3.connect(db_path)  # WAL is a property of the file, seen by any reader
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        raw.close()


def test_outputs_round_trip_with_their_checks(store: Store) -> None:
    run = new_run(store, "r1")
    store.save_outputs(
        run.id,
        [
            answered(
                "e0",
                "hi there",
                CheckResult("contains", True, "contains 'hi'"),
                CheckResult("max_words", False, "2 words > 1", score=2.0),
            ),
            errored("e1"),
        ],
    )

    first, second = store.outputs(run.id)
    assert (first.example_id, first.text, first.finish_reason) == ("e0", "hi there", "stop")
    assert (first.input_tokens, first.output_tokens) == (3, 2)
    assert first.latency_ms == 250.0 and first.ttft_ms == 100.0
    assert sorted(first.checks, key=lambda c: c.check_id) == [
        CheckResult("contains", True, "contains 'hi'"),
        CheckResult("max_words", False, "2 words > 1", score=2.0),
    ]
    assert first.ok and not first.passed
    assert (second.error_kind, second.attempts, second.text) == ("server_error", 3, None)
    assert not second.ok
    assert store.answered_keys(run.id) == {OutputKey("c", "e0")}
    assert store.count_outputs(run.id) == 2


def test_replacing_an_output_leaves_no_orphan_check_results(store: Store) -> None:
    run = new_run(store, "r1")
    store.save_outputs(
        run.id,
        [
            answered("e0", "first", CheckResult("a", True, "ok"), CheckResult("b", False, "no")),
            errored("e1"),
        ],
    )
    store.save_outputs(
        run.id,
        [
            answered("e0", "second", CheckResult("a", False, "changed")),
            answered("e1", "fixed", CheckResult("a", True, "ok")),
        ],
    )

    outputs = {o.example_id: o for o in store.outputs(run.id)}
    assert len(outputs) == 2
    assert outputs["e0"].text == "second"
    assert outputs["e0"].checks == (CheckResult("a", False, "changed"),)
    assert outputs["e1"].ok and outputs["e1"].checks == (CheckResult("a", True, "ok"),)
    assert store.answered_keys(run.id) == {OutputKey("c", "e0"), OutputKey("c", "e1")}
    with store.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM check_results")).scalar() == 2
        orphans = connection.execute(
            text(
                "SELECT count(*) FROM check_results WHERE output_id NOT IN (SELECT id FROM outputs)"
            )
        ).scalar()
        assert orphans == 0
    assert store.integrity_check() == []


def test_cache_returns_completions_of_answers_only(store: Store) -> None:
    run = new_run(store, "r1", n=3)
    cached_copy = answered("e2", "from cache")
    cached_copy.from_cache = True
    store.save_outputs(run.id, [answered("e0", "hi there"), errored("e1"), cached_copy])

    found = store.cached(["h-e0", "h-e1", "h-e2", "h-unknown", "h-e0"])

    assert list(found) == ["h-e0"]  # errors and answers already from the cache are not added
    completion = found["h-e0"]
    assert isinstance(completion, Completion)
    assert completion.text == "hi there"
    assert completion.usage == Usage(input_tokens=3, output_tokens=2)
    assert completion.chunk_times_s == [0.1, 0.2] and completion.model == "m-1"
    # Saving the same answer again (another run) keeps one cache entry and does not fail.
    other = new_run(store, "r2", n=3)
    store.save_outputs(other.id, [answered("e0", "hi there")])
    assert store.cached(["h-e0"])["h-e0"].text == "hi there"


def test_runs_newest_first_and_lookup_by_prefix(store: Store) -> None:
    new_run(store, "20250102-030405-abc111", minutes=0)
    new_run(store, "20250102-030405-abd222", minutes=2)
    new_run(store, "20250102-031000-ffffff", minutes=1)
    store.set_status("20250102-030405-abd222", "finished")

    assert [r.id for r in store.runs()] == [
        "20250102-030405-abd222",
        "20250102-031000-ffffff",
        "20250102-030405-abc111",
    ]
    latest = store.latest_run("t")
    assert latest is not None and latest.id == "20250102-030405-abd222"
    assert latest.status == "finished" and latest.finished_at is not None
    assert latest.candidates == ("c",)
    assert store.latest_run("other suite") is None
    assert store.run("20250102-030405-abc").id == "20250102-030405-abc111"
    assert store.run("20250102-031").id == "20250102-031000-ffffff"
    assert store.candidate_configs("20250102-031000-ffffff") == {"c": {"id": "c", "model": "m"}}
    with pytest.raises(UserError, match="several"):
        store.run("20250102-030405-ab")
    with pytest.raises(UserError, match="no run"):
        store.run("1999")
    with pytest.raises(UserError, match="no run"):
        store.run("2025010_")  # a LIKE wildcard is matched literally
