"""When an open-loop level sends: arrival times drawn from a seeded arrival process.

Times are seconds from the start of the level. They are drawn up front, so the schedule
does not depend on how the server or the client keeps up (open loop): a slow server makes
requests wait, it does not make fewer of them arrive.

**Ramps.** With `ramp_s`, the intensity rises linearly from 0 to `rate` over the first
`ramp_s` seconds, then stays at `rate`: λ(t) = rate·t/ramp_s, then rate. The schedule is the
stationary process drawn at `rate` in *operational time* u and mapped to t = Λ⁻¹(rate·u),
where Λ(t) = ∫λ is the expected count by t (the time-change theorem). Inverting Λ gives
t = sqrt(2·ramp_s·u) while u < ramp_s/2, and t = u + ramp_s/2 after. Poisson arrivals so
become an inhomogeneous Poisson process with intensity λ exactly; constant arrivals fall at
the instants where Λ reaches a whole number; gamma gaps keep their shape in operational
time. After the ramp every process is the stationary one again, shifted by ramp_s/2, so the
ramp costs half its length in arrivals and leaves the rate of the rest untouched.
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
    ramp_s: float = 0.0,
) -> list[float]:
    """Every arrival in `[0, span_s)` at `rate` per second on average, ascending.

    constant: one every 1/rate, the first at 0. poisson: exponential gaps with mean 1/rate.
    gamma: gamma gaps with shape `burstiness` and mean 1/rate; a shape below 1 is burstier
    than Poisson (coefficient of variation 1/sqrt(shape)), above 1 smoother. With `ramp_s`,
    the rate first rises linearly from 0 over `ramp_s` seconds (see the module docstring).
    """
    if not rate > 0 or not math.isfinite(rate):
        raise ValueError(f"the arrival rate must be a positive number, not {rate!r}")
    if not burstiness > 0:
        raise ValueError(f"burstiness (the gamma shape) must be positive, not {burstiness!r}")
    if not 0 <= ramp_s < math.inf:
        raise ValueError(f"the ramp must be a finite number of seconds, not {ramp_s!r}")
    if span_s <= 0:
        return []
    # The stationary process runs for Λ(span_s)/rate of operational time.
    operational_span = span_s - ramp_s / 2 if span_s >= ramp_s else span_s**2 / (2 * ramp_s)
    if arrival == "constant":
        # i / rate rather than a running sum, so rounding does not drift over a long level.
        count = math.ceil(operational_span * rate) + 1
        times = np.array([i / rate for i in range(count)])
    else:
        rng = np.random.default_rng(seed)
        shape = 1.0 if arrival == "poisson" else burstiness
        times = _renewal_process(rng, shape, rate, operational_span)
    if ramp_s > 0:
        times = np.where(times < ramp_s / 2, np.sqrt(2 * ramp_s * times), times + ramp_s / 2)
    return [float(t) for t in times if t < span_s]


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
