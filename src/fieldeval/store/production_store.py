"""`ProductionStore`: the model calls `fieldeval collect` took in, in the store's database."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import SQLAlchemyError

from fieldeval.errors import StoreError
from fieldeval.records.production import ProductionEvent, ProductionRecord
from fieldeval.store.production_tables import production_events, production_records
from fieldeval.store.store import Store

_BATCH = 2_000
_IN_CHUNK = 500  # stays under SQLite's bound-parameter limit


class ProductionStore:
    """The `production_records` table of a `Store`'s database."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    def add(self, records: Sequence[ProductionRecord]) -> int:
        """Store the records not stored yet (by id) in one transaction; how many were new."""
        collected_at = datetime.now(UTC)
        rows = [_row(record, collected_at) for record in records]
        return self._add_new(production_records, rows, "production records")

    def add_events(self, events: Sequence[ProductionEvent]) -> int:
        """Store the log events not stored yet (by id); how many were new."""
        rows = [
            {
                "id": event.id,
                "trace_id": event.trace_id,
                "span_id": event.span_id,
                "name": event.name,
                "body": event.body,
                "time_ns": event.time_ns,
            }
            for event in events
        ]
        return self._add_new(production_events, rows, "production log events")

    def _add_new(self, table: Table, rows: Sequence[dict[str, Any]], what: str) -> int:
        """Insert the rows whose id is not in `table` yet, in one transaction; how many."""
        if not rows:
            return 0
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(table).on_conflict_do_nothing(index_elements=["id"])
        try:
            with self.engine.begin() as connection:
                # Counted around the insert: a driver's rowcount after executemany is not.
                before = _count(connection, table)
                for start in range(0, len(rows), _BATCH):
                    connection.execute(statement, rows[start : start + _BATCH])
                return _count(connection, table) - before
        except SQLAlchemyError as error:
            raise StoreError(f"cannot store {what}: {error}") from error

    def events(self, span_ids: Collection[str]) -> dict[str, list[ProductionEvent]]:
        """span id -> its log events."""
        found: dict[str, list[ProductionEvent]] = defaultdict(list)
        wanted = sorted(set(span_ids))
        with self.engine.connect() as connection:
            for start in range(0, len(wanted), _IN_CHUNK):
                query = select(production_events).where(
                    production_events.c.span_id.in_(wanted[start : start + _IN_CHUNK])
                )
                for row in connection.execute(query).mappings():
                    found[row["span_id"]].append(
                        ProductionEvent(
                            row["trace_id"],
                            row["span_id"],
                            row["name"],
                            row["body"],
                            row["time_ns"],
                        )
                    )
        return dict(found)

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


def _count(connection: Connection, table: Table = production_records) -> int:
    return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


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
