"""How a load test's levels stand against the suite's latency targets, in words."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fieldeval.load.metrics import Distribution, LevelMetrics, SweepResult
from fieldeval.load.session import LoadResult
from fieldeval.notation import duration, percent
from fieldeval.suite.schema import LoadTargets


@dataclass(frozen=True)
class TargetFigure:
    """One target of one level: what was measured against what was asked."""

    name: str  # e.g. "TTFT p95"
    measured: str
    limit: str
    met: bool

    def __str__(self) -> str:
        return f"{self.name} {self.measured} {'≤' if self.met else '>'} {self.limit}"


def target_figures(metrics: LevelMetrics, targets: LoadTargets) -> list[TargetFigure]:
    """Every target the level was judged on, in the order `targets` lists them."""
    figures = []
    for name, met in metrics.target_results.items():
        if name == "error_rate":
            measured = metrics.errors / metrics.requests if metrics.requests else None
            figures.append(
                TargetFigure("error rate", percent(measured), percent(targets.max_error_rate), met)
            )
            continue
        metric, quantile = _PERCENTILE_TARGETS[name]
        distribution: Distribution = getattr(metrics, metric)
        figures.append(
            TargetFigure(
                f"{metric.upper()} {quantile}",
                duration(getattr(distribution, quantile)),
                duration(getattr(targets, name)),
                met,
            )
        )
    return figures


# Each percentile target of `LoadTargets` -> the distribution and percentile it bounds.
_PERCENTILE_TARGETS = {
    f"{metric}_{quantile}_ms": (metric, quantile)
    for metric in ("ttft", "e2e", "tpot")
    for quantile in ("p50", "p95", "p99")
}


def verdict(sweep: SweepResult, targets: LoadTargets) -> str:
    """The highest load meeting the targets, and the load where they break."""

    def judged(metrics: LevelMetrics, keep: Callable[[TargetFigure], bool]) -> str:
        return ", ".join(str(f) for f in target_figures(metrics, targets) if keep(f))

    best, knee = sweep.best, sweep.knee
    parts = []
    if best is not None:
        parts.append(
            f"highest load meeting the targets: {best.label} ({judged(best, lambda f: True)})"
        )
    if knee is not None:
        broken = judged(knee, lambda f: not f.met) or "no steady requests"
        where = (
            "targets break at" if best is not None else "no level met the targets; they break at"
        )
        parts.append(f"{where} {knee.label} ({broken})")
    else:
        parts.append(f"every level met them, so the limit lies above {sweep.levels[-1].label}")
    return "; ".join(parts)


def by_load(result: LoadResult) -> list[LevelMetrics]:
    """The levels from the lightest load up: refining levels fall between the sweep's own."""
    pairs = sorted(
        zip(result.runs, result.sweep.levels, strict=True), key=lambda p: p[0].level.load
    )
    return [metrics for _, metrics in pairs]
