"""A level split over Ray actors: one clock, every record merged, the load split as asked.

The end-to-end tests run a local two-CPU Ray cluster (started once for the module) against
the fake server, whose first content chunk arrives 20 + 5 ms after the request.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from tests.doubles.fixtures import ServerHandle, start_server

from fieldeval.errors import ConfigError
from fieldeval.load.distributed import (
    RAY_HINT,
    START_MARGIN_S,
    import_ray,
    merge_runs,
    ray_session,
    run_level_distributed,
    split_level,
)
from fieldeval.load.schedule import arrival_times
from fieldeval.records.load import Level, LevelRun, RequestRecord
from fieldeval.records.request import Message, ModelRequest
from fieldeval.suite.candidates import OpenAICandidate
from fieldeval.suite.load import Load

pytest.importorskip("ray")

TRUE_TTFT_S = 0.020 + 0.005  # delay_s, then one chunk_delay_s before the first content chunk
SPEC = Load(duration_s=1.0, warmup_s=0.25, cooldown_s=0.25)


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[None]:
    # Started once: a local cluster costs seconds, and run_level_distributed reuses it.
    with ray_session(num_cpus=2):
        yield


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    with start_server("--config", '{"delay_s": 0.02, "chunk_delay_s": 0.005}') as handle:
        yield handle


def candidate(server: ServerHandle) -> OpenAICandidate:
    return OpenAICandidate(
        provider="openai",
        id="fake",
        model="fake-model",
        base_url=server.url,
        api_key_env=None,
        concurrency=64,
    )


REQUESTS = [
    ModelRequest(
        messages=(Message("user", f"question {i} one two three"),), params={"max_tokens": 6}
    )
    for i in range(8)
]


async def test_closed_loop_merges_every_record_on_one_clock(
    ray_cluster: None, server: ServerHandle
) -> None:
    server.reset()
    origin_wall = time.time()
    before_s = time.time() - origin_wall
    run = await run_level_distributed(
        candidate(server),
        Path.cwd(),
        REQUESTS,
        Level(index=0, mode="closed", users=4),
        SPEC,
        workers=2,
        clock_origin_wall=origin_wall,
    )
    after_s = time.time() - origin_wall
    timeline = np.array(server.stats()["timeline"]) - origin_wall  # the server's wall clock

    records = run.records
    assert len(records) == len(timeline)
    assert {r.worker for r in records} == {"ray-0", "ray-1"}
    assert all(r.ok and r.first_token_s is not None for r in records)
    for worker in ("ray-0", "ray-1"):
        assert sorted(r.seq for r in records if r.worker == worker) == list(
            range(sum(r.worker == worker for r in records))
        )

    # One clock: the actors' times fall inside the driver's own reading of it...
    assert before_s + START_MARGIN_S <= run.started_s  # actor start-up is outside the level
    assert run.started_s < run.steady_start_s < run.steady_end_s <= run.ended_s < after_s
    assert all(run.started_s <= r.sent_s and r.end_s is not None for r in records)
    assert all(r.end_s is not None and r.end_s <= run.ended_s for r in records)
    assert [r.sent_s for r in records] == sorted(r.sent_s for r in records)
    # ...and agree with the server's, a third process: the k-th request the server read came
    # after the k-th send, and the k-th first token after the k-th first chunk it wrote.
    # These are causal orders, so they hold however busy the machine is; an actor whose
    # clock were mapped a millisecond or more off would break one of them on most requests.
    # The second allows a few exceptions: TTFT is timed from the provider's own start, a
    # few microseconds after the send is stamped, unless the process is preempted between.
    sends = np.sort([r.sent_s for r in records])
    firsts = np.sort([r.first_token_s or 0.0 for r in records])
    assert np.all(sends <= np.sort(timeline[:, 0]) + 0.001)
    assert np.mean(np.sort(timeline[:, 1]) <= firsts + 0.001) >= 0.9
    assert all((r.first_token_s or 0.0) - r.sent_s >= TRUE_TTFT_S - 0.001 for r in records)

    # Every worker's users began at or after the instant given, and the merged steady
    # window is the part of the level in which all of them were past their warm-up.
    assert run.steady_start_s >= run.started_s + SPEC.warmup_s
    assert run.steady_end_s - run.steady_start_s <= SPEC.duration_s
    spans = [[r.sent_s for r in records if r.worker == w] for w in ("ray-0", "ray-1")]
    assert max(min(span) for span in spans) < min(max(span) for span in spans)  # concurrent


async def test_open_loop_split_achieves_the_total_rate(
    ray_cluster: None, server: ServerHandle
) -> None:
    rate = 50.0
    spec = SPEC.model_copy(update={"mode": "open", "arrival": "constant"})
    run = await run_level_distributed(
        candidate(server),
        Path.cwd(),
        REQUESTS,
        Level(index=1, mode="open", rate=rate),
        spec,
        workers=2,
        clock_origin_wall=time.time(),
    )
    steady = [r for r in run.records if r.phase == "steady"]
    achieved = len(steady) / (run.steady_end_s - run.steady_start_s)
    assert {r.worker for r in steady} == {"ray-0", "ray-1"}
    assert achieved == pytest.approx(rate, rel=0.05)
    # The workers' phases are offset on one given start, so the merged constant schedule is
    # evenly spaced; a worker that woke late sent late (client lag), not off its schedule.
    intended = sorted(r.intended_s for r in run.records if r.intended_s is not None)
    assert len(intended) == len(run.records)
    assert np.diff(intended) == pytest.approx(np.full(len(intended) - 1, 1 / rate), abs=1e-6)
    assert all(r.sent_s >= (r.intended_s or 0.0) for r in run.records)


def test_poisson_shares_superpose_to_the_total_rate() -> None:
    rate, span_s = 40.0, 500.0
    spec = Load(mode="open", arrival="poisson", seed=7)
    shares = split_level(Level(index=0, mode="open", rate=rate), spec, 4, len(REQUESTS))
    assert [s.level.rate for s in shares] == [rate / 4] * 4
    assert len({s.spec.seed for s in shares}) == 4
    merged = np.sort(
        np.concatenate(
            [
                arrival_times("poisson", s.level.rate or 0, span_s, seed=(s.spec.seed, 0))
                for s in shares
            ]
        )
    )
    gaps = np.diff(merged)
    assert len(merged) / span_s == pytest.approx(rate, rel=0.03)
    assert gaps.std() / gaps.mean() == pytest.approx(1.0, abs=0.05)  # exponential gaps


def test_users_and_cap_split_as_evenly_as_possible() -> None:
    closed = split_level(Level(index=0, mode="closed", users=5), SPEC, 3, 9)
    assert [s.level.users for s in closed] == [2, 2, 1]
    assert [s.rotate for s in closed] == [0, 3, 6]
    assert [s.worker for s in closed] == ["ray-0", "ray-1", "ray-2"]
    assert len(split_level(Level(index=0, mode="closed", users=1), SPEC, 2, 9)) == 1
    spec = Load(mode="open", arrival="constant")
    opened = split_level(Level(index=0, mode="open", rate=10, max_concurrency=3), spec, 2, 9)
    assert [s.level.max_concurrency for s in opened] == [2, 1]
    assert [s.offset_s for s in opened] == [0.0, 0.1]


def _run(
    worker: str, sends: list[float], window: tuple[float, float], lag: list[float], cpu: float
) -> LevelRun:
    records = [
        RequestRecord(
            level=0, worker=worker, seq=seq, phase="steady", intended_s=None, sent_s=t, end_s=t
        )
        for seq, t in enumerate(sends)
    ]
    started, ended = window[0] - 1.0, window[1] + 0.5
    return LevelRun(LEVEL, records, started, window[0], window[1], ended, lag, cpu)


LEVEL = Level(index=0, mode="closed", users=2)


def test_merge_keeps_every_record_and_the_worst_worker() -> None:
    a = _run("ray-0", [1.0, 2.5], window=(1.0, 3.0), lag=[0.1, 0.2], cpu=0.3)
    b = _run("ray-1", [1.1, 3.05], window=(1.1, 3.1), lag=[5.0], cpu=0.6)
    merged = merge_runs(LEVEL, [a, b])
    order = [(r.worker, r.seq) for r in merged.records]
    assert order == [("ray-0", 0), ("ray-1", 0), ("ray-0", 1), ("ray-1", 1)]
    assert (merged.started_s, merged.ended_s) == (0.0, 3.6)
    assert (merged.steady_start_s, merged.steady_end_s) == (1.1, 3.0)  # the intersection
    # Phases follow the merged window: 1.0 is before it, 3.05 after it.
    assert [r.phase for r in merged.records] == ["warmup", "steady", "steady", "cooldown"]
    assert merged.client_lag_ms == [5.0]
    assert merged.client_cpu_fraction == 0.6


def test_a_worker_too_late_for_every_window_stops_the_level() -> None:
    # A worker that woke after the others had finished their steady window: no part of the
    # level ran at the asked load, so it is refused rather than merged as if it had.
    a = _run("ray-0", [1.0, 2.5], window=(1.0, 3.0), lag=[0.1], cpu=0.3)
    b = _run("ray-1", [4.0, 5.0], window=(4.0, 6.0), lag=[3000.0], cpu=0.6)
    with pytest.raises(ConfigError, match=r"began 3\.00 s after another") as raised:
        merge_runs(LEVEL, [a, b])
    assert raised.value.hint is not None and "warmup_s" in raised.value.hint


def test_missing_ray_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # makes `import ray` raise ImportError
    with pytest.raises(ConfigError) as raised:
        import_ray()
    assert raised.value.hint == RAY_HINT == "pip install 'fieldeval[ray]'"
