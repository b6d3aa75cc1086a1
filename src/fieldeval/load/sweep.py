"""How a sweep's levels are sent (here or over Ray actors) and how refinement reads them.

Refinement bisects between the sweep's floor (the highest level not shown to miss a target)
and its knee (the first shown to miss one): each new level halfway between them either
misses (the new knee) or not (the new floor), so K levels narrow the bracket to 2^-K of its
width. Refining levels are indexed after every planned level, so
that a stored run tells them apart from the sweep by index alone.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from fieldeval.load.distributed import ray_session, run_level_distributed
from fieldeval.load.driver import run_level
from fieldeval.load.metrics import LevelMetrics, SweepResult, sweep_result
from fieldeval.providers.base import Provider
from fieldeval.records.load import Level, LevelRun
from fieldeval.records.request import ModelRequest
from fieldeval.suite.candidates import CandidateBase
from fieldeval.suite.load import Load

LevelDriver = Callable[[Sequence[ModelRequest], Level], Awaitable[LevelRun]]


@dataclass(frozen=True)
class SweepOptions:
    """How far a sweep goes and where its load comes from."""

    all_levels: bool = False  # run every level, not stop at the first that misses a target
    refine: int = 0  # bisection levels between the best level and the knee
    workers: int = 1  # above 1: Ray actors that share each level
    ray_address: str | None = None  # the Ray cluster; None starts a local one


def ray_for(options: SweepOptions) -> AbstractContextManager[None]:
    """One Ray session for the whole sweep, so its start-up is paid once, not per level."""
    if options.workers < 2:
        return nullcontext()
    return ray_session(options.ray_address, num_cpus=options.workers)


def level_driver(
    provider: Provider, candidate: CandidateBase, base_dir: Path, spec: Load, options: SweepOptions
) -> LevelDriver:
    """How each level is sent: from this process, or split over Ray actors."""
    # One test clock for every level: perf_counter here, its wall-clock twin for the actors.
    clock_origin, clock_origin_wall = time.perf_counter(), time.time()

    async def local(requests: Sequence[ModelRequest], level: Level) -> LevelRun:
        return await run_level(provider, requests, level, spec, clock_origin=clock_origin)

    async def distributed(requests: Sequence[ModelRequest], level: Level) -> LevelRun:
        return await run_level_distributed(
            candidate,
            base_dir,
            requests,
            level,
            spec,
            workers=options.workers,
            clock_origin_wall=clock_origin_wall,
            address=options.ray_address,
        )

    return distributed if options.workers > 1 else local


def bracket(
    runs: Sequence[LevelRun], metrics: Sequence[LevelMetrics]
) -> tuple[Level | None, Level | None]:
    """The sweep's floor and knee, as `sweep_result` picks them: refinement bisects between."""
    sweep = sweep_result(metrics)
    floor = next((r.level for r, m in zip(runs, metrics, strict=True) if m is sweep.floor), None)
    knee = next((r.level for r, m in zip(runs, metrics, strict=True) if m is sweep.knee), None)
    return floor, knee


def split_sweep(
    runs: Sequence[LevelRun], metrics: Sequence[LevelMetrics], planned: int
) -> SweepResult:
    """The sweep's result; levels indexed past the planned ones are its refinement."""
    pairs = list(zip(runs, metrics, strict=True))
    return sweep_result(
        [m for run, m in pairs if run.level.index < planned],
        [m for run, m in pairs if run.level.index >= planned],
    )
