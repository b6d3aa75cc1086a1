"""The tests behind a systematic-or-random verdict: by slice, by direction, across repeats."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SliceTest:
    """One mode in one slice value against the rest (one candidate, or all pooled)."""

    candidate_id: str | None  # None: every candidate pooled
    mode_id: str
    slice_name: str
    slice_value: str
    failures_in: int
    n_in: int
    failures_out: int
    n_out: int
    risk_ratio: float | None
    rr_low: float | None
    rr_high: float | None
    p: float  # Fisher exact, one-sided: more failures in the slice than elsewhere
    q: float  # Benjamini–Hochberg adjusted over every slice test of the report
    exploratory: bool  # n_in < 10 or n_out < 10: a lead, not a finding
    significant: bool  # q ≤ fdr and risk ratio > 1


@dataclass(frozen=True)
class DirectionTest:
    candidate_id: str | None
    axis: str
    up_mode: str | None
    down_mode: str | None
    up: int
    down: int
    p: float | None  # exact two-sided sign test; None when there is no directional failure


@dataclass(frozen=True)
class Consistency:
    """With repeats: does a mode stick to particular examples?"""

    candidate_id: str | None
    mode_id: str
    repeats: int
    always: int  # examples failing in every repeat
    flaky: int  # failing in some repeats
    never: int
    dispersion: float | None  # X² = Σ (f_i − K p̄)² / (K p̄ (1 − p̄))
    df: int
    p: float | None  # chi-square upper tail
