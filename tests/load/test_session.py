"""A whole load test against the fake model server on loopback: sweep, store, read back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.doubles.fixtures import ServerHandle, start_server

from fieldeval.errors import ConfigError, UserError
from fieldeval.load import driver
from fieldeval.load.metrics import level_metrics
from fieldeval.load.prompts import CHARS_PER_TOKEN, SYNTHETIC_PROMPTS, synthetic_requests
from fieldeval.load.session import load_spec, run_load, stored_result
from fieldeval.load.sweep import SweepOptions
from fieldeval.providers.local import MAX_PARALLEL
from fieldeval.records.load import Level
from fieldeval.store import Store
from fieldeval.store.load_store import LoadStore, as_stored
from fieldeval.suite.load import Load
from fieldeval.suite.loader import LoadedSuite, load_suite

# Each level: 0.3 s warm-up, 1 s measured, 0.2 s cool-down.
SHORT = {"warmup_s": 0.3, "duration_s": 1.0, "cooldown_s": 0.2}


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    # 20 ms to the first byte, then a word every 5 ms.
    with start_server("--config", '{"delay_s": 0.02, "chunk_delay_s": 0.005}') as handle:
        yield handle


@pytest.fixture
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A SQLite store, or a PostgreSQL one for a test parametrized with "postgresql"."""
    backend = getattr(request, "param", "sqlite")
    url = (
        request.getfixturevalue("pg_url")
        if backend == "postgresql"
        else f"sqlite:///{tmp_path / 'results.db'}"
    )
    opened = Store.open(url)
    yield opened
    opened.close()


def write_suite(
    folder: Path, server_url: str, load: dict[str, Any], text: str = "tell me about item {i}"
) -> LoadedSuite:
    """A suite of five examples answered by the fake server; JSON is valid YAML."""
    (folder / "data.csv").write_text(
        "id,text\n" + "".join(f"e{i},{text.format(i=i)}\n" for i in range(5)),
        encoding="utf-8",
    )
    suite = {
        "task": {"name": "load-demo", "description": "answer", "prompt": "{{ text }}"},
        "dataset": {"path": "data.csv", "id": "id", "input": "text"},
        "candidates": [
            {
                "id": "fake",
                "provider": "openai",
                "model": "m",
                "base_url": server_url,
                "api_key_env": None,
                "params": {"max_tokens": 8},
                "concurrency": 1,  # the load test widens the pool to the heaviest level
            }
        ],
        "load": load,
    }
    path = folder / "suite.yaml"
    path.write_text(json.dumps(suite, indent=2), encoding="utf-8")
    return load_suite(path)


@pytest.mark.parametrize("store", ["sqlite", "postgresql"], indirect=True)
def test_a_closed_loop_sweep_stores_every_request_and_reads_back_the_same(
    tmp_path: Path, server: ServerHandle, store: Store
) -> None:
    loaded = write_suite(tmp_path, server.url, {"users": [1, 2], **SHORT})
    server.reset()
    seen: list[str] = []

    result = run_load(loaded, store, on_level=lambda metrics: seen.append(metrics.label))

    assert seen == [Level(0, "closed", users=1).label, Level(1, "closed", users=2).label]
    assert result.info.status == "finished" and not result.stopped_early
    records = [record for run in result.runs for record in run.records]
    # Every request the server answered is a stored record, bar the untimed first call.
    assert server.stats()["calls"] == len(records) + 1
    assert all(record.ok for record in records)
    assert {record.phase for record in records} == {"warmup", "steady", "cooldown"}
    # Two users keep two requests in flight, so the second level sends about twice as many.
    one, two = (metrics.requests for metrics in result.sweep.levels)
    assert 1.5 * one < two < 2.5 * one

    stored = LoadStore(store).levels(result.info.id)
    assert stored == list(result.runs)
    assert sum(len(run.records) for run in stored) == len(records)
    again = stored_result(store, result.info.id[:12])
    assert again.sweep == result.sweep
    assert again.spec == result.spec
    assert [level_metrics(run, result.spec.targets) for run in stored] == list(result.sweep.levels)


def test_reading_back_is_the_level_rounded_to_the_microsecond(
    tmp_path: Path, server: ServerHandle, store: Store
) -> None:
    loaded = write_suite(tmp_path, server.url, {"users": [2], **SHORT})
    captured = []

    def keep(level: Any, total: int) -> None:
        captured.append(level)

    result = run_load(loaded, store, on_level_start=keep)

    assert [level.users for level in captured] == [2]
    (run,) = result.runs
    assert as_stored(run) == run  # what was measured is already what the store holds
    for record in run.records:
        assert record.sent_s == round(record.sent_s * 1000, 3) / 1000
        assert record.chunk_times_s and record.first_token_s == record.chunk_times_s[0]


