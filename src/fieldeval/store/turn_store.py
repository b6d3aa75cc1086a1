"""`TurnStore`: conversations replayed turn by turn, a reply and its checks per turn."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select

from fieldeval.store.keyed_rows import replace_keyed_rows
from fieldeval.store.store import Store
from fieldeval.store.tables import turn_outputs


@dataclass(frozen=True)
class StoredTurn:
    """The reply at user turn `turn` (1-based) of a replayed conversation.

    `checks` maps each check id to whether the reply passed it; empty when the call failed
    (`error_kind` set, `text` None).
    """

    run_id: str
    candidate_id: str
    example_id: str
    repeat: int
    turn: int
    text: str | None
    checks: Mapping[str, bool] = field(default_factory=dict)
    error_kind: str | None = None
    created_at: datetime | None = None

    @property
    def key(self) -> tuple[str, str, str, int, int]:
        return (self.run_id, self.candidate_id, self.example_id, self.repeat, self.turn)

    @property
    def ok(self) -> bool:
        return self.error_kind is None


_FIELDS = tuple(StoredTurn.__dataclass_fields__)
_KEY = ("run_id", "candidate_id", "example_id", "repeat", "turn")


class TurnStore:
    """The `turn_outputs` table of a `Store`'s database."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    def save_turns(self, rows: Iterable[StoredTurn]) -> None:
        """Write `rows`, each replacing any earlier row for its key, in one transaction."""
        now = datetime.now(UTC)
        values = [
            {name: getattr(row, name) for name in _FIELDS}
            | {"checks": dict(row.checks), "created_at": row.created_at or now}
            for row in rows
        ]
        replace_keyed_rows(self.engine, turn_outputs, _KEY, values)

    def turns(self, run_id: str) -> list[StoredTurn]:
        """A run's replayed turns, by candidate, example, repeat and turn."""
        c = turn_outputs.c
        query = (
            select(turn_outputs)
            .where(c.run_id == run_id)
            .order_by(c.candidate_id, c.example_id, c.repeat, c.turn)
        )
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [StoredTurn(**{name: row[name] for name in _FIELDS}) for row in rows]
