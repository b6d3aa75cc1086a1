"""The metrics of a load level, each computed from raw records; formulas in docs/load.md."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from fieldeval.load.targets import TargetCheck, check_targets
from fieldeval.records.load import LevelRun, RequestRecord
from fieldeval.stats.intervals import Rate, percentile, wilson
from fieldeval.suite.load import LoadTargets

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
    target_results: dict[str, TargetCheck]  # target name -> judged with its interval
    tokens_estimated: bool = False  # some token counts behind throughput or TPOT are estimates
    # Open loop: from each request's scheduled send time, so a queue before sending counts.
    ttft_scheduled: Distribution | None = None
    e2e_scheduled: Distribution | None = None

    @property
    def meets_targets(self) -> bool:
        """Every target shown to be met: its whole 95% interval within it."""
        return all(check.state == "met" for check in self.target_results.values())

    @property
    def misses_targets(self) -> bool:
        """Some target shown to be missed: its whole 95% interval past it."""
        return any(check.state == "missed" for check in self.target_results.values())


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


def scheduled_ttft_ms(record: RequestRecord) -> float | None:
    """First content chunk − the scheduled send time (open loop); None without either."""
    if record.first_token_s is None or record.intended_s is None:
        return None
    return (record.first_token_s - record.intended_s) * _MS


def scheduled_e2e_ms(record: RequestRecord) -> float | None:
    """End of the answer − the scheduled send time (open loop); None without either."""
    if record.end_s is None or record.intended_s is None:
        return None
    return (record.end_s - record.intended_s) * _MS


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

    values = {
        "ttft": _present([ttft_ms(record) for record in answered]),
        "e2e": _present([e2e_ms(record) for record in answered]),
        "tpot": _present([tpot_ms(record) for record in answered]),
    }
    ttft, e2e, tpot = (distribution(values[metric]) for metric in ("ttft", "e2e", "tpot"))
    errors = len(steady) - len(answered)
    checks = check_targets(targets, values, errors, len(steady))
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
        target_results=checks,
        tokens_estimated=any(record.tokens_estimated for record in [*completed, *answered]),
        ttft_scheduled=_scheduled(run, answered, scheduled_ttft_ms),
        e2e_scheduled=_scheduled(run, answered, scheduled_e2e_ms),
    )


def _scheduled(
    run: LevelRun,
    answered: Sequence[RequestRecord],
    measure: Callable[[RequestRecord], float | None],
) -> Distribution | None:
    if run.level.mode != "open":
        return None  # closed loop has no schedule to be late against
    return distribution(_present([measure(record) for record in answered]))


@dataclass(frozen=True)
class SweepResult:
    levels: tuple[LevelMetrics, ...]  # in the order run: the sweep, then any refining levels
    best: LevelMetrics | None  # the highest load below the knee shown to meet every target
    knee: LevelMetrics | None  # the lowest load shown to miss a target
    refined: int = 0  # how many of `levels`, at the end, bisected between floor and knee
    floor: LevelMetrics | None = None  # the highest load below the knee not shown to miss


def sweep_result(
    levels: Sequence[LevelMetrics], refined: Sequence[LevelMetrics] = ()
) -> SweepResult:
    """Knee = the first level shown to miss a target; best = the last shown to meet them all
    before it; floor = the last not shown to miss before it (where refinement starts).

    Levels come in increasing load; a pass after a miss is not trusted (noise, or a server
    that recovered by shedding load), so the search stops at the first miss. A level with
    too few requests to show either does not stop it. `refined` are bisection levels, each
    between the floor and the knee found before it: one that misses is the new knee, any
    other the new floor, and the new best too when it meets every target.
    """
    best: LevelMetrics | None = None
    floor: LevelMetrics | None = None
    knee: LevelMetrics | None = None
    for metrics in levels:
        if metrics.misses_targets:
            knee = metrics
            break
        floor = metrics
        if metrics.meets_targets:
            best = metrics
    for metrics in refined:
        if metrics.misses_targets:
            knee = metrics
            continue
        floor = metrics
        if metrics.meets_targets:
            best = metrics
    return SweepResult((*levels, *refined), best, knee, len(refined), floor)
