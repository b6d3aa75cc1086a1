"""`EdgeStore`: how each reply to an edge case was graded, in the store's database."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from fieldeval.store.keyed_rows import replace_keyed_rows
from fieldeval.store.store import Store
from fieldeval.store.tables import edge_outcomes

# The row a clean original's over-refusal check is stored as (see `edge_grading`).
CLEAN_GENERATOR = "clean"
CLEAN_EXPECT = "do_task"


@dataclass(frozen=True)
class StoredEdgeOutcome:
    """One graded reply to an edge case (or a clean original's over-refusal check).

    `outcome` is correct, graceful or catastrophic for a variant, answered or over_refusal
    for a clean original; `kind` is the outcome class (asks, leaked, ...); `oracle` is what
    decided it (canary, secret, language, invented, format or judge).
    """

    run_id: str
    candidate_id: str
    example_id: str  # the variant's id; the original's own id for a clean check
    repeat: int
    original_id: str
    generator: str
    expect: str
    outcome: str
    kind: str
    oracle: str
    reason: str
    judge_call_id: int | None = None
    created_at: datetime | None = None

    @property
    def key(self) -> tuple[str, str, str, int]:
        return (self.run_id, self.candidate_id, self.example_id, self.repeat)


_FIELDS = tuple(StoredEdgeOutcome.__dataclass_fields__)
_KEY = ("run_id", "candidate_id", "example_id", "repeat")


class EdgeStore:
    """The `edge_outcomes` table of a `Store`'s database."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    def save_outcomes(self, rows: Iterable[StoredEdgeOutcome]) -> None:
        """Write `rows`, each replacing any earlier row for its run, candidate, example and
        repeat, all in one transaction."""
        now = datetime.now(UTC)
        values = [
            {name: getattr(row, name) for name in _FIELDS} | {"created_at": row.created_at or now}
            for row in rows
        ]
        replace_keyed_rows(self.engine, edge_outcomes, _KEY, values)

    def outcomes(self, run_id: str, *, candidate_id: str | None = None) -> list[StoredEdgeOutcome]:
        """A run's graded edge replies, by candidate, example and repeat."""
        query = select(edge_outcomes).where(edge_outcomes.c.run_id == run_id)
        if candidate_id is not None:
            query = query.where(edge_outcomes.c.candidate_id == candidate_id)
        with self.engine.connect() as connection:
            rows = (
                connection.execute(
                    query.order_by(
                        edge_outcomes.c.candidate_id,
                        edge_outcomes.c.example_id,
                        edge_outcomes.c.repeat,
                    )
                )
                .mappings()
                .all()
            )
        return [StoredEdgeOutcome(**{name: row[name] for name in _FIELDS}) for row in rows]
