"""The plain sentences that say why a failure mode is systematic or random."""

from __future__ import annotations

from collections.abc import Sequence

from fieldeval.failures.evidence import Consistency, DirectionTest, SliceTest
from fieldeval.suite.failure_modes import FailureMode


def slice_reason(test: SliceTest) -> str:
    assert test.risk_ratio is not None and test.rr_low is not None and test.rr_high is not None
    reason = (
        f"concentrated in {test.slice_name} = {test.slice_value}{_scope(test.candidate_id)}:"
        f" {test.failures_in} of {test.n_in} against {test.failures_out} of {test.n_out}"
        f" elsewhere (risk ratio {_num(test.risk_ratio)}"
        f" [{_num(test.rr_low)}, {_num(test.rr_high)}], {p_text(test.q, 'q')})"
    )
    return reason + " (exploratory: small slice)" if test.exploratory else reason


def direction_reason(test: DirectionTest, sign: str, modes: Sequence[FailureMode]) -> str:
    assert test.p is not None
    other = "down" if sign == "up" else "up"
    mine, theirs = (test.up, test.down) if sign == "up" else (test.down, test.up)
    way = "one way" if mine > theirs else "the other way"
    return (
        f"leans {way} on {test.axis}{_scope(test.candidate_id)}: {mine}"
        f" {_side(modes, test.axis, sign)} (this mode's side) against {theirs}"
        f" {_side(modes, test.axis, other)} ({p_text(test.p)})"
    )


def consistency_reason(test: Consistency) -> str:
    assert test.p is not None
    return (
        f"sticks to the same examples across {test.repeats} repeats"
        f"{_scope(test.candidate_id)}: {test.always} always fail, {test.flaky} flaky,"
        f" {test.never} never (dispersion {p_text(test.p)})"
    )


def _side(modes: Sequence[FailureMode], axis: str, sign: str) -> str:
    ids = [
        mode.id
        for mode in modes
        if mode.direction is not None
        and mode.direction.axis == axis
        and mode.direction.sign == sign
    ]
    return " or ".join(ids) if ids else f"{sign} (no mode)"


def _scope(candidate_id: str | None) -> str:
    return " across candidates" if candidate_id is None else f" for {candidate_id}"


def _num(value: float) -> str:
    """Two significant figures, whole numbers from 100 up: 18, 4.8, 0.52, 130."""
    return f"{value:.0f}" if value >= 100 else f"{value:.2g}"


def p_text(value: float, name: str = "p") -> str:
    if value < 0.001:
        return f"{name} < 0.001"
    return f"{name} = {value:.3f}" if value < 0.01 else f"{name} = {value:.2f}"
