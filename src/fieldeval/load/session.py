"""Running a load test: one candidate through a sweep of levels, each stored as it finishes.

The sweep runs from the lightest level to the heaviest and, unless asked to run them all,
stops after the first level that misses a target: heavier levels would only miss it too,
and on a shared server they cost real load for no new answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from fieldeval.errors import ConfigError, ProviderError, UserError
from fieldeval.load.distributed import import_ray
from fieldeval.load.event_loop import loop_factory
from fieldeval.load.level import midpoint, sweep_levels
from fieldeval.load.metrics import LevelMetrics, SweepResult, level_metrics
from fieldeval.load.prompts import dataset_requests, synthetic_requests
from fieldeval.load.sweep import (
    LevelDriver,
    SweepOptions,
    bracket,
    level_driver,
    ray_for,
    split_sweep,
)
from fieldeval.providers import create_provider
from fieldeval.providers.base import Provider
from fieldeval.providers.registry import capabilities
from fieldeval.records.load import Level, LevelRun
from fieldeval.records.request import ModelRequest
from fieldeval.runner.execute import new_run_id
from fieldeval.store import Store
from fieldeval.store.load_store import LoadRunInfo, LoadStore, as_stored
from fieldeval.suite.candidates import CandidateBase
from fieldeval.suite.load import Load
from fieldeval.suite.loader import LoadedSuite
from fieldeval.version import __version__

# An open loop with no cap can have any number of requests in flight; this bounds the
# client's connection pool, as the suite schema bounds a candidate's concurrency.
MAX_CONNECTIONS = 1024


@dataclass(frozen=True)
class LoadResult:
    """A stored load run, its levels as stored, and their metrics."""

    info: LoadRunInfo
    spec: Load
    runs: tuple[LevelRun, ...]
    sweep: SweepResult
    planned: tuple[Level, ...]  # every level of the sweep, run or not

    @property
    def stopped_early(self) -> bool:
        """The sweep ended at a level that missed a target, before its heaviest level."""
        swept = sum(run.level.index < len(self.planned) for run in self.runs)
        return self.info.status == "finished" and swept < len(self.planned)


def load_spec(
    spec: Load,
    *,
    users: Sequence[int] | None = None,
    rates: Sequence[float] | None = None,
    duration_s: float | None = None,
    warmup_s: float | None = None,
    ramp_s: float | None = None,
    event_loop: str | None = None,
) -> Load:
    """The suite's load section with command-line overrides; `users` or `rates` sets the mode."""
    if users and rates:
        raise UserError("give --users or --rates, not both", hint="closed loop or open loop")
    update: dict[str, object] = {}
    if users:
        update |= {"mode": "closed", "users": tuple(users)}
    if rates:
        update |= {"mode": "open", "rates": tuple(rates)}
    if duration_s is not None:
        update["duration_s"] = duration_s
    if warmup_s is not None:
        update["warmup_s"] = warmup_s
    if ramp_s is not None:
        update["ramp_s"] = ramp_s
    if event_loop is not None:
        update["event_loop"] = event_loop
    try:
        # Validated again, unlike model_copy: a --duration of 0 is refused like one in YAML.
        return Load.model_validate({**spec.model_dump(), **update})
    except ValueError as error:
        raise ConfigError(f"invalid load option: {error}") from None


def pick_candidate(loaded: LoadedSuite, candidate_id: str | None) -> CandidateBase:
    """The candidate asked for, else the load section's, else the suite's first."""
    candidates = loaded.suite.candidates
    wanted = candidate_id or loaded.suite.load.candidate
    if wanted is None:
        return candidates[0]
    for candidate in candidates:
        if candidate.id == wanted:
            return candidate
    raise UserError(
        f"no candidate {wanted!r} in {loaded.path}",
        hint="the candidates are " + ", ".join(c.id for c in candidates),
    )


LevelStarted = Callable[[Level, int], None]  # the level, and how many the sweep has
LevelFinished = Callable[[LevelMetrics], None]


def run_load(
    loaded: LoadedSuite,
    store: Store,
    *,
    candidate_id: str | None = None,
    spec: Load | None = None,
    options: SweepOptions | None = None,
    on_level_start: LevelStarted | None = None,
    on_level: LevelFinished | None = None,
) -> LoadResult:
    """Load-test one candidate and store every request, on the event loop the spec names
    (`event_loop`). See `run_load_async`."""
    chosen = spec or loaded.suite.load
    if chosen.event_loop == "uvloop" and options is not None and options.workers > 1:
        raise UserError(
            "event_loop: uvloop runs this process's client; Ray's actors run their own loop",
            hint="drop --workers, or use the default event loop with it",
        )
    with asyncio.Runner(loop_factory=loop_factory(chosen.event_loop)) as runner:
        return runner.run(
            run_load_async(
                loaded,
                store,
                candidate_id=candidate_id,
                spec=spec,
                options=options,
                on_level_start=on_level_start,
                on_level=on_level,
            )
        )


