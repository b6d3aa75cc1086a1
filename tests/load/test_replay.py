"""`fieldeval load --replay`: a stored production window sent again on its own schedule, and
latency from the scheduled time showing the queue that latency from the send hides."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.doubles.fixtures import ServerHandle, start_server
from tests.load.test_session import write_suite

from fieldeval.load.replay import replay_spec
from fieldeval.load.session import run_load, stored_result
from fieldeval.records.production import ProductionRecord
from fieldeval.store import Store
from fieldeval.store.production_store import ProductionStore

MONDAY = datetime(2026, 11, 30, 9, tzinfo=UTC)
DELAY_S = 0.15  # the server's time to answer every request


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    with start_server("--config", f'{{"delay_s": {DELAY_S}}}') as handle:
        yield handle


def _window() -> list[ProductionRecord]:
    """Ten calls a second apart, then a burst of twenty at one instant; sizes vary."""
    times = [MONDAY + timedelta(seconds=s) for s in range(10)]
    times += [MONDAY + timedelta(seconds=10)] * 20
    return [
        ProductionRecord(
            id=f"t{i}:s{i}",
            source="otlp",
            started_at=at,
            messages=({"role": "user", "content": "x" * (40 + 8 * i)},),
            output="ok",
            input_tokens=10 + i,
            output_tokens=3 + i % 4,
        )
        for i, at in enumerate(times)
    ]


def test_the_schedule_keeps_production_times_scaled_and_sizes(tmp_path: Path) -> None:
    loaded = write_suite(tmp_path, "http://127.0.0.1:9/v1", {})
    records = _window()
    spec = replay_spec(
        loaded.suite.load,
        records,
        since=MONDAY,
        until=MONDAY + timedelta(seconds=11),
        scale=10,
    )
    assert spec.mode == "open" and spec.replay is not None
    assert spec.replay.arrivals_s[:3] == pytest.approx((0.0, 0.1, 0.2))
    assert spec.replay.arrivals_s[10:] == pytest.approx((1.0,) * 20)
    assert spec.replay.input_tokens == tuple(10 + i for i in range(30))
    assert spec.replay.output_tokens[:4] == (3, 4, 5, 6)
    assert spec.duration_s == pytest.approx(1.1)


def test_latency_from_the_schedule_shows_the_queue_the_send_time_hides(
    tmp_path: Path, server: ServerHandle
) -> None:
    loaded = write_suite(tmp_path, server.url, {"max_concurrency": 2})
    store = Store.open(f"sqlite:///{tmp_path / 'r.db'}")
    try:
        ProductionStore(store).add(_window())
        spec = replay_spec(
            loaded.suite.load,
            list(ProductionStore(store).records()),
            since=MONDAY,
            until=MONDAY + timedelta(seconds=11),
            scale=10,
        )
        server.reset()
        result = run_load(loaded, store, spec=spec)
        again = stored_result(store, result.info.id)
    finally:
        store.close()
    [run] = again.runs
    assert len(run.records) == 30 and all(record.ok for record in run.records)
    assert server.stats()["calls"] == 31  # and the untimed first call
    # Each request was due at production's time, scaled: never sent before it.
    due = sorted(record.intended_s - run.started_s for record in run.records)
    assert due == pytest.approx(spec.replay.arrivals_s, abs=1e-6)
    assert all(record.sent_s >= record.intended_s for record in run.records)
    [metrics] = again.sweep.levels
    assert metrics.e2e_scheduled is not None
    # From the send, every request took about the server's delay; from the schedule, the
    # burst of twenty queued at the cap of two: ten rounds of DELAY_S for the last ones.
    assert metrics.e2e.p99 < 3 * DELAY_S * 1000
    assert metrics.e2e_scheduled.max > 8 * DELAY_S * 1000
    assert metrics.e2e_scheduled.p95 > 2 * metrics.e2e.p95
    for record in run.records:
        assert record.end_s - record.intended_s == pytest.approx(
            (record.end_s - record.sent_s) + record.wait_s
        )


def test_replay_from_the_command_line(tmp_path: Path, server: ServerHandle) -> None:
    loaded = write_suite(tmp_path, server.url, {"max_concurrency": 2})
    store = Store.open(f"sqlite:///{tmp_path / 'r.db'}")
    try:
        ProductionStore(store).add(_window())
    finally:
        store.close()
    done = subprocess.run(
        [sys.executable, "-m", "fieldeval", "load", str(loaded.path), "--replay", "--scale",
         "10", "--db", str(tmp_path / "r.db")],
        capture_output=True, text=True, timeout=120, check=False,
        env={"COLUMNS": "200", **dict(__import__("os").environ)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "from each request's scheduled send time" in done.stdout
    assert "replay of 2026-11-30T09:00:00+00:00" in done.stdout
    refused = subprocess.run(
        [sys.executable, "-m", "fieldeval", "load", str(loaded.path), "--replay", "--since",
         "2027-01-01", "--db", str(tmp_path / "r.db")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert refused.returncode == 2 and "no production record" in refused.stderr
