"""Rows that replace earlier rows with the same key, written in one transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Engine, Table, and_, delete, insert

from fieldeval.store.engine import once_more_on_conflict


def replace_keyed_rows(
    engine: Engine, table: Table, key: Sequence[str], values: Sequence[Mapping[str, Any]]
) -> None:
    """Delete each row's earlier version (same values in the `key` columns), then insert all.

    The last of several rows given for one key wins. A lost race on the insert is retried
    once, as everywhere in the store.
    """
    latest = {tuple(row[name] for name in key): row for row in values}
    if not latest:
        return

    def write() -> None:
        with engine.begin() as connection:
            for key_values in latest:
                match = [
                    table.c[name] == value for name, value in zip(key, key_values, strict=True)
                ]
                connection.execute(delete(table).where(and_(*match)))
            connection.execute(insert(table), list(latest.values()))

    once_more_on_conflict(write)
