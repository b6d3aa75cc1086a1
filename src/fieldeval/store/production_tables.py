"""The production tables: model calls `fieldeval collect` took in, and their log events."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from fieldeval.store.tables import metadata

production_records = Table(
    "production_records",
    metadata,
    # A model call from production (`fieldeval collect`); its id makes collecting it twice a no-op.
    Column("id", String(200), primary_key=True),
    Column("source", String(40), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("messages", JSON, nullable=False),
    Column("input", Text, nullable=False),
    Column("output", Text),
    Column("model", String(200)),
    Column("latency_ms", Float),
    Column("input_tokens", Integer),
    Column("output_tokens", Integer),
    Column("error", Text),
    Column("trace_id", String(64)),
    Column("span_id", String(32)),
    Column("attributes", JSON, nullable=False),
    Column("collected_at", DateTime(timezone=True), nullable=False),
    Index("ix_production_records_started_at", "started_at"),
)
production_events = Table(
    "production_events",
    metadata,
    # A GenAI log event (gen_ai.user.message, gen_ai.choice...) of a span: its content.
    Column("id", String(64), primary_key=True),
    Column("trace_id", String(64), nullable=False),
    Column("span_id", String(32), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("body", JSON),
    Column("time_ns", BigInteger, nullable=False),
)
