"""Production records in the store, on SQLite and PostgreSQL: kept once, read back whole."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fieldeval.records.production import ProductionRecord
from fieldeval.store import Store
from fieldeval.store.production_store import ProductionStore

MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _record(i: int, day: int = 0) -> ProductionRecord:
    return ProductionRecord(
        id=f"trace{i}:span{i}",
        source="otlp",
        started_at=MONDAY + timedelta(days=day, minutes=i),
        messages=({"role": "user", "content": f"question {i} ünïcode"},),
        output=f"answer {i}",
        model="gpt-4o",
        latency_ms=812.25,
        input_tokens=10,
        output_tokens=3,
        trace_id=f"trace{i}",
        span_id=f"span{i}",
        attributes={"app.route": "billing", "retries": 2, "beta": True},
    )


def test_records_are_stored_once_and_read_back_equal(store: Store) -> None:
    production = ProductionStore(store)
    records = [_record(i) for i in range(5)]
    assert production.add(records) == 5
    assert production.add([*records[3:], _record(9)]) == 1  # collected again: only the new one
    assert production.count() == 6
    assert list(production.records()) == [*records, _record(9)]


def test_records_of_a_window(store: Store) -> None:
    production = ProductionStore(store)
    production.add([_record(1, day=0), _record(2, day=7), _record(3, day=14)])
    week = list(
        production.records(since=MONDAY + timedelta(days=7), until=MONDAY + timedelta(days=14))
    )
    assert [r.id for r in week] == ["trace2:span2"]
