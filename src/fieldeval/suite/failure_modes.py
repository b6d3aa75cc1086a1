"""Failure modes: how outputs go wrong, each with a severity, labelled from checks, rubric
criteria, people or the judge.

    failure_modes:
      - id: echoes-prompt
        definition: Repeats its instructions instead of answering.
        severity: major
        check: no-prompt-echo          # labelled wherever that check fails
      - id: too-long
        definition: Runs past the length the task allows.
        severity: minor
        check: under-100-words
        direction: {axis: length, sign: up}    # a sign test weighs it against `down`
      - id: invents-facts
        definition: States something the complaint does not say.
        severity: critical             # no check: people or the judge assign it
    severity_weights: {cosmetic: 1, minor: 3, major: 10, critical: 50}
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

_ID = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"

SeverityName = Literal["none", "cosmetic", "minor", "major", "critical"]
SEVERITY_LEVEL: dict[str, int] = {"none": 0, "cosmetic": 1, "minor": 2, "major": 3, "critical": 4}
DEFAULT_WEIGHTS: dict[str, float] = {
    "none": 0.0,
    "cosmetic": 1.0,
    "minor": 3.0,
    "major": 10.0,
    "critical": 50.0,
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Direction(_Strict):
    """Failures with a sign: `too long` (up) against `too short` (down) on the axis `length`."""

    axis: str = Field(min_length=1)
    sign: Literal["up", "down"]


class FailureMode(_Strict):
    id: str = Field(pattern=_ID)
    definition: str = Field(min_length=1, description="one sentence: what this failure is")
    severity: SeverityName = "major"
    check: str | None = Field(None, description="labelled wherever this check fails")
    criterion: str | None = Field(None, description="labelled wherever this criterion fails")
    direction: Direction | None = None

    @model_validator(mode="after")
    def _one_source(self) -> FailureMode:
        if self.check is not None and self.criterion is not None:
            raise ValueError("tie a failure mode to a check or to a criterion, not both")
        return self

    @property
    def level(self) -> int:
        return SEVERITY_LEVEL[self.severity]

    @property
    def assigned(self) -> bool:
        """People or the judge assign it: no check or criterion labels it."""
        return self.check is None and self.criterion is None


# Failures no declared mode claims are counted under this mode, never as no failure.
UNCLASSIFIED = "unclassified"


def unclassified_mode(severity: SeverityName) -> FailureMode:
    """The mode of a failed check or criterion that no failure mode of the suite names."""
    return FailureMode(
        id=UNCLASSIFIED,
        definition="Failed a check or rubric criterion that no failure mode names; name it in "
        "failure_modes (with `check:` or `criterion:`) to give it its own severity.",
        severity=severity,
    )


def unique_modes(modes: tuple[FailureMode, ...]) -> tuple[FailureMode, ...]:
    seen: set[str] = set()
    for mode in modes:
        if mode.id == UNCLASSIFIED:
            raise ValueError(
                f"failure mode id {UNCLASSIFIED!r} is fieldeval's own, for failures no mode "
                "names: choose another id, or set unclassified_severity"
            )
        if mode.id in seen:
            raise ValueError(f"failure mode id {mode.id!r} is used twice")
        seen.add(mode.id)
    return modes


def weights_with_defaults(weights: dict[str, float]) -> dict[str, float]:
    unknown = sorted(set(weights) - set(SEVERITY_LEVEL))
    if unknown:
        raise ValueError(
            f"unknown severity {unknown[0]!r} in severity_weights"
            f" (severities: {', '.join(SEVERITY_LEVEL)})"
        )
    return {**DEFAULT_WEIGHTS, **weights}
