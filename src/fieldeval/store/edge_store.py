"""`EdgeStore`: how each reply to an edge case was graded, in the store's database."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy import delete, insert, select

from fieldeval.store.engine import once_more_on_conflict
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


class EdgeStore:
    """The `edge_outcomes` table of a `Store`'s database."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    def save_outcomes(self, rows: Iterable[StoredEdgeOutcome]) -> None:
        """Write `rows`, each replacing any earlier row for its run, candidate, example and
        repeat, all in one transaction."""
        now = datetime.now(UTC)
        latest = {row.key: row for row in rows}  # the last row given for a key wins
        given = [row if row.created_at else replace(row, created_at=now) for row in latest.values()]
        if given:
            once_more_on_conflict(lambda: self._save(given))

    def _save(self, rows: Sequence[StoredEdgeOutcome]) -> None:
        table = edge_outcomes.c
        with self.engine.begin() as connection:
            for row in rows:
                connection.execute(
                    delete(edge_outcomes).where(
                        table.run_id == row.run_id,
                        table.candidate_id == row.candidate_id,
                        table.example_id == row.example_id,
                        table.repeat == row.repeat,
                    )
                )
            connection.execute(
                insert(edge_outcomes),
                [{name: getattr(row, name) for name in _FIELDS} for row in rows],
            )

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