def test_the_sweep_stops_at_the_first_level_shown_to_miss_a_target_and_keeps_it(
    tmp_path: Path, server: ServerHandle, store: Store
) -> None:
    # The fake server takes 20 ms to its first byte: a 5 ms TTFT target fails at once.
    loaded = write_suite(
        tmp_path, server.url, {"users": [1, 2, 4], "targets": {"ttft_p95_ms": 5}, **SHORT}
    )

    result = run_load(loaded, store)

    assert result.info.status == "finished" and result.stopped_early
    assert [m.label for m in result.sweep.levels] == [Level(0, "closed", users=1).label]
    assert result.sweep.best is None and result.sweep.knee is result.sweep.levels[0]
    # Shown missed: even the fastest of 15 first tokens (20 ms) is over 5 ms; 0 errors in
    # 15 requests cannot show an error rate under 1%.
    states = {name: check.state for name, check in result.sweep.knee.target_results.items()}
    assert states == {"ttft_p95_ms": "missed", "error_rate": "not shown"}
    again = stored_result(store, result.info.id)
    assert again.stopped_early and again.sweep == result.sweep


def test_all_levels_runs_past_a_failing_level(
    tmp_path: Path, server: ServerHandle, store: Store
) -> None:
    loaded = write_suite(tmp_path, server.url, {"users": [1, 2], "targets": {"ttft_p95_ms": 5}})
    spec = load_spec(loaded.suite.load, duration_s=0.5, warmup_s=0.1)

    result = run_load(loaded, store, spec=spec, options=SweepOptions(all_levels=True))

    assert [m.misses_targets for m in result.sweep.levels] == [True, True]
    assert not result.stopped_early
    assert result.info.spec["duration_s"] == 0.5 and result.info.spec["candidate"] == "fake"


def test_a_stopped_sweep_keeps_the_levels_it_finished(
    tmp_path: Path, server: ServerHandle, store: Store
) -> None:
    loaded = write_suite(tmp_path, server.url, {"users": [1, 2], **SHORT})

    def stop(level: Any, total: int) -> None:
        if level.index == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_load(loaded, store, on_level_start=stop)

    (info,) = LoadStore(store).runs()
    assert info.status == "interrupted" and info.finished_at is not None
    assert [run.level.users for run in LoadStore(store).levels(info.id)] == [1]


def test_open_loop_levels_come_from_the_rates(
    tmp_path: Path, server: ServerHandle, store: Store
) -> None:
    loaded = write_suite(tmp_path, server.url, {"mode": "open", "rates": [20], **SHORT})

    result = run_load(loaded, store)

    (metrics,) = result.sweep.levels
    assert metrics.label == "20 req/s" and metrics.target_rate == 20
    assert 10 <= metrics.requests <= 35  # Poisson arrivals at 20/s over 1 s
    assert all(r.intended_s is not None for r in result.runs[0].records)


def test_a_candidate_that_does_not_answer_fails_before_any_load(
    tmp_path: Path, store: Store
) -> None:
    loaded = write_suite(tmp_path, "http://127.0.0.1:9/v1", {"users": [1], **SHORT})

    with pytest.raises(UserError, match="did not answer a first request"):
        run_load(loaded, store)

    assert LoadStore(store).runs() == []


def test_overrides_pick_the_mode_and_are_validated() -> None:
    spec = Load(mode="open", rates=(1.0,))
    assert load_spec(spec, users=[1, 4]).mode == "closed"
    assert load_spec(Load(), rates=[2.5]).rates == (2.5,)
    with pytest.raises(UserError, match="not both"):
        load_spec(spec, users=[1], rates=[1])
    with pytest.raises(UserError, match="invalid load option"):
        load_spec(spec, duration_s=0)
    assert load_spec(spec, ramp_s=2.0).ramp_s == 2.0
    with pytest.raises(ConfigError, match=r"ramp_s \(6 s\) must be at most warmup_s \(5 s\)"):
        load_spec(spec, ramp_s=6.0)


