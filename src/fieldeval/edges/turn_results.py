"""Per-turn results of replayed conversations: how many held, and where they first broke.

A conversation *held* when every checked turn's reply passed the checks counted (all the
suite's checks, or only `only` — e.g. a persona check); its *first broken turn* is the
earliest checked turn whose reply failed one. A conversation with a failed call at a turn
before any break is counted apart (errors), neither held nor broken.
"""

from __future__ import annotations

import statistics
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from fieldeval.stats.intervals import Rate, wilson
from fieldeval.store.turn_store import StoredTurn


@dataclass(frozen=True)
class TurnRow:
    """One candidate's replayed conversations."""

    candidate_id: str
    replayed: int  # conversations with a stored turn
    turns: int  # checked turns stored
    errors: int  # conversations left undecided by a failed call
    held: Rate  # conversations whose every checked turn passed, of those decided
    first_broken: tuple[int, ...]  # the first broken turn of each broken conversation, sorted

    @property
    def median_first_broken(self) -> float | None:
        return statistics.median(self.first_broken) if self.first_broken else None


def first_broken_turn(turns: Sequence[StoredTurn], only: Collection[str] = ()) -> int | None:
    """The earliest turn whose reply failed a counted check; None when every turn held.

    Raises LookupError when a failed call comes before any broken turn (undecided).
    """
    for turn in sorted(turns, key=lambda t: t.turn):
        if not turn.ok:
            raise LookupError(turn.turn)
        counted = {c: ok for c, ok in turn.checks.items() if not only or c in only}
        if not all(counted.values()):
            return turn.turn
    return None


def summarize_turns(
    turns: Sequence[StoredTurn], candidates: Sequence[str], only: Collection[str] = ()
) -> tuple[TurnRow, ...]:
    """One row per candidate (in `candidates` order) that has replayed turns."""
    rows = []
    for candidate in candidates:
        mine = [t for t in turns if t.candidate_id == candidate]
        if not mine:
            continue
        by_conversation: dict[tuple[str, int], list[StoredTurn]] = {}
        for turn in mine:
            by_conversation.setdefault((turn.example_id, turn.repeat), []).append(turn)
        broken: list[int] = []
        held = errors = 0
        for conversation in by_conversation.values():
            try:
                first = first_broken_turn(conversation, only)
            except LookupError:
                errors += 1
                continue
            if first is None:
                held += 1
            else:
                broken.append(first)
        rows.append(
            TurnRow(
                candidate_id=candidate,
                replayed=len(by_conversation),
                turns=len(mine),
                errors=errors,
                held=wilson(held, held + len(broken)),
                first_broken=tuple(sorted(broken)),
            )
        )
    return tuple(rows)
