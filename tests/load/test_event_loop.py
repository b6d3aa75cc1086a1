"""`load.event_loop: uvloop` (or `--event-loop uvloop`): the client runs on uvloop's loop."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from tests.doubles.fixtures import ServerHandle, start_server
from tests.load.test_session import SHORT, write_suite

from fieldeval.errors import UserError
from fieldeval.load.session import load_spec, run_load, stored_result
from fieldeval.load.sweep import SweepOptions
from fieldeval.records.load import Level
from fieldeval.report.load_table import render_load
from fieldeval.store import Store


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    with start_server("--config", '{"delay_s": 0.02, "chunk_delay_s": 0.005}') as handle:
        yield handle


def test_a_load_test_on_uvloop_streams_and_stores_every_request(
    tmp_path: Path, server: ServerHandle, store: Store
) -> None:
    import uvloop

    loaded = write_suite(tmp_path, server.url, {"users": [2], "event_loop": "uvloop", **SHORT})
    loops: list[type] = []

    def started(level: Level, levels: int) -> None:
        loops.append(type(asyncio.get_running_loop()))

    server.reset()
    result = run_load(loaded, store, on_level_start=started)

    assert loops == [uvloop.Loop]
    records = [record for run in result.runs for record in run.records]
    assert records and all(record.ok for record in records)
    # Streamed as on asyncio's loop: each answer's chunks were timed one by one.
    assert all(len(record.chunk_times_s) > 1 for record in records)
    assert server.stats()["calls"] == len(records) + 1  # and the untimed first call
    # The loop is part of the stored spec, so `load-show` says what the client ran on.
    again = stored_result(store, result.info.id)
    assert again.spec.event_loop == "uvloop"
    console = Console(record=True, width=200)
    render_load(again, console)
    assert "the client ran on uvloop's event loop" in console.export_text()


def test_the_command_line_picks_the_loop_and_rejects_an_unknown_one(tmp_path: Path) -> None:
    loaded = write_suite(tmp_path, "http://127.0.0.1:9/v1", {"users": [1], **SHORT})
    assert loaded.suite.load.event_loop == "asyncio"
    assert load_spec(loaded.suite.load, event_loop="uvloop").event_loop == "uvloop"
    done = subprocess.run(
        [sys.executable, "-m", "fieldeval", "load", str(loaded.path), "--event-loop", "trio"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "event_loop" in done.stderr and "uvloop" in done.stderr


def test_uvloop_with_ray_workers_is_refused_before_any_request(
    tmp_path: Path, server: ServerHandle, store: Store
) -> None:
    loaded = write_suite(tmp_path, server.url, {"users": [1], "event_loop": "uvloop", **SHORT})
    server.reset()
    with pytest.raises(UserError, match="Ray's actors run their own loop"):
        run_load(loaded, store, options=SweepOptions(workers=2))
    assert server.stats()["calls"] == 0


def test_without_uvloop_installed_the_error_names_the_extra(tmp_path: Path) -> None:
    loaded = write_suite(tmp_path, "http://127.0.0.1:9/v1", {"users": [1], **SHORT})
    # uvloop made unimportable in that process, as on a machine without the extra.
    probe = (
        "import sys\n"
        "sys.modules['uvloop'] = None\n"
        "from fieldeval.cli.main import main\n"
        f"sys.argv = ['fieldeval', 'load', {str(loaded.path)!r}, '--event-loop', 'uvloop',"
        f" '--db', {str(tmp_path / 'f.db')!r}]\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2, done.stderr
    assert "pip install 'fieldeval[uvloop]'" in done.stderr
    assert "Traceback" not in done.stderr  # a message, not a crash


def test_on_uvloop_no_open_loop_request_leaves_before_its_intended_time(
    tmp_path: Path, server: ServerHandle, store: Store
) -> None:
    """uvloop's timers keep milliseconds: a 2.4 ms sleep may end after 2 ms. The schedule
    still holds: each request is sent at its intended time or later, never before."""
    load = {"mode": "open", "rates": [40], "arrival": "poisson", "event_loop": "uvloop", **SHORT}
    loaded = write_suite(tmp_path, server.url, load)
    result = run_load(loaded, store)
    records = [record for run in result.runs for record in run.records]
    assert len(records) > 20
    assert all(r.intended_s is not None and r.sent_s >= r.intended_s for r in records)