def test_refining_bisects_between_the_best_level_and_the_knee(
    tmp_path: Path, server: ServerHandle, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Capacity is known: every answer takes at least 200 ms ([[delay:0.2]]) and at most 4
    # are in flight, so the server finishes at most 4 / 0.23 s ≈ 17 requests a second.
    # Arrivals beyond that queue at the cap; with a 50 ms grace, steady arrivals still
    # queued when the level ends are timeouts. 8 and 16 req/s keep up (no errors); at 24
    # req/s the arrivals after about 1.1 s of a 1.5 s level are still queued at its end.
    monkeypatch.setattr(driver, "GRACE_S", 0.05)
    loaded = write_suite(
        tmp_path,
        server.url,
        {"mode": "open", "rates": [8, 40], "arrival": "constant", "max_concurrency": 4, **SHORT},
        text="[[delay:0.2]] item {i}",
    )

    result = run_load(loaded, store, options=SweepOptions(refine=2))

    rates = [run.level.rate for run in result.runs]
    assert rates == [8, 40, 24, 16]  # the sweep, then 24 (misses) and 16 (does not)
    assert [run.level.index for run in result.runs] == [0, 1, 2, 3]
    assert [m.misses_targets for m in result.sweep.levels] == [False, True, True, False]
    assert result.sweep.refined == 2 and not result.stopped_early
    floor, knee = result.sweep.floor, result.sweep.knee
    assert floor is not None and knee is not None
    assert (floor.label, knee.label) == ("16 req/s", "24 req/s")
    # Queued arrivals that gave up: shown to miss. No level is long enough to show the
    # 1% error rate met (that takes 381 requests), so none is the best.
    assert knee.target_results["error_rate"].state == "missed"
    assert result.sweep.best is None
    again = stored_result(store, result.info.id)
    assert again.sweep == result.sweep and not again.stopped_early


def test_a_sweep_sends_each_synthetic_prompt_once_before_any_again(
    tmp_path: Path, server: ServerHandle, store: Store
) -> None:
    # Levels go on through the prompts, so none finds its prompt in the server's cache.
    loaded = write_suite(
        tmp_path, server.url, {"users": [1, 2], "prompts": "synthetic", "input_tokens": 20, **SHORT}
    )
    server.reset()

    result = run_load(loaded, store)

    sent = sum(len(run.records) for run in result.runs) + 1
    assert sent <= SYNTHETIC_PROMPTS  # so no prompt had to be sent twice
    prompts = server.stats()["prompts"]
    assert sum(prompts.values()) == sent and set(prompts.values()) == {1}


def test_synthetic_prompts_are_about_the_requested_size() -> None:
    from fieldeval.suite.candidates import OpenAICandidate

    candidate = OpenAICandidate(
        id="c", provider="openai", model="m", params={"temperature": 0, "stop": ["\n"]}
    )
    spec = Load(prompts="synthetic", input_tokens=300, output_tokens=40)

    requests = synthetic_requests(candidate, spec)

    texts = [request.messages[0].content for request in requests]
    assert len(set(texts)) == len(texts) == SYNTHETIC_PROMPTS
    for text in texts:
        assert 0.95 * 300 * CHARS_PER_TOKEN <= len(text) <= 300 * CHARS_PER_TOKEN
        assert all(word.isascii() for word in text.split())
    assert all(request.params == {"temperature": 0, "max_tokens": 40} for request in requests)


@pytest.mark.local_model
@pytest.mark.timeout(180)
def test_the_local_model_queues_requests_once_users_outnumber_its_slots(store: Store) -> None:
    # Under load the client opens a connection per user, and llama.cpp gets a slot per
    # connection up to MAX_PARALLEL: at twice that many users, half the requests wait for a
    # slot, and the wait is part of their time to first token.
    loaded = load_suite(Path(__file__).resolve().parents[2] / "examples/complaints/suite.yaml")
    spec = Load(
        users=(1, 2 * MAX_PARALLEL),
        warmup_s=2,
        duration_s=8,
        cooldown_s=0.5,
        prompts="synthetic",
        input_tokens=64,
        output_tokens=16,
    )

    result = run_load(loaded, store, spec=spec, options=SweepOptions(all_levels=True))

    # Every request a level sent is recorded, in whatever phase it was sent: on a machine
    # busy enough that none is sent inside the 8 s window, the level's first requests
    # (sent at its start, and waited for) still say how long a slot took to free.
    # A request still unanswered 30 s after its level ended is a timeout (it happens when
    # other processes hold both cores); no other error may appear.
    def ttft_p50(level: int) -> float:
        records = result.runs[level].records
        sent = [r for r in records if r.first_token_s is not None]
        assert sent and all(r.ok or r.error_kind == "timeout" for r in records)
        return float(np.median([r.first_token_s - r.sent_s for r in sent]))

    def waited_for_a_slot(level: int) -> int:
        """Requests sent while every slot was busy whose first token came only after one
        of those requests ended, or never (on a machine busy enough, the queued ones time
        out): an ordering, which a busy machine does not change."""
        records = [r for r in result.runs[level].records if r.end_s is not None]
        waited = 0
        for record in records:
            busy = [
                o.end_s
                for o in records
                if o is not record and o.sent_s <= record.sent_s < o.end_s  # type: ignore[operator]
            ]
            started = record.first_token_s if record.first_token_s is not None else record.end_s
            if len(busy) >= MAX_PARALLEL and started > min(busy):  # type: ignore[type-var,operator]
                waited += 1
        return waited

    assert len(result.runs) == 2
    assert len(result.runs[1].records) >= 2 * MAX_PARALLEL  # every user sent at once
    # Past the slots requests wait for one to free, and their wait is in the TTFT; one user
    # never finds every slot busy.
    assert waited_for_a_slot(1) >= 1
    assert waited_for_a_slot(0) == 0
    assert ttft_p50(1) > 0 and ttft_p50(0) > 0
    records = [r for run in result.runs for r in run.records if r.ok]
    assert records
    # llama.cpp counts the tokens of each answer itself (a timed-out request has none): the
    # prompt is about the size asked for (plus the chat template's few), and no answer runs
    # past max_tokens.
    assert not any(r.tokens_estimated for r in records)
    assert all(r.input_tokens is not None and 50 <= r.input_tokens <= 100 for r in records)
    assert all(r.output_tokens is not None and r.output_tokens <= 16 for r in records)
