"""A load level: what one step of a sweep asks for, and the levels a sweep runs."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from fieldeval.errors import ConfigError
from fieldeval.records.load import Level

if TYPE_CHECKING:
    from fieldeval.suite.load import Load


def sweep_levels(spec: Load) -> tuple[Level, ...]:
    """The levels of a sweep, lightest first."""
    if spec.mode == "closed":
        if not spec.users or min(spec.users) < 1:
            raise ConfigError("load.users needs at least one level of 1 or more users")
        return tuple(
            Level(index=i, mode="closed", users=users)
            for i, users in enumerate(sorted(set(spec.users)))
        )
    if not spec.rates or min(spec.rates) <= 0:
        raise ConfigError(
            "an open-loop load test needs rates above 0", hint="set load.rates or pass --rates"
        )
    return tuple(
        Level(index=i, mode="open", rate=rate, max_concurrency=spec.max_concurrency)
        for i, rate in enumerate(sorted(set(spec.rates)))
    )


def midpoint(passed: Level, failed: Level, index: int) -> Level | None:
    """The level halfway between a passing load and a failing one above it, as level `index`.

    Closed loop rounds down to whole users; None when no whole number lies strictly between.
    """
    if passed.mode == "open":
        return replace(passed, index=index, rate=((passed.rate or 0) + (failed.rate or 0)) / 2)
    users = ((passed.users or 0) + (failed.users or 0)) // 2
    return replace(passed, index=index, users=users) if users > (passed.users or 0) else None
