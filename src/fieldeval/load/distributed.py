"""One load level split over Ray actors, with every raw record merged exactly on the driver.

Each actor is an async Ray actor (one per core) that builds its own provider and runs the
same `run_level` as a single-process test, on its own event loop with many streams. The
driver only splits the level and merges what comes back; it computes no percentiles, so the
merged level is measured exactly as if one client had sent every request.

**One clock.** The caller takes `time.time()` at the start of the test (`clock_origin_wall`)
and every actor maps it to its own `perf_counter`: origin = perf_counter() − (time.time() −
clock_origin_wall), with the `time.time()` read bracketed by two `perf_counter` reads (the
tightest of a few brackets, so a preemption between the reads does not shift it). From then
on each actor reads only its monotonic clock, so a wall-clock step mid-test moves nothing.
On one machine all processes read the same system clock and the origins agree to within
the microseconds of a bracket; across machines they agree only as well as the hosts'
clocks do (NTP: about a millisecond on a LAN, worse on the internet), which bounds how
exactly records from different hosts interleave. Durations
(TTFT, ITL, end-to-end) are differences on one host's clock and are not affected.

**Splitting the load.** Closed loop: the users are split as evenly as possible (a worker
with none is not started). Open loop: each of the k workers sends at rate/k from its own
seed. The superposition of k independent Poisson processes of rate λ/k is a Poisson process
of rate λ, so Poisson arrivals need no coordination between hosts. Constant arrivals are
offset by one merged interval per worker, so the merged schedule is evenly spaced again.
Every worker is given its start instant and keeps its schedule on it, so a worker that
wakes late (a busy host) sends late rather than shifting its schedule: the lateness shows
as client lag, and the intended times stay one schedule.
Gamma arrivals keep their rate, but a superposition of renewal processes is smoother than one
of them: the merged stream is less bursty than `burstiness` asks, increasingly so with k.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from pydantic import TypeAdapter

from fieldeval.errors import ConfigError
from fieldeval.load.driver import run_level, sleep_until
from fieldeval.providers import create_provider
from fieldeval.records.load import Level, LevelRun, Phase, RequestRecord
from fieldeval.records.request import ModelRequest
from fieldeval.suite.candidates import CandidateBase
from fieldeval.suite.load import Load
from fieldeval.suite.schema import Candidate

RAY_HINT = "pip install 'fieldeval[ray]'"
# From the start call to the level's first request: enough for the call to reach every actor,
# so that all workers begin on the same instant of the test clock.
START_MARGIN_S = 0.25
# Streams are asyncio tasks inside one `run` call, not separate actor calls, so an actor only
# ever serves a handful of calls at once (`ready`, `run`); this leaves ample room.
ACTOR_MAX_CONCURRENCY = 16


def import_ray() -> ModuleType:
    """Ray, imported on first use; its absence is a ConfigError naming the extra."""
    try:
        import ray
    except ImportError:
        raise ConfigError(
            "distributed load testing needs Ray, which is not installed", hint=RAY_HINT
        ) from None
    return ray


@contextmanager
def ray_session(address: str | None = None, *, num_cpus: int | None = None) -> Iterator[None]:
    """Connect to the cluster at `address`, or start a local one; shut down only what it started.

    A Ray that is already initialized (a sweep, a test fixture) is used as it is, so a caller
    running many levels pays Ray's start-up once.
    """
    ray = import_ray()
    if ray.is_initialized():
        yield
        return
    if address is None:
        # "local" always starts a new cluster, never joins one found through RAY_ADDRESS.
        ray.init(address="local", num_cpus=num_cpus, include_dashboard=False, log_to_driver=False)
    else:
        ray.init(address=address, log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()


@dataclass(frozen=True)
class Share:
    """One worker's part of a level."""

    worker: str
    level: Level
    spec: Load  # with the worker's own seed
    offset_s: float  # its start after the level's start (constant arrivals only)
    rotate: int  # where in the request list it begins


def split_level(level: Level, spec: Load, workers: int, n_requests: int) -> list[Share]:
    """Each worker's share of `level`; workers left with no users are dropped."""
    if workers < 1:
        raise ConfigError(f"workers must be at least 1, not {workers}")
    # Spawned seed sequences are independent streams, unlike seed + k, which would make
    # worker 1 of seed 0 replay worker 0 of seed 1.
    seeds = [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(spec.seed).spawn(workers)]
    shares: list[Share] = []
    for k in range(workers):
        offset_s = 0.0
        if level.mode == "closed":
            users = _even(level.users or 0, workers, k)
            if users == 0:
                continue
            part = replace(level, users=users)
        else:
            rate = level.rate or 0.0
            cap = level.max_concurrency
            part = replace(
                level,
                rate=rate / workers,
                max_concurrency=None if cap is None else max(1, _even(cap, workers, k)),
            )
            if spec.arrival == "constant" and rate > 0:
                offset_s = k / rate
        shares.append(
            Share(
                worker=f"ray-{k}",
                level=part,
                spec=spec.model_copy(update={"seed": seeds[k]}),
                offset_s=offset_s,
                # Different prompts in flight at once, as from one client cycling the list.
                rotate=k * n_requests // workers,
            )
        )
    return shares


def _even(total: int, parts: int, k: int) -> int:
    return total // parts + (1 if k < total % parts else 0)


