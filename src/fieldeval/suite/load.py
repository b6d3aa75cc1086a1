"""The suite's `load:` section: how `fieldeval load` drives a candidate, and the latency
targets each load level is held to."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from fieldeval.suite.prompt import Strict


class LoadTargets(Strict):
    """Latency targets a load level must meet; each one also bounds a "good" request."""

    ttft_p50_ms: float | None = Field(None, gt=0)
    ttft_p95_ms: float | None = Field(None, gt=0)
    ttft_p99_ms: float | None = Field(None, gt=0)
    e2e_p50_ms: float | None = Field(None, gt=0)
    e2e_p95_ms: float | None = Field(None, gt=0)
    e2e_p99_ms: float | None = Field(None, gt=0)
    tpot_p95_ms: float | None = Field(None, gt=0)
    max_error_rate: float = Field(0.01, ge=0, le=1)


class Replay(Strict):
    """A stored production window to send again (`fieldeval load --replay`): each request at
    its own arrival time (scaled) and with its own input and output lengths."""

    since: str  # the window, as stored: ISO 8601, UTC
    until: str
    scale: float = Field(1.0, gt=0, description="2: twice as fast as production sent them")
    arrivals_s: tuple[float, ...] = Field(description="each request's send time, from 0")
    input_tokens: tuple[int, ...]
    output_tokens: tuple[int, ...]

    @model_validator(mode="after")
    def _one_size_per_arrival(self) -> Replay:
        if not len(self.arrivals_s) == len(self.input_tokens) == len(self.output_tokens):
            raise ValueError("a replay needs one input and one output length per arrival")
        return self


class Load(Strict):
    """How `fieldeval load` drives one candidate: the load levels, their timing and targets."""

    candidate: str | None = Field(None, description="candidate id; default the first")
    mode: Literal["closed", "open"] = "closed"
    users: tuple[int, ...] = Field((1, 2, 4, 8), description="closed loop: users per level")
    think_time_s: float = Field(0.0, ge=0)
    rates: tuple[float, ...] = Field((), description="open loop: requests per second per level")
    arrival: Literal["constant", "poisson", "gamma"] = "poisson"
    burstiness: float = Field(1.0, gt=0, description="gamma shape; below 1 is burstier")
    max_concurrency: int | None = Field(None, ge=1, description="open loop: in-flight cap")
    duration_s: float = Field(30.0, gt=0, description="the measured (steady) window per level")
    warmup_s: float = Field(5.0, ge=0)
    ramp_s: float = Field(0.0, ge=0, description="the load rises linearly over this, in warmup")
    cooldown_s: float = Field(2.0, ge=0)
    prompts: Literal["dataset", "synthetic"] = "dataset"
    input_tokens: int = Field(200, ge=1, description="synthetic prompts: about this many")
    output_tokens: int = Field(100, ge=1, description="synthetic prompts: max_tokens")
    targets: LoadTargets = LoadTargets()
    seed: int = 0
    event_loop: Literal["asyncio", "uvloop"] = Field(
        "asyncio",
        description="the client's event loop; uvloop (extra `uvloop`) spends less CPU per event",
    )
    replay: Replay | None = Field(
        None, description="set by `fieldeval load --replay`: a production window's schedule"
    )

    @model_validator(mode="after")
    def _ramp_within_warmup(self) -> Load:
        # A ramp that ran on into the steady window would measure a load still rising.
        if self.ramp_s > self.warmup_s:
            raise ValueError(
                f"ramp_s ({self.ramp_s:g} s) must be at most warmup_s ({self.warmup_s:g} s): "
                "the load ramps up during the warm-up, so the measured window sees all of it"
            )
        return self
