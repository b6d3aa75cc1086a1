"""The rubric: criteria people and the judge grade outputs on, and the judge that grades them.

    rubric:
      - id: names-the-product
        question: Does the summary name the financial product the complaint is about?
        severity: major
      - id: tone
        question: How calm and neutral is the summary?
        scale:
          levels:
            - {value: 1, label: hostile, anchor: Takes sides or mocks the customer.}
            - {value: 2, label: uneven, anchor: Mostly neutral, with a loaded word or two.}
            - {value: 3, label: neutral, anchor: Reports the facts without judging.}
          pass_at: 3
        applies_to: {candidates: [gemma-one-shot], slices: {product: [Mortgage]}}

A criterion's version is the hash of what a grader reads (question, scale, examples), so
editing any of them makes a new version, and every grade keeps the version it was given under.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from fieldeval.canonical import content_hash
from fieldeval.suite.scope import AppliesTo

_ID = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"

Severity = Literal["cosmetic", "minor", "major", "critical"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Level(_Strict):
    value: int = Field(ge=0, le=9, description="the digit a grader presses")
    label: str = Field(min_length=1)
    anchor: str = Field(min_length=1, description="one sentence: what this level looks like")


class Scale(_Strict):
    """Ordinal levels, each with an anchor sentence; levels at or above `pass_at` pass."""

    levels: tuple[Level, ...] = Field(min_length=2)
    pass_at: int | None = Field(None, description="default: the levels above the middle one")

    @model_validator(mode="after")
    def _consistent(self) -> Scale:
        values = [level.value for level in self.levels]
        if len(set(values)) != len(values):
            raise ValueError("each level needs its own value")
        if values != sorted(values):
            raise ValueError("list the levels from worst to best (ascending values)")
        if self.pass_at is not None and self.pass_at not in values:
            raise ValueError(f"pass_at ({self.pass_at}) must be one of the levels' values {values}")
        return self

    @property
    def threshold(self) -> int:
        if self.pass_at is not None:
            return self.pass_at
        return self.levels[(len(self.levels) + 1) // 2].value


def _scale_kind(value: Any) -> str:
    # A callable discriminator: a wrong scale reports the one form it resembles, not both.
    return "pass_fail" if isinstance(value, str) else "levels"


ScaleField = Annotated[
    Annotated[Literal["pass_fail"], Tag("pass_fail")] | Annotated[Scale, Tag("levels")],
    Discriminator(_scale_kind),
]


class Criterion(_Strict):
    id: str = Field(pattern=_ID)
    question: str = Field(min_length=1, description="what the grader answers, in one question")
    scale: ScaleField = "pass_fail"
    severity: Severity = "major"
    pass_example: str | None = Field(None, description="an output that passes, for graders")
    fail_example: str | None = Field(None, description="an output that fails, for graders")
    applies_to: AppliesTo = AppliesTo()
    judge: bool = Field(True, description="false: people only; the judge skips it")

    @property
    def version(self) -> str:
        """The hash of what a grader reads; editing any of it makes a new version."""
        definition = self.model_dump(
            include={"id", "question", "scale", "pass_example", "fail_example"}
        )
        return "c:" + content_hash(definition).removeprefix("s256:")[:16]

    @property
    def ordinal(self) -> bool:
        return isinstance(self.scale, Scale)

    def values(self) -> tuple[int, ...]:
        """The values a grade can take: 1 pass and 0 fail, or the scale's levels."""
        if isinstance(self.scale, Scale):
            return tuple(level.value for level in self.scale.levels)
        return (0, 1)

    def passes(self, value: int) -> bool:
        if isinstance(self.scale, Scale):
            return value >= self.scale.threshold
        return value == 1

    def applies(self, candidate_id: str, slices: dict[str, str] | Any) -> bool:
        return self.applies_to.covers(candidate_id, slices)


class Judge(_Strict):
    """Which model judges, and how hard it is pressed for a well-formed answer."""

    candidate: str | dict[str, Any] = Field(
        description="a candidate id from this suite, or a candidate entry of its own"
    )
    malformed_retries: int = Field(2, ge=0, le=5, description="re-asks after an unparseable answer")
    both_orders: bool = Field(True, description="side by side: judge A|B and B|A")
    after_run: bool = Field(True, description="`fieldeval run` grades the rubric when done")
    seed: int = 0


def unique_criteria(criteria: tuple[Criterion, ...]) -> tuple[Criterion, ...]:
    seen: set[str] = set()
    for criterion in criteria:
        if criterion.id in seen:
            raise ValueError(f"criterion id {criterion.id!r} is used twice")
        seen.add(criterion.id)
    return criteria
