"""Level metrics against hand-computed values.

Times are multiples of 1/8 s so every difference is exact in binary floating point; the
steady window is [10, 14), 4 s long, unless a test says otherwise. Percentiles are linear
(rank = q/100·(n − 1)), so each expected value below is worked out next to its assertion.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pytest

from fieldeval.load.metrics import (
    Distribution,
    LevelMetrics,
    SweepResult,
    level_metrics,
    sweep_result,
)
from fieldeval.records.load import Level, LevelRun, Phase, RequestRecord
from fieldeval.suite.schema import LoadTargets

CLOSED = Level(index=0, mode="closed", users=4)
OPEN = Level(index=0, mode="open", rate=2.0, max_concurrency=1)
NO_TARGETS = LoadTargets()


def request(
    sent: float,
    chunks: Sequence[float] = (),
    *,
    tokens: int | None = None,
    input_tokens: int | None = None,
    phase: Phase = "steady",
    intended: float | None = None,
    error: str | None = None,
    estimated: bool = False,
) -> RequestRecord:
    """A record whose first token is its first chunk and whose end is its last chunk.

    Without chunks it ends at its send: a failure has an end, as the driver records one.
    """
    return RequestRecord(
        level=0,
        worker="main",
        seq=0,
        phase=phase,
        intended_s=intended,
        sent_s=sent,
        first_byte_s=chunks[0] if chunks else None,
        first_token_s=chunks[0] if chunks else None,
        chunk_times_s=list(chunks),
        end_s=chunks[-1] if chunks else sent,
        input_tokens=input_tokens,
        output_tokens=tokens,
        tokens_estimated=estimated,
        error_kind=error,
    )


def run(
    records: Sequence[RequestRecord],
    *,
    level: Level = CLOSED,
    lag_ms: Sequence[float] = (),
    cpu: float = 0.1,
) -> LevelRun:
    return LevelRun(
        level=level,
        records=list(records),
        started_s=8.0,
        steady_start_s=10.0,
        steady_end_s=14.0,
        ended_s=16.0,
        client_lag_ms=list(lag_ms),
        client_cpu_fraction=cpu,
    )


def measure(records: Sequence[RequestRecord], targets: LoadTargets = NO_TARGETS) -> LevelMetrics:
    return level_metrics(run(records), targets)


def test_ttft_and_e2e_are_measured_from_the_send_and_summarised_in_ms() -> None:
    # (sent, ttft, e2e) in seconds, out of order: TTFT 125..625 ms, E2E 500..2500 ms.
    shapes = [(11.0, 0.375, 1.5), (10.0, 0.125, 0.5), (12.0, 0.625, 2.5), (10.5, 0.25, 1.0)]
    shapes.append((11.5, 0.5, 2.0))
    metrics = measure([request(s, [s + ttft, s + e2e]) for s, ttft, e2e in shapes])

    # Fields: n, mean, p50, p90, p95, p99, max. Sorted TTFT [125, 250, 375, 500, 625]:
    # p90 rank 3.6 -> 500 + 0.6·125 = 575, p95 rank 3.8 -> 600, p99 rank 3.96 -> 620.
    ttft = (5, 375.0, 375.0, 575.0, 600.0, 620.0, 625.0)
    assert dataclasses.astuple(metrics.ttft) == pytest.approx(ttft)
    # Sorted E2E [500, 1000, 1500, 2000, 2500]: p90 2000 + 0.6·500, p95 +0.8·500, p99 +0.96·500.
    e2e = (5, 1500.0, 1500.0, 2300.0, 2400.0, 2480.0, 2500.0)
    assert dataclasses.astuple(metrics.e2e) == pytest.approx(e2e)


def test_pooled_and_per_request_itl_differ_when_one_request_stalls() -> None:
    smooth = request(10.0, [10.25, 10.5, 10.75, 11.0])  # gaps 250, 250, 250
    stalled = request(10.0, [10.5, 10.625, 12.0])  # gaps 125, 1375
    single = request(10.0, [10.5])  # no gap: in neither ITL
    metrics = measure([smooth, stalled, single])

    # Pooled, every gap is one value: [125, 250, 250, 250, 1375], mean 2250/5.
    assert metrics.itl_pooled.n == 5
    assert metrics.itl_pooled.mean == 450.0
    assert metrics.itl_pooled.p50 == 250.0
    assert metrics.itl_pooled.max == 1375.0
    # Per request, one mean gap each: 750/3 = 250 and 1500/2 = 750; the stall is averaged in.
    assert metrics.itl_per_request.n == 2
    assert metrics.itl_per_request.mean == 500.0
    assert metrics.itl_per_request.p50 == 500.0
    assert metrics.itl_per_request.max == 750.0


def test_tpot_divides_decode_time_by_tokens_not_chunks() -> None:
    # Two chunks carrying 4 tokens: per-request ITL is 750 ms, TPOT (1000 − 250)/3 = 250 ms.
    multi_token = request(10.0, [10.25, 11.0], tokens=4)
    one_token = request(10.0, [10.25], tokens=1)  # no decode: no TPOT
    uncounted = request(10.0, [10.25, 11.0], tokens=None)
    metrics = measure([multi_token, one_token, uncounted])

    assert metrics.tpot.n == 1
    assert metrics.tpot.p50 == 250.0
    assert metrics.itl_per_request.p50 == 750.0
    assert not metrics.tokens_estimated


def test_estimated_token_counts_are_flagged() -> None:
    metrics = measure([request(10.0, [10.25, 11.0], tokens=4, estimated=True)])

    assert metrics.tokens_estimated
    assert metrics.tpot.p50 == 250.0


def test_only_steady_answered_requests_enter_the_distributions() -> None:
    steady = request(10.0, [10.25, 10.5])
    warmup = request(9.0, [9.5, 10.5], phase="warmup")
    cooldown = request(14.0, [15.0, 15.5], phase="cooldown")
    failed = request(11.0, [11.125], error="server_error")
    metrics = measure([steady, warmup, cooldown, failed])

    assert metrics.requests == 2
    assert metrics.errors == 1
    assert metrics.ttft.n == 1
    assert metrics.ttft.p50 == 250.0
    assert metrics.e2e.max == 500.0


def test_throughput_counts_completions_inside_the_half_open_window() -> None:
    records = [
        request(9.0, [9.5, 10.0], tokens=5, input_tokens=20, phase="warmup"),  # ends at 10: in
        request(10.0, [10.5, 11.0], tokens=10, input_tokens=20),  # in
        request(12.0, [12.5, 13.5], tokens=10, input_tokens=20),  # in
        request(13.5, [13.75, 14.0], tokens=10, input_tokens=20),  # ends at 14: out
        request(11.0, error="timeout"),  # sent in the window, never completed
        request(14.0, [14.25, 14.5], tokens=10, input_tokens=20, phase="cooldown"),
    ]
    metrics = measure(records)

    assert metrics.window_s == 4.0
    assert metrics.request_throughput == 3 / 4
    assert metrics.output_token_throughput == (5 + 10 + 10) / 4
    assert metrics.total_token_throughput == (25 + 3 * 20) / 4
    assert metrics.requests == 4
    assert metrics.achieved_rate == 4 / 4
    assert metrics.errors == 1


def test_past_saturation_throughput_falls_below_the_sending_rate() -> None:
    # 2 req/s offered, answered one per second in turn: 11, 12, 13 end inside [10, 14).
    sent = [10.0 + 0.5 * i for i in range(8)]
    records = [request(s, [11.0 + i], intended=s) for i, s in enumerate(sent)]
    metrics = level_metrics(run(records, level=OPEN), NO_TARGETS)

    assert metrics.target_rate == 2.0
    assert metrics.achieved_rate == 8 / 4
    assert metrics.request_throughput == 3 / 4


def test_goodput_applies_the_tightest_bounds_and_counts_errors_as_not_good() -> None:
    targets = LoadTargets(ttft_p50_ms=300, ttft_p95_ms=500, e2e_p99_ms=1000, tpot_p95_ms=100)
    records = [
        request(10.0, [10.25, 11.0], tokens=11),  # ttft 250, e2e 1000, tpot 75: good
        request(11.0, [11.375, 11.5], tokens=2),  # ttft 375 > 300 (the p50 target): not good
        request(12.0, [12.125, 12.625], tokens=3),  # tpot 500/2 = 250 > 100: not good
        request(12.5, [12.75], tokens=1),  # no tpot to break: good
        request(13.0, error="rate_limited"),  # not good, still counted
    ]
    metrics = measure(records, targets)

    assert (metrics.good_fraction.k, metrics.good_fraction.n) == (2, 5)
    assert metrics.goodput == 2 / 4
    assert metrics.request_throughput == 4 / 4


def test_good_requests_need_a_first_token_when_ttft_is_bounded() -> None:
    empty = dataclasses.replace(request(10.0, [10.5]), first_token_s=None, chunk_times_s=[])
    metrics = measure([empty], LoadTargets(ttft_p95_ms=1000))

    assert empty.ok
    assert metrics.good_fraction.k == 0
    assert metrics.goodput == 0.0


def test_wait_at_cap_is_intended_to_actual_send_and_latency_starts_at_the_send() -> None:
    records = [
        request(10.0, [10.25], intended=10.0),  # wait 0
        request(10.75, [11.0], intended=10.5),  # wait 250, ttft 250 (not 500)
        request(11.5, [11.75], intended=11.0),  # wait 500
        request(12.5, intended=11.5, error="timeout"),  # wait 1000: waited all the same
        request(10.5, [10.75], intended=9.5, phase="warmup"),  # not steady
    ]
    metrics = level_metrics(run(records, level=OPEN), NO_TARGETS)

    # Sorted [0, 250, 500, 1000]: p50 rank 1.5 -> 375.
    assert metrics.wait_at_cap.n == 4
    assert metrics.wait_at_cap.mean == 437.5
    assert metrics.wait_at_cap.p50 == 375.0
    assert metrics.wait_at_cap.max == 1000.0
    assert metrics.ttft.max == 250.0


def test_closed_loop_has_no_wait_and_no_target_rate() -> None:
    metrics = measure([request(10.0, [10.25])])

    assert metrics.wait_at_cap.n == 0
    assert metrics.wait_at_cap.p50 is None
    assert metrics.target_rate is None


def graded_answers() -> list[RequestRecord]:
    """TTFT 125, 250, 375, 500 ms; E2E 1000 ms each."""
    starts = (10.0, 10.5, 11.0, 11.5)
    return [request(s, [s + k / 8, s + 1.0]) for k, s in enumerate(starts, start=1)]


def test_each_set_target_is_checked_against_its_percentile() -> None:
    # TTFT p50 rank 1.5 -> 312.5; p95 rank 2.85 -> 375 + 0.85·125 = 481.25; E2E p99 = 1000.
    targets = LoadTargets(ttft_p50_ms=400, ttft_p95_ms=450, e2e_p99_ms=1000, max_error_rate=0.0)
    metrics = measure(graded_answers(), targets)

    assert metrics.ttft.p95 == pytest.approx(481.25)
    assert metrics.target_results == {
        "ttft_p50_ms": True,
        "ttft_p95_ms": False,
        "e2e_p99_ms": True,  # equal to the target meets it
        "error_rate": True,
    }
    assert not metrics.meets_targets

    loosened = measure(graded_answers(), targets.model_copy(update={"ttft_p95_ms": 500}))
    assert loosened.meets_targets


@pytest.mark.parametrize(("max_error_rate", "met"), [(0.25, True), (0.2, True), (0.1, False)])
def test_error_rate_target_counts_errors_of_all_steady_requests(
    max_error_rate: float, met: bool
) -> None:
    records = [*graded_answers(), request(12.0, error="server_error")]  # 1 of 5 = 0.2
    metrics = measure(records, LoadTargets(max_error_rate=max_error_rate))

    assert metrics.target_results == {"error_rate": met}
    assert metrics.meets_targets is met


def test_a_target_on_a_metric_without_values_is_not_met() -> None:
    metrics = measure([request(10.0, [10.25], tokens=1)], LoadTargets(tpot_p95_ms=50))

    assert metrics.tpot.n == 0
    assert metrics.target_results["tpot_p95_ms"] is False
    assert not metrics.meets_targets


@pytest.mark.parametrize(
    ("lag_ms", "cpu", "lag_p99", "bound"),
    [
        ((10.0, 30.0), 0.1, 29.8, True),  # rank 0.99 -> 10 + 0.99·20
        ((10.0, 20.0), 0.1, 19.9, False),
        ((10.0, 20.0), 0.9, 19.9, True),
        ((), 0.85, None, False),  # the limit itself is not over it
    ],
)
def test_client_bound_from_event_loop_lag_or_cpu(
    lag_ms: tuple[float, ...], cpu: float, lag_p99: float | None, bound: bool
) -> None:
    metrics = level_metrics(run([request(10.0, [10.25])], lag_ms=lag_ms, cpu=cpu), NO_TARGETS)

    assert metrics.client_lag_p99_ms == pytest.approx(lag_p99)
    assert metrics.client_bound is bound


def test_an_empty_level_has_no_values_and_meets_no_targets() -> None:
    metrics = measure([])

    empty = Distribution(0, None, None, None, None, None, None)
    for dist in (metrics.ttft, metrics.e2e, metrics.tpot, metrics.itl_pooled, metrics.wait_at_cap):
        assert dist == empty
    assert (metrics.requests, metrics.errors) == (0, 0)
    assert (metrics.request_throughput, metrics.achieved_rate, metrics.goodput) == (0, 0, 0)
    assert (metrics.good_fraction.n, metrics.good_fraction.value) == (0, None)
    assert metrics.target_results == {"error_rate": False}
    assert not metrics.meets_targets
    assert metrics.client_lag_p99_ms is None


def test_a_window_without_length_is_refused() -> None:
    collapsed = dataclasses.replace(run([]), steady_end_s=10.0)

    with pytest.raises(ValueError, match="positive length"):
        level_metrics(collapsed, NO_TARGETS)


def levels(*passes: bool) -> list[LevelMetrics]:
    base = measure([])
    return [
        dataclasses.replace(base, label=f"{i + 1} users", meets_targets=ok)
        for i, ok in enumerate(passes)
    ]


def test_sweep_best_is_the_last_pass_before_the_knee() -> None:
    sweep = levels(True, True, False, True)
    result = sweep_result(sweep)

    assert result.levels == tuple(sweep)
    assert result.best is sweep[1]
    assert result.knee is sweep[2]  # the later pass does not count


def test_sweep_where_every_level_passes_has_no_knee() -> None:
    sweep = levels(True, True)
    result = sweep_result(sweep)

    assert (result.best, result.knee) == (sweep[1], None)


def test_sweep_failing_at_the_first_level_has_no_best() -> None:
    sweep = levels(False, True)
    result = sweep_result(sweep)

    assert (result.best, result.knee) == (None, sweep[0])


def test_an_empty_sweep_has_neither() -> None:
    assert sweep_result([]) == SweepResult(levels=(), best=None, knee=None)
