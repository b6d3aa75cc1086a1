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
from fieldeval.load.targets import TargetCheck
from fieldeval.records.load import Level, LevelRun, Phase, RequestRecord
from fieldeval.suite.load import LoadTargets

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


def spread_answers(n: int) -> list[RequestRecord]:
    """n answers whose TTFTs are 1/64, 2/64 ... n/64 s (exact in binary), E2E 3 s each."""
    return [request(10.0, [10.0 + k / 64, 13.0]) for k in range(1, n + 1)]


def states(metrics: LevelMetrics) -> dict[str, str]:
    return {name: check.state for name, check in metrics.target_results.items()}


def test_each_target_is_judged_with_its_interval_not_its_point() -> None:
    # 4 answers: TTFT p95 = 481.25 ms (rank 2.85 -> 375 + 0.85·125), over a 450 ms target,
    # but 4 values bound a p95 neither way: the whole of it could lie either side.
    targets = LoadTargets(ttft_p50_ms=400, ttft_p95_ms=450, e2e_p99_ms=1000, max_error_rate=0.0)
    metrics = measure(graded_answers(), targets)

    assert metrics.ttft.p95 == pytest.approx(481.25)
    assert metrics.target_results["ttft_p95_ms"].high is None
    assert states(metrics) == {
        "ttft_p50_ms": "not shown",
        "ttft_p95_ms": "not shown",
        "e2e_p99_ms": "not shown",
        "error_rate": "met",  # a zero target is a rule on counts: no error met it
    }
    assert not metrics.meets_targets and not metrics.misses_targets


@pytest.mark.parametrize(
    ("limit_ms", "state"),
    [
        (1600.0, "met"),
        (1562.5, "met"),
        (1500.0, "not shown"),
        (1406.25, "not shown"),
        (1400.0, "missed"),
    ],
)
def test_a_p95_target_on_100_answers(limit_ms: float, state: str) -> None:
    # TTFT k/64 s for k = 1..100: p95 = 95.05/64 s = 1485.16 ms (rank 94.05). Its 95%
    # interval runs from the 90th to the 100th value (B ~ Binomial(100, 0.95) is within
    # 90..99 with probability ≥ 95%): 1406.25 to 1562.5 ms.
    targets = LoadTargets(ttft_p95_ms=limit_ms, max_error_rate=0.05)  # 0/100 is under 3.7%
    metrics = measure(spread_answers(100), targets)
    check = metrics.target_results["ttft_p95_ms"]

    assert (check.value, check.low, check.high) == pytest.approx((1485.15625, 1406.25, 1562.5))
    assert check.state == state
    assert metrics.meets_targets is (state == "met")
    assert metrics.misses_targets is (state == "missed")


@pytest.mark.parametrize(
    ("errors", "requests", "state"),
    [
        (0, 9, "not shown"),
        (0, 380, "not shown"),
        (0, 381, "met"),
        (2, 100, "not shown"),
        (5, 100, "missed"),
    ],
)
def test_an_error_rate_target_needs_the_requests_to_show_it(
    errors: int, requests: int, state: str
) -> None:
    # The audit's case first: 0 errors in 9 requests allow a rate up to 30%, not "≤ 1%".
    # Showing 1% takes the Wilson upper bound of 0/n, 3.84/(n + 3.84), down to 0.01: n ≥ 381.
    # 2 of 100 could be 0.55%; 5 of 100 could not be under 2.2%.
    records = [*spread_answers(requests - errors)]
    records += [request(12.0, error="server_error") for _ in range(errors)]
    metrics = measure(records, LoadTargets(max_error_rate=0.01))

    assert metrics.target_results["error_rate"].state == state
    assert metrics.target_results["error_rate"].value == pytest.approx(errors / requests)


def test_a_zero_error_target_is_a_rule_on_counts() -> None:
    clean = measure(spread_answers(3), LoadTargets(max_error_rate=0.0))
    one = measure(
        [*spread_answers(3), request(12.0, error="timeout")], LoadTargets(max_error_rate=0)
    )

    assert clean.target_results["error_rate"].state == "met"
    assert one.target_results["error_rate"].state == "missed"


def test_a_target_on_a_metric_without_values_is_not_shown() -> None:
    metrics = measure([request(10.0, [10.25], tokens=1)], LoadTargets(tpot_p95_ms=50))

    assert metrics.tpot.n == 0
    assert metrics.target_results["tpot_p95_ms"].state == "not shown"
    assert not metrics.meets_targets and not metrics.misses_targets


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
    assert states(metrics) == {"error_rate": "not shown"}
    assert not metrics.meets_targets and not metrics.misses_targets
    assert metrics.client_lag_p99_ms is None


def test_a_window_without_length_is_refused() -> None:
    collapsed = dataclasses.replace(run([]), steady_end_s=10.0)

    with pytest.raises(ValueError, match="positive length"):
        level_metrics(collapsed, NO_TARGETS)


def levels(*states: str) -> list[LevelMetrics]:
    """Levels each judged on one target, in the given state ("met", "missed", "not shown")."""
    base = measure([])
    bounds = {"met": (0.0, 1.0), "missed": (2.0, 3.0), "not shown": (0.0, 3.0)}
    return [
        dataclasses.replace(
            base,
            label=f"{i + 1} users",
            target_results={"ttft_p95_ms": TargetCheck(1.0, *bounds[state], limit=1.5, n=100)},
        )
        for i, state in enumerate(states)
    ]


def test_sweep_best_is_the_last_level_shown_to_meet_before_the_knee() -> None:
    sweep = levels("met", "met", "missed", "met")
    result = sweep_result(sweep)

    assert result.levels == tuple(sweep)
    assert result.best is sweep[1] and result.floor is sweep[1]
    assert result.knee is sweep[2]  # the later pass does not count


def test_a_level_too_short_to_tell_does_not_stop_the_sweep_nor_count_as_met() -> None:
    sweep = levels("met", "not shown", "met", "not shown", "missed")
    result = sweep_result(sweep)

    assert (result.best, result.floor, result.knee) == (sweep[2], sweep[3], sweep[4])


def test_sweep_where_no_level_misses_has_no_knee() -> None:
    sweep = levels("met", "met")
    result = sweep_result(sweep)

    assert (result.best, result.knee) == (sweep[1], None)


def test_sweep_missing_at_the_first_level_has_no_best() -> None:
    sweep = levels("missed", "met")
    result = sweep_result(sweep)

    assert (result.best, result.floor, result.knee) == (None, None, sweep[0])


def test_refining_levels_move_the_floor_the_knee_and_the_best() -> None:
    sweep, (shown, unsure, missed) = levels("met", "missed"), levels("met", "not shown", "missed")
    result = sweep_result(sweep, [shown, unsure, missed])

    assert (result.best, result.floor, result.knee) == (shown, unsure, missed)
    assert result.refined == 3


def test_an_empty_sweep_has_neither() -> None:
    assert sweep_result([]) == SweepResult(levels=(), best=None, knee=None)
