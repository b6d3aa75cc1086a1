"""`ProductionStore`: the model calls `fieldeval collect` took in, in the store's database."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import SQLAlchemyError

from fieldeval.errors import StoreError
from fieldeval.records.production import ProductionRecord
from fieldeval.store.store import Store
from fieldeval.store.tables import production_records

_BATCH = 2_000


class ProductionStore:
    """The `production_records` table of a `Store`'s database."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    def add(self, records: Sequence[ProductionRecord]) -> int:
        """Store the records not stored yet (by id) in one transaction; how many were new."""
        if not records:
            return 0
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(production_records).on_conflict_do_nothing(index_elements=["id"])
        collected_at = datetime.now(UTC)
        rows = [_row(record, collected_at) for record in records]
        try:
            with self.engine.begin() as connection:
                # Counted around the insert: a driver's rowcount after executemany is not.
                before = _count(connection)
                for start in range(0, len(rows), _BATCH):
                    connection.execute(statement, rows[start : start + _BATCH])
                added = _count(connection) - before
        except SQLAlchemyError as error:
            raise StoreError(f"cannot store production records: {error}") from error
        return added

    def count(self) -> int:
        with self.engine.connect() as connection:
            return _count(connection)

    def records(
        self, *, since: datetime | None = None, until: datetime | None = None
    ) -> Iterator[ProductionRecord]:
        """The records started in [since, until), oldest first."""
        query = select(production_records).order_by(
            production_records.c.started_at, production_records.c.id
        )
        if since is not None:
            query = query.where(production_records.c.started_at >= since)
        if until is not None:
            query = query.where(production_records.c.started_at < until)
        with self.engine.connect() as connection:
            for row in connection.execute(query).mappings():
                yield _record(row)


def _count(connection: Connection) -> int:
    return int(
        connection.execute(select(func.count()).select_from(production_records)).scalar_one()
    )


def _row(record: ProductionRecord, collected_at: datetime) -> dict[str, Any]:
    return {
        "id": record.id,
        "source": record.source,
        "started_at": record.started_at,
        "messages": [dict(message) for message in record.messages],
        "input": record.input,
        "output": record.output,
        "model": record.model,
        "latency_ms": record.latency_ms,
        "input_tokens": record.input_tokens,
        "output_tokens": record.output_tokens,
        "error": record.error,
        "trace_id": record.trace_id,
        "span_id": record.span_id,
        "attributes": dict(record.attributes),
        "collected_at": collected_at,
    }


def _record(row: RowMapping) -> ProductionRecord:
    started_at = row["started_at"]
    if started_at.tzinfo is None:  # SQLite keeps no zone; every time stored is UTC
        started_at = started_at.replace(tzinfo=UTC)
    return ProductionRecord(
        id=row["id"],
        source=row["source"],
        started_at=started_at,
        messages=tuple(row["messages"]),
        output=row["output"],
        model=row["model"],
        latency_ms=row["latency_ms"],
        input_tokens=row["input_tokens"],
        output_tokens=row["output_tokens"],
        error=row["error"],
        trace_id=row["trace_id"],
        span_id=row["span_id"],
        attributes=row["attributes"],
    )
