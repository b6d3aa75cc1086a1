"""Sending the load: closed loop (N users) or open loop (an arrival schedule), by level."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fieldeval.load.level import Level
from fieldeval.load.records import RequestRecord
from fieldeval.providers.base import ModelRequest, Provider
from fieldeval.suite.schema import Load


@dataclass(frozen=True)
class LevelRun:
    """What one level produced: its raw records and how the client itself kept up."""

    level: Level
    records: list[RequestRecord]
    started_s: float  # on the test clock
    steady_start_s: float
    steady_end_s: float
    ended_s: float
    client_lag_ms: list[float]  # event-loop oversleep samples (a late client inflates latency)
    client_cpu_fraction: float  # process CPU time / wall time over the level


async def run_level(
    provider: Provider,
    requests: Sequence[ModelRequest],
    level: Level,
    spec: Load,
    *,
    clock_origin: float,
    worker: str = "main",
) -> LevelRun:
    """Drive one level for warmup + duration + cooldown and return every request's record.

    `requests` are cycled through in order (seeded shuffle upstream). `clock_origin` is the
    `time.perf_counter()` value that is 0 on the test clock.
    """
    raise NotImplementedError
