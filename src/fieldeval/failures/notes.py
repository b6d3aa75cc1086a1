"""People's notes on failing grades, and the failure modes the judge proposes from them."""

from __future__ import annotations

from dataclasses import dataclass

from fieldeval.records.run import OutputKey


@dataclass(frozen=True)
class Note:
    """What a person wrote on one failing grade, and which output it is about."""

    candidate_id: str
    example_id: str
    repeat: int
    criterion_id: str
    grader: str
    text: str

    @property
    def ref(self) -> str:
        """The output as the failure-mode file names it: CANDIDATE/EXAMPLE#REPEAT."""
        return OutputKey.of(self).ref


@dataclass(frozen=True)
class ProposedMode:
    id: str
    definition: str
    severity: str
    notes: tuple[Note, ...]


@dataclass(frozen=True)
class Suggestion:
    """The judge's proposed failure modes for a run, and what asking cost."""

    run_id: str
    judge_id: str
    modes: tuple[ProposedMode, ...]
    unsorted: tuple[Note, ...]  # notes the judge put in no category
    distinct: int  # distinct notes the judge was shown (identical notes are shown once)
    from_cache: bool
    call_id: int | None
    input_tokens: int
    output_tokens: int
    cost_usd: float | None  # None when the judge has no price
