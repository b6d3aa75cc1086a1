"""The metrics of a load level, each computed from raw records; formulas in docs/load.md."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from fieldeval.records.load import LevelRun, RequestRecord
from fieldeval.stats.intervals import Rate, percentile, wilson
from fieldeval.suite.schema import LoadTargets

# Past either limit the client's own delays are part of the latencies it reports: 20 ms of
# event-loop lag is a whole decode step at 50 tokens/s, and ITL tails were measured to
# inflate well before the client's CPU saturates (docs/load.md, "Client self-check").
CLIENT_LAG_P99_LIMIT_MS = 20.0
CLIENT_CPU_LIMIT = 0.85

_MS = 1000.0


@dataclass(frozen=True)
class Distribution:
    """Percentiles of one metric in milliseconds, with the n they are over."""

    n: int
    mean: float | None
    p50: float | None
    p90: float | None
    p95: float | None
    p99: float | None
    max: float | None


@dataclass(frozen=True)
class LevelMetrics:
    label: str
    requests: int  # sent in the steady window
    errors: int
    window_s: float
    request_throughput: float  # completed requests / s over the steady window
    output_token_throughput: float  # output tokens / s
    total_token_throughput: float  # input + output tokens / s
    ttft: Distribution
    itl_pooled: Distribution  # every gap between content chunks, pooled across requests
    itl_per_request: Distribution  # one mean gap per request
    tpot: Distribution  # (e2e − ttft) / (output tokens − 1), per request
    e2e: Distribution
    wait_at_cap: Distribution  # intended → actual send (open loop with a cap)
    target_rate: float | None  # open loop
    achieved_rate: float  # requests sent / s in the steady window
    good_fraction: Rate  # requests meeting every per-request target, errors counted as not good
    goodput: float  # good requests / s
    client_lag_p99_ms: float | None
    client_bound: bool  # the client, not the server, limited this level
    target_results: dict[str, bool]  # target name -> met
    meets_targets: bool
    tokens_estimated: bool = False  # some token counts behind throughput or TPOT are estimates


def distribution(values_ms: Sequence[float]) -> Distribution:
    """Mean, linear-interpolation percentiles and max of `values_ms`; None when empty."""
    if not values_ms:
        return Distribution(0, None, None, None, None, None, None)
    return Distribution(
        n=len(values_ms),
        mean=sum(values_ms) / len(values_ms),
        p50=percentile(values_ms, 50),
        p90=percentile(values_ms, 90),
        p95=percentile(values_ms, 95),
        p99=percentile(values_ms, 99),
        max=max(values_ms),
    )


def ttft_ms(record: RequestRecord) -> float | None:
    """First content chunk − sent; None when no content arrived."""
    if record.first_token_s is None:
        return None
    return (record.first_token_s - record.sent_s) * _MS


def e2e_ms(record: RequestRecord) -> float | None:
    """End of the answer − sent; None when it never ended."""
    return None if record.end_s is None else (record.end_s - record.sent_s) * _MS


def tpot_ms(record: RequestRecord) -> float | None:
    """(E2E − TTFT) / (output tokens − 1); None below two output tokens (no decode to time)."""
    first, end, tokens = record.first_token_s, record.end_s, record.output_tokens
    if first is None or end is None or tokens is None or tokens < 2:
        return None
    return (end - first) * _MS / (tokens - 1)


def itl_ms(record: RequestRecord) -> float | None:
    """(last chunk − first chunk) / (chunks − 1): one mean gap; None below two chunks."""
    times = record.chunk_times_s
    if len(times) < 2:
        return None
    return (times[-1] - times[0]) * _MS / (len(times) - 1)


def chunk_gaps_ms(record: RequestRecord) -> list[float]:
    """Every gap between consecutive content chunks."""
    return [(later - earlier) * _MS for earlier, later in pairwise(record.chunk_times_s)]


@dataclass(frozen=True)
class _Bounds:
    """What one request must meet to be good, in ms; None where no target is set."""

    ttft_ms: float | None
    e2e_ms: float | None
    tpot_ms: float | None

    @classmethod
    def of(cls, targets: LoadTargets) -> _Bounds:
        # A percentile target says nothing about one request, so the tightest stated figure
        # becomes the per-request bound: a good request satisfies every latency the suite names.
        return cls(
            ttft_ms=_smallest(targets.ttft_p50_ms, targets.ttft_p95_ms, targets.ttft_p99_ms),
            e2e_ms=_smallest(targets.e2e_p50_ms, targets.e2e_p95_ms, targets.e2e_p99_ms),
            tpot_ms=targets.tpot_p95_ms,
        )

    def admit(self, record: RequestRecord) -> bool:
        """Answered and within every bound; no TTFT fails a TTFT bound, no TPOT passes one."""
        if not record.ok:
            return False
        ttft, e2e, tpot = ttft_ms(record), e2e_ms(record), tpot_ms(record)
        return (
            (self.ttft_ms is None or (ttft is not None and ttft <= self.ttft_ms))
            and (self.e2e_ms is None or (e2e is not None and e2e <= self.e2e_ms))
            # Under two tokens there is no decode to be slow, as in vLLM's goodput.
            and (self.tpot_ms is None or tpot is None or tpot <= self.tpot_ms)
        )


def _smallest(*values: float | None) -> float | None:
    given = [value for value in values if value is not None]
    return min(given) if given else None


def _present(values: list[float | None]) -> list[float]:
    return [value for value in values if value is not None]


def _target_results(
    targets: LoadTargets,
    ttft: Distribution,
    e2e: Distribution,
    tpot: Distribution,
    errors: int,
    requests: int,
) -> dict[str, bool]:
    """Each set target -> met; a target on a metric with no values is not met."""
    percentile_targets = {
        "ttft_p50_ms": (targets.ttft_p50_ms, ttft.p50),
        "ttft_p95_ms": (targets.ttft_p95_ms, ttft.p95),
        "ttft_p99_ms": (targets.ttft_p99_ms, ttft.p99),
        "e2e_p50_ms": (targets.e2e_p50_ms, e2e.p50),
        "e2e_p95_ms": (targets.e2e_p95_ms, e2e.p95),
        "e2e_p99_ms": (targets.e2e_p99_ms, e2e.p99),
        "tpot_p95_ms": (targets.tpot_p95_ms, tpot.p95),
    }
    results = {
        name: value is not None and value <= limit
        for name, (limit, value) in percentile_targets.items()
        if limit is not None
    }
    results["error_rate"] = requests > 0 and errors / requests <= targets.max_error_rate
    return results


def level_metrics(run: LevelRun, targets: LoadTargets) -> LevelMetrics:
    """Every metric of one level, from its raw records (formulas in docs/load.md)."""
    start, end = run.steady_start_s, run.steady_end_s
    window = end - start
    if window <= 0:
        raise ValueError(f"the steady window must have a positive length, got {window} s")
    steady = [record for record in run.records if record.phase == "steady"]
    answered = [record for record in steady if record.ok]
    # Rates of service count what finished inside the window, whenever it was sent: in a
    # steady state that equals the steady requests, and past saturation it falls below the
    # sending rate instead of echoing it. The drain tail is never in (vLLM counts it).
    completed = [
        record
        for record in run.records
        if record.ok and record.end_s is not None and start <= record.end_s < end
    ]
    bounds = _Bounds.of(targets)

    ttft = distribution(_present([ttft_ms(record) for record in answered]))
    e2e = distribution(_present([e2e_ms(record) for record in answered]))
    tpot = distribution(_present([tpot_ms(record) for record in answered]))
    errors = len(steady) - len(answered)
    results = _target_results(targets, ttft, e2e, tpot, errors, len(steady))
    output_tokens = sum(record.output_tokens or 0 for record in completed)
    input_tokens = sum(record.input_tokens or 0 for record in completed)
    lag_p99 = percentile(run.client_lag_ms, 99)
    return LevelMetrics(
        label=run.level.label,
        requests=len(steady),
        errors=errors,
        window_s=window,
        request_throughput=len(completed) / window,
        output_token_throughput=output_tokens / window,
        total_token_throughput=(input_tokens + output_tokens) / window,
        ttft=ttft,
        itl_pooled=distribution([gap for record in answered for gap in chunk_gaps_ms(record)]),
        itl_per_request=distribution(_present([itl_ms(record) for record in answered])),
        tpot=tpot,
        e2e=e2e,
        # Every steady request waited before its outcome was known, so errors count too;
        # closed loop has no schedule to be late against, hence no values (not zeros).
        wait_at_cap=distribution(
            [record.wait_s * _MS for record in steady if record.intended_s is not None]
        ),
        target_rate=run.level.rate if run.level.mode == "open" else None,
        achieved_rate=len(steady) / window,
        good_fraction=wilson(sum(bounds.admit(record) for record in steady), len(steady)),
        goodput=sum(bounds.admit(record) for record in completed) / window,
        client_lag_p99_ms=lag_p99,
        client_bound=(lag_p99 is not None and lag_p99 > CLIENT_LAG_P99_LIMIT_MS)
        or run.client_cpu_fraction > CLIENT_CPU_LIMIT,
        target_results=results,
        meets_targets=bool(steady) and all(results.values()),
        tokens_estimated=any(record.tokens_estimated for record in [*completed, *answered]),
    )


@dataclass(frozen=True)
class SweepResult:
    levels: tuple[LevelMetrics, ...]  # in the order run: the sweep, then any refining levels
    best: LevelMetrics | None  # the highest load that met every target
    knee: LevelMetrics | None  # the lowest load found to break a target
    refined: int = 0  # how many of `levels`, at the end, bisected between best and knee


def sweep_result(
    levels: Sequence[LevelMetrics], refined: Sequence[LevelMetrics] = ()
) -> SweepResult:
    """Best = the last level of the unbroken run of passing levels; knee = the first failure.

    Levels come in increasing load; a pass after a failure is not trusted (noise, or a
    server that recovered by shedding load), so the search stops at the first failure.
    `refined` are bisection levels, each between the best and the knee found before it, so
    each one that passes is the new best and each one that fails the new knee.
    """
    best: LevelMetrics | None = None
    knee: LevelMetrics | None = None
    for metrics in levels:
        if not metrics.meets_targets:
            knee = metrics
            break
        best = metrics
    for metrics in refined:
        if metrics.meets_targets:
            best = metrics
        else:
            knee = metrics
    return SweepResult((*levels, *refined), best, knee, len(refined))
