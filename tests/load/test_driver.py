"""The load driver against the fake model server, running as its own process on loopback.

The server waits 50 ms before its headers, sends the role-only chunk at once, then one word
every 10 ms: first byte at 50 ms, first token at 60 ms, 10 ms between tokens. Timing bounds
allow about 30 ms of lateness for a shared 2-core machine running client and server, and
nothing early: the client cannot see a byte before the server sends it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence
from itertools import pairwise

import numpy as np
import pytest
from tests.doubles.fixtures import ServerHandle, start_server

from fieldeval.load import driver
from fieldeval.load.driver import run_level
from fieldeval.load.schedule import arrival_times
from fieldeval.providers.anthropic import AnthropicProvider
from fieldeval.providers.openai import OpenAIProvider
from fieldeval.records.completion import Completion
from fieldeval.records.load import Level, LevelRun, RequestRecord
from fieldeval.records.request import Message, ModelRequest
from fieldeval.suite.load import Load

WORDS = "one two three four five six seven eight nine ten"  # "echo: " + these, cut to 10
PHASES = ("warmup", "steady", "cooldown")


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    with start_server("--config", '{"delay_s": 0.05, "chunk_delay_s": 0.01}') as handle:
        yield handle


def ask(prompt: str) -> ModelRequest:
    return ModelRequest(messages=(Message("user", prompt),), params={"max_tokens": 10})


def load(**fields: object) -> Load:
    return Load.model_validate({"warmup_s": 0.3, "duration_s": 1.0, "cooldown_s": 0.2, **fields})


async def drive(
    server: ServerHandle, requests: Sequence[ModelRequest], level: Level, spec: Load
) -> LevelRun:
    # A pool larger than any level here, so no request queues for a connection unmeasured.
    provider = OpenAIProvider(
        base_url=server.url, model="fake", api_key=None, max_connections=64, timeout_s=10
    )
    try:
        return await run_level(provider, requests, level, spec, clock_origin=time.perf_counter())
    finally:
        await provider.aclose()


def steady(run: LevelRun) -> list[RequestRecord]:
    return [r for r in run.records if r.phase == "steady"]


def ttft(record: RequestRecord) -> float:
    assert record.first_token_s is not None
    return record.first_token_s - record.sent_s


def max_in_flight(records: Sequence[RequestRecord]) -> int:
    edges = sorted(
        [(r.sent_s, 1) for r in records] + [(r.end_s or math.inf, -1) for r in records],
        key=lambda edge: (edge[0], edge[1]),  # an end before a start at the same instant
    )
    return int(max(np.cumsum([step for _, step in edges])))


async def test_closed_loop_recovers_the_servers_timing(server: ServerHandle) -> None:
    # The server waits 50 ms before its headers, then sends 14 events 10 ms apart (role,
    # 10 words, finish, usage, [DONE]). Its waits are lower bounds on what the client can
    # see, whatever else the machine is doing; how close the client gets to them on an idle
    # machine is a benchmark's question (benchmarks/run_load.py), not this test's.
    run = await drive(server, [ask(f"closed {WORDS}")], Level(0, "closed", users=2), load())

    records = steady(run)
    assert records  # a request takes about 0.19 s: a 1 s window sees several, even when slow
    assert len(records) <= 2 * (1.0 / 0.18 + 1)  # no request is faster than the server's waits
    for record in records:
        assert record.ok and record.intended_s is None and record.wait_s == 0.0
        assert record.first_byte_s is not None and record.end_s is not None
        assert record.first_token_s is not None
        # Orderings, and the server's own waits as lower bounds.
        assert record.sent_s < record.first_byte_s <= record.first_token_s <= record.end_s
        assert record.first_byte_s - record.sent_s >= 0.050
        assert record.chunk_times_s[-1] - record.first_byte_s >= 10 * 0.010
        assert len(record.chunk_times_s) == 10 and record.chunk_times_s[0] == record.first_token_s
        assert all(gap >= 0.0 for gap in np.diff(record.chunk_times_s))
        assert record.end_s >= record.chunk_times_s[-1]
        assert (record.input_tokens, record.output_tokens, record.tokens_estimated) == (
            11,
            10,
            False,
        )
    # Over every answer, the ten words took at least the nine gaps the server slept.
    spans = [r.chunk_times_s[-1] - r.chunk_times_s[0] for r in records]
    assert min(spans) >= 9 * 0.010
    assert [r.seq for r in run.records] == list(range(len(run.records)))
    assert {r.phase for r in run.records} == set(PHASES)
    order = [PHASES.index(r.phase) for r in run.records]
    assert order == sorted(order)
    assert max_in_flight(run.records) == 2
    assert run.started_s < run.steady_start_s < run.steady_end_s < run.ended_s
    assert run.client_lag_ms and 0.0 < run.client_cpu_fraction <= 1.0


async def test_the_anthropic_stream_is_timed_the_same_way(server: ServerHandle) -> None:
    # message_start, content_block_start and ping come before the first text, 10 ms apart.
    provider = AnthropicProvider(model="fake", api_key="test-key", base_url=server.root_url)
    spec = load(warmup_s=0.0, duration_s=0.4, cooldown_s=0.0)
    try:
        run = await run_level(
            provider,
            [ask(f"anthropic {WORDS}")],
            Level(0, "closed", users=1),
            spec,
            clock_origin=time.perf_counter(),
        )
    finally:
        await provider.aclose()

    assert run.records and all(r.ok for r in run.records)
    for record in run.records:
        assert record.first_byte_s is not None
        assert 0.050 <= record.first_byte_s - record.sent_s <= 0.080
        assert 0.080 <= ttft(record) <= 0.110


def test_the_first_byte_survives_a_round_trip_through_a_dict() -> None:
    completion = Completion(text="hi", latency_s=0.3, ttft_s=0.2, first_byte_s=0.1)

    assert Completion.from_dict(completion.to_dict()) == completion
    assert Completion.from_dict({"text": "old, stored before first_byte_s"}).first_byte_s is None


async def test_think_time_separates_a_users_requests(server: ServerHandle) -> None:
    spec = load(think_time_s=0.2, warmup_s=0.0, duration_s=1.0, cooldown_s=0.0)
    run = await drive(server, [ask(f"thinking {WORDS}")], Level(0, "closed", users=1), spec)

    pauses = [b.sent_s - (a.end_s or 0.0) for a, b in pairwise(run.records)]
    assert len(pauses) >= 2
    assert all(0.2 <= pause <= 0.24 for pause in pauses)


async def test_open_loop_constant_rate_is_kept(server: ServerHandle) -> None:
    spec = load(arrival="constant", warmup_s=0.25, duration_s=2.0, cooldown_s=0.25)
    run = await drive(server, [ask(f"constant {WORDS}")], Level(0, "open", rate=20.0), spec)

    assert len(run.records) == 50 and all(r.ok for r in run.records)
    assert len(steady(run)) / 2.0 == pytest.approx(20.0, rel=0.02)
    sent_in_window = [r for r in run.records if run.steady_start_s <= r.sent_s < run.steady_end_s]
    assert len(sent_in_window) / 2.0 == pytest.approx(20.0, rel=0.02)
    # Without a cap an arrival is sent when it is due: lateness is only the client's lag.
    assert max(r.wait_s for r in run.records) < 0.02
    assert server.stats()["prompts"][f"constant {WORDS}"] == 50


async def drive_late(server: ServerHandle, prompt: str, level: Level, spec: Load) -> LevelRun:
    """A level whose start, 0.6 s on the test clock, passed 0.4 s before it is driven."""
    provider = OpenAIProvider(
        base_url=server.url, model="fake", api_key=None, max_connections=64, timeout_s=10
    )
    try:
        return await run_level(
            provider,
            [ask(prompt)],
            level,
            spec,
            clock_origin=time.perf_counter() - 1.0,  # the test clock reads 1 s now
            start_s=0.6,
        )
    finally:
        await provider.aclose()


async def test_a_level_started_late_keeps_its_schedule_and_reports_the_lateness(
    server: ServerHandle,
) -> None:
    # As a Ray worker that wakes after the instant it was given: the schedule stays on that
    # instant, the overdue arrivals go at once, and the lateness is client lag.
    spec = load(arrival="constant", warmup_s=0.25, duration_s=0.5, cooldown_s=0.25)
    run = await drive_late(server, f"late {WORDS}", Level(0, "open", rate=20.0), spec)

    assert (run.started_s, run.steady_start_s, run.steady_end_s) == pytest.approx((0.6, 0.85, 1.35))
    intended = [r.intended_s for r in run.records]
    assert intended == pytest.approx([0.6 + k / 20 for k in range(20)])
    overdue = [r for r in run.records if (r.intended_s or 0) < 1.0]
    assert len(overdue) == 8 and all(r.sent_s >= 1.0 for r in overdue)
    assert run.client_lag_ms[0] >= 400  # the start itself, first of the lag samples


async def test_closed_loop_users_begin_when_a_late_client_is_up(server: ServerHandle) -> None:
    spec = load(warmup_s=0.25, duration_s=0.5, cooldown_s=0.25)
    run = await drive_late(server, f"late closed {WORDS}", Level(0, "closed", users=2), spec)

    # Users cannot have been sending before the client was up, so the level begins then,
    # with its full warm-up ahead of the steady window.
    assert run.started_s >= 1.0
    assert run.steady_start_s == pytest.approx(run.started_s + 0.25)
    assert min(r.sent_s for r in run.records) >= run.started_s
    assert run.client_lag_ms[0] >= 400


async def test_open_loop_poisson_follows_its_schedule(server: ServerHandle) -> None:
    spec = load(arrival="poisson", warmup_s=0.25, duration_s=2.0, cooldown_s=0.25, seed=5)
    run = await drive(server, [ask(f"poisson {WORDS}")], Level(0, "open", rate=20.0), spec)

    planned = arrival_times("poisson", 20.0, 2.5, seed=(5, 0))
    intended = [r.intended_s - run.started_s for r in run.records if r.intended_s is not None]
    assert intended == pytest.approx(planned, abs=1e-9)
    assert len(steady(run)) == sum(0.25 <= t < 2.25 for t in planned)
    # A Poisson count over 2 s at 20/s has a standard deviation of sqrt(40), 16% of 40; this
    # bounds it at 3 standard deviations (the seeded schedule's own count is checked above).
    assert len(steady(run)) / 2.0 == pytest.approx(20.0, rel=3 * math.sqrt(40) / 40)
    assert max(r.wait_s for r in run.records) < 0.02


async def test_a_concurrency_cap_shows_as_waiting_not_as_fewer_requests(
    server: ServerHandle,
) -> None:
    # Arrivals every 100 ms, answers in about 190 ms: each waits about 90 ms more than the last.
    spec = load(arrival="constant", warmup_s=0.0, duration_s=1.0, cooldown_s=0.0)
    level = Level(0, "open", rate=10.0, max_concurrency=1)
    run = await drive(server, [ask(f"capped {WORDS}")], level, spec)

    assert len(run.records) == 10 and all(r.ok for r in run.records)
    waits = [r.wait_s for r in run.records]
    assert waits[0] < 0.02
    assert all(0.06 <= later - earlier <= 0.12 for earlier, later in pairwise(waits))
    assert waits[-1] >= 0.6  # 9 arrivals of falling behind
    for record in run.records:  # latency from the send stays the server's own
        assert 0.060 <= ttft(record) <= 0.090
    assert max_in_flight(run.records) == 1
    assert server.stats()["prompts"][f"capped {WORDS}"] == 10


async def test_a_server_stall_shows_in_time_to_first_token(server: ServerHandle) -> None:
    requests = [ask(f"prompt {WORDS}"), ask(f"stalled [[delay:0.5]] {WORDS}")]
    run = await drive(server, requests, Level(0, "closed", users=2), load())

    stalled = [r for r in run.records if r.seq % 2 == 1]
    prompt = [r for r in run.records if r.seq % 2 == 0]
    assert len(stalled) >= 2 and len(prompt) >= 2
    assert all(0.51 <= ttft(r) <= 0.58 for r in stalled)
    assert all(0.06 <= ttft(r) <= 0.09 for r in prompt)


async def test_errors_are_recorded_once_and_the_load_goes_on(server: ServerHandle) -> None:
    requests = [ask(f"fine {WORDS}"), ask("broken [[fail:500]]")]
    run = await drive(server, requests, Level(0, "closed", users=2), load())

    failed = [r for r in run.records if r.seq % 2 == 1]
    answered = [r for r in run.records if r.seq % 2 == 0]
    assert failed and all(r.error_kind == "server_error" and not r.ok for r in failed)
    assert all(r.end_s is not None and r.end_s >= r.sent_s + 0.05 for r in failed)
    assert all(r.first_token_s is None for r in failed)
    assert all(r.ok for r in answered)
    assert any(r.seq > failed[0].seq for r in answered)
    # One server call per record: no retries hide a failure.
    prompts = server.stats()["prompts"]
    assert prompts["broken [[fail:500]]"] == len(failed)
    assert prompts[f"fine {WORDS}"] == len(answered)


async def test_requests_still_in_flight_after_the_grace_are_timeouts(
    server: ServerHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(driver, "GRACE_S", 0.3)
    spec = load(warmup_s=0.1, duration_s=0.3, cooldown_s=0.1)
    run = await drive(server, [ask(f"hung [[delay:5]] {WORDS}")], Level(0, "closed", users=1), spec)

    [record] = run.records
    assert record.error_kind == "timeout" and record.end_s is not None
    assert record.end_s - run.started_s == pytest.approx(0.8, abs=0.05)
    assert run.ended_s >= record.end_s


async def test_arrivals_still_queued_after_the_grace_are_timeouts(
    server: ServerHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(driver, "GRACE_S", 0.3)
    spec = load(arrival="constant", warmup_s=0.0, duration_s=0.5, cooldown_s=0.0)
    level = Level(0, "open", rate=10.0, max_concurrency=1)
    run = await drive(server, [ask(f"queued [[delay:5]] {WORDS}")], level, spec)

    assert len(run.records) == 5  # every arrival, though only the first was ever sent
    assert all(r.error_kind == "timeout" for r in run.records)
    gave_up = run.started_s + 0.8
    assert all(r.end_s == pytest.approx(gave_up, abs=0.05) for r in run.records)
    queued = sorted(run.records, key=lambda r: r.intended_s or 0.0)[1:]
    assert [r.wait_s for r in queued] == pytest.approx([0.7, 0.6, 0.5, 0.4], abs=0.05)
    assert server.stats()["prompts"][f"queued [[delay:5]] {WORDS}"] == 1


def first_time_in_flight(records: Sequence[RequestRecord], count: int) -> float:
    """When `count` requests were first in flight at once."""
    edges = sorted(
        [(r.sent_s, 1) for r in records] + [(r.end_s or math.inf, -1) for r in records],
        key=lambda edge: (edge[0], edge[1]),
    )
    level = 0
    for at, step in edges:
        level += step
        if level >= count:
            return at
    return math.inf


async def test_a_closed_loop_ramp_starts_its_users_one_by_one(server: ServerHandle) -> None:
    users, ramp_s = 4, 0.8
    run = await drive(
        server,
        [ask(f"ramp {WORDS}")],
        Level(0, "closed", users=users),
        load(warmup_s=ramp_s, ramp_s=ramp_s),
    )

    # User k starts at k/4 of the ramp and from then on always has a request in flight (no
    # think time), so the (k+1)-th request in flight appears at its start, never before.
    for k in range(users):
        start = run.started_s + k * ramp_s / users
        assert start - 0.001 <= first_time_in_flight(run.records, k + 1) <= start + 0.03
    assert max_in_flight(run.records) == users
    assert max_in_flight(steady(run)) == users  # the measured window has the full load


async def test_an_open_loop_ramp_sends_half_as_many_and_then_the_full_rate(
    server: ServerHandle,
) -> None:
    rate, ramp_s = 50.0, 0.5
    spec = load(mode="open", arrival="constant", warmup_s=ramp_s, ramp_s=ramp_s)
    run = await drive(server, [ask(f"open ramp {WORDS}")], Level(0, "open", rate=rate), spec)

    ramp_end = run.started_s + ramp_s
    in_ramp = [r for r in run.records if r.intended_s is not None and r.intended_s < ramp_end]
    assert len(in_ramp) == pytest.approx(rate * ramp_s / 2, abs=1)  # half of 25
    window_s = run.steady_end_s - run.steady_start_s
    assert len(steady(run)) / window_s == pytest.approx(rate, rel=0.02)
    assert all(r.ok for r in run.records)
