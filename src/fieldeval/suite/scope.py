"""`applies_to`: which candidates and which slice values a check or criterion covers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field, model_validator

from fieldeval.suite.prompt import Strict


class AppliesTo(Strict):
    candidates: tuple[str, ...] = Field((), description="candidate ids; empty means all")
    slices: dict[str, tuple[str, ...]] = Field(
        default_factory=dict, description="slice name -> the values it applies to"
    )

    @model_validator(mode="before")
    @classmethod
    def _list_is_candidates(cls, value: Any) -> Any:
        # `applies_to: [a, b]`, the short form checks had first, names candidates.
        return {"candidates": value} if isinstance(value, list | tuple) else value

    def covers(self, candidate_id: str, slices: Mapping[str, str] | None) -> bool:
        """Whether an output of this candidate, on an example with these slice values, is in."""
        if self.candidates and candidate_id not in self.candidates:
            return False
        return self.covers_slices(slices)

    def covers_slices(self, slices: Mapping[str, str] | None) -> bool:
        """Whether an example with these slice values is in (every named slice matches)."""
        values = slices or {}
        return all(str(values.get(name)) in allowed for name, allowed in self.slices.items())


def stored_covers(applies_to: Any, candidate_id: str) -> bool:
    """Whether a check's `applies_to` in a run's stored suite names this candidate (an old
    run stored the candidate list; a newer one the mapping)."""
    candidates = applies_to.get("candidates") if isinstance(applies_to, dict) else applies_to
    return not candidates or candidate_id in candidates
