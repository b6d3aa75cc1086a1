"""A load level: what one step of a sweep asks for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Level:
    index: int
    mode: Literal["closed", "open"]
    users: int | None = None  # closed loop
    rate: float | None = None  # open loop, requests per second
    max_concurrency: int | None = None

    @property
    def label(self) -> str:
        return f"{self.users} users" if self.mode == "closed" else f"{self.rate:g} req/s"
