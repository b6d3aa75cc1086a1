"""Latency under load for the decision: each candidate's latest stored load test of the suite.

The levels are judged against the suite's targets as they stand now, not as they stood when
the test ran: the decision is made against today's targets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fieldeval.load.level import sweep_levels
from fieldeval.load.metrics import level_metrics
from fieldeval.load.session import LoadResult
from fieldeval.load.sweep import split_sweep
from fieldeval.load.verdict import by_load, target_figures, verdict
from fieldeval.records.load import LevelRun
from fieldeval.store import Store
from fieldeval.store.load_store import LoadRunInfo, LoadStore
from fieldeval.suite.load import Load, LoadTargets

# Enough to reach back past other suites' load tests in a shared store.
_LOAD_RUNS_SCANNED = 500


@dataclass(frozen=True)
class LatencyLevel:
    """One load level: the percentiles over its steady window, and whether it met the targets."""

    label: str
    requests: int  # sent in the steady window
    errors: int
    ttft_p50_ms: float | None
    ttft_p95_ms: float | None
    e2e_p50_ms: float | None
    e2e_p95_ms: float | None
    meets_targets: bool  # every target shown to be met, with its 95% interval
    misses_targets: bool  # some target shown to be missed
    missed: tuple[str, ...]  # e.g. "E2E p95 41 ms > 5 ms (at least 38 ms, 95% CI)"
    not_shown: tuple[str, ...]  # targets too few requests could tell either way


@dataclass(frozen=True)
class LatencyUnderLoad:
    candidate_id: str
    load_run_id: str
    started_at: datetime
    status: str
    targets: LoadTargets
    levels: tuple[LatencyLevel, ...]  # lightest load first
    verdict: str  # the highest load meeting the targets, and where they break
    missed: bool  # some level was shown to miss a target

    @property
    def shown_anywhere(self) -> bool:
        """Some level was shown to meet every target."""
        return any(level.meets_targets for level in self.levels)

    @property
    def has_targets(self) -> bool:
        return any(
            value is not None
            for name, value in self.targets.model_dump().items()
            if name != "max_error_rate"
        )


def latency_under_load(
    store: Store, suite_name: str, candidate_id: str, targets: LoadTargets
) -> LatencyUnderLoad | None:
    """The latest load test of `candidate_id` in `suite_name` with a finished level, or None."""
    loads = LoadStore(store)
    for info in loads.runs(limit=_LOAD_RUNS_SCANNED):
        if info.suite_name != suite_name or info.candidate_id != candidate_id:
            continue
        runs = tuple(loads.levels(info.id))
        if runs:
            return _measured(info, runs, targets)
    return None


def _measured(
    info: LoadRunInfo, levels: tuple[LevelRun, ...], targets: LoadTargets
) -> LatencyUnderLoad:
    spec = Load.model_validate(info.spec)
    metrics = [level_metrics(run, targets) for run in levels]
    planned = sweep_levels(spec)
    result = LoadResult(info, spec, levels, split_sweep(levels, metrics, len(planned)), planned)
    rows = tuple(
        LatencyLevel(
            label=m.label,
            requests=m.requests,
            errors=m.errors,
            ttft_p50_ms=m.ttft.p50,
            ttft_p95_ms=m.ttft.p95,
            e2e_p50_ms=m.e2e.p50,
            e2e_p95_ms=m.e2e.p95,
            meets_targets=m.meets_targets,
            misses_targets=m.misses_targets,
            missed=tuple(str(f) for f in target_figures(m) if f.state == "missed"),
            not_shown=tuple(str(f) for f in target_figures(m) if f.state == "not shown"),
        )
        for m in by_load(result)
    )
    return LatencyUnderLoad(
        candidate_id=info.candidate_id,
        load_run_id=info.id,
        started_at=info.started_at,
        status=info.status,
        targets=targets,
        levels=rows,
        verdict=verdict(result.sweep),
        missed=any(row.misses_targets for row in rows),
    )