async def run_load_async(
    loaded: LoadedSuite,
    store: Store,
    *,
    candidate_id: str | None = None,
    spec: Load | None = None,
    options: SweepOptions | None = None,
    on_level_start: LevelStarted | None = None,
    on_level: LevelFinished | None = None,
) -> LoadResult:
    """Drive one candidate through the sweep of `spec` (default: the suite's load section).

    Each level is stored as soon as it ends, so a stopped test keeps what it measured. The
    metrics are computed from the levels as stored, so `fieldeval load-show` repeats them.
    With `options.refine`, levels bisect between the floor (the highest level not shown to
    miss) and the knee afterwards, indexed after every planned level so that they never
    take a planned level's index.
    """
    options = options or SweepOptions()
    candidate = pick_candidate(loaded, candidate_id)
    spec = (spec or loaded.suite.load).model_copy(update={"candidate": candidate.id})
    levels = sweep_levels(spec)
    if options.workers > 1 and spec.replay is not None:
        raise UserError("a replay runs in one process", hint="drop --workers")
    if options.workers > 1:
        import_ray()  # before any request: a missing extra is a usage error, not a crash
    elif options.ray_address is not None:
        raise UserError("--ray-address needs --workers 2 or more", hint="--workers 2")
    requests = _requests(loaded, candidate, spec)
    widened = _with_connections(candidate, levels)
    provider = create_provider(widened, base_dir=loaded.base_dir)
    loads = LoadStore(store)
    runs: list[LevelRun] = []
    metrics: list[LevelMetrics] = []
    try:
        await _first_call(provider, requests[0], candidate)
        info = _new_info(loaded, candidate, spec)
        loads.create(info)
        status = "interrupted"  # unless the sweep gets to its end
        sent = 1  # the first call's prompt

        async def measure(drive: LevelDriver, level: Level) -> LevelMetrics:
            nonlocal sent
            if on_level_start:
                on_level_start(level, len(levels))
            # Each level goes on through the prompts where the last one stopped: a level
            # replaying the same prompts would find them in the server's prompt cache. A
            # replay sends its requests in order, one per arrival.
            start = 0 if spec.replay is not None else sent % len(requests)
            run = await drive([*requests[start:], *requests[:start]], level)
            sent += len(run.records)
            loads.save_level(info.id, run)
            runs.append(as_stored(run))
            metrics.append(level_metrics(runs[-1], spec.targets))
            if on_level:
                on_level(metrics[-1])
            return metrics[-1]

        try:
            with ray_for(options):
                drive = level_driver(provider, widened, loaded.base_dir, spec, options)
                for level in levels:
                    if (await measure(drive, level)).misses_targets and not options.all_levels:
                        break
                floor, knee = bracket(runs, metrics)
                for index in range(len(levels), len(levels) + options.refine):
                    between = midpoint(floor, knee, index) if floor and knee else None
                    if between is None:
                        break
                    if (await measure(drive, between)).misses_targets:
                        knee = between
                    else:
                        floor = between
            status = "finished"
        finally:
            loads.set_status(info.id, status)
    finally:
        await provider.aclose()
    sweep = split_sweep(runs, metrics, len(levels))
    return LoadResult(loads.run(info.id), spec, tuple(runs), sweep, levels)


def stored_result(store: Store, load_run_id: str) -> LoadResult:
    """A stored load run with its metrics recomputed from the raw records."""
    loads = LoadStore(store)
    info = loads.run(load_run_id)
    spec = Load.model_validate(info.spec)
    runs = tuple(loads.levels(info.id))
    planned = sweep_levels(spec)
    metrics = [level_metrics(run, spec.targets) for run in runs]
    return LoadResult(info, spec, runs, split_sweep(runs, metrics, len(planned)), planned)


def _requests(loaded: LoadedSuite, candidate: CandidateBase, spec: Load) -> list[ModelRequest]:
    if spec.replay is not None:
        from fieldeval.load.replay import replay_requests

        return replay_requests(candidate, spec.replay, seed=spec.seed)
    if spec.prompts == "synthetic":
        requests = synthetic_requests(candidate, spec)
    else:
        requests = dataset_requests(
            loaded.suite, candidate, base_dir=loaded.base_dir, seed=spec.seed
        )
    if not requests:
        raise UserError(
            "the dataset has no examples to send", hint="or set load.prompts: synthetic"
        )
    return requests


def _with_connections(candidate: CandidateBase, levels: Sequence[Level]) -> CandidateBase:
    """The candidate with a connection pool as large as the heaviest level's requests.

    A run's `concurrency` caps the client's connections; under load that cap would queue
    requests in the client and count the wait as server latency. The local model keeps its
    own: there it sets llama.cpp's slots, the capacity under test, and requests beyond the
    slots wait at the server either way.
    """
    if capabilities(candidate.provider).own_capacity:
        return candidate
    in_flight = max(level.users or level.max_concurrency or MAX_CONNECTIONS for level in levels)
    return candidate.model_copy(update={"concurrency": max(candidate.concurrency, in_flight)})


async def _first_call(provider: Provider, request: ModelRequest, candidate: CandidateBase) -> None:
    """One untimed call before the clock starts: a server that starts on first use (the local
    model) or a cold connection is not measured, and a dead endpoint fails before any load."""
    try:
        await provider.complete(request)
    except ProviderError as error:
        raise UserError(
            f"candidate {candidate.id!r} did not answer a first request: {error}",
            hint="check it answers at all, e.g. `fieldeval run SUITE --sample 1`",
        ) from error


def _new_info(loaded: LoadedSuite, candidate: CandidateBase, spec: Load) -> LoadRunInfo:
    return LoadRunInfo(
        id=new_run_id(),
        suite_name=loaded.suite.task.name,
        suite_path=str(loaded.path),
        candidate_id=candidate.id,
        spec=spec.model_dump(mode="json"),
        candidate_config=candidate.model_dump(mode="json"),
        status="running",
        started_at=datetime.now(UTC),
        finished_at=None,
        fieldeval_version=__version__,
    )
