"""Before spending: what difference a set of n examples can detect, and what n a target needs.

Formulas: docs/statistics.md (Connor 1987 for paired pass/fail).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    n: int
    pass_rate: float  # the expected pass rate the plan assumes
    discordance: float  # ψ: expected share of examples where the two candidates disagree
    alpha: float
    power: float
    paired_mde: float | None  # smallest |difference| detectable between two candidates; None: none
    threshold_mde: float  # smallest difference from `pass_rate` one candidate's rate can show
    target: float | None  # a difference the user wants to detect
    n_for_target: int | None  # examples that target needs (paired); None when no target given


def discordance_from_pass_rate(pass_rate: float) -> float:
    """ψ if the two candidates failed independently: 2p(1 − p). Correlated failures lower it."""
    raise NotImplementedError


def paired_binary_mde(
    n: int, discordance: float, *, alpha: float = 0.05, power: float = 0.8
) -> float | None:
    raise NotImplementedError


def paired_binary_n(
    difference: float, discordance: float, *, alpha: float = 0.05, power: float = 0.8
) -> int:
    raise NotImplementedError


def single_rate_mde(n: int, pass_rate: float, *, alpha: float = 0.05, power: float = 0.8) -> float:
    raise NotImplementedError


def plan(
    n: int,
    *,
    pass_rate: float = 0.8,
    discordance: float | None = None,
    target: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
) -> Plan:
    raise NotImplementedError