def perf_counter_at(wall: float, tries: int = 5) -> float:
    """The `perf_counter` value this process reads at wall-clock time `wall`.

    Each try brackets one `time.time()` read between two `perf_counter` reads, and the
    tightest bracket wins: a process preempted between the reads (a busy host) would
    otherwise map the origin off by the whole time slice.
    """
    best_width, best = float("inf"), 0.0
    for _ in range(tries):
        before = time.perf_counter()
        now_wall = time.time()
        after = time.perf_counter()
        if after - before < best_width:
            best_width, best = after - before, (before + after) / 2 - (now_wall - wall)
    return best


class LoadWorker:
    """One Ray actor: its own provider and event loop, driving its share of a level."""

    def __init__(self, candidate: dict[str, Any], base_dir: str, clock_origin_wall: float) -> None:
        # Rebuilt from plain data rather than pickled: the config crosses hosts and versions
        # cleanly, and the provider's connection pool must belong to this process.
        candidate_spec: CandidateBase = TypeAdapter(Candidate).validate_python(candidate)
        # Built now, so its imports are paid before `ready` answers, not after the start.
        # One actor drives one level: `run` closes it.
        self._provider = create_provider(candidate_spec, base_dir=Path(base_dir))
        self._origin = perf_counter_at(clock_origin_wall)

    def ready(self) -> float:
        """The test clock now: a round trip that proves the actor is up."""
        return time.perf_counter() - self._origin

    async def run(self, requests: Sequence[ModelRequest], share: Share, start_s: float) -> LevelRun:
        try:
            await sleep_until(self.ready, start_s)
            return await run_level(
                self._provider,
                requests,
                share.level,
                share.spec,
                clock_origin=self._origin,
                worker=share.worker,
                start_s=start_s,
            )
        finally:
            await self._provider.aclose()


async def run_level_distributed(
    candidate: CandidateBase,
    base_dir: Path,
    requests: Sequence[ModelRequest],
    level: Level,
    spec: Load,
    *,
    workers: int,
    clock_origin_wall: float,
    address: str | None = None,
) -> LevelRun:
    """Run one level over `workers` Ray actors and merge their records into one LevelRun.

    Uses the Ray already initialized, else connects to `address`, else starts a local cluster
    of `workers` CPUs for this call. `base_dir` must be valid on every node.
    """
    ray = import_ray()
    shares = split_level(level, spec, workers, len(requests))
    with ray_session(address, num_cpus=workers):
        cpus = ray.cluster_resources().get("CPU", 0)
        if cpus < len(shares):
            raise ConfigError(
                f"{len(shares)} load workers need a CPU each; the Ray cluster has {cpus:g}",
                hint="use fewer workers or add nodes to the cluster",
            )
        actor_class = ray.remote(num_cpus=1, max_concurrency=ACTOR_MAX_CONCURRENCY)(LoadWorker)
        config = candidate.model_dump(mode="json")
        actors = [actor_class.remote(config, str(base_dir), clock_origin_wall) for _ in shares]
        try:
            # Start-up (process, imports) is paid before the level, not inside its window.
            await asyncio.gather(*(actor.ready.remote() for actor in actors))
            start_s = time.time() - clock_origin_wall + START_MARGIN_S
            calls = [
                actor.run.remote(
                    [*requests[s.rotate :], *requests[: s.rotate]], s, start_s + s.offset_s
                )
                for actor, s in zip(actors, shares, strict=True)
            ]
            runs: list[LevelRun] = list(await asyncio.gather(*calls))
        finally:
            for actor in actors:
                ray.kill(actor)
    return merge_runs(level, runs)


def merge_runs(level: Level, runs: Sequence[LevelRun]) -> LevelRun:
    """All the workers' records as one level, on the window every worker was steady in.

    The steady window is the intersection of the workers' windows (they differ only by the
    start offsets), and each record's phase is recomputed against it. Client lag is the lag
    of the worst worker (highest p99), not a pool of all of them, and the CPU fraction is the
    highest: one overloaded worker skews the latency of its own requests, and pooling would
    hide it behind the idle ones.
    """
    steady_start = max(r.steady_start_s for r in runs)
    steady_end = min(r.steady_end_s for r in runs)
    if steady_end <= steady_start:
        first = min(r.started_s for r in runs)
        late = max(runs, key=lambda r: r.started_s)
        raise ConfigError(
            f"level {level.index}: a worker began {late.started_s - first:.2f} s after another,"
            " so there was no moment when every worker was in its steady window",
            hint="lengthen warmup_s and duration_s, or use fewer workers on a busy host",
        )
    records = [
        replace(record, phase=_phase(record, steady_start, steady_end))
        for run in runs
        for record in run.records
    ]
    # Sorted by send time across workers; seq stays each worker's own sending order.
    records.sort(key=lambda r: (r.sent_s, r.worker, r.seq))
    worst = max(runs, key=lambda r: _p99(r.client_lag_ms))
    return LevelRun(
        level=level,
        records=records,
        started_s=min(r.started_s for r in runs),
        steady_start_s=steady_start,
        steady_end_s=steady_end,
        ended_s=max(r.ended_s for r in runs),
        client_lag_ms=list(worst.client_lag_ms),
        client_cpu_fraction=max(r.client_cpu_fraction for r in runs),
    )


def _phase(record: RequestRecord, steady_start: float, steady_end: float) -> Phase:
    at = record.sent_s if record.intended_s is None else record.intended_s
    if at < steady_start:
        return "warmup"
    return "steady" if at < steady_end else "cooldown"


def _p99(samples: Sequence[float]) -> float:
    return float(np.percentile(samples, 99)) if samples else float("-inf")
