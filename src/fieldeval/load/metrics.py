"""The metrics of a load level, each computed from raw records; formulas in docs/load.md."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fieldeval.analysis.stats import Rate
from fieldeval.load.driver import LevelRun
from fieldeval.suite.schema import LoadTargets


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


def level_metrics(run: LevelRun, targets: LoadTargets) -> LevelMetrics:
    raise NotImplementedError


@dataclass(frozen=True)
class SweepResult:
    levels: tuple[LevelMetrics, ...]
    best: LevelMetrics | None  # the highest load that met every target
    knee: LevelMetrics | None  # the first level that broke a target


def sweep_result(levels: Sequence[LevelMetrics]) -> SweepResult:
    raise NotImplementedError
