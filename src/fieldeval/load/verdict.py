"""How a load test's levels stand against the suite's latency targets, in words."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fieldeval.load.metrics import LevelMetrics, SweepResult
from fieldeval.load.session import LoadResult
from fieldeval.load.targets import PERCENTILE_TARGETS, TargetCheck, TargetState
from fieldeval.notation import duration, percent, percent_up


@dataclass(frozen=True)
class TargetFigure:
    """One target of one level: what was measured, within what bounds, against what."""

    name: str  # e.g. "TTFT p95"
    check: TargetCheck
    show: Callable[[float | None], str]  # how its values read: a duration or a percentage
    show_high: Callable[[float | None], str]

    @property
    def state(self) -> TargetState:
        return self.check.state

    def __str__(self) -> str:
        check, show = self.check, self.show
        measured, limit = f"{self.name} {show(check.value)}", show(check.limit)
        if check.value is None:
            return f"{self.name}: nothing measured (target {limit})"
        if self.state == "met":
            return f"{measured} ≤ {limit} (at most {self.show_high(check.high)}, 95% CI)"
        if self.state == "missed":
            return f"{measured} > {limit} (at least {show(check.low)}, 95% CI)"
        if check.high is None:
            return f"{measured} on {check.n}, too few to bound it under {limit}"
        return f"{measured} could be {self.show_high(check.high)} (95% CI, n={check.n}) > {limit}"


def target_figures(metrics: LevelMetrics) -> list[TargetFigure]:
    """Every target the level was judged on, in the order `LoadTargets` lists them."""
    figures = []
    for name, check in metrics.target_results.items():
        if name == "error_rate":
            figures.append(TargetFigure("error rate", check, percent, percent_up))
            continue
        metric, q = PERCENTILE_TARGETS[name]
        figures.append(TargetFigure(f"{metric.upper()} p{q}", check, duration, duration))
    return figures


def verdict(sweep: SweepResult) -> str:
    """The highest load shown to meet the targets, what could not be told, where they break."""

    def judged(metrics: LevelMetrics, *states: TargetState) -> str:
        return ", ".join(str(f) for f in target_figures(metrics) if not states or f.state in states)

    best, floor, knee = sweep.best, sweep.floor, sweep.knee
    parts = []
    if best is not None:
        parts.append(f"highest load shown to meet the targets: {best.label} ({judged(best)})")
    if floor is not None and floor is not best:
        lead = "above it" if best is not None else "no level was shown to meet the targets:"
        parts.append(
            f"{lead} at {floor.label} too few requests to tell ({judged(floor, 'not shown')})"
        )
    if knee is not None:
        broken = judged(knee, "missed")
        where = (
            "targets break at" if floor is not None else "no level met the targets; they break at"
        )
        parts.append(f"{where} {knee.label} ({broken})")
    elif best is not None and floor is best:
        parts.append(f"no level missed them, so the limit lies above {best.label}")
    else:
        parts.append("no level was shown to miss them")
    return "; ".join(parts)


def by_load(result: LoadResult) -> list[LevelMetrics]:
    """The levels from the lightest load up: refining levels fall between the sweep's own."""
    pairs = sorted(
        zip(result.runs, result.sweep.levels, strict=True), key=lambda p: p[0].level.load
    )
    return [metrics for _, metrics in pairs]
