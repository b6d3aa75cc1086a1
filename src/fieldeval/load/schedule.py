"""When an open-loop level sends: arrival times drawn from a seeded arrival process.

Times are seconds from the start of the level. They are drawn up front, so the schedule
does not depend on how the server or the client keeps up (open loop): a slow server makes
requests wait, it does not make fewer of them arrive.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt

Arrival = Literal["constant", "poisson", "gamma"]


def arrival_times(
    arrival: Arrival,
    rate: float,
    span_s: float,
    *,
    burstiness: float = 1.0,
    seed: int | Sequence[int] = 0,
) -> list[float]:
    """Every arrival in `[0, span_s)` at `rate` per second on average, ascending.

    constant: one every 1/rate, the first at 0. poisson: exponential gaps with mean 1/rate.
    gamma: gamma gaps with shape `burstiness` and mean 1/rate; a shape below 1 is burstier
    than Poisson (coefficient of variation 1/sqrt(shape)), above 1 smoother.
    """
    if not rate > 0 or not math.isfinite(rate):
        raise ValueError(f"the arrival rate must be a positive number, not {rate!r}")
    if not burstiness > 0:
        raise ValueError(f"burstiness (the gamma shape) must be positive, not {burstiness!r}")
    if span_s <= 0:
        return []
    if arrival == "constant":
        # i / rate rather than a running sum, so rounding does not drift over a long level.
        count = math.ceil(span_s * rate) + 1
        return [t for t in (i / rate for i in range(count)) if t < span_s]
    rng = np.random.default_rng(seed)
    shape = 1.0 if arrival == "poisson" else burstiness
    times = _renewal_process(rng, shape, rate, span_s)
    return [float(t) for t in times]


def _renewal_process(
    rng: np.random.Generator, shape: float, rate: float, span_s: float
) -> npt.NDArray[np.float64]:
    """Arrivals before `span_s` whose gaps are Gamma(shape, mean 1/rate), drawn in batches."""
    batches: list[npt.NDArray[np.float64]] = []
    last = 0.0
    while last < span_s:
        # A quarter more than the expected count, so one batch nearly always suffices.
        size = max(64, math.ceil((span_s - last) * rate * 1.25))
        gaps = (
            rng.exponential(1.0 / rate, size)
            if shape == 1.0
            else rng.gamma(shape, 1.0 / (rate * shape), size)
        )
        batch = last + np.cumsum(gaps)
        batches.append(batch)
        last = float(batch[-1])
    times = np.concatenate(batches)
    return times[times < span_s]
