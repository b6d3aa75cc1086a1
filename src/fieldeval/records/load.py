"""One request of a load test, as measured: the raw record every metric is computed from.

Times are seconds on the test's own monotonic clock (0 = the start of the test), so records
from different levels, workers and machines line up and merge exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Phase = Literal["warmup", "steady", "cooldown"]


@dataclass
class RequestRecord:
    level: int  # index of the load level in the sweep
    worker: str  # "main", or the Ray actor that sent it
    seq: int  # order of sending within the worker and level
    phase: Phase  # by intended (else actual) send time
    intended_s: float | None  # open loop: when the schedule said to send; None closed loop
    sent_s: float  # when it was actually sent (after any wait at the concurrency cap)
    first_byte_s: float | None = None
    first_token_s: float | None = None  # first chunk with content; a role-only chunk is not one
    chunk_times_s: list[float] = field(default_factory=list)  # every content chunk's arrival
    end_s: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    tokens_estimated: bool = False
    error_kind: str | None = None  # an ErrorKind value; None when answered

    @property
    def ok(self) -> bool:
        return self.error_kind is None and self.end_s is not None

    @property
    def wait_s(self) -> float:
        """Time spent waiting for a free slot: intended to actual send (0 in closed loop)."""
        return 0.0 if self.intended_s is None else max(0.0, self.sent_s - self.intended_s)


@dataclass(frozen=True)
class Level:
    index: int
    mode: Literal["closed", "open"]
    users: int | None = None  # closed loop
    rate: float | None = None  # open loop, requests per second
    max_concurrency: int | None = None

    @property
    def load(self) -> float:
        """Users or requests per second: what grows from one level to the next."""
        return float((self.users if self.mode == "closed" else self.rate) or 0)

    @property
    def label(self) -> str:
        if self.mode == "open":
            return f"{self.rate:g} req/s"
        return f"{self.users} user" if self.users == 1 else f"{self.users} users"


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
