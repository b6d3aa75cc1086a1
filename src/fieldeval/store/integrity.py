"""The database's own check of itself, on SQLite and on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Engine, text


def integrity_problems(engine: Engine) -> list[str]:
    """Problems the database finds in itself; empty when it is sound.

    SQLite checks its file and its foreign keys. PostgreSQL enforces foreign keys as it
    writes, so what is left to report is a constraint it has not validated or an index
    it has marked invalid (as a failed concurrent build leaves one).
    """
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.execute(text("PRAGMA integrity_check")).scalars().all()
            fks = connection.execute(text("PRAGMA foreign_key_check")).all()
            problems = [row for row in rows if row != "ok"]
            return problems + [f"foreign key: {tuple(row)}" for row in fks]
        if engine.dialect.name == "postgresql":
            constraints = connection.execute(text(_PG_UNVALIDATED)).scalars().all()
            indexes = connection.execute(text(_PG_INVALID_INDEXES)).scalars().all()
            return [f"constraint not validated: {name}" for name in constraints] + [
                f"index invalid: {name}" for name in indexes
            ]
    return []


_PG_UNVALIDATED = """
SELECT c.conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
WHERE n.nspname = current_schema() AND NOT c.convalidated ORDER BY c.conname
"""
_PG_INVALID_INDEXES = """
SELECT i.indexrelid::regclass::text FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = current_schema() AND NOT (i.indisvalid AND i.indisready) ORDER BY 1
"""
